/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/cmd-sync.c: `driftsync sync HOST... [--dry-run] [--keep-on-failure]`:
 * bring each host's lab VM to its prod manifest behind a snapshot (the
 * engine is sync/engine/sync.c); one line per host; exit 0 all synced, 1 some
 * reverted or kept, 2 error. */
#include <config.h>

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "manifests/diff.h"
#include "manifests/util/error.h"
#include "manifests/util/signals.h"
#include "manifests/util/shell.h"
#include "manifests/store.h"
#include "sync/cli/cmd.h"
#include "sync/engine/sync.h"

/* Differences left after a failed sync shown at most (all with --json). */
#define RESIDUE_SHOWN_MAX 20

/* For the fault tests (tests/e2e/faults.sh): with DRIFTSYNC_TEST_STOP_AT
 * set, the program stops itself (SIGSTOP) right after printing the first
 * progress note that contains that text, so that a test can kill it at a
 * known point of a run (the journal is written before each note). */
static void test_stop_point(const char *message)
{
    static bool stopped;
    const char *at = g_getenv("DRIFTSYNC_TEST_STOP_AT");

    if (stopped || !at || !*at || !strstr(message, at))
        return;
    stopped = true;
    fflush(NULL);
    raise(SIGSTOP);
}

static void on_note(const char *host, const char *message, void *payload)
{
    ds_cli *cli = payload;

    ds_cli_info(cli, "%s: %s", host, message);
    test_stop_point(message);
}

/* The reason without a leading "HOST: " (the line names the host). */
static const char *bare_reason(const ds_sync_result *r)
{
    const char *s = r->reason ? r->reason : "unknown error";
    gsize n = strlen(r->host);

    if (!strncmp(s, r->host, n) && !strncmp(s + n, ": ", 2))
        return s + n + 2;
    return s;
}

static void print_plan(ds_cli *cli, const ds_sync_result *r)
{
    const ds_plan *plan = r->plan;
    guint n = plan ? plan->actions->len : 0;

    if (!n) {
        ds_cli_printf(cli, "%s: already in sync (dry run)\n", r->host);
        return;
    }
    ds_cli_printf(cli, "%s: would apply %u step%s to lab %s (dry run)%s\n",
                  r->host, n, n == 1 ? "" : "s", r->domain,
                  plan->manual ? ", some by hand: the sync would fail" : "");
    for (guint i = 0; i < n; i++) {
        const ds_action *a = plan->actions->pdata[i];

        ds_cli_printf(
            cli, "  %3u. %-8s %s%s\n", i + 1, ds_plan_phase_name(a->phase),
            a->kind == DS_ACTION_MANUAL ? "[by hand] " : "", a->description);
        for (guint j = 0; a->details && a->details[j]; j++)
            ds_cli_printf(cli, "              %s\n", a->details[j]);
        if (cli->verbosity >= 1 && a->argv) {
            g_autofree char *cmd =
                ds_shell_display((const char *const *)a->argv);

            ds_cli_printf(cli, "              $ %s%s\n", cmd,
                          a->data ? " <DATA" : "");
        }
    }
}

static void print_result(ds_cli *cli, const ds_sync_result *r,
                         const char *commit)
{
    const char *red = ds_cli_colour(cli, "red");
    const char *green = ds_cli_colour(cli, "green");
    const char *yellow = ds_cli_colour(cli, "yellow");
    const char *reset = ds_cli_colour(cli, "reset");

    switch (r->status) {
    case DS_SYNC_PLANNED:
    case DS_SYNC_IN_SYNC:
        if (r->plan && !r->lab_after) {
            print_plan(cli, r);
            return;
        }
        ds_cli_printf(cli, "%s: %salready in sync%s\n", r->host, green, reset);
        return;
    case DS_SYNC_SYNCED:
        ds_cli_printf(
            cli, "%s: %ssynced%s (%u step%s; lab %s, store commit %.7s)\n",
            r->host, green, reset, r->steps_done, r->steps_done == 1 ? "" : "s",
            r->domain, commit ? commit : "unchanged");
        return;
    case DS_SYNC_REVERTED:
        ds_cli_printf(cli, "%s: %sreverted%s: %s\n", r->host, yellow, reset,
                      bare_reason(r));
        break;
    case DS_SYNC_KEPT:
        ds_cli_printf(cli,
                      "%s: %sfailed, lab kept%s: %s; revert it with `driftsync "
                      "snapshot revert %s %s`\n",
                      r->host, red, reset, bare_reason(r), r->host,
                      r->snapshot);
        break;
    case DS_SYNC_FAILED:
        ds_cli_printf(cli, "%s: %sfailed%s: %s\n", r->host, red, reset,
                      bare_reason(r));
        break;
    }
    if (r->failure && r->failure->output && *r->failure->output) {
        g_auto(GStrv) lines = g_strsplit(r->failure->output, "\n", -1);

        for (guint i = 0; lines[i]; i++)
            ds_cli_printf(cli, "    | %s\n", lines[i]);
    }
    for (guint i = 0;
         r->residue && i < r->residue->len && i < RESIDUE_SHOWN_MAX; i++) {
        g_autofree char *d = ds_change_describe(r->residue->pdata[i]);

        ds_cli_printf(cli, "    still differs: %s\n", d);
    }
}

