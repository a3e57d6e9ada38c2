/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/diff-hosts.h: manifests built in code for the diff tests: a
 * production host, the same host after a day of changes, and helpers. */
#pragma once

#include <glib.h>

#include "manifests/diff.h"

void add_pkg(ds_manifest *m, const char *name, const char *version,
             const char *arch, const char *source);
ds_file *add_file(ds_manifest *m, const char *path, const char *sha, guint mode,
                  const char *owner, const char *group);
ds_file *add_secret(ds_manifest *m, const char *path, const char *hmac);
void add_svc(ds_manifest *m, const char *name, const char *enabled,
             const char *active);
/* ds_manifest_normalise, asserting success. */
void normalise(ds_manifest *m);
/* An empty Debian 12 host running that kernel. */
ds_manifest *host(const char *kernel);
/* A typical production host, and the same host after a day of changes. */
ds_manifest *prod_host(void);
ds_manifest *changed_host(void);
/* ds_manifest_diff, asserting success. */
GPtrArray *diff(const ds_manifest *a, const ds_manifest *b,
                const ds_ignore *ig);
/* One line per change: "kind|category|name|old|new|bits" (NULL as "-"). */
char *dump(GPtrArray *changes);
