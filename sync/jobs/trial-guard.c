/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/trial-guard.c: a trial's guest-bound work in a worker thread,
 * watched for signals and for the lab domain going away. */
#include <config.h>

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "manifests/util/error.h"
#include "sync/jobs/trial-guard.h"

#define GUARD_POLL_US (100 * 1000)
#define GUARD_STATE_EVERY 5 /* polls between domain state checks */

static volatile sig_atomic_t guard_count;
static volatile sig_atomic_t guard_last;
static char guard_hint[1024];
static volatile sig_atomic_t guard_hint_len;
static struct sigaction guard_old[3];
static const int guard_sigs[3] = {SIGINT, SIGTERM, SIGHUP};
static gint guard_abandoned; /* workers abandoned and still running */

static void guard_handler(int sig)
{
    guard_last = sig;
    guard_count = guard_count + 1;
    if (guard_count >= 3) {
        if (guard_hint_len > 0 &&
            write(STDERR_FILENO, guard_hint, (size_t)guard_hint_len) < 0)
            _exit(2);
        _exit(2);
    }
}

void ds_guard_signals_install(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = guard_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int i = 0; i < 3; i++)
        sigaction(guard_sigs[i], &sa, &guard_old[i]);
}

void ds_guard_signals_restore(void)
{
    for (int i = 0; i < 3; i++)
        sigaction(guard_sigs[i], &guard_old[i], NULL);
}

int ds_guard_signals(void)
{
    return guard_count;
}

const char *ds_guard_signal_name(void)
{
    switch (guard_last) {
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    case SIGHUP:
        return "SIGHUP";
    default:
        return "a signal";
    }
}

void ds_guard_set_hint(const char *line)
{
    size_t n = line ? strlen(line) : 0;

    guard_hint_len = 0;
    if (n >= sizeof guard_hint - 1)
        n = sizeof guard_hint - 2;
    if (n)
        memcpy(guard_hint, line, n);
    if (n && guard_hint[n - 1] != '\n')
        guard_hint[n++] = '\n';
    guard_hint_len = (sig_atomic_t)n;
}

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
    int state = VIR_DOMAIN_RUNNING, polls = 0, seen = guard_count;
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
        if (guard_count != seen) {
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
                                 ds_guard_signal_name());
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
