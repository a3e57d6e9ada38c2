/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/trial-pending.c: `trial HOST --pending`: prod's pending set (from
 * its manifest at the store's HEAD) as the trial's pinned installs, the
 * lab brought to prod first on request (--sync-first), and the outcome
 * kept in the store: a trial record always, a bundle when it passed. */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "manifests/store-bundle.h"
#include "sync/engine/sync.h"
#include "sync/jobs/trial.h"

void ds_trial_pending_clear(ds_trial_pending *p)
{
    ds_manifest_free(p->prod);
    g_free(p->prod_revision);
    g_free(p->bundle);
    ds_store_free(p->st);
    memset(p, 0, sizeof(*p));
}

char *ds_trial_pending_default_name(const char *host, const char *run_id)
{
    const char *z = strchr(run_id, 'Z');

    return g_strdup_printf("%s-%.*s", host,
                           z ? (int)(z - run_id + 1) : (int)strlen(run_id),
                           run_id);
}

int ds_trial_pending_prepare(ds_trial_pending *p, GPtrArray *installs,
                             const char *host, GError **err)
{
    g_autoptr(ds_bundle) existing = NULL;
    int rc;

    if ((rc = ds_store_resolve(&p->prod_revision, p->st, "HEAD", err)) < 0 ||
        (rc = ds_store_read(&p->prod, p->st, p->prod_revision, DS_ROLE_PROD,
                            host, err)) < 0) {
        if (rc == DS_ENOTFOUND) {
            g_clear_error(err);
            return ds_error_set(err, DS_ENOTFOUND,
                                "no prod manifest in the store: record the "
                                "host first (`driftsync record %s`)",
                                host);
        }
        return rc;
    }
    rc = ds_store_bundle_read(&existing, p->st, NULL, p->bundle, err);
    if (rc == 0)
        return ds_error_set(err, DS_ECONFLICT,
                            "bundle %s exists already in the store (choose "
                            "another --bundle NAME)",
                            p->bundle);
    if (rc != DS_ENOTFOUND)
        return rc;
    g_clear_error(err);
    /* its pending set is dnf's: apt cannot try it on the lab */
    if (ds_manifest_is_rpm(p->prod))
        return ds_error_set(err, DS_EUNSUPPORTED, "%s: an rpm host: trial --pending tries pending updates on dpkg hosts only (it installs them with apt and dpkg)", host);
    if (!p->prod->pending)
        return ds_error_set(err, DS_ENOTFOUND,
                            "prod's manifest at %.12s lists no pending "
                            "updates (recorded by an older driftsync, or not "
                            "a Debian host): record it again",
                            p->prod_revision);
    rc = ds_trial_pending_set(installs, p->prod, p->security);
    return rc < 0 ? rc : 0;
}

int ds_trial_pending_sync_first(ds_trial_pending *p, ds_sync_note_fn note,
                                void *payload, const ds_config *cfg,
                                const char *host, GError **err)
{
    const char *hosts[] = {host, NULL};
    g_autoptr(GPtrArray) results = NULL;
    g_autofree char *commit = NULL;
    g_autofree char *msg = g_strdup_printf(
        "syncing lab %s to prod first (--sync-first)",
        ds_config_find_host(cfg, host)->lab);
    ds_sync_options opts = {.note = note, .payload = payload};
    const ds_sync_result *r;
    int rc;

    if (note)
        note(host, msg, payload);
    rc = ds_sync_run(&results, &commit, cfg, p->st, hosts, &opts, err);
    if (rc < 0)
        return rc;
    r = results->pdata[0];
    if (r->status != DS_SYNC_SYNCED && r->status != DS_SYNC_IN_SYNC)
        return ds_error_set(err, DS_ECONFLICT,
                            "--sync-first: the lab could not be synced (%s): "
                            "%s; no trial run",
                            ds_sync_status_name(r->status),
                            r->reason ? r->reason : "see driftsync sync");
    return 0;
}

/* The bundle (or failed trial's record) of a finished trial. */
static int to_bundle(ds_bundle **out, const ds_trial_pending *p,
                     const ds_trial *tr, GError **err)
{
    g_autoptr(ds_bundle) b = ds_bundle_new(p->bundle);
    g_autoptr(GDateTime) dt =
        g_date_time_new_from_unix_utc(tr->started / 1000000);
    int rc;

    b->host = g_strdup(tr->host);
    b->lab = g_strdup(tr->hc->lab);
    b->prod_revision = g_strdup(p->prod_revision);
    b->run = g_strdup(tr->run_id);
    b->tested_at = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
    b->security_only = p->security;
    b->passed = tr->passed && !tr->error && (tr->verified || tr->kept);
    if (tr->error)
        b->error = g_strdup(tr->error);
    else if (!tr->change_ok)
        b->error = g_strdup("the installation failed");
    else if (!tr->passed)
        b->error = g_strdup("a check failed");
    for (guint i = 0; i < tr->installs->len; i++) {
        const char *spec = tr->installs->pdata[i];
        const char *eq = strchr(spec, '=');
        g_autofree char *name = g_strndup(spec, (gsize)(eq - spec));

        if ((rc = ds_bundle_add_package(b, name, eq + 1, err)) < 0)
            return rc;
    }
    for (guint i = 0; i < tr->steps->len; i++) {
        const ds_trial_step *s = tr->steps->pdata[i];

        if (strcmp(s->what, "check") == 0)
            ds_bundle_add_check(b, s->command, s->status, s->seconds);
    }
    *out = g_steal_pointer(&b);
    return 0;
}

int ds_trial_pending_record(char **out_oid, bool *stored_bundle,
                            const ds_trial_pending *p, const ds_trial *tr,
                            GError **err)
{
    g_autoptr(ds_bundle) b = NULL;
    int rc;

    *stored_bundle = false;
    if ((rc = to_bundle(&b, p, tr, err)) < 0 ||
        (rc = ds_store_bundle_save(out_oid, p->st, b, false, err)) < 0)
        return ds_error_prefix(err, rc, "recording the trial in the store: ");
    *stored_bundle = b->passed;
    return 0;
}

int ds_trial_pending_set(GPtrArray *installs, const ds_manifest *prod,
                         bool security)
{
    guint n = 0;

    for (guint i = 0; prod->pending && i < prod->pending->len; i++) {
        const ds_pending *pd = prod->pending->pdata[i];

        if (security && !pd->security)
            continue;
        g_ptr_array_add(installs,
                        g_strdup_printf("%s=%s", pd->name, pd->version));
        n++;
    }
    return (int)n;
}
