/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/audit-run.c: one audit run over the configured hosts: which
 * are audited, their manifests (live, in parallel, or from the store),
 * the checks of sync/jobs/audit.c on each, the run's document. */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "drivers/transport.h"
#include "manifests/util/error.h"
#include "manifests/util/file.h"
#include "sync/engine/sync.h"
#include "manifests/patch-history.h"
#include "sync/jobs/audit-run.h"
#include "sync/jobs/collect.h"

static void audit_host_free(ds_audit_host *h)
{
    if (!h)
        return;
    ds_manifest_free(h->manifest);
    g_clear_error(&h->error);
    g_ptr_array_unref(h->findings);
    g_free(h);
}

static ds_audit_host *find_or_add(ds_audit_run *r, const ds_host_config *hc)
{
    ds_audit_host *h;

    for (guint i = 0; i < r->hosts->len; i++) {
        h = r->hosts->pdata[i];
        if (h->hc == hc)
            return h;
    }
    h = g_new0(ds_audit_host, 1);
    h->hc = hc;
    h->findings =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_audit_finding_free);
    g_ptr_array_add(r->hosts, h);
    return h;
}

static char *host_source(const ds_audit_run *r, const ds_host_config *hc)
{
    if (r->role == DS_ROLE_PROD)
        return g_strdup(hc->source);
    return ds_config_lab_source(hc);
}

static int read_manifests(ds_audit_run *r, GError **err);

/* Every host's manifest: collected live (in parallel) or read from the
 * store's HEAD. */
int ds_audit_run_read(ds_audit_run *r, GError **err)
{
    return read_manifests(r, err);
}

static int read_manifests(ds_audit_run *r, GError **err)
{
    const ds_config *cfg = r->cfg;
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    g_autoptr(GPtrArray) results = NULL;
    int rc;

    for (guint i = 0; i < r->hosts->len; i++) {
        ds_audit_host *h = r->hosts->pdata[i];
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
        ds_audit_host *h = r->hosts->pdata[i];

        h->manifest = g_steal_pointer(&cr->manifest);
        h->error = g_steal_pointer(&cr->error);
    }
    return 0;
}

/* What only a running host can tell: the reboot flag file and the
 * processes.  A root directory runs nothing; an https source is a
 * manifest, not a host. */
