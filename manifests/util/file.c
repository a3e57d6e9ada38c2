/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/file.c: atomic file replacement (temporary file in the
 * same directory, fsync, rename, fsync of the directory). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifests/util/error.h"
#include "manifests/util/file.h"

/* Bytes handed to one write(2). */
#define FILE_WRITE_CHUNK ((gsize)1 << 20)

/* "cannot WHAT PATH: CAUSE" */
static int fail(GError **err, int errsv, const char *what, const char *path)
{
    int code = errsv == ENOENT ? DS_ENOTFOUND : DS_EGENERIC;

    return ds_error_set(err, code, "cannot %s %s: %s", what, path,
                        g_strerror(errsv));
}

static int write_all(int fd, const void *data, gsize len)
{
    const guint8 *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, MIN(len, FILE_WRITE_CHUNK));

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        p += n;
        len -= (gsize)n;
    }
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc, errsv;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    errsv = errno;
    close(fd);
    errno = errsv;
    return rc;
}

static int write_temp(char **tmp, const char *path, const void *data,
                      gsize len, guint mode, bool sync, GError **err)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *name = g_strdup_printf(".tmp-%s-XXXXXX", base);
    g_autofree char *t = g_build_filename(dir, name, NULL);
    int fd = g_mkstemp_full(t, O_WRONLY | O_CLOEXEC, (int)(mode & 07777));
    int errsv;

    *tmp = NULL;
    if (fd < 0)
        return fail(err, errno, "create a file in", dir);
    /* mkstemp's mode went through the umask */
    if (fchmod(fd, mode & 07777) < 0 || write_all(fd, data, len) < 0 ||
        (sync && fsync(fd) < 0))
        goto fail;
    if (close(fd) < 0) {
        fd = -1;
        goto fail;
    }
    *tmp = g_steal_pointer(&t);
    return 0;
fail:
    errsv = errno ? errno : EIO;
    if (fd >= 0)
        close(fd);
    unlink(t);
    return fail(err, errsv, "write", path);
}

int ds_file_write_temp(char **tmp, const char *path, const void *data,
                       gsize len, guint mode, GError **err)
{
    return write_temp(tmp, path, data, len, mode, true, err);
}

int ds_file_commit_temp(const char *tmp, const char *path, ds_file_flags flags,
                        GError **err)
{
    g_autofree char *dir = g_path_get_dirname(path);

    if (flags & DS_FILE_NO_REPLACE) {
        /* link() fails with EEXIST instead of replacing a file made
         * meanwhile: exclusive creation, atomic with the content. */
        if (link(tmp, path) < 0 && errno != EEXIST) {
            int errsv = errno;

            unlink(tmp);
            return fail(err, errsv, "create", path);
        }
        unlink(tmp);
    } else if (rename(tmp, path) < 0) {
        int errsv = errno;

        unlink(tmp);
        return fail(err, errsv, "write", path);
    }
    if (!(flags & DS_FILE_NO_SYNC) && fsync_dir(dir) < 0)
        return fail(err, errno, "sync", dir);
    return 0;
}

int ds_file_write_atomic(const char *path, const void *data, gsize len,
                         guint mode, ds_file_flags flags, GError **err)
{
    g_autofree char *tmp = NULL;
    int rc;

    if (flags & DS_FILE_MKDIR) {
        g_autofree char *dir = g_path_get_dirname(path);

        if (g_mkdir_with_parents(dir, 0700) < 0)
            return fail(err, errno, "create", dir);
    }
    if ((rc = write_temp(&tmp, path, data, len, mode,
                         !(flags & DS_FILE_NO_SYNC), err)) < 0)
        return rc;
    return ds_file_commit_temp(tmp, path, flags, err);
}
