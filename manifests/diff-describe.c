/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/diff-describe.c: changes as people and programs read them: one
 * phrase per change, in time ("openssl upgraded 1.0 -> 1.1") or between
 * two sides ("openssl: web01 has 1.0, db01 has 1.1", "the lab lacks
 * nginx 1.22"), and the JSON object of a change.  Secret content is never
 * in a phrase: only that it differs. */
#include <config.h>

#include <string.h>

#include <jansson.h>

#include "manifests/diff.h"

static const char *const file_bit_names[] = {"content", "mode", "owner",
                                             "group", "type"};

static const char *or_none(const char *s)
{
    return s ? s : "(none)";
}

/* ---- a change in time ---- */

/* ", " before every item but the first. */
static void sep(GString *s, bool *first, const char *between)
{
    if (!*first)
        g_string_append(s, between);
    *first = false;
}

/* Content is named only (its lines are a content diff's business); the
 * other attributes with both values.  A change built without fields (by
 * hand) names its bits only. */
static void append_file_fields(GString *s, const ds_change *c)
{
    bool first = true;

    for (gsize i = 0; i < G_N_ELEMENTS(file_bit_names); i++) {
        const char *bit = file_bit_names[i];
        const ds_change_field *f;

        if (!(c->file_bits & (1u << i)))
            continue;
        sep(s, &first, ", ");
        if (i == 0) {
            g_string_append(s, c->secret ? "secret content" : "content");
            continue;
        }
        if (i == 4) { /* type: the type, the symlink target or both */
            const ds_change_field *t = ds_change_field_get(c, "target");

            f = ds_change_field_get(c, "type");
            if (!f && !t)
                g_string_append(s, bit);
            if (f)
                g_string_append_printf(s, "type %s -> %s",
                                       or_none(f->old_value),
                                       or_none(f->new_value));
            if (f && t)
                g_string_append(s, ", ");
            if (t)
                g_string_append_printf(s, "target %s -> %s",
                                       or_none(t->old_value),
                                       or_none(t->new_value));
            continue;
        }
        f = ds_change_field_get(c, bit);
        if (f)
            g_string_append_printf(s, "%s %s -> %s", bit, or_none(f->old_value),
                                   or_none(f->new_value));
        else
            g_string_append(s, bit);
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
        sep(s, &first, ", ");
        g_string_append_printf(s, "%s %s -> %s", what[i], x, y);
    }
}

/* The version in a package-changed label ("1.0-1 amd64"). */
static char *label_version(const char *label)
{
    return g_strndup(label ? label : "", strcspn(label ? label : "", " "));
}

static void describe_service(GString *s, const ds_change *c)
{
    static const char *const plain[] = {
        [DS_CHANGE_SERVICE_ENABLED] = "enabled",
        [DS_CHANGE_SERVICE_DISABLED] = "disabled",
        [DS_CHANGE_SERVICE_STARTED] = "active",
        [DS_CHANGE_SERVICE_STOPPED] = "inactive",
    };
    static const char *const word[] = {
        [DS_CHANGE_SERVICE_ENABLED] = "enabled",
        [DS_CHANGE_SERVICE_DISABLED] = "disabled",
        [DS_CHANGE_SERVICE_STARTED] = "started",
        [DS_CHANGE_SERVICE_STOPPED] = "stopped",
    };
    const char *v = c->new_value;

    /* "disabled", "stopped"; a state with its own name says it: "masked" */
    g_string_printf(s, "%s %s (was %s)", c->name ? c->name : "",
                    g_strcmp0(v, plain[c->kind]) == 0 || !v ? word[c->kind] : v,
                    or_none(c->old_value));
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
        g_string_printf(s, "%s upgraded %s -> %s", n, or_none(o), or_none(v));
        break;
    case DS_CHANGE_PACKAGE_DOWNGRADED:
        g_string_printf(s, "%s downgraded %s -> %s", n, or_none(o), or_none(v));
        break;
    case DS_CHANGE_PACKAGE_REMOVED:
        g_string_printf(s, "%s %s removed", n, or_none(o));
        break;
    case DS_CHANGE_PACKAGE_CHANGED: {
        g_autofree char *version = label_version(o);

        g_string_printf(s, "%s %s reinstalled (", n, version);
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
        if (v)
            g_string_append_printf(s, " (%s)", v);
        break;
    case DS_CHANGE_FILE_REMOVED:
        g_string_printf(s, "%s removed", n);
        if (o)
            g_string_append_printf(s, " (was %s)", o);
        break;
    case DS_CHANGE_FILE_CHANGED:
        g_string_printf(s, "%s changed (", n);
        append_file_fields(s, c);
        g_string_append_c(s, ')');
        break;
    case DS_CHANGE_SERVICE_ADDED:
        g_string_printf(s, "%s added (%s)", n, or_none(v));
        break;
    case DS_CHANGE_SERVICE_REMOVED:
        g_string_printf(s, "%s removed", n);
        if (o)
            g_string_append_printf(s, " (was %s)", o);
        break;
    case DS_CHANGE_SERVICE_ENABLED:
    case DS_CHANGE_SERVICE_DISABLED:
    case DS_CHANGE_SERVICE_STARTED:
    case DS_CHANGE_SERVICE_STOPPED:
        describe_service(s, c);
        break;
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

/* ---- a change between two sides ---- */

/* "web01 has 1.2, db01 has 1.3"; the lab first: "the lab has 1.0, prod
 * 1.1". */
static void append_pair(GString *s, const ds_change_sides *sd, const char *o,
                        const char *v)
{
    if (sd->lab == 1)
        g_string_append_printf(s, "%s has %s, %s %s", sd->from, or_none(o),
                               sd->to, or_none(v));
    else if (sd->lab == 2)
        g_string_append_printf(s, "%s has %s, %s %s", sd->to, or_none(v),
                               sd->from, or_none(o));
    else
        g_string_append_printf(s, "%s has %s, %s has %s", sd->from, or_none(o),
                               sd->to, or_none(v));
}

static bool side_is_lab(const ds_change_sides *sd, bool to)
{
    return sd->lab == (to ? 2 : 1);
}

/* "on db01", "in the lab", "on prod". */
static void append_where(GString *s, const ds_change_sides *sd, bool to)
{
    g_string_append_printf(s, "%s %s", side_is_lab(sd, to) ? "in" : "on",
                           to ? sd->to : sd->from);
}

/* What one side has and the other lacks: "nginx 1.22 only on db01", "nginx
 * 1.22 only in the lab", "the lab lacks nginx 1.22". */
static void append_only(GString *s, const ds_change_sides *sd, bool to,
                        const char *thing)
{
    if (sd->lab && !side_is_lab(sd, to)) {
        g_string_append_printf(s, "%s lacks %s",
                               sd->lab == 1 ? sd->from : sd->to, thing);
        return;
    }
    g_string_append_printf(s, "%s only ", thing);
    append_where(s, sd, to);
}

static void append_source_only(GString *s, const ds_change_sides *sd, bool to,
                               const char *line)
{
    if (sd->lab && !side_is_lab(sd, to)) {
        g_string_append_printf(s, "%s lacks source: %s",
                               sd->lab == 1 ? sd->from : sd->to, line);
        return;
    }
    g_string_append(s, "source only ");
    append_where(s, sd, to);
    g_string_append_printf(s, ": %s", line);
}

/* "/etc/x differs (content; mode: web01 has 0644, db01 has 0640)". */
static void append_file_sides(GString *s, const ds_change *c,
                              const ds_change_sides *sd)
{
    bool first = true;

    g_string_append_printf(s, "%s differs (", c->name ? c->name : "");
    if (c->file_bits & DS_FILE_DIFF_CONTENT) {
        sep(s, &first, "; ");
        g_string_append(s, c->secret ? "secret content" : "content");
    }
    for (guint i = 0; c->fields && i < c->fields->len; i++) {
        const ds_change_field *f = g_ptr_array_index(c->fields, i);

        if (strcmp(f->name, "content") == 0)
            continue;
        sep(s, &first, "; ");
        g_string_append_printf(s, "%s: ", f->name);
        append_pair(s, sd, f->old_value, f->new_value);
    }
    for (gsize i = 1; !c->fields && i < G_N_ELEMENTS(file_bit_names); i++)
        if (c->file_bits & (1u << i)) {
            sep(s, &first, "; ");
            g_string_append(s, file_bit_names[i]);
        }
    g_string_append_c(s, ')');
}

/* "reboot required on db01, not on web01"; "openssl held on prod, not in
 * the lab". */
static void append_flag(GString *s, const ds_change_sides *sd, const char *what,
                        bool on_to)
{
    g_string_append_printf(s, "%s ", what);
    append_where(s, sd, on_to);
    g_string_append(s, ", not ");
    append_where(s, sd, !on_to);
}

static void describe_sides(GString *s, const ds_change *c,
                           const ds_change_sides *sd)
{
    const char *n = c->name ? c->name : "", *o = c->old_value,
               *v = c->new_value;
    g_autofree char *thing = NULL;

    switch (c->kind) {
    case DS_CHANGE_PACKAGE_INSTALLED:
    case DS_CHANGE_PACKAGE_REMOVED:
    case DS_CHANGE_FILE_ADDED:
    case DS_CHANGE_FILE_REMOVED: {
        bool to = c->kind == DS_CHANGE_PACKAGE_INSTALLED ||
                  c->kind == DS_CHANGE_FILE_ADDED;
        const char *val = to ? v : o;

        if (c->category == DS_CAT_FILES)
            thing = val ? g_strdup_printf("%s (%s)", n, val) : g_strdup(n);
        else
            thing = g_strdup_printf("%s %s", n, or_none(val));
        append_only(s, sd, to, thing);
        break;
    }
    case DS_CHANGE_SERVICE_ADDED:
    case DS_CHANGE_SERVICE_REMOVED: {
        bool to = c->kind == DS_CHANGE_SERVICE_ADDED;

        thing = g_strdup_printf("%s (%s)", n, or_none(to ? v : o));
        append_only(s, sd, to, thing);
        break;
    }
    case DS_CHANGE_SOURCE_ADDED:
    case DS_CHANGE_SOURCE_REMOVED:
        append_source_only(s, sd, c->kind == DS_CHANGE_SOURCE_ADDED, n);
        break;
    case DS_CHANGE_PACKAGE_CHANGED: {
        g_autofree char *version = label_version(o);

        g_string_printf(s, "%s %s: ", n, version);
        for (guint i = 0; c->fields && i < c->fields->len; i++) {
            const ds_change_field *f = g_ptr_array_index(c->fields, i);

            g_string_append_printf(s, "%s%s ", i ? "; " : "", f->name);
            append_pair(s, sd, f->old_value, f->new_value);
        }
        if (!c->fields)
            append_pair(s, sd, o, v);
        break;
    }
    case DS_CHANGE_FILE_CHANGED:
        append_file_sides(s, c, sd);
        break;
    case DS_CHANGE_REBOOT_REQUIRED_CHANGED:
        append_flag(s, sd, "reboot required", g_strcmp0(v, "true") == 0);
        break;
    case DS_CHANGE_HOLD_CHANGED:
        thing = g_strdup_printf("%s held", n);
        append_flag(s, sd, thing, g_strcmp0(v, "held") == 0);
        break;
    case DS_CHANGE_MARK_CHANGED:
        g_string_printf(s, "%s marked: ", n);
        append_pair(s, sd, o, v);
        break;
    default: /* versions, service states, kernel, os */
        g_string_printf(s, "%s: ", n);
        append_pair(s, sd, o, v);
        break;
    }
}

char *ds_change_describe_sides(const ds_change *c, const ds_change_sides *sides)
{
    GString *s;

    if (!c || !sides || !sides->from || !sides->to)
        return ds_change_describe(c);
    s = g_string_new(NULL);
    describe_sides(s, c, sides);
    return g_string_free(s, FALSE);
}

/* ---- JSON ---- */

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
    if (c->fields) {
        json_t *fields = json_object();

        for (guint i = 0; i < c->fields->len; i++) {
            const ds_change_field *f = g_ptr_array_index(c->fields, i);

            json_object_set_new(fields, f->name,
                                json_pack("{s:o, s:o}", "old",
                                          string_or_null(f->old_value), "new",
                                          string_or_null(f->new_value)));
        }
        json_object_set_new(o, "fields", fields);
    }
    if (c->secret)
        json_object_set_new(o, "secret", json_true());
    return o;
}
