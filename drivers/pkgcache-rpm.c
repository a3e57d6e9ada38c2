/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/pkgcache-rpm.c: the package cache for rpm hosts: .rpm files by
 * SHA-256 as for .debs, filled from an rpm repository (repodata/repomd.xml,
 * then the primary metadata it names, its digest checked, then each
 * package's file with the size and SHA-256 primary gives) over https or
 * from a directory, each file checked by rpm to be the package asked. */
#include <config.h>

#include <string.h>
#ifdef HAVE_ZSTD
#include <zstd.h>
#endif

#include "drivers/pkgcache-private.h"
#include "manifests/util/error.h"
#include "manifests/version.h"

#define RPM_QP_TIMEOUT_MS (60 * 1000)
/* repomd.xml is a few kilobytes; a megabyte is generous. */
#define REPOMD_MAX ((gsize)1024 * 1024)
#define REPOMD_PATH "repodata/repomd.xml"

/* ---- names ---- */

char *ds_pkgcache_rpm_stem(const char *key, const char *evr, const char *arch)
{
    g_autoptr(GString) s = NULL;
    const char *dot = key ? strrchr(key, '.') : NULL;

    if (!key || !ds_name_is_safe_rpm_package(key) || !dot || !arch ||
        strcmp(dot + 1, arch) != 0 || !evr || !ds_rpm_evr_is_valid(evr) ||
        strlen(evr) > 256)
        return NULL;
    s = g_string_new_len(key, dot - key);
    g_string_append_c(s, '-');
    for (const char *p = evr; *p; p++) {
        if (*p == ':')
            g_string_append(s, "%3a");
        else
            g_string_append_c(s, *p);
    }
    g_string_append_printf(s, ".%s.rpm", arch);
    return g_string_free(g_steal_pointer(&s), FALSE);
}

int ds_pkgcache_lookup_rpm(char **path, char **sha256, ds_pkgcache *c,
                           const char *key, const char *evr, const char *arch,
                           GError **err)
{
    g_autofree char *stem = ds_pkgcache_rpm_stem(key, evr, arch);
    g_autofree char *label = NULL;

    if (!stem) {
        g_autofree char *shown = g_strescape(key ? key : "(null)", NULL);

        return ds_error_set(err, DS_EINVALID,
                            "package cache: refusing rpm package '%s' (version or architecture not safe)",
                            shown);
    }
    label = g_strdup_printf("%s %s %s", key, evr, arch);
    return ds_pkgcache_lookup_stem(path, sha256, c, stem, label, err);
}

/* The EVR without a zero epoch: "0:1.0-1" and "1.0-1" are one version. */
static const char *evr_plain(const char *evr)
{
    return g_str_has_prefix(evr, "0:") ? evr + 2 : evr;
}

/* ---- the file is the package ---- */

typedef struct rpm_want {
    const char *key, *evr, *arch;
} rpm_want;

/* rpm -qp says NAME, EPOCH, VERSION, RELEASE and ARCH of the file: they
 * must be the package's. */
static int check_rpm(const char *path, const char *origin, void *payload,
                     GError **err)
{
    const rpm_want *w = payload;
    const char *argv[] = {"rpm", "-qp", "--nosignature", "--nodigest", "--qf",
                          "%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\t%{ARCH}\\n",
                          "--", path, NULL};
    ds_transport_options o = {.host = "package cache",
                              .timeout_ms = RPM_QP_TIMEOUT_MS,
                              .max_output = 64 * 1024};
    ds_run_result r = {.status = -1};
    g_autofree char *name = g_strndup(w->key, strrchr(w->key, '.') - w->key);
    g_autofree char *got = NULL;
    g_autofree char *want = NULL;
    g_autofree char *want0 = NULL;
    int rc;

    if ((rc = ds_transport_spawn(argv, NULL, &o, &r, err)) < 0)
        return ds_error_prefix(err, rc, "%s: ", origin);
    if (r.status != 0) {
        ds_run_result_clear(&r);
        return ds_error_set(err, DS_EINVALID,
                            "%s: not an rpm package file (rpm cannot read it)",
                            origin);
    }
    got = g_strndup(g_bytes_get_data(r.out, NULL), g_bytes_get_size(r.out));
    ds_run_result_clear(&r);
    want = g_strdup_printf("%s\t%s\t%s\n", name, evr_plain(w->evr), w->arch);
    want0 = g_strdup_printf("%s\t0:%s\t%s\n", name, evr_plain(w->evr),
                            w->arch);
    if (strcmp(got, want) != 0 && strcmp(got, want0) != 0) {
        g_autofree char *shown = g_strescape(got, NULL);

        return ds_error_set(err, DS_EINVALID,
                            "%s: the file is not %s %s (rpm says '%s')", origin,
                            w->key, w->evr, shown);
    }
    return 0;
}

int ds_pkgcache_store_rpm(ds_pkgcache *c, const char *key, const char *evr,
                          const char *arch, GBytes *data,
                          const char *expect_sha256, gint64 expect_size,
                          const char *origin, GError **err)
{
    g_autofree char *stem = ds_pkgcache_rpm_stem(key, evr, arch);
    rpm_want w = {key, evr, arch};

    if (!stem) {
        g_autofree char *shown = g_strescape(key ? key : "(null)", NULL);

        return ds_error_set(err, DS_EINVALID,
                            "%s: refusing rpm package '%s' (name, version or architecture not safe)",
                            origin, shown);
    }
    return ds_pkgcache_store_stem(c, stem, data, expect_sha256, expect_size,
                                  origin, check_rpm, &w, err);
}

/* ---- repomd.xml ---- */

void ds_pkgcache_repomd_free(ds_pkgcache_repomd *r)
{
    if (!r)
        return;
    g_free(r->href);
    g_free(r->checksum_type);
    g_free(r->checksum);
    g_free(r);
}

typedef struct repomd_parse {
    ds_pkgcache_repomd *md;
    int in_primary;     /* depth of <data type="primary">, 0 outside */
    int depth;
    bool in_checksum;   /* inside its <checksum> */
    bool seen;          /* a primary entry was read (the first counts) */
    GString *text;
} repomd_parse;

static const char *attr(const char **names, const char **values,
                        const char *want)
{
    for (guint i = 0; names[i]; i++)
        if (strcmp(names[i], want) == 0)
            return values[i];
    return NULL;
}

static void repomd_start(GMarkupParseContext *ctx, const char *el,
                         const char **names, const char **values,
                         gpointer data, GError **err)
{
    repomd_parse *p = data;

    p->depth++;
    if (!p->in_primary && !p->seen && strcmp(el, "data") == 0 &&
        g_strcmp0(attr(names, values, "type"), "primary") == 0) {
        p->in_primary = p->depth;
        return;
    }
    if (!p->in_primary || p->depth != p->in_primary + 1)
        return;
    if (strcmp(el, "checksum") == 0) {
        const char *t = attr(names, values, "type");

        g_free(p->md->checksum_type);
        p->md->checksum_type = g_strdup(t ? t : "");
        p->in_checksum = true;
        g_string_truncate(p->text, 0);
    } else if (strcmp(el, "location") == 0) {
        const char *href = attr(names, values, "href");

        g_free(p->md->href);
        p->md->href = g_strdup(href ? href : "");
        if (attr(names, values, "xml:base"))
            g_set_error(err, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                        "the primary metadata is elsewhere (xml:base)");
    }
}

static void repomd_end(GMarkupParseContext *ctx, const char *el,
                       gpointer data, GError **err)
{
    repomd_parse *p = data;

    if (p->in_checksum && strcmp(el, "checksum") == 0) {
        g_free(p->md->checksum);
        p->md->checksum = g_ascii_strdown(g_strstrip(p->text->str), -1);
        p->in_checksum = false;
    }
    if (p->in_primary == p->depth) {
        p->in_primary = 0;
        p->seen = true;
    }
    p->depth--;
}

static void collect_text(GMarkupParseContext *ctx, const char *text,
                         gsize len, gpointer data, GError **err)
{
    repomd_parse *p = data;

    if (p->in_checksum && p->text->len + len <= 1024)
        g_string_append_len(p->text, text, (gssize)len);
}

/* The digest lengths (hex) of the checksum types read. */
static GChecksumType checksum_type(const char *t, gsize *hexlen)
{
    if (!g_strcmp0(t, "sha256")) {
        *hexlen = 64;
        return G_CHECKSUM_SHA256;
    }
    if (!g_strcmp0(t, "sha384")) {
        *hexlen = 96;
        return G_CHECKSUM_SHA384;
    }
    if (!g_strcmp0(t, "sha512")) {
        *hexlen = 128;
        return G_CHECKSUM_SHA512;
    }
    *hexlen = 0;
    return (GChecksumType)-1;
}

static bool is_hex(const char *s, gsize n)
{
    gsize i = 0;

    for (; s && s[i]; i++)
        if (!g_ascii_isxdigit(s[i]))
            return false;
    return s && i == n;
}

/* One XML document through GMarkup (which expands no entity but the five
 * predefined ones and reads no DTD), refusing NUL bytes. */
static int parse_xml(const GMarkupParser *parser, void *payload,
                     const char *data, gsize len, const char *origin,
                     const char *what, GError **err)
{
    g_autoptr(GMarkupParseContext) ctx = NULL;
    g_autoptr(GError) e = NULL;

    if (memchr(data, '\0', len))
        return ds_error_set(err, DS_EINVALID, "%s: not %s (binary data)",
                            origin, what);
    ctx = g_markup_parse_context_new(parser, G_MARKUP_PREFIX_ERROR_POSITION,
                                     payload, NULL);
    if (!g_markup_parse_context_parse(ctx, data, (gssize)len, &e) ||
        !g_markup_parse_context_end_parse(ctx, &e))
        return ds_error_set(err, DS_EINVALID, "%s: not %s: %s", origin, what,
                            e ? e->message : "malformed");
    return 0;
}

int ds_pkgcache_parse_repomd(ds_pkgcache_repomd **out, const char *data,
                             gsize len, const char *origin, GError **err)
{
    static const GMarkupParser parser = {repomd_start, repomd_end,
                                         collect_text, NULL, NULL};
    g_autoptr(GString) text = g_string_new(NULL);
    ds_pkgcache_repomd *md = g_new0(ds_pkgcache_repomd, 1);
    repomd_parse p = {.md = md, .text = text};
    gsize hexlen = 0;
    int rc;

    *out = NULL;
    if ((rc = parse_xml(&parser, &p, data, len, origin, "repomd.xml",
                        err)) < 0)
        goto fail;
    if (!p.seen || !md->href)
        rc = ds_error_set(err, DS_EINVALID,
                          "%s: no primary metadata (no <data type=\"primary\"> with a location)",
                          origin);
    else if (!ds_pkgcache_filename_is_safe(md->href))
        rc = ds_error_set(err, DS_EINVALID,
                          "%s: the primary metadata's location is not a safe relative path",
                          origin);
    else if ((int)checksum_type(md->checksum_type, &hexlen) < 0)
        rc = ds_error_set(err, DS_EINVALID,
                          "%s: the primary metadata's checksum type '%s' is not read (sha256, sha384 or sha512)",
                          origin, md->checksum_type ? md->checksum_type : "");
    else if (!is_hex(md->checksum, hexlen))
        rc = ds_error_set(err, DS_EINVALID,
                          "%s: the primary metadata's %s checksum is not %zu hex digits",
                          origin, md->checksum_type, hexlen);
    if (rc < 0)
        goto fail;
    *out = md;
    return 0;
fail:
    ds_pkgcache_repomd_free(md);
    return rc;
}

/* ---- primary.xml ---- */

typedef struct primary_parse {
    GPtrArray *out;
    int depth;
    int pkg_depth; /* depth of the current <package type="rpm">, or 0 */
    char *field;   /* "name", "arch" or "checksum": text being read */
    GString *text;
    /* the current package */
    char *name, *arch, *epoch, *ver, *rel, *href, *sum_type, *sum;
    bool href_elsewhere;
    guint64 size;
    bool have_size;
} primary_parse;

static void primary_reset(primary_parse *p)
{
    g_clear_pointer(&p->name, g_free);
    g_clear_pointer(&p->arch, g_free);
    g_clear_pointer(&p->epoch, g_free);
    g_clear_pointer(&p->ver, g_free);
    g_clear_pointer(&p->rel, g_free);
    g_clear_pointer(&p->href, g_free);
    g_clear_pointer(&p->sum_type, g_free);
    g_clear_pointer(&p->sum, g_free);
    g_clear_pointer(&p->field, g_free);
    p->href_elsewhere = false;
    p->have_size = false;
    p->size = 0;
}

static void set(char **slot, const char *v)
{
    g_free(*slot);
    *slot = g_strdup(v);
}

static void primary_child(primary_parse *p, const char *el, const char **names,
                          const char **values)
{
    if (!strcmp(el, "name") || !strcmp(el, "arch") || !strcmp(el, "checksum")) {
        set(&p->field, el);
        g_string_truncate(p->text, 0);
        if (!strcmp(el, "checksum"))
            set(&p->sum_type, attr(names, values, "type"));
    } else if (!strcmp(el, "version")) {
        set(&p->epoch, attr(names, values, "epoch"));
        set(&p->ver, attr(names, values, "ver"));
        set(&p->rel, attr(names, values, "rel"));
    } else if (!strcmp(el, "size")) {
        const char *s = attr(names, values, "package");

        p->have_size = s && g_ascii_string_to_unsigned(s, 10, 0, G_MAXINT64,
                                                       &p->size, NULL);
    } else if (!strcmp(el, "location")) {
        set(&p->href, attr(names, values, "href"));
        p->href_elsewhere = attr(names, values, "xml:base") != NULL;
    }
}

static void primary_start(GMarkupParseContext *ctx, const char *el,
                          const char **names, const char **values,
                          gpointer data, GError **err)
{
    primary_parse *p = data;

    p->depth++;
    if (!p->pkg_depth && !strcmp(el, "package")) {
        const char *type = attr(names, values, "type");

        if (!type || !strcmp(type, "rpm")) {
            primary_reset(p);
            p->pkg_depth = p->depth;
        }
        return;
    }
    if (p->pkg_depth && p->depth == p->pkg_depth + 1)
        primary_child(p, el, names, values);
}

/* The entry of the package just read, or NULL when a field is missing
 * or not what rpm allows (never an error: the fill says "not in"). */
static ds_pkgcache_entry *primary_entry(primary_parse *p)
{
    g_autofree char *key = NULL;
    g_autofree char *evr = NULL;
    g_autofree char *stem = NULL;
    ds_pkgcache_entry *e;

    if (!p->name || !p->arch || !p->ver || !p->rel || !p->have_size ||
        !p->href || !strcmp(p->arch, "src") || !strcmp(p->arch, "nosrc"))
        return NULL;
    if (p->epoch && *p->epoch && strcmp(p->epoch, "0") != 0) {
        for (const char *c = p->epoch; *c; c++)
            if (!g_ascii_isdigit(*c))
                return NULL;
        evr = g_strdup_printf("%s:%s-%s", p->epoch, p->ver, p->rel);
    } else {
        evr = g_strdup_printf("%s-%s", p->ver, p->rel);
    }
    key = g_strdup_printf("%s.%s", p->name, p->arch);
    stem = ds_pkgcache_rpm_stem(key, evr, p->arch);
    if (!stem)
        return NULL;
    e = g_new0(ds_pkgcache_entry, 1);
    e->name = g_steal_pointer(&key);
    e->version = g_steal_pointer(&evr);
    e->arch = g_strdup(p->arch);
    /* A hostile location is kept as NULL: the fill says it refused it. */
    e->filename = !p->href_elsewhere && ds_pkgcache_filename_is_safe(p->href)
                      ? g_strdup(p->href)
                      : NULL;
    if (!g_strcmp0(p->sum_type, "sha256") && p->sum &&
        ds_pkgcache_is_sha256_hex(p->sum))
        e->sha256 = g_strdup(p->sum);
    e->size = p->size;
    return e;
}

static void primary_end(GMarkupParseContext *ctx, const char *el,
                        gpointer data, GError **err)
{
    primary_parse *p = data;

    if (p->field && p->depth == p->pkg_depth + 1 && !strcmp(el, p->field)) {
        char *v = g_strstrip(g_strdup(p->text->str));

        if (!strcmp(el, "name"))
            set(&p->name, v);
        else if (!strcmp(el, "arch"))
            set(&p->arch, v);
        else {
            g_free(p->sum);
            p->sum = g_ascii_strdown(v, -1);
        }
        g_free(v);
        g_clear_pointer(&p->field, g_free);
    }
    if (p->pkg_depth && p->depth == p->pkg_depth) {
        ds_pkgcache_entry *e = primary_entry(p);

        if (e)
            g_ptr_array_add(p->out, e);
        primary_reset(p);
        p->pkg_depth = 0;
    }
    p->depth--;
}

static void primary_text(GMarkupParseContext *ctx, const char *text, gsize len,
                         gpointer data, GError **err)
{
    primary_parse *p = data;

    /* the longest field kept is a SHA-512's hex; names are short */
    if (p->field && p->text->len + len <= 4096)
        g_string_append_len(p->text, text, (gssize)len);
}

int ds_pkgcache_parse_primary(GPtrArray **out, const char *data, gsize len,
                              const char *origin, GError **err)
{
    static const GMarkupParser parser = {primary_start, primary_end,
                                         primary_text, NULL, NULL};
    g_autoptr(GPtrArray) entries =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_pkgcache_entry_free);
    g_autoptr(GString) text = g_string_new(NULL);
    primary_parse p = {.out = entries, .text = text};
    int rc = parse_xml(&parser, &p, data, len, origin, "primary metadata",
                       err);

    primary_reset(&p);
    if (rc < 0)
        return rc;
    *out = g_steal_pointer(&entries);
    return 0;
}

