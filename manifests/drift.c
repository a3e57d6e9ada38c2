/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/drift.c: the lab against prod of many hosts at one revision,
 * on a few threads, each with its own handle on the store (a libgit2
 * repository is not shared between threads), handed to the caller in
 * order while the next are computed. */
#include <config.h>

#include "manifests/drift.h"
#include "manifests/util/error.h"
#include "manifests/util/parallel.h"

#define DRIFT_THREADS 2
/* How far the workers may run ahead of the caller, in rows: output
 * starts early and memory stays bounded. */
#define DRIFT_AHEAD 64

typedef struct {
    ds_store *st; /* the caller's: its path */
    const char *oid;
    const ds_drift_options *opts;
    ds_drift *rows;
    bool *done; /* rows[i] is computed */
    guint n;
    GMutex lock; /* guards next, taken and done */
    GCond cond;  /* a row computed, or one handed to the caller */
    guint next;  /* the next row a worker takes */
    guint taken; /* rows handed to the caller */
} drift_work;

const char *ds_drift_status_name(ds_drift_status s)
{
    static const char *const names[] = {"same", "drift", "no-lab", "no-prod",
                                        "error"};

    return (guint)s < G_N_ELEMENTS(names) ? names[s] : "error";
}

static void drift_clear(ds_drift *r)
{
    g_clear_pointer(&r->changes, g_ptr_array_unref);
    g_clear_pointer(&r->patches, g_hash_table_unref);
    g_clear_error(&r->error);
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

/* One worker thread: rows taken in order, never more than DRIFT_AHEAD
 * ahead of the caller, on its own handle on the store. */
static gpointer drift_worker(gpointer data)
{
    drift_work *w = data;
    ds_store *st = NULL;
    GError *open_err = NULL;

    ds_store_open(&st, ds_store_path(w->st), &open_err);
    for (;;) {
        guint i;

        g_mutex_lock(&w->lock);
        while (w->next < w->n && w->next >= w->taken + DRIFT_AHEAD)
            g_cond_wait(&w->cond, &w->lock);
        i = w->next < w->n ? w->next++ : w->n;
        g_mutex_unlock(&w->lock);
        if (i >= w->n)
            break;
        if (open_err) {
            w->rows[i].status = DS_DRIFT_ERROR;
            w->rows[i].error = g_error_copy(open_err);
        } else {
            drift_one(st, w, &w->rows[i]);
        }
        g_mutex_lock(&w->lock);
        w->done[i] = true;
        g_cond_broadcast(&w->cond);
        g_mutex_unlock(&w->lock);
    }
    ds_store_free(st);
    g_clear_error(&open_err);
    return NULL;
}

void ds_drift_each(ds_store *st, const char *oid, char *const *hosts, guint n,
                   const ds_drift_options *opts, ds_drift_fn fn, void *data)
{
    guint workers = n ? ds_parallel_workers(n, DRIFT_THREADS) : 0;
    drift_work w = {.st = st,
                    .oid = oid,
                    .opts = opts,
                    .n = n,
                    .rows = g_new0(ds_drift, MAX(n, 1)),
                    .done = g_new0(bool, MAX(n, 1))};
    GThread *threads[DRIFT_THREADS] = {NULL};

    g_mutex_init(&w.lock);
    g_cond_init(&w.cond);
    for (guint i = 0; i < n; i++)
        w.rows[i].host = hosts[i];
    for (guint t = 0; t < workers; t++)
        threads[t] = g_thread_new("ds-drift", drift_worker, &w);
    for (guint i = 0; i < n; i++) {
        g_mutex_lock(&w.lock);
        while (!w.done[i])
            g_cond_wait(&w.cond, &w.lock);
        g_mutex_unlock(&w.lock);
        fn(&w.rows[i], data);
        drift_clear(&w.rows[i]);
        g_mutex_lock(&w.lock);
        w.taken = i + 1;
        g_cond_broadcast(&w.cond);
        g_mutex_unlock(&w.lock);
    }
    for (guint t = 0; t < workers; t++)
        g_thread_join(threads[t]);
    g_mutex_clear(&w.lock);
    g_cond_clear(&w.cond);
    g_free(w.rows);
    g_free(w.done);
}
