/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store-diffcache.c: a host's two manifests read for comparing
 * them, and the store's diff cache that spares most of that reading.
 * Most of a manifest's bytes are its packages, which prod and lab mostly
 * share; the cache keeps, per manifest blob (keyed by its id, so never
 * stale) and made only once the blob has parsed, a digest of its state
 * (every member but role, collected_at and collector), a digest of the
 * members the package comparison reads (packages, holds, auto marks) and
 * the rest of the document with those members left out, a few kilobytes
 * (each entry of files, services and sources on a line of its own).  Two
 * blobs of one state are then the same without being read; two whose
 * package digests agree are compared through their small documents, less
 * the list entries both have alike, whose semantic diff is theirs.
 * Neither blob is inflated, and little is parsed.  The cache
 * lives in STORE/driftsync-diff-cache/XX/ID (like loose objects); a file
 * is written, whole, by the first comparison that parsed its blob, only by
 * the store's owner, and checked (format, version, blob id, length, its
 * document's CRC-32) when read: a missing, damaged or foreign file is not
 * believed, and the blob is parsed as without the cache.  Deleting the
 * directory costs the next comparison its parse, no more. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "manifests/manifest-private.h"
#include "manifests/store-private.h"
#include "manifests/util/file.h"

#define CACHE_DIR "driftsync-diff-cache"
/* The first line: the format and the version whose parser wrote it. */
#define CACHE_HEADER "driftsync-diff-cache 2 " PACKAGE_VERSION "\n"
#define CACHE_MAX_BYTES (4 * 1024 * 1024) /* a bigger file is not read */
#define SEL_HEX 64                        /* hex digits of a digest (SHA-256) */

/* What the small document does with a top-level member. */
typedef enum {
    MEMBER_KEEP,  /* copied */
    MEMBER_LIST,  /* copied an entry a line, for doc_trim */
    MEMBER_EMPTY, /* digested, and given as {} (a required member) */
    MEMBER_SEL,   /* digested, left out */
    MEMBER_DROP,  /* left out: ds_manifest_diff never reads it */
} member_use;

/* ds_manifest_diff reads packages, holds and auto marks together (the
 * selection changes are per package); pending and held-back updates not
 * at all.  A change there must change this table (and CACHE_HEADER). */
static member_use member_kind(const ds_json_str *key)
{
    static const struct {
        const char *name;
        member_use use;
    } table[] = {
        {"packages", MEMBER_EMPTY}, {"holds", MEMBER_SEL},
        {"auto", MEMBER_SEL},       {"pending", MEMBER_DROP},
        {"held_back", MEMBER_DROP}, {"files", MEMBER_LIST},
        {"services", MEMBER_LIST},  {"sources", MEMBER_LIST},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(table); i++)
        if (key->len == strlen(table[i].name) &&
            !memcmp(key->s, table[i].name, key->len))
            return table[i].use;
    return MEMBER_KEEP;
}

/* Members the state leaves out (ds_store_same_state_bytes). */
static bool member_is_free(const ds_json_str *key)
{
    static const char *const names[] = {"role", "collected_at", "collector"};

    for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
        if (key->len == strlen(names[i]) && !memcmp(key->s, names[i], key->len))
            return true;
    return false;
}

/* One blob's entry: the digests of its state and of its left-out
 * members, and the small document. */
typedef struct {
    char state[SEL_HEX + 1];
    char sel[SEL_HEX + 1];
    char *buf; /* what doc lies in, freed with the entry */
    char *doc; /* NUL-terminated */
    gsize len;
} cache_entry;

static void entry_clear(cache_entry *e)
{
    g_clear_pointer(&e->buf, g_free);
    e->doc = NULL;
}

/* Append p .. end on one line (no JSON string holds a newline). */
static void append_line(GString *doc, const char *p, const char *end)
{
    gsize mark = doc->len;

    g_string_append_len(doc, p, end - p);
    for (gsize i = mark; i < doc->len; i++)
        if (doc->str[i] == '\n' || doc->str[i] == '\r')
            doc->str[i] = ' ';
}