/* ---- reading the metadata ---- */

static int unzstd(GBytes **out, GBytes *in, gsize max, const char *shown,
                  GError **err)
{
#ifdef HAVE_ZSTD
    g_autoptr(GByteArray) buf = g_byte_array_new();
    ZSTD_DStream *z = ZSTD_createDStream();
    ZSTD_inBuffer ib = {g_bytes_get_data(in, NULL), g_bytes_get_size(in), 0};
    guint8 chunk[65536];
    size_t r = 1;
    int rc = 0;

    if (!z)
        return ds_error_set(err, DS_EGENERIC, "%s: zstd: out of memory",
                            shown);
    ZSTD_initDStream(z);
    while (ib.pos < ib.size || r != 0) {
        ZSTD_outBuffer ob = {chunk, sizeof chunk, 0};
        gsize before = ib.pos;

        r = ZSTD_decompressStream(z, &ob, &ib);
        if (ZSTD_isError(r)) {
            rc = ds_error_set(err, DS_EINVALID, "%s: cannot unzstd: %s",
                              shown, ZSTD_getErrorName(r));
            break;
        }
        g_byte_array_append(buf, chunk, (guint)ob.pos);
        if (buf->len > max) {
            rc = ds_error_set(err, DS_EINVALID,
                              "%s: over %" G_GSIZE_FORMAT " bytes uncompressed",
                              shown, max);
            break;
        }
        if (ob.pos == 0 && ib.pos == before) {
            rc = ds_error_set(err, DS_EINVALID, "%s: cannot unzstd: truncated",
                              shown);
            break;
        }
    }
    ZSTD_freeDStream(z);
    if (rc == 0)
        *out = g_byte_array_free_to_bytes(g_steal_pointer(&buf));
    return rc;
#else
    (void)out, (void)in, (void)max;
    return ds_error_set(err, DS_EUNSUPPORTED,
                        "%s: zstd-compressed metadata, but this driftsync was built without libzstd (Debian package libzstd-dev)",
                        shown);
#endif
}

