/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform-dpkg-files.c: the files of a dpkg host: the configured
 * paths (directories recursively) and every conffile changed from its
 * package, with mode, owner, digest and content; secret files get a keyed
 * HMAC and their content never leaves this file.
 *
 * Round-trips are batched: the conffiles' md5 come with the collection
 * script, then one script (drivers/scripts/dpkg-files.sh): one `find
 * -printf` for all metadata, one `tar -c` for all content (each split only
 * when the argument list or the output would grow too big); paths are
 * always separate arguments after "--" or absolute start points. */
#include <config.h>

#include <string.h>

#include "drivers/platform-dpkg.h"
#include "drivers/scripts.h"
#include "drivers/secret.h"
#include "manifests/util/error.h"

#define DS_DEFAULT_MAX_FILE_SIZE (1024u * 1024)
/* Per command: arguments' bytes, and file bytes expected in its output. */
#define BATCH_ARG_BYTES (64u * 1024)
#define BATCH_MAX_ARGS 1000u
#define BATCH_OUT_BYTES (24u * 1024 * 1024)

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static ds_secret_rules secret_rules(const ds_collect_options *o)
{
    return (ds_secret_rules){.patterns = o->secret_patterns,
                             .mode_exempt = o->mode_exempt};
}

/* Run PREFIX... -- PATHS (or PREFIX... PATHS SUFFIX... when dashdash is
 * FALSE, as find needs) in batches; each batch's stdout goes to fn. */
typedef int (*batch_fn)(ds_dpkg_ctx *c, GBytes *out, void *payload,
                        GError **err);

static int run_batched(ds_dpkg_ctx *c, const char *const *prefix,
                       const char *const *suffix, GPtrArray *cmd_paths,
                       const gsize *weights, int max_ok, batch_fn fn,
                       void *payload, GError **err)
{
    guint i = 0;

    while (i < cmd_paths->len) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_autoptr(GBytes) out = NULL;
        gsize bytes = 0, weight = 0;
        guint n = 0;
        int rc;

        for (guint j = 0; prefix[j]; j++)
            g_ptr_array_add(argv, (gpointer)prefix[j]);
        while (i < cmd_paths->len &&
               (n == 0 ||
                (n < BATCH_MAX_ARGS &&
                 bytes + strlen(cmd_paths->pdata[i]) < BATCH_ARG_BYTES &&
                 (!weights || weight + weights[i] < BATCH_OUT_BYTES)))) {
            bytes += strlen(cmd_paths->pdata[i]) + 1;
            weight += weights ? weights[i] : 0;
            g_ptr_array_add(argv, cmd_paths->pdata[i++]);
            n++;
        }
        for (guint j = 0; suffix && suffix[j]; j++)
            g_ptr_array_add(argv, (gpointer)suffix[j]);
        g_ptr_array_add(argv, NULL);
        rc = ds_dpkg_run(&out, NULL, c, (const char *const *)argv->pdata,
                         max_ok, err);
        if (rc < 0 || (rc = fn(c, out, payload, err)) < 0)
            return rc;
    }
    return 0;
}

/* "HEX  PATH\0" records of md5sum -z / sha256sum -z into path -> hex. */
int ds_dpkg_parse_sums(ds_dpkg_ctx *c, GBytes *out, void *payload,
                       GError **err)
{
    GHashTable *sums = payload;
    gsize len;
    const char *p = g_bytes_get_data(out, &len), *end = p + len;

    while (p < end) {
        const char *z = memchr(p, '\0', (gsize)(end - p));
        const char *sp = z ? memchr(p, ' ', (gsize)(z - p)) : NULL;
        const char *path;

        if (!sp || z - sp < 3 || (sp[1] != ' ' && sp[1] != '*'))
            return ds_error_set(err, DS_EINVALID,
                                "%s: checksum output: malformed record",
                                c->host);
        path = ds_dpkg_host_path(c, sp + 2);
        if (path)
            g_hash_table_replace(sums, g_strdup(path),
                                 g_ascii_strdown(p, sp - p));
        p = z + 1;
    }
    return 0;
}

