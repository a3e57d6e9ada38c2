/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/trial-cache.c: `trial --pending` when the lab cannot get prod's
 * candidate versions from its own apt sources: the exact versions put into
 * the package cache ([packages] cache: from [packages] repository, then
 * prod's own apt cache, as `record` fills it) and read back as package
 * files to copy into the guest. */
#include <config.h>

#include <string.h>

#include "drivers/pkgcache.h"
#include "manifests/util/error.h"
#include "sync/jobs/cache.h"
#include "sync/jobs/trial.h"

/* The largest package file a trial copies into the guest (as --deb). */
#define TRIAL_CACHE_DEB_MAX DS_PKGCACHE_DEFAULT_MAX_FILE

/* prod's package of a PKG=VERSION request, with the requested version
 * and prod's architecture, or NULL. */
static ds_package *wanted(const ds_manifest *prod, const char *spec)
{
    const char *eq = strchr(spec, '=');
    g_autofree char *name = eq ? g_strndup(spec, (gsize)(eq - spec)) : NULL;
    const ds_package *p = name ? ds_manifest_find_package(prod, name) : NULL;

    return p ? ds_package_new(p->name, eq + 1, p->arch, NULL) : NULL;
}

/* The cached file of p, its digest checked again, as a trial package file
 * bound for dir in the guest. */
static int load(ds_trial_deb **out, ds_pkgcache *c, const ds_package *p,
                const char *dir, GError **err)
{
    g_autofree char *path = NULL, *sha = NULL, *stem = NULL, *sum = NULL;
    g_autofree char *data = NULL;
    gsize len = 0;
    ds_trial_deb *d;
    int rc;

    if (!(stem = ds_pkgcache_file_stem(p->name, p->version, p->arch)))
        return ds_error_set(err, DS_EINVALID, "%s %s: not a name the package cache takes", p->name, p->version);
    if ((rc = ds_pkgcache_lookup(&path, &sha, c, p->name, p->version, p->arch,
                                 err)) < 0)
        return rc;
    if (!g_file_get_contents(path, &data, &len, err))
        return ds_error_prefix(err, DS_EGENERIC, "%s %s from the package cache: ", p->name, p->version);
    sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)data, len);
    if (len > TRIAL_CACHE_DEB_MAX || strcmp(sum, sha) != 0)
        return ds_error_set(err, DS_EINVALID, "%s %s: the package cache's %s is damaged (SHA256 %s, expected %s)", p->name, p->version, path, sum, sha);
    d = g_new0(ds_trial_deb, 1);
    d->path = g_steal_pointer(&path);
    d->guest = g_strdup_printf("%s/%s.deb", dir, stem);
    d->data = g_bytes_new_take(g_steal_pointer(&data), len);
    *out = d;
    return 0;
}

int ds_trial_cache_debs(GPtrArray **out, ds_trial *tr, GError **err)
{
    g_autoptr(ds_pkgcache) c = NULL;
    g_autoptr(GPtrArray) pkgs =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_package_free);
    g_autoptr(GPtrArray) debs =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_trial_deb_free);
    g_autoptr(GPtrArray) warnings = NULL;
    g_autoptr(GString) missing = g_string_new(NULL);
    g_autofree char *dir =
        g_strdup_printf("/var/tmp/driftsync-trial-%s", tr->run_id);
    guint cached = 0;
    int rc;

    *out = NULL;
    if (!tr->cfg->package_cache || !tr->must_match)
        return ds_error_set(err, DS_EINVALID, "%s: no [packages] cache to take prod's versions from", tr->host);
    if ((rc = ds_pkgcache_open(&c, tr->cfg->package_cache, err)) < 0)
        return rc;
    for (guint i = 0; i < tr->installs->len; i++) {
        ds_package *p = wanted(tr->must_match, tr->installs->pdata[i]);

        if (!p)
            return ds_error_set(err, DS_ENOTFOUND, "%s: %s is not installed on prod: no architecture to look it up by", tr->host,
                                (const char *)tr->installs->pdata[i]);
        g_ptr_array_add(pkgs, p);
    }
    ds_log_info(&tr->log, "%s: filling the package cache %s with the %u candidate version%s", tr->host, tr->cfg->package_cache,
                pkgs->len, pkgs->len == 1 ? "" : "s");
    ds_cache_fill(&warnings, &cached, c, tr->cfg, tr->hc, tr->host,
                  tr->hc->source, false, pkgs);
    for (guint i = 0; i < warnings->len; i++)
        g_string_append_printf(missing, "%s%s", i ? "; " : "",
                               (const char *)warnings->pdata[i]);
    if (warnings->len)
        return ds_error_set(err, DS_ENOTFOUND, "%s", missing->str);
    for (guint i = 0; i < pkgs->len; i++) {
        ds_trial_deb *d = NULL;

        if ((rc = load(&d, c, pkgs->pdata[i], dir, err)) < 0)
            return ds_error_prefix(err, rc, "%s: ", tr->host);
        g_ptr_array_add(debs, d);
    }
    *out = g_steal_pointer(&debs);
    return 0;
}
