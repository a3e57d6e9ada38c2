/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/diff-private.h: the parts of the semantic diff kept in their
 * own files (manifests/diff-selection.c); not a public API. */
#pragma once

#include "manifests/diff.h"

/* Append to out the hold and mark changes from `from` to `to`. */
void ds_diff_selection(GPtrArray *out, const ds_manifest *from,
                       const ds_manifest *to, const ds_ignore *ignore);