/* A list member (an object or an array: files, services, sources): its
 * key and opening bracket on a line, each entry on a line of its own
 * ("    ENTRY", no comma), the closing bracket on a line ("  }"). */
static void append_list(GString *doc, const char *start, const char *value)
{
    bool object = *value == '{';
    const char *p = value + 1;

    append_line(doc, start, value + 1);
    for (;;) {
        const char *entry;

        while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t' || *p == ',')
            p++;
        if (*p == '}' || *p == ']')
            break;
        entry = p;
        if (object) {
            p = ds_json_skip(p); /* the key */
            while (*p != ':')
                p++;
            p++;
            while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
                p++;
        }
        p = ds_json_skip(p);
        g_string_append(doc, "\n    ");
        append_line(doc, entry, p);
    }
    g_string_append(doc, object ? "\n  }" : "\n  ]");
}

/* hex (SEL_HEX + 1 bytes) of the SHA-256 ctx has taken in. */
static bool digest_end(char *hex, EVP_MD_CTX *ctx)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (!EVP_DigestFinal_ex(ctx, md, &n) || n * 2 != SEL_HEX)
        return false;
    for (unsigned int i = 0; i < n; i++)
        g_snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return true;
}

/* The entry of a manifest whose bytes data parsed (so are checked JSON);
 * no doc when a digest could not be made. */
static void entry_make(cache_entry *e, const char *data, gsize len)
{
    EVP_MD_CTX *ck = EVP_MD_CTX_new();
    EVP_MD_CTX *sk = EVP_MD_CTX_new();
    GString *doc = g_string_new("{");
    const char *end = data + len;
    const char *p = ds_json_ws(data, end) + 1;
    ds_json_str key = {NULL, 0, NULL};
    bool first = true;
    bool ok = ck && sk && EVP_DigestInit_ex(ck, EVP_sha256(), NULL) &&
              EVP_DigestInit_ex(sk, EVP_sha256(), NULL);

    for (;;) {
        const char *start, *value;
        member_use use;

        while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t' || *p == ',')
            p++;
        start = p;
        if (*p == '}' || !ds_json_member(&p, &key, &value))
            break;
        use = member_kind(&key);
        /* Each byte is digested once: the state's digest takes the
         * package members' digest in. */
        if (use == MEMBER_EMPTY || use == MEMBER_SEL)
            ok = ok && EVP_DigestUpdate(ck, start, (size_t)(p - start)) &&
                 EVP_DigestUpdate(ck, "\n", 1);
        else if (!member_is_free(&key))
            ok = ok && EVP_DigestUpdate(sk, start, (size_t)(p - start)) &&
                 EVP_DigestUpdate(sk, "\n", 1);
        if (use == MEMBER_SEL || use == MEMBER_DROP)
            continue;
        g_string_append(doc, first ? "\n  " : ",\n  ");
        first = false;
        if (use == MEMBER_EMPTY) {
            append_line(doc, start, value);
            g_string_append(doc, "{}");
        } else if (use == MEMBER_LIST && (*value == '{' || *value == '[')) {
            append_list(doc, start, value);
        } else {
            append_line(doc, start, p);
        }
    }
    g_free(key.owned);
    g_string_append(doc, "\n}\n");
    ok = ok && digest_end(e->sel, ck) &&
         EVP_DigestUpdate(sk, e->sel, SEL_HEX) && digest_end(e->state, sk);
    EVP_MD_CTX_free(ck);
    EVP_MD_CTX_free(sk);
    e->len = doc->len;
    e->buf = e->doc = g_string_free(doc, FALSE);
    if (!ok)
        entry_clear(e); /* not kept */
}

static char *entry_path(ds_store *st, const git_oid *id)
{
    char hex[GIT_OID_HEXSZ + 1];

    git_oid_tostr(hex, sizeof(hex), id);
    return g_strdup_printf("%s/" CACHE_DIR "/%.2s/%s", st->path, hex, hex + 2);
}

/* The check of a document: its CRC-32, which catches a damaged file
 * (anyone who could forge one could write the store itself). */
