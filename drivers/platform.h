/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform.h: what a kind of host looks like (dpkg/apt, rpm): turn
 * command output read through a transport into a manifest. */
#pragma once

#include <glib.h>

#include "drivers/transport.h"
#include "manifests/manifest.h"

typedef struct ds_collect_options {
    const char *host;              /* manifest host name */
    ds_role role;
    const char *const *files;      /* paths to capture (dirs recursively) */
    const char *const *secret_patterns; /* extra globs of secret files */
    const char *const *mode_exempt; /* globs not secret by mode alone */
    GBytes *hmac_key;              /* key for secret files' HMAC */
    gsize max_file_size;           /* content above this is hashed only */
    /* Pending updates: a candidate is a security update when its Release
     * Label or Origin matches one of security_origins, or its Codename or
     * Suite one of security_suites (globs; NULL: "Debian-Security" and
     * "*-security").  refresh_lists runs `apt-get update` first. */
    const char *const *security_origins;
    const char *const *security_suites;
    bool refresh_lists;
    /* Only what the pending updates need, in one round trip: the
     * installed packages, holds, apt's candidates and origins, the lists'
     * age (`driftsync patches`).  The manifest then has no files,
     * conffile checksums, kernel, os, sources, services nor automatic
     * marks: it is for reading pending updates, never for the store. */
    bool pending_only;
} ds_collect_options;

typedef struct ds_platform_ops {
    const char *name; /* "dpkg" */
    /* Whether the host is of this kind (probe through the transport). */
    int (*detect)(ds_transport *t, GError **err); /* 0 yes, DS_ENOTFOUND no */
    int (*collect)(ds_manifest **out, ds_transport *t,
                   const ds_collect_options *opts, GError **err);
} ds_platform_ops;

const ds_platform_ops *ds_platform_find(const char *name);

/* Collect a host: detect its platform and collect the manifest. */
int ds_platform_collect(ds_manifest **out, ds_transport *t,
                        const ds_collect_options *opts, GError **err);

/* Read or create the HMAC key file (0600, 32 random bytes). */
int ds_hmac_key_load(GBytes **out, const char *path, GError **err);
