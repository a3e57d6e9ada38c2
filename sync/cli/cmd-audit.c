/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/cmd-audit.c: `driftsync audit`: the command line of an audit
 * run (sync/jobs/audit-run.c) and its rendering: host by host, the
 * packages below an expected version, reboots and restarts pending, and
 * prod drift since the last sync; human or --json, and with [notify]
 * audit a summary POSTed to the webhook. */
#include <config.h>

#include <jansson.h>
#include <string.h>

#include "manifests/store-bundle.h"
#include "manifests/util/error.h"
#include "manifests/util/run-id.h"
#include "manifests/util/signals.h"
#include "manifests/store.h"
#include "sync/jobs/audit-run.h"
#include "sync/cli/cmd.h"
#include "sync/output/publish.h"

/* Restart findings of one unit (or one unit-less pid) on one line. */
static void print_restarts(ds_cli *cli, const ds_audit_host *h, const char *red,
                           const char *reset)
{
    g_autoptr(GHashTable) done = g_hash_table_new(NULL, NULL);

    for (guint i = 0; i < h->findings->len; i++) {
        const ds_audit_finding *f = h->findings->pdata[i];
        g_autoptr(GString) pids = g_string_new(NULL);
        g_autoptr(GString) paths = g_string_new(NULL);
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
        g_autoptr(GHashTable) seen_pid = g_hash_table_new(NULL, NULL);

        if (f->kind != DS_AUDIT_RESTART || g_hash_table_contains(done, f))
            continue;
        for (guint j = i; j < h->findings->len; j++) {
            const ds_audit_finding *g = h->findings->pdata[j];

            if (g->kind != DS_AUDIT_RESTART ||
                (f->unit ? g_strcmp0(g->unit, f->unit) != 0
                         : (g->unit || g->pid != f->pid)))
                continue;
            g_hash_table_add(done, (gpointer)g);
            if (g_hash_table_add(seen_pid, GSIZE_TO_POINTER((gsize)g->pid)))
                g_string_append_printf(pids, "%s%" G_GINT64_FORMAT,
                                       pids->len ? " " : "", g->pid);
            if (g_hash_table_add(seen, g->path))
                g_string_append_printf(paths, "%s%s", paths->len ? ", " : "",
                                       g->path);
        }
        if (f->unit)
            ds_cli_printf(cli, "  %srestart%s: %s (pid %s): %s\n", red, reset,
                          f->unit, pids->str, paths->str);
        else
            ds_cli_printf(cli, "  %srestart%s: pid %s: %s\n", red, reset,
                          pids->str, paths->str);
    }
}

static void print_human(ds_cli *cli, const ds_audit_run *r)
{
    const char *bold = ds_cli_colour(cli, "bold");
    const char *red = ds_cli_colour(cli, "red");
    const char *green = ds_cli_colour(cli, "green");
    const char *reset = ds_cli_colour(cli, "reset");

    for (guint i = 0; i < r->hosts->len; i++) {
        const ds_audit_host *h = r->hosts->pdata[i];
        guint n = h->findings->len;

        if (!h->audited)
            continue;
        ds_cli_printf(cli, "%s%s%s (%s): ", bold, h->hc->name, reset,
                      ds_role_name(r->role));
        if (h->error)
            ds_cli_printf(cli, "%serror%s: %s\n", red, reset,
                          h->error->message);
        else if (n == 0)
            ds_cli_printf(cli, "%sclean%s\n", green, reset);
        else
            ds_cli_printf(cli, "%u finding%s\n", n, n == 1 ? "" : "s");
        for (guint j = 0; j < n; j++) {
            const ds_audit_finding *f = h->findings->pdata[j];
            if (f->kind != DS_AUDIT_RESTART)
                ds_cli_printf(cli, "  %s%s%s: %s\n", red,
                              ds_audit_kind_name(f->kind), reset, f->detail);
        }
        print_restarts(cli, h, red, reset);
    }
}

/* --bundle NAME: the store's bundle as the expectation (the store stays
 * open for the rest of the audit). */
static int bundle_expect(ds_audit_expect **out, ds_store **st, ds_cli *cli,
                         const ds_config *cfg, const char *name)
{
    g_autoptr(ds_bundle) b = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *origin = g_strdup_printf("bundle %s", name);
    int code = ds_cli_open_store(st, cli, cfg);

    if (code != DS_EXIT_OK)
        return code;
    if (ds_store_bundle_read(&b, *st, NULL, name, &err) < 0 ||
        ds_audit_expect_from_bundle(out, b, origin, &err) < 0) {
        ds_cli_error(cli, "audit: %s", err->message);
        return DS_EXIT_ERROR;
    }
    return DS_EXIT_OK;
}

/* Longer than a verb should be only by its option table and the checks
 * of how the options combine: the run itself is in sync/jobs/audit-run.c. */
