/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/output/patches-report.h: the patch cycle as seen by the mirror's report,
 * `driftsync report` and the metrics: what is pending per host (and for
 * how long), the bundles and where they are deployed, time-to-patch. */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "manifests/patch-history.h"
#include "manifests/store.h"

#define DS_PATCHES_MAX_EVENTS 200 /* patch events listed in the report */

/* {HOST: {security, other, overdue, oldest_pending_s,
 * oldest_security_s}} for the given hosts (new reference). */
json_t *ds_patches_summary_json(const GPtrArray *events,
                                const char *const *hosts, guint n, gint64 now,
                                gint64 sla);

/* The report's `patches` section: hosts (as above), bundles [{name, host,
 * tested_at, packages, deployed_on[]}], latency over [from, now] {count,
 * median_s, worst_s}, events [{host, package, version, security,
 * pending_since, tested, bundle, installed, lab}] newest first (at most
 * DS_PATCHES_MAX_EVENTS), sla_s.  Read from the store at HEAD. */
int ds_patches_report_json(json_t **out, ds_store *st, gint64 from,
                           gint64 now, gint64 sla, GError **err);
