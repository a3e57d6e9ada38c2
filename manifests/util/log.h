/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/log.h: how the library says what it is doing without
 * printing: lines handed to a callback that the program renders (on
 * stderr, quiet with -q, verbose ones only with -v).  Errors are not
 * lines: they go up in a GError. */
#pragma once

#include <glib.h>

typedef enum {
    DS_LOG_WARNING, /* went wrong, but the run goes on: always shown */
    DS_LOG_INFO,    /* a step worth seeing: a snapshot taken, a revert */
    DS_LOG_VERBOSE, /* detail: each command, each file */
} ds_log_level;

typedef void (*ds_log_fn)(ds_log_level level, const char *message,
                          void *payload);

typedef struct ds_log {
    ds_log_fn fn; /* NULL: say nothing */
    void *payload;
} ds_log;

/* Format a line and pass it to log->fn (nothing when log or fn is NULL). */
void ds_log_emit(const ds_log *log, ds_log_level level, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
#define ds_log_info(log, ...) ds_log_emit((log), DS_LOG_INFO, __VA_ARGS__)
#define ds_log_verbose(log, ...) ds_log_emit((log), DS_LOG_VERBOSE, __VA_ARGS__)
