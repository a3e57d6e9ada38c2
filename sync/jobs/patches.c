/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/patches.c: the engine of `driftsync patches`: read or collect
 * the production manifests, and for each the pending and held-back
 * updates (security first, the most severe first where rpm advisories
 * say), their age from the store's history, and
 * whether the host's apt lists are older than [patches] max-list-age. */
#include <config.h>

#include <string.h>

#include <jansson.h>

#include "manifests/util/error.h"
#include "sync/jobs/collect.h"
#include "sync/jobs/patches.h"

static void patch_free(ds_patch *p)
{
    if (!p)
        return;
    g_free(p->name);
    g_free(p->installed);
    g_free(p->version);
    g_free(p->origin);
    g_free(p->suite);
    g_clear_pointer(&p->advisories, g_ptr_array_unref);
    g_free(p->severity);
    g_free(p);
}

void ds_patches_host_free(ds_patches_host *h)
{
    if (!h)
        return;
    g_free(h->host);
    g_clear_error(&h->error);
    g_free(h->collected_at);
    g_free(h->lists_updated_at);
    g_clear_pointer(&h->pending, g_ptr_array_unref);
    g_clear_pointer(&h->held_back, g_ptr_array_unref);
    g_free(h);
}

static gint64 parse_time(const char *s)
{
    g_autoptr(GDateTime) t = s ? g_date_time_new_from_iso8601(s, NULL) : NULL;

    return t ? g_date_time_to_unix(t) : -1;
}

static int cmp_patch(gconstpointer a, gconstpointer b)
{
    const ds_patch *pa = *(ds_patch *const *)a, *pb = *(ds_patch *const *)b;
    int ra, rb;

    if (pa->security != pb->security)
        return pa->security ? -1 : 1;
    ra = ds_pending_severity_rank(pa->severity);
    rb = ds_pending_severity_rank(pb->severity);
    if (ra != rb)
        return rb - ra; /* the most severe first */
    return strcmp(pa->name, pb->name);
}

static void add_patches(GPtrArray *out, GPtrArray *list, const ds_manifest *m,
                        GHashTable *since, gint64 seen, bool security_only)
{
    for (guint i = 0; list && i < list->len; i++) {
        const ds_pending *pe = list->pdata[i];
        const ds_package *pkg = ds_manifest_find_package(m, pe->name);
        gint64 *t = since ? g_hash_table_lookup(since, pe->name) : NULL;
        ds_patch *p;

        if (security_only && !pe->security)
            continue;
        p = g_new0(ds_patch, 1);
        p->name = g_strdup(pe->name);
        p->installed = g_strdup(pkg ? pkg->version : NULL);
        p->version = g_strdup(pe->version);
        p->origin = g_strdup(pe->origin);
        p->suite = g_strdup(pe->suite);
        p->security = pe->security;
        p->severity = g_strdup(pe->severity);
        if (pe->advisories) {
            p->advisories = g_ptr_array_new_with_free_func(g_free);
            for (guint j = 0; j < pe->advisories->len; j++)
                g_ptr_array_add(p->advisories,
                                g_strdup(pe->advisories->pdata[j]));
        }
        p->since = t ? MIN(*t, seen) : seen;
        g_ptr_array_add(out, p);
    }
    g_ptr_array_sort(out, cmp_patch);
}

