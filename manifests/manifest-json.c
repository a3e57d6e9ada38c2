/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/manifest-json.c: reading a driftsync/manifest/v1 document
 * (bounded, validated, one clear error) and writing its canonical bytes. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifests/error.h"
#include "manifests/manifest-private.h"

/* ---- parsing ------------------------------------------------------------ */

typedef struct {
    const char *origin;
    GError **err;
} pctx;

/* "ORIGIN: SECTION[.KEY][.FIELD]: message"; key may hold any bytes. */
static int G_GNUC_PRINTF(6, 7)
fail(pctx *c, const char *section, const char *key, gsize keylen,
     const char *field, const char *fmt, ...)
{
    g_autoptr(GString) path = g_string_new(section);
    g_autofree char *msg = NULL;
    va_list ap;

    if (key)
        ds_manifest_path_key(path, key, keylen);
    if (field)
        g_string_append_printf(path, "%s%s", path->len ? "." : "", field);
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (path->len == 0)
        return ds_error_set(c->err, DS_EINVALID, "%s: %s", c->origin, msg);
    return ds_error_set(c->err, DS_EINVALID, "%s: %s: %s", c->origin,
                        path->str, msg);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "something else";
}

/* Where in the document a value sits, for messages. */
typedef struct {
    const char *section; /* "packages", "os", "kernel.installed[2]" */
    const char *key;     /* user key under section, or NULL */
    gsize keylen;
    const char *field;   /* field under key, or NULL */
} where;

#define FAIL(c, w, ...) fail(c, (w)->section, (w)->key, (w)->keylen, \
                             (w)->field, __VA_ARGS__)

static int check_raw_string(pctx *c, const where *w, const char *s,
                            gsize len)
{
    if (len > DS_MANIFEST_MAX_STRING)
        return FAIL(c, w, "string of %" G_GSIZE_FORMAT " bytes is longer "
                    "than the limit of %u", len, DS_MANIFEST_MAX_STRING);
    if (memchr(s, '\0', len))
        return FAIL(c, w, "contains a NUL character");
    return 0;
}

static int get_string(pctx *c, const where *w, const json_t *v, char **out)
{
    int rc;

    if (!json_is_string(v))
        return FAIL(c, w, "expected a string, got %s", type_name(v));
    if ((rc = check_raw_string(c, w, json_string_value(v),
                               json_string_length(v))) < 0)
        return rc;
    g_free(*out);
    *out = g_strndup(json_string_value(v), json_string_length(v));
    return 0;
}

static int get_object(pctx *c, const where *w, const json_t *v)
{
    if (!json_is_object(v))
        return FAIL(c, w, "expected an object, got %s", type_name(v));
    return 0;
}

static int get_bool(pctx *c, const where *w, const json_t *v, bool *out)
{
    if (!json_is_boolean(v))
        return FAIL(c, w, "expected a boolean, got %s", type_name(v));
    *out = json_is_true(v);
    return 0;
}

/* Each object's members are looked up in a table of known names; an
 * unknown member is an error, so typos and fields from a future schema
 * are not silently dropped. */
typedef struct {
    const char *name;
    const json_t *value;
} slot;

static int fill_slots(pctx *c, const where *w, const json_t *obj,
                      slot *slots, gsize nslots)
{
    void *it;

    for (gsize i = 0; i < nslots; i++)
        slots[i].value = NULL;
    for (it = json_object_iter((json_t *)obj); it;
         it = json_object_iter_next((json_t *)obj, it)) {
        const char *k = json_object_iter_key(it);
        gsize klen = json_object_iter_key_len(it);
        gsize i;

        for (i = 0; i < nslots; i++)
            if (strlen(slots[i].name) == klen &&
                memcmp(slots[i].name, k, klen) == 0)
                break;
        if (i == nslots) {
            /* Report the unknown member as a step of the path. */
            g_autoptr(GString) sec = g_string_new(w->section);
            if (w->key)
                ds_manifest_path_key(sec, w->key, w->keylen);
            if (w->field)
                g_string_append_printf(sec, "%s%s", sec->len ? "." : "",
                                       w->field);
            return fail(c, sec->str, k, klen, NULL, "unknown key");
        }
        slots[i].value = json_object_iter_value(it);
    }
    return 0;
}

