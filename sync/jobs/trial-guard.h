/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/trial-guard.h: run the long, guest-bound parts of a trial in a
 * worker thread, so that Ctrl-C (SIGINT, SIGTERM, SIGHUP) or a lab domain
 * that stops running is noticed at once and the trial can revert. */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>
#include <stdbool.h>

typedef int (*ds_guard_fn)(void *data, GError **err);

typedef enum {
    DS_GUARD_DONE = 0,    /* the work finished; its result is returned */
    DS_GUARD_INTERRUPTED, /* a signal came: the work was abandoned */
    DS_GUARD_LOST,        /* the watched domain stopped running */
} ds_guard_outcome;

/* Run fn(data) in a worker thread and wait for it, watching for signals
 * and (when watch is not NULL) for the domain to leave the running
 * state.  DS_GUARD_DONE: *rc is fn's result and data is still the
 * caller's.  Otherwise *rc is DS_EINTERRUPTED with a message in err, the
 * worker keeps data and frees it with free_data when fn returns; the
 * caller must not touch data (or anything only fn uses) again. */
ds_guard_outcome ds_guard_run(int *rc, ds_guard_fn fn, void *data,
                              GDestroyNotify free_data, virDomainPtr watch,
                              GError **err);

/* Wait (at most timeout_ms) for abandoned workers to finish; false when
 * some still run (then what they use must not be freed). */
bool ds_guard_wait_abandoned(int timeout_ms);