/* Uncompress the primary metadata by its name's suffix. */
static int primary_uncompress(GBytes **out, GBytes *raw, const char *href,
                              gsize max, const char *shown, GError **err)
{
    if (g_str_has_suffix(href, ".gz"))
        return ds_pkgcache_gunzip(out, raw, max, shown, err);
    if (g_str_has_suffix(href, ".zst"))
        return unzstd(out, raw, max, shown, err);
    if (g_str_has_suffix(href, ".xml")) {
        *out = g_bytes_ref(raw);
        return 0;
    }
    return ds_error_set(err, DS_EUNSUPPORTED,
                        "%s: compression not read (only .xml, .xml.gz and .xml.zst)",
                        shown);
}

/* repomd.xml, then the primary metadata it names with its digest
 * checked, parsed. */
static int rpm_index(GPtrArray **out, char **shown, const ds_pkgcache_repo *r,
                     GError **err)
{
    gsize max = r->opts && r->opts->max_index ? r->opts->max_index
                                              : DS_PKGCACHE_DEFAULT_MAX_INDEX;
    g_autoptr(GBytes) md_data = NULL;
    g_autoptr(GBytes) raw = NULL;
    g_autoptr(GBytes) xml = NULL;
    g_autoptr(ds_pkgcache_repomd) md = NULL;
    g_autofree char *md_shown = ds_pkgcache_repo_shown(r, REPOMD_PATH);
    g_autofree char *sum = NULL;
    GChecksumType type;
    gsize hexlen;
    int rc;

    *shown = g_strdup(md_shown);
    if ((rc = ds_pkgcache_repo_get(&md_data, r, REPOMD_PATH, REPOMD_MAX,
                                   err)) < 0 ||
        (rc = ds_pkgcache_parse_repomd(&md, g_bytes_get_data(md_data, NULL),
                                       g_bytes_get_size(md_data), md_shown,
                                       err)) < 0)
        return rc;
    g_free(*shown);
    *shown = ds_pkgcache_repo_shown(r, md->href);
    if ((rc = ds_pkgcache_repo_get(&raw, r, md->href, max, err)) < 0)
        return rc;
    type = checksum_type(md->checksum_type, &hexlen);
    sum = g_compute_checksum_for_bytes(type, raw);
    if (g_ascii_strcasecmp(sum, md->checksum) != 0)
        return ds_error_set(err, DS_EINVALID,
                            "%s: %s mismatch: got %s, %s says %s", *shown,
                            md->checksum_type, sum, md_shown, md->checksum);
    if ((rc = primary_uncompress(&xml, raw, md->href, max, *shown, err)) < 0)
        return rc;
    return ds_pkgcache_parse_primary(out, g_bytes_get_data(xml, NULL),
                                     g_bytes_get_size(xml), *shown, err);
}

