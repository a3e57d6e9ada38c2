/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/transport-local.c: the "local:" transport: this machine, or with
 * "local:/srv/root" an unpacked root file system whose files are read and
 * written as if chrooted into it (symlinks never lead outside). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__has_include)
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define DS_HAVE_OPENAT2_H 1
#endif
#endif

#include "drivers/transport-private.h"
#include "manifests/util/error.h"

#define MAX_SYMLINKS 40

typedef struct local_state {
    char *host;  /* for messages */
    char *root;  /* canonical root, NULL for the host itself */
    int root_fd; /* O_PATH directory: root, or "/" */
    ds_transport_options opts;
} local_state;

/* ---- path resolution inside a root ---------------------------------- */

static void push_components(GQueue *q, const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);

    for (gssize i = (gssize)g_strv_length(parts) - 1; i >= 0; i--)
        if (parts[i][0] && strcmp(parts[i], ".") != 0)
            g_queue_push_head(q, g_strdup(parts[i]));
}

static void reset_to_root(GArray *stack)
{
    while (stack->len > 1) {
        close(g_array_index(stack, int, stack->len - 1));
        g_array_set_size(stack, stack->len - 1);
    }
}

/* Walk PATH one component at a time from root_fd; every directory is held
 * open (O_PATH) on a stack so ".." pops instead of looking the parent up,
 * which could leave the root if a directory were moved meanwhile. */
static int open_manual(int root_fd, const char *path, int flags)
{
    g_autoptr(GArray) stack = g_array_new(FALSE, FALSE, sizeof(int));
    GQueue q = G_QUEUE_INIT;
    int links = 0, fd, rc = -ENOENT;

    fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return -errno;
    g_array_append_val(stack, fd);
    push_components(&q, path);
    if (g_queue_is_empty(&q)) /* the root itself */
        g_queue_push_tail(&q, g_strdup("."));

    while (!g_queue_is_empty(&q)) {
        g_autofree char *name = g_queue_pop_head(&q);
        int top = g_array_index(stack, int, stack->len - 1);
        gboolean last = g_queue_is_empty(&q);
        struct stat st;

        if (strcmp(name, "..") == 0) {
            if (stack->len > 1) {
                close(top);
                g_array_set_size(stack, stack->len - 1);
            }
            name[1] = '\0'; /* "." : the directory we are now in */
            if (!last)
                continue;
            top = g_array_index(stack, int, stack->len - 1);
        }
        if (strcmp(name, ".") != 0 &&
            fstatat(top, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = readlinkat(top, name, target, sizeof(target) - 1);
            if (n < 0) {
                rc = -errno;
                goto done;
            }
            target[n] = '\0';
            if (++links > MAX_SYMLINKS) {
                rc = -ELOOP;
                goto done;
            }
            if (target[0] == '/')
                reset_to_root(stack);
            push_components(&q, target);
            if (g_queue_is_empty(&q)) /* link to "/" or "." */
                g_queue_push_tail(&q, g_strdup("."));
            continue;
        }
        if (last) {
            /* O_NOFOLLOW: a symlink swapped in since the check fails. */
            fd = openat(top, name, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
            rc = fd < 0 ? -errno : fd;
            goto done;
        }
        fd = openat(top, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            rc = -errno;
            goto done;
        }
        g_array_append_val(stack, fd);
    }
done:
    for (guint i = 0; i < stack->len; i++)
        close(g_array_index(stack, int, i));
    g_queue_clear_full(&q, g_free);
    return rc;
}

int ds_local_open_in_root(int root_fd, const char *path, int flags,
                          gboolean manual)
{
#if defined(DS_HAVE_OPENAT2_H) && defined(SYS_openat2)
    if (!manual) {
        struct open_how how = {
            .flags = (unsigned)(flags | O_CLOEXEC),
            .mode = (flags & O_CREAT) ? 0600 : 0,
            .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        for (int tries = 0; tries < 8; tries++) {
            long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
            if (fd >= 0)
                return (int)fd;
            if (errno == EAGAIN || errno == EINTR)
                continue; /* a rename raced the lookup: try again */
            if (errno != ENOSYS && errno != EPERM)
                return -errno;
            break; /* old kernel, or a seccomp filter said no */
        }
    }
#endif
    return open_manual(root_fd, path, flags);
}

/* ---- the transport -------------------------------------------------- */

static int fail_errno(local_state *s, const char *path, int e, GError **err)
{
    int code = DS_EGENERIC;

    if (e == ENOENT || e == ENOTDIR)
        code = DS_ENOTFOUND;
    else if (e == ELOOP || e == EXDEV || e == EISDIR)
        code = DS_EINVALID;
    return ds_error_set(err, code, "%s: %s%s%s%s: %s", s->host, path,
                        s->root ? " (in " : "", s->root ? s->root : "",
                        s->root ? ")" : "", g_strerror(e));
}

static void local_close(void *state)
{
    local_state *s = state;

    if (!s)
        return;
    if (s->root_fd >= 0)
        close(s->root_fd);
    g_free(s->host);
    g_free(s->root);
    g_free(s);
}

static int local_open(void **state, const char *uri,
                      const ds_transport_options *opts, GError **err)
{
    const char *host = opts->host ? opts->host : "localhost";
    const char *path = uri + strlen("local:");
    local_state *s;
    char *real = NULL;

    if (*path && *path != '/')
        return ds_error_set(err, DS_EINVALID,
                            "%s: '%s': the root in local:ROOT must be an absolute path",
                            host, uri);
    if (*path) {
        struct stat st;
        real = realpath(path, NULL);
        if (!real)
            return ds_error_set(
                err, errno == ENOENT ? DS_ENOTFOUND : DS_EGENERIC,
                "%s: root %s: %s", host, path, g_strerror(errno));
        if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
            free(real);
            return ds_error_set(err, DS_EINVALID,
                                "%s: root %s is not a directory", host, path);
        }
        if (strcmp(real, "/") == 0)
            g_clear_pointer(&real, free);
    }
    s = g_new0(local_state, 1);
    s->host = g_strdup(host);
    s->root = g_strdup(real);
    free(real);
    s->root_fd =
        open(s->root ? s->root : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (s->root_fd < 0) {
        int e = errno;
        int rc = ds_error_set(err, DS_EGENERIC, "%s: root %s: %s", host,
                              s->root ? s->root : "/", g_strerror(e));
        local_close(s);
        return rc;
    }
    s->opts.host = s->host;
    s->opts.timeout_ms = opts->timeout_ms;
    s->opts.max_output = opts->max_output;
    *state = s;
    return 0;
}

static const char *local_root(void *state)
{
    return ((local_state *)state)->root;
}

static int local_run(void *state, const char *const *argv, GBytes *stdin_data,
                     ds_run_result *result, GError **err)
{
    local_state *s = state;

    return ds_transport_spawn(argv, stdin_data, &s->opts, result, err);
}

static int local_read_file(void *state, const char *path, GBytes **out,
                           GError **err)
{
    local_state *s = state;
    gsize limit = s->opts.max_output ? s->opts.max_output
                                     : DS_TRANSPORT_DEFAULT_MAX_OUTPUT;
    g_autoptr(GByteArray) buf = g_byte_array_new();
    guint8 chunk[65536];
    struct stat st;
    int fd, rc = 0;

    /* O_NONBLOCK: a FIFO must not hang the open; refused below. */
    fd = ds_local_open_in_root(s->root_fd, path,
                               O_RDONLY | O_NONBLOCK | O_NOCTTY, FALSE);
    if (fd < 0)
        return fail_errno(s, path, -fd, err);
    if (fstat(fd, &st) < 0) {
        rc = fail_errno(s, path, errno, err);
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = ds_error_set(err, DS_EINVALID, "%s: %s is not a regular file",
                          s->host, path);
        goto done;
    }
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = fail_errno(s, path, errno, err);
            goto done;
        }
        if (n == 0)
            break;
        g_byte_array_append(buf, chunk, (guint)n);
        if (buf->len > limit) {
            rc = ds_error_set(err, DS_EINVALID,
                              "%s: %s: file over %" G_GSIZE_FORMAT " bytes",
                              s->host, path, limit);
            goto done;
        }
    }
    *out = g_byte_array_free_to_bytes(g_steal_pointer(&buf));
done:
    close(fd);
    return rc;
}

static int write_all(int fd, const guint8 *data, gsize len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, MIN(len, (gsize)1 << 20));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        data += n;
        len -= (gsize)n;
    }
    return 0;
}

