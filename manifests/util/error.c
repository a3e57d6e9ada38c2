/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/error.c: the DS_ERROR domain and helpers to set and prefix it. */
#include <config.h>

#include "manifests/util/error.h"

G_DEFINE_QUARK(driftsync-error-quark, ds_error)

int ds_error_set(GError **err, int code, const char *fmt, ...)
{
    va_list ap;

    if (code >= 0)
        code = DS_EGENERIC;
    if (err && !*err) {
        va_start(ap, fmt);
        *err = g_error_new_valist(DS_ERROR, -code, fmt, ap);
        va_end(ap);
    }
    return code;
}

int ds_error_prefix(GError **err, int code, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *prefix = NULL;

    if (code >= 0)
        code = DS_EGENERIC;
    if (!err || !*err)
        return code;
    va_start(ap, fmt);
    prefix = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_prefix_error(err, "%s", prefix);
    return code;
}

int ds_error_code_of(const GError *err)
{
    if (!err)
        return DS_OK;
    if (err->domain == DS_ERROR && err->code > 0)
        return -err->code;
    return DS_EGENERIC;
}