static guint32 doc_crc(const char *doc, gsize len)
{
    uLong crc = crc32(0L, Z_NULL, 0);

    while (len > 0) {
        uInt n = (uInt)MIN(len, (gsize)G_MAXUINT32);

        crc = crc32(crc, (const Bytef *)doc, n);
        doc += n;
        len -= n;
    }
    return (guint32)crc;
}

/* The next space-separated field of the header line at *p, which must be
 * want bytes long (0: any length but none); *p moves past it. */
static const char *header_field(char **p, gsize want)
{
    char *f = *p;
    char *end = strchr(f, ' ');
    gsize n = end ? (gsize)(end - f) : strlen(f);

    if (want ? n != want : n == 0)
        return NULL;
    if (end)
        *end++ = '\0';
    *p = end ? end : f + n;
    return f;
}

/* "HEADER" "BLOB STATE SEL LEN CRC\n" DOC; data (len bytes and a NUL)
 * becomes the entry's on success. */
static bool entry_parse(cache_entry *e, const git_oid *id, char *data,
                        gsize len)
{
    char want[GIT_OID_HEXSZ + 1];
    char *p = data + strlen(CACHE_HEADER);
    const char *blob, *state, *sel, *nstr, *cstr;
    char *nl, *end;
    guint64 n, crc;

    if (len < strlen(CACHE_HEADER) ||
        memcmp(data, CACHE_HEADER, strlen(CACHE_HEADER)) ||
        !(nl = memchr(p, '\n', (gsize)(data + len - p))))
        return false;
    *nl = '\0';
    git_oid_tostr(want, sizeof(want), id);
    if (!(blob = header_field(&p, GIT_OID_HEXSZ)) || strcmp(blob, want) ||
        !(state = header_field(&p, SEL_HEX)) ||
        !(sel = header_field(&p, SEL_HEX)) || !(nstr = header_field(&p, 0)) ||
        !(cstr = header_field(&p, 8)) || *p)
        return false;
    n = g_ascii_strtoull(nstr, &end, 10);
    if (*end || n != (guint64)(data + len - (nl + 1)))
        return false;
    crc = g_ascii_strtoull(cstr, &end, 16);
    if (*end || crc != doc_crc(nl + 1, (gsize)n))
        return false;
    memcpy(e->state, state, SEL_HEX + 1);
    memcpy(e->sel, sel, SEL_HEX + 1);
    e->buf = data;
    e->doc = nl + 1;
    e->len = (gsize)n;
    return true;
}

/* The cached entry of blob id, or false. */
static bool entry_load(cache_entry *e, ds_store *st, const git_oid *id)
{
    g_autofree char *path = entry_path(st, id);
    char *data = NULL;
    gsize len = 0;
    struct stat sb;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    bool ok;

    if (fd < 0)
        return false;
    ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
         sb.st_size <= CACHE_MAX_BYTES;
    if (ok) {
        data = g_malloc((gsize)sb.st_size + 1);
        while (len < (gsize)sb.st_size) {
            ssize_t n = read(fd, data + len, (gsize)sb.st_size - len);

            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            len += (gsize)n;
        }
        ok = len == (gsize)sb.st_size;
        data[len] = '\0';
    }
    close(fd);
    if (ok && entry_parse(e, id, data, len))
        return true;
    g_free(data);
    return false;
}

/* Keep e for blob id; a store we do not own is not written to (nor is
 * a failure to write said: the cache only saves time). */
