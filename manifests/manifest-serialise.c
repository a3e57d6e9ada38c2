/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/manifest-serialise.c: the canonical bytes of a manifest,
 * written directly (sorted keys, 2-space indent, trailing newline). */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "manifests/manifest-private.h"

/* ---- canonical serialisation -------------------------------------------- */

/* The bytes being written.  Appending is inlined: GString's append is a
 * call with checks of its own, and the serialiser makes one for every
 * few bytes (a twentieth of a first record went there). */
typedef struct {
    char *p;
    gsize len, cap;
} out_buf;

static void out_grow(out_buf *o, gsize n)
{
    o->cap = MAX(o->cap * 2, o->len + n);
    o->p = g_realloc(o->p, o->cap);
}

static inline void out_len(out_buf *o, const char *s, gsize n)
{
    if (o->cap - o->len < n)
        out_grow(o, n);
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static inline void out_c(out_buf *o, char c)
{
    if (o->cap == o->len)
        out_grow(o, 1);
    o->p[o->len++] = c;
}

static inline void out_s(out_buf *o, const char *s)
{
    out_len(o, s, strlen(s));
}

/* A JSON string, escaped as jansson's dumper does (UTF-8 kept as is). */
static void put_str(out_buf *g, const char *s)
{
    const char *run = s;

    out_c(g, '"');
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        out_len(g, run, (gsize)(p - run));
        run = p + 1;
        switch (ch) {
        case '"':
            out_s(g, "\\\"");
            break;
        case '\\':
            out_s(g, "\\\\");
            break;
        case '\b':
            out_s(g, "\\b");
            break;
        case '\f':
            out_s(g, "\\f");
            break;
        case '\n':
            out_s(g, "\\n");
            break;
        case '\r':
            out_s(g, "\\r");
            break;
        case '\t':
            out_s(g, "\\t");
            break;
        default: {
            char u[8];

            out_len(g, u, (gsize)g_snprintf(u, sizeof u, "\\u%04X", ch));
            break;
        }
        }
    }
    out_s(g, run);
    out_c(g, '"');
}

static const char spaces[] = "            ";

/* Start a member of an object at `indent`: separator, new line, key. */
static void member(out_buf *g, int *n, int indent, const char *key, bool escape)
{
    if ((*n)++)
        out_c(g, ',');
    out_c(g, '\n');
    out_len(g, spaces, indent);
    if (escape) {
        put_str(g, key);
    } else {
        out_c(g, '"');
        out_s(g, key);
        out_c(g, '"');
    }
    out_s(g, ": ");
}

static void close_obj(out_buf *g, int n, int indent, char bracket)
{
    if (n) {
        out_c(g, '\n');
        out_len(g, spaces, indent);
    }
    out_c(g, bracket);
}

static void put_member_str(out_buf *g, int *n, int indent, const char *key,
                           const char *value)
{
    if (!value)
        return;
    member(g, n, indent, key, false);
    put_str(g, value);
}

static void put_string_array(out_buf *g, GPtrArray *a, int indent)
{
    int n = 0;
    const char *prev = NULL;

    out_c(g, '[');
    for (guint i = 0; a && i < a->len; i++) {
        const char *s = a->pdata[i];
        if (prev && strcmp(prev, s) == 0)
            continue;
        prev = s;
        if (n++)
            out_c(g, ',');
        out_c(g, '\n');
        out_len(g, spaces, indent + 2);
        put_str(g, s);
    }
    close_obj(g, n, indent, ']');
}

/* The array itself when strictly sorted by cmp (copy == NULL), else a
 * sorted copy; adjacent equal keys are duplicates. */
