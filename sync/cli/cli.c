/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/cli.c: what every verb shares: config loading, messages, colour,
 * option parsing and JSON output.  Only sync/ prints. */
#include <config.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "manifests/diff.h"
#include "manifests/util/error.h"
#include "manifests/store.h"
#include "sync/cli/cmd.h"
#include "sync/plan/plan.h"

ds_config *ds_cli_config(ds_cli *cli)
{
    g_autoptr(GError) err = NULL;
    ds_config *cfg = NULL;
    const char *env = g_getenv("DRIFTSYNC_CONFIG");
    const char *file = cli->config_file ? cli->config_file : DS_DEFAULT_CONFIG;

    /* $DRIFTSYNC_CONFIG stands in for --config (so it must exist). */
    if (!cli->config_file && env && *env) {
        file = env;
        cli->config_given = true;
    }

    if (ds_config_load(&cfg, file, &err) < 0) {
        if (ds_error_code_of(err) == DS_ENOTFOUND && !cli->config_given) {
            cfg = ds_config_new_default();
        } else {
            ds_cli_error_gerror(cli, err);
            return NULL;
        }
    }
    if (cli->store_dir) {
        g_free(cfg->store_path);
        cfg->store_path = g_strdup(cli->store_dir);
    }
    return cfg;
}

void ds_cli_error(ds_cli *cli, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s\n", cli->prog, msg);
}

void ds_cli_error_gerror(ds_cli *cli, const GError *err)
{
    ds_cli_error(cli, "%s", err ? err->message : "unknown error");
}

