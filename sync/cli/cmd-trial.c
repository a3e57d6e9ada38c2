/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/cmd-trial.c: `driftsync trial HOST`: the command line of a trial
 * run (what to install, copy, run and check), the input checks done
 * before anything touches the lab, and the result: JSON in the state
 * directory (and on stdout with --json) and a human summary. */
#include <config.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "drivers/transport-agent.h"
#include "manifests/diff.h"
#include "manifests/util/error.h"
#include "manifests/version.h"
#include "sync/jobs/trial-guard.h"
#include "sync/jobs/trial.h"


#define TRIAL_USAGE                                                          \
    "HOST (--install PKG=VERSION | --deb FILE | --run CMD)... --check CMD " \
    "[--keep] [--timeout SECONDS]"
#define TRIAL_DEB_MAX (256u * 1024 * 1024)

/* PKG=VERSION: a Debian package name and a version, nothing else. */
static bool install_is_valid(const char *spec, char **why)
{
    const char *eq = strchr(spec, '=');
    g_autofree char *name = eq ? g_strndup(spec, (gsize)(eq - spec)) : NULL;

    if (!eq) {
        *why = g_strdup("expected PKG=VERSION");
        return false;
    }
    if (!ds_name_is_safe_package(name)) {
        *why = g_strdup_printf("%s is not a package name", name);
        return false;
    }
    if (!ds_version_is_valid(eq + 1) || eq[1] == '-' || strlen(eq + 1) > 256) {
        *why = g_strdup_printf("%s is not a Debian version", eq + 1);
        return false;
    }
    return true;
}

/* A file name that can go into the guest as it is. */
static bool deb_name_is_safe(const char *base)
{
    size_t n = strlen(base);

    if (n < 5 || n > 200 || !g_str_has_suffix(base, ".deb") ||
        base[0] == '.' || base[0] == '-')
        return false;
    for (const char *p = base; *p; p++)
        if (!g_ascii_isalnum(*p) && !strchr("._+~-", *p))
            return false;
    return true;
}

static ds_trial_deb *deb_load(const ds_trial *tr, const char *path,
                              GError **err)
{
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *data = NULL;
    gsize len = 0;
    ds_trial_deb *d;

    if (!deb_name_is_safe(base)) {
        ds_error_set(err, DS_EINVALID,
                     "--deb %s: the file name must end in .deb and use only "
                     "letters, digits and ._+~- (rename it)", path);
        return NULL;
    }
    if (!g_file_get_contents(path, &data, &len, err)) {
        g_prefix_error(err, "--deb: ");
        return NULL;
    }
    if (len > TRIAL_DEB_MAX || len < 8 + 60 + 14 ||
        memcmp(data, "!<arch>\ndebian-binary", 21)) {
        ds_error_set(err, DS_EINVALID, "--deb %s: not a Debian package "
                     "(.deb) file", path);
        return NULL;
    }
    d = g_new0(ds_trial_deb, 1);
    d->path = g_filename_display_name(path); /* shown, and in JSON */
    d->guest = g_strdup_printf("/var/tmp/driftsync-trial-%s/%s", tr->run_id,
                               base);
    d->data = g_bytes_new_take(g_steal_pointer(&data), len);
    return d;
}

static json_t *step_json(const ds_trial_step *s)
{
    json_t *argv = json_array();

    for (int i = 0; s->argv && s->argv[i]; i++)
        json_array_append_new(argv, json_string(s->argv[i]));
    return json_pack("{s:s, s:s, s:o, s:i, s:b, s:s?, s:s?, s:f}", "step",
                     s->what, "command", s->command, "argv", argv, "status",
                     s->status, "ran", s->status >= 0, "stdout", s->out,
                     "stderr", s->err, "seconds", s->seconds);
}

static char *iso_time(gint64 us)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(us / 1000000);

    return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("?");
}

static json_t *strings_json(GPtrArray *a, bool debs)
{
    json_t *arr = json_array();

    for (guint i = 0; a && i < a->len; i++)
        json_array_append_new(
            arr, json_string(debs ? ((ds_trial_deb *)a->pdata[i])->path
                                  : (const char *)a->pdata[i]));
    return arr;
}

