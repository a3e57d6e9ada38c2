/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/output/report.h: `driftsync report`: one document (JSON, schema
 * driftsync/report/v1) gathered from the store and the state directory,
 * and the self-contained HTML page rendered from it. */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "manifests/store.h"
#include "sync/config/config-file.h"

#define DS_REPORT_FORMAT "driftsync/report/v1"
/* Caps that keep the page small for thousands of hosts. */
#define DS_REPORT_MAX_DIFFS 12    /* differences listed per host */
#define DS_REPORT_MAX_COMMITS 5   /* recent commits listed per host */
#define DS_REPORT_MAX_LABS 500    /* mirror labs listed (not in sync) */
#define DS_REPORT_MAX_TRIALS 20   /* recent trial results */
#define DS_REPORT_MAX_FINDINGS 20 /* audit findings listed per host */

/* Gather the report: drift of every host at HEAD (lab -> prod), the
 * history of the last `days` days before `now` (seconds since the epoch),
 * the last mirror run, audit findings and trial results from
 * cfg->state_dir.  *out is a new jansson object. */
int ds_report_build(json_t **out, ds_store *st, const ds_config *cfg,
                    guint days, gint64 now, GError **err);

/* The state directory's documents, as ds_report_build reads them (apart
 * so that they can be fuzzed from a buffer).  A document from `origin`
 * whose "schema" (or "format") is `schema`: 0 and *out set, or -1 and
 * *why (one line) says why not. */
int ds_report_state_parse(json_t **out, char **why, const char *data,
                          gsize len, const char *origin, const char *schema);
/* The report's sections from them (new references): the last mirror run
 * (driftsync/mirror/v1), audit findings (driftsync/audit/v1), the newest
 * trials (driftsync/trial/v1 documents; sorts docs). */
json_t *ds_report_mirror_json(json_t *doc);
json_t *ds_report_audit_json(json_t *doc);
json_t *ds_report_trials_json(GPtrArray *docs);

/* The HTML page for a report document (sync/output/report-html.c). */
char *ds_report_html(json_t *doc);

/* Write DIR/report.html and DIR/report.json, each whole or not at all. */
int ds_report_write(char **html_path, char **json_path, json_t *doc,
                    const char *dir, GError **err);