int ds_patches_host_build(ds_patches_host **out, const ds_manifest *m,
                          ds_store *st, const ds_config *cfg,
                          const ds_patches_options *opts, GError **err)
{
    g_autoptr(GHashTable) since = NULL;
    ds_patches_host *h;
    gint64 now = opts->now ? opts->now : g_get_real_time() / G_USEC_PER_SEC;
    gint64 seen = parse_time(m->collected_at), updated;
    int rc;

    *out = NULL;
    if (st && m->pending &&
        (rc = ds_store_pending_since(&since, st, DS_ROLE_PROD, m->host,
                                     err)) < 0)
        return rc;
    h = g_new0(ds_patches_host, 1);
    h->host = g_strdup(m->host);
    h->collected_at = g_strdup(m->collected_at);
    h->lists_updated_at = g_strdup(m->lists_updated_at);
    h->known = m->pending != NULL;
    updated = parse_time(m->lists_updated_at);
    h->lists_age = updated < 0 ? -1 : MAX(now - updated, 0);
    h->lists_stale = h->lists_age > cfg->max_list_age;
    h->pending = g_ptr_array_new_with_free_func((GDestroyNotify)patch_free);
    h->held_back = g_ptr_array_new_with_free_func((GDestroyNotify)patch_free);
    add_patches(h->pending, m->pending, m, since, seen < 0 ? now : seen,
                opts->security_only);
    add_patches(h->held_back, m->held_back, m, NULL, seen < 0 ? now : seen,
                opts->security_only);
    *out = h;
    return 0;
}

static int read_stored(GPtrArray *out, ds_store *st, const ds_config *cfg,
                       const char *const *hosts, const ds_patches_options *o,
                       GError **err)
{
    g_autoptr(GPtrArray) all = NULL;
    int rc;

    if (!hosts || !hosts[0]) {
        if ((rc = ds_store_list_hosts(&all, st, NULL, DS_ROLE_PROD, err)) < 0)
            return rc;
        g_ptr_array_add(all, NULL);
        hosts = (const char *const *)all->pdata;
    }
    for (guint i = 0; hosts[i]; i++) {
        g_autoptr(ds_manifest) m = NULL;
        g_autoptr(GError) e = NULL;
        ds_patches_host *h = NULL;

        if (!ds_name_is_safe_host(hosts[i]))
            return ds_error_set(err, DS_EINVALID, "invalid host name '%s'",
                                hosts[i]);
        rc = ds_store_read(&m, st, "HEAD", DS_ROLE_PROD, hosts[i], &e);
        if (rc == DS_ENOTFOUND) {
            g_clear_error(&e);
            ds_error_set(&e, rc, "%s: no prod manifest in the store",
                         hosts[i]);
        }
        if (rc == 0)
            rc = ds_patches_host_build(&h, m, st, cfg, o, &e);
        if (!h) {
            h = g_new0(ds_patches_host, 1);
            h->host = g_strdup(hosts[i]);
            h->error = g_steal_pointer(&e);
            h->lists_age = -1;
        }
        g_ptr_array_add(out, h);
    }
    return 0;
}

static int collect_live(GPtrArray *out, ds_store *st, const ds_config *cfg,
                        const char *const *hosts, const ds_patches_options *o,
                        GError **err)
{
    g_autoptr(GPtrArray) results = NULL;
    int rc;

    if ((!hosts || !hosts[0]) && cfg->hosts->len == 0)
        return ds_error_set(err, DS_EINVALID,
                            "no hosts configured in %s (or use --stored)",
                            cfg->filename ? cfg->filename
                                          : "the configuration");
    if ((rc = ds_collect_hosts_pending(&results, cfg, hosts,
                                       cfg->record_parallel, err)) < 0)
        return rc;
    for (guint i = 0; i < results->len; i++) {
        ds_collect_result *r = results->pdata[i];
        ds_patches_host *h = NULL;
        GError *e = g_steal_pointer(&r->error);

        if (r->manifest)
            ds_patches_host_build(&h, r->manifest, st, cfg, o, &e);
        if (!h) {
            h = g_new0(ds_patches_host, 1);
            h->host = g_strdup(r->host);
            h->error = e;
            h->lists_age = -1;
        }
        g_ptr_array_add(out, h);
    }
    return 0;
}

