/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/cmd-trial.c: `driftsync trial HOST`: the command line of a trial
 * run (what to install, copy, run and check), handed to the engine
 * (sync/jobs/trial.c, trial-run.c), and its result rendered: JSON on
 * stdout with --json, else a human summary. */
#include <config.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "manifests/diff.h"
#include "manifests/util/error.h"
#include "manifests/util/signals.h"
#include "sync/cli/cmd.h"
#include "sync/jobs/trial-guard.h"
#include "sync/jobs/trial.h"


/* The longest --timeout: a day. */
#define TRIAL_TIMEOUT_MAX_S (24 * 3600)
/* How long work abandoned after a signal may still run before exit. */
#define TRIAL_ABANDONED_WAIT_MS (40 * 1000)

#define TRIAL_USAGE                                                          \
    "HOST (--install PKG=VERSION | --deb FILE | --run CMD)... --check CMD " \
    "[--keep] [--timeout SECONDS]"

static void report(ds_cli *cli, const ds_trial *tr, const char *saved)
{

    for (guint i = 0; i < tr->steps->len; i++) {
        const ds_trial_step *s = tr->steps->pdata[i];
        bool ok = s->status == 0;
        const char *mark = s->status < 0 ? "-" : ok ? "ok" : "FAIL";

        ds_cli_printf(cli, "%s%-4s%s %-7s %s",
                      ds_cli_colour(cli, ok ? "green" : "red"), mark,
                      ds_cli_colour(cli, "reset"), s->what, s->command);
        if (s->status > 0)
            ds_cli_printf(cli, "  (exit %d)", s->status);
        else if (s->status < 0)
            ds_cli_printf(cli, "  (not run)");
        putchar('\n');
        if (s->status > 0 && s->err && *s->err)
            ds_cli_printf(cli, "      %s%s", s->err,
                          s->err[strlen(s->err) - 1] != '\n' ? "\n" : "");
    }
    if (tr->snapshot && !tr->error)
        ds_cli_printf(cli, "%s: trial %s\n", tr->host,
                      tr->passed ? "passed" : "failed");
    if (tr->kept)
        ds_cli_printf(cli,
                      "%s: lab %s keeps the change; undo it with `driftsync "
                      "snapshot revert %s %s`\n",
                      tr->host, tr->hc->lab, tr->host, tr->snapshot);
    else if (tr->verified)
        ds_cli_printf(cli, "%s: lab %s reverted and verified\n", tr->host,
                      tr->hc->lab);
    for (guint i = 0; tr->reverted && tr->residue && i < tr->residue->len;
         i++) {
        g_autofree char *d = ds_change_describe(tr->residue->pdata[i]);

        ds_cli_printf(cli, "%s: still differs after the revert: %s\n", tr->host,
                      d);
    }
    if (saved)
        ds_cli_info(cli, "%s: result in %s", tr->host, saved);
}

static int usage(ds_cli *cli, const char *why)
{
    ds_cli_error(cli, "trial: %s; usage: driftsync trial " TRIAL_USAGE, why);
    return DS_EXIT_ERROR;
}

/* What is wrong with the command line, or NULL. */
static const char *misuse(int argc, char **runs, bool installs,
                          char **checks, int timeout_s)
{
    if (argc != 2)
        return argc < 2 ? "no host" : "one host at a time";
    if (!runs[0] && !installs)
        return "no change (--install, --deb or --run)";
    if (!checks || !checks[0])
        return "no --check";
    for (int i = 0; runs[i]; i++)
        if (!g_utf8_validate(runs[i], -1, NULL))
            return "a --run command is not UTF-8";
    for (int i = 0; checks[i]; i++)
        if (!g_utf8_validate(checks[i], -1, NULL))
            return "a --check command is not UTF-8";
    if (timeout_s < 0 || timeout_s > TRIAL_TIMEOUT_MAX_S)
        return "--timeout takes 1 to 86400 seconds";
    return NULL;
}

/* A trial took place: keep its record, whatever became of it, and show
 * it.  Returns rc, or an error when the record could not be kept. */
static int keep_and_render(ds_cli *cli, ds_trial *tr, char **runs,
                           char **checks, int rc)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *saved = NULL;
    json_t *doc = ds_trial_to_json(tr, runs, checks);

    if (!doc)
        doc = json_pack("{s:s, s:s, s:s}", "schema", "driftsync/trial/v1",
                        "run", tr->run_id, "error",
                        "the result could not be encoded");
    if (ds_trial_save(&saved, tr, doc, &err) < 0) {
        ds_cli_error(cli, "%s: %s", tr->host, err->message);
        g_clear_pointer(&saved, g_free);
        if (rc == 0)
            rc = DS_EGENERIC;
    }
    if (cli->json)
        ds_cli_print_json(doc);
    else
        report(cli, tr, saved);
    json_decref(doc);
    return rc;
}

