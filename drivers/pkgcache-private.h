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

/* A package repository: where it is and how it is read
 * (pkgcache-fill.c; the rpm fill reads one too). */
typedef struct ds_pkgcache_repo {
    const char *url; /* as configured */
    char *base;      /* https: the URL without a trailing '/' */
    char *dir;       /* file://: the directory */
    const ds_pkgcache_options *opts;
} ds_pkgcache_repo;

/* https:// (TLS verified), file:// or an absolute directory, else
 * DS_EINVALID naming the URL. */
int ds_pkgcache_repo_init(ds_pkgcache_repo *r, const char *url,
                          const ds_pkgcache_options *o, GError **err);
void ds_pkgcache_repo_clear(ds_pkgcache_repo *r);
/* The URL (or path) of a repository file, for messages. */
char *ds_pkgcache_repo_shown(const ds_pkgcache_repo *r, const char *file);
/* Read the repository-relative file (already checked safe), at most max
 * bytes. */
int ds_pkgcache_repo_get(GBytes **out, const ds_pkgcache_repo *r,
                         const char *file, gsize max, GError **err);
/* Decompress gzip data, refused past max bytes. */
int ds_pkgcache_gunzip(GBytes **out, GBytes *gz, gsize max, const char *shown,
                       GError **err);

/* Checks that a file about to be stored is the package it is stored as
 * (dpkg-deb for a .deb, rpm -qp for an .rpm); path is the file written. */
typedef int (*ds_pkgcache_check_fn)(const char *path, const char *origin,
                                    void *payload, GError **err);
/* The index entry stem; label names the package in messages. */
int ds_pkgcache_lookup_stem(char **path, char **sha256, ds_pkgcache *c,
                            const char *stem, const char *label, GError **err);
/* Store data under stem once size, digest and check agree. */
int ds_pkgcache_store_stem(ds_pkgcache *c, const char *stem, GBytes *data,
                           const char *expect_sha256, gint64 expect_size,
                           const char *origin, ds_pkgcache_check_fn check,
                           void *payload, GError **err);
/* Whether s is 64 lowercase hex digits. */
bool ds_pkgcache_is_sha256_hex(const char *s);
