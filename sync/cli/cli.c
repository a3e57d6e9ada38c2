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
#include "manifests/store-remote.h"
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

/* ---- global options after the verb ---------------------------------- */

/* Values of --config and --store given after the verb (GOption frees the
 * strings it hands to callbacks); kept for the life of the program. */
static char *global_values[2];

static gboolean on_global(const char *name, const char *value, gpointer data,
                          GError **error)
{
    ds_cli *cli = data;

    if (!strcmp(name, "-v") || !strcmp(name, "--verbose")) {
        cli->verbosity = cli->verbosity < 0 ? 1 : cli->verbosity + 1;
    } else if (!strcmp(name, "-q") || !strcmp(name, "--quiet")) {
        cli->verbosity = -1;
    } else if (!strcmp(name, "--json")) {
        cli->json = true;
    } else if (!strcmp(name, "--color")) {
        if (!ds_cli_set_colour(cli, value)) {
            ds_error_set(error, DS_EINVALID, "--color: expected auto, always or never, got '%s'", value);
            return FALSE;
        }
    } else if (!strcmp(name, "-c") || !strcmp(name, "--config")) {
        g_free(global_values[0]);
        cli->config_file = global_values[0] = g_strdup(value);
        cli->config_given = true;
    } else {
        g_free(global_values[1]);
        cli->store_dir = global_values[1] = g_strdup(value);
    }
    return TRUE;
}

/* The verb's entries, then the global options the verb does not use
 * itself (plan has its own -v, trial its own -c), so that `driftsync log
 * -v HOST` means what `driftsync -v log HOST` does. */
static GOptionEntry *with_globals(const GOptionEntry *verb)
{
    static const GOptionEntry globals[] = {
        {"config", 'c', G_OPTION_FLAG_FILENAME, G_OPTION_ARG_CALLBACK,
         (gpointer)on_global, "Configuration file (global option)", "FILE"},
        {"store", 's', G_OPTION_FLAG_FILENAME, G_OPTION_ARG_CALLBACK,
         (gpointer)on_global, "The store (global option)", "DIR"},
        {"verbose", 'v', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
         (gpointer)on_global, "More detail (global option; repeat for more)",
         NULL},
        {"quiet", 'q', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
         (gpointer)on_global, "Errors only (global option)", NULL},
        {"json", 0, G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
         (gpointer)on_global, "Machine-readable output (global option)", NULL},
        {"color", 0, 0, G_OPTION_ARG_CALLBACK, (gpointer)on_global,
         "Colour: auto (on a terminal without NO_COLOR), always or never "
         "(global option)",
         "WHEN"},
    };
    GArray *all = g_array_new(TRUE, TRUE, sizeof(GOptionEntry));
    gsize n = 0;

    for (; verb && verb[n].long_name; n++)
        g_array_append_val(all, verb[n]);
    for (gsize g = 0; g < G_N_ELEMENTS(globals); g++) {
        GOptionEntry e = globals[g];

        for (gsize i = 0; i < n; i++) {
            if (!strcmp(verb[i].long_name, e.long_name))
                e.long_name = NULL;
            if (verb[i].short_name && verb[i].short_name == e.short_name)
                e.short_name = 0;
        }
        if (e.long_name)
            g_array_append_val(all, e);
    }
    return (GOptionEntry *)g_array_free(all, FALSE);
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

bool ds_cli_parse(ds_cli *cli, const ds_cmd_entry *cmd, GOptionEntry *entries,
                  int *argc, char ***argv, int *exit_code)
{
    g_autoptr(GOptionContext) ctx = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *param = g_strdup_printf("%s %s", cmd->name, cmd->args);
    g_autofree GOptionEntry *all = with_globals(entries);
    GOptionGroup *main_group;

    ctx = g_option_context_new(param);
    g_option_context_set_summary(ctx, cmd->summary);
    g_option_context_set_description(
        ctx,
        "Global options (--config, --store, -v, -q, --json) may come before or after the verb.  See driftsync(1).");
    main_group = g_option_group_new(NULL, NULL, NULL, cli, NULL);
    g_option_group_add_entries(main_group, all);
    g_option_context_set_main_group(ctx, main_group);
    g_option_context_set_strict_posix(ctx, FALSE);
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
    if (cfg->store_remote) {
        ds_store_remote r = {cfg->store_remote, cfg->store_remote_credentials,
                             cfg->store_remote_known_hosts,
                             cfg->store_remote_ca_file};
        ds_log log = ds_cli_log(cli);

        ds_store_set_remote(*out, &r, &log);
    }
    return DS_EXIT_OK;
}

/* How long --fetch waits for a writer to finish with the store. */
#define FETCH_LOCK_TIMEOUT_MS 30000

int ds_cli_fetch_store(ds_cli *cli, const char *verb, const ds_config *cfg,
                       struct ds_store *st)
{
    g_autoptr(GError) err = NULL;

    if (!cfg->store_remote) {
        ds_cli_error(cli, "%s --fetch: no [store] remote in %s", verb,
                     cfg->filename ? cfg->filename : "the configuration");
        return DS_EXIT_ERROR;
    }
    if (ds_store_fetch(st, FETCH_LOCK_TIMEOUT_MS, &err) < 0) {
        ds_cli_error_gerror(cli, err);
        return DS_EXIT_ERROR;
    }
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
    ds_cli_print_change_sides(cli, c, NULL, indent);
}

void ds_cli_print_change_sides(ds_cli *cli, const struct ds_change *c,
                               const struct ds_change_sides *sides,
                               const char *indent)
{
    g_autofree char *text = ds_change_describe_sides(c, sides);
    char marker = ds_cli_change_marker(c);
    const char *colour = marker == '+'   ? ds_cli_colour(cli, "green")
                         : marker == '-' ? ds_cli_colour(cli, "red")
                                         : ds_cli_colour(cli, "yellow");

    ds_cli_printf(cli, "%s%s%c %s%s\n", indent, colour, marker, text,
                  ds_cli_colour(cli, "reset"));
}

void ds_cli_print_changes_sides(ds_cli *cli, GPtrArray *changes,
                                const struct ds_change_sides *sides,
                                const char *indent)
{
    ds_cli_print_changes_each(cli, changes, sides, indent, NULL, NULL);
}

void ds_cli_print_changes_each(ds_cli *cli, GPtrArray *changes,
                               const struct ds_change_sides *sides,
                               const char *indent, ds_cli_change_fn after,
                               void *payload)
{
    int last = -1;
    g_autofree char *inner = g_strconcat(indent, "  ", NULL);

    for (guint i = 0; i < changes->len; i++) {
        const ds_change *c = g_ptr_array_index(changes, i);

        if ((int)c->category != last) {
            ds_cli_printf(
                cli, "%s%s%s:%s\n", indent, ds_cli_colour(cli, "bold"),
                ds_category_name(c->category), ds_cli_colour(cli, "reset"));
            last = (int)c->category;
        }
        ds_cli_print_change_sides(cli, c, sides, inner);
        if (after)
            after(cli, c, inner, payload);
    }
}

void ds_cli_print_changes(ds_cli *cli, GPtrArray *changes, const char *indent)
{
    ds_cli_print_changes_each(cli, changes, NULL, indent, NULL, NULL);
}

struct json_t *ds_cli_changes_json(GPtrArray *changes)
{
    json_t *a = json_array();

    for (guint i = 0; changes && i < changes->len; i++)
        json_array_append_new(a,
                              ds_change_to_json(g_ptr_array_index(changes, i)));
    return a;
}
