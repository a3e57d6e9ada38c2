/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/mirror.h: the nightly job behind `driftsync mirror`: record every
 * prod host, sync the lab VMs that drifted (several at a time) and keep a
 * JSON report of the run in the state directory. */
#pragma once

#include <glib.h>
#include <signal.h>
#include <stdbool.h>

#include "manifests/ignore.h"
#include "manifests/store.h"
#include "sync/jobs/collect.h"
#include "sync/config/config-file.h"
#include "sync/engine/sync.h"

#define DS_MIRROR_FORMAT "driftsync/mirror/v1"

typedef enum {
    DS_MIRROR_SYNCED = 0, /* drifted, synced and recorded */
    DS_MIRROR_IN_SYNC,    /* matched prod: not touched */
    DS_MIRROR_PLANNED,    /* --dry-run: would be synced */
    DS_MIRROR_REVERTED,   /* the sync failed, the lab was reverted */
    DS_MIRROR_KEPT,       /* the sync failed, the lab was kept */
    DS_MIRROR_FAILED,     /* not synced (error, lock, revert failed) */
    DS_MIRROR_SKIPPED,    /* no lab, or its prod host was not recorded */
    DS_MIRROR_STATUS_COUNT
} ds_mirror_status;

/* "synced", "in_sync", "planned", "reverted", "kept", "failed",
 * "skipped". */
const char *ds_mirror_status_name(ds_mirror_status s);

/* One configured host, as far as its lab goes. */
typedef struct ds_mirror_lab {
    char *host;
    char *domain;   /* the lab domain, or NULL */
    char *uri;      /* its libvirt URI ([lab] uri or lab-uri), or NULL */
    ds_mirror_status status;
    char *reason;   /* why it failed or was skipped (no "HOST: "), or NULL */
    char *snapshot; /* a snapshot left for this run (kept labs), or NULL */
    double seconds; /* wall time of its sync (0 when not synced) */
    guint changes;  /* prod vs the stored lab, after ignore rules */
    guint drift[DS_CAT_COUNT]; /* those changes per category */
    guint steps;    /* steps applied; planned ones with --dry-run */
    guint plan_steps; /* steps in its plan, when one was made */
    ds_step_failure *failure; /* the failed step (a copy), or NULL */
} ds_mirror_lab;

/* One libvirt daemon (one lab URI) of the sync phase: its labs are
 * synced by workers of its own through one connection opened for them. */
typedef struct ds_mirror_daemon {
    char *uri;
    guint labs;        /* labs to sync on it */
    guint connections; /* libvirt connections opened to it while its labs
                          were synced (1, or more after reconnects) */
    char *error;       /* why it could not be reached (its labs failed, not
                          touched), or NULL */
    double seconds;    /* wall time of its labs' syncs */
} ds_mirror_daemon;

typedef struct ds_mirror_record_failure {
    char *host;
    char *reason;
} ds_mirror_record_failure;

typedef struct ds_mirror_report {
    char *run_id;
    char *started;  /* RFC 3339 UTC */
    char *finished;
    double seconds;
    int parallel;   /* labs at a time on each libvirt daemon */
    bool dry_run;
    GPtrArray *groups;        /* char *: the groups the run was limited to */
    GPtrArray *named;         /* char *: the hosts it was limited to */
    GPtrArray *recorded;      /* char *: hosts collected */
    char *record_commit;      /* NULL: nothing changed (or --dry-run) */
    GPtrArray *record_failed; /* ds_mirror_record_failure * */
    char *sync_commit;        /* the labs' commit, or NULL */
    guint cached;             /* package files in the [packages] cache */
    GPtrArray *cache_warnings; /* char *: versions that could not be cached */
    GPtrArray *labs;          /* ds_mirror_lab *, in configuration order */
    GPtrArray *daemons;       /* ds_mirror_daemon *: those the sync phase
                               * used, in the order of their first lab */
    GPtrArray *patches;       /* ds_patch_event *: the store's patch
                               * history after the run (set by the caller),
                               * or NULL */
    gint64 patches_now, patches_sla; /* when it was read; [patches] SLA */
    struct json_t *notify;    /* the webhook's outcome (set by the caller
                                 after notifying; freed with the report),
                                 or NULL */
} ds_mirror_report;

/* An empty report whose arrays (recorded, record_failed, labs) own their
 * elements, as ds_mirror_run fills it. */
ds_mirror_report *ds_mirror_report_new(void);
void ds_mirror_report_free(ds_mirror_report *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_mirror_report, ds_mirror_report_free)

/* A lab's line is ready (serialised: never called from two threads at
 * once).  A lab may be reported again when the store commit changed its
 * fate. */
typedef void (*ds_mirror_lab_fn)(const ds_mirror_lab *lab, void *payload);

typedef struct ds_mirror_options {
    /* The hosts covered: those named and those of the groups named
     * (ds_config_choose_hosts); both NULL or empty: every host. */
    const char *const *hosts;
    const char *const *groups;
    bool dry_run;         /* collect and plan; commit and touch nothing */
    bool keep_on_failure; /* as sync --keep-on-failure */
    int parallel;         /* labs at a time per libvirt daemon; <= 0:
                           * [lab] parallel */
    const char *run_id;   /* the run's id, or NULL: a new one */
    volatile sig_atomic_t *cancel; /* set by a signal handler */
    ds_collect_progress_fn record_progress;
    ds_sync_note_fn note; /* the engine's progress lines */
    ds_mirror_lab_fn lab_done;
    void *payload;
} ds_mirror_options;

/* Run the job over the hosts opts chooses.  Fails only when nothing
 * could be tried (no hosts, an unknown host or group, the store cannot be
 * read or written); every host's and lab's failure is in the report
 * instead. */
int ds_mirror_run(ds_mirror_report **out, const ds_config *cfg, ds_store *st,
                  const ds_mirror_options *opts, GError **err);

/* 0 every lab matches its prod host; 1 some lab failed (or, with
 * --dry-run, would be synced) or some host was not recorded; 2 nothing
 * could be recorded. */
int ds_mirror_exit_code(const ds_mirror_report *r);

/* How many labs have the status. */
guint ds_mirror_count(const ds_mirror_report *r, ds_mirror_status s);
/* How many labs did not end equal to prod: failed, reverted or kept. */
guint ds_mirror_count_failed(const ds_mirror_report *r);

/* The report (schema DS_MIRROR_FORMAT) as a new JSON reference. */
struct json_t *ds_mirror_report_json(const ds_mirror_report *r);

/* The report as indented JSON text with a final newline (g_free). */
char *ds_mirror_report_dumps(const ds_mirror_report *r);

/* Write it atomically to STATE/reports/mirror-RUN.json and again to
 * STATE/reports/latest.json; *path receives the first. */
int ds_mirror_report_write(char **path, const ds_mirror_report *r,
                           const char *state_dir, GError **err);