static int sorted_for_output(GPtrArray **view, GPtrArray *a, GCompareFunc cmp,
                             bool strings, const char *origin,
                             const char *section, GError **err)
{
    GPtrArray *copy = NULL;

    *view = a;
    for (guint i = 1; i < a->len; i++) {
        if (cmp(&a->pdata[i - 1], &a->pdata[i]) >= 0) {
            copy = g_ptr_array_sized_new(a->len);
            for (guint j = 0; j < a->len; j++)
                g_ptr_array_add(copy, a->pdata[j]);
            g_ptr_array_sort(copy, cmp);
            *view = copy;
            break;
        }
    }
    if (!copy || strings)
        return 0;
    for (guint i = 1; i < copy->len; i++) {
        if (cmp(&copy->pdata[i - 1], &copy->pdata[i]) == 0) {
            /* every entry type starts with its name */
            const char *k = *(char **)copy->pdata[i];
            g_autoptr(GString) path = g_string_new(section);
            ds_manifest_path_key(path, k, strlen(k));
            g_ptr_array_unref(copy);
            *view = NULL;
            return ds_error_set(err, DS_EINVALID,
                                "%s: %s: listed twice (the manifest is not normalised)",
                                origin, path->str);
        }
    }
    return 0;
}

static void put_pending_map(out_buf *g, int *n, const char *key,
                            GPtrArray *list)
{
    int k = 0;

    if (!list)
        return;
    member(g, n, 2, key, false);
    out_c(g, '{');
    for (guint i = 0; i < list->len; i++) {
        const ds_pending *p = list->pdata[i];
        int e = 0;
        member(g, &k, 4, p->name, true);
        out_c(g, '{');
        if (p->advisories && p->advisories->len) {
            member(g, &e, 6, "advisories", false);
            put_string_array(g, p->advisories, 6);
        }
        put_member_str(g, &e, 6, "origin", p->origin);
        member(g, &e, 6, "security", false);
        out_s(g, p->security ? "true" : "false");
        put_member_str(g, &e, 6, "severity", p->severity);
        put_member_str(g, &e, 6, "suite", p->suite);
        put_member_str(g, &e, 6, "version", p->version);
        close_obj(g, e, 4, '}');
    }
    close_obj(g, k, 2, '}');
}

static void put_name_list(out_buf *g, int *n, const char *key, GPtrArray *list)
{
    if (!list)
        return;
    member(g, n, 2, key, false);
    put_string_array(g, list, 2);
}

/* Sorted views of the selection members (NULL: not collected). */
typedef struct selection_view {
    GPtrArray *pending, *held_back, *holds, *auto_marks;
} selection_view;

/* "files": {PATH: {...}}, the members in key order. */
static void put_files(out_buf *g, int *n, GPtrArray *files)
{
    char mode[8];
    int k = 0;

    member(g, n, 2, "files", false);
    out_c(g, '{');
    for (guint i = 0; i < files->len; i++) {
        const ds_file *f = files->pdata[i];
        int e = 0;
        member(g, &k, 4, f->path, true);
        out_c(g, '{');
        put_member_str(g, &e, 6, "content_ref", f->content_ref);
        put_member_str(g, &e, 6, "group", f->group);
        put_member_str(g, &e, 6, "hmac", f->hmac);
        g_snprintf(mode, sizeof mode, "%04o", f->mode);
        put_member_str(g, &e, 6, "mode", mode);
        put_member_str(g, &e, 6, "owner", f->owner);
        if (f->secret) {
            member(g, &e, 6, "secret", false);
            out_s(g, "true");
        }
        put_member_str(g, &e, 6, "sha256", f->sha256);
        put_member_str(g, &e, 6, "target", f->target);
        if (f->type == DS_FILE_SYMLINK)
            put_member_str(g, &e, 6, "type", "symlink");
        close_obj(g, e, 4, '}');
    }
    close_obj(g, k, 2, '}');
}

