/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/bundle.c: the tested patch bundle document: strict parsing
 * (bounded, every field checked, one error naming the field), canonical
 * serialisation and the forms `bundle show` prints. */
#include <config.h>

#include <jansson.h>
#include <string.h>

#include "manifests/bundle.h"
#include "manifests/util/error.h"
#include "manifests/manifest.h"
#include "manifests/version.h"

static void check_free(gpointer p)
{
    ds_bundle_check *c = p;

    if (c) {
        g_free(c->command);
        g_free(c);
    }
}

ds_bundle *ds_bundle_new(const char *name)
{
    ds_bundle *b = g_new0(ds_bundle, 1);

    b->name = g_strdup(name);
    b->packages = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        g_free);
    b->checks = g_ptr_array_new_with_free_func(check_free);
    return b;
}

void ds_bundle_free(ds_bundle *b)
{
    if (!b)
        return;
    g_free(b->name);
    g_free(b->host);
    g_free(b->lab);
    g_free(b->prod_revision);
    g_free(b->run);
    g_free(b->tested_at);
    g_free(b->error);
    g_hash_table_unref(b->packages);
    g_ptr_array_unref(b->checks);
    g_free(b);
}

int ds_bundle_add_package(ds_bundle *b, const char *name, const char *version,
                          GError **err)
{
    /* Both may come from a document: shown through ds_error_text. */
    if (!ds_name_is_safe_package(name)) {
        g_autofree char *shown = ds_error_text(name, -1);
        return ds_error_set(err, DS_EINVALID, "'%s' is not a package name",
                            shown);
    }
    if (!ds_version_is_valid(version) || strlen(version) > 256) {
        g_autofree char *shown = ds_error_text(version, -1);
        return ds_error_set(err, DS_EINVALID,
                            "%s: '%s' is not a Debian version", name, shown);
    }
    if (g_hash_table_contains(b->packages, name))
        return ds_error_set(err, DS_EINVALID, "%s is given twice", name);
    if (g_hash_table_size(b->packages) >= DS_BUNDLE_MAX_PACKAGES)
        return ds_error_set(err, DS_EINVALID, "more than %u packages",
                            DS_BUNDLE_MAX_PACKAGES);
    g_hash_table_insert(b->packages, g_strdup(name), g_strdup(version));
    return 0;
}

void ds_bundle_add_check(ds_bundle *b, const char *command, int status,
                         double seconds)
{
    ds_bundle_check *c = g_new0(ds_bundle_check, 1);

    c->command = g_strdup(command);
    c->status = status;
    c->seconds = seconds;
    g_ptr_array_add(b->checks, c);
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

GPtrArray *ds_bundle_package_names(const ds_bundle *b)
{
    GPtrArray *names = g_ptr_array_new();
    GHashTableIter it;
    gpointer k;

    g_hash_table_iter_init(&it, b->packages);
    while (g_hash_table_iter_next(&it, &k, NULL))
        g_ptr_array_add(names, k);

    g_ptr_array_sort(names, cmp_str);
    return names;
}

bool ds_bundle_is_document(const char *data, gsize len)
{
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *schema = json_is_object(doc) ? json_object_get(doc, "schema")
                                         : NULL;
    bool is = json_is_string(schema) &&
              strcmp(json_string_value(schema), DS_BUNDLE_SCHEMA) == 0;

    json_decref(doc);
    return is;
}

/* A string member: required or not, bounded, one line, UTF-8 (jansson
 * checked that), `safe` when it must pass a name check. */
static int get_string(char **out, json_t *doc, const char *key, bool required,
                      bool (*safe)(const char *), const char *origin,
                      GError **err)
{
    json_t *v = json_object_get(doc, key);
    const char *s;

    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return ds_error_set(err, DS_EINVALID, "%s: %s: missing", origin,
                                key);
        return 0;
    }
    if (!json_is_string(v))
        return ds_error_set(err, DS_EINVALID, "%s: %s: not a string", origin,
                            key);
    s = json_string_value(v);
    if (json_string_length(v) != strlen(s) || strlen(s) > 64 * 1024 ||
        strchr(s, '\n') || (safe && !safe(s)))
        return ds_error_set(err, DS_EINVALID, "%s: %s: not a valid value",
                            origin, key);
    *out = g_strdup(s);
    return 0;
}

static bool is_hex_oid(const char *s)
{
    gsize n = strlen(s);

    if (n != 40 && n != 64)
        return false;
    for (gsize i = 0; i < n; i++)
        if (!g_ascii_isxdigit(s[i]) || g_ascii_isupper(s[i]))
            return false;
    return true;
}

/* YYYY-MM-DDTHH:MM:SSZ, and a time that exists (not February 30): the
 * patch history reads it back with GLib. */
