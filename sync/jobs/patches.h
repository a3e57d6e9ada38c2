/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/patches.h: what is pending for each production host (apt's
 * or dnf's candidates newer than the installed versions, from the host's
 * own lists or metadata), security first, with since when each has been pending (the
 * store's history), the held-back ones, and the age of the lists. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "manifests/manifest.h"
#include "manifests/store.h"
#include "sync/config/config-file.h"

typedef struct ds_patch {
    char *name;
    char *installed; /* the installed version, or NULL */
    char *version;   /* the candidate */
    char *origin, *suite;
    bool security;
    /* rpm hosts: the security advisories the candidate fixes (char *,
     * or NULL) and their highest severity (or NULL) */
    GPtrArray *advisories;
    char *severity;
    gint64 since; /* pending since (seconds since the epoch) */
} ds_patch;

typedef struct ds_patches_host {
    char *host;
    GError *error;          /* the host could not be read or collected */
    char *collected_at;     /* of the manifest read */
    char *lists_updated_at; /* NULL: unknown */
    gint64 lists_age;       /* seconds, -1 when unknown */
    bool lists_stale;       /* older than [patches] max-list-age */
    bool known;             /* the manifest has pending updates at all */
    GPtrArray *pending;     /* ds_patch *: security first (the most
                             * severe first), then by name */
    GPtrArray *held_back;   /* ds_patch *, by name */
} ds_patches_host;

void ds_patches_host_free(ds_patches_host *h);

typedef struct ds_patches_options {
    bool security_only; /* only security updates (pending and held back) */
    bool stored;        /* the store's HEAD instead of collecting */
    gint64 now;         /* seconds since the epoch (0: the clock) */
} ds_patches_options;

/* One host from its manifest; st (may be NULL) gives the ages. */
int ds_patches_host_build(ds_patches_host **out, const ds_manifest *m,
                          ds_store *st, const ds_config *cfg,
                          const ds_patches_options *opts, GError **err);

/* The hosts named (all configured ones, or with opts->stored all the
 * store's prod hosts, when none is named), each collected live or read
 * from the store.  A host that fails is kept with its error; an error is
 * returned only for a wrong request (an unknown host). */
int ds_patches_run(GPtrArray **out, const ds_config *cfg, ds_store *st,
                   const char *const *hosts, const ds_patches_options *opts,
                   GError **err);

/* 2 when a host failed or has no pending data, else 1 when something is
 * pending, else 0. */
int ds_patches_exit(GPtrArray *hosts);

/* {"hosts": [...], "summary": {...}} (new reference). */
struct json_t;
struct json_t *ds_patches_to_json(GPtrArray *hosts, gint64 now);
