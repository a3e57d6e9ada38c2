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
#include "sync/jobs/record-prepare.h"
#include "sync/jobs/record-stage.h"

#define RECORD_PARALLEL_MIN 8 /* files: fewer are checked in one thread */

void ds_record_hosts_free(record_host *hosts, guint n)
{
    for (guint i = 0; hosts && i < n; i++) {
        g_free(hosts[i].host);
        if (hosts[i].changes)
            g_ptr_array_unref(hosts[i].changes);
    }
    g_free(hosts);
}

/* What a prepared job tells the summary and the transaction. */
static int stage_job(record_host *h, ds_store_txn *txn, record_job *j,
                     guint npackages, guint nsources, guint nfiles,
                     guint nservices, GError **err)
{
    ds_store_counts counts;
    gsize len;
    const void *data;

    if (j->err) {
        int rc = ds_error_code_of(j->err);

        g_propagate_error(err, g_steal_pointer(&j->err));
        return rc;
    }
    h->host = g_strdup(j->host);
    h->role = j->role;
    h->is_new = !j->old && !j->same;
    h->same = j->same;
    if (j->m) {
        h->npackages = j->m->packages->len;
        h->nsources = j->m->sources->len;
        h->nfiles = j->m->files->len;
        h->nservices = j->m->services->len;
    } else {
        h->npackages = npackages;
        h->nsources = nsources;
        h->nfiles = nfiles;
        h->nservices = nservices;
    }
    if (j->changes)
        h->changes = g_ptr_array_ref(j->changes);
    if (j->same)
        return 0;
    data = g_bytes_get_data(j->bytes, &len);
    counts.npackages = h->npackages;
    counts.nfiles = h->nfiles;
    counts.nservices = h->nservices;
    return ds_store_txn_put_blob(txn, j->role, j->host, &j->id,
                                 j->contents ? j->m : NULL, data, len,
                                 j->changes, &counts, err);
}

/* The stored bytes of the job's host, or none for a new host. */
static int fetch_old(record_job *j, ds_store_txn *txn, GError **err)
{
    int rc = ds_store_txn_base_bytes(&j->old, txn, j->role, j->host, err);

    if (rc == DS_ENOTFOUND) {
        g_clear_error(err);
        return 0;
    }
    return rc;
}

/* Collected manifests, a batch at a time: serialised and hashed on both
 * cores; a host whose blob is the stored one is the same state (nothing
 * parsed); the others are compared with the stored manifest, written and
 * staged. */
int ds_record_stage_hosts(record_host *hosts, ds_store *st, ds_store_txn *txn,
                          GPtrArray *manifests, GError **err)
{
    g_autofree record_job *jobs = g_new0(record_job, RECORD_BATCH);
    int rc = 0;

    for (guint b0 = 0; b0 < manifests->len && rc == 0; b0 += RECORD_BATCH) {
        guint n = MIN(RECORD_BATCH, manifests->len - b0);

        for (guint i = 0; i < n; i++) {
            const ds_manifest *m = g_ptr_array_index(manifests, b0 + i);

            jobs[i].m = m;
            jobs[i].host = m->host;
            jobs[i].role = m->role;
        }
        if ((rc = ds_record_prepare(jobs, n, st, NULL,
                                    RECORD_PHASE_CANONICAL, err)) < 0)
            break;
        for (guint i = 0; i < n && rc == 0; i++) {
            if (jobs[i].err || jobs[i].contents ||
                !ds_store_txn_holds(txn, jobs[i].role, jobs[i].host,
                                    &jobs[i].id))
                rc = fetch_old(&jobs[i], txn, err);
            else
                jobs[i].same = true;
        }
        if (rc == 0)
            rc = ds_record_prepare(jobs, n, st, NULL, RECORD_PHASE_COMPARE,
                                   err);
        for (guint i = 0; i < n; i++) {
            if (rc == 0 && jobs[i].same && !jobs[i].changes)
                jobs[i].changes = g_ptr_array_new(); /* found by blob id */
            if (rc == 0)
                rc = stage_job(&hosts[b0 + i], txn, &jobs[i], 0, 0, 0, 0,
                               err);
            ds_record_job_clear(&jobs[i]);
        }
    }
    return rc;
}

/* ---- --from FILE...: check every file, then stage one at a time ---- */

/* What the first pass learnt about a file. */
typedef struct checked_file {
    const char *file;
    char *host; /* when valid */
    ds_role role;
    bool same;      /* the stored state: nothing to stage */
    bool canonical; /* the file's bytes are the canonical ones, and it
                     * carries no file contents to store */
    ds_blob_id input; /* the file's bytes' blob id */
    guint npackages, nsources, nfiles, nservices;
    GError *err;
} checked_file;

