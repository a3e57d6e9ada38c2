/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform-rpm-apply.h: replaying package changes onto an rpm host
 * (platform-rpm-apply.c): the one dnf transaction of a sync, checked
 * before and after, and dnf's versionlock for holds. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "drivers/transport.h"

/* Where package files from the package cache are copied in the lab, and
 * the transaction file `dnf shell` reads (removed after the run). */
#define DS_RPM_FILE_DIR "/var/cache/driftsync/rpms"
#define DS_RPM_TX_FILE DS_RPM_FILE_DIR "/transaction"

/* "NAME-EPOCH:VERSION-RELEASE.ARCH" of the package key NAME.ARCH at evr
 * (the epoch always written, 0 when evr has none), the spelling the
 * transaction uses; NULL when the key or evr is not safe. */
char *ds_rpm_nevra(const char *key, const char *evr);
/* Split such a NEVRA into its key and "EPOCH:VERSION-RELEASE" (either
 * out may be NULL); false when spec is not one. */
bool ds_rpm_nevra_split(const char *spec, char **key, char **evr);

/* A transaction line: "install|upgrade|downgrade SPEC" with SPEC a NEVRA
 * as ds_rpm_nevra writes it or a package file DS_RPM_FILE_DIR/NAME.rpm,
 * or "remove SPEC" with SPEC a NEVRA or a key NAME.ARCH (every installed
 * version). */
bool ds_rpm_tx_line_is_safe(const char *line);

/* The command that runs the transaction file on a host (root NULL) or on
 * a root file system (local:/ROOT: dnf --installroot, the file read in
 * the root): NULL-terminated, g_strfreev. */
char **ds_rpm_tx_argv(const char *root);

/* `dnf versionlock VERB -- SPEC...` (VERB add or delete). */
char **ds_rpm_versionlock_argv(const char *root, const char *verb,
                               const char *const *specs);

/* Why a run failed: the command (shown), its exit status (-1 for a
 * check that failed after it exited 0) and its output. */
typedef struct ds_rpm_failure {
    char *command;
    int status;
    GBytes *out;
    GBytes *err;
} ds_rpm_failure;
void ds_rpm_failure_free(ds_rpm_failure *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_rpm_failure, ds_rpm_failure_free)

/* A package file copied into the lab for the transaction. */
typedef struct ds_rpm_file {
    const char *target; /* DS_RPM_FILE_DIR/NAME.rpm */
    GBytes *data;
} ds_rpm_file;

/* Run one transaction through t: `requests` are the plan's lines (each
 * safe), `lines` the same with the requests that use a package file
 * from the cache replaced ("install DS_RPM_FILE_DIR/X.rpm"); files (n of
 * them) are copied to their targets first, and removed with the
 * transaction file whatever happens.  First the versions asked of the
 * repositories must be there (dnf repoquery --refresh): nothing runs
 * otherwise.  Then the file is written and `dnf shell` runs it as one
 * transaction; an "Error: " or "Error in " line dnf prints (a command it
 * refused, a failed scriptlet) fails it; last rpm -qa must show every requested
 * version installed and every removed one gone.  A failure fills
 * *failure and returns DS_EGENERIC with a one-line message. */
int ds_rpm_tx_run(ds_rpm_failure **failure, ds_transport *t,
                  const char *const *requests, const char *const *lines,
                  const ds_rpm_file *files, guint n, GError **err);

/* Run `dnf versionlock` (argv from ds_rpm_versionlock_argv for the
 * host, rebuilt for t's root): a lab without dnf's versionlock plugin is
 * refused with DS_EUNSUPPORTED naming host and plugin before anything
 * runs. */
int ds_rpm_versionlock_run(ds_rpm_failure **failure, ds_transport *t,
                           const char *host, const char *const *argv,
                           GError **err);
