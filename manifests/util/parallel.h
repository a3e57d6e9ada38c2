/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/parallel.h: the one bounded parallel loop: every index
 * of a range handed to a few threads. */
#pragma once

#include <glib.h>

/* fn(index, worker, payload): worker (0 .. workers-1) says which thread
 * runs the call, for state a thread keeps to itself (a libgit2 handle). */
typedef void (*ds_parallel_fn)(guint index, guint worker, void *payload);

/* How many threads ds_parallel_for uses: max_threads (at least 1), never
 * more than there are indexes. */
guint ds_parallel_workers(guint n, guint max_threads);

/* Call fn once for every index in [0, n), indexes handed out in order, in
 * at most max_threads threads at once -- the calling thread is one of
 * them -- and return when every call has returned. */
void ds_parallel_for(guint n, guint max_threads, ds_parallel_fn fn,
                     void *payload);
