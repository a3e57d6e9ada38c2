/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/engine/apply-private.h: what applying an action shares between the
 * platforms' files (sync/engine/apply.c, sync/engine/apply-rpm.c). */
#pragma once

#include "sync/engine/sync.h"

/* Whether the action is an rpm host's (its command is dnf). */
bool ds_sync_action_is_rpm(const ds_action *a);
/* The checks of an rpm PACKAGES or VERSIONLOCK action before it runs:
 * the exact dnf command, safe transaction lines, package files. */
int ds_sync_validate_rpm(const ds_action *a, guint index, GError **err);
/* Run it through the rpm platform's driver; a failed command fills
 * *failure. */
int ds_sync_apply_rpm(ds_step_failure **failure, ds_transport *t,
                      const ds_action *a, guint index, GError **err);
