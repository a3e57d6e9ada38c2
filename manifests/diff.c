/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/diff.c: the semantic diff of two manifests: a merge walk over
 * their sorted lists that yields typed changes, after ignore rules. */
#include <config.h>

#include <string.h>

#include <jansson.h>

#include "manifests/diff.h"
#include "manifests/diff-private.h"
#include "manifests/util/error.h"
#include "manifests/version.h"

/* Values carried by each kind of change (old_value / new_value):
 *   package-installed/removed     the version on the side that has it
 *   package-upgraded/downgraded   both versions
 *   package-changed               "VERSION ARCH [SOURCE]" on each side
 *   source-*, file-*              none (file-changed: file_bits)
 *   service-added/removed         "ENABLED/ACTIVE" on the side that has it
 *   service-enabled/disabled      the enablement states
 *   service-started/stopped       the activity states
 *   kernel-changed                the running kernels (NULL: unknown)
 *   reboot-required-changed       "false" / "true"
 *   os-changed                    "ID VERSION_ID" (or PRETTY_NAME)
 *   hold-changed                  "held" / "unheld"
 *   mark-changed                  "auto" / "manual"
 *
 * Ignore rules: each entry by its name in its category; a kernel change
 * when both running kernels match the kernel patterns; a change of
 * reboot_required when "reboot-required" matches them.  The os is never
 * ignored. */

static const char *const kind_names[] = {
    [DS_CHANGE_PACKAGE_INSTALLED] = "package-installed",
    [DS_CHANGE_PACKAGE_UPGRADED] = "package-upgraded",
    [DS_CHANGE_PACKAGE_DOWNGRADED] = "package-downgraded",
    [DS_CHANGE_PACKAGE_REMOVED] = "package-removed",
    [DS_CHANGE_PACKAGE_CHANGED] = "package-changed",
    [DS_CHANGE_SOURCE_ADDED] = "source-added",
    [DS_CHANGE_SOURCE_REMOVED] = "source-removed",
    [DS_CHANGE_FILE_ADDED] = "file-added",
    [DS_CHANGE_FILE_CHANGED] = "file-changed",
    [DS_CHANGE_FILE_REMOVED] = "file-removed",
    [DS_CHANGE_SERVICE_ADDED] = "service-added",
    [DS_CHANGE_SERVICE_REMOVED] = "service-removed",
    [DS_CHANGE_SERVICE_ENABLED] = "service-enabled",
    [DS_CHANGE_SERVICE_DISABLED] = "service-disabled",
    [DS_CHANGE_SERVICE_STARTED] = "service-started",
    [DS_CHANGE_SERVICE_STOPPED] = "service-stopped",
    [DS_CHANGE_KERNEL_CHANGED] = "kernel-changed",
    [DS_CHANGE_REBOOT_REQUIRED_CHANGED] = "reboot-required-changed",
    [DS_CHANGE_OS_CHANGED] = "os-changed",
    [DS_CHANGE_HOLD_CHANGED] = "hold-changed",
    [DS_CHANGE_MARK_CHANGED] = "mark-changed",
};

static const char *const file_bit_names[] = {"content", "mode", "owner",
                                             "group", "type"};

const char *ds_change_kind_name(ds_change_kind kind)
{
    if ((int)kind < 0 || (gsize)kind >= G_N_ELEMENTS(kind_names))
        return "unknown";
    return kind_names[kind];
}

void ds_change_free(ds_change *c)
{
    if (!c)
        return;
    g_free(c->name);
    g_free(c->old_value);
    g_free(c->new_value);
    g_free(c);
}

typedef struct {
    GPtrArray *out;
    const ds_ignore *ignore;
} diff_ctx;

/* Append a change; old/new are copied; returns it for the caller to add
 * file bits. */
static ds_change *emit(diff_ctx *ctx, ds_change_kind kind, ds_category cat,
                       const char *name, const char *old_value,
                       const char *new_value)
{
    ds_change *c = g_new0(ds_change, 1);

    c->kind = kind;
    c->category = cat;
    c->name = g_strdup(name);
    c->old_value = g_strdup(old_value);
    c->new_value = g_strdup(new_value);
    g_ptr_array_add(ctx->out, c);
    return c;
}

/* Like emit, taking ownership of already allocated values. */
static void emit_take(diff_ctx *ctx, ds_change_kind kind, ds_category cat,
                      const char *name, char *old_value, char *new_value)
{
    ds_change *c = emit(ctx, kind, cat, name, NULL, NULL);

    c->old_value = old_value;
    c->new_value = new_value;
}