static void entry_save(ds_store *st, const git_oid *id, const cache_entry *e)
{
    g_autofree char *path = entry_path(st, id);
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *top = g_path_get_dirname(dir);
    g_autoptr(GString) out = g_string_new(CACHE_HEADER);
    char hex[GIT_OID_HEXSZ + 1];
    guint mode, dmode;
    struct stat sb;

    /* Whether and how, found once per handle. */
    if (!st->diffcache_mode &&
        (stat(st->path, &sb) < 0 || sb.st_uid != geteuid()))
        st->diffcache_mode = -1;
    else if (!st->diffcache_mode)
        st->diffcache_mode = (sb.st_mode & 0070) ? 0640 : 0600;
    if (!e->doc || st->diffcache_mode < 0)
        return;
    mode = (guint)st->diffcache_mode;
    dmode = mode == 0640 ? 02750 : 0700;
    git_oid_tostr(hex, sizeof(hex), id);
    g_string_append_printf(out, "%s %s %s %" G_GSIZE_FORMAT " %08x\n", hex,
                           e->state, e->sel, e->len,
                           (unsigned)doc_crc(e->doc, e->len));
    g_string_append_len(out, e->doc, (gssize)e->len);
    if (ds_file_write_atomic(path, out->str, out->len, mode, DS_FILE_NO_SYNC,
                             NULL) != DS_ENOTFOUND)
        return;
    /* The first entry of its directory. */
    if (mkdir(top, 0700) == 0)
        chmod(top, dmode);
    if (mkdir(dir, 0700) == 0)
        chmod(dir, dmode);
    ds_file_write_atomic(path, out->str, out->len, mode, DS_FILE_NO_SYNC, NULL);
}

typedef struct {
    const char *host;
    const char *rev;
    const git_oid *id[2]; /* prod's, lab's; NULL when absent */
} pair_ctx;

static char *pair_origin(const pair_ctx *c, ds_role role)
{
    return g_strdup_printf("%s/%s.json@%s", ds_role_name(role), c->host,
                           c->rev ? c->rev : "HEAD");
}

/* The lines of a document, split in place (doc is changed). */
typedef struct {
    char **line;
    guint n;
} doc_lines;

static void lines_split(doc_lines *d, char *doc)
{
    GPtrArray *a = g_ptr_array_sized_new(128);
    char *p = doc;

    for (;;) {
        char *nl = strchr(p, '\n');

        g_ptr_array_add(a, p);
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    d->n = a->len;
    d->line = (char **)g_ptr_array_free(a, FALSE);
}

static bool is_entry(const char *l)
{
    return !strncmp(l, "    ", 4);
}

static bool is_list_open(const char *l)
{
    gsize n = strlen(l);

    return n > 4 && !strncmp(l, "  \"", 3) &&
           (l[n - 1] == '{' || l[n - 1] == '[');
}

/* Entries of one list differ in their ends (a file's digest) more than
 * in their starts: the length and the last bytes make their hash. */
static guint line_hash(gconstpointer p)
{
    const char *l = p;
    gsize n = strlen(l);
    guint h = (guint)n;

    for (const char *q = l + (n > 48 ? n - 48 : 0); *q; q++)
        h = h * 31 + (guchar)*q;
    return h;
}

/* The entries of d's list from line `from` on, as a set. */
static GHashTable *list_entries(const doc_lines *d, guint from)
{
    GHashTable *set = g_hash_table_new(line_hash, g_str_equal);

    for (guint i = from; i < d->n && is_entry(d->line[i]); i++)
        g_hash_table_add(set, d->line[i]);
    return set;
}

/* Whether entry k of a list (line l) is in theirs, whose entries of the
 * same list start at line `from` (G_MAXUINT: they have no such list).
 * Lists mostly agree entry for entry, so the entry at the same place is
 * tried first; *set is made only when that fails. */
static bool entry_alike(const doc_lines *theirs, guint from, guint k,
                        const char *l, GHashTable **set)
{
    if (from == G_MAXUINT)
        return false;
    if (from + k < theirs->n && is_entry(theirs->line[from + k]) &&
        !strcmp(theirs->line[from + k], l))
        return true;
    if (!*set)
        *set = list_entries(theirs, from);
    return g_hash_table_contains(*set, l);
}

/* A small document with what the other has alike left out: the entries
 * of its lists (files, services, sources) that the other's same list has
 * byte for byte.  The semantic diff reports nothing of an entry that is
 * the same on both sides, and reads nothing else of these lists. */
static char *doc_trim(const doc_lines *mine, const doc_lines *theirs)
{
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < mine->n; i++) {
        g_autoptr(GHashTable) set = NULL;
        guint from = G_MAXUINT;
        bool first = true;

        g_string_append(out, mine->line[i]);
        if (!is_list_open(mine->line[i])) {
            g_string_append_c(out, '\n');
            continue;
        }
        for (guint j = 0; j < theirs->n; j++)
            if (!strcmp(theirs->line[j], mine->line[i])) {
                from = j + 1;
                break;
            }
        for (guint k = 0; i + 1 < mine->n && is_entry(mine->line[i + 1]);
             i++, k++) {
            if (entry_alike(theirs, from, k, mine->line[i + 1], &set))
                continue;
            g_string_append(out, first ? "\n" : ",\n");
            g_string_append(out, mine->line[i + 1]);
            first = false;
        }
        g_string_append_c(out, '\n');
    }
    return g_string_free(out, FALSE);
}

