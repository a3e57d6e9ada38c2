/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/diff.h: the semantic diff between two manifests, as typed
 * changes after ignore rules. */
#pragma once

#include <glib.h>

#include "manifests/ignore.h"
#include "manifests/manifest.h"

typedef enum {
    DS_CHANGE_PACKAGE_INSTALLED,
    DS_CHANGE_PACKAGE_UPGRADED,
    DS_CHANGE_PACKAGE_DOWNGRADED,
    DS_CHANGE_PACKAGE_REMOVED,
    DS_CHANGE_PACKAGE_CHANGED, /* same version, other arch (the source,
                                * where apt finds it, is not drift) */
    DS_CHANGE_SOURCE_ADDED,
    DS_CHANGE_SOURCE_REMOVED,
    DS_CHANGE_FILE_ADDED,
    DS_CHANGE_FILE_CHANGED,    /* content, mode, owner, group or target */
    DS_CHANGE_FILE_REMOVED,
    DS_CHANGE_SERVICE_ADDED,
    DS_CHANGE_SERVICE_REMOVED,
    DS_CHANGE_SERVICE_ENABLED,
    DS_CHANGE_SERVICE_DISABLED, /* any enablement change away from "enabled" */
    DS_CHANGE_SERVICE_STARTED,
    DS_CHANGE_SERVICE_STOPPED,  /* any activity change away from "active" */
    DS_CHANGE_KERNEL_CHANGED,   /* running kernel differs */
    DS_CHANGE_REBOOT_REQUIRED_CHANGED,
    DS_CHANGE_OS_CHANGED,
    DS_CHANGE_HOLD_CHANGED, /* "held" / "unheld": apt-mark hold/unhold */
    DS_CHANGE_MARK_CHANGED, /* "auto" / "manual": apt-mark auto/manual */
} ds_change_kind;

/* Bits of what changed in a DS_CHANGE_FILE_CHANGED. */
enum {
    DS_FILE_DIFF_CONTENT = 1 << 0,
    DS_FILE_DIFF_MODE = 1 << 1,
    DS_FILE_DIFF_OWNER = 1 << 2,
    DS_FILE_DIFF_GROUP = 1 << 3,
    DS_FILE_DIFF_TYPE = 1 << 4, /* type or symlink target */
};

typedef struct ds_change {
    ds_change_kind kind;
    ds_category category;
    char *name; /* package, source line, file path, service, "kernel", "os" */
    char *old_value; /* old version / state, or NULL */
    char *new_value; /* new version / state, or NULL */
    guint file_bits; /* DS_FILE_DIFF_* for file changes */
} ds_change;

void ds_change_free(ds_change *c);

/* Typed changes that take `from` to `to`, in a stable order: by category
 * (packages -- versions, then holds and marks --, sources, files,
 * services, kernel/os), then by name.  Holds and marks are compared only
 * when both manifests have them (see manifests/diff-selection.c); pending
 * updates never are: they depend on each host's package lists.
 * *out is a GPtrArray of ds_change * owned by the caller (unref frees the
 * changes too).  A NULL manifest stands for an empty host.  The values
 * each kind carries are listed at the top of manifests/diff.c. */
int ds_manifest_diff(GPtrArray **out, const ds_manifest *from,
                     const ds_manifest *to, const ds_ignore *ignore,
                     GError **err);

const char *ds_change_kind_name(ds_change_kind kind); /* "package-upgraded" */

/* One short human phrase: "openssl 3.0.11-1 -> 3.0.13-1",
 * "/etc/ssh/sshd_config changed (content, mode)", "nginx.service disabled". */
char *ds_change_describe(const ds_change *c);

/* The same change as a JSON object (jansson json_t *, new reference). */
struct json_t;
struct json_t *ds_change_to_json(const ds_change *c);
