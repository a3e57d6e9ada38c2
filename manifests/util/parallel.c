/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/parallel.c: a bounded parallel for-loop on plain
 * GThreads, the calling thread working too. */
#include <config.h>

#include "manifests/util/parallel.h"

typedef struct {
    ds_parallel_fn fn;
    void *payload;
    gint next, n;
} loop;

typedef struct {
    loop *l;
    guint worker;
} worker_arg;

static gpointer run_worker(gpointer data)
{
    const worker_arg *w = data;
    gint i;

    while ((i = g_atomic_int_add(&w->l->next, 1)) < w->l->n)
        w->l->fn((guint)i, w->worker, w->l->payload);
    return NULL;
}

guint ds_parallel_workers(guint n, guint max_threads)
{
    return MAX(1u, MIN(n, max_threads));
}

void ds_parallel_for(guint n, guint max_threads, ds_parallel_fn fn,
                     void *payload)
{
    guint workers = ds_parallel_workers(n, max_threads);
    loop l = {fn, payload, 0, (gint)MIN(n, (guint)G_MAXINT)};
    g_autofree GThread **threads = g_new0(GThread *, workers);
    g_autofree worker_arg *args = g_new0(worker_arg, workers);

    for (guint t = 0; t < workers; t++)
        args[t] = (worker_arg){&l, t};
    for (guint t = 1; t < workers; t++)
        threads[t] = g_thread_new("ds-parallel", run_worker, &args[t]);
    run_worker(&args[0]);
    for (guint t = 1; t < workers; t++)
        g_thread_join(threads[t]);
}
