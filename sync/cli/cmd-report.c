/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/cmd-report.c: `driftsync report`: writes the HTML page and the JSON
 * document of the store and the last runs (sync/output/report.c) to a directory,
 * or prints the JSON. */
#include <config.h>

#include <jansson.h>
#include <stdio.h>

#include "manifests/util/error.h"
#include "manifests/store.h"
#include "sync/cli/cmd.h"
#include "sync/output/report.h"

#define REPORT_MAX_DAYS 3660

static int cmd_report(ds_cli *cli, int argc, char **argv)
{
    char *output = NULL;
    int days = 30;
    gboolean fetch = FALSE;
    GOptionEntry entries[] = {
        {"fetch", 0, 0, G_OPTION_ARG_NONE, &fetch,
         "Bring [store] remote's commits into the store first", NULL},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
         "Write report.html and report.json to DIR (default: STATE/reports)",
         "DIR"},
        {"days", 'd', 0, G_OPTION_ARG_INT, &days,
         "History over the last N days (default 30)", "N"},
        {NULL}};
    g_autoptr(ds_config) cfg = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *html = NULL;
    g_autofree char *json = NULL;
    json_t *doc = NULL;
    int code = DS_EXIT_OK;

    if (!ds_cli_parse(cli, &ds_cmd_report_entry, entries, &argc, &argv, &code))
        goto done;
    code = DS_EXIT_ERROR;
    if (argc != 1) {
        ds_cli_error(cli,
                     "report: unexpected argument '%s' (see driftsync report --help)",
                     argv[1]);
        goto done;
    }
    if (days < 1 || days > REPORT_MAX_DAYS) {
        ds_cli_error(cli, "report: --days must be between 1 and %d",
                     REPORT_MAX_DAYS);
        goto done;
    }
    if (!(cfg = ds_cli_config(cli)))
        goto done;
    if ((code = ds_cli_open_store(&st, cli, cfg)) != DS_EXIT_OK ||
        (fetch && (code = ds_cli_fetch_store(cli, "report", cfg, st)) !=
                      DS_EXIT_OK))
        goto done;
    code = DS_EXIT_ERROR;
    if (ds_report_build(&doc, st, cfg, (guint)days,
                        g_get_real_time() / G_USEC_PER_SEC, &err) < 0) {
        ds_cli_error_gerror(cli, err);
        goto done;
    }
    dir = output ? g_strdup(output)
                 : g_build_filename(cfg->state_dir, "reports", NULL);
    if (ds_report_write(&html, &json, doc, dir, &err) < 0) {
        ds_cli_error_gerror(cli, err);
        goto done;
    }
    if (cli->json) {
        ds_cli_print_json(doc);
    } else if (cli->verbosity >= 0) {
        ds_cli_printf(cli, "%s\n%s\n", html, json);
    }
    code = DS_EXIT_OK;
done:
    json_decref(doc);
    g_free(output);
    return code;
}

const ds_cmd_entry ds_cmd_report_entry = {
    .name = "report",
    .args = "[--output DIR] [--days N]",
    .summary = "Write an HTML page and a JSON document of drift, history, "
               "the last mirror run, audit findings and trials.",
    .exec = cmd_report,
};
