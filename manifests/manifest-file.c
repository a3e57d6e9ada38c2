/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/manifest-file.c: a manifest read from a file: a regular file
 * only (a FIFO or a device is refused without waiting), never more than
 * the size limit read, then parsed (manifest-parse.c). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifests/util/error.h"
#include "manifests/manifest-private.h"

static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "of an unknown kind";
}

int ds_manifest_read_file(char **out, gsize *out_len, const char *filename,
                          GError **err)
{
    g_autofree char *buf = NULL;
    struct stat st;
    gsize len = 0, cap;
    int fd, e;

    *out = NULL;
    *out_len = 0;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; anything but
     * a regular file is then refused before a byte is read. */
    fd = open(filename, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        e = errno;
        return ds_error_set(err, e == ENOENT ? DS_ENOTFOUND : DS_EGENERIC,
                            "%s: cannot open: %s", filename, g_strerror(e));
    }
    if (fstat(fd, &st) < 0) {
        e = errno;
        close(fd);
        return ds_error_set(err, DS_EGENERIC, "%s: cannot read: %s", filename,
                            g_strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return ds_error_set(err, DS_EINVALID,
                            "%s: not a regular file (%s); refused", filename,
                            file_kind(st.st_mode));
    }
    if ((guint64)st.st_size > DS_MANIFEST_MAX_BYTES) {
        close(fd);
        return ds_error_set(err, DS_EINVALID,
                            "%s: file of %" G_GUINT64_FORMAT
                            " bytes is larger than the limit of %u bytes",
                            filename, (guint64)st.st_size,
                            DS_MANIFEST_MAX_BYTES);
    }
    /* Read at most one byte more than the limit, whatever stat said. */
    cap = (gsize)st.st_size + 1;
    buf = g_malloc(cap);
    for (;;) {
        ssize_t n;
        if (len == cap) {
            if (cap > DS_MANIFEST_MAX_BYTES)
                break;
            cap = MIN(cap * 2, (gsize)DS_MANIFEST_MAX_BYTES + 1);
            buf = g_realloc(buf, cap);
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            e = errno;
            close(fd);
            return ds_error_set(err, DS_EGENERIC, "%s: cannot read: %s",
                                filename, g_strerror(e));
        }
        if (n == 0)
            break;
        len += (gsize)n;
    }
    close(fd);
    if (len > DS_MANIFEST_MAX_BYTES)
        return ds_error_set(err, DS_EINVALID,
                            "%s: larger than the limit of %u bytes",
                            filename, DS_MANIFEST_MAX_BYTES);
    *out = g_steal_pointer(&buf);
    *out_len = len;
    return 0;
}

int ds_manifest_load(ds_manifest **out, const char *filename, GError **err)
{
    g_autofree char *buf = NULL;
    gsize len = 0;
    int rc;

    *out = NULL;
    rc = ds_manifest_read_file(&buf, &len, filename, err);
    if (rc < 0)
        return rc;
    return ds_manifest_parse(out, buf, len, filename, err);
}
