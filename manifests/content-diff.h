/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/content-diff.h: what changed inside a file between two
 * manifests in the store: a line diff of the stored contents, or why
 * there is none to show (binary, too large, secret, not stored). */
#pragma once

#include <glib.h>

#include "manifests/diff.h"
#include "manifests/manifest.h"
#include "manifests/store.h"
#include "manifests/util/textdiff.h"

/* Contents above this many bytes (either side) are not diffed: the diff
 * says the file is too large and gives both sizes. */
#define DS_CONTENT_DIFF_MAX_BYTES (256u * 1024)

typedef enum {
    DS_CONTENT_DIFF_TEXT,      /* `text` has the hunks */
    DS_CONTENT_DIFF_BINARY,    /* a NUL on either side */
    DS_CONTENT_DIFF_TOO_LARGE, /* over max_bytes on either side */
    DS_CONTENT_DIFF_SECRET,    /* secret on either side: its keyed
                                * fingerprint changed, nothing more */
    DS_CONTENT_DIFF_NOT_STORED, /* a side's content is not in the store
                                 * (not captured, or over the collector's
                                 * size limit): only its sha256 is known */
} ds_content_diff_kind;

typedef struct ds_content_diff {
    ds_content_diff_kind kind;
    ds_textdiff *text;         /* DS_CONTENT_DIFF_TEXT only */
    gint64 old_size, new_size; /* bytes; -1 when absent or not known */
    bool old_absent, new_absent; /* no regular file on that side */
} ds_content_diff;

void ds_content_diff_free(ds_content_diff *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_content_diff, ds_content_diff_free)

/* One side of a comparison: a manifest read from the store at commit
 * `rev` (a full id); its stored files are found by their content_ref,
 * else under files/ROLE/HOST/ at rev. */
typedef struct ds_content_side {
    const char *rev;
    const ds_manifest *m; /* NULL: the host has no manifest there */
} ds_content_side;

typedef struct ds_content_diff_options {
    guint context;   /* lines around each change (DS_TEXTDIFF_CONTEXT) */
    gsize max_bytes; /* 0: DS_CONTENT_DIFF_MAX_BYTES */
} ds_content_diff_options;

/* The content diff of the file at path between two sides.  *out is NULL
 * when there is nothing to show: no regular file on either side, or the
 * same content. */
int ds_content_diff_file(ds_content_diff **out, ds_store *st,
                         const ds_content_side *from,
                         const ds_content_side *to, const char *path,
                         const ds_content_diff_options *opts, GError **err);

/* The content diffs of the file changes among `changes` (as
 * ds_manifest_diff(from->m, to->m) gives them) whose content differs:
 * added, removed, and changed with DS_FILE_DIFF_CONTENT.  *out maps each
 * such ds_change * to its ds_content_diff * (changes with nothing to show
 * are left out); caller unrefs the table. */
int ds_content_diff_changes(GHashTable **out, ds_store *st,
                            const ds_content_side *from,
                            const ds_content_side *to, GPtrArray *changes,
                            const ds_content_diff_options *opts,
                            GError **err);

const char *ds_content_diff_kind_name(ds_content_diff_kind kind); /* "text" */

/* The diff as a JSON object (jansson json_t *, new reference):
 * {"kind", "old_size", "new_size", "added", "removed", "hunks": [{
 * "old_start", "old_lines", "new_start", "new_lines", "lines": ["-old",
 * "+new", " context", "\\ No newline at end of file"]}]}; documented in
 * doc/manifest-format.md. */
struct json_t;
struct json_t *ds_content_diff_to_json(const ds_content_diff *d);
