/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/audit-run.h: one `driftsync audit` run: which hosts, their
 * manifests (collected live or read from the store), each host's
 * findings, and the run's document kept in STATE/audit/latest.json. */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>

#include "manifests/store.h"
#include "manifests/util/log.h"
#include "sync/config/config-file.h"
#include "sync/jobs/audit.h"

typedef struct ds_audit_host {
    const ds_host_config *hc;
    bool audited;          /* reported (not only a --like reference) */
    ds_manifest *manifest; /* NULL when it could not be read */
    GError *error;         /* why it could not be audited, naming it */
    GPtrArray *findings;   /* ds_audit_finding * */
} ds_audit_host;

typedef struct ds_audit_run {
    const ds_config *cfg;
    ds_role role;
    bool stored;      /* the store's manifests, not live hosts */
    ds_store *st;     /* borrowed: for --stored and prod drift, or NULL */
    GPtrArray *hosts; /* ds_audit_host *, audited ones first, in order */
    ds_log log;       /* what was not checked, and why */
    /* Read from the store once for all hosts, when the first host needs
     * them (audit-run.c, history_read): */
    bool history_read;
    GHashTable *synced; /* host -> commit of its lab's last record */
    GPtrArray *patches; /* ds_patch_event * of hosts with security
                         * updates pending, or NULL */
    GError *synced_err, *patches_err; /* why either could not be read */
} ds_audit_run;

ds_audit_run *ds_audit_run_new(const ds_config *cfg, ds_role role, bool stored);
void ds_audit_run_free(ds_audit_run *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_audit_run, ds_audit_run_free)

/* Which hosts are audited (the names given, else all; labs only with
 * role lab), and which only give `like` (a group, or NULL) its reference.
 * DS_ENOTFOUND / DS_EINVALID naming the host or the group. */
int ds_audit_run_choose(ds_audit_run *r, char **names, int n, const char *like,
                        GError **err);
/* Whether the run reads the store: --stored, or prod hosts with a lab
 * (their drift since the last sync). */
bool ds_audit_run_needs_store(const ds_audit_run *r);
/* Every host's manifest, collected live in parallel or read from the
 * store's HEAD; a host that fails keeps its error. */
int ds_audit_run_read(ds_audit_run *r, GError **err);
/* The newest versions among the hosts of group `like` that were read,
 * those of rpm hosts (rpm true) or of dpkg hosts. */
ds_audit_expect *ds_audit_run_newest(const ds_audit_run *r, const char *like,
                                     bool rpm);
/* Audit one host read: expected versions (expect may be NULL), kernel,
 * and when live the reboot flag and processes, for prod with a lab its
 * drift.  A failure goes to h->error. */
void ds_audit_run_host(ds_audit_run *r, ds_audit_host *h,
                       const ds_audit_expect *expect);

/* The run's document (schema DS_AUDIT_SCHEMA; new reference). */
json_t *ds_audit_run_json(const ds_audit_run *r, const char *run_id,
                          const char *generated);
/* Keep doc as STATE/audit/latest.json, whole or not at all. */
int ds_audit_run_save(const ds_audit_run *r, json_t *doc, GError **err);
