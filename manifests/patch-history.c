/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/patch-history.c: the patch timeline from the store: a walk
 * over each host's prod manifests, oldest first, opening an event when a
 * package becomes pending and closing it when prod has the version; then
 * the lab's manifests and the stored bundles fill in the other dates. */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "manifests/patch-history.h"
#include "manifests/store-bundle.h"
#include "manifests/version.h"

void ds_patch_event_free(ds_patch_event *e)
{
    if (!e)
        return;
    g_free(e->host);
    g_free(e->name);
    g_free(e->version);
    g_free(e->bundle);
    g_free(e);
}

static bool has_version(const ds_manifest *m, const char *name,
                        const char *version)
{
    const ds_package *p = ds_manifest_find_package(m, name);

    return p && ds_manifest_version_compare(m, p->version, version) >= 0;
}

/* One prod manifest (at time t) into the open events (name -> event). */
static void step_prod(GPtrArray *out, GHashTable *open, const ds_manifest *m,
                      const char *host, gint64 t)
{
    GHashTableIter it;
    gpointer k, v;

    for (guint i = 0; m->pending && i < m->pending->len; i++) {
        const ds_pending *p = m->pending->pdata[i];
        ds_patch_event *e = g_hash_table_lookup(open, p->name);

        if (!e) {
            e = g_new0(ds_patch_event, 1);
            e->host = g_strdup(host);
            e->name = g_strdup(p->name);
            e->pending_since = t;
            g_ptr_array_add(out, e);
            g_hash_table_insert(open, e->name, e);
        }
        if (!e->version ||
            ds_manifest_version_compare(m, p->version, e->version) > 0) {
            g_free(e->version);
            e->version = g_strdup(p->version);
        }
        e->security = e->security || p->security;
    }
    if (!m->pending)
        return; /* not collected: says nothing about the open ones */
    g_hash_table_iter_init(&it, open);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        ds_patch_event *e = v;

        if (ds_manifest_find_pending(m, e->name))
            continue;
        if (has_version(m, e->name, e->version))
            e->installed = t;
        else
            e->dropped = true;
        g_hash_table_iter_remove(&it);
    }
}

/* The role's manifests of host, oldest first, each with the time it was
 * collected (the commit's when it has none), through fn. */
typedef void (*visit_fn)(void *payload, const ds_manifest *m, gint64 t);

static int walk(ds_store *st, ds_role role, const char *host, guint limit,
                visit_fn fn, void *payload, GError **err)
{
    g_autoptr(GPtrArray) hist = NULL;
    int rc = ds_store_history(&hist, st, role, host, 0, limit, NULL, err);

    if (rc == DS_ENOTFOUND) {
        g_clear_error(err);
        return 0;
    }
    if (rc < 0)
        return rc;
    for (guint i = hist->len; i-- > 0;) {
        const ds_history_entry *h = hist->pdata[i];
        g_autoptr(ds_manifest) m = NULL;

        rc = ds_store_read(&m, st, h->oid, role, host, err);
        if (rc == DS_ENOTFOUND) { /* removed in that commit */
            g_clear_error(err);
            continue;
        }
        if (rc < 0)
            return rc;
        /* when the state was seen, as `patches` counts ages */
        fn(payload, m, ds_manifest_collected_time(m, h->time));
    }
    return 0;
}

typedef struct host_walk {
    GPtrArray *all;   /* every event */
    GPtrArray *mine;  /* this host's events */
    GHashTable *open; /* name -> event still pending */
    const char *host;
} host_walk;

static void visit_prod(void *payload, const ds_manifest *m, gint64 t)
{
    host_walk *w = payload;
    guint before = w->mine->len;

    step_prod(w->mine, w->open, m, w->host, t);
    for (guint i = before; i < w->mine->len; i++)
        g_ptr_array_add(w->all, w->mine->pdata[i]);
}

static void visit_lab(void *payload, const ds_manifest *m, gint64 t)
{
    host_walk *w = payload;

    for (guint i = 0; i < w->mine->len; i++) {
        ds_patch_event *e = w->mine->pdata[i];

        if (!e->lab && t >= e->pending_since &&
            has_version(m, e->name, e->version))
            e->lab = t;
    }
}

