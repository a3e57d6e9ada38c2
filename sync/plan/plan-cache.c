/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/plan/plan-cache.c: the plan's package transaction takes the package
 * files the package cache holds: such a request becomes the file's path
 * in the lab (copied there by sync/engine/apply.c), the others stay
 * name=version for the lab's own apt sources. */
#include <config.h>

#include <string.h>

#include "drivers/pkgcache.h"
#include "drivers/platform-rpm-apply.h"
#include "manifests/util/error.h"
#include "sync/plan/plan-private.h"

void ds_plan_deb_free(ds_plan_deb *d)
{
    if (!d)
        return;
    g_free(d->request);
    g_free(d->cache_path);
    g_free(d->sha256);
    g_free(d->target);
    g_free(d);
}

/* prod's package a request "name[:arch]=version" asks for, or NULL. */
static const ds_package *request_package(const ds_manifest *prod,
                                         const char *req, char **version)
{
    const char *eq = strchr(req, '=');
    g_autofree char *name = NULL;
    const ds_package *p;

    if (!eq || !eq[1])
        return NULL;
    name = g_strndup(req, (gsize)(eq - req));
    p = ds_manifest_find_package(prod, name);
    if (!p && strchr(name, ':')) {
        name[strcspn(name, ":")] = '\0';
        p = ds_manifest_find_package(prod, name);
    }
    if (!p || strcmp(p->version, eq + 1) != 0)
        return NULL;
    *version = g_strdup(eq + 1);
    return p;
}

static const char *evr_plain(const char *evr)
{
    return g_str_has_prefix(evr, "0:") ? evr + 2 : evr;
}

/* prod's spelling of the version an rpm request "VERB NEVRA" installs
 * (its version or one of other_versions), or NULL; *p its package. */
static const char *rpm_request_version(const ds_package **p,
                                       const ds_manifest *prod,
                                       const char *req)
{
    const char *sp = strchr(req, ' ');
    g_autofree char *key = NULL;
    g_autofree char *evr = NULL;

    if (!sp || g_str_has_prefix(req, "remove ") ||
        !ds_rpm_nevra_split(sp + 1, &key, &evr) ||
        !(*p = ds_manifest_find_package(prod, key)))
        return NULL;
    if (!strcmp(evr_plain((*p)->version), evr_plain(evr)))
        return (*p)->version;
    for (guint i = 0; (*p)->other_versions && i < (*p)->other_versions->len;
         i++) {
        const char *v = (*p)->other_versions->pdata[i];

        if (!strcmp(evr_plain(v), evr_plain(evr)))
            return v;
    }
    return NULL;
}

/* An rpm host's transaction: the requests the cache holds get a file
 * copied to DS_RPM_FILE_DIR (the dnf command itself does not change). */
static guint use_rpm_cache(ds_action *pkgs, const ds_manifest *prod,
                           ds_pkgcache *cache)
{
    guint cached = 0;

    for (guint i = 0; pkgs->items[i]; i++) {
        const ds_package *p = NULL;
        const char *version = rpm_request_version(&p, prod, pkgs->items[i]);
        g_autofree char *path = NULL;
        g_autofree char *sha = NULL;
        g_autofree char *stem = NULL;
        ds_plan_deb *d;

        if (!version ||
            !(stem = ds_pkgcache_rpm_stem(p->name, version, p->arch)) ||
            ds_pkgcache_lookup_rpm(&path, &sha, cache, p->name, version,
                                   p->arch, NULL) < 0)
            continue;
        d = g_new0(ds_plan_deb, 1);
        d->request = g_strdup(pkgs->items[i]);
        d->cache_path = g_steal_pointer(&path);
        d->sha256 = g_steal_pointer(&sha);
        d->target = g_strdup_printf(DS_RPM_FILE_DIR "/%s", stem);
        if (pkgs->details && i < g_strv_length(pkgs->details)) {
            char *line = g_strconcat(pkgs->details[i], " (from cache)", NULL);

            g_free(pkgs->details[i]);
            pkgs->details[i] = line;
        }
        g_ptr_array_add(pkgs->debs, d);
        cached++;
    }
    return cached;
}

int ds_plan_use_package_cache(ds_plan *plan, const ds_manifest *prod,
                              const char *cache_dir, GError **err)
{
    g_autoptr(ds_pkgcache) cache = NULL;
    ds_action *pkgs = NULL, *update = NULL;
    bool sources_change = false;
    guint installs = 0, cached = 0;

    if (!plan || !cache_dir || !*cache_dir ||
        !g_file_test(cache_dir, G_FILE_TEST_IS_DIR))
        return 0;
    for (guint i = 0; i < plan->actions->len; i++) {
        ds_action *a = plan->actions->pdata[i];

        if (a->kind == DS_ACTION_PACKAGES && !a->debs)
            pkgs = a;
        else if (a->kind == DS_ACTION_APT_UPDATE)
            update = a;
        else if (a->kind == DS_ACTION_SOURCES_WRITE)
            sources_change = true;
    }
    if (!pkgs || !pkgs->items)
        return 0;
    if (ds_pkgcache_open(&cache, cache_dir, err) < 0)
        return ds_error_prefix(err, DS_EGENERIC, "%s: ", plan->host);
    pkgs->debs =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_plan_deb_free);
    if (ds_manifest_is_rpm(prod))
        installs = cached = use_rpm_cache(pkgs, prod, cache);
    for (guint i = 0; !ds_manifest_is_rpm(prod) && pkgs->items[i]; i++) {
        const char *req = pkgs->items[i];
        g_autofree char *version = NULL;
        g_autofree char *path = NULL;
        g_autofree char *sha = NULL;
        g_autofree char *stem = NULL;
        const ds_package *p;
        ds_plan_deb *d;

        if (g_str_has_suffix(req, "-"))
            continue; /* a removal */
        installs++;
        if (!(p = request_package(prod, req, &version)) ||
            !(stem = ds_pkgcache_file_stem(p->name, version, p->arch)) ||
            ds_pkgcache_lookup(&path, &sha, cache, p->name, version, p->arch,
                               NULL) < 0)
            continue;
        d = g_new0(ds_plan_deb, 1);
        d->request = g_strdup(req);
        d->cache_path = g_steal_pointer(&path);
        d->sha256 = g_steal_pointer(&sha);
        d->target = g_strdup_printf(DS_PLAN_DEB_DIR "/%s.deb", stem);
        for (guint j = 0; pkgs->argv[j]; j++)
            if (!strcmp(pkgs->argv[j], req)) {
                g_free(pkgs->argv[j]);
                pkgs->argv[j] = g_strdup(d->target);
            }
        if (pkgs->details && i < g_strv_length(pkgs->details)) {
            char *line = g_strconcat(pkgs->details[i], " (from cache)", NULL);

            g_free(pkgs->details[i]);
            pkgs->details[i] = line;
        }
        g_ptr_array_add(pkgs->debs, d);
        cached++;
    }
    if (!cached) {
        g_clear_pointer(&pkgs->debs, g_ptr_array_unref);
        return 0;
    }
    {
        char *what = g_strdup_printf("%s; %u from the package cache",
                                     pkgs->description, cached);

        g_free(pkgs->description);
        pkgs->description = what;
    }
    if (update && cached == installs && !sources_change)
        g_ptr_array_remove(plan->actions, update);
    return 0;
}
