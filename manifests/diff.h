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

/* One attribute of a changed entry with its value on each side (file-changed
 * and package-changed carry them, one per attribute that differs). */
typedef struct ds_change_field {
    const char *name; /* static: "content" "mode" "owner" "group" "type"
                       * "target" (files), "arch" "source"
                       * "other_versions" (packages) */
    char *old_value;  /* NULL: none on that side, or secret content */
    char *new_value;
} ds_change_field;

typedef struct ds_change {
    ds_change_kind kind;
    ds_category category;
    char *name; /* package, source line, file path, service, "kernel", "os" */
    char *old_value; /* old version / state, or NULL */
    char *new_value; /* new version / state, or NULL */
    guint file_bits; /* DS_FILE_DIFF_* for file changes */
    GPtrArray *fields; /* ds_change_field *, or NULL (see above) */
    bool secret;       /* a file whose content is secret: never shown */
} ds_change;

void ds_change_free(ds_change *c);

/* Add a field (values copied) to c; returns it. */
ds_change_field *ds_change_add_field(ds_change *c, const char *name,
                                     const char *old_value,
                                     const char *new_value);
/* The field called name, or NULL. */
const ds_change_field *ds_change_field_get(const ds_change *c,
                                           const char *name);

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

/* How the two sides of a comparison are named when they are not one host
 * at two times (manifests/diff-describe.c): two hosts ("web01", "db01"),
 * or one host's lab and prod ("the lab", "prod"). */
typedef struct ds_change_sides {
    const char *from; /* the side the diff goes from: "web01", "the lab" */
    const char *to;   /* "db01", "prod" */
    int lab;          /* 0: two hosts; 1: `from` is the lab; 2: `to` is */
} ds_change_sides;

/* One short human phrase of a change in time, with the word and both
 * values: "openssl upgraded 3.0.11-1 -> 3.0.13-1",
 * "/etc/ssh/sshd_config changed (content, mode 0644 -> 0640)",
 * "nginx.service disabled (was enabled)". */
char *ds_change_describe(const ds_change *c);

/* The phrase of a comparison of two sides: sides NULL is
 * ds_change_describe; else "nginx 1.22.1-9 only on db01",
 * "openssl: web01 has 1.2, db01 has 1.3", "the lab lacks nginx 1.22.1-9",
 * "openssl: the lab has 1.0, prod 1.1". */
char *ds_change_describe_sides(const ds_change *c,
                               const ds_change_sides *sides);

/* The same change as a JSON object (jansson json_t *, new reference), in
 * the schema documented in driftsync(1), JSON OUTPUT. */
struct json_t;
struct json_t *ds_change_to_json(const ds_change *c);

/* "0644 root:root", "symlink -> /target", "0640 root:shadow secret":
 * a file's attributes on one side, as file-added/removed/changed carry
 * them in old_value / new_value. */
char *ds_file_summary(const ds_file *f);