/* Write a temporary file next to PATH and rename it over PATH: readers
 * see the old file or the new one, never half of it. */
static int local_write_file(void *state, const char *path, GBytes *data,
                            guint mode, GError **err)
{
    local_state *s = state;
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *tmp = NULL;
    gsize len = 0;
    const guint8 *bytes = data ? g_bytes_get_data(data, &len) : NULL;
    int dfd, fd = -1, e, rc = 0;

    if (!base[0] || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
        strcmp(base, "/") == 0)
        return ds_error_set(err, DS_EINVALID, "%s: %s is not a file path",
                            s->host, path);
    dfd = ds_local_open_in_root(s->root_fd, dir, O_PATH | O_DIRECTORY, FALSE);
    if (dfd < 0)
        return fail_errno(s, dir, -dfd, err);
    for (int tries = 0; fd < 0 && tries < 100; tries++) {
        g_free(tmp);
        tmp = g_strdup_printf(".%s.ds-%08x", base, g_random_int());
        fd = openat(dfd, tmp,
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        rc = fail_errno(s, path, errno, err);
        goto done;
    }
    e = -write_all(fd, bytes, len);
    if (!e && fchmod(fd, mode) < 0)
        e = errno;
    if (!e && fsync(fd) < 0)
        e = errno;
    if (close(fd) < 0 && !e)
        e = errno;
    if (e) {
        unlinkat(dfd, tmp, 0);
        rc = fail_errno(s, path, e, err);
        goto done;
    }
    if (renameat(dfd, tmp, dfd, base) < 0) {
        e = errno;
        unlinkat(dfd, tmp, 0);
        rc = fail_errno(s, path, e, err);
    }
done:
    close(dfd);
    return rc;
}

const ds_transport_ops ds_transport_local_ops = {
    .scheme = "local",
    .open = local_open,
    .run = local_run,
    .read_file = local_read_file,
    .write_file = local_write_file,
    .fetch = NULL,
    .close = local_close,
    .root = local_root,
};
