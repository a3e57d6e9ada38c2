/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform.c: the table of platforms, host detection, and the HMAC
 * key that keeps secret files comparable without storing them. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/platform-dpkg.h"
#include "drivers/platform-rpm.h"
#include "drivers/platform.h"
#include "manifests/util/error.h"
#include "manifests/util/file.h"

#define DS_HMAC_KEY_LEN 32

static const ds_platform_ops *const platforms[] = {
    &ds_platform_dpkg_ops,
    &ds_platform_rpm_ops,
};

/* "HOST: " before a message that does not start with it already (the
 * transports name the host themselves). */
static int name_host(GError **err, int rc, const char *host)
{
    const char *msg = err && *err ? (*err)->message : NULL;
    gsize n = strlen(host);

    if (msg && !(strncmp(msg, host, n) == 0 && msg[n] == ':'))
        ds_error_prefix(err, rc, "%s: ", host);
    return rc;
}

const ds_platform_ops *ds_platform_find(const char *name)
{
    if (!name)
        return NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(platforms); i++)
        if (strcmp(platforms[i]->name, name) == 0)
            return platforms[i];
    return NULL;
}

int ds_platform_collect(ds_manifest **out, ds_transport *t,
                        const ds_collect_options *opts, GError **err)
{
    const char *host = opts && opts->host ? opts->host : "host";

    *out = NULL;
    if (!t || !opts)
        return ds_error_set(err, DS_EINVALID,
                            "%s: no transport or options to collect with",
                            host);
    /* The first platform (dpkg) needs no detection round-trip: its
     * collect says itself when the host is not of its kind
     * (DS_EUNSUPPORTED).  Only then are the others asked, in order, and
     * when none claims the host its answer stands. */
    GError *first = NULL;
    int rc = platforms[0]->collect(out, t, opts, &first);

    if (rc != DS_EUNSUPPORTED) {
        if (first)
            g_propagate_error(err, first);
        return rc;
    }
    for (gsize i = 1; i < G_N_ELEMENTS(platforms); i++) {
        const ds_platform_ops *p = platforms[i];
        GError *local = NULL;
        int drc;

        if (!p->detect || !p->collect)
            continue;
        drc = p->detect(t, &local);
        if (drc == DS_ENOTFOUND) {
            g_clear_error(&local);
            continue;
        }
        g_clear_error(&first);
        if (drc < 0) {
            g_propagate_error(err, local);
            return name_host(err, drc, host);
        }
        return p->collect(out, t, opts, err);
    }
    g_propagate_error(err, first);
    return rc;
}

/* Read exactly DS_HMAC_KEY_LEN bytes from a key file we opened. */
static int read_key(GBytes **out, int fd, const char *path, GError **err)
{
    guint8 buf[DS_HMAC_KEY_LEN + 1];
    gsize got = 0;
    struct stat st;

    if (fstat(fd, &st) < 0)
        return ds_error_set(err, DS_EGENERIC, "%s: %s", path,
                            g_strerror(errno));
    if (!S_ISREG(st.st_mode))
        return ds_error_set(err, DS_EINVALID, "%s: not a regular file",
                            path);
    if (st.st_mode & 077)
        return ds_error_set(err, DS_EINVALID,
                            "%s: HMAC key file is accessible by group or others (mode %04o); make it 0600",
                            path, (unsigned)(st.st_mode & 07777));
    while (got < sizeof buf) {
        ssize_t n = read(fd, buf + got, sizeof buf - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ds_error_set(err, DS_EGENERIC, "%s: %s", path,
                                g_strerror(errno));
        if (n == 0)
            break;
        got += (gsize)n;
    }
    if (got != DS_HMAC_KEY_LEN) {
        memset(buf, 0, sizeof buf);
        return ds_error_set(err, DS_EINVALID,
                            "%s: HMAC key file must hold exactly %d bytes",
                            path, DS_HMAC_KEY_LEN);
    }
    *out = g_bytes_new(buf, DS_HMAC_KEY_LEN);
    memset(buf, 0, sizeof buf);
    return 0;
}

/* Create a new key: written to a private temporary file next to PATH,
 * then linked into place (never replacing one), so that a reader never
 * sees half a key and two concurrent creators agree on one key (the loser
 * reads the winner's). */
static int create_key(const char *path, GError **err)
{
    guint8 key[DS_HMAC_KEY_LEN];
    gsize got = 0;
    int rc;

    while (got < sizeof key) {
        ssize_t n = getrandom(key + got, sizeof key - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ds_error_set(err, DS_EGENERIC,
                                "%s: no random bytes for a new key: %s",
                                path, g_strerror(errno));
        got += (gsize)n;
    }
    rc = ds_file_write_atomic(path, key, sizeof key, 0600, DS_FILE_NO_REPLACE,
                              err);
    memset(key, 0, sizeof key);
    return rc;
}

int ds_hmac_key_load(GBytes **out, const char *path, GError **err)
{
    int fd, rc;

    *out = NULL;
    if (!path || !*path)
        return ds_error_set(err, DS_EINVALID, "no HMAC key file given");
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) {
        rc = create_key(path, err);
        if (rc < 0)
            return rc;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    }
    if (fd < 0)
        return ds_error_set(err, errno == ENOENT ? DS_ENOTFOUND : DS_EGENERIC,
                            "%s: cannot open HMAC key: %s", path,
                            g_strerror(errno));
    rc = read_key(out, fd, path, err);
    close(fd);
    return rc;
}
