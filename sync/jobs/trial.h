/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/trial.h: a trial run on a lab VM: the change checked and the
 * lab opened (sync/jobs/trial.c), the run behind a snapshot
 * (sync/jobs/trial-run.c), the result as a document (trial.c); the
 * `trial` verb (sync/cli/cmd-trial.c) parses and renders. */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <libvirt/libvirt.h>
#include <stdbool.h>

#include "drivers/libvirt.h"
#include "drivers/transport.h"
#include "snapshots/snapshot.h"
#include "manifests/util/log.h"
#include "sync/config/config-file.h"
#include "sync/engine/sync.h"

/* One thing done in the guest: the install transaction, a --run command
 * or a --check. */
typedef struct ds_trial_step {
    char *what;    /* "install" | "run" | "check" */
    char *command; /* as shown: the admin's CMD, or the argv joined */
    char **argv;   /* what runs in the guest */
    int status;    /* exit status; -1: not run (skipped or cut short) */
    char *out, *err;
    double seconds;
} ds_trial_step;

/* A local package file to copy into the guest. */
typedef struct ds_trial_deb {
    char *path;  /* as given */
    char *guest; /* where it goes in the guest */
    GBytes *data;
} ds_trial_deb;

/* What the caller asks for. */
typedef struct ds_trial_options {
    const char *host;
    char **installs; /* PKG=VERSION, NULL-terminated, or NULL */
    char **debs;     /* package files to copy and install, or NULL */
    bool keep;       /* keep the lab as the trial left it */
    int timeout_s;   /* per command in the guest; 0: the default */
} ds_trial_options;

typedef struct ds_trial {
    ds_log log; /* progress: the snapshot, each step, the revert */
    const ds_config *cfg;
    const ds_host_config *hc;
    const char *host;
    char *run_id;
    char *uri;
    char *source; /* agent:DOMAIN */
    ds_lab *lab;
    virDomainPtr dom;
    int timeout_ms;         /* per command in the guest */
    bool keep;
    GPtrArray *installs;    /* char * PKG=VERSION */
    GPtrArray *debs;        /* ds_trial_deb * */
    GPtrArray *steps;       /* ds_trial_step *: install, runs, checks */
    char *snapshot;         /* NULL until taken */
    ds_snapshot_mode mode;
    char *mode_why;
    gint64 started, finished; /* real time, microseconds */
    bool change_ok;         /* the change steps all exited 0 */
    bool passed;            /* change_ok and every check exited 0 */
    bool reverted, verified, kept, deleted;
    bool interrupted;       /* a signal ended it */
    bool lost;              /* the guest stopped answering or running */
    char *lost_why;
    char *error;            /* what went wrong (exit 2), or NULL */
    GPtrArray *residue;     /* ds_change * left after the revert */
    int signals_seen;       /* signals already acted upon */
    bool leak;              /* abandoned work may still use cfg/lab */
    /* --pending: the lab must match this prod manifest before the
     * snapshot (NULL: no such condition); the differences found. */
    const struct ds_manifest *must_match;
    GPtrArray *drift;       /* ds_change *, or NULL */
    /* --pending with [packages] cache: the lab's apt downloads the
     * installs first; when it cannot, they come from the package cache
     * (sync/jobs/trial-cache.c) as these package files (ds_trial_deb *,
     * path: the cache's file), installed instead of the PKG=VERSION
     * requests.  NULL: the lab's own sources served them. */
    bool cache_fallback;
    GPtrArray *cached;
} ds_trial;

void ds_trial_step_free(ds_trial_step *s);
void ds_trial_deb_free(ds_trial_deb *d);

/* Snapshot, copy and install, run, check, revert (unless kept), verify,
 * delete the snapshot.  Returns 0 when the trial ran to its end (passed
 * or not: see tr->passed) and the lab is as before (or kept), a negative
 * DS_E* with tr->error set otherwise. */
int ds_trial_run(ds_trial *tr, char **runs, char **checks);

/* Set tr up from opts (zeroed before): a new run id, the package
 * requests checked, the package files read.  DS_EINVALID naming the host
 * and the bad request or file. */
int ds_trial_prepare(ds_trial *tr, const ds_trial_options *opts,
                     GError **err);
/* Find tr->host in cfg and open its lab domain: DS_ENOTFOUND (no such
 * host), DS_EINVALID (no lab), DS_EUNSUPPORTED (lab-access other than
 * the agent), or the lab's error, each naming the host. */
int ds_trial_open_lab(ds_trial *tr, const ds_config *cfg, GError **err);
/* What ds_trial_prepare, ds_trial_open_lab and ds_trial_run gave tr. */
void ds_trial_clear(ds_trial *tr);

/* The trial's record (schema driftsync/trial/v1; new reference): the
 * change, every step with its output, what became of the lab. */
json_t *ds_trial_to_json(const ds_trial *tr, char **runs, char **checks);
/* Keep doc as [store] state/trials/RUN.json, written whole or not at
 * all; *path receives the file's name. */
int ds_trial_save(char **path, const ds_trial *tr, json_t *doc, GError **err);

/* "`driftsync snapshot revert HOST SNAPSHOT`" advice, for messages. */
char *ds_trial_revert_advice(const ds_trial *tr);

/* The installs (PKG=VERSION, at prod's architecture in tr->must_match) as
 * package files from the [packages] cache, filled first from [packages]
 * repository and then from prod's apt cache (read through tr->hc's
 * source), each file's digest checked; bound for the trial's directory
 * in the guest.  DS_ENOTFOUND naming every version that could not be
 * had, and where it was looked for. */
int ds_trial_cache_debs(GPtrArray **out, ds_trial *tr, GError **err);

/* ---- trial --pending (sync/jobs/trial-pending.c) ---- */

struct ds_store;
typedef struct ds_trial_pending {
    struct ds_store *st;      /* the store (owned) */
    bool security;            /* --security: the security updates only */
    char *bundle;             /* the bundle's name */
    struct ds_manifest *prod; /* prod's manifest at prod_revision */
    char *prod_revision;      /* the store's HEAD when the trial began */
} ds_trial_pending;

void ds_trial_pending_clear(ds_trial_pending *p);
/* "HOST-20261202T101500Z": the bundle name when --bundle is not given. */
char *ds_trial_pending_default_name(const char *host, const char *run_id);
/* Read prod's manifest at HEAD (DS_ENOTFOUND when never recorded), refuse
 * a bundle name already taken (DS_ECONFLICT), and append prod's pending
 * candidate versions (security ones only with p->security) to installs
 * as PKG=VERSION. */
int ds_trial_pending_prepare(ds_trial_pending *p, GPtrArray *installs,
                             const char *host, GError **err);
/* prod's pending set as PKG=VERSION strings appended to installs. */
int ds_trial_pending_set(GPtrArray *installs, const struct ds_manifest *prod,
                         bool security);
/* --sync-first: `driftsync sync HOST`; an error unless the lab ends in
 * sync with prod. */
int ds_trial_pending_sync_first(ds_trial_pending *p, ds_sync_note_fn note,
                                void *payload, const ds_config *cfg,
                                const char *host, GError **err);
/* Commit the trial's record (and its bundle when it passed) in the
 * store; *stored_bundle says whether a bundle was written. */
int ds_trial_pending_record(char **out_oid, bool *stored_bundle,
                            const ds_trial_pending *p, const ds_trial *tr,
                            GError **err);
