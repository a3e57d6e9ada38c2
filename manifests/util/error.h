/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/error.h: driftsync's error codes and the GError domain that
 * carries their messages from the library up to the program. */
#pragma once

#include <glib.h>

/* Every library function returns 0 or one of these (negative). */
typedef enum {
    DS_OK = 0,
    DS_EGENERIC = -1,     /* anything else; the message says what */
    DS_ENOTFOUND = -2,    /* host, revision, file or domain does not exist */
    DS_EUNSUPPORTED = -3, /* the driver has no such operation */
    DS_ECONFLICT = -4,    /* lock held, concurrent writer, state mismatch */
    DS_EINTERRUPTED = -5, /* signal, timeout, lost connection */
    DS_EINVALID = -6,     /* bad input: malformed manifest, hostile name */
} ds_error_code;

#define DS_ERROR (ds_error_quark())
GQuark ds_error_quark(void);

/* Set *err (if err is non-NULL and *err is NULL) and return code.
 * The GError's code is -code (a positive value). */
int ds_error_set(GError **err, int code, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* Prefix an existing error's message ("web01: " ...) and return code. */
int ds_error_prefix(GError **err, int code, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* The DS_E* code of an error (DS_EGENERIC for foreign domains). */
int ds_error_code_of(const GError *err);
