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
