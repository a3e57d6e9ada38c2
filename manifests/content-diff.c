/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/content-diff.c: the content diffs of changed files, read
 * straight from the store's object database (a file's content_ref names
 * its blob; the blob's size is read from its header before the blob
 * itself, so a large file costs nothing).  Secret files are never read:
 * the store holds no content for them, and a diff against a secret side
 * says only that the fingerprint changed. */
#include <config.h>

#include <string.h>

#include <jansson.h>

#include "manifests/content-diff.h"
#include "manifests/store-private.h"
#include "manifests/util/autoptr.h"

static const char *const kind_names[] = {
    [DS_CONTENT_DIFF_TEXT] = "text",
    [DS_CONTENT_DIFF_BINARY] = "binary",
    [DS_CONTENT_DIFF_TOO_LARGE] = "too-large",
    [DS_CONTENT_DIFF_SECRET] = "secret",
    [DS_CONTENT_DIFF_NOT_STORED] = "not-stored",
};

const char *ds_content_diff_kind_name(ds_content_diff_kind kind)
{
    return (gsize)kind < G_N_ELEMENTS(kind_names) ? kind_names[kind] : "?";
}

void ds_content_diff_free(ds_content_diff *d)
{
    if (!d)
        return;
    ds_textdiff_free(d->text);
    g_free(d);
}

/* What one side holds for the file. */
typedef struct side_content {
    bool absent;     /* no regular file there */
    bool secret;     /* content never stored */
    bool not_stored; /* regular, not secret, but no blob in the store */
    gint64 size;     /* -1 when not known */
    GBytes *data;    /* NULL unless read (not when over the limit) */
} side_content;

static void side_content_clear(side_content *c)
{
    g_clear_pointer(&c->data, g_bytes_unref);
}

/* The tree of a side's commit, looked up once per comparison. */
typedef struct cd_ctx {
    ds_store *st;
    const ds_content_diff_options *opts;
    git_tree *tree[2];
} cd_ctx;

static int side_tree(git_tree **out, cd_ctx *ctx, int which,
                     const ds_content_side *s, GError **err)
{
    g_autoptr(git_commit) c = NULL;
    int rc;

    if (!ctx->tree[which]) {
        if ((rc = ds_store_lookup_commit(&c, ctx->st, s->rev, err)) < 0)
            return rc;
        if (git_commit_tree(&ctx->tree[which], c) < 0)
            return ds_store_git_error(err, DS_EGENERIC, "%s",
                                      ds_store_path(ctx->st));
    }
    *out = ctx->tree[which];
    return 0;
}

/* The blob holding f's content on side s, and its size: its content_ref
 * when the store has that blob, else files/ROLE/HOST/PATH in the side's
 * commit.  *found is false when neither exists. */
static int find_blob(git_oid *id, size_t *size, bool *found, cd_ctx *ctx,
                     int which, const ds_content_side *s, const ds_file *f,
                     GError **err)
{
    g_autoptr(git_odb) odb = NULL;
    g_autofree char *tpath = NULL;
    git_tree *tree = NULL;
    git_object_t type;
    int rc;

    *found = false;
    if (git_repository_odb(&odb, ctx->st->repo) < 0)
        return ds_store_git_error(err, DS_EGENERIC, "%s", s->m->host);
    /* One read of the object's header says both whether the store has
     * it and how big it is. */
    if (f->content_ref && git_oid_fromstr(id, f->content_ref) == 0) {
        rc = git_odb_read_header(size, &type, odb, id);
        if (rc == 0) {
            *found = true;
            return 0;
        }
        if (rc != GIT_ENOTFOUND)
            return ds_store_git_error(err, DS_EGENERIC, "%s: %s", s->m->host,
                                      f->path);
    }
    git_error_clear();
    if (!ds_name_is_safe_path(f->path) ||
        !ds_store_path_is_storable(f->path + 1))
        return 0;
    if ((rc = side_tree(&tree, ctx, which, s, err)) < 0)
        return rc;
    tpath = g_strdup_printf("files/%s/%s%s", ds_role_name(s->m->role),
                            s->m->host, f->path);
    if (ds_store_tree_blob_id(id, tree, tpath, GIT_OBJECT_BLOB) != 0)
        return 0;
    if (git_odb_read_header(size, &type, odb, id) < 0)
        return ds_store_git_error(err, DS_EGENERIC, "%s: %s", s->m->host,
                                  f->path);
    *found = true;
    return 0;
}

