/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli.c: what every verb shares: config loading, messages, colour,
 * option parsing and JSON output.  Only sync/ prints. */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "manifests/error.h"
#include "sync/cmd.h"

ds_config *ds_cli_config(ds_cli *cli)
{
    g_autoptr(GError) err = NULL;
    ds_config *cfg = NULL;
    const char *file = cli->config_file ? cli->config_file : DS_DEFAULT_CONFIG;

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

const char *ds_cli_colour(const ds_cli *cli, const char *which)
{
    static const struct {
        const char *name, *seq;
    } table[] = {{"red", "\033[31m"},   {"green", "\033[32m"},
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
