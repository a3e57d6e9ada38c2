/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/output/publish.h: what a finished run leaves for others: the
 * mirror run's report in the state directory and its summary posted to
 * [notify] webhook, the audit run's summary posted with [notify] audit.
 * A failed notification is a warning in the log, never an error. */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <signal.h>

#include "manifests/util/log.h"
#include "sync/config/config-file.h"
#include "sync/jobs/mirror.h"

/* Write the report (STATE/reports/mirror-RUN.json and latest.json), POST
 * its summary when [notify] webhook is set (rep->notify receives the
 * outcome) and write it again with that outcome.  *path receives the
 * report's file, NULL when it could not be written (then the error). */
int ds_publish_mirror(char **path, ds_mirror_report *rep, const ds_config *cfg,
                      volatile sig_atomic_t *cancel, const ds_log *log,
                      GError **err);

/* With [notify] audit and a webhook, and some host audited in doc (an
 * audit document), POST its summary; `exit_code` is the run's.  The
 * outcome (a new reference), or NULL when nothing was tried. */
json_t *ds_publish_audit(const ds_config *cfg, ds_role role, const json_t *doc,
                         int exit_code, volatile sig_atomic_t *cancel,
                         const ds_log *log);