static int get_string_array(pctx *c, const char *section, const json_t *v,
                            GPtrArray *out)
{
    where w = { section, NULL, 0, NULL };
    size_t i;
    json_t *e;
    int rc;

    if (!json_is_array(v))
        return FAIL(c, &w, "expected an array, got %s", type_name(v));
    json_array_foreach(v, i, e) {
        g_autofree char *sec = NULL;
        char *s = NULL;
        if (!json_is_string(e) ||
            json_string_length(e) > DS_MANIFEST_MAX_STRING ||
            memchr(json_string_value(e), '\0', json_string_length(e))) {
            where we = { NULL, NULL, 0, NULL };
            sec = g_strdup_printf("%s[%zu]", section, i);
            we.section = sec;
            if ((rc = get_string(c, &we, e, &s)) < 0)
                return rc;
        }
        g_ptr_array_add(out, g_strdup(json_string_value(e)));
    }
    return 0;
}

static int parse_package(pctx *c, ds_manifest *m, const char *name,
                         gsize namelen, const json_t *v)
{
    slot s[] = { { "version", NULL }, { "arch", NULL }, { "source", NULL } };
    where w = { "packages", name, namelen, NULL };
    ds_package *p;
    int rc;

    if ((rc = check_raw_string(c, &w, name, namelen)) < 0 ||
        (rc = get_object(c, &w, v)) < 0 ||
        (rc = fill_slots(c, &w, v, s, G_N_ELEMENTS(s))) < 0)
        return rc;
    p = g_new0(ds_package, 1);
    p->name = g_strndup(name, namelen);
    g_ptr_array_add(m->packages, p);
    w.field = "version";
    if (!s[0].value)
        return FAIL(c, &w, "missing");
    if ((rc = get_string(c, &w, s[0].value, &p->version)) < 0)
        return rc;
    w.field = "arch";
    if (!s[1].value)
        return FAIL(c, &w, "missing");
    if ((rc = get_string(c, &w, s[1].value, &p->arch)) < 0)
        return rc;
    w.field = "source";
    if (s[2].value && (rc = get_string(c, &w, s[2].value, &p->source)) < 0)
        return rc;
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

enum { F_TYPE, F_SHA256, F_HMAC, F_SECRET, F_MODE, F_OWNER, F_GROUP,
       F_TARGET, F_CONTENT_REF };

static int parse_file(pctx *c, ds_manifest *m, const char *path,
                      gsize pathlen, const json_t *v)
{
    slot s[] = {
        [F_TYPE] = { "type", NULL },     [F_SHA256] = { "sha256", NULL },
        [F_HMAC] = { "hmac", NULL },     [F_SECRET] = { "secret", NULL },
        [F_MODE] = { "mode", NULL },     [F_OWNER] = { "owner", NULL },
        [F_GROUP] = { "group", NULL },   [F_TARGET] = { "target", NULL },
        [F_CONTENT_REF] = { "content_ref", NULL },
    };
    where w = { "files", path, pathlen, NULL };
    g_autofree char *mode = NULL;
    g_autofree char *type = NULL;
    ds_file *f;
    int rc;

    if ((rc = check_raw_string(c, &w, path, pathlen)) < 0 ||
        (rc = get_object(c, &w, v)) < 0 ||
        (rc = fill_slots(c, &w, v, s, G_N_ELEMENTS(s))) < 0)
        return rc;
    f = g_new0(ds_file, 1);
    f->path = g_strndup(path, pathlen);
    g_ptr_array_add(m->files, f);

    w.field = "type";
    if (s[F_TYPE].value) {
        if ((rc = get_string(c, &w, s[F_TYPE].value, &type)) < 0)
            return rc;
        if (strcmp(type, "symlink") == 0)
            f->type = DS_FILE_SYMLINK;
        else if (strcmp(type, "file") != 0)
            return FAIL(c, &w, "expected \"file\" or \"symlink\"");
    }
    w.field = "mode";
    if (!s[F_MODE].value)
        return FAIL(c, &w, "missing");
    if ((rc = get_string(c, &w, s[F_MODE].value, &mode)) < 0)
        return rc;
    if (!parse_mode(mode, &f->mode))
        return FAIL(c, &w, "expected four octal digits such as \"0644\"");
    w.field = "owner";
    if (!s[F_OWNER].value)
        return FAIL(c, &w, "missing");
    if ((rc = get_string(c, &w, s[F_OWNER].value, &f->owner)) < 0)
        return rc;
    w.field = "group";
    if (!s[F_GROUP].value)
        return FAIL(c, &w, "missing");
    if ((rc = get_string(c, &w, s[F_GROUP].value, &f->group)) < 0)
        return rc;
    w.field = "secret";
    if (s[F_SECRET].value &&
        (rc = get_bool(c, &w, s[F_SECRET].value, &f->secret)) < 0)
        return rc;
    w.field = "sha256";
    if (s[F_SHA256].value &&
        (rc = get_string(c, &w, s[F_SHA256].value, &f->sha256)) < 0)
        return rc;
    w.field = "hmac";
    if (s[F_HMAC].value &&
        (rc = get_string(c, &w, s[F_HMAC].value, &f->hmac)) < 0)
        return rc;
    w.field = "target";
    if (s[F_TARGET].value &&
        (rc = get_string(c, &w, s[F_TARGET].value, &f->target)) < 0)
        return rc;
    w.field = "content_ref";
    if (s[F_CONTENT_REF].value &&
        (rc = get_string(c, &w, s[F_CONTENT_REF].value, &f->content_ref)) < 0)
        return rc;
    return 0;
}

static int parse_service(pctx *c, ds_manifest *m, const char *name,
                         gsize namelen, const json_t *v)
{
    slot s[] = { { "enabled", NULL }, { "active", NULL } };
    where w = { "services", name, namelen, NULL };
    ds_service *sv;
    int rc;

    if ((rc = check_raw_string(c, &w, name, namelen)) < 0 ||
        (rc = get_object(c, &w, v)) < 0 ||
        (rc = fill_slots(c, &w, v, s, G_N_ELEMENTS(s))) < 0)
        return rc;
    sv = g_new0(ds_service, 1);
    sv->name = g_strndup(name, namelen);
    g_ptr_array_add(m->services, sv);
    for (int i = 0; i < 2; i++) {
        w.field = s[i].name;
        if (!s[i].value)
            return FAIL(c, &w, "missing");
        if ((rc = get_string(c, &w, s[i].value,
                             i == 0 ? &sv->enabled : &sv->active)) < 0)
            return rc;
    }
    return 0;
}

typedef int (*entry_fn)(pctx *c, ds_manifest *m, const char *key,
                        gsize keylen, const json_t *v);

static int parse_map(pctx *c, ds_manifest *m, const char *section,
                     const json_t *v, entry_fn fn)
{
    where w = { section, NULL, 0, NULL };
    void *it;
    int rc;

    if ((rc = get_object(c, &w, v)) < 0)
        return rc;
    for (it = json_object_iter((json_t *)v); it;
         it = json_object_iter_next((json_t *)v, it)) {
        if ((rc = fn(c, m, json_object_iter_key(it),
                     json_object_iter_key_len(it),
                     json_object_iter_value(it))) < 0)
            return rc;
    }
    return 0;
}

enum { T_SCHEMA, T_HOST, T_ROLE, T_COLLECTED_AT, T_OS, T_KERNEL,
       T_REBOOT, T_PACKAGES, T_SOURCES, T_FILES, T_SERVICES, T_COLLECTOR };

static int parse_root(pctx *c, ds_manifest *m, const json_t *root)
{
    slot t[] = {
        [T_SCHEMA] = { "schema", NULL },
        [T_HOST] = { "host", NULL },
        [T_ROLE] = { "role", NULL },
        [T_COLLECTED_AT] = { "collected_at", NULL },
        [T_OS] = { "os", NULL },
        [T_KERNEL] = { "kernel", NULL },
        [T_REBOOT] = { "reboot_required", NULL },
        [T_PACKAGES] = { "packages", NULL },
        [T_SOURCES] = { "sources", NULL },
        [T_FILES] = { "files", NULL },
        [T_SERVICES] = { "services", NULL },
        [T_COLLECTOR] = { "collector", NULL },
    };
    where w = { "", NULL, 0, NULL };
    const json_t *schema;
    g_autofree char *role = NULL;
    int rc;

    /* The schema first: a document of another kind or version gets that
     * message, not one about a field it happens to lack. */
    schema = json_object_get(root, "schema");
    w.field = "schema";
    if (!schema)
        return FAIL(c, &w, "missing (expected \"%s\")", DS_MANIFEST_SCHEMA);
    if (!json_is_string(schema))
        return FAIL(c, &w, "expected a string, got %s", type_name(schema));
    if (strcmp(json_string_value(schema), DS_MANIFEST_SCHEMA) != 0 ||
        json_string_length(schema) != strlen(DS_MANIFEST_SCHEMA))
        return FAIL(c, &w, "unsupported schema (expected \"%s\")",
                    DS_MANIFEST_SCHEMA);
    w.field = NULL;
    if ((rc = fill_slots(c, &w, root, t, G_N_ELEMENTS(t))) < 0)
        return rc;

    /* Then every member in a fixed order (not the document's), each
     * required unless said otherwise. */
#define REQUIRED(i)                                                          \
    do {                                                                     \
        w.field = t[i].name;                                                 \
        if (!t[i].value)                                                     \
            return FAIL(c, &w, "missing");                                   \
    } while (0)

    REQUIRED(T_HOST);
    if ((rc = get_string(c, &w, t[T_HOST].value, &m->host)) < 0)
        return rc;
    if (!ds_name_is_safe_host(m->host))
        return ds_manifest_check(m, c->origin, c->err);
    REQUIRED(T_ROLE);
    if ((rc = get_string(c, &w, t[T_ROLE].value, &role)) < 0)
        return rc;
    if (strcmp(role, "prod") == 0)
        m->role = DS_ROLE_PROD;
    else if (strcmp(role, "lab") == 0)
        m->role = DS_ROLE_LAB;
    else
        return FAIL(c, &w, "expected \"prod\" or \"lab\"");
    w.field = "collected_at";
    if (t[T_COLLECTED_AT].value &&
        (rc = get_string(c, &w, t[T_COLLECTED_AT].value, &m->collected_at)) < 0)
        return rc;

    if (t[T_OS].value) {
        slot s[] = { { "id", NULL }, { "version", NULL }, { "name", NULL } };
        char **dst[] = { &m->os.id, &m->os.version, &m->os.name };
        where wo = { "os", NULL, 0, NULL };
        if ((rc = get_object(c, &wo, t[T_OS].value)) < 0 ||
            (rc = fill_slots(c, &wo, t[T_OS].value, s, 3)) < 0)
            return rc;
        for (int i = 0; i < 3; i++) {
            wo.field = s[i].name;
            if (s[i].value && (rc = get_string(c, &wo, s[i].value, dst[i])) < 0)
                return rc;
        }
    }

    REQUIRED(T_KERNEL);
    {
        slot s[] = { { "running", NULL }, { "installed", NULL } };
        where wk = { "kernel", NULL, 0, NULL };
        if ((rc = get_object(c, &wk, t[T_KERNEL].value)) < 0 ||
            (rc = fill_slots(c, &wk, t[T_KERNEL].value, s, 2)) < 0)
            return rc;
        wk.field = "running";
        if (s[0].value &&
            (rc = get_string(c, &wk, s[0].value, &m->kernel.running)) < 0)
            return rc;
        wk.field = "installed";
        if (!s[1].value)
            return FAIL(c, &wk, "missing");
        if ((rc = get_string_array(c, "kernel.installed", s[1].value,
                                   m->kernel.installed)) < 0)
            return rc;
    }

    REQUIRED(T_REBOOT);
    if ((rc = get_bool(c, &w, t[T_REBOOT].value, &m->reboot_required)) < 0)
        return rc;
    REQUIRED(T_PACKAGES);
    if ((rc = parse_map(c, m, "packages", t[T_PACKAGES].value,
                        parse_package)) < 0)
        return rc;
    REQUIRED(T_SOURCES);
    if ((rc = get_string_array(c, "sources", t[T_SOURCES].value,
                               m->sources)) < 0)
        return rc;
    REQUIRED(T_FILES);
    if ((rc = parse_map(c, m, "files", t[T_FILES].value, parse_file)) < 0)
        return rc;
    REQUIRED(T_SERVICES);
    if ((rc = parse_map(c, m, "services", t[T_SERVICES].value,
                        parse_service)) < 0)
        return rc;

    if (t[T_COLLECTOR].value) {
        slot s[] = { { "version", NULL }, { "transport", NULL } };
        char **dst[] = { &m->collector.version, &m->collector.transport };
        where wc = { "collector", NULL, 0, NULL };
        if ((rc = get_object(c, &wc, t[T_COLLECTOR].value)) < 0 ||
            (rc = fill_slots(c, &wc, t[T_COLLECTOR].value, s, 2)) < 0)
            return rc;
        for (int i = 0; i < 2; i++) {
            wc.field = s[i].name;
            if (s[i].value && (rc = get_string(c, &wc, s[i].value, dst[i])) < 0)
                return rc;
        }
    }
    return 0;
#undef REQUIRED
}

static void line_col(const char *data, gsize off, gsize *line, gsize *col)
{
    const char *nl = data;

    *line = 1;
    for (const char *p = data; p < data + off; p++) {
        if (*p == '\n') {
            (*line)++;
            nl = p + 1;
        }
    }
    *col = (gsize)(data + off - nl) + 1;
}

/* Before jansson sees the bytes: no NUL byte, nesting no deeper than
 * DS_MANIFEST_MAX_DEPTH (so no input can make a parser recurse deeply),
 * valid UTF-8. */
static int prescan(pctx *c, const char *data, gsize len)
{
    int depth = 0;
    bool in_string = false;
    gsize line, col;
    const char *end;

    for (gsize i = 0; i < len; i++) {
        char ch = data[i];
        if (ch == '\0') {
            line_col(data, i, &line, &col);
            return fail(c, "", NULL, 0, NULL,
                        "line %" G_GSIZE_FORMAT ", column %" G_GSIZE_FORMAT
                        ": NUL byte in the document", line, col);
        }
        if (in_string) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_string = false;
        } else if (ch == '"') {
            in_string = true;
        } else if (ch == '[' || ch == '{') {
            if (++depth > DS_MANIFEST_MAX_DEPTH) {
                line_col(data, i, &line, &col);
                return fail(c, "", NULL, 0, NULL,
                            "line %" G_GSIZE_FORMAT ", column %" G_GSIZE_FORMAT
                            ": nested deeper than %d levels", line, col,
                            DS_MANIFEST_MAX_DEPTH);
            }
        } else if (ch == ']' || ch == '}') {
            depth--;
        }
    }
    if (!g_utf8_validate_len(data, len, &end)) {
        line_col(data, (gsize)(end - data), &line, &col);
        return fail(c, "", NULL, 0, NULL,
                    "line %" G_GSIZE_FORMAT ", column %" G_GSIZE_FORMAT
                    ": not valid UTF-8 (byte 0x%02x)", line, col,
                    (unsigned char)*end);
    }
    return 0;
}

