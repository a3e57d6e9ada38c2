/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/plan/plan-private.h: what the parts of the plan engine share while a
 * plan is built (sync/plan/plan.c, sync/plan/plan-steps.c). */
#pragma once

#include "manifests/diff.h"
#include "sync/plan/plan.h"

typedef struct plan_ctx {
    ds_plan *plan;
    const ds_manifest *lab;
    const ds_manifest *prod;
    const ds_ignore *ignore;
    GError **err;
    ds_plan_phase file_phase; /* where file steps go (keyrings: sources) */
} plan_ctx;

/* Append an action (argv copied, NULL for MANUAL; takes description). */
ds_action *ds_plan_add(plan_ctx *ctx, ds_plan_phase phase, ds_action_kind kind,
                       char *description, const char *const *argv);
/* DS_EINVALID "HOST: refusing WHAT 'NAME': not a safe name". */
int ds_plan_refuse(plan_ctx *ctx, const char *what, const char *name);
/* The source lines a lab gets, sorted: prod's but the ignored ones, and
 * the lab's ignored ones; a line is_safe refuses is refused as WHAT. */
int ds_plan_source_lines(plan_ctx *ctx, GPtrArray *lines,
                         bool (*is_safe)(const char *line), const char *what);
/* The steps of the changed files among keys (the keyrings or gpg keys
 * prod's sources name), in the sources phase, before the sources are
 * written; file steps after it go to the files phase. */
int ds_plan_key_files(plan_ctx *ctx, GPtrArray *changes, GHashTable *keys);
/* The step that writes the source lines (text, their file's bytes) to
 * path, root's, 0644 (takes description). */
void ds_plan_sources_write(plan_ctx *ctx, char *description, const char *path,
                           GPtrArray *lines, const GString *text);

/* The steps of one file or service change. */
int ds_plan_file(plan_ctx *ctx, const ds_change *c);
int ds_plan_service(plan_ctx *ctx, const ds_change *c);

/* The apt-mark steps before and after the package transaction
 * (plan-selection.c), and the string order they sort names in. */
int ds_plan_selection_before(plan_ctx *ctx, GPtrArray *changes);
int ds_plan_selection_after(plan_ctx *ctx, GPtrArray *changes);
gint ds_plan_cmp_str(gconstpointer a, gconstpointer b);

/* The steps after the package transaction, shared by both platforms:
 * files (but those `early` put in the sources phase), the reload of
 * systemd's units, services, the reboot. */
int ds_plan_tail(plan_ctx *ctx, GPtrArray *changes, GHashTable *early);
/* The OS change that is not replayed: a MANUAL step. */
void ds_plan_os_manual(plan_ctx *ctx, GPtrArray *changes);

/* An rpm host's plan (plan-rpm.c): .repo files, versionlock, one dnf
 * transaction, then ds_plan_tail. */
int ds_plan_rpm_walk(plan_ctx *ctx, GPtrArray *changes);