/* The pair from both blobs' entries: *same when their states agree, else
 * both small documents when their left-out members agree and they parse;
 * false when the entries cannot say (nothing set).  The entries' documents
 * are split up in the doing. */
static bool pair_from_cache(ds_manifest **out, bool *same, ds_store *st,
                            const pair_ctx *c, cache_entry *e)
{
    doc_lines lines[2] = {{NULL, 0}, {NULL, 0}};
    bool ok = true;

    if (!entry_load(&e[0], st, c->id[0]) || !entry_load(&e[1], st, c->id[1]))
        return false;
    if (!strcmp(e[0].state, e[1].state)) {
        *same = true;
        return true;
    }
    if (strcmp(e[0].sel, e[1].sel))
        return false;
    lines_split(&lines[0], e[0].doc);
    lines_split(&lines[1], e[1].doc);
    for (int r = 0; r < 2 && ok; r++) {
        g_autofree char *origin = pair_origin(c, (ds_role)r);
        g_autofree char *doc = doc_trim(&lines[r], &lines[1 - r]);

        if (ds_manifest_parse(&out[r], doc, strlen(doc), origin, NULL) < 0) {
            g_clear_pointer(&out[0], ds_manifest_free);
            ok = false;
        }
    }
    g_free(lines[0].line);
    g_free(lines[1].line);
    return ok;
}

/* Each present side from its blob, inflated once; *same as
 * ds_store_roles_same_bytes says it.  The entries of blobs that parsed
 * and had none are written. */
static int pair_from_blobs(ds_manifest **out, bool *same, ds_store *st,
                           const pair_ctx *c, const cache_entry *e,
                           GError **err)
{
    git_blob *blob[2] = {NULL, NULL};
    int rc = 0;

    for (int r = 0; r < 2 && rc == 0; r++)
        if (c->id[r] && git_blob_lookup(&blob[r], st->repo, c->id[r]) < 0) {
            g_autofree char *origin = pair_origin(c, (ds_role)r);

            rc = ds_store_git_error(err, DS_EGENERIC, "%s", origin);
        }
    if (rc == 0 && blob[0] && blob[1] &&
        ds_store_same_state_bytes(
            git_blob_rawcontent(blob[0]), (gsize)git_blob_rawsize(blob[0]),
            git_blob_rawcontent(blob[1]), (gsize)git_blob_rawsize(blob[1])))
        *same = true;
    for (int r = 0; r < 2 && rc == 0; r++) {
        g_autofree char *origin = NULL;
        bool fill = blob[0] && blob[1] && !e[r].doc;
        const char *data;
        gsize len;
        int prc;

        /* A pair of one state is read only to fill the cache, whatever
         * that finds. */
        if (!blob[r] || (*same && !fill))
            continue;
        origin = pair_origin(c, (ds_role)r);
        data = git_blob_rawcontent(blob[r]);
        len = (gsize)git_blob_rawsize(blob[r]);
        prc = ds_manifest_parse(&out[r], data, len, origin, *same ? NULL : err);
        if (prc < 0 && !*same)
            rc = prc;
        if (prc == 0 && fill) {
            cache_entry made = {.doc = NULL};

            entry_make(&made, data, len);
            entry_save(st, c->id[r], &made);
            entry_clear(&made);
        }
    }
    git_blob_free(blob[0]);
    git_blob_free(blob[1]);
    if (rc < 0 || *same) {
        g_clear_pointer(&out[0], ds_manifest_free);
        g_clear_pointer(&out[1], ds_manifest_free);
    }
    return rc;
}

