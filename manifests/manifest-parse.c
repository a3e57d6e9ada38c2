/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/manifest-parse.c: reading a driftsync/manifest/v1 document
 * into the model: bounded, strictly validated, one clear error.
 *
 * The document is read without building a JSON tree (with jansson's tree,
 * parsing took three times as long): a strict RFC 8259 syntax check that
 * also bounds nesting, refuses NUL bytes and checks the UTF-8 of strings
 * (reported once the syntax is known good), then the schema walk, which
 * fills the model and reports wrong types, missing, unknown and duplicate
 * members, and steps over no value twice where the check or an entry's
 * own members found its end. */
#include <config.h>

#include <stdarg.h>
#include <string.h>

#include "manifests/util/error.h"
#include "manifests/manifest-private.h"
#include "manifests/version.h"

/* Where in the document a value sits, for messages:
 * SECTION[.KEY][.FIELD] where KEY may hold any bytes. */
typedef struct {
    const char *section; /* "packages", "os", "kernel.installed[2]", "" */
    const char *key;     /* user key under section, or NULL */
    gsize keylen;
    const char *field; /* field under key, or NULL */
} where;

static int fail(ds_json_reader *r, const where *w, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static int fail(ds_json_reader *r, const where *w, const char *fmt, ...)
{
    g_autoptr(GString) path = g_string_new(w->section);
    g_autofree char *msg = NULL;
    va_list ap;

    if (w->key)
        ds_manifest_path_key(path, w->key, w->keylen);
    if (w->field)
        g_string_append_printf(path, "%s%s", path->len ? "." : "", w->field);
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (path->len == 0)
        return ds_error_set(r->err, DS_EINVALID, "%s: %s", r->origin, msg);
    return ds_error_set(r->err, DS_EINVALID, "%s: %s: %s", r->origin, path->str,
                        msg);
}

/* ---- pass 2: the schema walk, on checked JSON -----------------------------
 */

static int check_raw_string(ds_json_reader *r, const where *w, const char *s,
                            gsize len)
{
    if (len > DS_MANIFEST_MAX_STRING)
        return fail(r, w,
                    "string of %" G_GSIZE_FORMAT " bytes is longer "
                    "than the limit of %u",
                    len, DS_MANIFEST_MAX_STRING);
    if (memchr(s, '\0', len))
        return fail(r, w, "contains a NUL character");
    return 0;
}

static int get_string(ds_json_reader *r, const where *w, const char *v,
                      char **out)
{
    ds_json_str s;
    int rc;

    if (*v != '"')
        return fail(r, w, "expected a string, got %s",
                    ds_json_kind(v, r->end));
    ds_json_string(v, &s);
    if ((rc = check_raw_string(r, w, s.s, s.len)) < 0) {
        g_free(s.owned);
        return rc;
    }
    g_free(*out);
    *out = s.owned ? s.owned : g_strndup(s.s, s.len);
    return 0;
}

static int get_object(ds_json_reader *r, const where *w, const char *v)
{
    if (*v != '{')
        return fail(r, w, "expected an object, got %s",
                    ds_json_kind(v, r->end));
    return 0;
}

static int get_bool(ds_json_reader *r, const where *w, const char *v, bool *out)
{
    if (*v != 't' && *v != 'f')
        return fail(r, w, "expected a boolean, got %s",
                    ds_json_kind(v, r->end));
    *out = *v == 't';
    return 0;
}

/* Each object's members are looked up in a table of known names; an
 * unknown member is an error, so typos and fields from a future schema
 * are not silently dropped. */
typedef struct {
    const char *name;
    const char *value; /* in the document, or NULL when absent */
} slot;

/* The first unknown or repeated member of an object, when it is reported
 * later (the top level checks its schema first). */
typedef struct {
    const char *key; /* NULL: none */
    gsize keylen;
    char *owned;
    bool repeated;
} bad_member;

static int report_member(ds_json_reader *r, const where *w, const char *key,
                         gsize len, bool repeated)
{
    g_autoptr(GString) sec = g_string_new(w->section);
    where wk = {NULL, key, len, NULL};

    if (w->key)
        ds_manifest_path_key(sec, w->key, w->keylen);
    if (w->field)
        g_string_append_printf(sec, "%s%s", sec->len ? "." : "", w->field);
    wk.section = sec->str;
    return fail(r, &wk, repeated ? "duplicate key" : "unknown key");
}

static int fill_slots_deferred(ds_json_reader *r, const where *w,
                               const char *obj, slot *slots, gsize nslots,
                               bad_member *bad)
{
    const char *p = obj + 1, *v;
    ds_json_str key = {NULL, 0, NULL};
    bool root = obj == r->root_object;
    guint nth = 0;
    int rc = 0;

    for (gsize i = 0; i < nslots; i++)
        slots[i].value = NULL;
    while (ds_json_member_key(&p, &key, &v)) {
        gsize i;
        /* the top level's value ends are known from the check */
        p = root ? r->root_ends[nth++] : ds_json_skip(v);
        for (i = 0; i < nslots; i++)
            if (key.len && slots[i].name[0] == key.s[0] &&
                strlen(slots[i].name) == key.len &&
                memcmp(slots[i].name, key.s, key.len) == 0)
                break;
        if (i < nslots && !slots[i].value) {
            slots[i].value = v;
            continue;
        }
        if (!bad) {
            rc = report_member(r, w, key.s, key.len, i < nslots);
            break;
        }
        if (!bad->key) {
            bad->key = key.s;
            bad->keylen = key.len;
            bad->owned = g_steal_pointer(&key.owned);
            bad->repeated = i < nslots;
        }
    }
    g_free(key.owned);
    if (rc == 0) {
        r->filled_object = obj;
        r->filled_end = p + 1; /* after its '}' */
    }
    return rc;
}

static int fill_slots(ds_json_reader *r, const where *w, const char *obj,
                      slot *slots, gsize nslots)
{
    return fill_slots_deferred(r, w, obj, slots, nslots, NULL);
}

static int get_string_array(ds_json_reader *r, const char *section,
                            const char *v, GPtrArray *out)
{
    where w = {section, NULL, 0, NULL};
    const char *p = v + 1;
    guint i = 0;
    int rc;

    if (*v != '[')
        return fail(r, &w, "expected an array, got %s",
                    ds_json_kind(v, r->end));
    for (;; i++) {
        g_autofree char *sec = NULL;
        char *s = NULL;
        while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t' || *p == ',')
            p++;
        if (*p == ']')
            return 0;
        sec = g_strdup_printf("%s[%u]", section, i);
        w.section = sec;
        if ((rc = get_string(r, &w, p, &s)) < 0)
            return rc;
        g_ptr_array_add(out, s);
        p = ds_json_skip(p);
    }
}

#define MEMBER(w_, f_) ((w_)->field = (f_), (w_))

static int parse_package(ds_json_reader *r, ds_manifest *m,
                         const ds_json_str *name, const char *v)
{
    slot s[] = {{"version", NULL},
                {"arch", NULL},
                {"source", NULL},
                {"other_versions", NULL}};
    where w = {"packages", name->s, name->len, NULL};
    ds_package *p;
    int rc;

    if ((rc = check_raw_string(r, &w, name->s, name->len)) < 0 ||
        (rc = get_object(r, &w, v)) < 0 ||
        (rc = fill_slots(r, &w, v, s, G_N_ELEMENTS(s))) < 0)
        return rc;
    p = g_new0(ds_package, 1);
    p->name = g_strndup(name->s, name->len);
    g_ptr_array_add(m->packages, p);
    if (!s[0].value)
        return fail(r, MEMBER(&w, "version"), "missing");
    if ((rc = get_string(r, MEMBER(&w, "version"), s[0].value, &p->version)) <
        0)
        return rc;
    if (!s[1].value)
        return fail(r, MEMBER(&w, "arch"), "missing");
    if ((rc = get_string(r, MEMBER(&w, "arch"), s[1].value, &p->arch)) < 0)
        return rc;
    if (s[2].value &&
        (rc = get_string(r, MEMBER(&w, "source"), s[2].value, &p->source)) < 0)
        return rc;
    if (s[3].value) {
        g_autoptr(GString) sec = g_string_new("packages.");
        ds_manifest_path_key(sec, name->s, name->len);
        g_string_append(sec, ".other_versions");
        p->other_versions = g_ptr_array_new_with_free_func(g_free);
        return get_string_array(r, sec->str, s[3].value, p->other_versions);
    }
    return 0;
}

/* "0644": exactly four octal digits. */
static bool parse_mode(const char *s, guint *out)
{
    guint v = 0;

    for (int i = 0; i < 4; i++) {
        if (s[i] < '0' || s[i] > '7')
            return false;
        v = v * 8 + (guint)(s[i] - '0');
    }
    if (s[4] != '\0')
        return false;
    *out = v;
    return true;
}

enum {
    F_TYPE,
    F_SHA256,
    F_HMAC,
    F_SECRET,
    F_MODE,
    F_OWNER,
    F_GROUP,
    F_TARGET,
    F_CONTENT_REF,
    F_N
};

static int parse_file(ds_json_reader *r, ds_manifest *m,
                      const ds_json_str *path, const char *v)
{
    slot s[] = {
        [F_TYPE] = {"type", NULL},
        [F_SHA256] = {"sha256", NULL},
        [F_HMAC] = {"hmac", NULL},
        [F_SECRET] = {"secret", NULL},
        [F_MODE] = {"mode", NULL},
        [F_OWNER] = {"owner", NULL},
        [F_GROUP] = {"group", NULL},
        [F_TARGET] = {"target", NULL},
        [F_CONTENT_REF] = {"content_ref", NULL},
    };
    char **strings[F_N] = {NULL}; /* string members, by slot */
    where w = {"files", path->s, path->len, NULL};
    g_autofree char *mode = NULL;
    g_autofree char *type = NULL;
    ds_file *f;
    int rc;

    if ((rc = check_raw_string(r, &w, path->s, path->len)) < 0 ||
        (rc = get_object(r, &w, v)) < 0 ||
        (rc = fill_slots(r, &w, v, s, G_N_ELEMENTS(s))) < 0)
        return rc;
    f = g_new0(ds_file, 1);
    f->path = g_strndup(path->s, path->len);
    g_ptr_array_add(m->files, f);

    if (s[F_TYPE].value) {
        if ((rc = get_string(r, MEMBER(&w, "type"), s[F_TYPE].value, &type)) <
            0)
            return rc;
        if (strcmp(type, "symlink") == 0)
            f->type = DS_FILE_SYMLINK;
        else if (strcmp(type, "file") != 0)
            return fail(r, &w, "expected \"file\" or \"symlink\"");
    }
    if (!s[F_MODE].value)
        return fail(r, MEMBER(&w, "mode"), "missing");
    if ((rc = get_string(r, MEMBER(&w, "mode"), s[F_MODE].value, &mode)) < 0)
        return rc;
    if (!parse_mode(mode, &f->mode))
        return fail(r, &w, "expected four octal digits such as \"0644\"");
    strings[F_OWNER] = &f->owner;
    strings[F_GROUP] = &f->group;
    strings[F_SHA256] = &f->sha256;
    strings[F_HMAC] = &f->hmac;
    strings[F_TARGET] = &f->target;
    strings[F_CONTENT_REF] = &f->content_ref;
    for (int i = 0; i < F_N; i++) {
        if (!strings[i])
            continue;
        if (!s[i].value && (i == F_OWNER || i == F_GROUP))
            return fail(r, MEMBER(&w, s[i].name), "missing");
        if (s[i].value && (rc = get_string(r, MEMBER(&w, s[i].name), s[i].value,
                                           strings[i])) < 0)
            return rc;
    }
    if (s[F_SECRET].value && (rc = get_bool(r, MEMBER(&w, "secret"),
                                            s[F_SECRET].value, &f->secret)) < 0)
        return rc;
    return 0;
}

static int parse_service(ds_json_reader *r, ds_manifest *m,
                         const ds_json_str *name, const char *v)
{
    slot s[] = {{"enabled", NULL}, {"active", NULL}};
    where w = {"services", name->s, name->len, NULL};
    ds_service *sv;
    int rc;

    if ((rc = check_raw_string(r, &w, name->s, name->len)) < 0 ||
        (rc = get_object(r, &w, v)) < 0 ||
        (rc = fill_slots(r, &w, v, s, G_N_ELEMENTS(s))) < 0)
        return rc;
    sv = g_new0(ds_service, 1);
    sv->name = g_strndup(name->s, name->len);
    g_ptr_array_add(m->services, sv);
    for (int i = 0; i < 2; i++) {
        if (!s[i].value)
            return fail(r, MEMBER(&w, s[i].name), "missing");
        if ((rc = get_string(r, MEMBER(&w, s[i].name), s[i].value,
                             i == 0 ? &sv->enabled : &sv->active)) < 0)
            return rc;
    }
    return 0;
}

static int parse_pending_entry(ds_json_reader *r, GPtrArray *list,
                               const char *section, const ds_json_str *name,
                               const char *v)
{
    slot s[] = {{"version", NULL},  {"origin", NULL},
                {"suite", NULL},    {"security", NULL},
                {"severity", NULL}, {"advisories", NULL}};
    where w = {section, name->s, name->len, NULL};
    ds_pending *p;
    int rc;

    if ((rc = check_raw_string(r, &w, name->s, name->len)) < 0 ||
        (rc = get_object(r, &w, v)) < 0 ||
        (rc = fill_slots(r, &w, v, s, G_N_ELEMENTS(s))) < 0)
        return rc;
    p = g_new0(ds_pending, 1);
    p->name = g_strndup(name->s, name->len);
    g_ptr_array_add(list, p);
    if (!s[0].value)
        return fail(r, MEMBER(&w, "version"), "missing");
    if (!s[3].value)
        return fail(r, MEMBER(&w, "security"), "missing");
    if ((rc = get_string(r, MEMBER(&w, "version"), s[0].value,
                         &p->version)) < 0 ||
        (s[1].value && (rc = get_string(r, MEMBER(&w, "origin"), s[1].value,
                                        &p->origin)) < 0) ||
        (s[2].value && (rc = get_string(r, MEMBER(&w, "suite"), s[2].value,
                                        &p->suite)) < 0) ||
        (rc = get_bool(r, MEMBER(&w, "security"), s[3].value,
                       &p->security)) < 0 ||
        (s[4].value && (rc = get_string(r, MEMBER(&w, "severity"),
                                        s[4].value, &p->severity)) < 0))
        return rc;
    if (s[5].value) {
        g_autoptr(GString) sec = g_string_new(section);
        g_string_append_c(sec, '.');
        ds_manifest_path_key(sec, name->s, name->len);
        g_string_append(sec, ".advisories");
        p->advisories = g_ptr_array_new_with_free_func(g_free);
        return get_string_array(r, sec->str, s[5].value, p->advisories);
    }
    return 0;
}

static int parse_pending(ds_json_reader *r, ds_manifest *m,
                         const ds_json_str *name, const char *v)
{
    return parse_pending_entry(r, m->pending, "pending", name, v);
}

static int parse_held_back(ds_json_reader *r, ds_manifest *m,
                           const ds_json_str *name, const char *v)
{
    return parse_pending_entry(r, m->held_back, "held_back", name, v);
}

typedef int (*entry_fn)(ds_json_reader *r, ds_manifest *m,
                        const ds_json_str *key, const char *v);

/* An object of entries keyed by name.  A repeated name is found after
 * sorting: adjacent equal keys. */
static int parse_map(ds_json_reader *r, ds_manifest *m, const char *section,
                     const char *v, entry_fn fn, GPtrArray *list,
                     GCompareFunc cmp)
{
    where w = {section, NULL, 0, NULL};
    const char *p = v + 1, *value;
    ds_json_str key = {NULL, 0, NULL};
    int rc = 0;

    if ((rc = get_object(r, &w, v)) < 0)
        return rc;
    while (ds_json_member_key(&p, &key, &value)) {
        if ((rc = fn(r, m, &key, value)) < 0)
            break;
        /* an entry's members were read to its end */
        p = r->filled_object == value ? r->filled_end : ds_json_skip(value);
    }
    g_free(key.owned);
    if (rc < 0)
        return rc;
    for (guint i = 1; i < list->len; i++) {
        if (cmp(&list->pdata[i - 1], &list->pdata[i]) >= 0) {
            g_ptr_array_sort(list, cmp); /* not in canonical order */
            break;
        }
    }
    for (guint i = 1; i < list->len; i++) {
        if (cmp(&list->pdata[i - 1], &list->pdata[i]) == 0) {
            const char *k = *(char **)list->pdata[i]; /* entries start
                                                       * with their name */
            w.key = k;
            w.keylen = strlen(k);
            return fail(r, &w, "duplicate key");
        }
    }
    return 0;
}

static int parse_strings(ds_json_reader *r, const where *w, const slot *s,
                         char ***dst, int n)
{
    where wf = *w;
    int rc;

    for (int i = 0; i < n; i++)
        if (s[i].value && (rc = get_string(r, MEMBER(&wf, s[i].name),
                                           s[i].value, dst[i])) < 0)
            return rc;
    return 0;
}

enum {
    T_SCHEMA,
    T_HOST,
    T_ROLE,
    T_COLLECTED_AT,
    T_OS,
    T_KERNEL,
    T_REBOOT,
    T_PACKAGES,
    T_SOURCES,
    T_FILES,
    T_SERVICES,
    T_COLLECTOR,
    T_PENDING,
    T_HELD_BACK,
    T_HOLDS,
    T_AUTO,
    T_LISTS_UPDATED_AT,
    T_PLATFORM
};

/* The pending updates alone (absent: not collected, NULL). */
static int parse_pending_only(ds_json_reader *r, ds_manifest *m, const slot *t)
{
    if (!t[T_PENDING].value)
        return 0;
    m->pending = g_ptr_array_new_with_free_func((GDestroyNotify)ds_pending_free);
    return parse_map(r, m, "pending", t[T_PENDING].value, parse_pending,
                     m->pending, ds_manifest_cmp_pending);
}

/* The optional selection members: absent means "not collected" (NULL). */
static int parse_selection(ds_json_reader *r, ds_manifest *m, const slot *t,
                           bool lean)
{
    where w = {"", NULL, 0, NULL};
    int rc;

    if (lean) /* only the pending updates */
        return parse_pending_only(r, m, t);

    if (t[T_LISTS_UPDATED_AT].value &&
        (rc = get_string(r, MEMBER(&w, "lists_updated_at"),
                         t[T_LISTS_UPDATED_AT].value,
                         &m->lists_updated_at)) < 0)
        return rc;
    if (t[T_HOLDS].value) {
        m->holds = g_ptr_array_new_with_free_func(g_free);
        if ((rc = get_string_array(r, "holds", t[T_HOLDS].value, m->holds)) <
            0)
            return rc;
    }
    if (t[T_AUTO].value) {
        m->auto_marks = g_ptr_array_new_with_free_func(g_free);
        if ((rc = get_string_array(r, "auto", t[T_AUTO].value,
                                   m->auto_marks)) < 0)
            return rc;
    }
    if ((rc = parse_pending_only(r, m, t)) < 0)
        return rc;
    if (t[T_HELD_BACK].value) {
        m->held_back =
            g_ptr_array_new_with_free_func((GDestroyNotify)ds_pending_free);
        if ((rc = parse_map(r, m, "held_back", t[T_HELD_BACK].value,
                            parse_held_back, m->held_back,
                            ds_manifest_cmp_pending)) < 0)
            return rc;
    }
    return 0;
}

/* The root's members into their slots, the schema checked first: a
 * document of another kind or version gets that message, not one about
 * a member it happens to lack or have. */
static int fill_root(ds_json_reader *r, slot *t, gsize n, const char *root,
                     bool *v2)
{
    where w = {"", NULL, 0, NULL};
    g_autofree char *schema = NULL;
    bad_member bad = {NULL, 0, NULL, false};
    int rc;

    rc = fill_slots_deferred(r, &w, root, t, n, &bad);
    if (rc == 0 && !t[T_SCHEMA].value)
        rc = fail(r, MEMBER(&w, "schema"), "missing (expected \"%s\")",
                  DS_MANIFEST_SCHEMA);
    if (rc == 0)
        rc = get_string(r, MEMBER(&w, "schema"), t[T_SCHEMA].value, &schema);
    *v2 = rc == 0 && strcmp(schema, DS_MANIFEST_SCHEMA_V2) == 0;
    if (rc == 0 && !*v2 && strcmp(schema, DS_MANIFEST_SCHEMA) != 0)
        rc = fail(r, &w, "unsupported schema (expected \"%s\" or \"%s\")",
                  DS_MANIFEST_SCHEMA, DS_MANIFEST_SCHEMA_V2);
    w.field = NULL;
    if (rc == 0 && bad.key)
        rc = report_member(r, &w, bad.key, bad.keylen, bad.repeated);
    g_free(bad.owned);
    return rc;
}

/* kernel: {running?, installed: [...]} */
static int parse_kernel(ds_json_reader *r, ds_manifest *m, const char *v)
{
    slot s[] = {{"running", NULL}, {"installed", NULL}};
    where wk = {"kernel", NULL, 0, NULL};
    int rc;

    if ((rc = get_object(r, &wk, v)) < 0 ||
        (rc = fill_slots(r, &wk, v, s, 2)) < 0)
        return rc;
    if (s[0].value && (rc = get_string(r, MEMBER(&wk, "running"), s[0].value,
                                       &m->kernel.running)) < 0)
        return rc;
    if (!s[1].value)
        return fail(r, MEMBER(&wk, "installed"), "missing");
    return get_string_array(r, "kernel.installed", s[1].value,
                            m->kernel.installed);
}

/* platform: v2 only, and required there; an rpm manifest needs a build
 * that orders rpm versions. */
static int parse_platform(ds_json_reader *r, ds_manifest *m, const char *v,
                          bool v2)
{
    where w = {"platform", NULL, 0, NULL};
    int rc;

    if (!v2 && v)
        return fail(r, &w, "only in \"%s\" documents",
                    DS_MANIFEST_SCHEMA_V2);
    if (!v2)
        return 0;
    if (!v)
        return fail(r, &w, "missing (required in \"%s\")",
                    DS_MANIFEST_SCHEMA_V2);
    if ((rc = get_string(r, &w, v, &m->platform)) < 0)
        return rc;
    if (strcmp(m->platform, DS_PLATFORM_RPM) != 0)
        return fail(r, &w, "unknown platform (expected \"rpm\")");
    if (!ds_rpm_vercmp_available())
        return fail(r, &w, "an rpm host's manifest, but this driftsync was built without librpm (configure --with-rpm, Debian package librpm-dev)");
    return 0;
}

/* The root object into m; `lean` reads only what readers of every
 * version of a manifest need (ds_manifest_parse_packages). */
static int parse_root(ds_json_reader *r, ds_manifest *m, const char *root,
                      bool lean)
{
    slot t[] = {
        [T_SCHEMA] = {"schema", NULL},
        [T_HOST] = {"host", NULL},
        [T_ROLE] = {"role", NULL},
        [T_COLLECTED_AT] = {"collected_at", NULL},
        [T_OS] = {"os", NULL},
        [T_KERNEL] = {"kernel", NULL},
        [T_REBOOT] = {"reboot_required", NULL},
        [T_PACKAGES] = {"packages", NULL},
        [T_SOURCES] = {"sources", NULL},
        [T_FILES] = {"files", NULL},
        [T_SERVICES] = {"services", NULL},
        [T_COLLECTOR] = {"collector", NULL},
        [T_PENDING] = {"pending", NULL},
        [T_HELD_BACK] = {"held_back", NULL},
        [T_HOLDS] = {"holds", NULL},
        [T_AUTO] = {"auto", NULL},
        [T_LISTS_UPDATED_AT] = {"lists_updated_at", NULL},
        [T_PLATFORM] = {"platform", NULL},
    };
    bool v2 = false;
    where w = {"", NULL, 0, NULL};
    g_autofree char *role = NULL;
    int rc;

    if ((rc = fill_root(r, t, G_N_ELEMENTS(t), root, &v2)) < 0)
        return rc;

        /* Then every member in a fixed order (not the document's), each
         * required unless said otherwise. */
#define REQUIRED(i)                                                            \
    do {                                                                       \
        if (!t[i].value)                                                       \
            return fail(r, MEMBER(&w, t[i].name), "missing");                  \
        w.field = t[i].name;                                                   \
    } while (0)

    REQUIRED(T_HOST);
    if ((rc = get_string(r, &w, t[T_HOST].value, &m->host)) < 0)
        return rc;
    if (!ds_name_is_safe_host(m->host))
        return ds_manifest_check(m, r->origin, r->err);
    REQUIRED(T_ROLE);
    if ((rc = get_string(r, &w, t[T_ROLE].value, &role)) < 0)
        return rc;
    if (strcmp(role, "prod") == 0)
        m->role = DS_ROLE_PROD;
    else if (strcmp(role, "lab") == 0)
        m->role = DS_ROLE_LAB;
    else
        return fail(r, &w, "expected \"prod\" or \"lab\"");
    if ((rc = parse_platform(r, m, t[T_PLATFORM].value, v2)) < 0)
        return rc;
    if (t[T_COLLECTED_AT].value &&
        (rc = get_string(r, MEMBER(&w, "collected_at"), t[T_COLLECTED_AT].value,
                         &m->collected_at)) < 0)
        return rc;

    if (t[T_OS].value && !lean) {
        slot s[] = {{"id", NULL}, {"version", NULL}, {"name", NULL}};
        char **dst[] = {&m->os.id, &m->os.version, &m->os.name};
        where wo = {"os", NULL, 0, NULL};
        if ((rc = get_object(r, &wo, t[T_OS].value)) < 0 ||
            (rc = fill_slots(r, &wo, t[T_OS].value, s, 3)) < 0 ||
            (rc = parse_strings(r, &wo, s, dst, 3)) < 0)
            return rc;
    }

    REQUIRED(T_KERNEL);
    if ((rc = parse_kernel(r, m, t[T_KERNEL].value)) < 0)
        return rc;

    REQUIRED(T_REBOOT);
    if ((rc = get_bool(r, &w, t[T_REBOOT].value, &m->reboot_required)) < 0)
        return rc;
    REQUIRED(T_PACKAGES);
    if ((rc = parse_map(r, m, "packages", t[T_PACKAGES].value, parse_package,
                        m->packages, ds_manifest_cmp_package)) < 0)
        return rc;
    REQUIRED(T_SOURCES);
    REQUIRED(T_FILES);
    REQUIRED(T_SERVICES);
    if (lean)
        return parse_selection(r, m, t, lean);
    if ((rc = get_string_array(r, "sources", t[T_SOURCES].value, m->sources)) <
        0)
        return rc;
    if ((rc = parse_map(r, m, "files", t[T_FILES].value, parse_file, m->files,
                        ds_manifest_cmp_file)) < 0)
        return rc;
    if ((rc = parse_map(r, m, "services", t[T_SERVICES].value, parse_service,
                        m->services, ds_manifest_cmp_service)) < 0)
        return rc;
#undef REQUIRED

    if (t[T_COLLECTOR].value) {
        slot s[] = {{"version", NULL}, {"transport", NULL}};
        char **dst[] = {&m->collector.version, &m->collector.transport};
        where wc = {"collector", NULL, 0, NULL};
        if ((rc = get_object(r, &wc, t[T_COLLECTOR].value)) < 0 ||
            (rc = fill_slots(r, &wc, t[T_COLLECTOR].value, s, 2)) < 0 ||
            (rc = parse_strings(r, &wc, s, dst, 2)) < 0)
            return rc;
    }
    return parse_selection(r, m, t, lean);
}

/* ---- entry points -------------------------------------------------------- */

static int parse_doc(ds_manifest **out, const char *data, gsize len,
                     const char *origin, bool lean, GError **err)
{
    g_autoptr(ds_manifest) m = NULL;
    ds_json_reader r = {origin ? origin : "manifest", err, data, data + len};
    where top = {"", NULL, 0, NULL};
    const char *p;
    int rc;

    *out = NULL;
    if (len > DS_MANIFEST_MAX_BYTES)
        return fail(&r, &top,
                    "document of %" G_GSIZE_FORMAT " bytes is "
                    "larger than the limit of %u bytes",
                    len, DS_MANIFEST_MAX_BYTES);
    p = ds_json_ws(data, r.end);
    if (p == r.end)
        return fail(&r, &top, "empty document");
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        return fail(&r, &top,
                    "starts with a byte order mark (a manifest "
                    "is plain UTF-8 JSON)");
    if ((rc = ds_json_check(&r, p)) < 0)
        return rc;
    if (*p != '{')
        return fail(&r, &top,
                    "expected a JSON object at the top level, got "
                    "%s",
                    ds_json_kind(p, r.end));

    m = ds_manifest_new(NULL, DS_ROLE_PROD);
    if ((rc = parse_root(&r, m, p, lean)) < 0 ||
        (rc = ds_manifest_check(m, r.origin, err)) < 0 ||
        (rc = ds_manifest_normalise(m, err)) < 0)
        return rc;
    *out = g_steal_pointer(&m);
    return 0;
}

int ds_manifest_parse(ds_manifest **out, const char *data, gsize len,
                      const char *origin, GError **err)
{
    return parse_doc(out, data, len, origin, false, err);
}

int ds_manifest_parse_packages(ds_manifest **out, const char *data, gsize len,
                               const char *origin, GError **err)
{
    return parse_doc(out, data, len, origin, true, err);
}

int ds_manifest_parse_canonical(ds_manifest **out, GBytes **canonical,
                                const char *data, gsize len,
                                const char *origin, GError **err)
{
    g_autoptr(ds_manifest) m = NULL;
    int rc;

    *out = NULL;
    *canonical = NULL;
    /* parse_doc checked and normalised it */
    if ((rc = parse_doc(&m, data, len, origin, false, err)) < 0 ||
        (rc = ds_manifest_serialise_checked(canonical, m, err)) < 0)
        return rc;
    *out = g_steal_pointer(&m);
    return 0;
}
