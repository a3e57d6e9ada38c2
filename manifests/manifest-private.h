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
int ds_manifest_check(const ds_manifest *m, const char *origin, GError **err);

/* ds_manifest_serialise of a manifest ds_manifest_check has passed (and
 * nothing changed since): the check is not made again. */
int ds_manifest_serialise_checked(GBytes **out, const ds_manifest *m,
                                  GError **err);

/* Append a JSON path step for a user-supplied key to `path`: ".key" when
 * the key is a plain word, otherwise ."escaped" (control characters
 * escaped, long keys shortened), so that messages stay on one line. */
void ds_manifest_path_key(GString *path, const char *key, gsize len);

/* "ORIGIN: SECTION[.KEY][.FIELD]: message" as DS_EINVALID (manifest-check.c);
 * the one error shape of the manifest's rules. */
int ds_manifest_bad(GError **err, const char *origin, const char *section,
                    const char *key, const char *field, const char *fmt, ...)
    G_GNUC_PRINTF(6, 7);

/* Comparison functions for g_ptr_array_sort on the model's arrays. */
int ds_manifest_cmp_package(gconstpointer a, gconstpointer b);
int ds_manifest_cmp_file(gconstpointer a, gconstpointer b);
int ds_manifest_cmp_service(gconstpointer a, gconstpointer b);
int ds_manifest_cmp_string(gconstpointer a, gconstpointer b);
int ds_manifest_cmp_pending(gconstpointer a, gconstpointer b);

/* Sort `a` by cmp and drop exact duplicates (eq); two entries with one key
 * (cmp == 0) but different values are DS_EINVALID naming the key. */
typedef bool (*ds_manifest_eq_fn)(const void *, const void *);
int ds_manifest_sort_unique(GPtrArray *a, GCompareFunc cmp,
                            ds_manifest_eq_fn eq,
                            const char *(*key)(const void *),
                            const char *host, const char *section,
                            GError **err);

/* The selection members (manifest-selection.c): normalise, compare and
 * check pending, holds, auto marks and lists_updated_at. */
int ds_manifest_normalise_selection(ds_manifest *m, const char *host,
                                    GError **err);
bool ds_manifest_selection_equal(const ds_manifest *a, const ds_manifest *b);
int ds_manifest_check_selection(const ds_manifest *m, const char *origin,
                                GError **err);
/* Field rules shared with manifest-check.c: NULL when fine, else why. */
const char *ds_manifest_token_problem(const char *s);
const char *ds_manifest_text_problem(const char *s, gsize max);
/* NULL when s is a token and a Debian version as dpkg accepts it: versions
 * reach apt's command lines (name=version) and the package cache's file
 * names. */
const char *ds_manifest_version_problem(const char *s);
bool ds_manifest_is_rfc3339_utc(const char *s);
void ds_manifest_free_selection(ds_manifest *m);

/* The strict JSON reader (manifest-json.c).  A document is checked once
 * with ds_json_check; the other functions then walk the checked bytes
 * without bounds checks of their own. */
/* Top-level members whose value ends the check keeps (the schema has
 * eighteen). */
#define DS_JSON_ROOT_ENDS 24

typedef struct {
    const char *origin; /* names the document in errors */
    GError **err;
    const char *start; /* the document, not NUL-terminated */
    const char *end;
    const char *bad_utf8; /* the first invalid UTF-8 found in a string */
    /* Found by the check, so that the walk need not skip them again: the
     * ends of the top-level object's member values, in document order
     * (root_object NULL when it had more than DS_JSON_ROOT_ENDS)... */
    const char *root_object;
    const char *root_ends[DS_JSON_ROOT_ENDS];
    guint nroot_ends;
    /* ...and by the walk: the end of the object it last read members of */
    const char *filled_object, *filled_end;
} ds_json_reader;

/* A decoded string: pointing into the document when it has no escapes,
 * else into `owned` (the caller frees it); may contain NUL from \u0000. */
typedef struct {
    const char *s;
    gsize len;
    char *owned;
} ds_json_str;

/* "ORIGIN: line L, column C: what" as DS_EINVALID. */
int ds_json_error_at(ds_json_reader *r, const char *at, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
#define SYNTAX(r, at, ...) ds_json_error_at(r, at, "invalid JSON: " __VA_ARGS__)

/* The first byte at or after p that is not JSON whitespace. */
const char *ds_json_ws(const char *p, const char *end);

/* Check that `value` .. end is exactly one RFC 8259 value (no NUL byte,
 * nesting at most DS_MANIFEST_MAX_DEPTH) and the document valid UTF-8. */
int ds_json_check(ds_json_reader *r, const char *value);

/* On checked bytes: the end of the value at p; its kind for messages
 * ("a string", "an integer", ...; a number may end the document at
 * end); the string at p decoded (returns the
 * end); the next member of the object being read (*pp starts after '{';
 * false at its end, *pp left at its '}'). */
const char *ds_json_skip(const char *p);
const char *ds_json_kind(const char *p, const char *end);
const char *ds_json_string(const char *p, ds_json_str *out);
bool ds_json_member(const char **pp, ds_json_str *key, const char **value);
/* The same without finding the value's end (*pp is left at the value): the
 * caller sets *pp to that end before the next call. */
bool ds_json_member_key(const char **pp, ds_json_str *key,
                        const char **value);
