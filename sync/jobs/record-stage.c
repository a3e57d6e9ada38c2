/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/record-stage.c: how `driftsync record` stages manifests: a
 * collected one is compared with the store's HEAD and staged unless it is
 * the stored state again; `--from FILE...` files are checked first, every
 * one (in two threads) and before the store lock, then those that differ
 * from the store are read again and staged one at a time, so that memory
 * does not grow with the number of hosts. */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "manifests/util/parallel.h"
#include "sync/jobs/record-stage.h"

#define RECORD_THREADS 2
#define RECORD_PARALLEL_MIN 8 /* files: fewer are checked in one thread */

/* Compare m with the store's HEAD and stage it unless it is the stored
 * state again; h receives what changed. */
int ds_record_stage_host(record_host *h, ds_store *st, ds_store_txn *txn,
                         const ds_manifest *m, GError **err)
{
    g_autoptr(ds_manifest) old = NULL;
    int rc;

    h->host = g_strdup(m->host);
    h->role = m->role;
    h->npackages = m->packages->len;
    h->nsources = m->sources->len;
    h->nfiles = m->files->len;
    h->nservices = m->services->len;
    rc = ds_store_read(&old, st, NULL, m->role, m->host, err);
    if (rc == DS_ENOTFOUND) {
        g_clear_error(err);
        h->is_new = true;
    } else if (rc < 0) {
        return rc;
    } else {
        if ((rc = ds_manifest_diff(&h->changes, old, m, NULL, err)) < 0)
            return rc;
        if (!h->changes->len && (h->same = ds_manifest_same_state(old, m)))
            return 0;
    }
    return ds_store_txn_put(txn, m, err);
}

/* ---- --from FILE...: check every file, then stage one at a time ---- */

/* What the first pass learnt about a file. */
typedef struct checked_file {
    const char *file;
    char *host; /* when valid */
    ds_role role;
    bool same;      /* byte for byte the stored manifest: nothing to stage */
    bool canonical; /* the file's bytes are the canonical ones, and it
                     * carries no file contents to store */
    guint npackages, nsources, nfiles, nservices;
    GError *err;
} checked_file;

typedef struct {
    ds_store_txn *txn;
    checked_file *files;
} check_work;

/* The value of a top-level string member where canonical bytes put it
 * ("\n  \"KEY\": \"VALUE\",\n"), or NULL.  Only a guess to look the host
 * up with: the store's blob id decides. */
static char *canonical_member(const char *data, gsize len, const char *key)
{
    g_autofree char *pat = g_strdup_printf("\n  \"%s\": \"", key);
    gsize plen = strlen(pat);
    const char *p = memmem(data, len, pat, plen);
    const char *end = data + len, *q;

    if (!p)
        return NULL;
    p += plen;
    for (q = p; q < end && q - p < 256; q++) {
        if (*q == '"')
            return g_strndup(p, (gsize)(q - p));
        if (*q == '\\' || (unsigned char)*q < 0x20)
            return NULL;
    }
    return NULL;
}

/* First pass over one file: the same bytes as stored (nothing to parse:
 * the store holds only checked, canonical manifests), or a full parse
 * and check.  Nothing is kept but the host's name and role. */
