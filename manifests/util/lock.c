/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/lock.c: a flock(2)ed lock file naming its holder (pid,
 * host, start time), used for the store's writer lock and a lab's lock. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "manifests/util/error.h"
#include "manifests/util/lock.h"

#define LOCK_POLL_MS 50
#define LOCK_HOLDER_MAX 512 /* bytes of the holder line read back */

struct ds_lock {
    int fd;
};

char *ds_lock_describe_holder(const char *text)
{
    char host[256] = "", since[64] = "";
    long pid = 0;
    int n;

    if (!text)
        return NULL;
    n = sscanf(text, "%ld %255s %63s", &pid, host, since);
    if (n == 3 && pid > 0)
        return g_strdup_printf("pid %ld on %s since %s", pid, host, since);
    /* A lab lock written before the holder's host was named. */
    if (n == 2 && pid > 0)
        return g_strdup_printf("pid %ld since %s", pid, host);
    if (n == 1 && pid > 0)
        return g_strdup_printf("pid %ld", pid);
    return NULL;
}

static char *read_holder(int fd)
{
    char buf[LOCK_HOLDER_MAX];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    char *who;

    if (n <= 0)
        return g_strdup("another process");
    buf[n] = '\0';
    who = ds_lock_describe_holder(buf);
    return who ? who : g_strdup("another process");
}

/* Name ourselves as the holder.  Only a courtesy to whoever is refused:
 * the flock alone keeps writers apart, so a failed write is no failure. */
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

int ds_lock_take(ds_lock **out, char **holder, const char *path, guint mode,
                 int timeout_ms, GError **err)
{
    gint64 deadline;
    ds_lock *lock;
    int fd;

    *out = NULL;
    if (holder)
        *holder = NULL;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode & 07777);
    if (fd < 0)
        return ds_error_set(err, DS_EGENERIC, "cannot open %s: %s", path,
                            g_strerror(errno));
    deadline = g_get_monotonic_time() + (gint64)MAX(timeout_ms, 0) * 1000;
    while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;

        if (e != EWOULDBLOCK && e != EINTR) {
            close(fd);
            return ds_error_set(err, DS_EGENERIC, "cannot lock %s: %s", path,
                                g_strerror(e));
        }
        if (e == EINTR)
            continue;
        if (g_get_monotonic_time() >= deadline) {
            g_autofree char *who = read_holder(fd);

            close(fd);
            ds_error_set(err, DS_ECONFLICT, "%s is locked by %s", path, who);
            if (holder)
                *holder = g_steal_pointer(&who);
            return DS_ECONFLICT;
        }
        g_usleep(LOCK_POLL_MS * 1000);
    }
    write_holder(fd);
    lock = g_new0(ds_lock, 1);
    lock->fd = fd;
    *out = lock;
    return 0;
}

void ds_lock_release(ds_lock *lock)
{
    if (!lock)
        return;
    /* Clear the holder first so nobody reads a released lock as held. */
    if (ftruncate(lock->fd, 0) < 0) {
        /* the flock still goes away below */
    }
    flock(lock->fd, LOCK_UN);
    close(lock->fd);
    g_free(lock);
}
