/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/pkgcache-fill.c: fill the package cache from a flat package
 * repository (its Packages index read over https with the https
 * transport's libcurl setup, or from file://) and from a host's own apt
 * cache read through its transport. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "drivers/pkgcache-private.h"
#include "manifests/util/error.h"

/* ---- reading a URL ---- */

/* A regular file of at most max bytes. */
static int read_local(GBytes **out, const char *path, gsize max,
                      const char *shown, GError **err)
{
    g_autoptr(GByteArray) buf = g_byte_array_new();
    guint8 chunk[65536];
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    int rc = 0;

    if (fd < 0)
        return ds_error_set(err, errno == ENOENT ? DS_ENOTFOUND : DS_EGENERIC,
                            "%s: %s", shown, g_strerror(errno));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return ds_error_set(err, DS_EINVALID, "%s: not a regular file", shown);
    }
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = ds_error_set(err, DS_EGENERIC, "%s: %s", shown,
                              g_strerror(errno));
            break;
        }
        if (n == 0)
            break;
        g_byte_array_append(buf, chunk, (guint)n);
        if (buf->len > max) {
            rc = ds_error_set(err, DS_EINVALID,
                              "%s: body over %" G_GSIZE_FORMAT " bytes", shown,
                              max);
            break;
        }
    }
    close(fd);
    if (rc == 0)
        *out = g_byte_array_free_to_bytes(g_steal_pointer(&buf));
    return rc;
}

int ds_pkgcache_repo_init(ds_pkgcache_repo *r, const char *url, const ds_pkgcache_options *o,
                     GError **err)
{
    r->url = url;
    r->opts = o;
    if (url[0] == '/') {
        r->dir = g_canonicalize_filename(url, NULL);
        return 0;
    }
    if (g_str_has_prefix(url, "file://")) {
        g_autoptr(GError) e = NULL;

        r->dir = g_filename_from_uri(url, NULL, &e);
        if (!r->dir || !g_path_is_absolute(r->dir))
            return ds_error_set(err, DS_EINVALID,
                                "package repository '%s': not a valid file:// URL",
                                url);
        return 0;
    }
    if (!g_str_has_prefix(url, "https://"))
        return ds_error_set(err, DS_EINVALID,
                            "package repository '%s': only https:// and file:// repositories are read",
                            url);
    r->base = g_strdup(url);
    while (g_str_has_suffix(r->base, "/"))
        r->base[strlen(r->base) - 1] = '\0';
    return 0;
}

void ds_pkgcache_repo_clear(ds_pkgcache_repo *r)
{
    g_free(r->base);
    g_free(r->dir);
}

/* The URL of a repository file, for messages. */
char *ds_pkgcache_repo_shown(const ds_pkgcache_repo *r, const char *file)
{
    if (r->dir)
        return g_strdup_printf("%s/%s", r->dir, file);
    return g_strdup_printf("%s/%s", r->base, file);
}

/* Read the repository-relative file (already checked safe), at most max
 * bytes. */
int ds_pkgcache_repo_get(GBytes **out, const ds_pkgcache_repo *r, const char *file, gsize max,
                    GError **err)
{
    g_autofree char *shown = ds_pkgcache_repo_shown(r, file);
    g_autofree char *escaped = NULL;
    g_autofree char *url = NULL;
    g_autoptr(ds_transport) t = NULL;
    ds_transport_options topts = {
        .host = "package repository",
        .ca_file = r->opts ? r->opts->ca_file : NULL,
        .connect_timeout_ms = r->opts ? r->opts->connect_timeout_ms : 0,
        .timeout_ms = r->opts ? r->opts->timeout_ms : 0,
        .max_output = max ? max : 1,
    };
    int rc;

    if (r->dir) {
        g_autofree char *path = g_build_filename(r->dir, file, NULL);

        return read_local(out, path, max, shown, err);
    }
    /* Every byte of the file name literal in the URL. */
    escaped = g_uri_escape_string(file, "/", FALSE);
    url = g_strdup_printf("%s/%s", r->base, escaped);
    if ((rc = ds_transport_open(&t, url, &topts, err)) < 0)
        return rc;
    return ds_transport_fetch(t, out, err);
}

/* zlib itself: GIO's converter streams were the program's only use of
 * GIO, and loading GIO and the libraries behind it cost every run a fifth
 * of its start-up. */