static gint64 parse_time(const char *iso)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(iso, NULL);

    return dt ? g_date_time_to_unix(dt) : 0;
}

static void match_bundles(GPtrArray *events, const GPtrArray *bundles)
{
    for (guint i = 0; i < events->len; i++) {
        ds_patch_event *e = events->pdata[i];

        for (guint j = 0; j < bundles->len && !e->bundle; j++) {
            const ds_bundle *b = bundles->pdata[j];
            const char *v = g_hash_table_lookup(b->packages, e->name);

            if (b->passed && strcmp(b->host, e->host) == 0 && v &&
                ds_version_compare(v, e->version) >= 0) {
                e->tested = parse_time(b->tested_at);
                e->bundle = g_strdup(b->name);
            }
        }
    }
}

int ds_patch_history(GPtrArray **out, ds_store *st, const char *host,
                     guint limit, GError **err)
{
    g_autoptr(GPtrArray) all =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_patch_event_free);
    g_autoptr(GPtrArray) hosts = NULL;
    g_autoptr(GPtrArray) bundles = NULL;
    int rc;

    *out = NULL;
    if (host) {
        hosts = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(hosts, g_strdup(host));
    } else if ((rc = ds_store_list_hosts(&hosts, st, NULL, DS_ROLE_PROD,
                                         err)) < 0) {
        if (rc != DS_ENOTFOUND)
            return rc;
        g_clear_error(err);
        *out = g_steal_pointer(&all);
        return 0;
    }
    for (guint i = 0; i < hosts->len; i++) {
        g_autoptr(GPtrArray) mine = g_ptr_array_new();
        g_autoptr(GHashTable) open = g_hash_table_new(g_str_hash, g_str_equal);
        host_walk w = {all, mine, open, hosts->pdata[i]};

        if ((rc = walk(st, DS_ROLE_PROD, w.host, limit, visit_prod, &w,
                       err)) < 0 ||
            (rc = walk(st, DS_ROLE_LAB, w.host, limit, visit_lab, &w, err)) <
                0)
            return rc;
    }
    if ((rc = ds_store_bundle_list(&bundles, st, NULL, false, err)) < 0)
        return rc;
    match_bundles(all, bundles);
    *out = g_steal_pointer(&all);
    return 0;
}

const ds_patch_event *ds_patch_history_find(const GPtrArray *events,
                                            const char *host,
                                            const char *name)
{
    for (guint i = events ? events->len : 0; i-- > 0;) {
        const ds_patch_event *e = events->pdata[i];

        if (!e->installed && !e->dropped && strcmp(e->host, host) == 0 &&
            strcmp(e->name, name) == 0)
            return e;
    }
    return NULL;
}

static gint cmp_i64(gconstpointer a, gconstpointer b)
{
    gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

    return x < y ? -1 : x > y;
}

void ds_patch_history_latency(const GPtrArray *events, gint64 from, gint64 to,
                              guint *n, gint64 *median, gint64 *worst)
{
    g_autoptr(GArray) d = g_array_new(FALSE, FALSE, sizeof(gint64));

    for (guint i = 0; i < events->len; i++) {
        const ds_patch_event *e = events->pdata[i];
        gint64 x = e->installed - e->pending_since;

        if (e->installed && e->installed >= from && e->installed <= to)
            g_array_append_val(d, x);
    }
    g_array_sort(d, cmp_i64);
    *n = d->len;
    *median = d->len ? g_array_index(d, gint64, d->len / 2) : 0;
    *worst = d->len ? g_array_index(d, gint64, d->len - 1) : 0;
}

void ds_patch_history_summary(ds_patch_summary *out, const GPtrArray *events,
                              const char *host, gint64 now, gint64 sla)
{
    memset(out, 0, sizeof(*out));
    for (guint i = 0; events && i < events->len; i++) {
        const ds_patch_event *e = events->pdata[i];
        gint64 age = now - e->pending_since;

        if (e->installed || e->dropped || strcmp(e->host, host) != 0)
            continue;
        if (age < 0)
            age = 0;
        if (e->security) {
            out->security++;
            out->overdue += sla > 0 && age > sla;
            out->oldest_security = MAX(out->oldest_security, age);
        } else {
            out->other++;
        }
        out->oldest = MAX(out->oldest, age);
    }
}