static void check_file(ds_store_txn *txn, checked_file *c)
{
    g_autofree char *data = NULL;
    g_autofree char *host = NULL;
    g_autofree char *role = NULL;
    g_autoptr(ds_manifest) m = NULL;
    gsize len = 0;

    if (ds_manifest_read_file(&data, &len, c->file, &c->err) < 0)
        return;
    host = canonical_member(data, len, "host");
    role = canonical_member(data, len, "role");
    if (host && role && (!strcmp(role, "prod") || !strcmp(role, "lab"))) {
        ds_role r = strcmp(role, "prod") ? DS_ROLE_LAB : DS_ROLE_PROD;

        if (ds_store_txn_same_bytes(txn, r, host, data, len)) {
            c->host = g_steal_pointer(&host);
            c->role = r;
            c->same = true;
            return;
        }
    }
    if (ds_manifest_parse(&m, data, len, c->file, &c->err) < 0 ||
        ds_manifest_normalise(m, &c->err) < 0)
        return;
    if (!ds_name_is_safe_host(m->host)) {
        ds_error_set(&c->err, DS_EINVALID,
                     "%s: host: '%s' is not a valid host name", c->file,
                     m->host);
        return;
    }
    c->host = g_strdup(m->host);
    c->role = m->role;
    c->npackages = m->packages->len;
    c->nsources = m->sources->len;
    c->nfiles = m->files->len;
    c->nservices = m->services->len;
    /* A new host whose bytes are already canonical is then stored as they
     * are, without parsing it again. */
    c->canonical = m->collector.transport != NULL;
    for (guint i = 0; c->canonical && i < m->files->len; i++) {
        const ds_file *f = g_ptr_array_index(m->files, i);

        if (f->content || f->content_ref)
            c->canonical = false;
    }
    if (c->canonical) {
        g_autoptr(GBytes) bytes = NULL;

        c->canonical = ds_manifest_serialise(&bytes, m, NULL) == 0 &&
                       g_bytes_get_size(bytes) == len &&
                       !memcmp(g_bytes_get_data(bytes, NULL), data, len);
    }
}

static void check_one(guint i, guint worker, void *payload)
{
    check_work *w = payload;

    (void)worker;
    check_file(w->txn, &w->files[i]);
}

/* Check every file (in RECORD_THREADS threads); the first bad one in the
 * order given is reported, as are two files for one host. */
static int check_files(const ds_log *log, ds_store_txn *txn,
                       checked_file *files, int n, GError **err)
{
    g_autoptr(GHashTable) seen =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    check_work w = {txn, files};
    int rc;

    ds_parallel_for((guint)n, n >= RECORD_PARALLEL_MIN ? RECORD_THREADS : 1,
                    check_one, &w);

    for (int i = 0; i < n; i++) {
        checked_file *c = &files[i];
        char *key;
        const char *other;

        if (c->err) {
            /* The parser's message names the file and the JSON path. */
            if (!strstr(c->err->message, c->file))
                g_prefix_error(&c->err, "%s: ", c->file);
            rc = ds_error_code_of(c->err);
            g_propagate_error(err, g_steal_pointer(&c->err));
            return rc;
        }
        key = g_strdup_printf("%s/%s", ds_role_name(c->role), c->host);
        if ((other = g_hash_table_lookup(seen, key))) {
            rc = ds_error_set(err, DS_ECONFLICT,
                              "%s: %s (%s) is also given by %s", c->file,
                              c->host, ds_role_name(c->role), other);
            g_free(key);
            return rc;
        }
        g_hash_table_insert(seen, key, (gpointer)c->file);
        ds_log_verbose(log, "%s: %s (%s), %s", c->file, c->host,
                       ds_role_name(c->role), c->same ? "as stored" : "valid");
    }
    return 0;
}

/* Read a checked file again and stage it; `is_new`: the host has no
 * manifest in the store. */
static int stage_file(record_host *h, ds_store *st, ds_store_txn *txn,
                      const checked_file *c, bool is_new, GError **err)
{
    g_autoptr(ds_manifest) m = NULL;
    int rc;

    if (is_new && c->canonical) {
        g_autofree char *data = NULL;
        gsize len;

        h->host = g_strdup(c->host);
        h->role = c->role;
        h->is_new = true;
        h->npackages = c->npackages;
        h->nsources = c->nsources;
        h->nfiles = c->nfiles;
        h->nservices = c->nservices;
        if ((rc = ds_manifest_read_file(&data, &len, c->file, err)) < 0)
            return rc;
        return ds_store_txn_put_canonical(txn, c->role, c->host, data, len,
                                          err);
    }
    if ((rc = ds_manifest_load(&m, c->file, err)) < 0 ||
        (rc = ds_manifest_normalise(m, err)) < 0)
        return rc;
    if (g_strcmp0(m->host, c->host) || m->role != c->role)
        return ds_error_set(err, DS_ECONFLICT,
                            "%s: the file changed while it was recorded",
                            c->file);
    if (!m->collector.transport)
        m->collector.transport = g_strdup("import");
    return ds_record_stage_host(h, st, txn, m, err);
}

