/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/lock.h: the one lock driftsync takes on this machine: a
 * lock file held with flock(2) that names its holder, so that whoever is
 * refused can say whom it waits for. */
#pragma once

#include <glib.h>

typedef struct ds_lock ds_lock;

/* Take the lock file at path (created with mode if missing, never
 * unlinked: a waiter must not lock a name nobody else sees), waiting up
 * to timeout_ms (0: one try).  Held: we write "PID HOST SINCE\n" into it.
 * Held by another: DS_ECONFLICT, "PATH is locked by HOLDER", and *holder
 * (when holder is not NULL) describes the holder for the caller's own
 * message: "pid 42 on web01 since 2026-11-27T12:00:00Z".  A holder that
 * died lost its flock with it: its stale file is simply taken over. */
int ds_lock_take(ds_lock **out, char **holder, const char *path, guint mode,
                 int timeout_ms, GError **err);
/* Clear the holder line and release (NULL: nothing). */
void ds_lock_release(ds_lock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_lock, ds_lock_release)

/* The holder named by a lock file's text: "PID HOST SINCE" (also the
 * older lab-lock form "PID SINCE"), NULL when it names nobody. */
char *ds_lock_describe_holder(const char *text);
