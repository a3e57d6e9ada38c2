/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform-rpm.h: the rpm platform's parsers of collector output
 * (platform-rpm-parse.c), shared with its tests; not a public API. */
#pragma once

#include <glib.h>

#include "drivers/platform-dpkg.h"
#include "drivers/platform.h"

extern const ds_platform_ops ds_platform_rpm_ops;

/* `rpm -qa --qf DS_RPM_QUERY_FORMAT`: NAME, EPOCH (empty when none),
 * VERSION, RELEASE, ARCH, tab-separated, one package a line (rpm allows
 * neither tabs nor line breaks in these tags; the parser checks it). */
#define DS_RPM_QUERY_FORMAT                                                  \
    "%{NAME}\\t%|EPOCH?{%{EPOCH}}:{}|\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n"

/* Parse that output into packages (ds_package *) keyed NAME.ARCH with the
 * EVR "[EPOCH:]VERSION-RELEASE" as version; several installed versions of
 * one NAME.ARCH (kernels) give one package whose version is the newest by
 * rpm's order and the rest in other_versions.  gpg-pubkey entries
 * (imported signing keys, arch "(none)") are not packages and are left
 * out.  Every field is validated; DS_EINVALID names host and line. */
int ds_rpm_parse_query(GPtrArray *packages, const char *host,
                       const char *data, gsize len, GError **err);

/* `rpm -Va -c` output: the %config files whose size or digest differs
 * from the package's (flags with S or 5, attribute c), as host paths
 * (char *) into out; "missing" files are not changes we record. */
int ds_rpm_parse_verify(GPtrArray *out, const char *host, const char *data,
                        gsize len, GError **err);

/* A .repo file: one normalised line per enabled repository into out
 * (char *): "repo ID KEY=VALUE..." with only the keys that say where
 * packages come from and how they are checked (baseurl, metalink,
 * mirrorlist, gpgkey, gpgcheck, repo_gpgcheck, ...) in key order, URIs
 * without user:password@; credentials (username, password, sslclientkey,
 * proxy_*) are never kept.  origin names the file in errors. */
int ds_rpm_parse_repo(GPtrArray *out, const char *origin, const char *data,
                      gsize len, GError **err);

/* Pending updates (platform-rpm-pending.c).  `dnf repoquery --upgrades
 * --latest-limit=1 --qf DS_RPM_UPGRADES_FORMAT`: NAME, EPOCH (0 when
 * none), VERSION, RELEASE, ARCH, REPOID, tab-separated, one candidate a
 * line; into out (ds_pending *, keyed NAME.ARCH, EVR without a 0 epoch,
 * origin the repository id), the newest per key.  Every field checked;
 * DS_EINVALID names host and line. */
#define DS_RPM_UPGRADES_FORMAT                                               \
    "%{name}\\t%{epoch}\\t%{version}\\t%{release}\\t%{arch}\\t%{repoid}"
int ds_rpm_parse_upgrades(GPtrArray *out, const char *host, const char *data,
                          gsize len, GError **err);

/* One line of `dnf updateinfo list --available` (LC_ALL=C): an advisory
 * naming one package. */
typedef struct ds_rpm_advisory {
    char *id;       /* "RHSA-2024:1234" */
    bool security;  /* of type security */
    char *severity; /* "Critical" ... "Low", NULL when unknown */
    char *key;      /* the package's NAME.ARCH */
    char *evr;      /* its [EPOCH:]VERSION-RELEASE */
} ds_rpm_advisory;
void ds_rpm_advisory_free(ds_rpm_advisory *a);
/* "ID KIND NAME-[EPOCH:]VERSION-RELEASE.ARCH" lines (dnf 4's columns,
 * KIND one of its labels: "Important/Sec.", "bugfix", ...) into out
 * (ds_rpm_advisory *); anything else is DS_EINVALID naming host and
 * line. */
int ds_rpm_parse_advisories(GPtrArray *out, const char *host,
                            const char *data, gsize len, GError **err);
/* m->pending (created when NULL) from the candidates (taken from
 * upgrades, which keeps NULLs), each a security update when a security
 * advisory names its NAME.ARCH at a version no newer than the candidate;
 * its advisories and their highest severity kept; a held package's
 * (m->holds, sorted) goes into m->held_back instead.  m sorted. */
void ds_rpm_pending_apply(ds_manifest *m, GPtrArray *upgrades,
                          const GPtrArray *advisories);

/* m->pending and m->lists_updated_at (newest mtime of dnf's cached
 * metadata) from the facts' dnf sections; pending stays NULL (not
 * collected) when the host has no dnf, or when dnf failed on a full
 * collection; with opts->pending_only a dnf failure is an error naming
 * the host, the command and dnf's words, as is a failed refresh. */
int ds_rpm_collect_pending(ds_manifest *m, ds_dpkg_ctx *c,
                           ds_dpkg_facts *facts, GError **err);

/* Holds (platform-rpm-lock.c): dnf 4's versionlock plugin, configured in
 * DS_RPM_VERSIONLOCK_CONF ([main] enabled, locklist), its list one entry
 * a line ('#' comments, "!" excludes, which hold nothing).  Each entry
 * is read as the plugin reads it, in hawkey's forms NEVRA, NEVR, NEV, NA,
 * NAME (globs allowed): the installed packages of m the first form names
 * at an installed version, else (a lock on a version not installed) the
 * first versioned form names, are held; their NAME.ARCH keys go into
 * holds (unsorted, each once).  A line that is not an entry (characters
 * no rpm name, version or glob has; too long) is DS_EINVALID naming
 * origin and line. */
#define DS_RPM_VERSIONLOCK_CONF "/etc/dnf/plugins/versionlock.conf"
int ds_rpm_parse_versionlock(GPtrArray *holds, const ds_manifest *m,
                             const char *origin, const char *data, gsize len,
                             GError **err);
/* m->holds (sorted, empty when the plugin is absent or disabled) from
 * the facts' versionlock-conf and versionlock sections, or under a root
 * the files themselves through the transport.  m->packages normalised. */
int ds_rpm_collect_holds(ds_manifest *m, ds_dpkg_ctx *c, ds_dpkg_facts *facts,
                         GError **err);

/* Whether os-release names a dnf-family system: ID or ID_LIKE has rhel,
 * fedora, centos, rocky or almalinux. */
bool ds_rpm_os_release_matches(const char *data, gsize len);
