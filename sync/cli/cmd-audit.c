/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/cmd-audit.c: `driftsync audit`: host by host, the packages below an
 * expected version, reboots and restarts pending, and prod drift since the
 * last sync; human or --json, STATE/audit/latest.json for the report, and
 * with [notify] audit a summary POSTed to the webhook. */
#include <config.h>

#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "drivers/transport.h"
#include "manifests/util/error.h"
#include "manifests/store.h"
#include "sync/jobs/audit.h"
#include "sync/cli/cmd.h"
#include "sync/jobs/collect.h"
#include "sync/output/notify.h"
#include "sync/engine/sync.h"

typedef struct audit_host {
    const ds_host_config *hc;
    bool audited;          /* reported (not only a --like reference) */
    ds_manifest *manifest; /* NULL when it could not be read */
    GError *error;
    GPtrArray *findings; /* ds_audit_finding * */
} audit_host;

typedef struct audit_run {
    ds_cli *cli;
    const ds_config *cfg;
    ds_role role;
    bool stored;
    ds_store *st;
    GPtrArray *hosts; /* audit_host *, audited ones first, in order */
} audit_run;

static void audit_host_free(audit_host *h)
{
    if (!h)
        return;
    ds_manifest_free(h->manifest);
    g_clear_error(&h->error);
    g_ptr_array_unref(h->findings);
    g_free(h);
}

static audit_host *find_or_add(audit_run *r, const ds_host_config *hc)
{
    audit_host *h;

    for (guint i = 0; i < r->hosts->len; i++) {
        h = r->hosts->pdata[i];
        if (h->hc == hc)
            return h;
    }
    h = g_new0(audit_host, 1);
    h->hc = hc;
    h->findings =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_audit_finding_free);
    g_ptr_array_add(r->hosts, h);
    return h;
}

static bool in_group(const ds_host_config *hc, const char *group)
{
    for (guint i = 0; hc->groups && hc->groups[i]; i++)
        if (strcmp(hc->groups[i], group) == 0)
            return true;
    return false;
}

static char *host_source(const audit_run *r, const ds_host_config *hc)
{
    if (r->role == DS_ROLE_PROD)
        return g_strdup(hc->source);
    if (!hc->lab_access || !strcmp(hc->lab_access, "agent"))
        return g_strdup_printf("agent:%s", hc->lab);
    return g_strdup(hc->lab_access);
}

/* Every host's manifest: collected live (in parallel) or read from the
 * store's HEAD. */
static int read_manifests(audit_run *r, GError **err)
{
    const ds_config *cfg = r->cfg;
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    g_autoptr(GPtrArray) results = NULL;
    int rc;

    for (guint i = 0; i < r->hosts->len; i++) {
        audit_host *h = r->hosts->pdata[i];
        if (r->stored) {
            rc = ds_store_read(&h->manifest, r->st, "HEAD", r->role,
                               h->hc->name, &h->error);
            if (rc == DS_ENOTFOUND) {
                g_clear_error(&h->error);
                ds_error_set(&h->error, rc, "%s: no %s manifest in the store",
                             h->hc->name, ds_role_name(r->role));
            }
        } else {
            g_ptr_array_add(names, h->hc->name);
        }
    }
    if (r->stored)
        return 0;
    g_ptr_array_add(names, NULL);
    rc = ds_collect_hosts(
        &results, cfg, (const char *const *)names->pdata, r->role,
        r->role == DS_ROLE_LAB ? cfg->lab_parallel : cfg->record_parallel, NULL,
        NULL, err);
    if (rc < 0)
        return rc;
    for (guint i = 0; i < results->len; i++) {
        ds_collect_result *cr = results->pdata[i];
        audit_host *h = r->hosts->pdata[i];

        h->manifest = g_steal_pointer(&cr->manifest);
        h->error = g_steal_pointer(&cr->error);
    }
    return 0;
}

/* What only a running host can tell: the reboot flag file and the
 * processes.  A root directory runs nothing; an https source is a
 * manifest, not a host. */