static bool is_utc_time(const char *s)
{
    g_autoptr(GDateTime) dt = NULL;

    if (!g_regex_match_simple(
            "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$", s, 0,
            0))
        return false;
    dt = g_date_time_new_from_iso8601(s, NULL);
    return dt != NULL;
}

static int parse_checks(ds_bundle *b, json_t *arr, const char *origin,
                        GError **err)
{
    size_t i;
    json_t *c;

    if (!json_is_array(arr) || json_array_size(arr) > DS_BUNDLE_MAX_CHECKS)
        return ds_error_set(err, DS_EINVALID,
                            "%s: checks: not an array of at most %u checks",
                            origin, DS_BUNDLE_MAX_CHECKS);
    json_array_foreach(arr, i, c)
    {
        json_t *cmd = json_object_get(c, "command");
        json_t *st = json_object_get(c, "status");
        json_t *sec = json_object_get(c, "seconds");

        if (!json_is_object(c) || json_object_size(c) != 3 ||
            !json_is_string(cmd) || !json_is_integer(st) ||
            json_integer_value(st) < -1 || json_integer_value(st) > 255 ||
            !json_is_number(sec) || json_number_value(sec) < 0 ||
            json_string_length(cmd) != strlen(json_string_value(cmd)))
            return ds_error_set(err, DS_EINVALID,
                                "%s: checks[%zu]: expected {command, status, "
                                "seconds}",
                                origin, i);
        ds_bundle_add_check(b, json_string_value(cmd),
                            (int)json_integer_value(st),
                            json_number_value(sec));
    }
    return 0;
}

static int parse_packages(ds_bundle *b, json_t *obj, const char *origin,
                          GError **err)
{
    const char *key;
    json_t *v;

    if (!json_is_object(obj) || json_object_size(obj) == 0)
        return ds_error_set(err, DS_EINVALID,
                            "%s: packages: not a non-empty object "
                            "{\"package\": \"version\"}",
                            origin);
    json_object_foreach(obj, key, v)
    {
        if (!json_is_string(v) ||
            json_string_length(v) != strlen(json_string_value(v)))
            return ds_error_set(err, DS_EINVALID,
                                "%s: packages: the version of a package is "
                                "not a string",
                                origin);
        if (ds_bundle_add_package(b, key, json_string_value(v), err) < 0)
            return ds_error_prefix(err, DS_EINVALID, "%s: packages: ",
                                   origin);
    }
    return 0;
}

static const char *const known_keys[] = {
    "schema", "name",    "host",   "lab",   "prod_revision", "run",
    "tested_at", "security_only", "passed", "error", "packages", "checks"};

static int parse_doc(ds_bundle *b, json_t *doc, const char *origin,
                     GError **err)
{
    const char *key;
    json_t *v;
    int rc;

    json_object_foreach(doc, key, v)
    {
        bool known = false;
        for (guint i = 0; i < G_N_ELEMENTS(known_keys); i++)
            known = known || strcmp(key, known_keys[i]) == 0;
        if (!known) {
            g_autofree char *shown = ds_error_text(key, MIN(strlen(key), 60));
            return ds_error_set(err, DS_EINVALID, "%s: unknown member '%s'",
                                origin, shown);
        }
    }
    if ((rc = get_string(&b->name, doc, "name", true, ds_name_is_safe_host,
                         origin, err)) < 0 ||
        (rc = get_string(&b->host, doc, "host", true, ds_name_is_safe_host,
                         origin, err)) < 0 ||
        (rc = get_string(&b->lab, doc, "lab", false, ds_name_is_safe_host,
                         origin, err)) < 0 ||
        (rc = get_string(&b->prod_revision, doc, "prod_revision", false,
                         is_hex_oid, origin, err)) < 0 ||
        (rc = get_string(&b->run, doc, "run", false, ds_name_is_safe_host,
                         origin, err)) < 0 ||
        (rc = get_string(&b->tested_at, doc, "tested_at", true, is_utc_time,
                         origin, err)) < 0 ||
        (rc = get_string(&b->error, doc, "error", false, NULL, origin, err)) <
            0)
        return rc;
    v = json_object_get(doc, "passed");
    if (!json_is_boolean(v))
        return ds_error_set(err, DS_EINVALID, "%s: passed: not true or false",
                            origin);
    b->passed = json_is_true(v);
    v = json_object_get(doc, "security_only");
    if (v && !json_is_boolean(v))
        return ds_error_set(err, DS_EINVALID,
                            "%s: security_only: not true or false", origin);
    b->security_only = json_is_true(v);
    if ((rc = parse_packages(b, json_object_get(doc, "packages"), origin,
                             err)) < 0)
        return rc;
    v = json_object_get(doc, "checks");
    return v ? parse_checks(b, v, origin, err) : 0;
}

