/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/audit.c: the audit's checks on a manifest: expectations (patch
 * bundles, the newest of a group), missing packages, the kernel, and drift
 * of prod since its lab was last recorded in the store. */
#include <config.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "manifests/bundle.h"
#include "manifests/diff.h"
#include "manifests/patch-history.h"
#include "manifests/util/error.h"
#include "manifests/version.h"
#include "sync/jobs/audit.h"

static const char *const kind_names[] = {"missing", "reboot",  "restart",
                                         "drift",   "pending", "overdue"};

const char *ds_audit_kind_name(ds_audit_kind kind)
{
    return (guint)kind < G_N_ELEMENTS(kind_names) ? kind_names[kind] : "?";
}

ds_audit_finding *ds_audit_finding_new(ds_audit_kind kind, const char *detail)
{
    ds_audit_finding *f = g_new0(ds_audit_finding, 1);

    f->kind = kind;
    f->detail = g_strdup(detail);
    return f;
}

void ds_audit_finding_free(ds_audit_finding *f)
{
    if (!f)
        return;
    g_free(f->detail);
    g_free(f->package);
    g_free(f->have);
    g_free(f->want);
    g_free(f->unit);
    g_free(f->path);
    if (f->packages)
        g_ptr_array_unref(f->packages);
    g_free(f);
}

ds_audit_expect *ds_audit_expect_new(void)
{
    ds_audit_expect *e = g_new0(ds_audit_expect, 1);

    e->want = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    e->required = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return e;
}

void ds_audit_expect_free(ds_audit_expect *e)
{
    if (!e)
        return;
    g_hash_table_unref(e->want);
    g_hash_table_unref(e->required);
    g_free(e);
}

/* Bytes of untrusted text quoted in an error message. */
#define EXCERPT_MAX 60

/* A printable excerpt of untrusted text for an error message. */
static char *show(const char *s, gsize len)
{
    GString *o = g_string_new("'");

    for (gsize i = 0; i < len && i < EXCERPT_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\'')
            g_string_append_c(o, (char)c);
        else
            g_string_append_printf(o, "\\x%02x", c);
    }
    if (len > EXCERPT_MAX)
        g_string_append(o, "...");
    g_string_append_c(o, '\'');
    return g_string_free(o, FALSE);
}

/* An rpm package name, with or without its ".ARCH". */
static bool rpm_name_ok(const char *n)
{
    if (!*n || n[0] == '-' || n[0] == '.' || strlen(n) > 256)
        return false;
    for (const char *p = n; *p; p++)
        if (!g_ascii_isalnum(*p) && !strchr("._+-", *p))
            return false;
    return true;
}

/* An rpm "[EPOCH:]VERSION-RELEASE", or "[EPOCH:]VERSION" (no release). */
static bool rpm_version_ok(const char *v)
{
    g_autofree char *evr = NULL;

    if (ds_rpm_evr_is_valid(v))
        return true;
    if (strchr(v, '-') || strlen(v) > 256)
        return false;
    evr = g_strconcat(v, "-0", NULL);
    return ds_rpm_evr_is_valid(evr);
}

static int expect_add(ds_audit_expect *e, const char *name, gsize nlen,
                      const char *version, gsize vlen, const char *where,
                      GError **err)
{
    g_autofree char *n = NULL, *v = NULL;
    bool required = nlen > 0 && name[0] == '+';

    if (required)
        name++, nlen--;
    n = g_strndup(name, nlen);
    v = g_strndup(version, vlen);
    if (strlen(n) != nlen ||
        !(ds_name_is_safe_package(n) || rpm_name_ok(n))) {
        g_autofree char *s = show(name, nlen);
        return ds_error_set(err, DS_EINVALID, "%s: %s is not a package name",
                            where, s);
    }
    if (strlen(v) != vlen ||
        !(ds_version_is_valid(v) || rpm_version_ok(v))) {
        g_autofree char *s = show(version, vlen);
        return ds_error_set(err, DS_EINVALID,
                            "%s: %s: %s is not a Debian or rpm version", where, n, s);
    }
    if (g_hash_table_contains(e->want, n))
        return ds_error_set(err, DS_EINVALID, "%s: %s is given twice", where,
                            n);
    if (g_hash_table_size(e->want) >= DS_AUDIT_MAX_EXPECT_ENTRIES)
        return ds_error_set(err, DS_EINVALID, "%s: more than %u packages",
                            where, DS_AUDIT_MAX_EXPECT_ENTRIES);
    if (required)
        g_hash_table_add(e->required, g_strdup(n));
    g_hash_table_insert(e->want, g_steal_pointer(&n), g_steal_pointer(&v));
    return 0;
}

