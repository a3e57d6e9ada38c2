/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/manifest-selection.c: the package selection members of a
 * manifest (pending updates, held-back candidates, holds, automatic marks,
 * the apt lists' age): construction, normalisation, equality, rules. */
#include <config.h>

#include <stdarg.h>
#include <string.h>

#include "manifests/util/error.h"
#include "manifests/manifest-private.h"
#include "manifests/version.h"

ds_pending *ds_pending_new(const char *name, const char *version,
                           const char *origin, const char *suite, bool security)
{
    ds_pending *p = g_new0(ds_pending, 1);

    p->name = g_strdup(name);
    p->version = g_strdup(version);
    p->origin = g_strdup(origin);
    p->suite = g_strdup(suite);
    p->security = security;
    return p;
}

void ds_pending_free(ds_pending *p)
{
    if (!p)
        return;
    g_free(p->name);
    g_free(p->version);
    g_free(p->origin);
    g_free(p->suite);
    g_clear_pointer(&p->advisories, g_ptr_array_unref);
    g_free(p->severity);
    g_free(p);
}

int ds_pending_severity_rank(const char *severity)
{
    static const char *const order[] = {"Low", "Moderate", "Important",
                                        "Critical"};

    for (gsize i = 0; severity && i < G_N_ELEMENTS(order); i++)
        if (strcmp(severity, order[i]) == 0)
            return (int)i + 1;
    return 0;
}

void ds_manifest_free_selection(ds_manifest *m)
{
    g_clear_pointer(&m->pending, g_ptr_array_unref);
    g_clear_pointer(&m->held_back, g_ptr_array_unref);
    g_clear_pointer(&m->holds, g_ptr_array_unref);
    g_clear_pointer(&m->auto_marks, g_ptr_array_unref);
    g_clear_pointer(&m->lists_updated_at, g_free);
}

int ds_manifest_cmp_pending(gconstpointer a, gconstpointer b)
{
    const ds_pending *pa = *(ds_pending *const *)a;
    const ds_pending *pb = *(ds_pending *const *)b;

    return g_strcmp0(pa->name, pb->name);
}

static bool strv_equal(const GPtrArray *a, const GPtrArray *b)
{
    if (!a || !b)
        return (!a || !a->len) && (!b || !b->len);
    if (a->len != b->len)
        return false;
    for (guint i = 0; i < a->len; i++)
        if (g_strcmp0(a->pdata[i], b->pdata[i]) != 0)
            return false;
    return true;
}

static bool pending_equal(const void *a, const void *b)
{
    const ds_pending *pa = a, *pb = b;

    return g_strcmp0(pa->name, pb->name) == 0 &&
           g_strcmp0(pa->version, pb->version) == 0 &&
           g_strcmp0(pa->origin, pb->origin) == 0 &&
           g_strcmp0(pa->suite, pb->suite) == 0 &&
           pa->security == pb->security &&
           g_strcmp0(pa->severity, pb->severity) == 0 &&
           strv_equal(pa->advisories, pb->advisories);
}

static bool string_equal(const void *a, const void *b)
{
    return g_strcmp0(a, b) == 0;
}

static const char *key_pending(const void *p)
{
    return ((const ds_pending *)p)->name;
}

static const char *key_string(const void *s)
{
    return s;
}

int ds_manifest_normalise_selection(ds_manifest *m, const char *host,
                                    GError **err)
{
    int rc;

    if ((rc = ds_manifest_sort_unique(m->pending, ds_manifest_cmp_pending,
                                      pending_equal, key_pending, host,
                                      "pending", err)) < 0 ||
        (rc = ds_manifest_sort_unique(m->held_back, ds_manifest_cmp_pending,
                                      pending_equal, key_pending, host,
                                      "held_back", err)) < 0 ||
        (rc = ds_manifest_sort_unique(m->holds, ds_manifest_cmp_string,
                                      string_equal, key_string, host, "holds",
                                      err)) < 0 ||
        (rc = ds_manifest_sort_unique(m->auto_marks, ds_manifest_cmp_string,
                                      string_equal, key_string, host, "auto",
                                      err)) < 0)
        return rc;
    return 0;
}

/* NULL (not collected) differs from an empty list: the document differs. */
static bool list_equal(GPtrArray *a, GPtrArray *b, GCompareFunc cmp,
                       ds_manifest_eq_fn eq)
{
    g_autoptr(GPtrArray) sa = NULL;
    g_autoptr(GPtrArray) sb = NULL;

    if (!a || !b)
        return a == b;
    if (a->len != b->len)
        return false;
    sa = g_ptr_array_sized_new(a->len); /* views: no free function */
    sb = g_ptr_array_sized_new(b->len);
    for (guint i = 0; i < a->len; i++) {
        g_ptr_array_add(sa, a->pdata[i]);
        g_ptr_array_add(sb, b->pdata[i]);
    }
    g_ptr_array_sort(sa, cmp);
    g_ptr_array_sort(sb, cmp);
    for (guint i = 0; i < sa->len; i++)
        if (!eq(sa->pdata[i], sb->pdata[i]))
            return false;
    return true;
}

bool ds_manifest_selection_equal(const ds_manifest *a, const ds_manifest *b)
{
    return g_strcmp0(a->lists_updated_at, b->lists_updated_at) == 0 &&
           list_equal(a->pending, b->pending, ds_manifest_cmp_pending,
                      pending_equal) &&
           list_equal(a->held_back, b->held_back, ds_manifest_cmp_pending,
                      pending_equal) &&
           list_equal(a->holds, b->holds, ds_manifest_cmp_string,
                      string_equal) &&
           list_equal(a->auto_marks, b->auto_marks, ds_manifest_cmp_string,
                      string_equal);
}

/* ---- look-ups ------------------------------------------------------------ */

static gpointer find(GPtrArray *a, const char *name,
                     const char *(*key)(const void *))
{
    guint lo = 0, hi;

    if (!a || !name)
        return NULL;
    hi = a->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        int c = g_strcmp0(key(a->pdata[mid]), name);
        if (c == 0)
            return a->pdata[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const ds_pending *ds_manifest_find_pending(const ds_manifest *m,
                                           const char *name)
{
    return m ? find(m->pending, name, key_pending) : NULL;
}

const ds_pending *ds_manifest_find_held_back(const ds_manifest *m,
                                             const char *name)
{
    return m ? find(m->held_back, name, key_pending) : NULL;
}

bool ds_manifest_is_held(const ds_manifest *m, const char *name)
{
    return m && find(m->holds, name, key_string) != NULL;
}

bool ds_manifest_is_auto(const ds_manifest *m, const char *name)
{
    return m && find(m->auto_marks, name, key_string) != NULL;
}

/* ---- rules --------------------------------------------------------------- */

/* The rpm members of a pending update: each advisory a token, sorted
 * and unique; the severity a token; neither in a v1 (dpkg) document. */
static int check_pending_rpm(const ds_pending *p, bool rpm, const char *origin,
                             const char *section, GError **err)
{
    const char *why;

    if (!rpm && (p->advisories || p->severity))
        return ds_manifest_bad(err, origin, section, p->name,
                               p->severity ? "severity" : "advisories",
                               "only rpm hosts have advisories and severities");
    if (p->advisories && !p->advisories->len)
        return ds_manifest_bad(err, origin, section, p->name, "advisories",
                               "empty (omitted when there is none)");
    if (p->severity && (why = ds_manifest_token_problem(p->severity)))
        return ds_manifest_bad(err, origin, section, p->name, "severity", "%s",
                               why);
    for (guint i = 0; p->advisories && i < p->advisories->len; i++) {
        const char *a = p->advisories->pdata[i];

        if (!a || (why = ds_manifest_token_problem(a)))
            return ds_manifest_bad(err, origin, section, p->name,
                                   "advisories", "entry %u: %s", i,
                                   a ? why : "missing");
        if (i && strcmp(p->advisories->pdata[i - 1], a) >= 0)
            return ds_manifest_bad(err, origin, section, p->name,
                                   "advisories",
                                   "entry %u: not sorted or repeated", i);
    }
    return 0;
}

/* rpm hosts (rpm true) key pending updates NAME.ARCH with EVR versions
 * as their packages; dpkg hosts by Debian name and version. */
static int check_pending(const ds_pending *p, bool rpm, const char *origin,
                         const char *section, GError **err)
{
    const char *why;

    if (rpm && (!p->name || !ds_name_is_safe_rpm_package(p->name)))
        return ds_manifest_bad(err, origin, section,
                               p->name ? p->name : "(null)", NULL,
                               "not a safe rpm package key (NAME.ARCH)");
    if (!rpm && (!p->name || !ds_name_is_safe_package(p->name)))
        return ds_manifest_bad(err, origin, section,
                               p->name ? p->name : "(null)", NULL,
                               "not a safe package name (Debian package name "
                               "[a-z0-9][a-z0-9+.-]+ with an optional :arch)");
    if (!p->version)
        return ds_manifest_bad(err, origin, section, p->name, "version",
                               "missing");
    if (rpm && !ds_rpm_evr_is_valid(p->version))
        return ds_manifest_bad(err, origin, section, p->name, "version",
                               "not an rpm version ([EPOCH:]VERSION-RELEASE)");
    if (!rpm && (why = ds_manifest_version_problem(p->version)))
        return ds_manifest_bad(err, origin, section, p->name, "version", "%s",
                               why);
    if (p->origin && (why = ds_manifest_text_problem(p->origin, 256)))
        return ds_manifest_bad(err, origin, section, p->name, "origin", "%s",
                               why);
    if (p->suite && (why = ds_manifest_token_problem(p->suite)))
        return ds_manifest_bad(err, origin, section, p->name, "suite", "%s",
                               why);
    return check_pending_rpm(p, rpm, origin, section, err);
}

/* rpm hosts (rpm true) name packages by their NAME.ARCH keys. */
static int check_names(GPtrArray *a, bool rpm, const char *origin,
                       const char *section, GError **err)
{
    for (guint i = 0; a && i < a->len; i++) {
        const char *n = a->pdata[i];
        if (rpm && (!n || !ds_name_is_safe_rpm_package(n))) {
            g_autofree char *sec = g_strdup_printf("%s[%u]", section, i);
            return ds_manifest_bad(err, origin, sec, NULL, NULL,
                                   "not a safe rpm package key (NAME.ARCH)");
        }
        if (!rpm && (!n || !ds_name_is_safe_package(n))) {
            g_autofree char *sec = g_strdup_printf("%s[%u]", section, i);
            return ds_manifest_bad(
                err, origin, sec, NULL, NULL,
                "not a safe package name (Debian package name "
                "[a-z0-9][a-z0-9+.-]+ with an optional :arch)");
        }
    }
    return 0;
}

int ds_manifest_check_selection(const ds_manifest *m, const char *origin,
                                GError **err)
{
    bool rpm = m->platform != NULL;
    int rc;

    if (m->lists_updated_at && !ds_manifest_is_rfc3339_utc(m->lists_updated_at))
        return ds_manifest_bad(
            err, origin, "lists_updated_at", NULL, NULL,
            "not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)");
    for (guint i = 0; m->pending && i < m->pending->len; i++) {
        const ds_pending *p = m->pending->pdata[i];
        if ((rc = check_pending(p, rpm, origin, "pending", err)) < 0)
            return rc;
        if (m->holds && g_ptr_array_find_with_equal_func(m->holds, p->name,
                                                         g_str_equal, NULL))
            return ds_manifest_bad(
                err, origin, "pending", p->name, NULL,
                "is on hold (a held package is held back, not "
                "pending)");
    }
    for (guint i = 0; m->held_back && i < m->held_back->len; i++)
        if ((rc = check_pending(m->held_back->pdata[i], rpm, origin,
                                "held_back", err)) < 0)
            return rc;
    if ((rc = check_names(m->holds, rpm, origin, "holds", err)) < 0 ||
        (rc = check_names(m->auto_marks, rpm, origin, "auto", err)) < 0)
        return rc;
    return 0;
}