static void free_blob(gpointer blob)
{
    git_blob_free(blob);
}

/* Fill c with what side s has for path: its size, and its bytes when
 * within the limit. */
static int read_side(side_content *c, cd_ctx *ctx, int which,
                     const ds_content_side *s, const char *path, GError **err)
{
    const ds_file *f = s->m ? ds_manifest_find_file(s->m, path) : NULL;
    git_blob *blob = NULL;
    git_oid id;
    size_t size = 0;
    bool found;
    int rc;

    *c = (side_content){.size = -1};
    if (!f || f->type != DS_FILE_REGULAR) {
        c->absent = true;
        return 0;
    }
    if (f->secret) {
        c->secret = true;
        return 0;
    }
    if ((rc = find_blob(&id, &size, &found, ctx, which, s, f, err)) < 0)
        return rc;
    if (!found) {
        c->not_stored = true;
        return 0;
    }
    c->size = (gint64)size;
    if (size > ctx->opts->max_bytes)
        return 0;
    if (git_blob_lookup(&blob, ctx->st->repo, &id) < 0)
        return ds_store_git_error(err, DS_EGENERIC, "%s: %s", s->m->host, path);
    c->data = g_bytes_new_with_free_func(git_blob_rawcontent(blob),
                                         (gsize)git_blob_rawsize(blob),
                                         free_blob, blob);
    return 0;
}

/* The kind of diff two sides give, in order of precedence: a secret side
 * hides everything, then what is missing, then size, then binary. */
static ds_content_diff_kind diff_kind(const side_content *a,
                                      const side_content *b, gsize max)
{
    if (a->secret || b->secret)
        return DS_CONTENT_DIFF_SECRET;
    if (a->not_stored || b->not_stored)
        return DS_CONTENT_DIFF_NOT_STORED;
    if (a->size > (gint64)max || b->size > (gint64)max)
        return DS_CONTENT_DIFF_TOO_LARGE;
    if (ds_textdiff_is_binary(a->data) || ds_textdiff_is_binary(b->data))
        return DS_CONTENT_DIFF_BINARY;
    return DS_CONTENT_DIFF_TEXT;
}

static bool same_bytes(GBytes *a, GBytes *b)
{
    if (!a || !b)
        return !a && !b;
    return g_bytes_equal(a, b);
}

static int diff_one(ds_content_diff **out, cd_ctx *ctx,
                    const ds_content_side *from, const ds_content_side *to,
                    const char *path, GError **err)
{
    side_content a, b;
    g_autoptr(ds_content_diff) d = NULL;
    int rc;

    *out = NULL;
    if ((rc = read_side(&a, ctx, 0, from, path, err)) < 0)
        return rc;
    if ((rc = read_side(&b, ctx, 1, to, path, err)) < 0) {
        side_content_clear(&a);
        return rc;
    }
    if (a.absent && b.absent)
        goto done;
    d = g_new0(ds_content_diff, 1);
    d->kind = diff_kind(&a, &b, ctx->opts->max_bytes);
    d->old_size = a.size;
    d->new_size = b.size;
    d->old_absent = a.absent;
    d->new_absent = b.absent;
    if (d->kind == DS_CONTENT_DIFF_TEXT || d->kind == DS_CONTENT_DIFF_BINARY) {
        if (!a.absent && !b.absent && same_bytes(a.data, b.data))
            goto done; /* only the metadata changed */
        if (d->kind == DS_CONTENT_DIFF_TEXT)
            d->text = ds_textdiff_new(a.data, b.data, ctx->opts->context);
    }
    *out = g_steal_pointer(&d);
done:
    side_content_clear(&a);
    side_content_clear(&b);
    return 0;
}

static void cd_ctx_clear(cd_ctx *ctx)
{
    for (int i = 0; i < 2; i++)
        g_clear_pointer(&ctx->tree[i], git_tree_free);
}

static ds_content_diff_options effective(const ds_content_diff_options *o)
{
    ds_content_diff_options e = {.context = DS_TEXTDIFF_CONTEXT,
                                 .max_bytes = DS_CONTENT_DIFF_MAX_BYTES};

    if (o) {
        e.context = o->context;
        if (o->max_bytes)
            e.max_bytes = o->max_bytes;
    }
    return e;
}