/* ---- filling ---- */

static char *label(const ds_package *p)
{
    return g_strdup_printf("%s %s %s", p->name, p->version,
                           p->arch ? p->arch : "?");
}

static void add_miss(GPtrArray *missing, const ds_package *p, char *reason)
{
    ds_pkgcache_miss *m = g_new0(ds_pkgcache_miss, 1);

    m->pkg = ds_package_new(p->name, p->version, p->arch, p->source);
    m->reason = reason;
    g_ptr_array_add(missing, m);
}

static const ds_pkgcache_entry *find_entry(GPtrArray *entries,
                                           const ds_package *p)
{
    const char *want = evr_plain(p->version);

    for (guint i = 0; i < entries->len; i++) {
        const ds_pkgcache_entry *e = g_ptr_array_index(entries, i);

        if (!strcmp(e->name, p->name) && !strcmp(e->version, want) &&
            !g_strcmp0(e->arch, p->arch))
            return e;
    }
    return NULL;
}

/* One package from the repository into the cache, or its miss. */
static void fill_one(GPtrArray *miss, ds_pkgcache *c, const ds_pkgcache_repo *r,
                     GPtrArray *entries, const char *index,
                     const ds_package *p, gsize max_file)
{
    const ds_pkgcache_entry *ent = find_entry(entries, p);
    g_autofree char *l = label(p);
    g_autofree char *shown = NULL;
    g_autoptr(GBytes) data = NULL;
    g_autoptr(GError) fe = NULL;

    if (!ent)
        add_miss(miss, p, g_strdup_printf("%s: not in %s", l, index));
    else if (!ent->filename)
        add_miss(miss, p,
                 g_strdup_printf("%s: %s gives an unsafe location: refused", l,
                                 index));
    else if (!ent->sha256)
        add_miss(miss, p,
                 g_strdup_printf("%s: %s gives no SHA-256 checksum for it", l,
                                 index));
    else if (ent->size > max_file)
        add_miss(miss, p,
                 g_strdup_printf("%s: %s says %" G_GUINT64_FORMAT
                                 " bytes, over the limit of %" G_GSIZE_FORMAT,
                                 l, index, ent->size, max_file));
    else {
        shown = ds_pkgcache_repo_shown(r, ent->filename);
        if (ds_pkgcache_repo_get(&data, r, ent->filename, (gsize)ent->size,
                                 &fe) < 0 ||
            ds_pkgcache_store_rpm(c, p->name, p->version, p->arch, data,
                                  ent->sha256, (gint64)ent->size, shown,
                                  &fe) < 0)
            add_miss(miss, p, g_strdup_printf("%s: %s", l, fe->message));
    }
}

