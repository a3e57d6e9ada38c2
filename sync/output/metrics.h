/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/output/metrics.h: `--metrics FILE`: a mirror run in the Prometheus text
 * exposition format, for node_exporter's textfile collector. */
#pragma once

#include <glib.h>

#include "sync/jobs/mirror.h"

/* The metrics text of a run.  r may be NULL when the run failed before
 * anything was tried (then only the timestamp, duration and exit code are
 * given).  `exit_code` is the run's exit status; `seconds` its wall time;
 * `now` the finish time (seconds since the epoch). */
char *ds_metrics_mirror_text(const ds_mirror_report *r, int exit_code,
                             double seconds, gint64 now);

/* A label value escaped for the exposition format (\\, \" and \n). */
char *ds_metrics_escape(const char *value);

/* Write text to path atomically (a temporary file in the same directory,
 * fsync, rename) with mode 0644 so that node_exporter can read it; the
 * directory must exist. */
int ds_metrics_write(const char *path, const char *text, GError **err);
