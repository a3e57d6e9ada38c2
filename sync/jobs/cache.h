/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/cache.h: `record` fills the package cache ([packages] cache) with
 * the package versions that changed on a production host, from the
 * configured repository and, failing that, from the host's apt cache. */
#pragma once

#include <glib.h>

#include "manifests/manifest.h"
#include "manifests/store.h"
#include "sync/config/config-file.h"

/* The packages of m (borrowed) that changes (ds_change *, from the
 * previous manifest to m) install, upgrade, downgrade or reinstall for
 * another architecture, but for those the ignore rules leave alone (never
 * synced, so never needed). */
GPtrArray *ds_cache_changed_packages(const ds_manifest *m, GPtrArray *changes,
                                     const ds_ignore *ignore);

struct ds_pkgcache;

/* Cache pkgs (ds_package *) of the production host `host` in cache (the
 * opened [packages] cache; one for a whole run, so that the repository's
 * index is read once): the [packages] repository first, then the host's
 * apt cache read through source_uri (NULL: not asked; h gives its
 * transport options, may be NULL).  rpm: the packages are an rpm
 * host's, read from the repository's rpm metadata (repodata/repomd.xml)
 * and never from the host.  *cached counts the packages the
 * cache now holds; *warnings gets one line (char *) per package that
 * could not be cached, naming it and where it was looked for. */
void ds_cache_fill(GPtrArray **warnings, guint *cached,
                   struct ds_pkgcache *cache, const ds_config *cfg,
                   const ds_host_config *h, const char *host,
                   const char *source_uri, bool rpm, GPtrArray *pkgs);

/* After a commit that recorded the collected prod manifests (ds_manifest
 * *, as `mirror` does): fill the [packages] cache with what each changed
 * against the commit's parent, through each host's configured source.  A
 * host new in this commit caches nothing.  Without [packages] cache: does
 * nothing.  *warnings as ds_cache_fill's (also the cache that cannot be
 * opened), *cached the count over all hosts. */
void ds_cache_fill_commit(GPtrArray **warnings, guint *cached,
                          const ds_config *cfg, ds_store *st,
                          const char *commit, GPtrArray *manifests);