/* ---- the merge walk ---- */

typedef const char *(*key_fn)(gconstpointer elem);
/* Called with (from, to), either NULL when only one side has the key. */
typedef void (*pair_fn)(diff_ctx *ctx, gconstpointer a, gconstpointer b);

static int cmp_by_key(gconstpointer a, gconstpointer b, gpointer key)
{
    key_fn k = (key_fn)key;

    return strcmp(k(*(gconstpointer const *)a), k(*(gconstpointer const *)b));
}

/* The list itself when sorted (the normal case, from a normalised
 * manifest), else a sorted shallow copy kept in *tmp. */
static GPtrArray *sorted_view(GPtrArray *list, key_fn key, GPtrArray **tmp)
{
    if (!list)
        return NULL;
    for (guint i = 1; i < list->len; i++) {
        if (strcmp(key(list->pdata[i - 1]), key(list->pdata[i])) > 0) {
            /* A shallow copy: it must not free the elements. */
            *tmp = g_ptr_array_copy(list, NULL, NULL);
            g_ptr_array_set_free_func(*tmp, NULL);
            g_ptr_array_sort_with_data(*tmp, cmp_by_key, (gpointer)key);
            return *tmp;
        }
    }
    return list;
}

static void walk(diff_ctx *ctx, GPtrArray *from, GPtrArray *to, key_fn key,
                 pair_fn fn)
{
    g_autoptr(GPtrArray) ftmp = NULL;
    g_autoptr(GPtrArray) ttmp = NULL;
    GPtrArray *f = sorted_view(from, key, &ftmp);
    GPtrArray *t = sorted_view(to, key, &ttmp);
    guint i = 0, j = 0, nf = f ? f->len : 0, nt = t ? t->len : 0;

    while (i < nf || j < nt) {
        int c;

        if (i == nf)
            c = 1;
        else if (j == nt)
            c = -1;
        else
            c = strcmp(key(f->pdata[i]), key(t->pdata[j]));
        if (c < 0)
            fn(ctx, f->pdata[i++], NULL);
        else if (c > 0)
            fn(ctx, NULL, t->pdata[j++]);
        else
            fn(ctx, f->pdata[i++], t->pdata[j++]);
    }
}

/* ---- packages ---- */

static const char *package_key(gconstpointer p)
{
    const char *n = ((const ds_package *)p)->name;
    return n ? n : "";
}

static char *package_label(const ds_package *p)
{
    return g_strdup_printf("%s %s%s%s", p->version ? p->version : "",
                           p->arch ? p->arch : "", p->source ? " " : "",
                           p->source ? p->source : "");
}

static void package_pair(diff_ctx *ctx, gconstpointer pa, gconstpointer pb)
{
    const ds_package *a = pa, *b = pb;
    const char *name = package_key(a ? pa : pb);
    int rc;

    if (a && b) {
        if (g_strcmp0(a->version, b->version) == 0)
            rc = 0;
        else
            rc = ds_version_compare(a->version, b->version);
        /* The source (the archive apt finds the version in) follows each
         * host's lists: not drift by itself. */
        if (rc == 0 && g_strcmp0(a->arch, b->arch) == 0)
            return;
    }
    if (ds_ignore_match(ctx->ignore, DS_CAT_PACKAGES, name))
        return;
    if (!b)
        emit(ctx, DS_CHANGE_PACKAGE_REMOVED, DS_CAT_PACKAGES, name, a->version,
             NULL);
    else if (!a)
        emit(ctx, DS_CHANGE_PACKAGE_INSTALLED, DS_CAT_PACKAGES, name, NULL,
             b->version);
    else if (rc != 0)
        emit(ctx,
             rc < 0 ? DS_CHANGE_PACKAGE_UPGRADED : DS_CHANGE_PACKAGE_DOWNGRADED,
             DS_CAT_PACKAGES, name, a->version, b->version);
    else
        emit_take(ctx, DS_CHANGE_PACKAGE_CHANGED, DS_CAT_PACKAGES, name,
                  package_label(a), package_label(b));
}

/* ---- sources ---- */

static const char *string_key(gconstpointer s)
{
    return s ? s : "";
}

static void source_pair(diff_ctx *ctx, gconstpointer a, gconstpointer b)
{
    const char *line = string_key(a ? a : b);

    if (a && b)
        return;
    if (ds_ignore_match(ctx->ignore, DS_CAT_SOURCES, line))
        return;
    emit(ctx, a ? DS_CHANGE_SOURCE_REMOVED : DS_CHANGE_SOURCE_ADDED,
         DS_CAT_SOURCES, line, NULL, NULL);
}