int ds_audit_expect_from_bundle(ds_audit_expect **out, const ds_bundle *b,
                                const char *origin, GError **err)
{
    g_autoptr(ds_audit_expect) e = ds_audit_expect_new();
    GHashTableIter it;
    gpointer k, v;

    *out = NULL;
    if (!b->passed)
        return ds_error_set(err, DS_EINVALID,
                            "%s: bundle %s records a failed trial: nothing "
                            "to expect from it",
                            origin, b->name);
    g_hash_table_iter_init(&it, b->packages);
    while (g_hash_table_iter_next(&it, &k, &v))
        g_hash_table_insert(e->want, g_strdup(k), g_strdup(v));
    e->platform = "dpkg";
    *out = g_steal_pointer(&e);
    return 0;
}

/* A stored bundle document (driftsync/bundle/v1) as an expectation. */
static int parse_bundle(ds_audit_expect **out, const char *data, gsize len,
                        const char *origin, GError **err)
{
    g_autoptr(ds_bundle) b = NULL;
    int rc = ds_bundle_parse(&b, data, len, origin, err);

    return rc < 0 ? rc : ds_audit_expect_from_bundle(out, b, origin, err);
}

static int parse_json(ds_audit_expect *e, const char *data, gsize len,
                      const char *origin, GError **err)
{
    json_error_t jerr;
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    const char *key;
    json_t *value;
    int rc = 0;

    if (!doc) { /* jansson's message quotes the bytes it stopped at */
        g_autofree char *why = ds_error_text(jerr.text, -1);
        return ds_error_set(err, DS_EINVALID, "%s:%d: not valid JSON: %s",
                            origin, jerr.line, why);
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        return ds_error_set(err, DS_EINVALID,
                            "%s: not a JSON object {\"package\": \"version\"}",
                            origin);
    }
    json_object_foreach(doc, key, value)
    {
        if (!json_is_string(value)) {
            g_autofree char *s = show(key, strlen(key));
            rc = ds_error_set(err, DS_EINVALID,
                              "%s: %s: the version is not a string", origin, s);
            break;
        }
        rc = expect_add(e, key, strlen(key), json_string_value(value),
                        json_string_length(value), origin, err);
        if (rc < 0)
            break;
    }
    json_decref(doc);
    return rc;
}