typedef struct {
    ds_store_txn *txn;
    ds_store_inputs *inputs;
    checked_file *files;
} check_work;

/* The value of a top-level string member where canonical bytes put it
 * ("\n  \"KEY\": \"VALUE\",\n"), or NULL.  Only a guess to look the host
 * up with: the store's blob id decides. */
static char *canonical_member(const char *data, gsize len, const char *key,
                              bool from_end)
{
    g_autofree char *pat = g_strdup_printf("\n  \"%s\": \"", key);
    gsize plen = strlen(pat);
    const char *p = NULL;
    const char *end = data + len, *q;

    if (!from_end) {
        p = memmem(data, len, pat, plen);
    } else {
        /* A member the canonical order puts near the end ("role", after
         * the packages): line by line from there. */
        for (q = end; !p && q > data;) {
            q = memrchr(data, '\n', (gsize)(q - data));
            if (!q)
                break;
            if ((gsize)(end - q) >= plen && !memcmp(q, pat, plen))
                p = q;
        }
    }
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

/* Whether the bytes are the stored state, found without parsing them:
 * the stored blob itself, or an input seen before whose canonical form is
 * the stored blob. */
static bool stored_unparsed(checked_file *c, ds_store_txn *txn,
                            ds_store_inputs *inputs, const char *data,
                            gsize len)
{
    g_autofree char *base = ds_store_txn_base(txn);
    /* Canonical bytes open with a member at two spaces of indent; other
     * bytes are not searched for one, nor any in an empty store. */
    bool looks_canonical = base && len > 5 && !memcmp(data, "{\n  \"", 5);
    g_autofree char *host =
        looks_canonical ? canonical_member(data, len, "host", false) : NULL;
    g_autofree char *role =
        looks_canonical ? canonical_member(data, len, "role", true) : NULL;

    if (host && role && (!strcmp(role, "prod") || !strcmp(role, "lab"))) {
        ds_role r = strcmp(role, "prod") ? DS_ROLE_LAB : DS_ROLE_PROD;

        if (ds_store_txn_holds(txn, r, host, &c->input)) {
            c->host = g_steal_pointer(&host);
            c->role = r;
            return true;
        }
    }
    return inputs &&
           ds_store_inputs_same(inputs, txn, &c->input, &c->host, &c->role);
}

/* The parsed file's canonical form: the stored blob again (the same
 * state), or whether the file's bytes are canonical. */
static void check_canonical(checked_file *c, ds_store_txn *txn,
                            ds_store_inputs *inputs, const ds_manifest *m,
                            GBytes *bytes, const char *data, gsize len)
{
    ds_blob_id id;

    for (guint i = 0; i < m->files->len; i++) {
        const ds_file *f = g_ptr_array_index(m->files, i);

        if (f->content || f->content_ref)
            return; /* stored with its files: staging compares them */
    }
    c->canonical = g_bytes_get_size(bytes) == len &&
                   !memcmp(g_bytes_get_data(bytes, NULL), data, len);
    /* Canonical bytes were compared by their id already; other bytes'
     * canonical form only when the store has the host. */
    if (c->canonical || !ds_store_txn_stored(txn, c->role, c->host) ||
        ds_store_hash_compare(&id, g_bytes_get_data(bytes, NULL),
                              g_bytes_get_size(bytes)) < 0)
        return;
    if (ds_store_txn_holds(txn, c->role, c->host, &id)) {
        ds_blob_id kept;

        c->same = true;
        /* The table keeps the input's id: made with collision detection
         * (c->input was made for comparing only). */
        if (inputs && ds_store_hash(&kept, data, len) == 0)
            ds_store_inputs_note(inputs, &kept, c->role, c->host, &id);
    }
}

/* First pass over one file: the stored state unparsed (the store holds
 * only checked, canonical manifests), or a full parse and check, and its
 * canonical form compared with the stored one.  Nothing is kept but the
 * host's name and role. */
static void check_file(ds_store_txn *txn, ds_store_inputs *inputs,
                       checked_file *c)
{
    g_autofree char *data = NULL;
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GBytes) bytes = NULL;
    gsize len = 0;

    if (ds_manifest_read_file(&data, &len, c->file, &c->err) < 0)
        return;
    /* Only compared with ids the store keeps (ds_store_hash_compare):
     * hashing every input with collision detection was half of a
     * nightly record. */
    if (ds_store_hash_compare(&c->input, data, len) < 0) {
        ds_error_set(&c->err, DS_EGENERIC, "%s: cannot hash it", c->file);
        return;
    }
    if (stored_unparsed(c, txn, inputs, data, len)) {
        c->same = true;
        return;
    }
    /* Parsed, checked and normalised, with its canonical bytes. */
    if (ds_manifest_parse_canonical(&m, &bytes, data, len, c->file, &c->err) <
        0)
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
    /* As staging stores it. */
    if (!m->collector.transport) {
        m->collector.transport = g_strdup("import");
        g_clear_pointer(&bytes, g_bytes_unref);
        if (ds_manifest_serialise(&bytes, m, NULL) < 0)
            return;
    }
    check_canonical(c, txn, inputs, m, bytes, data, len);
}