static void write_manifest(out_buf *g, const ds_manifest *m, GPtrArray *pkgs,
                           GPtrArray *srcs, GPtrArray *files, GPtrArray *svcs,
                           GPtrArray *kernels, const selection_view *sel)
{
    int n = 0, k;

    out_c(g, '{');
    put_name_list(g, &n, "auto", sel->auto_marks);
    put_member_str(g, &n, 2, "collected_at", m->collected_at);

    member(g, &n, 2, "collector", false);
    out_c(g, '{');
    k = 0;
    put_member_str(g, &k, 4, "transport", m->collector.transport);
    put_member_str(g, &k, 4, "version", m->collector.version);
    close_obj(g, k, 2, '}');

    put_files(g, &n, files);

    put_pending_map(g, &n, "held_back", sel->held_back);
    put_name_list(g, &n, "holds", sel->holds);
    put_member_str(g, &n, 2, "host", m->host);

    member(g, &n, 2, "kernel", false);
    out_c(g, '{');
    k = 0;
    member(g, &k, 4, "installed", false);
    put_string_array(g, kernels, 4);
    put_member_str(g, &k, 4, "running", m->kernel.running);
    close_obj(g, k, 2, '}');

    put_member_str(g, &n, 2, "lists_updated_at", m->lists_updated_at);
    member(g, &n, 2, "os", false);
    out_c(g, '{');
    k = 0;
    put_member_str(g, &k, 4, "id", m->os.id);
    put_member_str(g, &k, 4, "name", m->os.name);
    put_member_str(g, &k, 4, "version", m->os.version);
    close_obj(g, k, 2, '}');

    member(g, &n, 2, "packages", false);
    out_c(g, '{');
    k = 0;
    for (guint i = 0; i < pkgs->len; i++) {
        const ds_package *p = pkgs->pdata[i];
        int e = 0;
        member(g, &k, 4, p->name, true);
        out_c(g, '{');
        put_member_str(g, &e, 6, "arch", p->arch);
        if (p->other_versions && p->other_versions->len) {
            g_autoptr(GPtrArray) sorted = g_ptr_array_new();
            for (guint j = 0; j < p->other_versions->len; j++)
                g_ptr_array_add(sorted, p->other_versions->pdata[j]);
            g_ptr_array_sort(sorted, ds_manifest_cmp_string);
            member(g, &e, 6, "other_versions", false);
            put_string_array(g, sorted, 6);
        }
        put_member_str(g, &e, 6, "source", p->source);
        put_member_str(g, &e, 6, "version", p->version);
        close_obj(g, e, 4, '}');
    }
    close_obj(g, k, 2, '}');

    put_pending_map(g, &n, "pending", sel->pending);
    put_member_str(g, &n, 2, "platform", m->platform);
    member(g, &n, 2, "reboot_required", false);
    out_s(g, m->reboot_required ? "true" : "false");
    put_member_str(g, &n, 2, "role", ds_role_name(m->role));
    /* v1 unless a v2 member is used: old manifests keep their bytes */
    put_member_str(g, &n, 2, "schema",
                   m->platform ? DS_MANIFEST_SCHEMA_V2 : DS_MANIFEST_SCHEMA);

    member(g, &n, 2, "services", false);
    out_c(g, '{');
    k = 0;
    for (guint i = 0; i < svcs->len; i++) {
        const ds_service *s = svcs->pdata[i];
        int e = 0;
        member(g, &k, 4, s->name, true);
        out_c(g, '{');
        put_member_str(g, &e, 6, "active", s->active);
        put_member_str(g, &e, 6, "enabled", s->enabled);
        close_obj(g, e, 4, '}');
    }
    close_obj(g, k, 2, '}');

    member(g, &n, 2, "sources", false);
    put_string_array(g, srcs, 2);
    close_obj(g, n, 0, '}');
    out_c(g, '\n');
}

static void unref_if_copy(GPtrArray *view, GPtrArray *orig)
{
    if (view && view != orig)
        g_ptr_array_unref(view);
}