static json_t *result_json(const ds_trial *tr, char **runs, char **checks)
{
    json_t *steps = json_array(), *residue = json_array();
    json_t *jruns = json_array(), *jchecks = json_array();
    g_autofree char *started = iso_time(tr->started);
    g_autofree char *finished = iso_time(tr->finished);
    g_autofree char *advice = NULL;

    for (guint i = 0; i < tr->steps->len; i++)
        json_array_append_new(steps, step_json(tr->steps->pdata[i]));
    for (guint i = 0; tr->residue && i < tr->residue->len; i++)
        json_array_append_new(residue, ds_change_to_json(tr->residue->pdata[i]));
    for (int i = 0; runs && runs[i]; i++)
        json_array_append_new(jruns, json_string(runs[i]));
    for (int i = 0; checks && checks[i]; i++)
        json_array_append_new(jchecks, json_string(checks[i]));
    if (tr->snapshot && !tr->deleted && (tr->kept || !tr->verified))
        advice = g_strdup_printf("driftsync snapshot revert %s %s", tr->host,
                                 tr->snapshot);
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:f,"
        " s:{s:o, s:o, s:o}, s:o, s:o, s:b, s:b, s:b, s:b, s:b, s:b, s:b,"
        " s:b, s:s?, s:o, s:s?, s:s?}",
        "schema", "driftsync/trial/v1", "run", tr->run_id, "host", tr->host,
        "domain", tr->hc->lab, "uri", tr->uri, "snapshot", tr->snapshot,
        "mode", ds_snapshot_mode_to_string(tr->mode), "started_at", started,
        "finished_at", finished, "seconds",
        (double)(tr->finished - tr->started) / 1e6, "change", "install",
        strings_json(tr->installs, false), "deb", strings_json(tr->debs, true),
        "run", jruns, "checks", jchecks, "steps", steps, "passed", tr->passed,
        "change_ok", tr->change_ok, "reverted", tr->reverted, "verified",
        tr->verified, "kept", tr->kept, "snapshot_deleted", tr->deleted,
        "interrupted", tr->interrupted, "guest_lost", tr->lost, "lost_why",
        tr->lost_why, "residue", residue, "error", tr->error, "revert_with",
        advice);
}

/* [store] state/trials/RUN.json, written whole or not at all. */
static int save_result(char **path, const ds_trial *tr, json_t *doc,
                       GError **err)
{
    g_autofree char *dir = g_build_filename(tr->cfg->state_dir, "trials",
                                            NULL);
    g_autofree char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
    g_autofree char *body = g_strconcat(text ? text : "{}", "\n", NULL);

    *path = g_strdup_printf("%s/%s.json", dir, tr->run_id);
    if (g_mkdir_with_parents(dir, 0700) < 0)
        return ds_error_set(err, DS_EGENERIC, "cannot create %s: %s", dir,
                            g_strerror(errno));
    if (!g_file_set_contents_full(*path, body, -1,
                                  G_FILE_SET_CONTENTS_CONSISTENT |
                                      G_FILE_SET_CONTENTS_DURABLE,
                                  0600, err))
        return ds_error_prefix(err, DS_EGENERIC, "trial result: ");
    return 0;
}