int ds_manifest_parse(ds_manifest **out, const char *data, gsize len,
                      const char *origin, GError **err)
{
    g_autoptr(ds_manifest) m = NULL;
    json_t *root = NULL;
    json_error_t jerr;
    pctx c = { origin ? origin : "manifest", err };
    gsize i;
    int rc;

    *out = NULL;
    if (len > DS_MANIFEST_MAX_BYTES)
        return fail(&c, "", NULL, 0, NULL,
                    "document of %" G_GSIZE_FORMAT " bytes is larger than "
                    "the limit of %u bytes", len, DS_MANIFEST_MAX_BYTES);
    for (i = 0; i < len && g_ascii_isspace(data[i]); i++)
        ;
    if (i == len)
        return fail(&c, "", NULL, 0, NULL, "empty document");
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        return fail(&c, "", NULL, 0, NULL, "starts with a byte order mark "
                    "(a manifest is plain UTF-8 JSON)");
    if ((rc = prescan(&c, data, len)) < 0)
        return rc;

    root = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
                      &jerr);
    if (!root)
        return fail(&c, "", NULL, 0, NULL, "line %d, column %d: invalid "
                    "JSON: %s", jerr.line, jerr.column, jerr.text);
    if (!json_is_object(root)) {
        rc = fail(&c, "", NULL, 0, NULL, "expected a JSON object at the top "
                  "level, got %s", type_name(root));
        json_decref(root);
        return rc;
    }
    m = ds_manifest_new(NULL, DS_ROLE_PROD);
    rc = parse_root(&c, m, root);
    json_decref(root);
    if (rc < 0)
        return rc;
    if ((rc = ds_manifest_check(m, c.origin, err)) < 0 ||
        (rc = ds_manifest_normalise(m, err)) < 0)
        return rc;
    *out = g_steal_pointer(&m);
    return 0;
}

