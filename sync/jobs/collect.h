/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/collect.h: collect many hosts at once (transport + platform, or a
 * manifest fetched over https), each failure kept with its host. */
#pragma once

#include <glib.h>

#include "drivers/transport.h"
#include "manifests/manifest.h"
#include "sync/config/config-file.h"

typedef struct ds_collect_result {
    char *host;
    ds_manifest *manifest; /* NULL when the host failed */
    GError *error;         /* why it failed, naming the host */
    double seconds;        /* wall time of this host's collection */
} ds_collect_result;

void ds_collect_result_free(ds_collect_result *r);

/* Called from worker threads, serialised by the engine: a host started
 * (r == NULL) or finished (r set).  done/total count finished hosts. */
typedef void (*ds_collect_progress_fn)(const char *host,
                                       const ds_collect_result *r,
                                       guint done, guint total,
                                       void *payload);

/* Collect the given hosts (all configured hosts when hosts is NULL or
 * empty) as `role`, at most `parallel` at a time.  *out receives one
 * ds_collect_result per host, in the order asked.  Returns an error only
 * for problems before any host is tried (unknown host name, HMAC key). */
int ds_collect_hosts(GPtrArray **out, const ds_config *cfg,
                     const char *const *hosts, ds_role role, int parallel,
                     ds_collect_progress_fn progress, void *payload,
                     GError **err);

/* The same for production hosts, but only what their pending updates
 * need (ds_collect_options.pending_only: installed packages, holds, apt's
 * candidates, the lists' age) in one round trip per host; a host whose
 * source is an https manifest is fetched whole.  For `patches`: such a
 * manifest is never stored. */
int ds_collect_hosts_pending(GPtrArray **out, const ds_config *cfg,
                             const char *const *hosts, int parallel,
                             GError **err);

/* Collect one host described by a source URI (used by record --local and
 * by sync for lab VMs). */
int ds_collect_one(ds_manifest **out, const ds_config *cfg,
                   const ds_host_config *host, const char *source_uri,
                   ds_role role, GError **err);

/* This machine's short host name, validated. */
int ds_collect_local_hostname(char **out, GError **err);

/* The transport options for host h (NULL: defaults) named name, reached
 * in its role: its ssh identity, known hosts and become, CA and auth
 * files, libvirt URI (the lab's lab-uri for the lab; [lab] uri for an
 * agent: prod source, which lab-uri does not move); the one place a
 * host's keys become transport options. */
void ds_collect_transport_options(ds_transport_options *o, const ds_config *cfg,
                                  const ds_host_config *h, const char *name,
                                  ds_role role);
