/* SPDX-License-Identifier: GPL-2.0-or-later */
/* snapshots/snapshot.h: protect a lab domain with a snapshot before a sync
 * or a trial (internal qcow2 snapshots, or qcow2 overlay files where
 * internal ones are refused), and record in the domain's own metadata
 * which production state it mirrors. */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>
#include <stdbool.h>

/* Snapshots driftsync takes are named "driftsync-RUN"; list shows others
 * too but driftsync never deletes or prunes them. */
#define DS_SNAPSHOT_PREFIX "driftsync-"
#define DS_SNAPSHOT_NAME_MAX 64

/* driftsync's XML namespace for <metadata> on the lab domain
 * (`virsh metadata DOMAIN URI`). */
#define DS_SNAPSHOT_META_URI "https://driftsync.invalid/xmlns/lab/1"
#define DS_SNAPSHOT_META_PREFIX "driftsync"

typedef enum {
    DS_SNAPSHOT_AUTO = 0, /* choose by inspecting the domain */
    DS_SNAPSHOT_INTERNAL, /* libvirt internal snapshot (qcow2 disks) */
    DS_SNAPSHOT_OVERLAY,  /* a qcow2 overlay file on each disk */
} ds_snapshot_mode;

/* One snapshot of a lab domain, as `list` shows it. */
typedef struct ds_snapshot {
    char *name;
    char *description;     /* or NULL */
    ds_snapshot_mode mode; /* INTERNAL or OVERLAY */
    gint64 created;        /* seconds since the epoch */
    char *state;           /* domain state when taken: running, shutoff */
    bool ours;             /* named driftsync-* */
    bool current;          /* the domain runs on (top of) this snapshot */
} ds_snapshot;

void ds_snapshot_free(ds_snapshot *snap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_snapshot, ds_snapshot_free)

/* "internal" | "overlay" | "auto" (and back). */
int ds_snapshot_mode_from_string(ds_snapshot_mode *out, const char *s,
                                 GError **err);
const char *ds_snapshot_mode_to_string(ds_snapshot_mode mode);

/* A user-given snapshot name: [A-Za-z0-9._-], 1 to 64 characters, not
 * starting with '-' or '.'. */
bool ds_snapshot_name_is_safe(const char *name);
/* Named like driftsync's own (DS_SNAPSHOT_PREFIX). */
bool ds_snapshot_name_is_ours(const char *name);
/* "driftsync-RUN" for a run id. */
char *ds_snapshot_name_for_run(const char *run_id);
/* The description of a sync's snapshot: "driftsync sync of web01 at store
 * commit abc123" (commit shortened to 12 characters). */
char *ds_snapshot_sync_description(const char *host, const char *commit);

/* Resolve DS_SNAPSHOT_AUTO for a domain: internal when every writable
 * disk is qcow2 and the firmware is not pflash/UEFI, else overlay.  A
 * concrete mode is returned as is.  *why (optional) says what decided. */
int ds_snapshot_choose_mode(ds_snapshot_mode *out, char **why,
                            virDomainPtr dom, ds_snapshot_mode wanted,
                            GError **err);

/* Whether a snapshot in a concrete mode can be taken of the domain,
 * checked without touching it: internal mode refused (DS_EUNSUPPORTED,
 * naming the cause: a raw disk, UEFI firmware) or overlay mode refused (no
 * local QEMU connection).  AUTO is resolved first. */
int ds_snapshot_check_mode(virDomainPtr dom, ds_snapshot_mode mode,
                           GError **err);

/* All snapshots of a domain (internal ones and driftsync's overlay
 * records), oldest first (by creation time, then name). */
int ds_snapshot_list(GPtrArray **out, virDomainPtr dom, GError **err);
/* One snapshot by name; DS_ENOTFOUND when there is none. */
int ds_snapshot_find(ds_snapshot **out, virDomainPtr dom, const char *name,
                     GError **err);

/* Take a snapshot NAME (validated) of the domain, running or shut off.
 * mode AUTO chooses as ds_snapshot_choose_mode does; (*out)->mode says
 * which was used.  Internal mode on a domain that needs overlays fails
 * with DS_EUNSUPPORTED and a message suggesting overlay. */
int ds_snapshot_create(ds_snapshot **out, virDomainPtr dom, const char *name,
                       const char *description, ds_snapshot_mode mode,
                       GError **err);

/* Bring the domain back to snapshot NAME; it keeps running (or stays off)
 * as it was when the snapshot was taken.  The snapshot stays (it can be
 * reverted to again); overlay snapshots taken after it are dropped.  The
 * caller verifies the result (collect the lab again).  driftsync's
 * records of other overlay snapshots survive an internal revert. */
int ds_snapshot_revert(virDomainPtr dom, const char *name, GError **err);

/* Delete snapshot NAME, keeping the domain's current state (an overlay is
 * merged into the disk below it, live when the domain runs).  Only
 * driftsync's own (driftsync-*) are deleted: DS_EINVALID for others.
 * Overlay mode needs a local QEMU connection (DS_EUNSUPPORTED else). */
int ds_snapshot_delete(virDomainPtr dom, const char *name, GError **err);

/* Retention: delete the oldest driftsync-* snapshots until at most keep
 * remain (keep < 0: no limit; others' snapshots are never touched).  The
 * names deleted go to *deleted (optional, caller frees). */
int ds_snapshot_prune(GPtrArray **deleted, virDomainPtr dom, int keep,
                      GError **err);

/* ---- domain metadata (snapshots/metadata.c) ---- */

/* An overlay file on one disk of the domain. */
typedef struct ds_snapshot_disk {
    char *target;      /* vda */
    char *base;        /* the image below the overlay */
    char *base_format; /* qcow2 | raw */
    char *overlay;     /* the qcow2 overlay file */
} ds_snapshot_disk;

/* What driftsync keeps in the lab domain's <metadata>. */
typedef struct ds_snapshot_meta {
    char *host;      /* the production host it mirrors, or NULL */
    char *commit;    /* the store commit it was last synced to */
    char *synced_at; /* ISO 8601 UTC */
    char *result;    /* ok | reverted | failed | ... */
    /* ds_snapshot (mode OVERLAY) oldest first, each with its disks in
     * the parallel array overlay_disks (GPtrArray of ds_snapshot_disk). */
    GPtrArray *overlays;
    GPtrArray *overlay_disks;
} ds_snapshot_meta;

ds_snapshot_meta *ds_snapshot_meta_new(void);
void ds_snapshot_meta_free(ds_snapshot_meta *meta);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_snapshot_meta, ds_snapshot_meta_free)
void ds_snapshot_disk_free(ds_snapshot_disk *disk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_snapshot_disk, ds_snapshot_disk_free)

/* The element text (without namespace, as virDomainSetMetadata takes it),
 * values escaped; and its parser (prefixed names accepted). */
char *ds_snapshot_meta_format(const ds_snapshot_meta *meta);
int ds_snapshot_meta_parse(ds_snapshot_meta **out, const char *xml,
                           GError **err);

/* Read the domain's driftsync metadata (an empty record when it has
 * none) and write it (live and persistent definition). */
int ds_snapshot_meta_read(ds_snapshot_meta **out, virDomainPtr dom,
                          GError **err);
int ds_snapshot_meta_write(virDomainPtr dom, const ds_snapshot_meta *meta,
                           GError **err);

/* Record a sync of the lab domain: HOST at store COMMIT, with RESULT, at
 * the current time.  Overlay records are kept. */
int ds_snapshot_meta_record_sync(virDomainPtr dom, const char *host,
                                 const char *commit, const char *result,
                                 GError **err);