struct record_check {
    checked_file *files;
    int n;
    char *base; /* the commit the files were compared with, or NULL */
};

void ds_record_check_free(record_check *chk)
{
    if (!chk)
        return;
    for (int i = 0; i < chk->n; i++) {
        g_free(chk->files[i].host);
        g_clear_error(&chk->files[i].err);
    }
    g_free(chk->files);
    g_free(chk->base);
    g_free(chk);
}

/* Check the manifest files, without the store lock: each is opened only
 * if it is a regular file, read and validated (or found to be the bytes
 * HEAD holds), so that an input that blocks or fails holds up no other
 * writer. */
int ds_record_check_files(record_check **out, const ds_log *log, ds_store *st,
                          char **files, int n, GError **err)
{
    g_autoptr(ds_store_txn) view = NULL;
    record_check *chk;
    int rc;

    *out = NULL;
    if ((rc = ds_store_txn_begin_read(&view, st, err)) < 0)
        return rc;
    chk = g_new0(record_check, 1);
    chk->files = g_new0(checked_file, MAX(n, 1));
    chk->n = n;
    chk->base = ds_store_txn_base(view);
    for (int i = 0; i < n; i++)
        chk->files[i].file = files[i];
    if ((rc = check_files(log, view, chk->files, n, err)) < 0) {
        ds_record_check_free(chk);
        return rc;
    }
    *out = chk;
    return 0;
}

/* Under the lock: when HEAD moved since the files were checked, the ones
 * found to be the stored bytes are checked again against the new HEAD. */
static int recheck_moved(const ds_log *log, ds_store_txn *txn,
                         record_check *chk, GError **err)
{
    g_autofree char *base = ds_store_txn_base(txn);

    if (!g_strcmp0(base, chk->base))
        return 0;
    ds_log_verbose(
        log,
        "the store moved since the files were checked; checking the unchanged ones again");
    for (int i = 0; i < chk->n; i++) {
        checked_file *c = &chk->files[i];

        if (!c->same)
            continue;
        g_clear_pointer(&c->host, g_free);
        c->same = false;
        check_file(txn, c);
        if (c->err) {
            int rc = ds_error_code_of(c->err);

            if (!strstr(c->err->message, c->file))
                g_prefix_error(&c->err, "%s: ", c->file);
            g_propagate_error(err, g_steal_pointer(&c->err));
            return rc;
        }
    }
    return 0;
}

/* Stage the checked files that are not the stored bytes, one at a time. */
int ds_record_stage_files(const ds_log *log, ds_store *st, ds_store_txn *txn,
                          record_check *chk, record_host *hosts, GError **err)
{
    checked_file *cf = chk->files;
    int n = chk->n;
    g_autoptr(GHashTable) stored =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    int rc;

    if ((rc = recheck_moved(log, txn, chk, err)) < 0)
        return rc;
    for (int r = DS_ROLE_PROD; r <= DS_ROLE_LAB; r++) {
        g_autoptr(GPtrArray) hosts_of_role = NULL;

        if ((rc = ds_store_list_hosts(&hosts_of_role, st, NULL, r, err)) < 0)
            return rc;
        for (guint i = 0; i < hosts_of_role->len; i++)
            g_hash_table_add(stored,
                             g_strdup_printf("%s/%s", ds_role_name(r),
                                             (char *)hosts_of_role->pdata[i]));
    }
    for (int i = 0; i < n; i++) {
        if (cf[i].same) {
            hosts[i].host = g_steal_pointer(&cf[i].host);
            hosts[i].role = cf[i].role;
            hosts[i].same = true;
            hosts[i].changes = g_ptr_array_new();
            continue;
        }
        g_autofree char *key =
            g_strdup_printf("%s/%s", ds_role_name(cf[i].role), cf[i].host);

        if ((rc = stage_file(&hosts[i], st, txn, &cf[i],
                             !g_hash_table_contains(stored, key), err)) < 0)
            return rc;
    }
    return 0;
}