static int check_live(audit_run *r, audit_host *h, GError **err)
{
    g_autofree char *uri = host_source(r, h->hc);
    g_autoptr(ds_transport) t = NULL;
    ds_transport_options o;
    int rc;

    if (!uri)
        return 0;
    ds_collect_transport_options(&o, r->cfg, h->hc, h->hc->name);
    if (g_str_has_prefix(uri, "https:") || g_str_has_prefix(uri, "http:")) {
        ds_cli_verbose(r->cli,
                       "%s: a manifest source: reboot flag and "
                       "processes not checked",
                       h->hc->name);
        return 0;
    }
    rc = ds_transport_open(&t, uri, &o, err);
    if (rc < 0)
        return rc;
    rc = ds_audit_check_reboot_flag(h->findings, t, h->hc->name, err);
    if (rc < 0)
        return rc;
    if (ds_transport_root(t)) {
        ds_cli_verbose(r->cli, "%s: a root directory runs no processes",
                       h->hc->name);
        return 0;
    }
    return ds_audit_check_restart(h->findings, t, h->hc->name, err);
}

static void audit_one(audit_run *r, audit_host *h,
                      const ds_audit_expect *expect)
{
    g_autofree char *uri = host_source(r, h->hc);
    /* The reboot flag file is read live, but for a manifest source. */
    bool flag_read = !r->stored && uri && !g_str_has_prefix(uri, "https:") &&
                     !g_str_has_prefix(uri, "http:");
    int rc = 0;

    if (expect)
        ds_audit_check_missing(h->findings, h->manifest, expect);
    ds_audit_check_kernel(h->findings, h->manifest, flag_read);
    if (!r->stored)
        rc = check_live(r, h, &h->error);
    if (rc == 0 && r->role == DS_ROLE_PROD && h->hc->lab && r->st)
        rc = ds_audit_check_drift(h->findings, r->st, h->manifest,
                                  r->cfg->ignore, &h->error);
    if (rc < 0 && h->error && !g_str_has_prefix(h->error->message, h->hc->name))
        g_prefix_error(&h->error, "%s: ", h->hc->name);
}

static json_t *finding_json(const ds_audit_finding *f)
{
    json_t *o = json_pack("{s:s, s:s}", "kind", ds_audit_kind_name(f->kind),
                          "detail", f->detail);

    if (f->package)
        json_object_set_new(o, "package", json_string(f->package));
    if (f->have)
        json_object_set_new(o, "have", json_string(f->have));
    if (f->want)
        json_object_set_new(o, "want", json_string(f->want));
    if (f->pid)
        json_object_set_new(o, "pid", json_integer(f->pid));
    if (f->unit)
        json_object_set_new(o, "unit", json_string(f->unit));
    if (f->path)
        json_object_set_new(o, "path", json_string(f->path));
    if (f->packages) {
        json_t *a = json_array();
        for (guint i = 0; i < f->packages->len; i++)
            json_array_append_new(a, json_string(f->packages->pdata[i]));
        json_object_set_new(o, "packages", a);
    }
    return o;
}

static json_t *run_json(const audit_run *r, const char *run_id,
                        const char *generated)
{
    json_t *hosts = json_array();

    for (guint i = 0; i < r->hosts->len; i++) {
        const audit_host *h = r->hosts->pdata[i];
        json_t *fs, *o;

        if (!h->audited)
            continue;
        fs = json_array();
        for (guint j = 0; j < h->findings->len; j++)
            json_array_append_new(fs, finding_json(h->findings->pdata[j]));
        o = json_pack("{s:s, s:s, s:o}", "host", h->hc->name, "role",
                      ds_role_name(r->role), "findings", fs);
        if (h->error)
            json_object_set_new(o, "error", json_string(h->error->message));
        json_array_append_new(hosts, o);
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "schema", DS_AUDIT_SCHEMA,
                     "run_id", run_id, "generated", generated, "source",
                     r->stored ? "store" : "live", "hosts", hosts);
}

/* Restart findings of one unit (or one unit-less pid) on one line. */
static void print_restarts(const audit_host *h, const char *red,
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
            printf("  %srestart%s: %s (pid %s): %s\n", red, reset, f->unit,
                   pids->str, paths->str);
        else
            printf("  %srestart%s: pid %s: %s\n", red, reset, pids->str,
                   paths->str);
    }
}

