/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/output/patches-report.c: the patch cycle in figures for the report, the
 * mirror's summary and the metrics, from the store's patch history and
 * its bundles. */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "manifests/store-bundle.h"
#include "manifests/version.h"
#include "sync/output/patches-report.h"

json_t *ds_patches_summary_json(const GPtrArray *events,
                                const char *const *hosts, guint n, gint64 now,
                                gint64 sla)
{
    json_t *o = json_object();

    for (guint i = 0; i < n; i++) {
        ds_patch_summary s;

        ds_patch_history_summary(&s, events, hosts[i], now, sla);
        json_object_set_new(
            o, hosts[i],
            json_pack("{s:i, s:i, s:i, s:I, s:I}", "security", s.security,
                      "other", s.other, "overdue", s.overdue,
                      "oldest_pending_s", (json_int_t)s.oldest,
                      "oldest_security_s", (json_int_t)s.oldest_security));
    }
    return o;
}

static json_t *time_json(gint64 t)
{
    g_autoptr(GDateTime) dt = t ? g_date_time_new_from_unix_utc(t) : NULL;
    g_autofree char *s =
        dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : NULL;

    return s ? json_string(s) : json_null();
}

/* Hosts whose prod manifest at HEAD has every package of b at (or above)
 * the bundle's version. */
static json_t *deployed_on(ds_store *st, const ds_bundle *b,
                           GPtrArray *hosts)
{
    json_t *a = json_array();

    for (guint i = 0; i < hosts->len; i++) {
        g_autoptr(ds_manifest) m = NULL;
        GHashTableIter it;
        gpointer k, v;
        bool all = true, some = false;

        if (ds_store_read(&m, st, NULL, DS_ROLE_PROD, hosts->pdata[i], NULL) <
            0)
            continue;
        g_hash_table_iter_init(&it, b->packages);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            const ds_package *p = ds_manifest_find_package(m, k);

            if (!p)
                continue; /* a bundle covers hosts without the package */
            some = true;
            all = all && ds_version_compare(p->version, v) >= 0;
        }
        if (some && all)
            json_array_append_new(a, json_string(hosts->pdata[i]));
    }
    return a;
}

static json_t *events_json(const GPtrArray *events)
{
    json_t *a = json_array();

    for (guint i = events->len; i-- > 0 &&
                                json_array_size(a) < DS_PATCHES_MAX_EVENTS;) {
        const ds_patch_event *e = events->pdata[i];

        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:b, s:o, s:o, s:s?, s:o, s:o, "
                         "s:b}",
                         "host", e->host, "package", e->name, "version",
                         e->version, "security", e->security, "pending_since",
                         time_json(e->pending_since), "tested",
                         time_json(e->tested), "bundle", e->bundle,
                         "installed", time_json(e->installed), "lab",
                         time_json(e->lab), "dropped", e->dropped));
    }
    return a;
}

int ds_patches_report_json(json_t **out, ds_store *st, gint64 from,
                           gint64 now, gint64 sla, GError **err)
{
    g_autoptr(GPtrArray) events = NULL, bundles = NULL, hosts = NULL;
    json_t *jb = json_array();
    guint n;
    gint64 median, worst;
    int rc;

    *out = NULL;
    if ((rc = ds_patch_history(&events, st, NULL, 0, err)) < 0 ||
        (rc = ds_store_bundle_list(&bundles, st, NULL, false, err)) < 0) {
        json_decref(jb);
        return rc;
    }
    rc = ds_store_list_hosts(&hosts, st, NULL, DS_ROLE_PROD, err);
    if (rc == DS_ENOTFOUND) {
        g_clear_error(err);
        hosts = g_ptr_array_new_with_free_func(g_free);
    } else if (rc < 0) {
        json_decref(jb);
        return rc;
    }
    for (guint i = 0; i < bundles->len; i++) {
        const ds_bundle *b = bundles->pdata[i];

        json_array_append_new(
            jb, json_pack("{s:s, s:s, s:s, s:i, s:b, s:o}", "name", b->name,
                          "host", b->host, "tested_at", b->tested_at,
                          "packages", g_hash_table_size(b->packages),
                          "security_only", b->security_only, "deployed_on",
                          deployed_on(st, b, hosts)));
    }
    ds_patch_history_latency(events, from, now, &n, &median, &worst);
    *out = json_pack(
        "{s:o, s:o, s:{s:i, s:I, s:I}, s:o, s:I}", "hosts",
        ds_patches_summary_json(events, (const char *const *)hosts->pdata,
                                hosts->len, now, sla),
        "bundles", jb, "latency", "count", n, "median_s", (json_int_t)median,
        "worst_s", (json_int_t)worst, "events", events_json(events), "sla_s",
        (json_int_t)sla);
    return *out ? 0 : ds_error_set(err, DS_EGENERIC, "patches: cannot encode");
}