/* Metadata from the find -printf of drivers/scripts/dpkg-files.sh:
 * "%y\t%m\t%s\t%U\t%G\t%u\t%g\t%D:%i:%n\t%p\0%l\0". */
typedef struct meta {
    char type; /* 'f' or 'l' */
    guint mode;
    guint64 size;
    char *owner, *group, *target;
    char *inode; /* "DEVICE:INODE" of a file with hard links, or NULL */
    GBytes *content;
    gboolean secret;
} meta;

static void meta_free(meta *m)
{
    g_free(m->owner);
    g_free(m->group);
    g_free(m->target);
    g_free(m->inode);
    if (m->content)
        g_bytes_unref(m->content);
    g_free(m);
}

static gboolean is_plain(const char *s)
{
    if (!*s || !g_utf8_validate(s, -1, NULL))
        return FALSE;
    for (; *s; s++)
        if ((guchar)*s <= 0x20 || *s == 0x7f)
            return FALSE;
    return TRUE;
}

/* One line of UTF-8 without control characters (a symlink target). */
static gboolean is_text(const char *s)
{
    if (!*s || !g_utf8_validate(s, -1, NULL))
        return FALSE;
    for (; *s; s++)
        if ((guchar)*s < 0x20 || *s == 0x7f)
            return FALSE;
    return TRUE;
}

static char *owner_name(ds_dpkg_ctx *c, GHashTable *ids, const char *num,
                        const char *name)
{
    if (c->root) {
        const char *n = ids ? g_hash_table_lookup(ids, num) : NULL;
        return g_strdup(n ? n : num);
    }
    return g_strdup(name);
}

static int parse_find(ds_dpkg_ctx *c, GBytes *out, void *payload,
                      GError **err)
{
    GHashTable *metas = payload;
    gsize len;
    const char *p = g_bytes_get_data(out, &len), *end = p + len;

    while (p < end) {
        const char *z1 = memchr(p, '\0', (gsize)(end - p));
        const char *z2 = z1 ? memchr(z1 + 1, '\0', (gsize)(end - z1 - 1)) : NULL;
        g_auto(GStrv) f = NULL;
        const char *path;
        meta *m;

        if (!z2)
            return ds_error_set(err, DS_EINVALID,
                                "%s: find output: truncated record", c->host);
        f = g_strsplit(p, "\t", 9);
        if (g_strv_length(f) != 9 || strlen(f[0]) != 1 ||
            !strchr(f[7], ':') || strchr(f[7], ':') == strrchr(f[7], ':'))
            return ds_error_set(err, DS_EINVALID,
                                "%s: find output: malformed record", c->host);
        path = ds_dpkg_host_path(c, f[8]);
        if (!path || !ds_name_is_safe_path(path) ||
            !g_utf8_validate(path, -1, NULL)) {
            const char *bad = path ? path : f[8];
            g_autofree char *show = ds_dpkg_show(bad, strlen(bad));
            return ds_error_set(err, DS_EINVALID,
                                "%s: file path %s is not a safe UTF-8 path",
                                c->host, show);
        }
        m = g_new0(meta, 1);
        m->type = f[0][0];
        m->mode = (guint)g_ascii_strtoull(f[1], NULL, 8) & 07777;
        m->size = g_ascii_strtoull(f[2], NULL, 10);
        m->owner = owner_name(c, c->uids, f[3], f[5]);
        m->group = owner_name(c, c->gids, f[4], f[6]);
        if (m->type == 'l')
            m->target = g_strdup(z1 + 1);
        else if (!g_str_has_suffix(f[7], ":1")) /* DEVICE:INODE:LINKS */
            m->inode = g_strndup(f[7], (gsize)(strrchr(f[7], ':') - f[7]));
        g_hash_table_replace(metas, g_strdup(path), m);
        if (!is_plain(m->owner) || !is_plain(m->group) ||
            (m->target && !is_text(m->target))) {
            g_autofree char *show = ds_dpkg_show(path, strlen(path));
            return ds_error_set(err, DS_EINVALID,
                                "%s: file %s: owner, group or symlink target is not valid UTF-8 text",
                                c->host, show);
        }
        p = z2 + 1;
    }
    return 0;
}