static int cmd_audit(ds_cli *cli, int argc, char **argv)
{
    gboolean lab = FALSE, stored = FALSE;
    g_autofree char *expect_file = NULL, *like = NULL, *bundle = NULL;
    GOptionEntry entries[] = {
        {"lab", 0, 0, G_OPTION_ARG_NONE, &lab,
         "Audit the hosts' lab VMs instead of production", NULL},
        {"bundle", 'b', 0, G_OPTION_ARG_STRING, &bundle,
         "Versions expected: the stored bundle NAME (driftsync bundle list)",
         "NAME"},
        {"expect", 'e', 0, G_OPTION_ARG_FILENAME, &expect_file,
         "Versions expected: a patch bundle (JSON or name=version lines)",
         "FILE"},
        {"like", 0, 0, G_OPTION_ARG_STRING, &like,
         "Expect the newest versions seen among the hosts of GROUP", "GROUP"},
        {"stored", 0, 0, G_OPTION_ARG_NONE, &stored,
         "Audit the store's manifests instead of collecting (no process "
         "check; the reboot flag as recorded)",
         NULL},
        {NULL}};
    g_autoptr(ds_config) cfg = NULL;
    g_autoptr(ds_audit_expect) expect = NULL;
    g_autoptr(ds_audit_expect) expect_rpm = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(ds_audit_run) r = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *generated = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    g_autofree char *run_id = ds_run_id_new();
    json_t *doc, *notified;
    bool failed = false, found = false;
    int code = DS_EXIT_OK;

    if (!ds_cli_parse(cli, &ds_cmd_audit_entry, entries, &argc, &argv, &code))
        return code;
    if (bundle && !ds_name_is_safe_host(bundle)) {
        ds_cli_error(cli, "audit: --bundle: '%s' is not a bundle name",
                     bundle);
        return DS_EXIT_ERROR;
    }
    if (!!expect_file + !!like + !!bundle > 1) {
        ds_cli_error(cli, "audit: --expect, --bundle and --like exclude each "
                          "other");
        return DS_EXIT_ERROR;
    }
    if (like && !ds_name_is_safe_host(like)) {
        ds_cli_error(cli, "audit: --like: '%s' is not a group name", like);
        return DS_EXIT_ERROR;
    }
    if (expect_file && ds_audit_expect_load(&expect, expect_file, &err) < 0) {
        ds_cli_error(cli, "audit: %s", err->message);
        return DS_EXIT_ERROR;
    }
    if (!(cfg = ds_cli_config(cli)))
        return DS_EXIT_ERROR;
    r = ds_audit_run_new(cfg, lab ? DS_ROLE_LAB : DS_ROLE_PROD, stored);
    r->log = ds_cli_log(cli);
    if (ds_audit_run_choose(r, argv + 1, argc - 1, like, &err) < 0) {
        ds_cli_error(cli, "audit: %s", err->message);
        return DS_EXIT_ERROR;
    }
    /* The store: for --stored, and for prod drift of hosts with a lab. */
    if (bundle && (code = bundle_expect(&expect, &st, cli, cfg, bundle)) !=
                      DS_EXIT_OK)
        return code;
    r->st = st;
    if (!st && ds_audit_run_needs_store(r)) {
        if ((code = ds_cli_open_store(&st, cli, cfg)) != DS_EXIT_OK)
            return code;
        r->st = st;
    }
    if (ds_audit_run_read(r, &err) < 0) {
        ds_cli_error_gerror(cli, err);
        return DS_EXIT_ERROR;
    }
    if (like) { /* each platform's newest, by its own order */
        expect = ds_audit_run_newest(r, like, false);
        expect_rpm = ds_audit_run_newest(r, like, true);
    }
    for (guint i = 0; i < r->hosts->len; i++) {
        ds_audit_host *h = r->hosts->pdata[i];

        if (!h->audited && h->error) {
            /* A reference host of --like that failed: the newest versions
             * may be wrong, which is an error of the run. */
            ds_cli_error_gerror(cli, h->error);
            failed = true;
        }
        if (!h->audited)
            continue;
        if (h->manifest)
            ds_audit_run_host(r, h,
                              expect_rpm && ds_manifest_is_rpm(h->manifest)
                                  ? expect_rpm
                                  : expect);
        if (h->error) {
            ds_cli_error_gerror(cli, h->error);
            failed = true;
        }
        found = found || h->findings->len > 0;
    }
    doc = ds_audit_run_json(r, run_id, generated);
    if (!cli->json)
        print_human(cli, r);
    g_clear_error(&err);
    if (ds_audit_run_save(r, doc, &err) < 0) {
        ds_cli_error(cli, "audit: could not write the result: %s",
                     err->message);
        failed = true;
    }
    code = failed ? DS_EXIT_ERROR : found ? DS_EXIT_DIFF : DS_EXIT_OK;
    notified = ds_publish_audit(cfg, r->role, doc, code, &ds_signals_caught,
                                &r->log);
    if (notified)
        json_object_set_new(doc, "notify", notified);
    if (cli->json)
        ds_cli_print_json(doc);
    json_decref(doc);
    return code;
}

const ds_cmd_entry ds_cmd_audit_entry = {
    .name = "audit",
    .args = "[--lab] [--expect FILE | --bundle NAME | --like GROUP] "
            "[--stored] [HOST...]",
    .summary = "Say, host by host, which packages are below the expected "
               "version, and which reboots and restarts are pending "
               "(exit 1 on findings).",
    .exec = cmd_audit,
};
