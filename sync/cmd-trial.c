/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cmd-trial.c: `driftsync trial HOST --run CMD --check CMD [--keep]`:
 * try a candidate change on the lab VM behind a snapshot, run the admin's
 * checks inside the guest, then revert and verify (by collecting the lab
 * again) that the lab is as it was. */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "drivers/libvirt.h"
#include "drivers/transport-agent.h"
#include "drivers/transport.h"
#include "manifests/diff.h"
#include "manifests/error.h"
#include "snapshots/snapshot.h"
#include "sync/cmd.h"
#include "sync/collect.h"

extern const ds_cmd_entry ds_cmd_trial_entry;

#define TRIAL_AGENT_WAIT_MS (180 * 1000)

typedef struct trial_step {
    const char *what; /* "run" | "check" */
    const char *command;
    int status; /* -1: not run */
    char *out;
    char *err;
} trial_step;

static void trial_step_free(trial_step *s)
{
    g_free(s->out);
    g_free(s->err);
    g_free(s);
}

static char *bytes_text(GBytes *b)
{
    gsize len = 0;
    const char *data = b ? g_bytes_get_data(b, &len) : NULL;

    /* Guest output is shown, never interpreted: make it valid text. */
    return g_utf8_make_valid(data ? data : "", (gssize)len);
}

/* Run one shell command line of the admin's inside the guest. */
static int run_step(trial_step *step, ds_transport *t, GError **err)
{
    const char *argv[] = {"/bin/sh", "-c", step->command, NULL};
    ds_run_result r = {.status = -1};
    int rc = ds_transport_run(t, argv, NULL, &r, err);

    if (rc == 0) {
        step->status = r.status;
        step->out = bytes_text(r.out);
        step->err = bytes_text(r.err);
    }
    ds_run_result_clear(&r);
    return rc;
}

static const char *lab_uri_of(const ds_config *cfg, const ds_host_config *hc)
{
    return hc->lab_uri ? hc->lab_uri : cfg->lab_uri;
}

static char *lab_source(const ds_host_config *hc)
{
    if (!hc->lab_access || !strcmp(hc->lab_access, "agent"))
        return g_strdup_printf("agent:%s", hc->lab);
    return g_strdup(hc->lab_access);
}

static json_t *step_json(const trial_step *s)
{
    return json_pack("{s:s, s:s, s:i, s:s?, s:s?}", "step", s->what,
                     "command", s->command, "status", s->status, "stdout",
                     s->out, "stderr", s->err);
}

typedef struct trial {
    ds_cli *cli;
    const ds_config *cfg;
    const ds_host_config *hc;
    const char *host;
    ds_lab *lab;
    virDomainPtr dom;
    GPtrArray *steps;
    char *snapshot;
    ds_snapshot_mode mode;
    bool passed, reverted, verified, kept;
    GPtrArray *residue; /* ds_change * left after the revert */
} trial;

/* Revert, wait for the guest, collect it again and compare. */
static int revert_and_verify(trial *tr, const ds_manifest *before,
                             GError **err)
{
    g_autoptr(ds_manifest) after = NULL;
    g_autofree char *source = lab_source(tr->hc);
    int rc;

    if ((rc = ds_snapshot_revert(tr->dom, tr->snapshot, err)) < 0)
        return rc;
    tr->reverted = true;
    if (virDomainIsActive(tr->dom) == 1 &&
        (rc = ds_lab_wait_agent(tr->lab, tr->dom, TRIAL_AGENT_WAIT_MS,
                                err)) < 0)
        return rc;
    if ((rc = ds_collect_one(&after, tr->cfg, tr->hc, source, DS_ROLE_LAB,
                             err)) < 0)
        return rc;
    if ((rc = ds_manifest_diff(&tr->residue, before, after, tr->cfg->ignore,
                               err)) < 0)
        return rc;
    tr->verified = tr->residue->len == 0;
    return 0;
}