static int tar_member(const char *name, char type, const char *target,
                      GBytes *content, void *payload, GError **err)
{
    struct {
        ds_dpkg_ctx *c;
        GHashTable *metas;
    } *tp = payload;
    const char *path = ds_dpkg_host_path(tp->c, name);
    meta *m = path ? g_hash_table_lookup(tp->metas, path) : NULL;

    if (m && m->type == 'f' && type == 'f' && !m->content)
        m->content = g_bytes_ref(content);
    return 0;
}

static int parse_tar(ds_dpkg_ctx *c, GBytes *out, void *payload,
                     GError **err)
{
    struct {
        ds_dpkg_ctx *c;
        GHashTable *metas;
    } tp = {c, payload};
    g_autofree char *origin = g_strdup_printf("%s: tar output", c->host);

    return ds_tar_parse(out, tar_member, &tp, origin, err);
}

static int parse_grep(ds_dpkg_ctx *c, GBytes *out, void *payload,
                      GError **err)
{
    GHashTable *hits = payload;
    gsize len;
    const char *p = g_bytes_get_data(out, &len), *end = p + len;

    while (p < end) {
        const char *z = memchr(p, '\0', (gsize)(end - p));
        const char *path;
        if (!z)
            return ds_error_set(err, DS_EINVALID,
                                "%s: grep output: truncated", c->host);
        path = ds_dpkg_host_path(c, p);
        if (path)
            g_hash_table_add(hits, g_strdup(path));
        p = z + 1;
    }
    return 0;
}

static char *blob_id(GBytes *content)
{
    g_autoptr(GChecksum) sha1 = g_checksum_new(G_CHECKSUM_SHA1);
    g_autofree char *hdr = NULL;
    gsize len;
    const guchar *d = g_bytes_get_data(content, &len);

    hdr = g_strdup_printf("blob %" G_GSIZE_FORMAT, len);
    g_checksum_update(sha1, (const guchar *)hdr, (gssize)strlen(hdr) + 1);
    if (len)
        g_checksum_update(sha1, d, (gssize)len);
    return g_strdup(g_checksum_get_string(sha1));
}

/* Turn one path's metadata (and content) into a manifest entry. */
static int make_file(ds_file **out, ds_dpkg_ctx *c, const char *path,
                     meta *m, GHashTable *big_sums, GError **err)
{
    const ds_collect_options *o = c->opts;
    gsize max = o->max_file_size ? o->max_file_size : DS_DEFAULT_MAX_FILE_SIZE;
    ds_file *f = ds_file_new(path);

    f->mode = m->mode;
    f->owner = g_strdup(m->owner);
    f->group = g_strdup(m->group);
    if (m->type == 'l') {
        f->type = DS_FILE_SYMLINK;
        f->target = g_strdup(m->target); /* a symlink has only a target */
        *out = f;
        return 0;
    }
    f->type = DS_FILE_REGULAR;
    if (m->secret) {
        g_autoptr(GHmac) h = NULL;
        gsize klen, len;
        const guchar *k, *d;

        if (!o->hmac_key || !m->content) {
            ds_file_free(f);
            return ds_error_set(err, DS_EINVALID,
                                "%s: %s is a secret file and %s", c->host,
                                path,
                                !o->hmac_key ? "no HMAC key was given"
                                             : "its content could not be read");
        }
        k = g_bytes_get_data(o->hmac_key, &klen);
        h = g_hmac_new(G_CHECKSUM_SHA256, k, klen);
        d = g_bytes_get_data(m->content, &len);
        if (len)
            g_hmac_update(h, d, (gssize)len);
        f->hmac = g_strdup(g_hmac_get_string(h));
        f->secret = true;
        *out = f;
        return 0;
    }
    if (m->content) {
        gsize len;
        const guchar *d = g_bytes_get_data(m->content, &len);
        f->sha256 = g_compute_checksum_for_data(G_CHECKSUM_SHA256, d, len);
        if (len <= max) {
            f->content = g_bytes_ref(m->content);
            f->content_ref = blob_id(m->content);
        }
    } else {
        const char *sum = g_hash_table_lookup(big_sums, path);
        if (!sum || strlen(sum) != 64) {
            ds_file_free(f);
            return ds_error_set(err, DS_EGENERIC,
                                "%s: %s: no checksum could be computed",
                                c->host, path);
        }
        f->sha256 = g_strdup(sum);
    }
    *out = f;
    return 0;
}