static json_t *result_json(const ds_sync_result *r)
{
    json_t *o = json_pack("{s:s, s:s?, s:s, s:s?, s:s?, s:i, s:b}", "host",
                          r->host, "domain", r->domain, "status",
                          ds_sync_status_name(r->status), "snapshot",
                          r->snapshot, "reason", r->reason, "steps_done",
                          (int)r->steps_done, "revert_verified",
                          r->revert_verified);

    if (r->failure)
        json_object_set_new(
            o, "failed_step",
            json_pack("{s:i, s:s?, s:s?, s:i, s:s?}", "step",
                      (int)r->failure->index, "description",
                      r->failure->description, "command", r->failure->command,
                      "status", r->failure->status, "output",
                      r->failure->output));
    if (r->residue)
        json_object_set_new(o, "residue", ds_cli_changes_json(r->residue));
    if (r->recovered_run)
        json_object_set_new(o, "recovered",
                            json_pack("{s:s, s:s?}", "run_id",
                                      r->recovered_run, "snapshot",
                                      r->recovered_snapshot));
    if (r->pruned) {
        json_t *a = json_array();

        for (guint i = 0; i < r->pruned->len; i++)
            json_array_append_new(a, json_string(r->pruned->pdata[i]));
        json_object_set_new(o, "pruned", a);
    }
    if (r->plan)
        json_object_set_new(o, "plan", ds_plan_to_json(r->plan));
    if (r->step_seconds) {
        json_t *a = json_array();

        for (guint i = 0; i < r->step_seconds->len; i++)
            json_array_append_new(
                a, json_real(g_array_index(r->step_seconds, double, i)));
        json_object_set_new(o, "step_seconds", a);
    }
    return o;
}

static int exec_sync(ds_cli *cli, int argc, char **argv)
{
    gboolean dry_run = FALSE, keep = FALSE;
    GOptionEntry entries[] = {
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
         "print the plan of each host and touch nothing", NULL},
        {"keep-on-failure", 'k', 0, G_OPTION_ARG_NONE, &keep,
         "leave a failed lab as it is (say which snapshot to revert to)",
         NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    g_autoptr(ds_config) cfg = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) results = NULL;
    g_autofree char *commit = NULL;
    ds_sync_options opts = {0};
    int code = DS_EXIT_OK;

    if (!ds_cli_parse(cli, &ds_cmd_sync_entry, entries, &argc, &argv, &code))
        return code;
    if (argc < 2) {
        ds_cli_error(cli, "sync: usage: driftsync sync HOST... [--dry-run] [--keep-on-failure]");
        return DS_EXIT_ERROR;
    }
    for (int i = 1; i < argc; i++)
        if (!ds_name_is_safe_host(argv[i])) {
            g_autofree char *shown = g_strescape(argv[i], NULL);

            ds_cli_error(cli, "'%s' is not a valid host name", shown);
            return DS_EXIT_ERROR;
        }
    if (!(cfg = ds_cli_config(cli)))
        return DS_EXIT_ERROR;
    if ((code = ds_cli_open_store(&st, cli, cfg)) != DS_EXIT_OK)
        return code;
    opts.dry_run = dry_run;
    opts.keep_on_failure = keep;
    opts.note = on_note;
    opts.payload = cli;
    opts.cancel = &ds_signals_caught;
    if (!dry_run) {
        ds_signals_catch("\ndriftsync: interrupted: reverting the lab after the current step (a third signal stops at once)\n");
        ds_signals_set_hint("driftsync: stopped at once: the next sync reverts the lab");
    }
    if (ds_sync_run(&results, &commit, cfg, st, (const char *const *)argv + 1,
                    &opts, &err) < 0) {
        ds_cli_error_gerror(cli, err);
        return DS_EXIT_ERROR;
    }

    code = DS_EXIT_OK;
    for (guint i = 0; i < results->len; i++) {
        const ds_sync_result *r = results->pdata[i];

        if (r->status == DS_SYNC_FAILED)
            code = DS_EXIT_ERROR;
        else if ((r->status == DS_SYNC_REVERTED ||
                  r->status == DS_SYNC_KEPT) &&
                 code == DS_EXIT_OK)
            code = DS_EXIT_DIFF;
    }
    if (cli->json) {
        json_t *hosts = json_array();
        json_t *doc;

        for (guint i = 0; i < results->len; i++)
            json_array_append_new(hosts, result_json(results->pdata[i]));
        doc = json_pack("{s:s?, s:b, s:o, s:i}", "commit", commit, "dry_run",
                        dry_run, "hosts", hosts, "exit", code);
        ds_cli_print_json(doc);
        json_decref(doc);
    } else {
        for (guint i = 0; i < results->len; i++)
            print_result(cli, results->pdata[i], commit);
    }
    for (guint i = 0; i < results->len; i++) {
        const ds_sync_result *r = results->pdata[i];

        if (r->status == DS_SYNC_FAILED)
            ds_cli_error(cli, "%s: %s", r->host, bare_reason(r));
    }
    return code;
}

const ds_cmd_entry ds_cmd_sync_entry = {
    .name = "sync",
    .args = "HOST... [--dry-run]",
    .summary = "Bring lab VMs to production behind a snapshot; revert on failure.",
    .exec = exec_sync,
};
