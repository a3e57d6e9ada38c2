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

/* Free hosts[0..n-1] and the array. */
void ds_record_hosts_free(record_host *hosts, guint n);

/* Compare each collected manifest (ds_manifest *, valid, normalised)
 * with the store's HEAD and stage it unless it is the stored state again;
 * hosts[i] receives what manifests[i] changed.  The work is done on both
 * cores, a batch at a time. */
int ds_record_stage_hosts(record_host *hosts, ds_store *st, ds_store_txn *txn,
                          GPtrArray *manifests, GError **err);

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
 * stored state (checked again if HEAD moved meanwhile), a batch at a
 * time on both cores, into hosts[0..n-1]; then keep in the store what
 * the non-canonical files became (ds_store_inputs). */
int ds_record_stage_files(const ds_log *log, ds_store *st, ds_store_txn *txn,
                          record_check *chk, record_host *hosts, GError **err);
