/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/pkgcache.c: the package cache's store: content-addressed files
 * written atomically, the per-package index, look-ups, and the parser of
 * a repository's Packages index (filling is in pkgcache-fill.c). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/pkgcache-private.h"
#include "manifests/util/error.h"
#include "manifests/util/file.h"
#include "manifests/version.h"

#define DPKG_DEB_TIMEOUT_MS (60 * 1000)
#define INDEX_ENTRY_MAX 128

struct ds_pkgcache {
    char *dir;
    char *files; /* DIR/sha256 */
    char *index; /* DIR/index */
    /* The last repository index read, kept for the next fill. */
    char *repo_url;
    char *repo_shown;
    GPtrArray *repo_entries;
};

void ds_pkgcache_miss_free(ds_pkgcache_miss *m)
{
    if (!m)
        return;
    ds_package_free(m->pkg);
    g_free(m->reason);
    g_free(m);
}

void ds_pkgcache_entry_free(ds_pkgcache_entry *e)
{
    if (!e)
        return;
    g_free(e->name);
    g_free(e->version);
    g_free(e->arch);
    g_free(e->filename);
    g_free(e->sha256);
    g_free(e);
}

void ds_pkgcache_free(ds_pkgcache *c)
{
    if (!c)
        return;
    g_free(c->dir);
    g_free(c->files);
    g_free(c->index);
    g_free(c->repo_url);
    g_free(c->repo_shown);
    if (c->repo_entries)
        g_ptr_array_unref(c->repo_entries);
    g_free(c);
}

void ds_pkgcache_keep_index(ds_pkgcache *c, const char *url, const char *shown,
                            GPtrArray *entries)
{
    g_free(c->repo_url);
    g_free(c->repo_shown);
    if (c->repo_entries)
        g_ptr_array_unref(c->repo_entries);
    c->repo_url = g_strdup(url);
    c->repo_shown = g_strdup(shown);
    c->repo_entries = g_ptr_array_ref(entries);
}

GPtrArray *ds_pkgcache_kept_index(ds_pkgcache *c, const char *url, char **shown)
{
    if (!c->repo_entries || g_strcmp0(c->repo_url, url) != 0)
        return NULL;
    *shown = g_strdup(c->repo_shown);
    return g_ptr_array_ref(c->repo_entries);
}

const char *ds_pkgcache_dir(const ds_pkgcache *c)
{
    return c->dir;
}

static int fail_errno(GError **err, int errsv, const char *what,
                      const char *path)
{
    return ds_error_set(err, errsv == ENOENT ? DS_ENOTFOUND : DS_EGENERIC,
                        "package cache: %s %s: %s", what, path,
                        g_strerror(errsv));
}

int ds_pkgcache_open(ds_pkgcache **out, const char *dir, GError **err)
{
    g_autoptr(ds_pkgcache) c = g_new0(ds_pkgcache, 1);

    if (!dir || !*dir)
        return ds_error_set(err, DS_EINVALID, "package cache: no directory");
    c->dir = g_canonicalize_filename(dir, NULL);
    c->files = g_build_filename(c->dir, "sha256", NULL);
    c->index = g_build_filename(c->dir, "index", NULL);
    if (g_mkdir_with_parents(c->files, 0755) < 0)
        return fail_errno(err, errno, "cannot create", c->files);
    if (g_mkdir_with_parents(c->index, 0755) < 0)
        return fail_errno(err, errno, "cannot create", c->index);
    *out = g_steal_pointer(&c);
    return 0;
}

/* ---- names ---- */

bool ds_pkgcache_arch_is_safe(const char *arch)
{
    gsize n = 0;

    if (!arch || !g_ascii_isalnum(arch[0]))
        return false;
    for (; arch[n]; n++)
        if (!(g_ascii_isdigit(arch[n]) || g_ascii_islower(arch[n]) ||
              arch[n] == '-'))
            return false;
    return n <= 64;
}

bool ds_pkgcache_version_is_safe(const char *version)
{
    return version && ds_version_is_valid(version) && strlen(version) <= 256 &&
           !strchr(version, '/') && version[0] != '-';
}

