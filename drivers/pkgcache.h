/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/pkgcache.h: the content-addressed cache of package files
 * ([packages] cache = DIR), filled from a package repository or a host's
 * own apt cache, read when a lab needs an exact version. */
#pragma once

#include <glib.h>

#include "drivers/transport.h"
#include "manifests/manifest.h"

/* Layout: DIR/sha256/HEX holds the bytes of a file whose SHA-256 is HEX;
 * DIR/index/NAME_VERSION_ARCH holds "HEX\n" (the version's epoch colon
 * written "%3a", as apt names its files).  Every file is written to a
 * temporary name, synced, then renamed. */
#define DS_PKGCACHE_DEFAULT_MAX_FILE ((gsize)1024 * 1024 * 1024)
#define DS_PKGCACHE_DEFAULT_MAX_INDEX ((gsize)256 * 1024 * 1024)
/* Where a host's apt keeps the package files it downloaded. */
#define DS_PKGCACHE_APT_ARCHIVES "/var/cache/apt/archives"

typedef struct ds_pkgcache ds_pkgcache;

typedef struct ds_pkgcache_options {
    const char *ca_file;    /* https: CA bundle (default: the system's) */
    int connect_timeout_ms; /* 0: the https transport's default */
    int timeout_ms;         /* per download; 0: the transport's default */
    gsize max_index;        /* Packages (after gunzip); 0: default */
    gsize max_file;         /* one package file; 0: default */
} ds_pkgcache_options;

/* A package that could not be cached, and why (naming the package and
 * where it was looked for). */
typedef struct ds_pkgcache_miss {
    ds_package *pkg;
    char *reason;
} ds_pkgcache_miss;
void ds_pkgcache_miss_free(ds_pkgcache_miss *m);

/* One stanza of a Packages index (only what the cache uses). */
typedef struct ds_pkgcache_entry {
    char *name, *version, *arch;
    char *filename; /* relative to the repository URL */
    char *sha256;   /* lowercase hex */
    guint64 size;
} ds_pkgcache_entry;
void ds_pkgcache_entry_free(ds_pkgcache_entry *e);

/* Open (creating DIR, DIR/sha256 and DIR/index when missing) the cache. */
int ds_pkgcache_open(ds_pkgcache **out, const char *dir, GError **err);
void ds_pkgcache_free(ds_pkgcache *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_pkgcache, ds_pkgcache_free)
const char *ds_pkgcache_dir(const ds_pkgcache *c);

/* "NAME_VERSION_ARCH" (epoch colon as "%3a"), the name apt gives the
 * package's file without ".deb"; NULL when the name (a ":ARCH" qualifier
 * is dropped), version or architecture is not safe. */
char *ds_pkgcache_file_stem(const char *name, const char *version,
                            const char *arch);

/* The cached file of NAME VERSION ARCH: its path and SHA-256 (either out
 * may be NULL).  DS_ENOTFOUND when the cache does not hold it,
 * DS_EINVALID for a hostile name or a damaged index entry. */
int ds_pkgcache_lookup(char **path, char **sha256, ds_pkgcache *c,
                       const char *name, const char *version, const char *arch,
                       GError **err);

/* Store data as NAME VERSION ARCH.  When expect_sha256 is set the data
 * must have that digest, and expect_size >= 0 its size; the file must be
 * a .deb whose control fields name that package, version and
 * architecture (dpkg-deb).  Nothing is stored on any mismatch.  `origin`
 * names where the data came from in errors. */
int ds_pkgcache_store(ds_pkgcache *c, const char *name, const char *version,
                      const char *arch, GBytes *data, const char *expect_sha256,
                      gint64 expect_size, const char *origin, GError **err);

/* Parse a Packages index: *out gets ds_pkgcache_entry *, stanzas without
 * Package, Version, Architecture, Filename, SHA256 and Size skipped; a
 * Filename that is absolute or has ".." makes the stanza refused. */
int ds_pkgcache_parse_index(GPtrArray **out, const char *data, gsize len,
                            const char *origin, GError **err);

