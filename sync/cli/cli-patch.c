/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/cli-patch.c: content diffs for people and machines: the -p and
 * -U options that `diff` and `log` share, the unified diff printed below
 * a file's semantic line (every line of content escaped, coloured only
 * when colour is on), and the "patch" member of a change in --json. */
#include <config.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "manifests/content-diff.h"
#include "sync/cli/cmd.h"

/* -U beyond this is taken as "the whole file" anyway. */
#define PATCH_MAX_CONTEXT 1000000

/* The argument vectors made by ds_cli_patch_argv, kept for the life of
 * the program (GOption keeps pointers into them). */
static GPtrArray *split_argvs;

/* "-U" followed by digits in one word. */
static bool is_glued_context(const char *a)
{
    return !strncmp(a, "-U", 2) && g_ascii_isdigit(a[2]);
}

void ds_cli_patch_argv(int *argc, char ***argv)
{
    GPtrArray *out;
    int i;

    for (i = 1; i < *argc && strcmp((*argv)[i], "--") != 0; i++)
        if (is_glued_context((*argv)[i]))
            break;
    if (i >= *argc || !strcmp((*argv)[i], "--"))
        return;
    out = g_ptr_array_new();
    for (i = 0; i < *argc; i++) {
        char *a = (*argv)[i];

        if (is_glued_context(a)) {
            g_ptr_array_add(out, "-U");
            g_ptr_array_add(out, a + 2);
        } else {
            g_ptr_array_add(out, a);
        }
    }
    g_ptr_array_add(out, NULL);
    if (!split_argvs)
        split_argvs =
            g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    g_ptr_array_add(split_argvs, out);
    *argc = (int)out->len - 1;
    *argv = (char **)out->pdata;
}

bool ds_cli_patch_check(ds_cli *cli, ds_cli_patch *p, const char *verb)
{
    if (p->context < -1 || p->context > PATCH_MAX_CONTEXT) {
        ds_cli_error(cli,
                     "%s: -U/--unified takes a number of lines from 0 to %d",
                     verb, PATCH_MAX_CONTEXT);
        return false;
    }
    if (p->context >= 0)
        p->patch = TRUE; /* -U N alone asks for the patch, as in git */
    return true;
}

ds_content_diff_options ds_cli_patch_options(const ds_cli_patch *p)
{
    return (ds_content_diff_options){
        .context = p->context >= 0 ? (guint)p->context : DS_TEXTDIFF_CONTEXT,
        .max_bytes = DS_CONTENT_DIFF_MAX_BYTES};
}

static void print_line(ds_cli *cli, const char *indent,
                       const ds_textdiff_line *l)
{
    g_autofree char *raw = g_strndup(l->text, l->len);
    /* content is escaped on its own, so that no byte of the file can pass
     * for one of our colours; ours go around it */
    g_autofree char *shown = ds_cli_escape(raw, 0);
    const char *colour = l->op == '+'   ? ds_cli_colour(cli, "green")
                         : l->op == '-' ? ds_cli_colour(cli, "red")
                                        : "";

    ds_cli_printf(cli, "%s%s%c%s%s\n", indent, colour, l->op, shown,
                  *colour ? ds_cli_colour(cli, "reset") : "");
    if (l->no_newline)
        ds_cli_printf(cli, "%s\\ No newline at end of file\n", indent);
}

static void print_hunks(ds_cli *cli, const ds_textdiff *t, const char *indent)
{
    for (guint i = 0; i < t->hunks->len; i++) {
        const ds_textdiff_hunk *h = g_ptr_array_index(t->hunks, i);
        g_autofree char *hdr = ds_textdiff_hunk_header(h);

        ds_cli_printf(cli, "%s%s%s%s\n", indent, ds_cli_colour(cli, "cyan"),
                      hdr, ds_cli_colour(cli, "reset"));
        for (guint k = 0; k < h->lines->len; k++)
            print_line(cli, indent,
                       &g_array_index(h->lines, ds_textdiff_line, k));
    }
}

