/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/engine/sync-batch.c: a sync run over several hosts in three parts: the
 * batch made (one run id, the store's HEAD), each host run (in a thread of
 * its own when `mirror` asks), and one store commit for every lab that
 * synced, then each host finished. */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "manifests/util/run-id.h"
#include "snapshots/snapshot.h"
#include "sync/engine/sync-host.h"

#define SYNC_STORE_LOCK_MS (60 * 1000)

/* One commit for every lab that synced. */
static int record(char **commit, host_run *runs, guint n, const ds_config *cfg,
                  ds_store *st, const char *run_id, GError **err)
{
    g_autoptr(ds_store_txn) txn = NULL;
    int rc;

    *commit = NULL;
    if ((rc = ds_store_lock(st, SYNC_STORE_LOCK_MS, err)) < 0)
        return rc;
    if ((rc = ds_store_txn_begin(&txn, st, err)) < 0)
        goto done;
    for (guint i = 0; i < n; i++)
        if (runs[i].pending &&
            (rc = ds_store_txn_put(txn, runs[i].r->lab_after, err)) < 0)
            goto done;
    rc = ds_store_txn_commit(commit, txn, "sync", run_id, cfg->ignore, err);
done:
    ds_store_unlock(st);
    return rc;
}

/* ---- a batch: the run in three parts ---- */

struct ds_sync_batch {
    const ds_config *cfg;
    ds_store *st;
    ds_sync_options opts;
    char *run_id;
    char *head;
    GMutex store_mutex;
    guint n;
    host_run *runs;
    GPtrArray *results; /* ds_sync_result *, one per host */
};

void ds_sync_batch_free(ds_sync_batch *b)
{
    if (!b)
        return;
    for (guint i = 0; i < b->n; i++)
        ds_sync_host_clear(&b->runs[i]);
    g_free(b->runs);
    if (b->results)
        g_ptr_array_unref(b->results);
    g_mutex_clear(&b->store_mutex);
    g_free(b->run_id);
    g_free(b->head);
    g_free(b);
}

int ds_sync_batch_new(ds_sync_batch **out, const ds_config *cfg, ds_store *st,
                      const char *const *hosts, const ds_sync_options *opts,
                      GError **err)
{
    g_autoptr(ds_sync_batch) b = g_new0(ds_sync_batch, 1);
    g_autoptr(GError) e = NULL;
    int rc;

    *out = NULL;
    b->cfg = cfg;
    b->st = st;
    b->opts = *opts;
    b->run_id =
        opts->run_id ? g_strdup(opts->run_id) : ds_run_id_new();
    b->opts.run_id = b->run_id;
    g_mutex_init(&b->store_mutex);
    b->results =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_sync_result_free);
    rc = ds_store_resolve(&b->head, st, "HEAD", &e);
    if (rc < 0 && rc != DS_ENOTFOUND) {
        g_propagate_error(err, g_steal_pointer(&e));
        return rc;
    }
    b->n = hosts ? g_strv_length((char **)hosts) : 0;
    b->runs = g_new0(host_run, b->n ? b->n : 1);
    for (guint i = 0; i < b->n; i++) {
        ds_sync_result *r = g_new0(ds_sync_result, 1);

        r->host = g_strdup(hosts[i]);
        g_ptr_array_add(b->results, r);
        b->runs[i] = (host_run){.cfg = cfg,
                                .st = st,
                                .opts = &b->opts,
                                .run_id = b->run_id,
                                .head = b->head,
                                .store_mutex = &b->store_mutex,
                                .r = r};
    }
    *out = g_steal_pointer(&b);
    return 0;
}

guint ds_sync_batch_size(const ds_sync_batch *b)
{
    return b->n;
}

const char *ds_sync_batch_run_id(const ds_sync_batch *b)
{
    return b->run_id;
}

const ds_sync_result *ds_sync_batch_run_host(ds_sync_batch *b, guint i)
{
    host_run *h;

    g_return_val_if_fail(i < b->n, NULL);
    h = &b->runs[i];
    if (b->opts.cancel && *b->opts.cancel) {
        h->r->status = DS_SYNC_FAILED;
        h->r->reason =
            g_strdup_printf("%s: not started: interrupted", h->r->host);
        return h->r;
    }
    ds_sync_host_run(h);
    return h->r;
}

void ds_sync_batch_fail_host(ds_sync_batch *b, guint i, const char *reason)
{
    ds_sync_result *r;

    g_return_if_fail(i < b->n);
    r = b->runs[i].r;
    r->status = DS_SYNC_FAILED;
    g_free(r->reason);
    r->reason = g_strdup_printf("%s: %s", r->host, reason);
}

int ds_sync_batch_finish(GPtrArray **out, char **commit, ds_sync_batch *b,
                         GError **err)
{
    g_autoptr(GError) e = NULL;
    host_run *runs = b->runs;
    guint n = b->n;
    bool any = false;

    (void)err;
    *out = NULL;
    *commit = NULL;
    for (guint i = 0; i < n; i++)
        any |= runs[i].pending;
    if (any && record(commit, runs, n, b->cfg, b->st, b->run_id, &e) < 0) {
        /* The store does not know the labs' new state: take it back. */
        for (guint i = 0; i < n; i++) {
            host_run *h = &runs[i];

            if (!h->pending)
                continue;
            h->pending = false;
            if (!h->journal) {
                h->r->status = DS_SYNC_FAILED;
                h->r->reason = g_strdup_printf("%s: recording the lab: %s",
                                               h->r->host, e->message);
                continue;
            }
            g_clear_pointer(&h->r->lab_after, ds_manifest_free);
            ds_sync_host_fail(
                h, g_strdup_printf("recording the lab in the store: %s",
                                   e->message));
        }
    }
    for (guint i = 0; i < n; i++) {
        ds_sync_host_finish(&runs[i], *commit ? *commit : b->head);
        ds_sync_host_clear(&runs[i]);
    }
    b->n = 0;
    *out = g_steal_pointer(&b->results);
    return 0;
}

int ds_sync_run(GPtrArray **out, char **commit, const ds_config *cfg,
                ds_store *st, const char *const *hosts,
                const ds_sync_options *opts, GError **err)
{
    g_autoptr(ds_sync_batch) b = NULL;
    int rc;

    *out = NULL;
    *commit = NULL;
    if ((rc = ds_sync_batch_new(&b, cfg, st, hosts, opts, err)) < 0)
        return rc;
    for (guint i = 0; i < b->n; i++)
        ds_sync_batch_run_host(b, i);
    return ds_sync_batch_finish(out, commit, b, err);
}
