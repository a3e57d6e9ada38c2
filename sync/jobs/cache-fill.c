/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/cache-fill.c: after `record`, put the package versions that
 * changed on a production host into the package cache: from the
 * configured repository first, then from the host's own apt cache. */
#include <config.h>

#include <string.h>

#include "drivers/pkgcache.h"
#include "manifests/diff.h"
#include "manifests/util/error.h"
#include "sync/jobs/cache.h"
#include "sync/jobs/collect.h"

GPtrArray *ds_cache_changed_packages(const ds_manifest *m, GPtrArray *changes,
                                     const ds_ignore *ignore)
{
    GPtrArray *out = g_ptr_array_new();

    for (guint i = 0; changes && i < changes->len; i++) {
        const ds_change *c = g_ptr_array_index(changes, i);
        const ds_package *p;

        if (c->kind != DS_CHANGE_PACKAGE_INSTALLED &&
            c->kind != DS_CHANGE_PACKAGE_UPGRADED &&
            c->kind != DS_CHANGE_PACKAGE_DOWNGRADED &&
            c->kind != DS_CHANGE_PACKAGE_CHANGED)
            continue;
        if (ignore && ds_ignore_match(ignore, DS_CAT_PACKAGES, c->name))
            continue;
        if ((p = ds_manifest_find_package(m, c->name)))
            g_ptr_array_add(out, (gpointer)p);
    }
    return out;
}

/* "NAME VERSION ARCH: " at the start of a reason, dropped when a second
 * place is named after the first. */
static const char *without_label(const char *reason, const ds_package *p)
{
    g_autofree char *l = g_strdup_printf("%s %s %s: ", p->name, p->version,
                                         p->arch ? p->arch : "?");

    return g_str_has_prefix(reason, l) ? reason + strlen(l) : reason;
}

static GHashTable *reasons_by_name(GPtrArray *missing)
{
    GHashTable *h = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; missing && i < missing->len; i++) {
        ds_pkgcache_miss *m = g_ptr_array_index(missing, i);

        g_hash_table_insert(h, m->pkg->name, m);
    }
    return h;
}