int ds_manifest_load(ds_manifest **out, const char *filename, GError **err)
{
    g_autofree char *buf = NULL;
    struct stat st;
    gsize len = 0, cap;
    int fd, e;

    *out = NULL;
    fd = open(filename, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        e = errno;
        return ds_error_set(err, e == ENOENT ? DS_ENOTFOUND : DS_EGENERIC,
                            "%s: cannot open: %s", filename, g_strerror(e));
    }
    if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
        e = S_ISDIR(st.st_mode) ? EISDIR : errno;
        close(fd);
        return ds_error_set(err, DS_EGENERIC, "%s: cannot read: %s",
                            filename, g_strerror(e));
    }
    if (S_ISREG(st.st_mode) && (guint64)st.st_size > DS_MANIFEST_MAX_BYTES) {
        close(fd);
        return ds_error_set(err, DS_EINVALID, "%s: file of %" G_GUINT64_FORMAT
                            " bytes is larger than the limit of %u bytes",
                            filename, (guint64)st.st_size,
                            DS_MANIFEST_MAX_BYTES);
    }
    /* Read at most one byte more than the limit, whatever stat said. */
    cap = S_ISREG(st.st_mode) ? (gsize)st.st_size + 1 : 65536;
    buf = g_malloc(cap);
    for (;;) {
        ssize_t n;
        if (len == cap) {
            if (cap > DS_MANIFEST_MAX_BYTES)
                break;
            cap = MIN(cap * 2, (gsize)DS_MANIFEST_MAX_BYTES + 1);
            buf = g_realloc(buf, cap);
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            e = errno;
            close(fd);
            return ds_error_set(err, DS_EGENERIC, "%s: cannot read: %s",
                                filename, g_strerror(e));
        }
        if (n == 0)
            break;
        len += (gsize)n;
    }
    close(fd);
    if (len > DS_MANIFEST_MAX_BYTES)
        return ds_error_set(err, DS_EINVALID, "%s: larger than the limit of "
                            "%u bytes", filename, DS_MANIFEST_MAX_BYTES);
    return ds_manifest_parse(out, buf, len, filename, err);
}

