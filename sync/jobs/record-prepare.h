/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/record-prepare.h: staging's work on both cores
 * (record-prepare.c), for record-stage.c. */
#pragma once

#include <stdbool.h>

#include "manifests/diff.h"
#include "manifests/store.h"

#define RECORD_THREADS 2
/* Manifests prepared at once: what memory holds, whatever the hosts. */
#define RECORD_BATCH 32

typedef enum {
    RECORD_PHASE_CANONICAL, /* serialise and hash only */
    RECORD_PHASE_COMPARE,   /* compare with old, write the blob */
    RECORD_PHASE_ALL,       /* both */
} record_phase;

/* One manifest to stage. */
typedef struct record_job {
    /* in: a collected manifest (m), or a --from file checked before */
    const ds_manifest *m;
    const char *file;
    const char *host; /* the checked file's host and role */
    ds_role role;
    bool canonical; /* the checked file's bytes are canonical... */
    ds_blob_id input; /* ...and had this blob id */
    GBytes *old;      /* the stored bytes (owned), NULL for a new host */
    /* out */
    ds_manifest *parsed; /* the file read again (owned; m points to it) */
    GBytes *bytes;       /* canonical bytes */
    ds_blob_id id;       /* their blob id (written unless same) */
    bool have_input;     /* input: the file's bytes' id, not canonical */
    bool verify;         /* the blob written must be input */
    bool contents;       /* the manifest carries file contents */
    bool same;           /* the stored state: nothing to stage */
    GPtrArray *changes;  /* ds_change * from old, NULL for a new host */
    GError *err;
} record_job;

void ds_record_job_clear(record_job *j);

/* Do phase of jobs[0..n-1] in RECORD_THREADS threads, each with its own
 * blob writer on st; a job's failure is its err.  inputs (may be NULL)
 * learns what non-canonical files became. */
int ds_record_prepare(record_job *jobs, guint n, ds_store *st,
                      ds_store_inputs *inputs, record_phase phase,
                      GError **err);
