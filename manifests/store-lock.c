/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store-lock.c: the store's writer lock: driftsync.lock in the
 * repository, held with flock(2) and naming its holder (pid, host, start
 * time) so that a second writer can say who it is waiting for. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "manifests/store-private.h"

#define LOCK_NAME "driftsync.lock"
#define LOCK_POLL_MS 50

/* The holder as written in the lock file: "pid host since\n". */
static char *describe_holder(int fd)
{
    char buf[512];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    char host[256] = "", since[64] = "";
    long pid = 0;

    if (n <= 0)
        return g_strdup("another process");
    buf[n] = '\0';
    if (sscanf(buf, "%ld %255s %63s", &pid, host, since) != 3 || pid <= 0)
        return g_strdup("another process");
    return g_strdup_printf("pid %ld on %s (since %s)", pid, host, since);
}

/* Name ourselves as the holder.  A holder that dies (kill -9, crash)
 * loses its flock with its last file descriptor, so its stale lock file
 * is simply rewritten here by the next writer: no pid probing needed. */
static void write_holder(int fd)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *since = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    g_autofree char *line = g_strdup_printf("%ld %s %s\n", (long)getpid(),
                                            g_get_host_name(), since);
    gsize len = strlen(line);

    if (ftruncate(fd, 0) == 0 && pwrite(fd, line, len, 0) == (ssize_t)len)
        (void)fdatasync(fd);
}

int ds_store_lock(ds_store *st, int timeout_ms, GError **err)
{
    g_autofree char *lockpath = NULL;
    gint64 deadline;
    int fd;

    if (st->lock_fd >= 0)
        return 0;
    lockpath = g_build_filename(git_repository_path(st->repo), LOCK_NAME,
                                NULL);
    /* The file is never unlinked: removing a flock()ed file would let a
     * waiter lock a name nobody else sees any more. */
    fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return ds_error_set(err, DS_EGENERIC, "store %s: cannot open %s: %s",
                            st->path, LOCK_NAME, g_strerror(errno));
    deadline = g_get_monotonic_time() + (gint64)MAX(timeout_ms, 0) * 1000;
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            break;
        if (errno != EWOULDBLOCK && errno != EINTR) {
            int e = errno;

            close(fd);
            return ds_error_set(err, DS_EGENERIC, "store %s: cannot lock: %s",
                                st->path, g_strerror(e));
        }
        if (g_get_monotonic_time() >= deadline) {
            g_autofree char *who = describe_holder(fd);

            close(fd);
            return ds_error_set(err, DS_ECONFLICT,
                                "store %s is locked by %s", st->path, who);
        }
        g_usleep(LOCK_POLL_MS * 1000);
    }
    write_holder(fd);
    st->lock_fd = fd;
    /* Only writers hold the lock: a temporary object now is a dead one's. */
    ds_store_clean_tmp(st);
    return 0;
}

void ds_store_unlock(ds_store *st)
{
    if (!st || st->lock_fd < 0)
        return;
    /* Clear the holder first so nobody reads a released lock as held. */
    if (ftruncate(st->lock_fd, 0) < 0) {
        /* the flock still goes away below */
    }
    flock(st->lock_fd, LOCK_UN);
    close(st->lock_fd);
    st->lock_fd = -1;
}
