/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/version.h: Debian version ordering, as dpkg --compare-versions. */
#pragma once

#include <stdbool.h>

/* <0, 0, >0 as a sorts before, equal to or after b (epoch:upstream-revision,
 * with dpkg's rules for '~', letters and digits).  Never fails: a string
 * that is not a valid version is compared as dpkg would after parsing it
 * leniently. */
int ds_version_compare(const char *a, const char *b);

/* Whether s is a syntactically valid Debian version. */
bool ds_version_is_valid(const char *s);

/* rpm hosts: an EVR is "[EPOCH:]VERSION-RELEASE", the epoch digits,
 * version and release non-empty runs of letters, digits and "._+~^"
 * (rpm allows no '-' or ':' in them, so the split is unambiguous). */
bool ds_rpm_evr_is_valid(const char *s);
/* Whether this build orders rpm versions (librpm found by configure). */
bool ds_rpm_vercmp_available(void);
/* <0, 0, >0 as EVR a sorts before, equal to or after b, by librpm
 * (rpmverCmp: the epoch as a number, then rpmvercmp on version and on
 * release).  Only when ds_rpm_vercmp_available(); otherwise 0 for equal
 * strings and a plain byte order (callers refuse rpm manifests first). */
int ds_rpm_evr_compare(const char *a, const char *b);
/* rpmvercmp on two version (or release) strings. */
int ds_rpm_vercmp(const char *a, const char *b);