static int check_live(ds_audit_run *r, ds_audit_host *h, GError **err)
{
    g_autofree char *uri = host_source(r, h->hc);
    g_autoptr(ds_transport) t = NULL;
    ds_transport_options o;
    int rc;

    if (!uri)
        return 0;
    ds_collect_transport_options(&o, r->cfg, h->hc, h->hc->name, r->role);
    if (g_str_has_prefix(uri, "https:") || g_str_has_prefix(uri, "http:")) {
        ds_log_verbose(
            &r->log,
            "%s: a manifest source: reboot flag and processes not checked",
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
        ds_log_verbose(&r->log, "%s: a root directory runs no processes",
                       h->hc->name);
        return 0;
    }
    return ds_audit_check_restart(h->findings, t, h->hc->name, err);
}

static bool security_pending(const ds_manifest *m)
{
    for (guint i = 0; m && m->pending && i < m->pending->len; i++)
        if (((ds_pending *)m->pending->pdata[i])->security)
            return true;
    return false;
}

/* What the checks of prod hosts read from the store's history, for every
 * audited host at once (one walk each, not one per host): when each
 * host's lab was last recorded, and the patch timeline of the hosts with
 * security updates pending. */
static void history_read(ds_audit_run *r)
{
    g_autoptr(GPtrArray) labs = g_ptr_array_new();
    g_autoptr(GPtrArray) pending = g_ptr_array_new();

    if (r->history_read)
        return;
    r->history_read = true;
    for (guint i = 0; i < r->hosts->len; i++) {
        const ds_audit_host *h = r->hosts->pdata[i];

        if (!h->audited || !h->manifest)
            continue;
        if (h->hc->lab)
            g_ptr_array_add(labs, h->hc->name);
        if (security_pending(h->manifest))
            g_ptr_array_add(pending, h->hc->name);
    }
    if (labs->len)
        ds_store_last_changes(&r->synced, r->st, DS_ROLE_LAB,
                              (const char *const *)labs->pdata, labs->len,
                              &r->synced_err);
    if (pending->len)
        ds_patch_history_hosts(&r->patches, r->st,
                               (const char *const *)pending->pdata,
                               pending->len, 0, &r->patches_err);
}

/* Security updates pending on a prod host, their age from the store's
 * history when the store is open. */
static void check_pending(ds_audit_run *r, ds_audit_host *h)
{
    if (!security_pending(h->manifest))
        return;
    if (r->st) {
        history_read(r);
        if (r->patches_err)
            ds_log_verbose(&r->log,
                           "%s: the age of its pending updates is "
                           "unknown: %s",
                           h->hc->name, r->patches_err->message);
    }
    ds_audit_check_pending(h->findings, h->manifest, r->patches,
                           g_get_real_time() / G_USEC_PER_SEC,
                           r->cfg->patches_security_sla);
}

/* Drift since the lab's last sync. */
static int check_drift(ds_audit_run *r, ds_audit_host *h, GError **err)
{
    history_read(r);
    if (r->synced_err) {
        g_propagate_error(err, g_error_copy(r->synced_err));
        return ds_error_code_of(r->synced_err);
    }
    return ds_audit_check_drift(
        h->findings, r->st, h->manifest,
        r->synced ? g_hash_table_lookup(r->synced, h->hc->name) : NULL,
        r->cfg->ignore, err);
}

void ds_audit_run_host(ds_audit_run *r, ds_audit_host *h,
                       const ds_audit_expect *expect)
{
    g_autofree char *uri = host_source(r, h->hc);
    /* The reboot flag file is read live, but for a manifest source. */
    bool flag_read = !r->stored && uri && !g_str_has_prefix(uri, "https:") &&
                     !g_str_has_prefix(uri, "http:");
    int rc = 0;

    /* Versions by the host's own order; an expectation that does not fit
     * the host is its error, and nothing else is checked. */
    if (expect) {
        GError *local = NULL;

        if (ds_audit_check_missing(h->findings, h->manifest, expect,
                                   &local) < 0) {
            g_clear_error(&h->error);
            g_propagate_error(&h->error, local);
            return;
        }
    }
    if (r->role == DS_ROLE_PROD)
        check_pending(r, h);
    ds_audit_check_kernel(h->findings, h->manifest, flag_read);
    if (!r->stored)
        rc = check_live(r, h, &h->error);
    if (rc == 0 && r->role == DS_ROLE_PROD && h->hc->lab && r->st)
        rc = check_drift(r, h, &h->error);
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

json_t *ds_audit_run_json(const ds_audit_run *r, const char *run_id,
                          const char *generated)
{
    json_t *hosts = json_array();

    for (guint i = 0; i < r->hosts->len; i++) {
        const ds_audit_host *h = r->hosts->pdata[i];
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

int ds_audit_run_save(const ds_audit_run *r, json_t *doc, GError **err)
{
    g_autofree char *dir = g_build_filename(r->cfg->state_dir, "audit", NULL);
    g_autofree char *path = g_build_filename(dir, "latest.json", NULL);
    g_autofree char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
    g_autofree char *line = g_strconcat(text, "\n", NULL);

    return ds_file_write_atomic(path, line, strlen(line), 0600, DS_FILE_MKDIR,
                                err);
}

/* Which hosts are audited, and which only give --like its reference. */
int ds_audit_run_choose(ds_audit_run *r, char **args, int nargs,
                        const char *like, GError **err)
{
    const ds_config *cfg = r->cfg;
    const char *const likes[] = {like, NULL};
    g_autoptr(GPtrArray) audited = NULL;
    g_autoptr(GPtrArray) refs = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    bool labs = r->role == DS_ROLE_LAB;
    int rc;

    for (int i = 0; i < nargs; i++)
        g_ptr_array_add(names, args[i]);
    g_ptr_array_add(names, NULL);
    /* The group --like reads the newest versions from, then the hosts
     * audited: those named, else that group's, else all. */
    if (like && (rc = ds_config_choose_hosts(&refs, cfg, NULL, likes, labs,
                                             err)) < 0) {
        g_clear_error(err);
        return ds_error_set(err, DS_ENOTFOUND, "no %shost in group '%s'",
                            labs ? "lab " : "", like);
    }
    if ((rc = ds_config_choose_hosts(&audited, cfg,
                                     (const char *const *)names->pdata,
                                     nargs == 0 ? likes : NULL, labs,
                                     err)) < 0)
        return rc;
    for (guint i = 0; i < audited->len; i++)
        find_or_add(r, audited->pdata[i])->audited = true;
    for (guint i = 0; refs && i < refs->len; i++)
        find_or_add(r, refs->pdata[i]);
    if (!r->hosts->len) {
        return ds_error_set(err, DS_ENOTFOUND, "no %shost configured",
                            r->role == DS_ROLE_LAB ? "lab " : "");
    }
    return 0;
}

ds_audit_run *ds_audit_run_new(const ds_config *cfg, ds_role role, bool stored)
{
    ds_audit_run *r = g_new0(ds_audit_run, 1);

    r->cfg = cfg;
    r->role = role;
    r->stored = stored;
    r->hosts = g_ptr_array_new_with_free_func((GDestroyNotify)audit_host_free);
    return r;
}

void ds_audit_run_free(ds_audit_run *r)
{
    if (!r)
        return;
    g_ptr_array_unref(r->hosts);
    if (r->synced)
        g_hash_table_unref(r->synced);
    if (r->patches)
        g_ptr_array_unref(r->patches);
    g_clear_error(&r->synced_err);
    g_clear_error(&r->patches_err);
    g_free(r);
}

bool ds_audit_run_needs_store(const ds_audit_run *r)
{
    for (guint i = 0; i < r->hosts->len; i++) {
        const ds_audit_host *h = r->hosts->pdata[i];

        if (r->stored ||
            (r->role == DS_ROLE_PROD && h->audited &&
             (h->hc->lab || r->cfg->patches_security_sla)))
            return true;
    }
    return false;
}

ds_audit_expect *ds_audit_run_newest(const ds_audit_run *r, const char *like,
                                     bool rpm)
{
    g_autoptr(GPtrArray) ms = g_ptr_array_new();
    ds_audit_expect *e;

    for (guint i = 0; i < r->hosts->len; i++) {
        const ds_audit_host *h = r->hosts->pdata[i];

        /* each platform's versions by its own order, for its hosts */
        if (h->manifest && ds_manifest_is_rpm(h->manifest) == rpm &&
            ds_host_in_group(h->hc, like))
            g_ptr_array_add(ms, h->manifest);
    }
    e = ds_audit_expect_newest((const ds_manifest *const *)ms->pdata,
                               ms->len, r->cfg->ignore);
    e->platform = rpm ? "rpm" : "dpkg";
    return e;
}