/* ---- canonical serialisation -------------------------------------------- */

/* A JSON string, escaped as jansson's dumper does (UTF-8 kept as is). */
static void put_str(GString *g, const char *s)
{
    const char *run = s;

    g_string_append_c(g, '"');
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        g_string_append_len(g, run, p - run);
        run = p + 1;
        switch (ch) {
        case '"': g_string_append(g, "\\\""); break;
        case '\\': g_string_append(g, "\\\\"); break;
        case '\b': g_string_append(g, "\\b"); break;
        case '\f': g_string_append(g, "\\f"); break;
        case '\n': g_string_append(g, "\\n"); break;
        case '\r': g_string_append(g, "\\r"); break;
        case '\t': g_string_append(g, "\\t"); break;
        default: g_string_append_printf(g, "\\u%04X", ch); break;
        }
    }
    g_string_append_len(g, run, (gssize)strlen(run));
    g_string_append_c(g, '"');
}

static const char spaces[] = "            ";

/* Start a member of an object at `indent`: separator, new line, key. */
static void member(GString *g, int *n, int indent, const char *key,
                   bool escape)
{
    if ((*n)++)
        g_string_append_c(g, ',');
    g_string_append_c(g, '\n');
    g_string_append_len(g, spaces, indent);
    if (escape) {
        put_str(g, key);
    } else {
        g_string_append_c(g, '"');
        g_string_append(g, key);
        g_string_append_c(g, '"');
    }
    g_string_append(g, ": ");
}