int ds_patches_run(GPtrArray **out, const ds_config *cfg, ds_store *st,
                   const char *const *hosts, const ds_patches_options *opts,
                   GError **err)
{
    g_autoptr(GPtrArray) list =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_patches_host_free);
    int rc;

    *out = NULL;
    if (opts->stored && !st)
        return ds_error_set(err, DS_EINVALID, "--stored needs the store");
    rc = opts->stored ? read_stored(list, st, cfg, hosts, opts, err)
                      : collect_live(list, st, cfg, hosts, opts, err);
    if (rc < 0)
        return rc;
    *out = g_steal_pointer(&list);
    return 0;
}

int ds_patches_exit(GPtrArray *hosts)
{
    bool pending = false;

    for (guint i = 0; i < hosts->len; i++) {
        const ds_patches_host *h = hosts->pdata[i];
        if (h->error || !h->known)
            return 2;
        pending |= h->pending->len > 0;
    }
    return pending ? 1 : 0;
}

static json_t *patch_json(const ds_patch *p, gint64 now)
{
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(p->since);
    g_autofree char *since = t ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ")
                               : NULL;

    json_t *o = json_pack("{s:s, s:s?, s:s, s:s?, s:s?, s:b, s:s?, s:I}",
                          "name", p->name, "installed", p->installed,
                          "version", p->version, "origin", p->origin,
                          "suite", p->suite, "security", p->security,
                          "since", since, "age_s",
                          (json_int_t)MAX(now - p->since, 0));

    /* rpm hosts: what updateinfo says of it */
    if (p->severity)
        json_object_set_new(o, "severity", json_string(p->severity));
    if (p->advisories) {
        json_t *a = json_array();
        for (guint i = 0; i < p->advisories->len; i++)
            json_array_append_new(a, json_string(p->advisories->pdata[i]));
        json_object_set_new(o, "advisories", a);
    }
    return o;
}

static json_t *host_json(const ds_patches_host *h, gint64 now, guint *counts)
{
    json_t *pending = json_array(), *held = json_array(), *findings;

    for (guint i = 0; h->pending && i < h->pending->len; i++) {
        const ds_patch *p = h->pending->pdata[i];
        json_array_append_new(pending, patch_json(p, now));
        counts[0]++;
        counts[1] += p->security;
    }
    for (guint i = 0; h->held_back && i < h->held_back->len; i++) {
        json_array_append_new(held, patch_json(h->held_back->pdata[i], now));
        counts[2]++;
    }
    findings = json_array();
    if (h->lists_stale)
        json_array_append_new(
            findings,
            json_pack("{s:s, s:I}", "kind", "stale-lists", "age_s",
                      (json_int_t)h->lists_age));
    if (!h->error && !h->known)
        json_array_append_new(findings,
                              json_pack("{s:s}", "kind", "pending-unknown"));
    return json_pack(
        "{s:s, s:s?, s:s?, s:o?, s:o, s:o, s:o, s:s?}", "host", h->host,
        "collected_at", h->collected_at, "lists_updated_at",
        h->lists_updated_at, "lists_age_s",
        h->lists_age < 0 ? NULL : json_integer((json_int_t)h->lists_age),
        "pending", h->known ? pending : (json_decref(pending), json_null()),
        "held_back", held, "findings", findings, "error",
        h->error ? h->error->message : NULL);
}

json_t *ds_patches_to_json(GPtrArray *hosts, gint64 now)
{
    json_t *list = json_array();
    guint counts[3] = {0, 0, 0}, errors = 0;

    if (!now)
        now = g_get_real_time() / G_USEC_PER_SEC;
    for (guint i = 0; i < hosts->len; i++) {
        const ds_patches_host *h = hosts->pdata[i];
        json_array_append_new(list, host_json(h, now, counts));
        errors += h->error != NULL;
    }
    return json_pack("{s:o, s:{s:i, s:i, s:i, s:i, s:i}}", "hosts", list,
                     "summary", "hosts", (int)hosts->len, "pending",
                     (int)counts[0], "security", (int)counts[1], "held_back",
                     (int)counts[2], "errors", (int)errors);
}
