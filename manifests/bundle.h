/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/bundle.h: a tested patch bundle (schema driftsync/bundle/v1):
 * the exact name=version set a trial installed on a host's lab twin, where
 * and when, the prod revision it mirrored, the checks and their results;
 * validated parsing and canonical serialisation. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#define DS_BUNDLE_SCHEMA "driftsync/bundle/v1"
#define DS_BUNDLE_MAX_BYTES (4u * 1024 * 1024)
#define DS_BUNDLE_MAX_PACKAGES 100000u
#define DS_BUNDLE_MAX_CHECKS 1000u

typedef struct ds_bundle_check {
    char *command; /* the admin's CMD, as given */
    int status;    /* exit status; -1: not run */
    double seconds;
} ds_bundle_check;

typedef struct ds_bundle {
    char *name;          /* safe like a host name: bundles/NAME.json */
    char *host;          /* the prod host whose pending set it is */
    char *lab;           /* the lab domain it was tried on */
    char *prod_revision; /* store commit of the prod manifest, or NULL */
    char *run;           /* the trial's run id */
    char *tested_at;     /* RFC 3339 UTC */
    bool security_only;  /* only the security updates were taken */
    bool passed;         /* every step and check exited 0, lab reverted */
    char *error;         /* why it failed, or NULL */
    GHashTable *packages; /* char *name -> char *version */
    GPtrArray *checks;    /* ds_bundle_check * */
} ds_bundle;

ds_bundle *ds_bundle_new(const char *name);
void ds_bundle_free(ds_bundle *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_bundle, ds_bundle_free)

/* Add name=version (validated); DS_EINVALID on a bad or repeated name. */
int ds_bundle_add_package(ds_bundle *b, const char *name, const char *version,
                          GError **err);
void ds_bundle_add_check(ds_bundle *b, const char *command, int status,
                         double seconds);
/* The package names, sorted (the array owns nothing). */
GPtrArray *ds_bundle_package_names(const ds_bundle *b);

/* Whether data looks like a bundle document (a JSON object whose
 * "schema" is DS_BUNDLE_SCHEMA), without validating the rest. */
bool ds_bundle_is_document(const char *data, gsize len);

/* Parse and validate; errors are DS_EINVALID "ORIGIN: FIELD: what". */
int ds_bundle_parse(ds_bundle **out, const char *data, gsize len,
                    const char *origin, GError **err);
/* Canonical bytes: sorted keys, 2-space indent, trailing newline. */
int ds_bundle_serialise(GBytes **out, const ds_bundle *b, GError **err);

/* The forms `bundle show` prints: "lines" (name=version), "apt" (the
 * apt-get install line), "json" (the document). */
int ds_bundle_format(char **out, const ds_bundle *b, const char *format,
                     GError **err);
