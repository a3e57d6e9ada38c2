/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/ignore.h: ignore rules (glob patterns per category) applied to
 * diff, plan and audit alike. */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef enum {
    DS_CAT_PACKAGES = 0,
    DS_CAT_SOURCES,
    DS_CAT_FILES,
    DS_CAT_SERVICES,
    DS_CAT_KERNEL,
    DS_CAT_COUNT
} ds_category;

const char *ds_category_name(ds_category cat); /* "packages" ... */
int ds_category_from_name(const char *name);   /* -1 when unknown */

typedef struct ds_ignore ds_ignore;

ds_ignore *ds_ignore_new(void);
void ds_ignore_free(ds_ignore *ig);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_ignore, ds_ignore_free)

/* Add patterns from a config value: whitespace-separated globs (fnmatch,
 * '*' crosses '/' for files too; a pattern ending in '/' matches everything
 * below that directory).  DS_EINVALID for an empty or over-long pattern. */
int ds_ignore_add(ds_ignore *ig, ds_category cat, const char *patterns,
                  GError **err);

/* Whether name (a package name, source line, file path, service name) is
 * ignored in that category.  A NULL ds_ignore ignores nothing. */
bool ds_ignore_match(const ds_ignore *ig, ds_category cat, const char *name);