static void print_human(const audit_run *r)
{
    const char *bold = ds_cli_colour(r->cli, "bold");
    const char *red = ds_cli_colour(r->cli, "red");
    const char *green = ds_cli_colour(r->cli, "green");
    const char *reset = ds_cli_colour(r->cli, "reset");

    for (guint i = 0; i < r->hosts->len; i++) {
        const audit_host *h = r->hosts->pdata[i];
        guint n = h->findings->len;

        if (!h->audited)
            continue;
        printf("%s%s%s (%s): ", bold, h->hc->name, reset,
               ds_role_name(r->role));
        if (h->error)
            printf("%serror%s: %s\n", red, reset, h->error->message);
        else if (n == 0)
            printf("%sclean%s\n", green, reset);
        else
            printf("%u finding%s\n", n, n == 1 ? "" : "s");
        for (guint j = 0; j < n; j++) {
            const ds_audit_finding *f = h->findings->pdata[j];
            if (f->kind != DS_AUDIT_RESTART)
                printf("  %s%s%s: %s\n", red, ds_audit_kind_name(f->kind),
                       reset, f->detail);
        }
        print_restarts(h, red, reset);
    }
}

static int write_latest(const audit_run *r, json_t *doc, GError **err)
{
    g_autofree char *dir = g_build_filename(r->cfg->state_dir, "audit", NULL);
    g_autofree char *path = g_build_filename(dir, "latest.json", NULL);
    g_autofree char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
    g_autofree char *line = g_strconcat(text, "\n", NULL);

    if (g_mkdir_with_parents(dir, 0755) < 0)
        return ds_error_set(err, DS_EGENERIC, "%s: %s", dir, g_strerror(errno));
    return ds_sync_write_atomic(path, line, strlen(line), err);
}

/* [notify] audit: POST the run's summary to the webhook; a failure is one
 * warning and never changes the exit status.  The outcome for --json (a
 * new reference), or NULL when nothing was tried. */
static json_t *notify(ds_cli *cli, const ds_config *cfg, ds_role role,
                      const json_t *doc, int code)
{
    ds_notify_options o;
    ds_notify_result res = {0};
    g_autoptr(GError) err = NULL;
    json_t *payload, *out;

    if (!cfg->notify_audit || !cfg->notify_webhook ||
        !json_array_size(json_object_get(doc, "hosts")))
        return NULL;
    payload = ds_notify_audit_payload(doc, ds_role_name(role), code);
    ds_notify_options_from_config(&o, cfg);
    o.cancel = &ds_cli_cancelled;
    if (ds_notify_post_json(&res, &o, payload, &err) < 0)
        ds_cli_error(cli, "warning: %s", err->message);
    else
        ds_cli_verbose(cli, "audit: notified the webhook (%d attempt%s)",
                       res.attempts, res.attempts == 1 ? "" : "s");
    json_decref(payload);
    out = ds_notify_result_json(&res);
    ds_notify_result_clear(&res);
    return out;
}

/* Which hosts are audited, and which only give --like its reference. */
static int choose_hosts(audit_run *r, char **args, int nargs, const char *like)
{
    const ds_config *cfg = r->cfg;

    for (int i = 0; i < nargs; i++) {
        const ds_host_config *hc = ds_config_find_host(cfg, args[i]);

        if (!hc) {
            ds_cli_error(r->cli, "audit: %s: no such host in %s", args[i],
                         cfg->filename ? cfg->filename : "the configuration");
            return DS_EXIT_ERROR;
        }
        if (r->role == DS_ROLE_LAB && !hc->lab) {
            ds_cli_error(r->cli, "audit: %s: no lab VM configured", args[i]);
            return DS_EXIT_ERROR;
        }
        find_or_add(r, hc)->audited = true;
    }
    for (guint i = 0; i < cfg->hosts->len; i++) {
        const ds_host_config *hc = cfg->hosts->pdata[i];

        if (r->role == DS_ROLE_LAB && !hc->lab)
            continue;
        if (like ? in_group(hc, like) : nargs == 0)
            find_or_add(r, hc)->audited |= nargs == 0;
    }
    if (like) {
        bool any = false;
        for (guint i = 0; i < r->hosts->len; i++)
            any = any || in_group(((audit_host *)r->hosts->pdata[i])->hc, like);
        if (!any) {
            ds_cli_error(r->cli, "audit: no %shost in group '%s'",
                         r->role == DS_ROLE_LAB ? "lab " : "", like);
            return DS_EXIT_ERROR;
        }
    }
    if (!r->hosts->len) {
        ds_cli_error(r->cli, "audit: no %shost configured",
                     r->role == DS_ROLE_LAB ? "lab " : "");
        return DS_EXIT_ERROR;
    }
    return DS_EXIT_OK;
}