char *ds_pkgcache_file_stem(const char *name, const char *version,
                            const char *arch)
{
    g_autofree char *bare = NULL;
    g_autoptr(GString) s = NULL;
    const char *colon;

    if (!name || !ds_name_is_safe_package(name) ||
        !ds_pkgcache_version_is_safe(version) ||
        !ds_pkgcache_arch_is_safe(arch))
        return NULL;
    colon = strchr(name, ':');
    bare = colon ? g_strndup(name, (gsize)(colon - name)) : g_strdup(name);
    /* "libc6:i386" is libc6 for i386: the qualifier must agree. */
    if (colon && strcmp(colon + 1, arch) != 0 && strcmp(colon + 1, "any"))
        return NULL;
    s = g_string_new(bare);
    g_string_append_c(s, '_');
    for (const char *p = version; *p; p++) {
        if (*p == ':')
            g_string_append(s, "%3a");
        else
            g_string_append_c(s, *p);
    }
    g_string_append_printf(s, "_%s", arch);
    return g_string_free(g_steal_pointer(&s), FALSE);
}

bool ds_pkgcache_is_sha256_hex(const char *s)
{
    gsize n = 0;

    if (!s)
        return false;
    for (; s[n]; n++)
        if (!g_ascii_isxdigit(s[n]) || g_ascii_isupper(s[n]))
            return false;
    return n == 64;
}

/* ---- look-ups ---- */

int ds_pkgcache_lookup_stem(char **path, char **sha256, ds_pkgcache *c,
                            const char *stem, const char *label, GError **err)
{
    g_autofree char *entry = g_build_filename(c->index, stem, NULL);
    g_autofree char *file = NULL;
    char buf[INDEX_ENTRY_MAX + 1];
    struct stat st;
    ssize_t n;
    int fd;

    fd = open(entry, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return ds_error_set(err, errno == ENOENT ? DS_ENOTFOUND : DS_EGENERIC,
                            "package cache: %s: %s", label,
                            errno == ENOENT ? "not cached" : g_strerror(errno));
    n = read(fd, buf, INDEX_ENTRY_MAX);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    g_strchomp(buf);
    if (!ds_pkgcache_is_sha256_hex(buf))
        return ds_error_set(err, DS_EINVALID,
                            "package cache: %s: a damaged index entry", entry);
    file = g_build_filename(c->files, buf, NULL);
    if (lstat(file, &st) < 0 || !S_ISREG(st.st_mode))
        return ds_error_set(err, DS_ENOTFOUND,
                            "package cache: %s: indexed but %s is missing",
                            label, file);
    if (path)
        *path = g_steal_pointer(&file);
    if (sha256)
        *sha256 = g_strdup(buf);
    return 0;
}

int ds_pkgcache_lookup(char **path, char **sha256, ds_pkgcache *c,
                       const char *name, const char *version, const char *arch,
                       GError **err)
{
    g_autofree char *stem = ds_pkgcache_file_stem(name, version, arch);
    g_autofree char *label = NULL;

    if (!stem) {
        g_autofree char *shown = g_strescape(name ? name : "(null)", NULL);

        return ds_error_set(err, DS_EINVALID,
                            "package cache: refusing package '%s' (version or architecture not safe)",
                            shown);
    }
    label = g_strdup_printf("%s %s %s", name, version, arch);
    return ds_pkgcache_lookup_stem(path, sha256, c, stem, label, err);
}

/* ---- storing ---- */

/* The control fields Package, Version and Architecture of the .deb at
 * path must be name's, version and arch. */
typedef struct deb_want {
    const char *name, *version, *arch;
} deb_want;

static int check_deb(const char *path, const char *origin, void *payload,
                     GError **err)
{
    const deb_want *w = payload;
    const char *name = w->name, *version = w->version, *arch = w->arch;
    const char *argv[] = {"dpkg-deb", "--field",      path, "Package",
                          "Version",  "Architecture", NULL};
    ds_transport_options o = {.host = "package cache",
                              .timeout_ms = DPKG_DEB_TIMEOUT_MS,
                              .max_output = 64 * 1024};
    ds_run_result r = {.status = -1};
    g_autofree char *bare = g_strndup(name, strcspn(name, ":"));
    g_autofree char *want = NULL;
    g_autofree char *got = NULL;
    int rc;

    if ((rc = ds_transport_spawn(argv, NULL, &o, &r, err)) < 0)
        return ds_error_prefix(err, rc, "%s: ", origin);
    if (r.status != 0) {
        ds_run_result_clear(&r);
        return ds_error_set(err, DS_EINVALID,
                            "%s: not a Debian package file (dpkg-deb cannot read it)",
                            origin);
    }
    got = g_strndup(g_bytes_get_data(r.out, NULL), g_bytes_get_size(r.out));
    ds_run_result_clear(&r);
    want = g_strdup_printf("Package: %s\nVersion: %s\nArchitecture: %s\n", bare,
                           version, arch);
    if (strcmp(got, want) != 0) {
        g_autofree char *shown = g_strescape(got, NULL);

        return ds_error_set(err, DS_EINVALID,
                            "%s: the file is not %s %s %s (it says '%s')",
                            origin, bare, version, arch, shown);
    }
    return 0;
}

char *ds_pkgcache_sha256(GBytes *data)
{
    gsize len = 0;
    const guchar *d = g_bytes_get_data(data, &len);

    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, d ? d : (guchar *)"",
                                       len);
}