static void check_one(guint i, guint worker, void *payload)
{
    check_work *w = payload;

    (void)worker;
    check_file(w->txn, w->inputs, &w->files[i]);
}

/* Check every file (in RECORD_THREADS threads); the first bad one in the
 * order given is reported, as are two files for one host. */
static int check_files(const ds_log *log, ds_store_txn *txn,
                       ds_store_inputs *inputs, checked_file *files, int n,
                       GError **err)
{
    g_autoptr(GHashTable) seen =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    check_work w = {txn, inputs, files};
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

struct record_check {
    checked_file *files;
    int n;
    char *base; /* the commit the files were compared with, or NULL */
    ds_store_inputs *inputs; /* what inputs became in the store */
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
    ds_store_inputs_free(chk->inputs);
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
    chk->inputs = ds_store_inputs_load(st);
    for (int i = 0; i < n; i++)
        chk->files[i].file = files[i];
    if ((rc = check_files(log, view, chk->inputs, chk->files, n, err)) < 0) {
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
        check_file(txn, chk->inputs, c);
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

/* The checked files of one batch that are not the stored state: read
 * again and prepared on both cores, staged in order. */
static int stage_batch(record_host *hosts, ds_store *st, ds_store_txn *txn,
                       record_check *chk, const int *idx, guint n,
                       record_job *jobs, GError **err)
{
    int rc = 0;

    for (guint k = 0; k < n && rc == 0; k++) {
        const checked_file *c = &chk->files[idx[k]];

        jobs[k].file = c->file;
        jobs[k].host = c->host;
        jobs[k].role = c->role;
        jobs[k].canonical = c->canonical;
        jobs[k].input = c->input;
        rc = fetch_old(&jobs[k], txn, err);
    }
    if (rc == 0)
        rc = ds_record_prepare(jobs, n, st, chk->inputs, RECORD_PHASE_ALL,
                               err);
    for (guint k = 0; k < n; k++) {
        const checked_file *c = &chk->files[idx[k]];

        if (rc == 0)
            rc = stage_job(&hosts[idx[k]], txn, &jobs[k], c->npackages,
                           c->nsources, c->nfiles, c->nservices, err);
        ds_record_job_clear(&jobs[k]);
    }
    return rc;
}

/* Stage the checked files that are not the stored state, a batch at a
 * time; then keep what the non-canonical ones became. */
int ds_record_stage_files(const ds_log *log, ds_store *st, ds_store_txn *txn,
                          record_check *chk, record_host *hosts, GError **err)
{
    checked_file *cf = chk->files;
    g_autofree record_job *jobs = g_new0(record_job, RECORD_BATCH);
    g_autofree int *idx = g_new0(int, RECORD_BATCH);
    g_autoptr(GError) e = NULL;
    guint n = 0;
    int rc;

    if ((rc = recheck_moved(log, txn, chk, err)) < 0)
        return rc;
    for (int i = 0; i <= chk->n; i++) {
        if (n == RECORD_BATCH || (i == chk->n && n)) {
            if ((rc = stage_batch(hosts, st, txn, chk, idx, n, jobs, err)) < 0)
                return rc;
            n = 0;
        }
        if (i == chk->n)
            break;
        if (!cf[i].same) {
            idx[n++] = i;
            continue;
        }
        hosts[i].host = g_steal_pointer(&cf[i].host);
        hosts[i].role = cf[i].role;
        hosts[i].same = true;
        hosts[i].changes = g_ptr_array_new();
    }
    /* A table that cannot be kept costs the next run a parse, no more. */
    if (ds_store_inputs_save(chk->inputs, st, &e) < 0)
        ds_log_verbose(log, "%s", e->message);
    return 0;
}