/* "LABEL/PATH", or /dev/null for a side without the file. */
static char *side_name(const char *label, const char *path, bool absent)
{
    return absent ? g_strdup("/dev/null") : g_strconcat(label, path, NULL);
}

static char *size_text(gint64 size)
{
    return size < 0 ? g_strdup("none")
                    : g_strdup_printf("%" G_GINT64_FORMAT " bytes", size);
}

void ds_cli_print_patch(ds_cli *cli, const ds_content_diff *d, const char *path,
                        const ds_cli_patch_labels *labels, const char *indent)
{
    g_autofree char *from = side_name(labels->old_label, path, d->old_absent);
    g_autofree char *to = side_name(labels->new_label, path, d->new_absent);
    g_autofree char *old_size = size_text(d->old_size);
    g_autofree char *new_size = size_text(d->new_size);
    const char *dim = ds_cli_colour(cli, "dim");
    const char *reset = ds_cli_colour(cli, "reset");

    switch (d->kind) {
    case DS_CONTENT_DIFF_SECRET:
        ds_cli_printf(
            cli,
            "%s%s(secret file: its content is never stored or shown; its fingerprint changed)%s\n",
            indent, dim, reset);
        return;
    case DS_CONTENT_DIFF_NOT_STORED:
        ds_cli_printf(
            cli,
            "%s%s(content not stored: the file is not captured with `files`, or too large to capture)%s\n",
            indent, dim, reset);
        return;
    case DS_CONTENT_DIFF_TOO_LARGE:
        ds_cli_printf(
            cli, "%s%s(too large to diff: %s -> %s; the limit is %u bytes)%s\n",
            indent, dim, old_size, new_size, DS_CONTENT_DIFF_MAX_BYTES, reset);
        return;
    case DS_CONTENT_DIFF_BINARY:
        ds_cli_printf(cli, "%sBinary files %s and %s differ\n", indent, from,
                      to);
        return;
    case DS_CONTENT_DIFF_TEXT:
        break;
    }
    ds_cli_printf(cli, "%s%s--- %s%s\n", indent, ds_cli_colour(cli, "bold"),
                  from, reset);
    ds_cli_printf(cli, "%s%s+++ %s%s\n", indent, ds_cli_colour(cli, "bold"), to,
                  reset);
    print_hunks(cli, d->text, indent);
}

typedef struct print_ctx {
    GHashTable *patches;
    const ds_cli_patch_labels *labels;
} print_ctx;

static void after_change(ds_cli *cli, const ds_change *c, const char *indent,
                         void *payload)
{
    print_ctx *p = payload;
    const ds_content_diff *d = g_hash_table_lookup(p->patches, c);
    g_autofree char *inner = NULL;

    if (!d)
        return;
    inner = g_strconcat(indent, "  ", NULL);
    ds_cli_print_patch(cli, d, c->name, p->labels, inner);
}

void ds_cli_print_changes_patched(ds_cli *cli, GPtrArray *changes,
                                  GHashTable *patches,
                                  const ds_cli_patch_labels *labels,
                                  const char *indent)
{
    print_ctx p = {.patches = patches, .labels = labels};

    ds_cli_print_changes_each(cli, changes, labels ? labels->sides : NULL,
                              indent, patches ? after_change : NULL, &p);
}

void ds_cli_print_change_patched(ds_cli *cli, const ds_change *c,
                                 GHashTable *patches,
                                 const ds_cli_patch_labels *labels,
                                 const char *indent)
{
    print_ctx p = {.patches = patches, .labels = labels};

    ds_cli_print_change_sides(cli, c, labels ? labels->sides : NULL, indent);
    if (patches)
        after_change(cli, c, indent, &p);
}

void ds_cli_patches_json(json_t *changes_json, GPtrArray *changes,
                         GHashTable *patches)
{
    for (guint i = 0; patches && i < changes->len; i++) {
        const ds_content_diff *d =
            g_hash_table_lookup(patches, g_ptr_array_index(changes, i));
        json_t *o = json_array_get(changes_json, i);

        if (d && o)
            json_object_set_new(o, "patch", ds_content_diff_to_json(d));
    }
}
