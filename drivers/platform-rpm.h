/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform-rpm.h: the rpm platform's parsers of collector output
 * (platform-rpm-parse.c), shared with its tests; not a public API. */
#pragma once

#include <glib.h>

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

/* Whether os-release names a dnf-family system: ID or ID_LIKE has rhel,
 * fedora, centos, rocky or almalinux. */
bool ds_rpm_os_release_matches(const char *data, gsize len);
