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
