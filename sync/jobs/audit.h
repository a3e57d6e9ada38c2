/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/audit.h: is a patch really everywhere and effective: packages below
 * an expected version, reboots and restarts pending, prod drift since the
 * lab was last synced, per host (used by `driftsync audit`). */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "drivers/transport.h"
#include "manifests/ignore.h"
#include "manifests/manifest.h"
#include "manifests/store.h"

#define DS_AUDIT_SCHEMA "driftsync/audit/v1"
/* Limits on what an expectation file or a host may hand us. */
#define DS_AUDIT_MAX_EXPECT_BYTES (4u * 1024 * 1024)
#define DS_AUDIT_MAX_EXPECT_ENTRIES 100000u
#define DS_AUDIT_MAX_PROC_BYTES (16u * 1024 * 1024)
#define DS_AUDIT_MAX_PROC_LINES 200000u
#define DS_AUDIT_MAX_PKGS_BYTES (256u * 1024)

typedef enum {
    DS_AUDIT_MISSING = 0, /* a package below the expected version */
    DS_AUDIT_REBOOT,      /* newer kernel installed, or reboot-required */
    DS_AUDIT_RESTART,     /* a process runs deleted code */
    DS_AUDIT_DRIFT,       /* prod changed since its lab was last synced */
    DS_AUDIT_PENDING,     /* a security update available, not installed */
    DS_AUDIT_OVERDUE,     /* one pending longer than [patches] security-sla */
} ds_audit_kind;

const char *ds_audit_kind_name(ds_audit_kind kind); /* "missing" ... */

typedef struct ds_audit_finding {
    ds_audit_kind kind;
    char *detail;        /* one human phrase */
    char *package;       /* missing, drift: the package, or NULL */
    char *have;          /* installed / running version, or NULL */
    char *want;          /* expected / newest version, or NULL */
    gint64 pid;          /* restart: the process; 0 otherwise */
    char *unit;          /* restart: its systemd service, or NULL */
    char *path;          /* restart: the deleted file; reboot: the flag file */
    GPtrArray *packages; /* reboot: packages named by .pkgs (char *), or NULL */
} ds_audit_finding;

ds_audit_finding *ds_audit_finding_new(ds_audit_kind kind, const char *detail);
void ds_audit_finding_free(ds_audit_finding *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_audit_finding, ds_audit_finding_free)

/* An expectation (a patch bundle, or the newest versions of a group):
 * package name -> version, and the names that must be installed.  On an
 * rpm host a name is a NAME.ARCH key, or a NAME standing for each
 * installed NAME.ARCH, and a version an EVR ("[EPOCH:]VERSION-RELEASE",
 * or "[EPOCH:]VERSION": the release is not compared) ordered by rpm. */
typedef struct ds_audit_expect {
    GHashTable *want;     /* char *name -> char *version */
    GHashTable *required; /* char *name set: absent means a finding */
    const char *platform; /* only hosts of this platform ("dpkg", "rpm")
                           * are checked against it; NULL: any */
} ds_audit_expect;

ds_audit_expect *ds_audit_expect_new(void);
void ds_audit_expect_free(ds_audit_expect *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_audit_expect, ds_audit_expect_free)

/* Parse a patch bundle: a stored bundle document (driftsync/bundle/v1),
 * a JSON object {"name": "version"} or lines
 * "name=version" (blank lines and '#' comments allowed).  A name written
 * "+name" must be installed: a host without it has a finding; other
 * names only concern hosts that have the package.  Names (Debian's, or
 * rpm's with or without ".ARCH") and versions (Debian's or rpm's) are
 * validated; errors (DS_EINVALID) name origin and line or key.  Whether
 * a version suits a host's platform is checked with the host. */
int ds_audit_expect_parse(ds_audit_expect **out, const char *data, gsize len,
                          const char *origin, GError **err);
int ds_audit_expect_load(ds_audit_expect **out, const char *filename,
                         GError **err);
/* A tested bundle (as stored by a trial, or a file of that schema, which
 * ds_audit_expect_parse recognises by its "schema" member): its exact
 * versions, none required; Debian's (trial --pending tries dpkg hosts),
 * so platform "dpkg".  A bundle of a failed trial is refused. */
struct ds_bundle;
int ds_audit_expect_from_bundle(ds_audit_expect **out,
                                const struct ds_bundle *b, const char *origin,
                                GError **err);

/* The newest version of every package among the manifests, all of one
 * platform and compared by its order (packages matched by the ignore
 * rules left out); nothing is required. */
ds_audit_expect *ds_audit_expect_newest(const ds_manifest *const *manifests,
                                        guint n, const ds_ignore *ignore);

/* Findings of each kind, appended to findings (ds_audit_finding *).
 * Missing: by the host's own version order; an expected version that is
 * not one of the host's platform is DS_EINVALID naming host and package,
 * as is an expectation of another platform. */
int ds_audit_check_missing(GPtrArray *findings, const ds_manifest *m,
                           const ds_audit_expect *expect, GError **err);
/* Running kernel older than the newest installed one; with
 * flag_known false, also the manifest's reboot_required flag when the
 * kernel does not explain it (a stored manifest). */
void ds_audit_check_kernel(GPtrArray *findings, const ds_manifest *m,
                           bool flag_known);
/* /run/reboot-required and .pkgs, read through the transport. */
int ds_audit_check_reboot_flag(GPtrArray *findings, ds_transport *t,
                               const char *host, GError **err);
/* Processes mapping deleted files under /usr /lib /bin /sbin, or running a
 * deleted executable, found by one fixed script run through the
 * transport. */
int ds_audit_check_restart(GPtrArray *findings, ds_transport *t,
                           const char *host, GError **err);
/* Parse the restart script's output (exposed for tests). */
int ds_audit_parse_restart(GPtrArray *findings, const char *data, gsize len,
                           const char *host, GError **err);
/* Whether a mapped path is code that a restart would replace. */
bool ds_audit_path_is_code(const char *path);

/* Security updates pending on m (its `pending` member): one finding per
 * package, `overdue` instead of `pending` when it has been pending (since
 * its event in `events`, from ds_patch_history; else since now) longer
 * than sla seconds (0: no SLA). */
void ds_audit_check_pending(GPtrArray *findings, const ds_manifest *m,
                            const GPtrArray *events, gint64 now, gint64 sla);
/* "3d 4h", "5h 10m", "42m", "30s": an age for people. */
char *ds_audit_format_age(gint64 seconds);

/* Drift since the last sync: the prod manifest at `synced`, the newest
 * commit that recorded lab/HOST.json (ds_store_last_changes), against
 * `prod` (the audited manifest), after the ignore rules.  A lab never
 * recorded (synced NULL) is one finding. */
int ds_audit_check_drift(GPtrArray *findings, ds_store *st,
                         const ds_manifest *prod, const char *synced,
                         const ds_ignore *ignore, GError **err);