/* Cache every package of pkgs (ds_package *) that is not cached yet from
 * a flat repository: URL/Packages (or URL/Packages.gz), each package's
 * Filename relative to URL, downloaded (https:// with TLS verified, by
 * the https transport, or file:// or an absolute directory), its SHA256
 * and Size checked.  *missing (may be NULL) gets a ds_pkgcache_miss for
 * each package that could not be cached, with the reason (an index that
 * cannot be read makes every package missing).  Errors only for a URL
 * that is not https://, file:// or absolute (DS_EINVALID). */
int ds_pkgcache_fill_from_repository(GPtrArray **missing, ds_pkgcache *c,
                                     const char *url, GPtrArray *pkgs,
                                     const ds_pkgcache_options *opts,
                                     GError **err);

/* Cache every package of pkgs not cached yet from the host's apt cache
 * (DS_PKGCACHE_APT_ARCHIVES/NAME_VERSION_ARCH.deb read through t),
 * checked to be that package.  `host` names the host in reasons. */
int ds_pkgcache_fill_from_host(GPtrArray **missing, ds_pkgcache *c,
                               ds_transport *t, const char *host,
                               GPtrArray *pkgs, GError **err);

/* ---- rpm hosts (pkgcache-rpm.c) ----
 * Packages keyed NAME.ARCH with EVR versions ("[EPOCH:]VERSION-RELEASE");
 * indexed as DIR/index/NAME-EVR.ARCH.rpm (the epoch colon "%3a"). */

/* That index name; NULL when the key, EVR or architecture is not safe
 * or the key's architecture is not arch. */
char *ds_pkgcache_rpm_stem(const char *key, const char *evr, const char *arch);
/* ds_pkgcache_lookup for an rpm package. */
int ds_pkgcache_lookup_rpm(char **path, char **sha256, ds_pkgcache *c,
                           const char *key, const char *evr, const char *arch,
                           GError **err);
/* ds_pkgcache_store for an rpm package: the file must be an rpm whose
 * name, epoch, version, release and architecture (rpm -qp) are the
 * package's (a zero epoch and none are the same). */
int ds_pkgcache_store_rpm(ds_pkgcache *c, const char *key, const char *evr,
                          const char *arch, GBytes *data,
                          const char *expect_sha256, gint64 expect_size,
                          const char *origin, GError **err);

/* What repodata/repomd.xml says of the primary metadata. */
typedef struct ds_pkgcache_repomd {
    char *href;          /* relative to the repository: "repodata/...gz" */
    char *checksum_type; /* "sha256", "sha384" or "sha512" */
    char *checksum;      /* lowercase hex of the (compressed) file */
} ds_pkgcache_repomd;
void ds_pkgcache_repomd_free(ds_pkgcache_repomd *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_pkgcache_repomd, ds_pkgcache_repomd_free)

/* Parse repomd.xml: DS_EINVALID (naming origin) for what is not XML,
 * has no primary entry, a location that is absolute, has "..", or is
 * elsewhere (xml:base), or a checksum that is not a SHA-2 digest. */
int ds_pkgcache_parse_repomd(ds_pkgcache_repomd **out, const char *data,
                             gsize len, const char *origin, GError **err);
/* Parse primary metadata into ds_pkgcache_entry * (name = NAME.ARCH,
 * version = EVR without a zero epoch, sha256 NULL unless the package's
 * checksum is a SHA-256, filename NULL when its location is not a safe
 * relative path); packages with a missing or invalid field, and source
 * packages, are skipped.  DS_EINVALID for what is not XML. */
int ds_pkgcache_parse_primary(GPtrArray **out, const char *data, gsize len,
                              const char *origin, GError **err);

/* ds_pkgcache_fill_from_repository for an rpm host's packages from an
 * rpm repository: URL/repodata/repomd.xml names the primary metadata
 * (.xml, .xml.gz, or .xml.zst with libzstd), whose digest must be the
 * one repomd.xml gives; each package's file is read from its location,
 * its size and SHA-256 checked against primary, then rpm -qp. */
int ds_pkgcache_fill_from_rpm_repository(GPtrArray **missing, ds_pkgcache *c,
                                         const char *url, GPtrArray *pkgs,
                                         const ds_pkgcache_options *opts,
                                         GError **err);
