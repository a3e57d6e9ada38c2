/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store-lock.c: the store's writer lock: driftsync.lock in the
 * repository, the base layer's lock (flock(2), naming its holder) so that
 * a second writer can say who it is waiting for. */
#include <config.h>

#include "manifests/store-private.h"

#define LOCK_NAME "driftsync.lock"

int ds_store_lock(ds_store *st, int timeout_ms, GError **err)
{
    g_autofree char *lockpath = NULL;
    g_autofree char *who = NULL;
    GError *e = NULL;
    int rc;

    if (st->lock)
        return 0;
    lockpath = g_build_filename(git_repository_path(st->repo), LOCK_NAME,
                                NULL);
    rc = ds_lock_take(&st->lock, &who, lockpath, 0644, timeout_ms, &e);
    if (rc == DS_ECONFLICT) {
        g_error_free(e);
        return ds_error_set(err, rc, "store %s is locked by %s", st->path,
                            who);
    }
    if (rc < 0) {
        g_propagate_error(err, e);
        return ds_error_prefix(err, rc, "store %s: ", st->path);
    }
    /* Only writers hold the lock: a temporary object now is a dead one's. */
    ds_store_clean_tmp(st);
    return 0;
}

void ds_store_unlock(ds_store *st)
{
    if (!st)
        return;
    g_clear_pointer(&st->lock, ds_lock_release);
}
