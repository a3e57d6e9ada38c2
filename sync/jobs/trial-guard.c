/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/trial-guard.c: a trial's guest-bound work in a worker thread,
 * watched for signals (the base layer's policy, manifests/util/signals.c)
 * and for the lab domain going away. */
#include <config.h>

#include "manifests/util/error.h"
#include "manifests/util/signals.h"
#include "sync/jobs/trial-guard.h"

#define GUARD_POLL_US (100 * 1000)
#define GUARD_STATE_EVERY 5 /* polls between domain state checks */

static gint guard_abandoned; /* workers abandoned and still running */

typedef struct guard_job {
    gint refs;
    ds_guard_fn fn;
    void *data;
    GDestroyNotify free_data;
    GMutex lock;
    GCond cond;
    bool done, abandoned;
    int rc;
    GError *err;
} guard_job;

static void job_unref(guard_job *job)
{
    if (!g_atomic_int_dec_and_test(&job->refs))
        return;
    g_clear_error(&job->err);
    g_mutex_clear(&job->lock);
    g_cond_clear(&job->cond);
    g_free(job);
}

static gpointer guard_worker(gpointer p)
{
    guard_job *job = p;
    GError *err = NULL;
    int rc = job->fn(job->data, &err);
    bool abandoned;

    g_mutex_lock(&job->lock);
    job->rc = rc;
    job->err = err;
    job->done = true;
    abandoned = job->abandoned;
    g_cond_signal(&job->cond);
    g_mutex_unlock(&job->lock);
    if (abandoned) {
        if (job->free_data)
            job->free_data(job->data);
        g_atomic_int_dec_and_test(&guard_abandoned);
    }
    job_unref(job);
    return NULL;
}

static const char *state_name(int state)
{
    switch (state) {
    case VIR_DOMAIN_PAUSED:
        return "paused";
    case VIR_DOMAIN_SHUTDOWN:
        return "shutting down";
    case VIR_DOMAIN_SHUTOFF:
        return "shut off";
    case VIR_DOMAIN_CRASHED:
        return "crashed";
    case VIR_DOMAIN_PMSUSPENDED:
        return "suspended";
    default:
        return "not running";
    }
}

ds_guard_outcome ds_guard_run(int *rc, ds_guard_fn fn, void *data,
                              GDestroyNotify free_data, virDomainPtr watch,
                              GError **err)
{
    guard_job *job = g_new0(guard_job, 1);
    ds_guard_outcome outcome = DS_GUARD_DONE;
    int state = VIR_DOMAIN_RUNNING, polls = 0, seen = ds_signals_caught;
    GThread *thread;

    job->refs = 2;
    job->fn = fn;
    job->data = data;
    job->free_data = free_data;
    g_mutex_init(&job->lock);
    g_cond_init(&job->cond);
    thread = g_thread_new("ds-trial", guard_worker, job);
    g_thread_unref(thread);

    g_mutex_lock(&job->lock);
    while (!job->done) {
        gint64 until = g_get_monotonic_time() + GUARD_POLL_US;

        if (g_cond_wait_until(&job->cond, &job->lock, until) || job->done)
            continue;
        if (ds_signals_caught != seen) {
            outcome = DS_GUARD_INTERRUPTED;
            break;
        }
        if (watch && ++polls % GUARD_STATE_EVERY == 0) {
            g_mutex_unlock(&job->lock);
            if (virDomainGetState(watch, &state, NULL, 0) == 0 &&
                state != VIR_DOMAIN_RUNNING)
                outcome = DS_GUARD_LOST;
            g_mutex_lock(&job->lock);
            if (outcome != DS_GUARD_DONE && !job->done)
                break;
            outcome = DS_GUARD_DONE;
        }
    }
    if (job->done) {
        *rc = job->rc;
        if (job->err)
            g_propagate_error(err, g_steal_pointer(&job->err));
        outcome = DS_GUARD_DONE;
    } else {
        job->abandoned = true;
        g_atomic_int_inc(&guard_abandoned);
        *rc = outcome == DS_GUARD_LOST
                  ? ds_error_set(err, DS_EINTERRUPTED,
                                 "the lab domain %s is %s",
                                 virDomainGetName(watch), state_name(state))
                  : ds_error_set(err, DS_EINTERRUPTED, "interrupted (%s)",
                                 ds_signals_last_name());
    }
    g_mutex_unlock(&job->lock);
    job_unref(job);
    return outcome;
}

bool ds_guard_wait_abandoned(int timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    while (g_atomic_int_get(&guard_abandoned) > 0) {
        if (g_get_monotonic_time() >= end)
            return false;
        g_usleep(GUARD_POLL_US);
    }
    return true;
}
