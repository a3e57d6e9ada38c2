/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform-tar.c: a strict reader of the tar streams (GNU, ustar
 * and pax headers) that carry a batch of files from a host in one
 * round-trip. */
#include <config.h>

#include <string.h>

#include "drivers/platform-dpkg.h"
#include "manifests/util/error.h"

#define BLOCK 512

/* An octal or base-256 numeric header field. */
static gboolean tar_number(guint64 *out, const guchar *f, gsize n)
{
    guint64 v = 0;
    gsize i = 0;

    if (f[0] & 0x80) {
        if (f[0] != 0x80)
            return FALSE; /* negative or absurd */
        for (i = 1; i < n; i++) {
            if (v >> 56)
                return FALSE;
            v = (v << 8) | f[i];
        }
        *out = v;
        return TRUE;
    }
    while (i < n && f[i] == ' ')
        i++;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
        if (v >> 60)
            return FALSE;
        v = (v << 3) | (guint64)(f[i] - '0');
    }
    for (; i < n; i++)
        if (f[i] != ' ' && f[i] != '\0')
            return FALSE;
    *out = v;
    return TRUE;
}

static char *field_str(const guchar *f, gsize n)
{
    const guchar *z = memchr(f, '\0', n);
    return g_strndup((const char *)f, z ? (gsize)(z - f) : n);
}

/* Data of a long-name ('L'/'K') member: the name, NUL-terminated. */
static char *data_str(const guchar *d, gsize n)
{
    return field_str(d, n);
}

/* Records "LEN key=value\n" of a pax extended header. */
static void pax_parse(const guchar *d, gsize n, char **path, char **link)
{
    gsize off = 0;

    while (off < n) {
        guint64 len = 0;
        gsize i = off;
        const char *rec, *eq;

        while (i < n && g_ascii_isdigit(d[i]))
            len = len * 10 + (guint64)(d[i++] - '0');
        if (i >= n || d[i] != ' ' || len == 0 || len > n - off)
            return;
        rec = (const char *)d + i + 1;
        eq = memchr(rec, '=', (gsize)(off + len - (i + 1)));
        if (!eq || d[off + len - 1] != '\n')
            return;
        gsize vlen = (gsize)((const char *)d + off + len - 1 - (eq + 1));
        if (eq - rec == 4 && memcmp(rec, "path", 4) == 0) {
            g_free(*path);
            *path = g_strndup(eq + 1, vlen);
        } else if (eq - rec == 8 && memcmp(rec, "linkpath", 8) == 0) {
            g_free(*link);
            *link = g_strndup(eq + 1, vlen);
        }
        off += (gsize)len;
    }
}

int ds_tar_parse(GBytes *archive, ds_tar_member_fn fn, void *payload,
                 const char *origin, GError **err)
{
    gsize len, off = 0;
    const guchar *a = g_bytes_get_data(archive, &len);
    g_autofree char *long_name = NULL, *long_link = NULL;
    gboolean ended = FALSE;

    if (len == 0)
        return 0; /* no members at all: nothing was archived */
    while (off + BLOCK <= len) {
        const guchar *h = a + off;
        guint64 size, sum_want, sum = 0;
        char type = (char)h[156];
        const guchar *data;
        gsize padded;
        gboolean zero = TRUE;

        for (gsize i = 0; i < BLOCK && zero; i++)
            zero = h[i] == 0;
        if (zero) {
            /* end-of-archive; another archive may follow (xargs may run
             * tar more than once) */
            ended = TRUE;
            off += BLOCK;
            continue;
        }
        ended = FALSE;
        for (gsize i = 0; i < BLOCK; i++)
            sum += (i >= 148 && i < 156) ? ' ' : h[i];
        if (!tar_number(&sum_want, h + 148, 8) || sum != sum_want ||
            !tar_number(&size, h + 124, 12))
            return ds_error_set(err, DS_EINVALID,
                                "%s: malformed tar header at byte %" G_GSIZE_FORMAT,
                                origin, off);
        off += BLOCK;
        if (size > len - off)
            return ds_error_set(err, DS_EINVALID,
                                "%s: tar member at byte %" G_GSIZE_FORMAT
                                " is truncated",
                                origin, off - BLOCK);
        data = a + off;
        padded = ((gsize)size + BLOCK - 1) / BLOCK * BLOCK;
        off = MIN(len, off + padded);
        switch (type) {
        case 'L':
            g_free(long_name);
            long_name = data_str(data, (gsize)size);
            continue;
        case 'K':
            g_free(long_link);
            long_link = data_str(data, (gsize)size);
            continue;
        case 'x':
            pax_parse(data, (gsize)size, &long_name, &long_link);
            continue;
        case 'g':
            continue;
        default:
            break;
        }
        g_autofree char *name = NULL, *link = NULL;
        if (long_name) {
            name = g_steal_pointer(&long_name);
        } else if (memcmp(h + 257, "ustar\0", 6) == 0 && h[345]) {
            g_autofree char *prefix = field_str(h + 345, 155);
            g_autofree char *base = field_str(h, 100);
            name = g_strconcat(prefix, "/", base, NULL);
        } else {
            name = field_str(h, 100);
        }
        link = long_link ? g_steal_pointer(&long_link) : field_str(h + 157, 100);
        if (type == '0' || type == '\0' || type == '7') {
            g_autoptr(GBytes) content =
                g_bytes_new_from_bytes(archive, (gsize)(data - a), (gsize)size);
            int rc = fn(name, 'f', NULL, content, payload, err);
            if (rc < 0)
                return rc;
        } else if (type == '2') {
            int rc = fn(name, 'l', link, NULL, payload, err);
            if (rc < 0)
                return rc;
        }
        /* Directories, hard links, devices: not collected. */
    }
    if (ended && off == len)
        return 0;
    return ds_error_set(err, DS_EINVALID,
                        "%s: truncated tar stream (no end-of-archive marker)",
                        origin);
}