static int exec_trial(ds_cli *cli, int argc, char **argv)
{
    g_auto(GStrv) runs = NULL;
    g_auto(GStrv) applies = NULL;
    g_auto(GStrv) checks = NULL;
    g_auto(GStrv) installs = NULL;
    g_auto(GStrv) debs = NULL;
    gboolean keep = FALSE;
    int timeout_s = 0;
    GOptionEntry entries[] = {
        {"install", 'i', 0, G_OPTION_ARG_STRING_ARRAY, &installs,
         "install this version of a package in the guest, downgrades "
         "allowed (repeatable)", "PKG=VERSION"},
        {"deb", 'd', 0, G_OPTION_ARG_FILENAME_ARRAY, &debs,
         "copy a package file into the guest and install it (repeatable)",
         "FILE"},
        {"run", 'r', 0, G_OPTION_ARG_STRING_ARRAY, &runs,
         "the change: a command line run by the guest's /bin/sh after the "
         "installs (repeatable)", "CMD"},
        {"apply", 'a', 0, G_OPTION_ARG_STRING_ARRAY, &applies,
         "the same as --run", "CMD"},
        {"check", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &checks,
         "a check run by the guest's /bin/sh afterwards; exit 0 passes "
         "(repeatable)", "CMD"},
        {"keep", 'k', 0, G_OPTION_ARG_NONE, &keep,
         "keep the lab as the trial left it (and the snapshot)", NULL},
        {"timeout", 't', 0, G_OPTION_ARG_INT, &timeout_s,
         "seconds each command may run in the guest (300)", "SECONDS"},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    g_autoptr(ds_config) cfg = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) all_runs = g_ptr_array_new();
    ds_trial tr = {.log = ds_cli_log(cli)};
    ds_trial_options opts = {0};
    const char *why;
    int exit_code = DS_EXIT_OK, rc;

    if (!ds_cli_parse(cli, &ds_cmd_trial_entry, entries, &argc, &argv,
                      &exit_code))
        return exit_code;
    for (int i = 0; runs && runs[i]; i++)
        g_ptr_array_add(all_runs, runs[i]);
    for (int i = 0; applies && applies[i]; i++)
        g_ptr_array_add(all_runs, applies[i]);
    g_ptr_array_add(all_runs, NULL);
    if ((why = misuse(argc, (char **)all_runs->pdata, installs || debs,
                      checks, timeout_s)))
        return usage(cli, why);
    opts.host = argv[1];
    opts.installs = installs;
    opts.debs = debs;
    opts.keep = keep;
    opts.timeout_s = timeout_s;
    if (ds_trial_prepare(&tr, &opts, &err) < 0) {
        ds_cli_error_gerror(cli, err);
        ds_trial_clear(&tr);
        return DS_EXIT_ERROR;
    }
    if (!(cfg = ds_cli_config(cli))) {
        ds_trial_clear(&tr);
        return DS_EXIT_ERROR;
    }
    if (ds_trial_open_lab(&tr, cfg, &err) < 0) {
        ds_cli_error_gerror(cli, err);
        ds_trial_clear(&tr);
        return DS_EXIT_ERROR;
    }

    ds_signals_catch(NULL);
    tr.started = g_get_real_time();
    rc = ds_trial_run(&tr, (char **)all_runs->pdata, checks);
    tr.finished = g_get_real_time();
    ds_signals_restore();

    if (tr.snapshot) /* a trial took place */
        rc = keep_and_render(cli, &tr, (char **)all_runs->pdata, checks, rc);
    if (tr.error)
        ds_cli_error(cli, "%s: %s", tr.host, tr.error);
    if (rc < 0)
        exit_code = DS_EXIT_ERROR;
    else
        exit_code = tr.passed ? DS_EXIT_OK : DS_EXIT_DIFF;

    /* Work abandoned after a signal or a lost guest may still use the
     * configuration: give it a moment, then leave it to exit(). */
    if (tr.leak && !ds_guard_wait_abandoned(TRIAL_ABANDONED_WAIT_MS)) {
        g_steal_pointer(&cfg);
        return exit_code;
    }
    ds_trial_clear(&tr);
    return exit_code;
}

const ds_cmd_entry ds_cmd_trial_entry = {
    .name = "trial",
    .args = TRIAL_USAGE,
    .summary = "Try a change on the lab VM behind a snapshot, run the checks, revert.",
    .exec = exec_trial,
};