static void report(const ds_trial *tr, const char *saved)
{
    ds_cli *cli = tr->cli;

    for (guint i = 0; i < tr->steps->len; i++) {
        const ds_trial_step *s = tr->steps->pdata[i];
        bool ok = s->status == 0;
        const char *mark = s->status < 0 ? "-" : ok ? "ok" : "FAIL";

        printf("%s%-4s%s %-7s %s", ds_cli_colour(cli, ok ? "green" : "red"),
               mark, ds_cli_colour(cli, "reset"), s->what, s->command);
        if (s->status > 0)
            printf("  (exit %d)", s->status);
        else if (s->status < 0)
            printf("  (not run)");
        putchar('\n');
        if (s->status > 0 && s->err && *s->err)
            printf("      %s%s", s->err,
                   s->err[strlen(s->err) - 1] != '\n' ? "\n" : "");
    }
    if (tr->snapshot && !tr->error)
        printf("%s: trial %s\n", tr->host, tr->passed ? "passed" : "failed");
    if (tr->kept)
        printf("%s: lab %s keeps the change; undo it with `driftsync "
               "snapshot revert %s %s`\n",
               tr->host, tr->hc->lab, tr->host, tr->snapshot);
    else if (tr->verified)
        printf("%s: lab %s reverted and verified\n", tr->host, tr->hc->lab);
    for (guint i = 0; tr->reverted && tr->residue && i < tr->residue->len;
         i++) {
        g_autofree char *d = ds_change_describe(tr->residue->pdata[i]);

        printf("%s: still differs after the revert: %s\n", tr->host, d);
    }
    if (saved)
        ds_cli_info(cli, "%s: result in %s", tr->host, saved);
}

static void trial_clear(ds_trial *tr)
{
    g_free(tr->run_id);
    g_free(tr->uri);
    g_free(tr->source);
    g_free(tr->snapshot);
    g_free(tr->mode_why);
    g_free(tr->lost_why);
    g_free(tr->error);
    if (tr->installs)
        g_ptr_array_unref(tr->installs);
    if (tr->debs)
        g_ptr_array_unref(tr->debs);
    if (tr->steps)
        g_ptr_array_unref(tr->steps);
    if (tr->residue)
        g_ptr_array_unref(tr->residue);
    if (tr->dom)
        virDomainFree(tr->dom);
    ds_lab_free(tr->lab);
}

