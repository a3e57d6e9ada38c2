/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/drift.h: how each host's lab differs from its production
 * manifest at one revision of the store, for many hosts at once on a few
 * threads, in order: what `diff` prints and the report shows. */
#pragma once

#include <glib.h>

#include "manifests/content-diff.h"
#include "manifests/ignore.h"
#include "manifests/store.h"

typedef enum {
    DS_DRIFT_SAME,    /* the lab matches prod */
    DS_DRIFT_DIFFERS, /* `changes` says how */
    DS_DRIFT_NO_LAB,  /* only a prod manifest */
    DS_DRIFT_NO_PROD, /* only a lab manifest */
    DS_DRIFT_ERROR,   /* `error` says why (DS_ENOTFOUND: neither side) */
} ds_drift_status;

/* One host's drift. */
typedef struct ds_drift {
    const char *host;      /* borrowed from the caller's array */
    ds_drift_status status;
    GPtrArray *changes;    /* ds_change *, the lab -> prod: SAME (empty)
                            * and DIFFERS only, else NULL */
    GHashTable *patches;   /* with content diffs asked for: ds_change * ->
                            * ds_content_diff *, else NULL */
    GError *error;         /* DS_DRIFT_ERROR only */
} ds_drift;

typedef struct ds_drift_options {
    const ds_ignore *ignore;
    /* The content diffs of changed files, or NULL for none. */
    const ds_content_diff_options *content;
    /* A content diff that cannot be made: the host's error (true), or
     * left out while its changes are still given (false). */
    bool content_required;
} ds_drift_options;

/* Called with each host's drift, on the calling thread, in the order of
 * hosts; r and what it holds are freed when fn returns. */
typedef void (*ds_drift_fn)(const ds_drift *r, void *data);

/* The drift of hosts[0 .. n) at the commit `oid` (a full id), computed on
 * up to two threads, each with its own handle on the store at st's path
 * (st itself is not used by them), a few dozen rows ahead of fn, which is
 * called for each in order as it is ready.  An identical pair (the same
 * bytes but for the role) is not parsed. */
void ds_drift_each(ds_store *st, const char *oid, char *const *hosts, guint n,
                   const ds_drift_options *opts, ds_drift_fn fn, void *data);

/* "same", "drift", "no-lab", "no-prod", "error": the status
 * names of `diff --json` and the report. */
const char *ds_drift_status_name(ds_drift_status s);
