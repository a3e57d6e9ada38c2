/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/diff.c: the semantic diff of two manifests: a merge walk over
 * their sorted lists that yields typed changes, after ignore rules. */
#include <config.h>

#include <string.h>

#include "manifests/diff.h"
#include "manifests/diff-private.h"
#include "manifests/util/error.h"
#include "manifests/version.h"

/* Values carried by each kind of change (old_value / new_value):
 *   package-installed/removed     the version on the side that has it
 *   package-upgraded/downgraded   both versions
 *   package-changed               "VERSION ARCH [SOURCE]" on each side,
 *                                 fields arch and source where they differ
 *   source-added/removed          the line on the side that has it
 *   file-added/removed            ds_file_summary on the side that has it
 *   file-changed                  ds_file_summary on each side, file_bits,
 *                                 and a field per attribute that differs
 *                                 (content: sha256 each side, NULL values
 *                                 when secret; mode "0644"; owner; group;
 *                                 type "regular"/"symlink"; target)
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
    if (c->fields)
        g_ptr_array_unref(c->fields);
    g_free(c);
}

static void field_free(ds_change_field *f)
{
    if (!f)
        return;
    g_free(f->old_value);
    g_free(f->new_value);
    g_free(f);
}

ds_change_field *ds_change_add_field(ds_change *c, const char *name,
                                     const char *old_value,
                                     const char *new_value)
{
    ds_change_field *f = g_new0(ds_change_field, 1);

    if (!c->fields)
        c->fields = g_ptr_array_new_with_free_func((GDestroyNotify)field_free);
    f->name = name;
    f->old_value = g_strdup(old_value);
    f->new_value = g_strdup(new_value);
    g_ptr_array_add(c->fields, f);
    return f;
}

const ds_change_field *ds_change_field_get(const ds_change *c,
                                           const char *name)
{
    for (guint i = 0; c && c->fields && i < c->fields->len; i++) {
        const ds_change_field *f = g_ptr_array_index(c->fields, i);

        if (strcmp(f->name, name) == 0)
            return f;
    }
    return NULL;
}

typedef struct {
    GPtrArray *out;
    const ds_ignore *ignore;
    bool rpm; /* both sides rpm hosts: rpm's version order */
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
static ds_change *emit_take(diff_ctx *ctx, ds_change_kind kind, ds_category cat,
                      const char *name, char *old_value, char *new_value)
{
    ds_change *c = emit(ctx, kind, cat, name, NULL, NULL);

    c->old_value = old_value;
    c->new_value = new_value;
    return c;
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

/* rpm: the other installed versions (kernels), sorted lists. */
static bool versions_equal(GPtrArray *a, GPtrArray *b)
{
    guint la = a ? a->len : 0, lb = b ? b->len : 0;

    if (la != lb)
        return false;
    for (guint i = 0; i < la; i++)
        if (strcmp(a->pdata[i], b->pdata[i]) != 0)
            return false;
    return true;
}

static char *join_versions(GPtrArray *a)
{
    g_autoptr(GString) g = g_string_new(NULL);

    for (guint i = 0; a && i < a->len; i++)
        g_string_append_printf(g, "%s%s", i ? " " : "",
                               (const char *)a->pdata[i]);
    return g_string_free(g_steal_pointer(&g), FALSE);
}

/* Same version, another arch: a reinstall, with the fields that differ. */
static void package_changed(diff_ctx *ctx, const char *name,
                            const ds_package *a, const ds_package *b)
{
    ds_change *c = emit(ctx, DS_CHANGE_PACKAGE_CHANGED, DS_CAT_PACKAGES, name,
                        NULL, NULL);

    c->old_value = package_label(a);
    c->new_value = package_label(b);
    if (g_strcmp0(a->arch, b->arch) != 0)
        ds_change_add_field(c, "arch", a->arch, b->arch);
    if (g_strcmp0(a->source, b->source) != 0)
        ds_change_add_field(c, "source", a->source, b->source);
    if (!versions_equal(a->other_versions, b->other_versions)) {
        g_autofree char *o = join_versions(a->other_versions);
        g_autofree char *n = join_versions(b->other_versions);
        ds_change_add_field(c, "other_versions", o, n);
    }
}

static void package_pair(diff_ctx *ctx, gconstpointer pa, gconstpointer pb)
{
    const ds_package *a = pa, *b = pb;
    const char *name = package_key(a ? pa : pb);
    int rc;

    if (a && b) {
        if (g_strcmp0(a->version, b->version) == 0)
            rc = 0;
        else if (ctx->rpm)
            rc = ds_rpm_evr_compare(a->version, b->version);
        else
            rc = ds_version_compare(a->version, b->version);
        /* The source (the archive apt finds the version in) follows each
         * host's lists: not drift by itself. */
        if (rc == 0 && g_strcmp0(a->arch, b->arch) == 0 &&
            versions_equal(a->other_versions, b->other_versions))
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
        package_changed(ctx, name, a, b);
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
         DS_CAT_SOURCES, line, a ? line : NULL, a ? NULL : line);
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

static const char *file_type_name(ds_file_type t)
{
    return t == DS_FILE_SYMLINK ? "symlink" : "regular";
}

char *ds_file_summary(const ds_file *f)
{
    if (!f)
        return NULL;
    if (f->type == DS_FILE_SYMLINK)
        return g_strdup_printf("symlink -> %s", f->target ? f->target : "");
    return g_strdup_printf("%04o %s:%s%s", f->mode, f->owner ? f->owner : "?",
                           f->group ? f->group : "?",
                           f->secret ? " secret" : "");
}

/* The fields of a file-changed, in the order of the DS_FILE_DIFF_ bits.
 * Secret content has no value: only that its keyed HMAC differs. */
static void file_fields(ds_change *c, const ds_file *a, const ds_file *b)
{
    if (c->file_bits & DS_FILE_DIFF_CONTENT)
        ds_change_add_field(c, "content", c->secret ? NULL : a->sha256,
                            c->secret ? NULL : b->sha256);
    if (c->file_bits & DS_FILE_DIFF_MODE) {
        g_autofree char *ma = g_strdup_printf("%04o", a->mode);
        g_autofree char *mb = g_strdup_printf("%04o", b->mode);

        ds_change_add_field(c, "mode", ma, mb);
    }
    if (c->file_bits & DS_FILE_DIFF_OWNER)
        ds_change_add_field(c, "owner", a->owner, b->owner);
    if (c->file_bits & DS_FILE_DIFF_GROUP)
        ds_change_add_field(c, "group", a->group, b->group);
    if (a->type != b->type)
        ds_change_add_field(c, "type", file_type_name(a->type),
                            file_type_name(b->type));
    if (g_strcmp0(a->target, b->target) != 0)
        ds_change_add_field(c, "target", a->target, b->target);
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
    if (!b) {
        emit_take(ctx, DS_CHANGE_FILE_REMOVED, DS_CAT_FILES, path,
                  ds_file_summary(a), NULL)->secret = a->secret;
    } else if (!a) {
        emit_take(ctx, DS_CHANGE_FILE_ADDED, DS_CAT_FILES, path, NULL,
                  ds_file_summary(b))->secret = b->secret;
    } else {
        ds_change *c = emit_take(ctx, DS_CHANGE_FILE_CHANGED, DS_CAT_FILES,
                                 path, ds_file_summary(a), ds_file_summary(b));

        c->file_bits = bits;
        c->secret = a->secret || b->secret;
        file_fields(c, a, b);
    }
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
    ctx.rpm = ds_manifest_is_rpm(from) || ds_manifest_is_rpm(to);
    walk(&ctx, from->packages, to->packages, package_key, package_pair);
    ds_diff_selection(ctx.out, from, to, ignore);
    walk(&ctx, from->sources, to->sources, string_key, source_pair);
    walk(&ctx, from->files, to->files, file_key, file_pair);
    walk(&ctx, from->services, to->services, service_key, service_pair);
    host_pair(&ctx, from, to);
    *out = ctx.out;
    return 0;
}
