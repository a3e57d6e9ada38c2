/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/manifest-private.h: helpers shared by the manifest model
 * (manifest.c), its validation (manifest-check.c) and its JSON form
 * (manifest-json.c); not part of the public contract. */
#pragma once

#include "manifests/manifest.h"

/* Longest accepted "token" (version, arch, owner, ...), file path and apt
 * source line, in bytes. */
#define DS_MANIFEST_MAX_TOKEN 256
#define DS_MANIFEST_MAX_PATH 4096
#define DS_MANIFEST_MAX_SOURCE 4096

/* Validate every field of a manifest (names, formats, required fields,
 * sortedness is NOT checked).  Errors are DS_EINVALID,
 * "ORIGIN: PATH.TO.FIELD: what is wrong". */
int ds_manifest_check(const ds_manifest *m, const char *origin,
                      GError **err);

/* Append a JSON path step for a user-supplied key to `path`: ".key" when
 * the key is a plain word, otherwise ."escaped" (control characters
 * escaped, long keys shortened), so that messages stay on one line. */
void ds_manifest_path_key(GString *path, const char *key, gsize len);

/* Comparison functions for g_ptr_array_sort on the model's arrays. */
int ds_manifest_cmp_package(gconstpointer a, gconstpointer b);
int ds_manifest_cmp_file(gconstpointer a, gconstpointer b);
int ds_manifest_cmp_service(gconstpointer a, gconstpointer b);
int ds_manifest_cmp_string(gconstpointer a, gconstpointer b);
