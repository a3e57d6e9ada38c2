/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store-lock.c: the store's writer lock: driftsync.lock in the
 * repository, the base layer's lock (flock(2), naming its holder) so that
 * a second writer can say who it is waiting for. */
#include <config.h>

#include <sys/stat.h>

#include "manifests/store-private.h"

#define LOCK_NAME "driftsync.lock"

/* A lock file git or libgit2 leaves beside the branch HEAD names while it
 * moves it ("refs/heads/main.lock").  Called with the store lock held: no
 * live driftsync is writing, so one found is left over from a killed run
 * (or held by a git command someone runs on the store).  It would fail
 * the commit at the end of the run with an empty cause; it is named now,
 * with how to clear it, before any work is done. */
static int check_ref_lock(ds_store *st, GError **err)
{
    git_reference *head = NULL;
    g_autofree char *rel = NULL, *lock = NULL;
    g_autofree char *since = NULL;
    struct stat sb;

    if (git_reference_lookup(&head, st->repo, "HEAD") < 0) {
        git_error_clear();
        return 0; /* reported by whoever needs HEAD */
    }
    if (git_reference_type(head) == GIT_REFERENCE_SYMBOLIC)
        rel = g_strconcat(git_reference_symbolic_target(head), ".lock", NULL);
    git_reference_free(head);
    if (!rel)
        return 0;
    lock = g_build_filename(git_repository_path(st->repo), rel, NULL);
    if (lstat(lock, &sb) < 0)
        return 0;
    {
        g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(sb.st_mtime);

        since = t ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ") : NULL;
    }
    return ds_error_set(
        err, DS_ECONFLICT,
        "store %s: %s is left over from an interrupted run (no driftsync holds the store lock; the file is from %s); if no git command is working on the store, remove it (rm %s) and run again",
        st->path, rel, since ? since : "an unknown time", lock);
}

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
    if (check_ref_lock(st, err) < 0) {
        ds_store_unlock(st);
        return DS_ECONFLICT;
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
