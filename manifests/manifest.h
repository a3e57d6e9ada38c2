/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/manifest.h: what a host looks like (schema driftsync/manifest/v1):
 * the in-memory model, validated parsing and canonical serialisation. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#define DS_MANIFEST_SCHEMA "driftsync/manifest/v1"
/* v2 = v1 plus `platform` and packages' `other_versions` (rpm hosts).  A
 * manifest that uses neither is written as v1, byte for byte as before. */
#define DS_MANIFEST_SCHEMA_V2 "driftsync/manifest/v2"
#define DS_PLATFORM_RPM "rpm"
/* Limits applied when parsing a document (bytes, nesting depth). */
#define DS_MANIFEST_MAX_BYTES (64u * 1024 * 1024)
#define DS_MANIFEST_MAX_DEPTH 8
#define DS_MANIFEST_MAX_STRING (64u * 1024)

typedef enum { DS_ROLE_PROD = 0, DS_ROLE_LAB = 1 } ds_role;
const char *ds_role_name(ds_role role); /* "prod" | "lab" */

typedef struct ds_package {
    char *name;    /* dpkg ${binary:Package}: "openssl", "libc6:i386" */
    char *version; /* Debian version string */
    char *arch;    /* "amd64", "all", ... */
    char *source;  /* apt origin ("Debian:bookworm-security"), or NULL */
    /* rpm hosts: the other installed versions (EVRs) of the same
     * NAME.ARCH, older than `version` (install-only packages such as
     * kernels); char *, sorted, or NULL when there are none. */
    GPtrArray *other_versions;
} ds_package;

typedef enum {
    DS_FILE_REGULAR = 0,
    DS_FILE_SYMLINK = 1,
} ds_file_type;

typedef struct ds_file {
    char *path;         /* absolute, normalised: "/etc/ssh/sshd_config" */
    ds_file_type type;
    char *sha256;       /* hex digest of content; NULL when secret */
    char *hmac;         /* hex HMAC-SHA256 of content, secret files only */
    bool secret;        /* content is never stored */
    guint mode;         /* permission bits, 07777 */
    char *owner;
    char *group;
    char *target;       /* symlink target, symlinks only */
    char *content_ref;  /* git blob id of the stored content, or NULL */
    GBytes *content;    /* not serialised: content carried from the
                         * collector to the store, NULL when not captured */
} ds_file;

typedef struct ds_service {
    char *name;    /* "ssh.service" */
    char *enabled; /* "enabled" "disabled" "static" "masked" ... "unknown" */
    char *active;  /* "active" "inactive" "failed" ... "unknown" */
} ds_service;

/* A pending update (apt's candidate newer than the installed version; on
 * rpm hosts dnf's, keyed NAME.ARCH with an EVR):
 * `pending.NAME`.  Held packages are never pending (see `holds`). */
typedef struct ds_pending {
    char *name;    /* as in packages: "openssl", "libc6:i386" */
    char *version; /* apt's candidate version */
    char *origin;  /* the candidate's Release Origin: "Debian", or NULL */
    char *suite;   /* its Release Codename (else Suite):
                    * "bookworm-security", or NULL */
    bool security; /* a security update by the collector's rule */
    /* rpm hosts (v2): the repository's updateinfo advisories of kind
     * "security" that the candidate fixes (char *, sorted, unique; NULL
     * when none), and the highest of their severities ("Critical",
     * "Important", "Moderate", "Low"), or NULL when none says. */
    GPtrArray *advisories;
    char *severity;
} ds_pending;

typedef struct ds_manifest {
    char *host;
    /* NULL: a dpkg host (schema v1); "rpm": an rpm host (schema v2), its
     * packages keyed NAME.ARCH with EVR versions (doc/manifest-format.md) */
    char *platform;
    ds_role role;
    char *collected_at; /* RFC 3339 UTC: "2026-11-27T12:00:00Z" */
    struct {
        char *id;      /* os-release ID: "debian" */
        char *version; /* os-release VERSION_ID: "12" */
        char *name;    /* os-release PRETTY_NAME */
    } os;
    struct {
        char *running;        /* uname -r */
        GPtrArray *installed; /* char *, sorted: kernel versions installed */
    } kernel;
    bool reboot_required;
    GPtrArray *packages; /* ds_package *, sorted by name, unique */
    GPtrArray *sources;  /* char *, normalised apt lines, sorted, unique */
    GPtrArray *files;    /* ds_file *, sorted by path, unique */
    GPtrArray *services; /* ds_service *, sorted by name, unique */
    /* Package selection state and pending updates (dpkg platform).  Each
     * is NULL when not collected (a manifest from before these members,
     * another platform): absent from the document, and never a change. */
    GPtrArray *pending;     /* ds_pending *, sorted by name, unique */
    GPtrArray *held_back;   /* ds_pending *: newer candidates of held
                             * packages, which apt will not install */
    GPtrArray *holds;       /* char *, package names on hold, sorted */
    GPtrArray *auto_marks;  /* char *, "auto": packages marked as
                             * automatically installed, sorted */
    char *lists_updated_at; /* RFC 3339 UTC: apt lists' last update */
    struct {
        char *version;   /* driftsync version that collected it */
        char *transport; /* "local", "ssh", "agent", "https", "import" */
    } collector;
} ds_manifest;

