/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/engine/sync-host.h: private to the sync engine (sync.c, sync-revert.c,
 * sync-batch.c): one host's run and what its parts share. */
#pragma once

#include <stdbool.h>

#include "drivers/libvirt.h"
#include "sync/engine/sync.h"

/* One host's run. */
typedef struct host_run {
    const ds_config *cfg;
    ds_store *st;
    const ds_sync_options *opts;
    const char *run_id;
    const char *head;    /* the store commit the run starts from */
    GMutex *store_mutex; /* serialises reads of st between hosts */
    const ds_host_config *hc;
    ds_sync_result *r;
    ds_lab *lab;
    virDomainPtr dom;
    ds_lock *lock;
    ds_journal *journal;
    char *journal_path;
    char *before_path;
    ds_manifest *before; /* the lab as collected before the run */
    bool pending;        /* synced, to be recorded */
} host_run;

/* A message about the host for the caller (opts->note). */
void ds_sync_host_note(host_run *h, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* The journal's note replaced by a copy of text. */
void ds_sync_host_set_note(ds_journal *j, const char *text);
/* The journal written in `state`. */
int ds_sync_host_journal_save(host_run *h, ds_journal_state state,
                              GError **err);
/* The lab collected (started and its agent waited for when needed). */
int ds_sync_host_collect_lab(ds_manifest **out, host_run *h, GError **err);
/* "a, b, c, and N more": the first `max` changes described. */
char *ds_sync_describe_changes(GPtrArray *changes, guint max);

/* sync-revert.c: a run an earlier one left open reverted and verified;
 * a failed run reverted (or kept) with `reason` (taken). */
int ds_sync_host_recover(host_run *h, GError **err);
void ds_sync_host_fail(host_run *h, char *reason);

/* sync.c: the run of one host; after the store commit, its metadata,
 * retention and journal; its resources freed. */
void ds_sync_host_run(host_run *h);
void ds_sync_host_finish(host_run *h, const char *commit);
void ds_sync_host_clear(host_run *h);
