/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/record-prepare.c: the work of staging manifests, done on both
 * cores a batch at a time: a manifest (collected, or read from a file
 * again) is serialised, compared with the bytes the store holds for its
 * host -- byte for byte first, then by meaning --, and its blob written;
 * the transaction's thread only looks blobs up and stages the results. */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "manifests/util/parallel.h"
#include "sync/jobs/record-prepare.h"

void ds_record_job_clear(record_job *j)
{
    ds_manifest_free(j->parsed);
    if (j->bytes)
        g_bytes_unref(j->bytes);
    if (j->old)
        g_bytes_unref(j->old);
    if (j->changes)
        g_ptr_array_unref(j->changes);
    g_clear_error(&j->err);
    memset(j, 0, sizeof(*j));
}

/* A --from file read again: parsed (unless it is a new host's canonical
 * bytes, found so by the check), checked to be the file that was
 * checked. */
static int read_again(record_job *j, GError **err)
{
    g_autofree char *data = NULL;
    ds_blob_id input;
    gsize len;
    int rc;

    if ((rc = ds_manifest_read_file(&data, &len, j->file, err)) < 0)
        return rc;
    if (!j->old && j->canonical) {
        /* Stored as it is: the blob written must be the file checked. */
        j->bytes = g_bytes_new_take(g_steal_pointer(&data), len);
        j->verify = true;
        return 0;
    }
    if (!j->canonical) {
        if ((rc = ds_store_hash(&input, data, len)) < 0)
            return ds_error_set(err, rc, "%s: cannot hash it", j->file);
        j->input = input;
        j->have_input = true;
    }
    /* parsed is normalised */
    if ((rc = ds_manifest_parse(&j->parsed, data, len, j->file, err)) < 0)
        return rc;
    if (g_strcmp0(j->parsed->host, j->host) || j->parsed->role != j->role)
        return ds_error_set(err, DS_ECONFLICT,
                            "%s: the file changed while it was recorded",
                            j->file);
    if (!j->parsed->collector.transport)
        j->parsed->collector.transport = g_strdup("import");
    j->m = j->parsed;
    return 0;
}

static bool has_contents(const ds_manifest *m)
{
    for (guint i = 0; m->files && i < m->files->len; i++) {
        const ds_file *f = g_ptr_array_index(m->files, i);

        if (f->content || f->content_ref)
            return true;
    }
    return false;
}

/* The canonical bytes of the job's manifest, and their blob id -- made
 * for comparing with the stored one only: writing the blob makes the id
 * that is kept. */
static int canonical_of(record_job *j, GError **err)
{
    int rc;

    if (j->file && (rc = read_again(j, err)) < 0)
        return rc;
    if (j->bytes)
        return 0; /* canonical already, hashed as it is written */
    if ((rc = ds_manifest_serialise(&j->bytes, j->m, err)) < 0)
        return ds_error_prefix(err, rc, "%s: ", j->host);
    j->contents = has_contents(j->m);
    return ds_store_hash_compare(&j->id, g_bytes_get_data(j->bytes, NULL),
                                 g_bytes_get_size(j->bytes));
}

/* Against the stored bytes (old): the same bytes, or the same state by
 * meaning (the time of collection aside), stages nothing. */
static int compare_old(record_job *j, GError **err)
{
    g_autoptr(ds_manifest) old = NULL;
    g_autofree char *origin = NULL;
    gsize len;
    const void *data = g_bytes_get_data(j->old, &len);
    int rc;

    if (!j->contents && g_bytes_equal(j->old, j->bytes)) {
        j->same = true;
        j->changes = g_ptr_array_new();
        return 0;
    }
    if (!j->m && (rc = ds_manifest_parse(&j->parsed, g_bytes_get_data(
                                                         j->bytes, NULL),
                                         g_bytes_get_size(j->bytes), j->file,
                                         err)) < 0)
        return rc;
    if (!j->m)
        j->m = j->parsed;
    origin = g_strdup_printf("%s/%s.json@HEAD", ds_role_name(j->role),
                             j->host);
    if ((rc = ds_manifest_parse(&old, data, len, origin, err)) < 0 ||
        (rc = ds_manifest_diff(&j->changes, old, j->m, NULL, err)) < 0)
        return rc;
    j->same = !j->changes->len && ds_manifest_same_state(old, j->m);
    return 0;
}

static void prepare(record_job *j, ds_store_writer *w, ds_store_inputs *in,
                    record_phase phase)
{
    gsize len;
    const void *data;

    if (j->err || j->same)
        return;
    if (phase != RECORD_PHASE_COMPARE && canonical_of(j, &j->err) < 0)
        return;
    if (phase == RECORD_PHASE_CANONICAL)
        return;
    if (j->old && compare_old(j, &j->err) < 0)
        return;
    if (j->same)
        return;
    data = g_bytes_get_data(j->bytes, &len);
    if (ds_store_writer_put(&j->id, w, data, len, &j->err) < 0) {
        g_prefix_error(&j->err, "%s: ", j->host);
        return;
    }
    if (j->verify && memcmp(j->id.raw, j->input.raw, sizeof(j->id.raw))) {
        ds_error_set(&j->err, DS_ECONFLICT,
                     "%s: the file changed while it was recorded", j->file);
        return;
    }
    /* Next time, the same input is known to be this blob unparsed. */
    if (in && j->have_input && !j->contents)
        ds_store_inputs_note(in, &j->input, j->role, j->host, &j->id);
}

typedef struct {
    record_job *jobs;
    ds_store_writer **writers;
    ds_store_inputs *inputs;
    record_phase phase;
} batch;

static void prepare_one(guint i, guint worker, void *payload)
{
    batch *b = payload;

    prepare(&b->jobs[i], b->writers[worker], b->inputs, b->phase);
}

int ds_record_prepare(record_job *jobs, guint n, ds_store *st,
                      ds_store_inputs *inputs, record_phase phase,
                      GError **err)
{
    guint workers = ds_parallel_workers(n, RECORD_THREADS);
    g_autofree ds_store_writer **writers = g_new0(ds_store_writer *, workers);
    batch b = {jobs, writers, inputs, phase};
    int rc = 0;

    for (guint t = 0; t < workers; t++)
        if ((rc = ds_store_writer_new(&writers[t], st, err)) < 0)
            goto done;
    ds_parallel_for(n, RECORD_THREADS, prepare_one, &b);
done:
    for (guint t = 0; t < workers; t++)
        ds_store_writer_free(writers[t]);
    return rc;
}
