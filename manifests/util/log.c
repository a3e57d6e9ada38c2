/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/log.c: progress lines from the library to the program. */
#include <config.h>

#include <stdarg.h>

#include "manifests/util/log.h"

void ds_log_emit(const ds_log *log, ds_log_level level, const char *fmt, ...)
{
    g_autofree char *line = NULL;
    va_list ap;

    if (!log || !log->fn)
        return;
    va_start(ap, fmt);
    line = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    log->fn(level, line, log->payload);
}
