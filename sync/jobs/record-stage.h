/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/record-stage.h: what `driftsync record` (sync/cli/cmd-record.c)
 * asks of the engine: putting manifests into the store's transaction. */
#pragma once

#include <stdbool.h>

#include "manifests/diff.h"
#include "manifests/store.h"
#include "manifests/util/log.h"

/* What a host's new manifest changes, for the summary. */
typedef struct record_host {
    char *host;
    ds_role role;
    bool is_new;
    bool same; /* the stored state, collected again: not staged */
    guint npackages, nsources, nfiles, nservices;
    GPtrArray *changes; /* ds_change *, NULL for a new host */
} record_host;

/* Compare m with the store's HEAD and stage it unless it is the stored
 * state again; h receives what changed. */
int ds_record_stage_host(record_host *h, ds_store *st, ds_store_txn *txn,
                         const ds_manifest *m, GError **err);

/* --from FILE...: what the files are, checked before the store lock. */
typedef struct record_check record_check;
void ds_record_check_free(record_check *chk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(record_check, ds_record_check_free)

/* Without the store lock: open each file only if it is a regular file,
 * read and validate it, or find it is the bytes HEAD holds (the first bad
 * file in the order given, or two files for one host, is the error; each
 * file checked is a verbose line in log). */
int ds_record_check_files(record_check **out, const ds_log *log,
                          ds_store *st, char **files, int n, GError **err);

/* Under the store lock, in txn: stage the checked files that are not the
 * stored bytes (checked again if HEAD moved meanwhile), one at a time,
 * into hosts[0..n-1]. */
int ds_record_stage_files(const ds_log *log, ds_store *st, ds_store_txn *txn,
                          record_check *chk, record_host *hosts, GError **err);
