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
#include "manifests/store.h"
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
    "HOST ((--install PKG=VERSION | --deb FILE | --run CMD)... | --pending " \
    "[--security] [--bundle NAME] [--sync-first]) --check CMD... [--keep] " \
    "[--timeout SECONDS]"

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
        if (!strcmp(s->what, "fetch") && s->status > 0 && tr->cached)
            ds_cli_printf(cli, "      the lab cannot download them: %u package file%s from the package cache instead\n",
                          tr->cached->len, tr->cached->len == 1 ? "" : "s");
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
        return "no change (--install, --deb, --run or --pending)";
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

/* --pending: what is wrong with the options that go with it, or NULL. */
static const char *pending_misuse(bool pending, bool change, bool security,
                                  const char *bundle, bool sync_first)
{
    if (pending && change)
        return "--pending is the change: no --install, --deb or --run with "
               "it";
    if (!pending && (security || bundle || sync_first))
        return "--security, --bundle and --sync-first go with --pending";
    if (bundle && !ds_name_is_safe_host(bundle))
        return "--bundle: the name takes letters, digits, '.', '_' and '-'";
    return NULL;
}

static void on_note(const char *host, const char *message, void *payload)
{
    ds_cli_info(payload, "%s: %s", host, message);
}

/* --pending before the lab is touched: prod's pending set from the
 * store, the bundle name free, the lab synced first on request.  An exit
 * code, DS_EXIT_OK to go on; *nothing when nothing is pending. */
static int pending_begin(ds_cli *cli, ds_trial *tr, ds_trial_pending *p,
                         const ds_config *cfg, bool sync_first, bool *nothing)
{
    g_autoptr(GError) err = NULL;
    int code;

    *nothing = false;
    if ((code = ds_cli_open_store(&p->st, cli, cfg)) != DS_EXIT_OK)
        return code;
    if (!p->bundle)
        p->bundle = ds_trial_pending_default_name(tr->host, tr->run_id);
    if (ds_trial_pending_prepare(p, tr->installs, tr->host, &err) < 0) {
        ds_cli_error(cli, "%s: %s", tr->host, err->message);
        return DS_EXIT_ERROR;
    }
    if (tr->installs->len == 0) {
        *nothing = true;
        ds_cli_info(cli, "%s: nothing %spending at %.12s: no trial run",
                    tr->host, p->security ? "security " : "",
                    p->prod_revision);
        return DS_EXIT_OK;
    }
    ds_cli_info(cli, "%s: %u %spending update%s from prod at %.12s, bundle "
                "%s", tr->host, tr->installs->len,
                p->security ? "security " : "",
                tr->installs->len == 1 ? "" : "s", p->prod_revision,
                p->bundle);
    if (sync_first && ds_trial_pending_sync_first(p, on_note, cli, cfg,
                                                  tr->host, &err) < 0) {
        ds_cli_error(cli, "%s: %s", tr->host, err->message);
        return DS_EXIT_ERROR;
    }
    tr->must_match = p->prod;
    /* With a package cache, what the lab cannot download comes from it. */
    tr->cache_fallback = cfg->package_cache != NULL;
    return DS_EXIT_OK;
}

/* --pending after a trial took place: its record in the store, and the
 * bundle when it passed, noted in doc; false when not written. */
static bool pending_end(ds_cli *cli, const ds_trial *tr,
                        const ds_trial_pending *p, json_t *doc)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *commit = NULL;
    json_t *drift = json_array();
    bool stored = false, ok = true;

    if (ds_trial_pending_record(&commit, &stored, p, tr, &err) < 0) {
        ds_cli_error(cli, "%s: %s", tr->host, err->message);
        ok = false;
    } else if (stored) {
        ds_cli_info(cli, "%s: bundle %s stored (commit %.12s): `driftsync "
                    "bundle show %s --format apt`", tr->host, p->bundle,
                    commit, p->bundle);
    } else {
        ds_cli_info(cli, "%s: the failed trial is recorded in the store "
                    "(commit %.12s); no bundle written", tr->host, commit);
    }
    for (guint i = 0; tr->drift && i < tr->drift->len; i++)
        json_array_append_new(drift, ds_change_to_json(tr->drift->pdata[i]));
    if (doc)
        json_object_set_new(
            doc, "pending",
            json_pack("{s:b, s:s, s:s?, s:s?, s:b, s:o}", "security",
                      p->security, "bundle", p->bundle, "prod_revision",
                      p->prod_revision, "commit", commit, "bundle_stored",
                      stored, "drift", drift));
    else
        json_decref(drift);
    return ok;
}