int ds_bundle_parse(ds_bundle **out, const char *data, gsize len,
                    const char *origin, GError **err)
{
    g_autoptr(ds_bundle) b = ds_bundle_new(NULL);
    json_error_t jerr;
    json_t *doc, *schema;
    int rc;

    *out = NULL;
    if (len > DS_BUNDLE_MAX_BYTES)
        return ds_error_set(err, DS_EINVALID, "%s: over %u bytes", origin,
                            DS_BUNDLE_MAX_BYTES);
    doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        g_autofree char *text = ds_error_text(jerr.text, -1);
        return ds_error_set(err, DS_EINVALID, "%s:%d: not valid JSON: %s",
                            origin, jerr.line, text);
    }
    schema = json_is_object(doc) ? json_object_get(doc, "schema") : NULL;
    if (!json_is_string(schema) ||
        strcmp(json_string_value(schema), DS_BUNDLE_SCHEMA) != 0) {
        json_decref(doc);
        return ds_error_set(err, DS_EINVALID, "%s: schema: not %s", origin,
                            DS_BUNDLE_SCHEMA);
    }
    rc = parse_doc(b, doc, origin, err);
    json_decref(doc);
    if (rc < 0)
        return rc;
    *out = g_steal_pointer(&b);
    return 0;
}

static json_t *to_json(const ds_bundle *b)
{
    json_t *pkgs = json_object(), *checks = json_array();
    GHashTableIter it;
    gpointer k, v;
    json_t *doc;

    g_hash_table_iter_init(&it, b->packages);
    while (g_hash_table_iter_next(&it, &k, &v))
        json_object_set_new(pkgs, k, json_string(v));
    for (guint i = 0; i < b->checks->len; i++) {
        const ds_bundle_check *c = b->checks->pdata[i];
        json_array_append_new(checks,
                              json_pack("{s:s, s:i, s:f}", "command",
                                        c->command, "status", c->status,
                                        "seconds", c->seconds));
    }
    doc = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:o, s:o}", "schema",
                    DS_BUNDLE_SCHEMA, "name", b->name, "host", b->host,
                    "tested_at", b->tested_at, "passed", b->passed,
                    "security_only", b->security_only, "packages", pkgs,
                    "checks", checks);
    if (!doc)
        return NULL;
    if (b->lab)
        json_object_set_new(doc, "lab", json_string(b->lab));
    if (b->prod_revision)
        json_object_set_new(doc, "prod_revision",
                            json_string(b->prod_revision));
    if (b->run)
        json_object_set_new(doc, "run", json_string(b->run));
    if (b->error)
        json_object_set_new(doc, "error", json_string(b->error));
    return doc;
}

int ds_bundle_serialise(GBytes **out, const ds_bundle *b, GError **err)
{
    json_t *doc;
    char *text;
    GString *s;

    *out = NULL;
    if (!b->name || !ds_name_is_safe_host(b->name) || !b->host ||
        !ds_name_is_safe_host(b->host) || !b->tested_at ||
        !is_utc_time(b->tested_at) || g_hash_table_size(b->packages) == 0)
        return ds_error_set(err, DS_EINVALID,
                            "bundle %s: name, host, time or packages missing "
                            "or invalid",
                            b->name && ds_name_is_safe_host(b->name) ? b->name
                                                                     : "?");
    doc = to_json(b);
    text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(doc);
    if (!text)
        return ds_error_set(err, DS_EGENERIC, "bundle %s: cannot encode",
                            b->name);
    s = g_string_new(text);
    g_string_append_c(s, '\n');
    free(text);
    *out = g_string_free_to_bytes(s);
    return 0;
}

int ds_bundle_format(char **out, const ds_bundle *b, const char *format,
                     GError **err)
{
    g_autoptr(GPtrArray) names = ds_bundle_package_names(b);
    GString *s;

    *out = NULL;
    if (!format || strcmp(format, "json") == 0) {
        g_autoptr(GBytes) bytes = NULL;
        int rc = ds_bundle_serialise(&bytes, b, err);
        if (rc < 0)
            return rc;
        *out = g_strndup(g_bytes_get_data(bytes, NULL),
                         g_bytes_get_size(bytes));
        return 0;
    }
    if (strcmp(format, "lines") && strcmp(format, "apt"))
        return ds_error_set(err, DS_EINVALID,
                            "--format %s: expected lines, json or apt",
                            format);
    s = g_string_new(strcmp(format, "apt") == 0
                         ? "apt-get install -y --no-remove"
                         : NULL);
    for (guint i = 0; i < names->len; i++) {
        const char *n = names->pdata[i];
        g_string_append_printf(s, strcmp(format, "apt") == 0 ? " %s=%s"
                                                              : "%s=%s\n",
                               n, (char *)g_hash_table_lookup(b->packages, n));
    }
    if (strcmp(format, "apt") == 0)
        g_string_append_c(s, '\n');
    *out = g_string_free(s, FALSE);
    return 0;
}