/* ---- files ---- */

static const char *file_key(gconstpointer f)
{
    const char *p = ((const ds_file *)f)->path;
    return p ? p : "";
}

static guint file_diff_bits(const ds_file *a, const ds_file *b)
{
    guint bits = 0;

    if (a->secret || b->secret) {
        /* Secret content is known by its keyed HMAC only. */
        if (a->secret != b->secret || g_strcmp0(a->hmac, b->hmac) != 0)
            bits |= DS_FILE_DIFF_CONTENT;
    } else if (g_strcmp0(a->sha256, b->sha256) != 0) {
        bits |= DS_FILE_DIFF_CONTENT;
    }
    if (a->mode != b->mode)
        bits |= DS_FILE_DIFF_MODE;
    if (g_strcmp0(a->owner, b->owner) != 0)
        bits |= DS_FILE_DIFF_OWNER;
    if (g_strcmp0(a->group, b->group) != 0)
        bits |= DS_FILE_DIFF_GROUP;
    if (a->type != b->type || g_strcmp0(a->target, b->target) != 0)
        bits |= DS_FILE_DIFF_TYPE;
    return bits;
}

static void file_pair(diff_ctx *ctx, gconstpointer pa, gconstpointer pb)
{
    const ds_file *a = pa, *b = pb;
    const char *path = file_key(a ? pa : pb);
    guint bits = 0;

    if (a && b && !(bits = file_diff_bits(a, b)))
        return;
    if (ds_ignore_match(ctx->ignore, DS_CAT_FILES, path))
        return;
    if (!b)
        emit(ctx, DS_CHANGE_FILE_REMOVED, DS_CAT_FILES, path, NULL, NULL);
    else if (!a)
        emit(ctx, DS_CHANGE_FILE_ADDED, DS_CAT_FILES, path, NULL, NULL);
    else
        emit(ctx, DS_CHANGE_FILE_CHANGED, DS_CAT_FILES, path, NULL, NULL)
            ->file_bits = bits;
}

/* ---- services ---- */

static const char *service_key(gconstpointer s)
{
    const char *n = ((const ds_service *)s)->name;
    return n ? n : "";
}

static char *service_label(const ds_service *s)
{
    return g_strdup_printf("%s/%s", s->enabled ? s->enabled : "unknown",
                           s->active ? s->active : "unknown");
}

static void service_pair(diff_ctx *ctx, gconstpointer pa, gconstpointer pb)
{
    const ds_service *a = pa, *b = pb;
    const char *name = service_key(a ? pa : pb);
    bool enabled_differs, active_differs;

    if (a && b) {
        enabled_differs = g_strcmp0(a->enabled, b->enabled) != 0;
        active_differs = g_strcmp0(a->active, b->active) != 0;
        if (!enabled_differs && !active_differs)
            return;
    }
    if (ds_ignore_match(ctx->ignore, DS_CAT_SERVICES, name))
        return;
    if (!b) {
        emit_take(ctx, DS_CHANGE_SERVICE_REMOVED, DS_CAT_SERVICES, name,
                  service_label(a), NULL);
        return;
    }
    if (!a) {
        emit_take(ctx, DS_CHANGE_SERVICE_ADDED, DS_CAT_SERVICES, name, NULL,
                  service_label(b));
        return;
    }
    if (enabled_differs)
        emit(ctx,
             g_strcmp0(b->enabled, "enabled") == 0 ? DS_CHANGE_SERVICE_ENABLED
                                                   : DS_CHANGE_SERVICE_DISABLED,
             DS_CAT_SERVICES, name, a->enabled, b->enabled);
    if (active_differs)
        emit(ctx,
             g_strcmp0(b->active, "active") == 0 ? DS_CHANGE_SERVICE_STARTED
                                                 : DS_CHANGE_SERVICE_STOPPED,
             DS_CAT_SERVICES, name, a->active, b->active);
}

/* ---- kernel, os, reboot ---- */

static char *os_label(const ds_manifest *m)
{
    if (m->os.id || m->os.version)
        return g_strdup_printf("%s%s%s", m->os.id ? m->os.id : "",
                               m->os.id && m->os.version ? " " : "",
                               m->os.version ? m->os.version : "");
    return g_strdup(m->os.name);
}