static int trial_run(trial *tr, char **runs, char **checks, bool keep,
                     GError **err)
{
    g_autoptr(ds_manifest) before = NULL;
    g_autoptr(ds_transport) t = NULL;
    g_autofree char *source = lab_source(tr->hc);
    g_autofree char *run_id = ds_snapshot_run_id_new();
    g_autofree char *desc = NULL;
    g_autofree char *why = NULL;
    g_autoptr(GError) step_err = NULL;
    g_autoptr(ds_snapshot) snap = NULL;
    ds_transport_options topts = {.host = tr->host,
                                  .libvirt_uri = lab_uri_of(tr->cfg, tr->hc)};
    int rc, step_rc = 0;

    if ((rc = ds_collect_one(&before, tr->cfg, tr->hc, source, DS_ROLE_LAB,
                             err)) < 0)
        return ds_error_prefix(err, rc, "before the trial: ");
    if ((rc = ds_snapshot_mode_from_string(&tr->mode, tr->cfg->snapshots,
                                           err)) < 0 ||
        (rc = ds_snapshot_choose_mode(&tr->mode, &why, tr->dom, tr->mode,
                                      err)) < 0)
        return rc;
    tr->snapshot = ds_snapshot_name_for_run(run_id);
    desc = g_strdup_printf("driftsync trial on %s: %s", tr->host, runs[0]);
    if ((rc = ds_snapshot_create(&snap, tr->dom, tr->snapshot, desc,
                                 tr->mode, err)) < 0)
        return rc;
    ds_cli_info(tr->cli, "%s: snapshot %s of lab %s (%s: %s)", tr->host,
                tr->snapshot, tr->hc->lab, ds_snapshot_mode_to_string(tr->mode),
                why);

    /* The candidate change, then the checks; stop at the first failure. */
    step_rc = ds_transport_open(&t, source, &topts, &step_err);
    tr->passed = step_rc == 0;
    for (int pass = 0; pass < 2 && tr->passed; pass++) {
        char **cmds = pass ? checks : runs;

        for (int i = 0; cmds[i] && tr->passed; i++) {
            trial_step *s = g_new0(trial_step, 1);

            s->what = pass ? "check" : "run";
            s->command = cmds[i];
            s->status = -1;
            g_ptr_array_add(tr->steps, s);
            step_rc = run_step(s, t, &step_err);
            tr->passed = step_rc == 0 && s->status == 0;
            ds_cli_verbose(tr->cli, "%s: %s `%s`: exit %d", tr->host, s->what,
                           s->command, s->status);
        }
    }
    g_clear_pointer(&t, ds_transport_free);

    if (keep) {
        tr->kept = true;
    } else if ((rc = revert_and_verify(tr, before, err)) < 0) {
        return ds_error_prefix(err, rc,
                               "the lab may keep the trial's changes; revert "
                               "it with `driftsync snapshot revert %s %s`: ",
                               tr->host, tr->snapshot);
    } else if (tr->verified) {
        /* The trial's snapshot has served its purpose. */
        if ((rc = ds_snapshot_delete(tr->dom, tr->snapshot, err)) < 0)
            return rc;
    }
    if (step_rc < 0) {
        g_propagate_error(err, g_steal_pointer(&step_err));
        return step_rc;
    }
    return 0;
}

static void report(trial *tr)
{
    if (tr->cli->json) {
        json_t *steps = json_array();
        json_t *residue = json_array();
        json_t *doc;

        for (guint i = 0; i < tr->steps->len; i++)
            json_array_append_new(steps, step_json(tr->steps->pdata[i]));
        for (guint i = 0; tr->residue && i < tr->residue->len; i++)
            json_array_append_new(residue,
                                  ds_change_to_json(tr->residue->pdata[i]));
        doc = json_pack("{s:s, s:s, s:s?, s:s, s:o, s:b, s:b, s:b, s:b, s:o}",
                        "host", tr->host, "domain", tr->hc->lab, "snapshot",
                        tr->snapshot, "mode",
                        ds_snapshot_mode_to_string(tr->mode), "steps", steps,
                        "passed", tr->passed, "reverted", tr->reverted,
                        "verified", tr->verified, "kept", tr->kept,
                        "residue", residue);
        ds_cli_print_json(doc);
        json_decref(doc);
        return;
    }
    for (guint i = 0; i < tr->steps->len; i++) {
        const trial_step *s = tr->steps->pdata[i];
        bool ok = s->status == 0;

        printf("%s%-4s%s %-5s %s\n",
               ds_cli_colour(tr->cli, ok ? "green" : "red"),
               ok ? "ok" : "FAIL", ds_cli_colour(tr->cli, "reset"), s->what,
               s->command);
        if (!ok && s->err && *s->err)
            printf("      %s", s->err);
        if (!ok && s->err && *s->err && s->err[strlen(s->err) - 1] != '\n')
            putchar('\n');
    }
    printf("%s: trial %s\n", tr->host, tr->passed ? "passed" : "failed");
    if (tr->kept)
        printf("%s: lab %s keeps the change; undo it with `driftsync "
               "snapshot revert %s %s`\n",
               tr->host, tr->hc->lab, tr->host, tr->snapshot);
    else if (tr->verified)
        printf("%s: lab %s reverted and verified\n", tr->host, tr->hc->lab);
    else if (tr->reverted)
        for (guint i = 0; tr->residue && i < tr->residue->len; i++) {
            g_autofree char *d = ds_change_describe(tr->residue->pdata[i]);

            printf("%s: still differs after the revert: %s\n", tr->host, d);
        }
}