void ds_cache_fill(GPtrArray **warnings, guint *cached, ds_pkgcache *c,
                   const ds_config *cfg, const ds_host_config *h,
                   const char *host, const char *source_uri, bool rpm,
                   GPtrArray *pkgs)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) from_repo = NULL;
    g_autoptr(GPtrArray) from_host = NULL;
    g_autoptr(GPtrArray) left = g_ptr_array_new();
    g_autoptr(GHashTable) repo_why = NULL;
    g_autoptr(GHashTable) host_why = NULL;
    g_autofree char *host_note = NULL;
    ds_pkgcache_options popts = {.ca_file = cfg->package_ca_file};

    *cached = 0;
    if (cfg->package_repository) {
        g_autoptr(GError) e = NULL;

        int rc = rpm ? ds_pkgcache_fill_from_rpm_repository(
                           &from_repo, c, cfg->package_repository, pkgs,
                           &popts, &e)
                     : ds_pkgcache_fill_from_repository(
                           &from_repo, c, cfg->package_repository, pkgs,
                           &popts, &e);

        if (rc < 0) {
            /* Every package is then missing, for this reason. */
            from_repo = g_ptr_array_new_with_free_func(
                (GDestroyNotify)ds_pkgcache_miss_free);
            for (guint i = 0; i < pkgs->len; i++) {
                const ds_package *p = pkgs->pdata[i];
                ds_pkgcache_miss *m = g_new0(ds_pkgcache_miss, 1);

                m->pkg = ds_package_new(p->name, p->version, p->arch, NULL);
                m->reason = g_strdup_printf("%s %s %s: %s", p->name, p->version,
                                            p->arch, e->message);
                g_ptr_array_add(from_repo, m);
            }
        }
        repo_why = reasons_by_name(from_repo);
        for (guint i = 0; i < pkgs->len; i++)
            if (g_hash_table_contains(repo_why,
                                      ((ds_package *)pkgs->pdata[i])->name))
                g_ptr_array_add(left, pkgs->pdata[i]);
    } else {
        g_ptr_array_extend(left, pkgs, NULL, NULL);
    }

    if (left->len && rpm) {
        /* dnf keeps no package files unless told to (keepcache) */
        host_note = g_strdup_printf("%s's own packages: not read for rpm hosts",
                                    host);
    } else if (left->len && source_uri) {
        ds_transport_options topts;
        g_autoptr(ds_transport) t = NULL;
        g_autoptr(GError) e = NULL;

        ds_collect_transport_options(&topts, cfg, h, host, DS_ROLE_PROD);
        topts.max_output = DS_PKGCACHE_DEFAULT_MAX_FILE;
        if (ds_transport_open(&t, source_uri, &topts, &e) < 0)
            host_note = g_strdup_printf("%s's apt cache: %s", host, e->message);
        else if (ds_pkgcache_fill_from_host(&from_host, c, t, host, left, &e) <
                 0)
            host_note = g_strdup_printf("%s's apt cache: %s", host, e->message);
        else
            host_why = reasons_by_name(from_host);
    } else if (left->len) {
        host_note = g_strdup_printf("%s's apt cache: not asked (the host was not collected through its transport)",
                                    host);
    }

    for (guint i = 0; i < pkgs->len; i++) {
        const ds_package *p = pkgs->pdata[i];
        ds_pkgcache_miss *r =
            repo_why ? g_hash_table_lookup(repo_why, p->name) : NULL;
        ds_pkgcache_miss *hm =
            host_why ? g_hash_table_lookup(host_why, p->name) : NULL;
        bool in_left = !repo_why || r;

        if (!in_left || (host_why && !hm)) {
            (*cached)++;
            continue;
        }
        g_ptr_array_add(
            out,
            g_strdup_printf("%s: %s %s %s is not in the package cache: %s; %s",
                            host, p->name, p->version, p->arch ? p->arch : "?",
                            r ? without_label(r->reason, p)
                              : "no [packages] repository configured",
                            hm ? without_label(hm->reason, p) : host_note));
    }
    *warnings = g_steal_pointer(&out);
}

void ds_cache_fill_commit(GPtrArray **warnings, guint *cached,
                          const ds_config *cfg, ds_store *st,
                          const char *commit, GPtrArray *manifests)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(ds_pkgcache) c = NULL;
    g_autoptr(GError) e = NULL;
    g_autofree char *parent = NULL;

    *cached = 0;
    if (!cfg->package_cache || !commit || !manifests) {
        *warnings = g_steal_pointer(&out);
        return;
    }
    if (ds_pkgcache_open(&c, cfg->package_cache, &e) < 0) {
        g_ptr_array_add(
            out, g_strdup_printf("package cache not filled: %s", e->message));
        *warnings = g_steal_pointer(&out);
        return;
    }
    parent = g_strdup_printf("%s^", commit);
    for (guint i = 0; i < manifests->len; i++) {
        const ds_manifest *m = manifests->pdata[i];
        const ds_host_config *h = ds_config_find_host(cfg, m->host);
        g_autoptr(ds_manifest) old = NULL;
        g_autoptr(GPtrArray) changes = NULL;
        g_autoptr(GPtrArray) pkgs = NULL;
        g_autoptr(GPtrArray) w = NULL;
        guint n = 0;

        g_clear_error(&e);
        if (m->role != DS_ROLE_PROD ||
            ds_store_read(&old, st, parent, DS_ROLE_PROD, m->host, &e) < 0 ||
            ds_manifest_diff(&changes, old, m, cfg->ignore, &e) < 0)
            continue; /* new in this commit (or no parent): nothing */
        pkgs = ds_cache_changed_packages(m, changes, cfg->ignore);
        if (!pkgs->len)
            continue;
        ds_cache_fill(&w, &n, c, cfg, h, m->host, h ? h->source : NULL,
                      ds_manifest_is_rpm(m), pkgs);
        *cached += n;
        for (guint j = 0; j < w->len; j++)
            g_ptr_array_add(out, g_strdup(w->pdata[j]));
    }
    *warnings = g_steal_pointer(&out);
}