int ds_pkgcache_store_stem(ds_pkgcache *c, const char *stem, GBytes *data,
                           const char *expect_sha256, gint64 expect_size,
                           const char *origin, ds_pkgcache_check_fn check,
                           void *payload, GError **err)
{
    g_autofree char *sum = NULL;
    g_autofree char *tmp = NULL;
    g_autofree char *final = NULL;
    g_autofree char *line = NULL;
    g_autofree char *entry = NULL;
    gsize len = 0;
    const void *d;
    int rc;

    d = g_bytes_get_data(data, &len);
    if (expect_size >= 0 && (guint64)expect_size != (guint64)len)
        return ds_error_set(err, DS_EINVALID,
                            "%s: size mismatch: %" G_GSIZE_FORMAT
                            " bytes, the index says %" G_GINT64_FORMAT,
                            origin, len, expect_size);
    sum = ds_pkgcache_sha256(data);
    if (expect_sha256 && g_ascii_strcasecmp(sum, expect_sha256) != 0)
        return ds_error_set(err, DS_EINVALID,
                            "%s: SHA256 mismatch: got %s, the index says %s",
                            origin, sum, expect_sha256);
    final = g_build_filename(c->files, sum, NULL);
    if ((rc = ds_file_write_temp(&tmp, final, d ? d : "", len, 0644, err)) < 0)
        return ds_error_prefix(err, rc, "package cache: ");
    if ((rc = check(tmp, origin, payload, err)) < 0) {
        unlink(tmp);
        return rc;
    }
    if ((rc = ds_file_commit_temp(tmp, final, 0, err)) < 0)
        return ds_error_prefix(err, rc, "package cache: ");
    line = g_strdup_printf("%s\n", sum);
    entry = g_build_filename(c->index, stem, NULL);
    if ((rc = ds_file_write_atomic(entry, line, strlen(line), 0644, 0,
                                   err)) < 0)
        return ds_error_prefix(err, rc, "package cache: ");
    return 0;
}

int ds_pkgcache_store(ds_pkgcache *c, const char *name, const char *version,
                      const char *arch, GBytes *data, const char *expect_sha256,
                      gint64 expect_size, const char *origin, GError **err)
{
    g_autofree char *stem = ds_pkgcache_file_stem(name, version, arch);
    deb_want w = {name, version, arch};

    if (!stem) {
        g_autofree char *shown = g_strescape(name ? name : "(null)", NULL);

        return ds_error_set(err, DS_EINVALID,
                            "%s: refusing package '%s' (name, version or architecture not safe)",
                            origin, shown);
    }
    return ds_pkgcache_store_stem(c, stem, data, expect_sha256, expect_size,
                                  origin, check_deb, &w, err);
}