int ds_content_diff_file(ds_content_diff **out, ds_store *st,
                         const ds_content_side *from, const ds_content_side *to,
                         const char *path, const ds_content_diff_options *opts,
                         GError **err)
{
    ds_content_diff_options o = effective(opts);
    cd_ctx ctx = {.st = st, .opts = &o};
    int rc = diff_one(out, &ctx, from, to, path, err);

    cd_ctx_clear(&ctx);
    return rc;
}

static bool content_may_differ(const ds_change *c)
{
    return c->category == DS_CAT_FILES &&
           (c->kind == DS_CHANGE_FILE_ADDED ||
            c->kind == DS_CHANGE_FILE_REMOVED ||
            (c->kind == DS_CHANGE_FILE_CHANGED &&
             (c->file_bits & DS_FILE_DIFF_CONTENT)));
}

int ds_content_diff_changes(GHashTable **out, ds_store *st,
                            const ds_content_side *from,
                            const ds_content_side *to, GPtrArray *changes,
                            const ds_content_diff_options *opts, GError **err)
{
    ds_content_diff_options o = effective(opts);
    cd_ctx ctx = {.st = st, .opts = &o};
    g_autoptr(GHashTable) t =
        g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                              (GDestroyNotify)ds_content_diff_free);
    int rc = 0;

    *out = NULL;
    for (guint i = 0; changes && i < changes->len; i++) {
        const ds_change *c = g_ptr_array_index(changes, i);
        ds_content_diff *d = NULL;

        if (!content_may_differ(c) || !c->name)
            continue;
        if ((rc = diff_one(&d, &ctx, from, to, c->name, err)) < 0)
            break;
        if (d)
            g_hash_table_insert(t, (gpointer)c, d);
    }
    cd_ctx_clear(&ctx);
    if (rc == 0)
        *out = g_steal_pointer(&t);
    return rc;
}

/* ---- JSON ---- */

/* One line of a hunk as unified diff text: the op, then the line (with
 * invalid UTF-8 replaced, as JSON needs). */
static json_t *line_json(const ds_textdiff_line *l)
{
    g_autofree char *raw = g_malloc(l->len + 2);
    g_autofree char *valid = NULL;

    raw[0] = l->op;
    memcpy(raw + 1, l->text, l->len);
    raw[l->len + 1] = '\0';
    valid = g_utf8_make_valid(raw, (gssize)l->len + 1);
    return json_string(valid);
}

static json_t *hunk_json(const ds_textdiff_hunk *h)
{
    json_t *lines = json_array();

    for (guint i = 0; i < h->lines->len; i++) {
        const ds_textdiff_line *l =
            &g_array_index(h->lines, ds_textdiff_line, i);

        json_array_append_new(lines, line_json(l));
        if (l->no_newline)
            json_array_append_new(lines,
                                  json_string("\\ No newline at end of file"));
    }
    return json_pack("{s:I, s:I, s:I, s:I, s:o}", "old_start",
                     (json_int_t)h->old_start, "old_lines",
                     (json_int_t)h->old_lines, "new_start",
                     (json_int_t)h->new_start, "new_lines",
                     (json_int_t)h->new_lines, "lines", lines);
}

static json_t *size_json(gint64 size)
{
    return size < 0 ? json_null() : json_integer((json_int_t)size);
}

json_t *ds_content_diff_to_json(const ds_content_diff *d)
{
    json_t *o;

    if (!d)
        return json_null();
    o = json_pack("{s:s, s:o, s:o}", "kind", ds_content_diff_kind_name(d->kind),
                  "old_size", size_json(d->old_size), "new_size",
                  size_json(d->new_size));
    if (d->text) {
        json_t *hunks = json_array();

        for (guint i = 0; i < d->text->hunks->len; i++)
            json_array_append_new(
                hunks, hunk_json(g_ptr_array_index(d->text->hunks, i)));
        json_object_set_new(o, "added", json_integer(d->text->added));
        json_object_set_new(o, "removed", json_integer(d->text->removed));
        json_object_set_new(o, "hunks", hunks);
    }
    return o;
}