static void host_pair(diff_ctx *ctx, const ds_manifest *a, const ds_manifest *b)
{
    const char *ka = a->kernel.running, *kb = b->kernel.running;

    /* In name order: "kernel", "os", "reboot-required". */
    if (g_strcmp0(ka, kb) != 0 &&
        !((!ka || ds_ignore_match(ctx->ignore, DS_CAT_KERNEL, ka)) &&
          (!kb || ds_ignore_match(ctx->ignore, DS_CAT_KERNEL, kb))))
        emit(ctx, DS_CHANGE_KERNEL_CHANGED, DS_CAT_KERNEL, "kernel", ka, kb);
    if (g_strcmp0(a->os.id, b->os.id) != 0 ||
        g_strcmp0(a->os.version, b->os.version) != 0 ||
        g_strcmp0(a->os.name, b->os.name) != 0) {
        char *la = os_label(a), *lb = os_label(b);

        if (g_strcmp0(la, lb) == 0) {
            g_free(la);
            g_free(lb);
            la = g_strdup(a->os.name);
            lb = g_strdup(b->os.name);
        }
        emit_take(ctx, DS_CHANGE_OS_CHANGED, DS_CAT_KERNEL, "os", la, lb);
    }
    if (a->reboot_required != b->reboot_required &&
        !ds_ignore_match(ctx->ignore, DS_CAT_KERNEL, "reboot-required"))
        emit(ctx, DS_CHANGE_REBOOT_REQUIRED_CHANGED, DS_CAT_KERNEL,
             "reboot-required", a->reboot_required ? "true" : "false",
             b->reboot_required ? "true" : "false");
}

int ds_manifest_diff(GPtrArray **out, const ds_manifest *from,
                     const ds_manifest *to, const ds_ignore *ignore,
                     GError **err)
{
    static const ds_manifest empty; /* a host with nothing: all NULL */
    diff_ctx ctx;

    if (!out)
        return ds_error_set(err, DS_EINVALID, "diff: no place for the result");
    *out = NULL;
    if (!from)
        from = &empty;
    if (!to)
        to = &empty;
    ctx.out = g_ptr_array_new_with_free_func((GDestroyNotify)ds_change_free);
    ctx.ignore = ignore;
    walk(&ctx, from->packages, to->packages, package_key, package_pair);
    ds_diff_selection(ctx.out, from, to, ignore);
    walk(&ctx, from->sources, to->sources, string_key, source_pair);
    walk(&ctx, from->files, to->files, file_key, file_pair);
    walk(&ctx, from->services, to->services, service_key, service_pair);
    host_pair(&ctx, from, to);
    *out = ctx.out;
    return 0;
}

/* ---- presentation ---- */

static void append_file_bits(GString *s, guint bits)
{
    bool first = true;

    for (gsize i = 0; i < G_N_ELEMENTS(file_bit_names); i++) {
        if (!(bits & (1u << i)))
            continue;
        g_string_append(s, first ? "" : ", ");
        g_string_append(s, file_bit_names[i]);
        first = false;
    }
}

/* "arch amd64 -> i386, source A -> B" from two package-changed labels. */
static void append_package_changes(GString *s, const char *old_label,
                                   const char *new_label)
{
    static const char *const what[] = {"version", "arch", "source"};
    g_auto(GStrv) a = g_strsplit(old_label ? old_label : "", " ", 3);
    g_auto(GStrv) b = g_strsplit(new_label ? new_label : "", " ", 3);
    guint na = g_strv_length(a), nb = g_strv_length(b);
    bool first = true;

    for (guint i = 1; i < 3; i++) {
        const char *x = i < na ? a[i] : "(none)";
        const char *y = i < nb ? b[i] : "(none)";
        if (strcmp(x, y) == 0)
            continue;
        g_string_append_printf(s, "%s%s %s -> %s", first ? "" : ", ", what[i],
                               x, y);
        first = false;
    }
}

static const char *or_none(const char *s)
{
    return s ? s : "(none)";
}

