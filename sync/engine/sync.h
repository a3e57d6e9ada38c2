/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/engine/sync.h: bring lab VMs to their prod manifests behind a snapshot
 * (the engine of `driftsync sync` and `mirror`): the per-lab lock, the
 * run journal that lets the next run find an interrupted one, applying a
 * plan through a transport, and the run itself. */
#pragma once

#include <glib.h>
#include <signal.h>
#include <sys/types.h>
#include <stdbool.h>

#include "drivers/transport.h"
#include "manifests/manifest.h"
#include "manifests/store.h"
#include "manifests/util/lock.h"
#include "sync/config/config-file.h"
#include "sync/plan/plan.h"

/* ---- the per-lab lock (sync/engine/journal.c) ---- */

/* Take STATE/lock/DOMAIN.lock (the base layer's lock, never waits):
 * DS_ECONFLICT naming the holder's pid when another run works on the lab.
 * Released with ds_lock_release. */
int ds_sync_lock_take(ds_lock **out, const char *state_dir,
                      const char *domain, GError **err);

/* ---- the journal (sync/engine/journal.c) ---- */

/* A run's state as the journal records it.  OPEN states mean a run was
 * working on the lab; found by a later run (which holds the lock), they
 * mean the run was interrupted. */
typedef enum {
    DS_JOURNAL_STARTED = 0, /* open: snapshot being taken */
    DS_JOURNAL_APPLYING,    /* open: the snapshot exists, steps run */
    DS_JOURNAL_VERIFYING,   /* open: collecting the lab again */
    DS_JOURNAL_RECORDING,   /* open: verified, store commit pending */
    DS_JOURNAL_REVERTING,   /* open: failure, revert under way */
    DS_JOURNAL_FINISHED,    /* closed: synced and recorded */
    DS_JOURNAL_REVERTED,    /* closed: failed, lab reverted */
    DS_JOURNAL_KEPT,        /* closed: failed, lab kept (keep-on-failure) */
    DS_JOURNAL_RECOVERED,   /* closed: interrupted, reverted by a later run */
    DS_JOURNAL_STATE_COUNT
} ds_journal_state;

typedef struct ds_journal_step {
    guint index;       /* 1-based step of the plan */
    char *kind;        /* ds_action_kind_name */
    char *description;
    char *started;     /* RFC 3339 UTC */
    char *finished;    /* NULL while running */
    int status;        /* exit status; -1 not finished or no command */
} ds_journal_step;

typedef struct ds_journal {
    char *run_id;
    char *host;
    char *domain;
    char *uri;      /* libvirt URI of the lab */
    char *snapshot; /* driftsync-RUN */
    ds_journal_state state;
    char *note;     /* why it ended (failure reason, recovery), or NULL */
    long pid;       /* the process that wrote it */
    char *started;
    char *updated;
    guint total;    /* steps in the plan */
    GPtrArray *steps; /* ds_journal_step * */
} ds_journal;

ds_journal *ds_journal_new(const char *run_id, const char *host,
                           const char *domain, const char *uri,
                           const char *snapshot);
void ds_journal_free(ds_journal *j);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_journal, ds_journal_free)

const char *ds_journal_state_name(ds_journal_state state);
/* A run was still working on the lab when this was written. */
bool ds_journal_is_open(const ds_journal *j);

/* STATE/journal/HOST.json (host validated by the caller). */
char *ds_journal_path(const char *state_dir, const char *host);
/* The lab manifest before the run, kept next to the journal
 * (STATE/journal/HOST.before.json) to verify a later revert. */
char *ds_journal_before_path(const char *state_dir, const char *host);

/* Write the journal atomically (temporary file, fsync, rename, fsync of
 * the directory), creating the directory.  Sets j->updated and j->pid. */
int ds_journal_write(const char *path, ds_journal *j, GError **err);
/* Read a journal; DS_ENOTFOUND when there is none, DS_EINVALID (naming
 * the file) when it is not one. */
int ds_journal_read(ds_journal **out, const char *path, GError **err);

/* Record the start / end of step index (1-based) in memory. */
void ds_journal_step_begin(ds_journal *j, guint index, const char *kind,
                           const char *description);
void ds_journal_step_end(ds_journal *j, int status);

/* ---- applying a plan (sync/engine/apply.c) ---- */

/* What went wrong in a step. */
typedef struct ds_step_failure {
    guint index;       /* 1-based */
    char *description; /* the action's */
    char *command;     /* the failing command, shell-quoted for display */
    int status;        /* its exit status; -1 when it did not run */
    char *output;      /* the last lines of its output (stdout, stderr) */
} ds_step_failure;

void ds_step_failure_free(ds_step_failure *f);

/* Apply one action (index 1-based, for messages) through the transport.
 * A command exiting non-zero fills *failure and returns DS_EGENERIC; a
 * transport error returns its code (failure->status -1).  The action's
 * names are validated again first.  REBOOT goes through reboot_fn. */