int ds_pkgcache_fill_from_rpm_repository(GPtrArray **missing, ds_pkgcache *c,
                                         const char *url, GPtrArray *pkgs,
                                         const ds_pkgcache_options *opts,
                                         GError **err)
{
    g_autoptr(GPtrArray) miss =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_pkgcache_miss_free);
    g_autoptr(GPtrArray) todo = g_ptr_array_new();
    g_autoptr(GPtrArray) entries = NULL;
    g_autoptr(GError) e = NULL;
    g_autofree char *index = NULL;
    /* kept apart from the same URL's Packages index */
    g_autofree char *kept_key = g_strdup_printf("rpm:%s", url ? url : "");
    gsize max_file =
        opts && opts->max_file ? opts->max_file : DS_PKGCACHE_DEFAULT_MAX_FILE;
    ds_pkgcache_repo r = {0};
    int rc;

    for (guint i = 0; pkgs && i < pkgs->len; i++) {
        const ds_package *p = g_ptr_array_index(pkgs, i);
        g_autoptr(GError) le = NULL;
        int lrc = ds_pkgcache_lookup_rpm(NULL, NULL, c, p->name, p->version,
                                         p->arch, &le);

        if (lrc == DS_ENOTFOUND)
            g_ptr_array_add(todo, (gpointer)p);
        else if (lrc < 0)
            add_miss(miss, p, g_strdup(le->message));
    }
    if ((rc = ds_pkgcache_repo_init(&r, url, opts, err)) < 0)
        goto done;
    if (todo->len && !(entries = ds_pkgcache_kept_index(c, kept_key, &index)) &&
        rpm_index(&entries, &index, &r, &e) < 0) {
        for (guint i = 0; i < todo->len; i++) {
            g_autofree char *l = label(todo->pdata[i]);

            add_miss(miss, todo->pdata[i],
                     g_strdup_printf("%s: repository metadata unreadable: %s",
                                     l, e->message));
        }
        goto done;
    }
    if (entries)
        ds_pkgcache_keep_index(c, kept_key, index, entries);
    for (guint i = 0; i < todo->len; i++)
        fill_one(miss, c, &r, entries, index, todo->pdata[i], max_file);
done:
    ds_pkgcache_repo_clear(&r);
    if (rc == 0 && missing)
        *missing = g_steal_pointer(&miss);
    return rc;
}