static int usage(ds_cli *cli, const char *why)
{
    ds_cli_error(cli, "trial: %s; usage: driftsync trial " TRIAL_USAGE, why);
    return DS_EXIT_ERROR;
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
    g_autofree char *saved = NULL;
    ds_trial tr = {.cli = cli};
    int exit_code = DS_EXIT_OK, rc;
    json_t *doc;

    if (!ds_cli_parse(cli, &ds_cmd_trial_entry, entries, &argc, &argv,
                      &exit_code))
        return exit_code;
    for (int i = 0; runs && runs[i]; i++)
        g_ptr_array_add(all_runs, runs[i]);
    for (int i = 0; applies && applies[i]; i++)
        g_ptr_array_add(all_runs, applies[i]);
    g_ptr_array_add(all_runs, NULL);
    if (argc != 2)
        return usage(cli, argc < 2 ? "no host" : "one host at a time");
    if (all_runs->len < 2 && !installs && !debs)
        return usage(cli, "no change (--install, --deb or --run)");
    if (!checks || !checks[0])
        return usage(cli, "no --check");
    for (guint i = 0; i + 1 < all_runs->len; i++)
        if (!g_utf8_validate(all_runs->pdata[i], -1, NULL))
            return usage(cli, "a --run command is not UTF-8");
    for (int i = 0; checks[i]; i++)
        if (!g_utf8_validate(checks[i], -1, NULL))
            return usage(cli, "a --check command is not UTF-8");
    if (timeout_s < 0 || timeout_s > 24 * 3600)
        return usage(cli, "--timeout takes 1 to 86400 seconds");
    tr.host = argv[1];
    tr.run_id = ds_snapshot_run_id_new();
    tr.keep = keep;
    tr.timeout_ms = timeout_s * 1000;
    tr.installs = g_ptr_array_new_with_free_func(g_free);
    tr.debs = g_ptr_array_new_with_free_func((GDestroyNotify)ds_trial_deb_free);
    tr.steps = g_ptr_array_new_with_free_func((GDestroyNotify)ds_trial_step_free);
    for (int i = 0; installs && installs[i]; i++) {
        g_autofree char *why = NULL;

        if (!install_is_valid(installs[i], &why)) {
            ds_cli_error(cli, "%s: --install %s: %s", tr.host, installs[i],
                         why);
            trial_clear(&tr);
            return DS_EXIT_ERROR;
        }
        g_ptr_array_add(tr.installs, g_strdup(installs[i]));
    }
    for (int i = 0; debs && debs[i]; i++) {
        ds_trial_deb *d = deb_load(&tr, debs[i], &err);

        if (!d) {
            ds_cli_error(cli, "%s: %s", tr.host, err->message);
            trial_clear(&tr);
            return DS_EXIT_ERROR;
        }
        g_ptr_array_add(tr.debs, d);
    }
    if (!(cfg = ds_cli_config(cli))) {
        trial_clear(&tr);
        return DS_EXIT_ERROR;
    }
    tr.cfg = cfg;
    if (!(tr.hc = ds_config_find_host(cfg, tr.host))) {
        ds_cli_error(cli, "%s: no [host %s] in %s", tr.host, tr.host,
                     cfg->filename ? cfg->filename : "the configuration");
        trial_clear(&tr);
        return DS_EXIT_ERROR;
    }
    if (!tr.hc->lab) {
        ds_cli_error(cli, "%s: the host has no lab domain (set lab = DOMAIN "
                          "in [host %s])", tr.host, tr.host);
        trial_clear(&tr);
        return DS_EXIT_ERROR;
    }
    if (tr.hc->lab_access && strcmp(tr.hc->lab_access, "agent")) {
        ds_cli_error(cli, "%s: a trial reaches its lab through the guest "
                     "agent; lab-access = %s is not supported", tr.host,
                     tr.hc->lab_access);
        trial_clear(&tr);
        return DS_EXIT_ERROR;
    }
    tr.uri = g_strdup(tr.hc->lab_uri ? tr.hc->lab_uri : cfg->lab_uri);
    tr.source = g_strdup_printf("agent:%s", tr.hc->lab);
    /* The lab is reached through the guest agent (taken already when
     * main registered it). */
    ds_transport_register(&ds_transport_agent_ops);
    if (ds_lab_open(&tr.lab, tr.uri, &err) < 0 ||
        ds_lab_domain(&tr.dom, tr.lab, tr.hc->lab, &err) < 0) {
        ds_cli_error(cli, "%s: %s", tr.host, err->message);
        trial_clear(&tr);
        return DS_EXIT_ERROR;
    }

    ds_guard_signals_install();
    tr.started = g_get_real_time();
    rc = ds_trial_run(&tr, (char **)all_runs->pdata, checks);
    tr.finished = g_get_real_time();
    ds_guard_signals_restore();

    if (tr.snapshot) {
        /* A trial took place: its record, whatever became of it. */
        doc = result_json(&tr, (char **)all_runs->pdata, checks);
        if (!doc)
            doc = json_pack("{s:s, s:s, s:s}", "schema",
                            "driftsync/trial/v1", "run", tr.run_id,
                            "error", "the result could not be encoded");
        if (save_result(&saved, &tr, doc, &err) < 0) {
            ds_cli_error(cli, "%s: %s", tr.host, err->message);
            g_clear_pointer(&saved, g_free);
            g_clear_error(&err);
            if (rc == 0)
                rc = DS_EGENERIC;
        }
        if (cli->json)
            ds_cli_print_json(doc);
        else
            report(&tr, saved);
        json_decref(doc);
    }
    if (tr.error)
        ds_cli_error(cli, "%s: %s", tr.host, tr.error);
    if (rc < 0)
        exit_code = DS_EXIT_ERROR;
    else
        exit_code = tr.passed ? DS_EXIT_OK : DS_EXIT_DIFF;

    /* Work abandoned after a signal or a lost guest may still use the
     * configuration: give it a moment, then leave it to exit(). */
    if (tr.leak && !ds_guard_wait_abandoned(40 * 1000)) {
        g_steal_pointer(&cfg);
        return exit_code;
    }
    trial_clear(&tr);
    return exit_code;
}

const ds_cmd_entry ds_cmd_trial_entry = {
    .name = "trial",
    .args = TRIAL_USAGE,
    .summary = "Try a change on the lab VM behind a snapshot, run the checks, revert.",
    .exec = exec_trial,
};