void ds_cli_info(ds_cli *cli, const char *fmt, ...)
{
    va_list ap;

    if (cli->verbosity < 0)
        return;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void ds_cli_verbose(ds_cli *cli, const char *fmt, ...)
{
    va_list ap;

    if (cli->verbosity < 1)
        return;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void cli_log(ds_log_level level, const char *message, void *payload)
{
    ds_cli *cli = payload;

    if (level == DS_LOG_WARNING)
        ds_cli_error(cli, "warning: %s", message);
    else if (level == DS_LOG_VERBOSE)
        ds_cli_verbose(cli, "%s", message);
    else
        ds_cli_info(cli, "%s", message);
}

ds_log ds_cli_log(ds_cli *cli)
{
    return (ds_log){.fn = cli_log, .payload = cli};
}

const char *ds_cli_colour(const ds_cli *cli, const char *which)
{
    static const struct {
        const char *name, *seq;
    } table[] = {{"red", "\033[31m"},    {"green", "\033[32m"},
                 {"yellow", "\033[33m"}, {"bold", "\033[1m"},
                 {"dim", "\033[2m"},     {"reset", "\033[0m"}};

    if (!cli->colour)
        return "";
    for (gsize i = 0; i < G_N_ELEMENTS(table); i++)
        if (!strcmp(which, table[i].name))
            return table[i].seq;
    return "";
}

bool ds_cli_parse(ds_cli *cli, const ds_cmd_entry *cmd, GOptionEntry *entries,
                  int *argc, char ***argv, int *exit_code)
{
    g_autoptr(GOptionContext) ctx = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *param = g_strdup_printf("%s %s", cmd->name, cmd->args);

    ctx = g_option_context_new(param);
    g_option_context_set_summary(ctx, cmd->summary);
    g_option_context_set_description(
        ctx, "Global options (--config, --store, -v, -q, --json) go before "
             "the verb.  See driftsync(1).");
    if (entries)
        g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_strict_posix(ctx, FALSE);
    /* Also accept the global --json after the verb. */
    for (int i = 1; i < *argc; i++) {
        if (!strcmp((*argv)[i], "--json")) {
            cli->json = true;
            memmove(&(*argv)[i], &(*argv)[i + 1],
                    (size_t)(*argc - i) * sizeof(char *));
            (*argc)--;
            i--;
        }
    }
    if (!g_option_context_parse(ctx, argc, argv, &err)) {
        ds_cli_error(cli, "%s: %s (see driftsync %s --help)", cmd->name,
                     err->message, cmd->name);
        *exit_code = DS_EXIT_ERROR;
        return false;
    }
    return true;
}

void ds_cli_print_json(struct json_t *value)
{
    char *s = json_dumps(value, JSON_INDENT(2) | JSON_SORT_KEYS);

    if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
}

int ds_cli_open_store(struct ds_store **out, ds_cli *cli, const ds_config *cfg)
{
    g_autoptr(GError) err = NULL;
    int rc = ds_store_open(out, cfg->store_path, &err);

    if (rc == DS_ENOTFOUND) {
        ds_cli_error(cli,
                     "%s: no store here (create it with `driftsync init`, or give --store)",
                     cfg->store_path);
        return DS_EXIT_ERROR;
    }
    if (rc < 0) {
        ds_cli_error_gerror(cli, err);
        return DS_EXIT_ERROR;
    }
    g_autofree char *loose = ds_store_check_mode(cfg->store_path,
                                                 cfg->store_group);
    if (loose)
        ds_cli_error(cli, "warning: %s", loose);
    return DS_EXIT_OK;
}

int ds_cli_split_ref(char **host, char **rev, ds_role *role, const char *arg,
                     GError **err)
{
    const char *at;
    g_autofree char *h = NULL;

    *host = NULL;
    *rev = NULL;
    if (g_str_has_prefix(arg, "lab:")) {
        *role = DS_ROLE_LAB;
        arg += 4;
    } else if (g_str_has_prefix(arg, "prod:")) {
        *role = DS_ROLE_PROD;
        arg += 5;
    }
    at = strchr(arg, '@');
    h = at ? g_strndup(arg, (gsize)(at - arg)) : g_strdup(arg);
    if (!ds_name_is_safe_host(h))
        return ds_error_set(err, DS_EINVALID, "'%s' is not a valid host name",
                            h);
    if (at && !at[1])
        return ds_error_set(err, DS_EINVALID, "%s: missing revision after '@'",
                            h);
    if (at)
        *rev = g_strdup(at + 1);
    *host = g_steal_pointer(&h);
    return 0;
}

char ds_cli_change_marker(const struct ds_change *c)
{
    switch (c->kind) {
    case DS_CHANGE_PACKAGE_INSTALLED:
    case DS_CHANGE_SOURCE_ADDED:
    case DS_CHANGE_FILE_ADDED:
    case DS_CHANGE_SERVICE_ADDED:
        return '+';
    case DS_CHANGE_PACKAGE_REMOVED:
    case DS_CHANGE_SOURCE_REMOVED:
    case DS_CHANGE_FILE_REMOVED:
    case DS_CHANGE_SERVICE_REMOVED:
        return '-';
    default:
        return '~';
    }
}

void ds_cli_print_change(ds_cli *cli, const struct ds_change *c,
                         const char *indent)
{
    g_autofree char *text = ds_change_describe(c);
    char marker = ds_cli_change_marker(c);
    const char *colour = marker == '+'   ? ds_cli_colour(cli, "green")
                         : marker == '-' ? ds_cli_colour(cli, "red")
                                         : ds_cli_colour(cli, "yellow");

    printf("%s%s%c %s%s\n", indent, colour, marker, text,
           ds_cli_colour(cli, "reset"));
}

void ds_cli_print_changes(ds_cli *cli, GPtrArray *changes, const char *indent)
{
    int last = -1;
    g_autofree char *inner = g_strconcat(indent, "  ", NULL);

    for (guint i = 0; i < changes->len; i++) {
        const ds_change *c = g_ptr_array_index(changes, i);

        if ((int)c->category != last) {
            printf("%s%s%s:%s\n", indent, ds_cli_colour(cli, "bold"),
                   ds_category_name(c->category), ds_cli_colour(cli, "reset"));
            last = (int)c->category;
        }
        ds_cli_print_change(cli, c, inner);
    }
}

struct json_t *ds_cli_changes_json(GPtrArray *changes)
{
    json_t *a = json_array();

    for (guint i = 0; changes && i < changes->len; i++)
        json_array_append_new(a,
                              ds_change_to_json(g_ptr_array_index(changes, i)));
    return a;
}