char *ds_change_describe(const ds_change *c)
{
    GString *s;
    const char *n, *o, *v;

    if (!c)
        return g_strdup("");
    s = g_string_new(NULL);
    n = c->name ? c->name : "";
    o = c->old_value;
    v = c->new_value;

    switch (c->kind) {
    case DS_CHANGE_PACKAGE_INSTALLED:
        g_string_printf(s, "%s %s installed", n, or_none(v));
        break;
    case DS_CHANGE_PACKAGE_UPGRADED:
        g_string_printf(s, "%s %s -> %s", n, or_none(o), or_none(v));
        break;
    case DS_CHANGE_PACKAGE_DOWNGRADED:
        g_string_printf(s, "%s %s -> %s (downgrade)", n, or_none(o),
                        or_none(v));
        break;
    case DS_CHANGE_PACKAGE_REMOVED:
        g_string_printf(s, "%s %s removed", n, or_none(o));
        break;
    case DS_CHANGE_PACKAGE_CHANGED: {
        g_autofree char *version =
            g_strndup(o ? o : "", strcspn(o ? o : "", " "));
        g_string_printf(s, "%s %s changed (", n, version);
        append_package_changes(s, o, v);
        g_string_append_c(s, ')');
        break;
    }
    case DS_CHANGE_SOURCE_ADDED:
        g_string_printf(s, "source added: %s", n);
        break;
    case DS_CHANGE_SOURCE_REMOVED:
        g_string_printf(s, "source removed: %s", n);
        break;
    case DS_CHANGE_FILE_ADDED:
        g_string_printf(s, "%s added", n);
        break;
    case DS_CHANGE_FILE_REMOVED:
        g_string_printf(s, "%s removed", n);
        break;
    case DS_CHANGE_FILE_CHANGED:
        g_string_printf(s, "%s changed (", n);
        append_file_bits(s, c->file_bits);
        g_string_append_c(s, ')');
        break;
    case DS_CHANGE_SERVICE_ADDED:
        g_string_printf(s, "%s added (%s)", n, or_none(v));
        break;
    case DS_CHANGE_SERVICE_REMOVED:
        g_string_printf(s, "%s removed", n);
        break;
    case DS_CHANGE_SERVICE_ENABLED:
    case DS_CHANGE_SERVICE_STARTED:
        g_string_printf(s, "%s %s", n,
                        c->kind == DS_CHANGE_SERVICE_ENABLED ? "enabled"
                                                             : "started");
        break;
    case DS_CHANGE_SERVICE_DISABLED:
    case DS_CHANGE_SERVICE_STOPPED: {
        const char *plain =
            c->kind == DS_CHANGE_SERVICE_DISABLED ? "disabled" : "inactive";
        if (g_strcmp0(v, plain) == 0)
            g_string_printf(s, "%s %s", n,
                            c->kind == DS_CHANGE_SERVICE_DISABLED ? "disabled"
                                                                  : "stopped");
        else
            g_string_printf(s, "%s %s (was %s)", n, or_none(v), or_none(o));
        break;
    }
    case DS_CHANGE_KERNEL_CHANGED:
        g_string_printf(s, "kernel %s -> %s", or_none(o), or_none(v));
        break;
    case DS_CHANGE_REBOOT_REQUIRED_CHANGED:
        g_string_assign(s, g_strcmp0(v, "true") == 0
                               ? "reboot now required"
                               : "reboot no longer required");
        break;
    case DS_CHANGE_OS_CHANGED:
        g_string_printf(s, "os %s -> %s", or_none(o), or_none(v));
        break;
    case DS_CHANGE_HOLD_CHANGED:
        g_string_printf(s, "%s %s", n,
                        g_strcmp0(v, "held") == 0 ? "held" : "no longer held");
        break;
    case DS_CHANGE_MARK_CHANGED:
        g_string_printf(s, "%s marked %s", n, or_none(v));
        break;
    default:
        g_string_printf(s, "%s changed", n);
        break;
    }
    return g_string_free(s, FALSE);
}

/* A JSON string (invalid UTF-8 repaired), or null. */
static json_t *string_or_null(const char *s)
{
    json_t *j;

    if (!s)
        return json_null();
    j = json_string(s);
    if (!j) {
        g_autofree char *valid = g_utf8_make_valid(s, -1);
        j = json_string(valid);
    }
    return j;
}

json_t *ds_change_to_json(const ds_change *c)
{
    json_t *o;

    if (!c)
        return json_null();
    o = json_object();
    json_object_set_new(o, "kind", json_string(ds_change_kind_name(c->kind)));
    json_object_set_new(o, "category",
                        json_string(ds_category_name(c->category)));
    json_object_set_new(o, "name", string_or_null(c->name));
    json_object_set_new(o, "old", string_or_null(c->old_value));
    json_object_set_new(o, "new", string_or_null(c->new_value));
    if (c->kind == DS_CHANGE_FILE_CHANGED) {
        json_t *bits = json_array();
        for (gsize i = 0; i < G_N_ELEMENTS(file_bit_names); i++)
            if (c->file_bits & (1u << i))
                json_array_append_new(bits, json_string(file_bit_names[i]));
        json_object_set_new(o, "changed", bits);
    }
    return o;
}