/* A trial took place: keep its record, whatever became of it, and show
 * it.  Returns rc, or an error when the record could not be kept. */
static int keep_and_render(ds_cli *cli, ds_trial *tr, char **runs,
                           char **checks, int rc, const ds_trial_pending *p)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *saved = NULL;
    json_t *doc = ds_trial_to_json(tr, runs, checks);

    if (p && !pending_end(cli, tr, p, doc) && rc == 0)
        rc = DS_EGENERIC;
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

/* Longer than a verb should be only by its option table (thirty lines):
 * the rest is parse, prepare, run, render. */
static int exec_trial(ds_cli *cli, int argc, char **argv)
{
    g_auto(GStrv) runs = NULL;
    g_auto(GStrv) applies = NULL;
    g_auto(GStrv) checks = NULL;
    g_auto(GStrv) installs = NULL;
    g_auto(GStrv) debs = NULL;
    gboolean keep = FALSE, pending = FALSE, security = FALSE;
    gboolean sync_first = FALSE;
    g_autofree char *bundle = NULL;
    ds_trial_pending pd = {0};
    bool nothing = false;
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
        {"pending", 'p', 0, G_OPTION_ARG_NONE, &pending,
         "the change: prod's pending updates (their candidate versions, "
         "from its manifest at the store's HEAD; from the [packages] cache "
         "when the lab cannot download them); stores a bundle when it "
         "passes", NULL},
        {"security", 's', 0, G_OPTION_ARG_NONE, &security,
         "with --pending: the security updates only", NULL},
        {"bundle", 'b', 0, G_OPTION_ARG_STRING, &bundle,
         "with --pending: the bundle's name (HOST-TIME)", "NAME"},
        {"sync-first", 0, 0, G_OPTION_ARG_NONE, &sync_first,
         "with --pending: sync the lab to prod first when it differs", NULL},
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
    if ((why = pending_misuse(pending, all_runs->len > 1 || installs || debs,
                              security, bundle, sync_first)) ||
        (why = misuse(argc, (char **)all_runs->pdata,
                      installs || debs || pending, checks, timeout_s)))
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
    if (pending) {
        const ds_host_config *hc;

        pd.security = security;
        pd.bundle = g_steal_pointer(&bundle);

        if (ds_config_find_lab(&hc, cfg, tr.host, &err) < 0) {
            ds_cli_error_gerror(cli, err);
            exit_code = DS_EXIT_ERROR;
        } else {
            exit_code = pending_begin(cli, &tr, &pd, cfg, sync_first,
                                      &nothing);
        }
        if (exit_code != DS_EXIT_OK || nothing) {
            ds_trial_pending_clear(&pd);
            ds_trial_clear(&tr);
            return exit_code;
        }
    }
    if (ds_trial_open_lab(&tr, cfg, &err) < 0) {
        ds_cli_error_gerror(cli, err);
        ds_trial_pending_clear(&pd);
        ds_trial_clear(&tr);
        return DS_EXIT_ERROR;
    }

    ds_signals_catch(NULL);
    tr.started = g_get_real_time();
    rc = ds_trial_run(&tr, (char **)all_runs->pdata, checks);
    tr.finished = g_get_real_time();
    ds_signals_restore();

    if (tr.snapshot) /* a trial took place */
        rc = keep_and_render(cli, &tr, (char **)all_runs->pdata, checks, rc,
                             pending ? &pd : NULL);
    if (tr.error)
        ds_cli_error(cli, "%s: %s", tr.host, tr.error);
    ds_trial_pending_clear(&pd);
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