static int serialise(GBytes **out, const ds_manifest *m, bool check,
                     GError **err)
{
    g_autoptr(GPtrArray) empty = g_ptr_array_new();
    GPtrArray *a_pkgs, *a_srcs, *a_files, *a_svcs, *a_kern;
    GPtrArray *pkgs = NULL, *srcs = NULL, *files = NULL, *svcs = NULL,
              *kern = NULL;
    selection_view sel = {NULL, NULL, NULL, NULL};
    const char *origin;
    out_buf g;
    gsize hint;
    int rc;

    *out = NULL;
    g_return_val_if_fail(m != NULL, DS_EINVALID);
    origin = m->host && ds_name_is_safe_host(m->host) ? m->host : "manifest";
    if (check && (rc = ds_manifest_check(m, origin, err)) < 0)
        return rc;
    a_pkgs = m->packages ? m->packages : empty;
    a_srcs = m->sources ? m->sources : empty;
    a_files = m->files ? m->files : empty;
    a_svcs = m->services ? m->services : empty;
    a_kern = m->kernel.installed ? m->kernel.installed : empty;
    if ((rc = sorted_for_output(&pkgs, a_pkgs, ds_manifest_cmp_package, false,
                                origin, "packages", err)) < 0 ||
        (rc = sorted_for_output(&files, a_files, ds_manifest_cmp_file, false,
                                origin, "files", err)) < 0 ||
        (rc = sorted_for_output(&svcs, a_svcs, ds_manifest_cmp_service, false,
                                origin, "services", err)) < 0 ||
        (rc = sorted_for_output(&srcs, a_srcs, ds_manifest_cmp_string, true,
                                origin, "sources", err)) < 0 ||
        (rc = sorted_for_output(&kern, a_kern, ds_manifest_cmp_string, true,
                                origin, "kernel.installed", err)) < 0 ||
        (m->pending &&
         (rc = sorted_for_output(&sel.pending, m->pending,
                                 ds_manifest_cmp_pending, false, origin,
                                 "pending", err)) < 0) ||
        (m->held_back &&
         (rc = sorted_for_output(&sel.held_back, m->held_back,
                                 ds_manifest_cmp_pending, false, origin,
                                 "held_back", err)) < 0) ||
        (m->holds &&
         (rc = sorted_for_output(&sel.holds, m->holds, ds_manifest_cmp_string,
                                 true, origin, "holds", err)) < 0) ||
        (m->auto_marks &&
         (rc = sorted_for_output(&sel.auto_marks, m->auto_marks,
                                 ds_manifest_cmp_string, true, origin, "auto",
                                 err)) < 0))
        goto done;

    hint = 1024 + pkgs->len * 120 + files->len * 320 + svcs->len * 96 +
           srcs->len * 128 + kern->len * 48;
    g.p = g_malloc(hint);
    g.len = 0;
    g.cap = hint;
    write_manifest(&g, m, pkgs, srcs, files, svcs, kern, &sel);
    /* NUL-terminated past its size, as GString's bytes were: readers may
     * take them as a string */
    out_c(&g, '\0');
    *out = g_bytes_new_take(g.p, g.len - 1);
    rc = 0;
done:
    unref_if_copy(pkgs, a_pkgs);
    unref_if_copy(srcs, a_srcs);
    unref_if_copy(files, a_files);
    unref_if_copy(svcs, a_svcs);
    unref_if_copy(kern, a_kern);
    unref_if_copy(sel.pending, m->pending);
    unref_if_copy(sel.held_back, m->held_back);
    unref_if_copy(sel.holds, m->holds);
    unref_if_copy(sel.auto_marks, m->auto_marks);
    return rc;
}

int ds_manifest_serialise(GBytes **out, const ds_manifest *m, GError **err)
{
    return serialise(out, m, true, err);
}

int ds_manifest_serialise_checked(GBytes **out, const ds_manifest *m,
                                  GError **err)
{
    return serialise(out, m, false, err);
}