ds_manifest *ds_manifest_new(const char *host, ds_role role);
void ds_manifest_free(ds_manifest *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_manifest, ds_manifest_free)

ds_package *ds_package_new(const char *name, const char *version,
                           const char *arch, const char *source);
void ds_package_free(ds_package *p);
ds_file *ds_file_new(const char *path);
void ds_file_free(ds_file *f);
ds_service *ds_service_new(const char *name, const char *enabled,
                           const char *active);
void ds_service_free(ds_service *s);
ds_pending *ds_pending_new(const char *name, const char *version,
                           const char *origin, const char *suite,
                           bool security);
void ds_pending_free(ds_pending *p);
/* An updateinfo severity's rank: Low 1, Moderate 2, Important 3,
 * Critical 4; 0 for NULL or any other word. */
int ds_pending_severity_rank(const char *severity);

/* Sort every list and drop exact duplicates, so that serialising gives
 * canonical bytes.  Returns DS_EINVALID when two entries share a key
 * with different values (the message names the key). */
int ds_manifest_normalise(ds_manifest *m, GError **err);

/* Look-ups on a normalised manifest (binary search); NULL if absent. */
const ds_package *ds_manifest_find_package(const ds_manifest *m,
                                           const char *name);
const ds_file *ds_manifest_find_file(const ds_manifest *m, const char *path);
const ds_service *ds_manifest_find_service(const ds_manifest *m,
                                           const char *name);
/* When m was collected (its collected_at, in Unix seconds), else
 * fallback (e.g. the time of the commit that stored it). */
gint64 ds_manifest_collected_time(const ds_manifest *m, gint64 fallback);

const ds_pending *ds_manifest_find_pending(const ds_manifest *m,
                                           const char *name);
const ds_pending *ds_manifest_find_held_back(const ds_manifest *m,
                                             const char *name);
/* Whether NAME is in m->holds / m->auto_marks (false when not collected). */
bool ds_manifest_is_held(const ds_manifest *m, const char *name);
bool ds_manifest_is_auto(const ds_manifest *m, const char *name);

/* Parse and validate a document.  `origin` names it in errors (a file
 * path, a URL, "prod/web01.json@abc123").  Errors are DS_EINVALID with one
 * message: "ORIGIN: PATH.TO.FIELD: what is wrong". */
int ds_manifest_parse(ds_manifest **out, const char *data, gsize len,
                      const char *origin, GError **err);
/* The same, reading only what a reader of many versions of a host's
 * manifest needs for its packages (the patch timeline): host, role,
 * platform, collected_at, kernel, packages and pending updates.  The
 * document is checked as well-formed JSON of the schema with every
 * required member; os, sources, files, services, collector, holds, auto
 * marks and held-back updates are not read (left empty or NULL). */
int ds_manifest_parse_packages(ds_manifest **out, const char *data, gsize len,
                               const char *origin, GError **err);
/* ds_manifest_parse, and the manifest's canonical bytes
 * (ds_manifest_serialise's) as well: a reader that keeps a document in
 * canonical form learns whether the bytes it read are already that form,
 * without checking the manifest twice. */
int ds_manifest_parse_canonical(ds_manifest **out, GBytes **canonical,
                                const char *data, gsize len,
                                const char *origin, GError **err);
int ds_manifest_load(ds_manifest **out, const char *filename, GError **err);
/* The bytes of a manifest file, refused (DS_EINVALID) above
 * DS_MANIFEST_MAX_BYTES without reading more than one byte past it, and
 * refused unless it is a regular file (a FIFO is not waited on). */
int ds_manifest_read_file(char **out, gsize *out_len, const char *filename,
                          GError **err);

/* Canonical bytes: sorted keys, 2-space indent, one entry per line,
 * trailing newline.  The same state always gives the same bytes. */
int ds_manifest_serialise(GBytes **out, const ds_manifest *m, GError **err);

/* Deep equality of the serialised state (content buffers ignored). */
bool ds_manifest_equal(const ds_manifest *a, const ds_manifest *b);
/* The same state collected again: equal but for the time of collection
 * (the store keeps the time a state was first seen, so an unchanged host
 * makes no commit).  Neither manifest is touched. */
bool ds_manifest_same_state(const ds_manifest *a, const ds_manifest *b);

/* Validation of names that end up in paths, commands or libvirt calls. */
bool ds_name_is_safe_host(const char *name);    /* [A-Za-z0-9][A-Za-z0-9._-]*, no ".." */
bool ds_name_is_safe_package(const char *name); /* Debian package name [:arch] */
bool ds_name_is_safe_rpm_package(const char *name); /* rpm NAME.ARCH */
/* Whether m is an rpm host's manifest. */
bool ds_manifest_is_rpm(const ds_manifest *m);
/* Two versions of m's packages in its platform's order: rpm's (librpm)
 * for an rpm host's, dpkg's otherwise; <0, 0, >0. */
int ds_manifest_version_compare(const ds_manifest *m, const char *a,
                                const char *b);
bool ds_name_is_safe_path(const char *path);    /* absolute, no "..", no NUL/control */
bool ds_name_is_safe_service(const char *name); /* systemd unit name */