int ds_pkgcache_gunzip(GBytes **out, GBytes *gz, gsize max, const char *shown,
                       GError **err)
{
    g_autoptr(GByteArray) buf = g_byte_array_new();
    z_stream z = {0};
    gsize len;
    const guint8 *in = g_bytes_get_data(gz, &len);
    guint8 chunk[65536];
    int zrc = Z_OK;
    int rc = 0;

    if (len > G_MAXUINT || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return ds_error_set(err, DS_EINVALID, "%s: cannot gunzip it", shown);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    while (zrc != Z_STREAM_END) {
        z.next_out = chunk;
        z.avail_out = sizeof chunk;
        zrc = inflate(&z, Z_NO_FLUSH);
        if (zrc != Z_OK && zrc != Z_STREAM_END) {
            rc = ds_error_set(err, DS_EINVALID, "%s: cannot gunzip: %s",
                              shown, z.msg ? z.msg
                                           : zrc == Z_BUF_ERROR
                                                 ? "truncated data"
                                                 : "invalid data");
            break;
        }
        g_byte_array_append(buf, chunk, (guint)(sizeof chunk - z.avail_out));
        if (buf->len > max) {
            rc = ds_error_set(err, DS_EINVALID,
                              "%s: over %" G_GSIZE_FORMAT
                              " bytes uncompressed", shown, max);
            break;
        }
    }
    inflateEnd(&z);
    if (rc == 0)
        *out = g_byte_array_free_to_bytes(g_steal_pointer(&buf));
    return rc;
}

/* The repository's Packages index, or Packages.gz when there is no
 * Packages. */
static int repo_index(GPtrArray **out, char **shown, const ds_pkgcache_repo *r,
                      GError **err)
{
    gsize max = r->opts && r->opts->max_index ? r->opts->max_index
                                              : DS_PKGCACHE_DEFAULT_MAX_INDEX;
    g_autoptr(GBytes) data = NULL;
    g_autoptr(GError) e = NULL;
    int rc;

    *shown = ds_pkgcache_repo_shown(r, "Packages");
    rc = ds_pkgcache_repo_get(&data, r, "Packages", max, &e);
    if (rc == DS_ENOTFOUND) {
        g_autoptr(GBytes) gz = NULL;

        g_clear_error(&e);
        g_free(*shown);
        *shown = ds_pkgcache_repo_shown(r, "Packages.gz");
        if ((rc = ds_pkgcache_repo_get(&gz, r, "Packages.gz", max, &e)) == 0)
            rc = ds_pkgcache_gunzip(&data, gz, max, *shown, &e);
    }
    if (rc < 0) {
        g_propagate_error(err, g_steal_pointer(&e));
        return rc;
    }
    return ds_pkgcache_parse_index(out, g_bytes_get_data(data, NULL),
                                   g_bytes_get_size(data), *shown, err);
}

/* ---- filling ---- */

static void add_miss(GPtrArray *missing, const ds_package *p, char *reason)
{
    ds_pkgcache_miss *m = g_new0(ds_pkgcache_miss, 1);

    m->pkg = ds_package_new(p->name, p->version, p->arch, p->source);
    m->reason = reason;
    g_ptr_array_add(missing, m);
}

static char *label(const ds_package *p)
{
    return g_strdup_printf("%s %s %s", p->name, p->version,
                           p->arch ? p->arch : "?");
}

/* The packages of pkgs the cache does not hold yet; those it cannot
 * hold (hostile names) go to missing. */
static GPtrArray *uncached(ds_pkgcache *c, GPtrArray *pkgs, GPtrArray *missing)
{
    GPtrArray *todo = g_ptr_array_new();

    for (guint i = 0; pkgs && i < pkgs->len; i++) {
        const ds_package *p = g_ptr_array_index(pkgs, i);
        g_autoptr(GError) e = NULL;
        int rc =
            ds_pkgcache_lookup(NULL, NULL, c, p->name, p->version, p->arch, &e);

        if (rc == DS_ENOTFOUND)
            g_ptr_array_add(todo, (gpointer)p);
        else if (rc < 0)
            add_miss(missing, p, g_strdup(e->message));
    }
    return todo;
}

static const ds_pkgcache_entry *find_entry(GPtrArray *entries,
                                           const ds_package *p)
{
    gsize n = strcspn(p->name, ":");

    for (guint i = 0; i < entries->len; i++) {
        const ds_pkgcache_entry *e = g_ptr_array_index(entries, i);

        if (strlen(e->name) == n && !strncmp(e->name, p->name, n) &&
            !strcmp(e->version, p->version) && !g_strcmp0(e->arch, p->arch))
            return e;
    }
    return NULL;
}

int ds_pkgcache_fill_from_repository(GPtrArray **missing, ds_pkgcache *c,
                                     const char *url, GPtrArray *pkgs,
                                     const ds_pkgcache_options *opts,
                                     GError **err)
{
    g_autoptr(GPtrArray) miss =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_pkgcache_miss_free);
    g_autoptr(GPtrArray) todo = uncached(c, pkgs, miss);
    g_autoptr(GPtrArray) entries = NULL;
    g_autoptr(GError) e = NULL;
    g_autofree char *index = NULL;
    gsize max_file =
        opts && opts->max_file ? opts->max_file : DS_PKGCACHE_DEFAULT_MAX_FILE;
    ds_pkgcache_repo r = {0};
    int rc;

    if ((rc = ds_pkgcache_repo_init(&r, url, opts, err)) < 0)
        goto done;
    if (todo->len && !(entries = ds_pkgcache_kept_index(c, url, &index)) &&
        repo_index(&entries, &index, &r, &e) < 0) {
        for (guint i = 0; i < todo->len; i++) {
            g_autofree char *l = label(todo->pdata[i]);

            add_miss(miss, todo->pdata[i],
                     g_strdup_printf("%s: repository index unreadable: %s", l,
                                     e->message));
        }
        goto done;
    }
    if (entries)
        ds_pkgcache_keep_index(c, url, index, entries);
    for (guint i = 0; i < todo->len; i++) {
        const ds_package *p = todo->pdata[i];
        const ds_pkgcache_entry *ent = find_entry(entries, p);
        g_autofree char *l = label(p);
        g_autofree char *shown = NULL;
        g_autoptr(GBytes) data = NULL;
        g_autoptr(GError) fe = NULL;

        if (!ent) {
            add_miss(miss, p, g_strdup_printf("%s: not in %s", l, index));
            continue;
        }
        if (!ent->filename) {
            add_miss(miss, p,
                     g_strdup_printf("%s: %s gives an unsafe Filename: refused",
                                     l, index));
            continue;
        }
        if (ent->size > max_file) {
            add_miss(miss, p,
                     g_strdup_printf("%s: %s says %" G_GUINT64_FORMAT
                                     " bytes, over the limit of %" G_GSIZE_FORMAT,
                                     l, index, ent->size, max_file));
            continue;
        }
        shown = ds_pkgcache_repo_shown(&r, ent->filename);
        if (ds_pkgcache_repo_get(&data, &r, ent->filename, (gsize)ent->size, &fe) < 0 ||
            ds_pkgcache_store(c, p->name, p->version, p->arch, data,
                              ent->sha256, (gint64)ent->size, shown, &fe) < 0)
            add_miss(miss, p, g_strdup_printf("%s: %s", l, fe->message));
    }
done:
    ds_pkgcache_repo_clear(&r);
    if (rc == 0 && missing)
        *missing = g_steal_pointer(&miss);
    return rc;
}