int ds_store_read_pair(ds_manifest **prod, ds_manifest **lab, bool *same,
                       ds_store *st, const char *rev, const char *host,
                       GError **err)
{
    g_autofree char *ppath = NULL;
    g_autofree char *lpath = NULL;
    ds_manifest *out[2] = {NULL, NULL};
    cache_entry e[2] = {{.doc = NULL}, {.doc = NULL}};
    git_tree *tree = NULL;
    git_oid id[2];
    pair_ctx c = {host, rev, {NULL, NULL}};
    int rc;

    *prod = *lab = NULL;
    *same = false;
    if (!host || !ds_name_is_safe_host(host))
        return ds_error_set(err, DS_EINVALID, "invalid host name '%s'",
                            host ? host : "(null)");
    if ((rc = ds_store_rev_tree(&tree, st, rev, err)) < 0)
        return rc;
    ppath = g_strdup_printf("prod/%s.json", host);
    lpath = g_strdup_printf("lab/%s.json", host);
    if (tree &&
        ds_store_tree_blob_id(&id[0], tree, ppath, GIT_OBJECT_BLOB) == 0)
        c.id[0] = &id[0];
    if (tree &&
        ds_store_tree_blob_id(&id[1], tree, lpath, GIT_OBJECT_BLOB) == 0)
        c.id[1] = &id[1];
    git_tree_free(tree);
    git_error_clear();
    if (c.id[0] && c.id[1] && git_oid_equal(c.id[0], c.id[1])) {
        *same = true;
        return 0;
    }
    if (!(c.id[0] && c.id[1] && pair_from_cache(out, same, st, &c, e)))
        rc = pair_from_blobs(out, same, st, &c, e, err);
    entry_clear(&e[0]);
    entry_clear(&e[1]);
    *prod = out[0];
    *lab = out[1];
    return rc;
}

/* The ids of the manifests HEAD holds, as hex (the cache's keys). */
static GHashTable *head_blobs(ds_store *st)
{
    static const ds_role roles[] = {DS_ROLE_PROD, DS_ROLE_LAB};
    GHashTable *keep =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint r = 0; r < G_N_ELEMENTS(roles); r++) {
        g_autofree char *spec =
            g_strdup_printf("HEAD:%s", ds_role_name(roles[r]));
        git_object *o = NULL;
        const git_tree *t;

        if (git_revparse_single(&o, st->repo, spec) < 0 ||
            git_object_type(o) != GIT_OBJECT_TREE) {
            git_object_free(o);
            git_error_clear();
            continue;
        }
        t = (const git_tree *)o;
        for (size_t i = 0; i < git_tree_entrycount(t); i++) {
            const git_tree_entry *e = git_tree_entry_byindex(t, i);
            char hex[GIT_OID_HEXSZ + 1];

            git_oid_tostr(hex, sizeof(hex), git_tree_entry_id(e));
            g_hash_table_add(keep, g_strdup(hex));
        }
        git_object_free(o);
    }
    return keep;
}

guint ds_store_diffcache_prune(ds_store *st)
{
    g_autofree char *top = g_build_filename(st->path, CACHE_DIR, NULL);
    g_autoptr(GHashTable) keep = NULL;
    g_autoptr(GDir) d = g_dir_open(top, 0, NULL);
    const char *sub;
    guint removed = 0;

    if (!d)
        return 0;
    keep = head_blobs(st);
    while ((sub = g_dir_read_name(d))) {
        g_autofree char *dir = g_build_filename(top, sub, NULL);
        g_autoptr(GDir) sd = NULL;
        const char *name;

        if (strlen(sub) != 2 || !(sd = g_dir_open(dir, 0, NULL)))
            continue;
        while ((name = g_dir_read_name(sd))) {
            g_autofree char *hex = g_strconcat(sub, name, NULL);
            g_autofree char *path = NULL;

            /* an entry of a blob HEAD does not hold, or a file left
             * half-written by a comparison that was killed */
            if (strlen(hex) == GIT_OID_HEXSZ &&
                g_hash_table_contains(keep, hex))
                continue;
            path = g_build_filename(dir, name, NULL);
            if (unlink(path) == 0)
                removed++;
        }
    }
    return removed;
}