static int cmd_audit(ds_cli *cli, int argc, char **argv)
{
    gboolean lab = FALSE, stored = FALSE;
    g_autofree char *expect_file = NULL, *like = NULL;
    GOptionEntry entries[] = {
        {"lab", 0, 0, G_OPTION_ARG_NONE, &lab,
         "Audit the hosts' lab VMs instead of production", NULL},
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
    g_autoptr(ds_store) st = NULL;
    g_autoptr(GPtrArray) hosts =
        g_ptr_array_new_with_free_func((GDestroyNotify)audit_host_free);
    g_autoptr(GError) err = NULL;
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");
    g_autofree char *generated = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    g_autofree char *run_id = g_strdup_printf("%s-%08x", stamp, g_random_int());
    audit_run r = {.cli = cli, .hosts = hosts};
    json_t *doc, *notified;
    bool failed = false, found = false;
    int code = DS_EXIT_OK;

    if (!ds_cli_parse(cli, &ds_cmd_audit_entry, entries, &argc, &argv, &code))
        return code;
    if (expect_file && like) {
        ds_cli_error(cli, "audit: --expect and --like exclude each other");
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
    r.cfg = cfg;
    r.role = lab ? DS_ROLE_LAB : DS_ROLE_PROD;
    r.stored = stored;
    if ((code = choose_hosts(&r, argv + 1, argc - 1, like)) != DS_EXIT_OK)
        return code;
    /* The store: for --stored, and for prod drift of hosts with a lab. */
    for (guint i = 0; i < hosts->len && !r.st; i++) {
        const audit_host *h = hosts->pdata[i];
        if (stored || (!lab && h->audited && h->hc->lab)) {
            if ((code = ds_cli_open_store(&st, cli, cfg)) != DS_EXIT_OK)
                return code;
            r.st = st;
        }
    }
    if (read_manifests(&r, &err) < 0) {
        ds_cli_error_gerror(cli, err);
        return DS_EXIT_ERROR;
    }
    if (like) {
        g_autoptr(GPtrArray) ms = g_ptr_array_new();

        for (guint i = 0; i < hosts->len; i++) {
            audit_host *h = hosts->pdata[i];
            if (h->manifest && in_group(h->hc, like))
                g_ptr_array_add(ms, h->manifest);
        }
        expect = ds_audit_expect_newest((const ds_manifest *const *)ms->pdata,
                                        ms->len, cfg->ignore);
    }
    for (guint i = 0; i < hosts->len; i++) {
        audit_host *h = hosts->pdata[i];

        if (!h->audited && h->error) {
            /* A reference host of --like that failed: the newest versions
             * may be wrong, which is an error of the run. */
            ds_cli_error_gerror(cli, h->error);
            failed = true;
        }
        if (!h->audited)
            continue;
        if (h->manifest)
            audit_one(&r, h, expect);
        if (h->error) {
            ds_cli_error_gerror(cli, h->error);
            failed = true;
        }
        found = found || h->findings->len > 0;
    }
    doc = run_json(&r, run_id, generated);
    if (!cli->json)
        print_human(&r);
    g_clear_error(&err);
    if (write_latest(&r, doc, &err) < 0) {
        ds_cli_error(cli, "audit: could not write the result: %s",
                     err->message);
        failed = true;
    }
    code = failed ? DS_EXIT_ERROR : found ? DS_EXIT_DIFF : DS_EXIT_OK;
    if ((notified = notify(cli, cfg, r.role, doc, code)))
        json_object_set_new(doc, "notify", notified);
    if (cli->json)
        ds_cli_print_json(doc);
    json_decref(doc);
    return code;
}

const ds_cmd_entry ds_cmd_audit_entry = {
    .name = "audit",
    .args = "[--lab] [--expect FILE | --like GROUP] [--stored] [HOST...]",
    .summary = "Say, host by host, which packages are below the expected "
               "version, and which reboots and restarts are pending "
               "(exit 1 on findings).",
    .exec = cmd_audit,
};