/* ---- the Packages index ---- */

/* A repository-relative file name: no absolute path, no "..", nothing a
 * URL or a shell would read specially. */
bool ds_pkgcache_filename_is_safe(const char *f)
{
    g_auto(GStrv) parts = NULL;

    if (!f || !*f || f[0] == '/' || strlen(f) > 1024)
        return false;
    for (const char *p = f; *p; p++)
        if (!g_ascii_isalnum(*p) && !strchr("._+~%:/-", *p))
            return false;
    parts = g_strsplit(f, "/", -1);
    for (guint i = 0; parts[i]; i++)
        if (!*parts[i] || !strcmp(parts[i], ".") || !strcmp(parts[i], ".."))
            return false;
    return true;
}

static ds_pkgcache_entry *stanza_entry(GHashTable *fields)
{
    const char *name = g_hash_table_lookup(fields, "package");
    const char *version = g_hash_table_lookup(fields, "version");
    const char *arch = g_hash_table_lookup(fields, "architecture");
    const char *file = g_hash_table_lookup(fields, "filename");
    const char *sha = g_hash_table_lookup(fields, "sha256");
    const char *size = g_hash_table_lookup(fields, "size");
    g_autofree char *lower = sha ? g_ascii_strdown(sha, -1) : NULL;
    ds_pkgcache_entry *e;
    guint64 n;

    if (!name || strchr(name, ':') || !ds_name_is_safe_package(name) ||
        !ds_pkgcache_version_is_safe(version) ||
        !ds_pkgcache_arch_is_safe(arch) || !file || !ds_pkgcache_is_sha256_hex(lower) ||
        !size || !g_ascii_string_to_unsigned(size, 10, 0, G_MAXINT64, &n, NULL))
        return NULL;
    e = g_new0(ds_pkgcache_entry, 1);
    e->name = g_strdup(name);
    e->version = g_strdup(version);
    e->arch = g_strdup(arch);
    /* A flat repository's index made by dpkg-scanpackages says
     * "./NAME.deb": relative to the index, like "NAME.deb". */
    while (g_str_has_prefix(file, "./"))
        file += 2;
    /* A hostile Filename is kept as NULL: the fill says it refused it. */
    e->filename = ds_pkgcache_filename_is_safe(file) ? g_strdup(file) : NULL;
    e->sha256 = g_steal_pointer(&lower);
    e->size = n;
    return e;
}

int ds_pkgcache_parse_index(GPtrArray **out, const char *data, gsize len,
                            const char *origin, GError **err)
{
    g_autoptr(GPtrArray) entries =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_pkgcache_entry_free);
    g_autoptr(GHashTable) fields =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    const char *p = data, *end = data + len;

    if (memchr(data, '\0', len))
        return ds_error_set(err, DS_EINVALID,
                            "%s: not a Packages index (binary data)", origin);
    while (p <= end) {
        const char *nl = memchr(p, '\n', (gsize)(end - p));
        const char *eol = nl ? nl : end;
        gsize n = (gsize)(eol - p);

        if (n && p[n - 1] == '\r')
            n--;
        if (n == 0) { /* end of a stanza */
            ds_pkgcache_entry *e =
                g_hash_table_size(fields) ? stanza_entry(fields) : NULL;

            if (e)
                g_ptr_array_add(entries, e);
            g_hash_table_remove_all(fields);
        } else if (p[0] != ' ' && p[0] != '\t' && p[0] != '#') {
            const char *colon = memchr(p, ':', n);

            if (colon) {
                g_autofree char *key = g_ascii_strdown(p, colon - p);
                char *value = g_strndup(colon + 1, n - (gsize)(colon + 1 - p));

                g_hash_table_replace(fields, g_strdup(g_strstrip(key)),
                                     g_strdup(g_strstrip(value)));
                g_free(value);
            }
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    {
        ds_pkgcache_entry *e =
            g_hash_table_size(fields) ? stanza_entry(fields) : NULL;

        if (e)
            g_ptr_array_add(entries, e);
    }
    *out = g_steal_pointer(&entries);
    return 0;
}
