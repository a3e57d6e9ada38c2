/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/drift.c: the lab against prod of many hosts at one revision,
 * on a few threads, each with its own handle on the store (a libgit2
 * repository is not shared between threads). */
#include <config.h>

#include "manifests/drift.h"
#include "manifests/util/error.h"
#include "manifests/util/parallel.h"

#define DRIFT_THREADS 2

typedef struct {
    ds_store *st; /* the caller's, for worker 0 */
    const char *oid;
    const ds_drift_options *opts;
    ds_drift *rows;
    ds_store **stores;  /* workers 1..: their own handles, opened lazily */
    GError **open_errs; /* why a worker's handle could not be opened */
} drift_work;

const char *ds_drift_status_name(ds_drift_status s)
{
    static const char *const names[] = {"same", "drift", "no-lab", "no-prod",
                                        "error"};

    return (guint)s < G_N_ELEMENTS(names) ? names[s] : "error";
}

static void drift_one(ds_store *st, const drift_work *w, ds_drift *r)
{
    g_autoptr(ds_manifest) prod = NULL;
    g_autoptr(ds_manifest) lab = NULL;
    GError *err = NULL;
    bool same = false;

    /* An identical pair (the same bytes but for the role) is not parsed;
     * the others are read through the store's diff cache. */
    if (ds_store_read_pair(&prod, &lab, &same, st, w->oid, r->host, &err) <
        0)
        goto fail;
    if (same) {
        r->status = DS_DRIFT_SAME;
        r->changes = g_ptr_array_new();
        return;
    }
    if (!prod && !lab) {
        ds_error_set(&err, DS_ENOTFOUND, "%s: no such host in the store",
                     r->host);
        goto fail;
    }
    if (!prod || !lab) {
        r->status = prod ? DS_DRIFT_NO_LAB : DS_DRIFT_NO_PROD;
        return;
    }
    if (ds_manifest_diff(&r->changes, lab, prod, w->opts->ignore, &err) < 0)
        goto fail;
    /* The content diffs of the changed files whose content the store
     * holds (secret ones say only that they differ). */
    if (w->opts->content &&
        ds_content_diff_changes(&r->patches, st,
                                &(ds_content_side){w->oid, lab},
                                &(ds_content_side){w->oid, prod}, r->changes,
                                w->opts->content,
                                w->opts->content_required ? &err : NULL) <
            0) {
        r->patches = NULL;
        if (w->opts->content_required) {
            g_clear_pointer(&r->changes, g_ptr_array_unref);
            goto fail;
        }
    }
    r->status = r->changes->len ? DS_DRIFT_DIFFERS : DS_DRIFT_SAME;
    return;
fail:
    r->status = DS_DRIFT_ERROR;
    r->error = err ? err
                   : g_error_new(DS_ERROR, DS_EGENERIC, "%s: unknown error",
                                 r->host);
}

static void drift_at(guint i, guint worker, void *payload)
{
    drift_work *w = payload;
    ds_store *st = w->st;

    if (worker > 0) {
        if (!w->stores[worker] && !w->open_errs[worker])
            ds_store_open(&w->stores[worker], ds_store_path(w->st),
                          &w->open_errs[worker]);
        if (w->open_errs[worker]) {
            w->rows[i].status = DS_DRIFT_ERROR;
            w->rows[i].error = g_error_copy(w->open_errs[worker]);
            return;
        }
        st = w->stores[worker];
    }
    drift_one(st, w, &w->rows[i]);
}

ds_drift *ds_drift_hosts(ds_store *st, const char *oid, char *const *hosts,
                         guint n, const ds_drift_options *opts)
{
    guint workers = ds_parallel_workers(n, DRIFT_THREADS);
    drift_work w = {st, oid, opts, g_new0(ds_drift, MAX(n, 1)),
                    g_new0(ds_store *, MAX(workers, 1)),
                    g_new0(GError *, MAX(workers, 1))};

    for (guint i = 0; i < n; i++)
        w.rows[i].host = hosts[i];
    ds_parallel_for(n, DRIFT_THREADS, drift_at, &w);
    for (guint t = 0; t < workers; t++) {
        ds_store_free(w.stores[t]);
        g_clear_error(&w.open_errs[t]);
    }
    g_free(w.stores);
    g_free(w.open_errs);
    return w.rows;
}

void ds_drift_free_all(ds_drift *rows, guint n)
{
    for (guint i = 0; rows && i < n; i++) {
        if (rows[i].changes)
            g_ptr_array_unref(rows[i].changes);
        if (rows[i].patches)
            g_hash_table_unref(rows[i].patches);
        g_clear_error(&rows[i].error);
    }
    g_free(rows);
}
