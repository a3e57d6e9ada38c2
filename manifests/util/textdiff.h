/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/textdiff.h: a line diff of two texts as unified hunks
 * (Myers' O(ND) algorithm in linear space, with git's cost cut-off so
 * that very different texts still finish in bounded time). */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* Lines of context around each change by default, as diff -u and git. */
#define DS_TEXTDIFF_CONTEXT 3
/* Bytes of each text looked at for a NUL to call it binary (git's rule). */
#define DS_TEXTDIFF_BINARY_PROBE 8000

typedef struct ds_textdiff_line {
    char op;          /* ' ' context, '-' only in the old text, '+' new */
    const char *text; /* into the text it came from, without its '\n' */
    gsize len;        /* bytes at text (a '\r' before '\n' is kept) */
    bool no_newline;  /* the last line of its text, without a final '\n' */
} ds_textdiff_line;

typedef struct ds_textdiff_hunk {
    guint old_start, old_lines; /* as in "@@ -old_start,old_lines ..." */
    guint new_start, new_lines;
    GArray *lines; /* ds_textdiff_line */
} ds_textdiff_hunk;

typedef struct ds_textdiff {
    GBytes *old_text, *new_text; /* kept alive for the lines' pointers */
    GPtrArray *hunks;            /* ds_textdiff_hunk *, in order */
    guint added, removed;        /* lines */
} ds_textdiff;

/* The hunks that take old_text to new_text with `context` lines of
 * context around each change; no hunk when they are equal.  Either text
 * may be NULL (an absent file: empty).  Never fails. */
ds_textdiff *ds_textdiff_new(GBytes *old_text, GBytes *new_text,
                             guint context);
void ds_textdiff_free(ds_textdiff *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_textdiff, ds_textdiff_free)

/* Whether data looks binary: a NUL in its first DS_TEXTDIFF_BINARY_PROBE
 * bytes, as git decides.  NULL is not binary. */
bool ds_textdiff_is_binary(GBytes *data);

/* "@@ -1,4 +1,5 @@" for a hunk (a count of 1 left out, as diff -u);
 * caller frees. */
char *ds_textdiff_hunk_header(const ds_textdiff_hunk *h);