/* Read whole files one by one (the rare big file that turned secret). */
static int read_whole(ds_dpkg_ctx *c, const char *path, meta *m,
                      GError **err)
{
    GError *local = NULL;
    int rc = ds_transport_read_file(c->t, path, &m->content, &local);

    if (rc < 0) {
        g_propagate_error(err, local);
        return ds_dpkg_name_host(err, rc, c->host);
    }
    return 0;
}

/* Conffiles whose current md5 (from the collection script) differs from
 * the packaged one; a missing conffile is not a change we record. */
static void find_modified(GPtrArray *targets, ds_dpkg_ctx *c,
                          GPtrArray *conffiles, GHashTable *md5s)
{
    for (guint i = 0; md5s && i < conffiles->len; i++) {
        ds_conffile *cf = conffiles->pdata[i];
        const char *now = g_hash_table_lookup(md5s, cf->path);
        if (now && strcmp(now, cf->md5) != 0)
            g_ptr_array_add(targets, ds_dpkg_cmd_path(c, cf->path));
    }
}

/* What drivers/scripts/dpkg-files.sh printed, parsed. */
typedef struct files_run {
    GHashTable *metas, *sums, *keyed;
    const char *marker;
} files_run;

/* The directories find could not list or enter (the denied section):
 * their files would be missing from the manifest without a word, and a
 * later diff would call them removed, so the host fails instead. */
static int refuse_denied(ds_dpkg_ctx *c, GBytes *sec, GError **err)
{
    gsize len;
    const char *p = g_bytes_get_data(sec, &len), *end = p + len;
    const char *z = memchr(p, '\0', len);
    const char *path;
    g_autofree char *show = NULL;
    g_autofree char *more = NULL;
    guint n = 0;

    for (const char *q = p; q < end; q++)
        n += *q == '\0';
    if (!n || !z)
        return 0;
    if (!(path = ds_dpkg_host_path(c, p)))
        path = p;
    show = ds_dpkg_show(path, strlen(path));
    more = n > 1 ? g_strdup_printf(" and %u more", n - 1) : g_strdup("");
    return ds_error_set(err, DS_EGENERIC,
                        "%s: cannot read the directory %s%s (permission "
                        "denied): its files would be missing from the "
                        "manifest; collect as root or set become = sudo",
                        c->host, show, more);
}

static int parse_files(ds_dpkg_ctx *c, GBytes *out, void *payload,
                       GError **err)
{
    files_run *run = payload;
    ds_dpkg_facts *f = ds_dpkg_facts_new();
    GBytes *sec;
    int rc = ds_dpkg_facts_split(f, run->marker, out, c->host, err);

    if (rc == 0 && (sec = ds_dpkg_facts_get(f, "meta")))
        rc = parse_find(c, sec, run->metas, err);
    if (rc == 0 && (sec = ds_dpkg_facts_get(f, "tar")))
        rc = parse_tar(c, sec, run->metas, err);
    if (rc == 0 && (sec = ds_dpkg_facts_get(f, "sums")))
        rc = ds_dpkg_parse_sums(c, sec, run->sums, err);
    if (rc == 0 && (sec = ds_dpkg_facts_get(f, "keys")))
        rc = parse_grep(c, sec, run->keyed, err);
    if (rc == 0 && (sec = ds_dpkg_facts_get(f, "denied")))
        rc = refuse_denied(c, sec, err);
    ds_dpkg_facts_free(f);
    return rc;
}

/* Drop start points inside other start points (find would list their
 * files twice). */
static void drop_nested(GPtrArray *targets)
{
    g_ptr_array_sort(targets, cmp_str);
    for (guint i = 1; i < targets->len;) {
        const char *prev = targets->pdata[i - 1], *cur = targets->pdata[i];
        gsize n = strlen(prev);
        if (strcmp(prev, cur) == 0 ||
            (strncmp(prev, cur, n) == 0 && cur[n] == '/') ||
            strcmp(prev, "/") == 0)
            g_ptr_array_remove_index(targets, i);
        else
            i++;
    }
}

