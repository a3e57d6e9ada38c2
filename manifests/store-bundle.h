/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store-bundle.h: tested patch bundles and trial records kept in
 * the git store: bundles/NAME.json (trials that passed) and
 * trials/HOST/RUN.json (every trial of a pending set, passed or not). */
#pragma once

#include <glib.h>

#include "manifests/bundle.h"
#include "manifests/store.h"

/* Commit b in one commit: trials/HOST/RUN.json always (b->run must be
 * set), bundles/NAME.json too when b->passed.  A passing bundle may not
 * replace another of that name (DS_ECONFLICT) unless `replace`.  *out_oid
 * (may be NULL) receives the commit id.  Takes the writer lock. */
int ds_store_bundle_save(char **out_oid, ds_store *st, const ds_bundle *b,
                         bool replace, GError **err);

/* The bundle NAME at rev (NULL = HEAD); DS_ENOTFOUND when absent. */
int ds_store_bundle_read(ds_bundle **out, ds_store *st, const char *rev,
                         const char *name, GError **err);

/* Every stored bundle (trials = false) or trial record (trials = true) at
 * rev (NULL = HEAD), as ds_bundle *, sorted by tested_at then name; an
 * empty array when the store has none.  A document that does not parse
 * is an error naming it. */
int ds_store_bundle_list(GPtrArray **out, ds_store *st, const char *rev,
                         bool trials, GError **err);