static int exec_trial(ds_cli *cli, int argc, char **argv)
{
    g_auto(GStrv) runs = NULL;
    g_auto(GStrv) applies = NULL;
    g_auto(GStrv) checks = NULL;
    gboolean keep = FALSE;
    GOptionEntry entries[] = {
        {"run", 'r', 0, G_OPTION_ARG_STRING_ARRAY, &runs,
         "the candidate change: a shell command run in the guest "
         "(repeatable)", "CMD"},
        {"apply", 'a', 0, G_OPTION_ARG_STRING_ARRAY, &applies,
         "the same as --run", "CMD"},
        {"check", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &checks,
         "a check run in the guest afterwards; exit 0 passes (repeatable)",
         "CMD"},
        {"keep", 'k', 0, G_OPTION_ARG_NONE, &keep,
         "keep the lab as the trial left it (and the snapshot)", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    g_autoptr(ds_config) cfg = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) all_runs = g_ptr_array_new();
    trial tr = {.cli = cli};
    int exit_code = DS_EXIT_OK;

    if (!ds_cli_parse(cli, &ds_cmd_trial_entry, entries, &argc, &argv,
                      &exit_code))
        return exit_code;
    for (int i = 0; runs && runs[i]; i++)
        g_ptr_array_add(all_runs, runs[i]);
    for (int i = 0; applies && applies[i]; i++)
        g_ptr_array_add(all_runs, applies[i]);
    g_ptr_array_add(all_runs, NULL);
    if (argc != 2 || all_runs->len < 2 || !checks || !checks[0]) {
        ds_cli_error(cli, "trial: usage: driftsync trial HOST --run CMD "
                          "--check CMD [--keep]");
        return DS_EXIT_ERROR;
    }
    tr.host = argv[1];
    if (!(cfg = ds_cli_config(cli)))
        return DS_EXIT_ERROR;
    tr.cfg = cfg;
    if (!(tr.hc = ds_config_find_host(cfg, tr.host))) {
        ds_cli_error(cli, "%s: no [host %s] in %s", tr.host, tr.host,
                     cfg->filename ? cfg->filename : "the configuration");
        return DS_EXIT_ERROR;
    }
    if (!tr.hc->lab) {
        ds_cli_error(cli, "%s: the host has no lab domain (set lab = DOMAIN "
                          "in [host %s])", tr.host, tr.host);
        return DS_EXIT_ERROR;
    }
    /* The lab is reached through the guest agent (taken already when
     * main registered it). */
    ds_transport_register(&ds_transport_agent_ops);
    tr.steps = g_ptr_array_new_with_free_func((GDestroyNotify)trial_step_free);
    if (ds_lab_open(&tr.lab, lab_uri_of(cfg, tr.hc), &err) < 0 ||
        ds_lab_domain(&tr.dom, tr.lab, tr.hc->lab, &err) < 0 ||
        trial_run(&tr, (char **)all_runs->pdata, checks, keep, &err) < 0) {
        ds_cli_error(cli, "%s: %s", tr.host, err->message);
        exit_code = DS_EXIT_ERROR;
    } else if (!tr.kept && !tr.verified) {
        report(&tr);
        ds_cli_error(cli, "%s: the lab still differs after reverting to %s",
                     tr.host, tr.snapshot);
        exit_code = DS_EXIT_ERROR;
    } else {
        report(&tr);
        exit_code = tr.passed ? DS_EXIT_OK : DS_EXIT_DIFF;
    }
    if (tr.residue)
        g_ptr_array_unref(tr.residue);
    g_ptr_array_unref(tr.steps);
    g_free(tr.snapshot);
    if (tr.dom)
        virDomainFree(tr.dom);
    ds_lab_free(tr.lab);
    return exit_code;
}

const ds_cmd_entry ds_cmd_trial_entry = {
    .name = "trial",
    .args = "HOST --run CMD --check CMD [--keep]",
    .summary = "try a change on the lab VM behind a snapshot, check, revert",
    .exec = exec_trial,
};