typedef int (*ds_reboot_fn)(void *payload, GError **err);
int ds_sync_apply_action(ds_step_failure **failure, ds_transport *t,
                         const ds_action *a, guint index,
                         ds_reboot_fn reboot_fn, void *payload,
                         GError **err);

/* The last n lines of a command's stdout and stderr, as valid text. */
char *ds_sync_output_tail(GBytes *out, GBytes *err, guint n);

/* ---- the run (sync/engine/sync.c) ---- */

typedef enum {
    DS_SYNC_SYNCED = 0, /* applied, verified, recorded */
    DS_SYNC_IN_SYNC,    /* nothing to do */
    DS_SYNC_PLANNED,    /* --dry-run: the plan only */
    DS_SYNC_REVERTED,   /* failed, lab reverted and verified */
    DS_SYNC_KEPT,       /* failed, lab left as it is */
    DS_SYNC_FAILED,     /* error: not started, or the revert failed */
} ds_sync_status;

const char *ds_sync_status_name(ds_sync_status s);

/* Progress for people (one line: "web01: snapshot driftsync-..."). */
typedef void (*ds_sync_note_fn)(const char *host, const char *message,
                                void *payload);

typedef struct ds_sync_options {
    bool dry_run;         /* plan only, touch nothing */
    bool keep_on_failure; /* or [lab] on-failure = keep */
    const char *run_id;   /* NULL: a new one */
    ds_sync_note_fn note;
    void *payload;
    /* Set (by a signal handler) to stop at the next step: the lab is
     * reverted and the run ends. */
    volatile sig_atomic_t *cancel;
    int agent_timeout_ms;   /* waiting for the guest agent (default 180 s) */
    int command_timeout_ms; /* per command (default 30 min) */
    int reboot_timeout_ms;  /* default 10 min */
} ds_sync_options;

typedef struct ds_sync_result {
    char *host;
    char *domain;
    char *snapshot;       /* taken for this run, or NULL */
    ds_sync_status status;
    char *reason;         /* why it failed / was reverted, or NULL */
    ds_step_failure *failure; /* the failed step, or NULL */
    GPtrArray *residue;   /* ds_change *: drift left after applying */
    bool revert_verified;
    char *recovered_run;  /* an interrupted run found and reverted */
    char *recovered_snapshot;
    guint steps_done;
    ds_plan *plan;
    ds_manifest *lab_after; /* recorded on success */
    GPtrArray *pruned;    /* snapshot names deleted by retention */
    GArray *step_seconds; /* double: wall time of each step applied */
} ds_sync_result;

void ds_sync_result_free(ds_sync_result *r);

/* Sync the given hosts one after the other (one store commit, verb
 * "sync", for all the labs that synced).  *out: one ds_sync_result per
 * host in the order given; *commit: the new commit, or NULL when none was
 * made.  Returns an error only when nothing could be tried (store). */
int ds_sync_run(GPtrArray **out, char **commit, const ds_config *cfg,
                ds_store *st, const char *const *hosts,
                const ds_sync_options *opts, GError **err);

/* ---- the same run in parts, for callers that sync labs in parallel
 * (`driftsync mirror`) ---- */

typedef struct ds_sync_batch ds_sync_batch;

/* Prepare the run of the given hosts (the store's HEAD is the commit every
 * host is synced to).  Error only when the store cannot be read. */
int ds_sync_batch_new(ds_sync_batch **out, const ds_config *cfg,
                      ds_store *st, const char *const *hosts,
                      const ds_sync_options *opts, GError **err);
guint ds_sync_batch_size(const ds_sync_batch *b);
const char *ds_sync_batch_run_id(const ds_sync_batch *b);
/* Sync host i (0-based, in the order given) up to the store commit: the
 * result says synced (commit pending), in-sync, reverted, kept or failed.
 * Different hosts may run at the same time in different threads (the
 * batch serialises its reads of the store; opts->note is then called
 * from those threads).  The result belongs to the batch. */
const ds_sync_result *ds_sync_batch_run_host(ds_sync_batch *b, guint i);
/* Host i is not run: its result says failed, "HOST: reason", and the lab
 * is not touched (for a caller that found the lab's daemon unreachable).
 * Instead of ds_sync_batch_run_host, not after it. */
void ds_sync_batch_fail_host(ds_sync_batch *b, guint i, const char *reason);
/* After every host: the one store commit (verb "sync") for the labs that
 * synced (on failure they are reverted like failed runs), then each lab's
 * domain metadata, snapshot retention and journal.  *out: the results in
 * order; *commit as for ds_sync_run.  The batch is spent: free it. */
int ds_sync_batch_finish(GPtrArray **out, char **commit, ds_sync_batch *b,
                         GError **err);
void ds_sync_batch_free(ds_sync_batch *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_sync_batch, ds_sync_batch_free)
