/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/pkgcache-private.h: what the package cache's files share (name
 * checks, digests); not a public API. */
#pragma once

#include <stdbool.h>

#include "drivers/pkgcache.h"

/* A Debian architecture name: [a-z0-9][a-z0-9-]*, at most 64. */
bool ds_pkgcache_arch_is_safe(const char *arch);
/* A valid Debian version that cannot become a path or an option. */
bool ds_pkgcache_version_is_safe(const char *version);
/* A repository-relative Filename: no leading '/', no "." or ".."
 * component, only [A-Za-z0-9._+~%:/-]. */
bool ds_pkgcache_filename_is_safe(const char *f);
/* Lowercase hex SHA-256 of data. */
char *ds_pkgcache_sha256(GBytes *data);
/* The parsed index of the repository at url, kept in c for the next
 * fill of the same cache object (one fetch per record run), and read
 * back (a new reference, or NULL). */
void ds_pkgcache_keep_index(ds_pkgcache *c, const char *url, const char *shown,
                            GPtrArray *entries);
GPtrArray *ds_pkgcache_kept_index(ds_pkgcache *c, const char *url,
                                  char **shown);