static int parse_lines(ds_audit_expect *e, const char *data, gsize len,
                       const char *origin, GError **err)
{
    const char *p = data, *end = data + len;
    guint lineno = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (gsize)(end - p));
        const char *le = nl ? nl : end, *eq, *a = p, *b = le;
        g_autofree char *where = NULL;
        int rc;

        lineno++;
        p = nl ? nl + 1 : end;
        while (a < b && g_ascii_isspace(*a))
            a++;
        while (b > a && g_ascii_isspace(b[-1]))
            b--;
        if (a == b || *a == '#')
            continue;
        where = g_strdup_printf("%s:%u", origin, lineno);
        eq = memchr(a, '=', (gsize)(b - a));
        if (!eq) {
            g_autofree char *s = show(a, (gsize)(b - a));
            return ds_error_set(err, DS_EINVALID, "%s: %s is not name=version",
                                where, s);
        }
        {
            const char *ne = eq, *vs = eq + 1;

            while (ne > a && g_ascii_isspace(ne[-1]))
                ne--;
            while (vs < b && g_ascii_isspace(*vs))
                vs++;
            rc = expect_add(e, a, (gsize)(ne - a), vs, (gsize)(b - vs), where,
                            err);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

int ds_audit_expect_parse(ds_audit_expect **out, const char *data, gsize len,
                          const char *origin, GError **err)
{
    g_autoptr(ds_audit_expect) e = ds_audit_expect_new();
    gsize i = 0;
    int rc;

    if (len > DS_AUDIT_MAX_EXPECT_BYTES)
        return ds_error_set(err, DS_EINVALID, "%s: over %u bytes", origin,
                            DS_AUDIT_MAX_EXPECT_BYTES);
    if (!g_utf8_validate(data, (gssize)len, NULL))
        return ds_error_set(err, DS_EINVALID, "%s: not UTF-8 text", origin);
    while (i < len && g_ascii_isspace(data[i]))
        i++;
    if (i < len && data[i] == '{' && ds_bundle_is_document(data, len))
        return parse_bundle(out, data, len, origin, err);
    rc = i < len && (data[i] == '{' || data[i] == '[' || data[i] == '"')
             ? parse_json(e, data, len, origin, err)
             : parse_lines(e, data, len, origin, err);
    if (rc < 0)
        return rc;
    if (g_hash_table_size(e->want) == 0)
        return ds_error_set(err, DS_EINVALID, "%s: no package in the bundle",
                            origin);
    *out = g_steal_pointer(&e);
    return 0;
}

int ds_audit_expect_load(ds_audit_expect **out, const char *filename,
                         GError **err)
{
    g_autofree char *buf = g_malloc(DS_AUDIT_MAX_EXPECT_BYTES + 1);
    gsize len = 0;
    FILE *f = fopen(filename, "rb");

    if (!f)
        return ds_error_set(err, errno == ENOENT ? DS_ENOTFOUND : DS_EGENERIC,
                            "%s: %s", filename, g_strerror(errno));
    len = fread(buf, 1, DS_AUDIT_MAX_EXPECT_BYTES + 1, f);
    if (ferror(f)) {
        int e = errno;
        fclose(f);
        return ds_error_set(err, DS_EGENERIC, "%s: %s", filename,
                            g_strerror(e));
    }
    fclose(f);
    return ds_audit_expect_parse(out, buf, len, filename, err);
}

ds_audit_expect *ds_audit_expect_newest(const ds_manifest *const *manifests,
                                        guint n, const ds_ignore *ignore)
{
    ds_audit_expect *e = ds_audit_expect_new();

    for (guint i = 0; i < n; i++) {
        const ds_manifest *m = manifests[i];

        for (guint j = 0; j < m->packages->len; j++) {
            const ds_package *p = m->packages->pdata[j];
            const char *cur = g_hash_table_lookup(e->want, p->name);

            if (ignore && ds_ignore_match(ignore, DS_CAT_PACKAGES, p->name))
                continue;
            if (!cur || ds_manifest_version_compare(m, p->version, cur) > 0)
                g_hash_table_insert(e->want, g_strdup(p->name),
                                    g_strdup(p->version));
        }
    }
    return e;
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_missing(GPtrArray *findings, const char *name,
                        const char *have, const char *want)
{
    g_autofree char *d =
        have ? g_strdup_printf("%s %s is older than %s", name, have, want)
             : g_strdup_printf("%s is not installed (%s expected)", name,
                               want);
    ds_audit_finding *f = ds_audit_finding_new(DS_AUDIT_MISSING, d);

    f->package = g_strdup(name);
    f->have = g_strdup(have);
    f->want = g_strdup(want);
    g_ptr_array_add(findings, f);
}

/* <0, 0, >0 as an installed EVR is older than, as new as or newer than
 * an expected one; without a release in want, releases are not
 * compared. */
static int rpm_expect_compare(const char *have, const char *want)
{
    const char *dash = strrchr(have, '-');
    g_autofree char *h = NULL;
    g_autofree char *w = NULL;

    if (strchr(want, '-') || !dash)
        return ds_rpm_evr_compare(have, want);
    h = g_strdup_printf("%.*s-0", (int)(dash - have), have);
    w = g_strconcat(want, "-0", NULL);
    return ds_rpm_evr_compare(h, w);
}

/* The packages of an rpm host an expected name designates: its NAME.ARCH
 * key, else every NAME.ARCH of that NAME (not owned). */
static GPtrArray *rpm_packages_named(const ds_manifest *m, const char *name)
{
    GPtrArray *a = g_ptr_array_new();
    const ds_package *p = ds_manifest_find_package(m, name);
    gsize n = strlen(name);

    if (p) {
        g_ptr_array_add(a, (gpointer)p);
        return a;
    }
    for (guint i = 0; i < m->packages->len; i++) {
        p = m->packages->pdata[i];
        if (strncmp(p->name, name, n) == 0 && p->name[n] == '.' &&
            !strchr(p->name + n + 1, '.'))
            g_ptr_array_add(a, (gpointer)p);
    }
    return a;
}

static int check_missing_rpm(GPtrArray *findings, const ds_manifest *m,
                             const ds_audit_expect *expect, const char *name,
                             const char *want, GError **err)
{
    g_autoptr(GPtrArray) have = NULL;

    if (!rpm_version_ok(want)) {
        g_autofree char *s = show(want, strlen(want));
        return ds_error_set(err, DS_EINVALID, "%s: an rpm host, and the version expected of %s, %s, is not an rpm version ([EPOCH:]VERSION[-RELEASE])", m->host, name, s);
    }
    have = rpm_packages_named(m, name);
    if (!have->len && g_hash_table_contains(expect->required, name))
        add_missing(findings, name, NULL, want);
    for (guint i = 0; i < have->len; i++) {
        const ds_package *p = have->pdata[i];

        if (rpm_expect_compare(p->version, want) < 0)
            add_missing(findings, p->name, p->version, want);
    }
    return 0;
}

int ds_audit_check_missing(GPtrArray *findings, const ds_manifest *m,
                           const ds_audit_expect *expect, GError **err)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    const char *platform = ds_manifest_is_rpm(m) ? "rpm" : "dpkg";
    GHashTableIter it;
    gpointer key;
    int rc;

    if (expect->platform && strcmp(expect->platform, platform) != 0)
        return ds_error_set(err, DS_EUNSUPPORTED, "%s: %s host, and the versions expected are %s host's (a bundle holds what trial --pending tried on one): not checked against them", m->host, ds_manifest_is_rpm(m) ? "an rpm" : "a dpkg", strcmp(expect->platform, "rpm") == 0 ? "an rpm" : "a dpkg");
    g_hash_table_iter_init(&it, expect->want);
    while (g_hash_table_iter_next(&it, &key, NULL))
        g_ptr_array_add(names, key);
    g_ptr_array_sort(names, cmp_str);
    for (guint i = 0; i < names->len; i++) {
        const char *name = names->pdata[i];
        const char *want = g_hash_table_lookup(expect->want, name);
        const ds_package *p;

        if (ds_manifest_is_rpm(m)) {
            if ((rc = check_missing_rpm(findings, m, expect, name, want,
                                        err)) < 0)
                return rc;
            continue;
        }
        if (!ds_version_is_valid(want)) {
            g_autofree char *s = show(want, strlen(want));
            return ds_error_set(err, DS_EINVALID, "%s: a dpkg host, and the version expected of %s, %s, is not a Debian version", m->host, name, s);
        }
        p = ds_manifest_find_package(m, name);
        if (p && ds_version_compare(p->version, want) >= 0)
            continue;
        if (!p && !g_hash_table_contains(expect->required, name))
            continue;
        add_missing(findings, name, p ? p->version : NULL, want);
    }
    return 0;
}

void ds_audit_check_kernel(GPtrArray *findings, const ds_manifest *m,
                           bool flag_known)
{
    const char *newest = NULL, *running = m->kernel.running;
    bool behind;

    for (guint i = 0; m->kernel.installed && i < m->kernel.installed->len;
         i++) {
        const char *k = m->kernel.installed->pdata[i];
        if (!newest || ds_manifest_version_compare(m, k, newest) > 0)
            newest = k;
    }
    behind = newest && running && strcmp(running, "unknown") != 0 &&
             ds_manifest_version_compare(m, newest, running) > 0;
    if (behind) {
        g_autofree char *d = g_strdup_printf(
            "running kernel %s, newest installed %s", running, newest);
        ds_audit_finding *f = ds_audit_finding_new(DS_AUDIT_REBOOT, d);

        f->have = g_strdup(running);
        f->want = g_strdup(newest);
        g_ptr_array_add(findings, f);
    } else if (!flag_known && m->reboot_required) {
        g_ptr_array_add(findings,
                        ds_audit_finding_new(DS_AUDIT_REBOOT,
                                             "a reboot was required when the "
                                             "manifest was collected"));
    }
}

static ds_audit_finding *drift_finding(const ds_change *c)
{
    g_autofree char *d = ds_change_describe(c);
    g_autofree char *detail =
        g_strdup_printf("%s (%s) since the lab was last synced", d,
                        ds_change_kind_name(c->kind));
    ds_audit_finding *f = ds_audit_finding_new(DS_AUDIT_DRIFT, detail);

    if (c->category == DS_CAT_PACKAGES) {
        f->package = g_strdup(c->name);
        f->have = g_strdup(c->old_value);
        f->want = g_strdup(c->new_value);
    }
    return f;
}

int ds_audit_check_drift(GPtrArray *findings, ds_store *st,
                         const ds_manifest *prod, const char *synced,
                         const ds_ignore *ignore, GError **err)
{
    g_autoptr(GPtrArray) changes = NULL;
    g_autoptr(ds_manifest) then = NULL;
    int rc;

    if (!synced) {
        g_ptr_array_add(
            findings,
            ds_audit_finding_new(DS_AUDIT_DRIFT, "the lab was never synced"));
        return 0;
    }
    rc = ds_store_read(&then, st, synced, DS_ROLE_PROD, prod->host, err);
    if (rc == DS_ENOTFOUND) {
        g_autofree char *d = g_strdup_printf(
            "prod was not recorded when the lab was last synced (%.12s)",
            synced);
        g_clear_error(err);
        g_ptr_array_add(findings, ds_audit_finding_new(DS_AUDIT_DRIFT, d));
        return 0;
    }
    if (rc < 0)
        return rc;
    rc = ds_manifest_diff(&changes, then, prod, ignore, err);
    if (rc < 0)
        return rc;
    for (guint i = 0; i < changes->len; i++)
        g_ptr_array_add(findings, drift_finding(changes->pdata[i]));
    return 0;
}

char *ds_audit_format_age(gint64 s)
{
    if (s < 0)
        s = 0;
    if (s >= 86400)
        return g_strdup_printf("%" G_GINT64_FORMAT "d %" G_GINT64_FORMAT "h",
                               s / 86400, s % 86400 / 3600);
    if (s >= 3600)
        return g_strdup_printf("%" G_GINT64_FORMAT "h %" G_GINT64_FORMAT "m",
                               s / 3600, s % 3600 / 60);
    if (s >= 60)
        return g_strdup_printf("%" G_GINT64_FORMAT "m", s / 60);
    return g_strdup_printf("%" G_GINT64_FORMAT "s", s);
}

void ds_audit_check_pending(GPtrArray *findings, const ds_manifest *m,
                            const GPtrArray *events, gint64 now, gint64 sla)
{
    for (guint i = 0; m->pending && i < m->pending->len; i++) {
        const ds_pending *p = m->pending->pdata[i];
        const ds_package *have = ds_manifest_find_package(m, p->name);
        const ds_patch_event *e =
            ds_patch_history_find(events, m->host, p->name);
        gint64 age = e ? now - e->pending_since : 0;
        bool overdue = sla > 0 && age > sla;
        g_autofree char *a = ds_audit_format_age(age);
        g_autofree char *limit = overdue ? ds_audit_format_age(sla) : NULL;
        g_autofree char *detail = NULL;
        g_autofree char *adv = NULL;
        ds_audit_finding *f;

        if (!p->security)
            continue;
        if (p->advisories || p->severity) {
            /* rpm hosts: ", Important RHSA-2024:1234" */
            g_autoptr(GString) g = g_string_new(", ");
            if (p->severity)
                g_string_append(g, p->severity);
            for (guint j = 0; p->advisories && j < p->advisories->len; j++)
                g_string_append_printf(g, "%s%s", g->len > 2 ? " " : "",
                                       (char *)p->advisories->pdata[j]);
            adv = g_string_free(g_steal_pointer(&g), FALSE);
        }
        detail = g_strdup_printf(
            "%s %s -> %s (%s%s%s%s) pending %s%s%s%s", p->name,
            have ? have->version : "(not installed)", p->version,
            p->origin ? p->origin : "?", p->suite ? ":" : "",
            p->suite ? p->suite : "", adv ? adv : "", e ? "for " : "",
            e ? a : "since now", overdue ? ", over the security SLA of " : "",
            overdue ? limit : "");
        f = ds_audit_finding_new(overdue ? DS_AUDIT_OVERDUE : DS_AUDIT_PENDING,
                                 detail);
        f->package = g_strdup(p->name);
        f->have = have ? g_strdup(have->version) : NULL;
        f->want = g_strdup(p->version);
        g_ptr_array_add(findings, f);
    }
}