int ds_pkgcache_fill_from_host(GPtrArray **missing, ds_pkgcache *c,
                               ds_transport *t, const char *host,
                               GPtrArray *pkgs, GError **err)
{
    g_autoptr(GPtrArray) miss =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_pkgcache_miss_free);
    g_autoptr(GPtrArray) todo = uncached(c, pkgs, miss);

    (void)err;
    for (guint i = 0; i < todo->len; i++) {
        const ds_package *p = todo->pdata[i];
        g_autofree char *l = label(p);
        g_autofree char *stem =
            ds_pkgcache_file_stem(p->name, p->version, p->arch);
        g_autofree char *path = NULL;
        g_autofree char *origin = NULL;
        g_autoptr(GBytes) data = NULL;
        g_autoptr(GError) e = NULL;
        int rc;

        path = g_strdup_printf(DS_PKGCACHE_APT_ARCHIVES "/%s.deb", stem);
        origin = g_strdup_printf("%s:%s", host, path);
        rc = ds_transport_read_file(t, path, &data, &e);
        if (rc == DS_ENOTFOUND) {
            add_miss(miss, p,
                     g_strdup_printf("%s: not in %s's apt cache (%s)", l, host,
                                     path));
            continue;
        }
        if (rc < 0 || ds_pkgcache_store(c, p->name, p->version, p->arch, data,
                                        NULL, -1, origin, &e) < 0)
            add_miss(miss, p,
                     g_strdup_printf("%s: from %s's apt cache: %s", l, host,
                                     e->message));
    }
    if (missing)
        *missing = g_steal_pointer(&miss);
    return 0;
}