static void close_obj(GString *g, int n, int indent, char bracket)
{
    if (n) {
        g_string_append_c(g, '\n');
        g_string_append_len(g, spaces, indent);
    }
    g_string_append_c(g, bracket);
}

static void put_member_str(GString *g, int *n, int indent, const char *key,
                           const char *value)
{
    if (!value)
        return;
    member(g, n, indent, key, false);
    put_str(g, value);
}

static void put_string_array(GString *g, GPtrArray *a, int indent)
{
    int n = 0;
    const char *prev = NULL;

    g_string_append_c(g, '[');
    for (guint i = 0; a && i < a->len; i++) {
        const char *s = a->pdata[i];
        if (prev && strcmp(prev, s) == 0)
            continue;
        prev = s;
        if (n++)
            g_string_append_c(g, ',');
        g_string_append_c(g, '\n');
        g_string_append_len(g, spaces, indent + 2);
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
            return ds_error_set(err, DS_EINVALID, "%s: %s: listed twice "
                                "(the manifest is not normalised)", origin,
                                path->str);
        }
    }
    return 0;
}

static void write_manifest(GString *g, const ds_manifest *m, GPtrArray *pkgs,
                           GPtrArray *srcs, GPtrArray *files,
                           GPtrArray *svcs, GPtrArray *kernels)
{
    int n = 0, k;
    char mode[8];

    g_string_append_c(g, '{');
    put_member_str(g, &n, 2, "collected_at", m->collected_at);

    member(g, &n, 2, "collector", false);
    g_string_append_c(g, '{');
    k = 0;
    put_member_str(g, &k, 4, "transport", m->collector.transport);
    put_member_str(g, &k, 4, "version", m->collector.version);
    close_obj(g, k, 2, '}');

    member(g, &n, 2, "files", false);
    g_string_append_c(g, '{');
    k = 0;
    for (guint i = 0; i < files->len; i++) {
        const ds_file *f = files->pdata[i];
        int e = 0;
        member(g, &k, 4, f->path, true);
        g_string_append_c(g, '{');
        put_member_str(g, &e, 6, "content_ref", f->content_ref);
        put_member_str(g, &e, 6, "group", f->group);
        put_member_str(g, &e, 6, "hmac", f->hmac);
        g_snprintf(mode, sizeof mode, "%04o", f->mode);
        put_member_str(g, &e, 6, "mode", mode);
        put_member_str(g, &e, 6, "owner", f->owner);
        if (f->secret) {
            member(g, &e, 6, "secret", false);
            g_string_append(g, "true");
        }
        put_member_str(g, &e, 6, "sha256", f->sha256);
        put_member_str(g, &e, 6, "target", f->target);
        if (f->type == DS_FILE_SYMLINK)
            put_member_str(g, &e, 6, "type", "symlink");
        close_obj(g, e, 4, '}');
    }
    close_obj(g, k, 2, '}');

    put_member_str(g, &n, 2, "host", m->host);

    member(g, &n, 2, "kernel", false);
    g_string_append_c(g, '{');
    k = 0;
    member(g, &k, 4, "installed", false);
    put_string_array(g, kernels, 4);
    put_member_str(g, &k, 4, "running", m->kernel.running);
    close_obj(g, k, 2, '}');

    member(g, &n, 2, "os", false);
    g_string_append_c(g, '{');
    k = 0;
    put_member_str(g, &k, 4, "id", m->os.id);
    put_member_str(g, &k, 4, "name", m->os.name);
    put_member_str(g, &k, 4, "version", m->os.version);
    close_obj(g, k, 2, '}');

    member(g, &n, 2, "packages", false);
    g_string_append_c(g, '{');
    k = 0;
    for (guint i = 0; i < pkgs->len; i++) {
        const ds_package *p = pkgs->pdata[i];
        int e = 0;
        member(g, &k, 4, p->name, true);
        g_string_append_c(g, '{');
        put_member_str(g, &e, 6, "arch", p->arch);
        put_member_str(g, &e, 6, "source", p->source);
        put_member_str(g, &e, 6, "version", p->version);
        close_obj(g, e, 4, '}');
    }
    close_obj(g, k, 2, '}');

    member(g, &n, 2, "reboot_required", false);
    g_string_append(g, m->reboot_required ? "true" : "false");
    put_member_str(g, &n, 2, "role", ds_role_name(m->role));
    put_member_str(g, &n, 2, "schema", DS_MANIFEST_SCHEMA);

    member(g, &n, 2, "services", false);
    g_string_append_c(g, '{');
    k = 0;
    for (guint i = 0; i < svcs->len; i++) {
        const ds_service *s = svcs->pdata[i];
        int e = 0;
        member(g, &k, 4, s->name, true);
        g_string_append_c(g, '{');
        put_member_str(g, &e, 6, "active", s->active);
        put_member_str(g, &e, 6, "enabled", s->enabled);
        close_obj(g, e, 4, '}');
    }
    close_obj(g, k, 2, '}');

    member(g, &n, 2, "sources", false);
    put_string_array(g, srcs, 2);
    close_obj(g, n, 0, '}');
    g_string_append_c(g, '\n');
}