/* Whether each regular file is secret: by the rules (a big file by the
 * host's grep of its content), or as a hard link of a secret file. */
static void mark_secrets(GHashTable *metas, GHashTable *keyed,
                         const ds_secret_rules *rules)
{
    g_autoptr(GHashTable) inodes = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTableIter it;
    gpointer k, v;

    g_hash_table_iter_init(&it, metas);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        meta *m = v;

        if (m->type != 'f')
            continue;
        m->secret = g_hash_table_contains(keyed, k) ||
                    ds_secret_classify(rules, k, m->mode, m->content) !=
                        DS_SECRET_NO;
        if (m->secret && m->inode)
            g_hash_table_add(inodes, m->inode);
    }
    g_hash_table_iter_init(&it, metas);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        meta *m = v;

        if (m->inode && g_hash_table_contains(inodes, m->inode))
            m->secret = TRUE;
    }
}

int ds_dpkg_collect_files(GPtrArray *files, ds_dpkg_ctx *c,
                          GPtrArray *conffiles, GHashTable *md5s,
                          GError **err)
{
    const ds_collect_options *o = c->opts;
    gsize max = o->max_file_size ? o->max_file_size : DS_DEFAULT_MAX_FILE_SIZE;
    g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) metas = g_hash_table_new_full(
        g_str_hash, g_str_equal, g_free, (GDestroyNotify)meta_free);
    g_autoptr(GHashTable) big_sums =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GHashTable) keyed =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) order = NULL;
    g_autofree char *small = g_strdup_printf("-%" G_GSIZE_FORMAT "c", max + 1);
    g_autofree char *large = g_strdup_printf("+%" G_GSIZE_FORMAT "c", max);
    char marker[40];
    files_run run = {.metas = metas, .sums = big_sums, .keyed = keyed,
                     .marker = marker};
    ds_secret_rules rules = secret_rules(o);
    int rc;

    for (guint i = 0; o->files && o->files[i]; i++) {
        g_autofree char *p = g_strdup(o->files[i]);
        gsize n = strlen(p);
        while (n > 1 && p[n - 1] == '/')
            p[--n] = '\0';
        if (!ds_name_is_safe_path(p) || !g_utf8_validate(p, -1, NULL)) {
            g_autofree char *show = ds_dpkg_show(p, n);
            return ds_error_set(err, DS_EINVALID,
                                "%s: configured file %s is not a safe absolute path",
                                c->host, show);
        }
        g_ptr_array_add(targets, ds_dpkg_cmd_path(c, p));
    }
    find_modified(targets, c, conffiles, md5s);
    if (!targets->len)
        return 0;
    drop_nested(targets);
    ds_dpkg_marker(marker);
    const char *const script[] = {"sh",   "-c",   ds_script_dpkg_files,
                                  "sh",   marker, small,
                                  large,  ds_secret_grep_markers(),
                                  NULL};
    rc = run_batched(c, script, NULL, targets, NULL, 0, parse_files, &run,
                     err);
    if (rc < 0)
        return rc;

    mark_secrets(metas, keyed, &rules);
    order = g_ptr_array_new();
    {
        GHashTableIter it;
        gpointer k;
        g_hash_table_iter_init(&it, metas);
        while (g_hash_table_iter_next(&it, &k, NULL))
            g_ptr_array_add(order, k);
    }
    g_ptr_array_sort(order, cmp_str);
    for (guint i = 0; i < order->len; i++) {
        const char *path = order->pdata[i];
        meta *m = g_hash_table_lookup(metas, path);
        ds_file *f = NULL;

        /* The rare big file that is secret: read whole for its HMAC. */
        if (m->type == 'f' && !m->content && m->size > max && m->secret &&
            (rc = read_whole(c, path, m, err)) < 0)
            return rc;
        if (m->type == 'f' && !m->content && m->size <= max)
            continue; /* vanished between find and tar */
        rc = make_file(&f, c, path, m, big_sums, err);
        if (rc < 0)
            return rc;
        g_ptr_array_add(files, f);
    }
    return 0;
}
