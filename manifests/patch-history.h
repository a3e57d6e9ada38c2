/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/patch-history.h: each patch's way through the patch cycle,
 * read from the store's history: when it became pending on a prod host,
 * when a bundle holding it was tested, when prod installed it, when the
 * host's lab got it.  Used for the age of pending patches (audit's
 * `overdue`), the report's latency figures and the metrics. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "manifests/store.h"

typedef struct ds_patch_event {
    char *host;
    char *name;          /* the package */
    char *version;       /* the newest candidate seen while pending */
    bool security;       /* any of those candidates was a security one */
    gint64 pending_since; /* commit time of the first prod manifest that
                           * listed it pending (seconds since the epoch) */
    gint64 tested;       /* tested_at of the first passing bundle of the
                          * host holding name >= version, or 0 */
    char *bundle;        /* that bundle's name, or NULL */
    gint64 installed;    /* first prod manifest with name >= version, or 0
                          * (still pending, or dropped) */
    gint64 lab;          /* first lab manifest with name >= version, or 0 */
    bool dropped;        /* no longer pending but not installed either */
} ds_patch_event;

void ds_patch_event_free(ds_patch_event *e);

/* The events of every host with a prod manifest at HEAD (or of `host`
 * alone), oldest first per host, from one walk over the history for all
 * of them.  At most `limit` prod commits per host are read (0: all). */
int ds_patch_history(GPtrArray **out, ds_store *st, const char *host,
                     guint limit, GError **err);

/* The events of the n hosts named, in that order, oldest first per
 * host, read in one walk over the history for all of them (as
 * ds_patch_history gives them for each host alone). */
int ds_patch_history_hosts(GPtrArray **out, ds_store *st,
                           const char *const *hosts, guint n, guint limit,
                           GError **err);

/* The open event (still pending) of host and package in events, or NULL. */
const ds_patch_event *ds_patch_history_find(const GPtrArray *events,
                                            const char *host,
                                            const char *name);

/* Time from pending to installed on prod, for the events installed in
 * [from, to]: *n of them, their median and worst (seconds). */
void ds_patch_history_latency(const GPtrArray *events, gint64 from, gint64 to,
                              guint *n, gint64 *median, gint64 *worst);

/* What is pending on host now, from its open events. */
typedef struct ds_patch_summary {
    guint security, other; /* pending updates of each kind */
    guint overdue;         /* security ones pending longer than the SLA */
    gint64 oldest;         /* age of the oldest pending one (s), 0: none */
    gint64 oldest_security; /* the same for the security ones */
} ds_patch_summary;

void ds_patch_history_summary(ds_patch_summary *out, const GPtrArray *events,
                              const char *host, gint64 now, gint64 sla);