static void unref_if_copy(GPtrArray *view, GPtrArray *orig)
{
    if (view && view != orig)
        g_ptr_array_unref(view);
}

int ds_manifest_serialise(GBytes **out, const ds_manifest *m, GError **err)
{
    g_autoptr(GPtrArray) empty = g_ptr_array_new();
    GPtrArray *a_pkgs, *a_srcs, *a_files, *a_svcs, *a_kern;
    GPtrArray *pkgs = NULL, *srcs = NULL, *files = NULL, *svcs = NULL,
              *kern = NULL;
    const char *origin;
    GString *g;
    gsize hint;
    int rc;

    *out = NULL;
    g_return_val_if_fail(m != NULL, DS_EINVALID);
    origin = m->host && ds_name_is_safe_host(m->host) ? m->host : "manifest";
    if ((rc = ds_manifest_check(m, origin, err)) < 0)
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
                                origin, "kernel.installed", err)) < 0)
        goto done;

    hint = 1024 + pkgs->len * 120 + files->len * 320 + svcs->len * 96 +
           srcs->len * 128 + kern->len * 48;
    g = g_string_sized_new(hint);
    write_manifest(g, m, pkgs, srcs, files, svcs, kern);
    *out = g_string_free_to_bytes(g);
    rc = 0;
done:
    unref_if_copy(pkgs, a_pkgs);
    unref_if_copy(srcs, a_srcs);
    unref_if_copy(files, a_files);
    unref_if_copy(svcs, a_svcs);
    unref_if_copy(kern, a_kern);
    return rc;
}
