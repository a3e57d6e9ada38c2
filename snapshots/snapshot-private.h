/* SPDX-License-Identifier: GPL-2.0-or-later */
/* snapshots/snapshot-private.h: what the files of snapshots/ share: libvirt
 * error translation, the domain XML reader and rewriter, and the two
 * snapshot modes' operations. */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdbool.h>

#include "snapshots/snapshot.h"

/* Translate libvirt's last error into *err: "DOMAIN: WHAT: cause".  A lost
 * connection gives DS_EINTERRUPTED, a missing domain or snapshot
 * DS_ENOTFOUND, an unsupported operation DS_EUNSUPPORTED. */
int ds_snapshot_virt_error(GError **err, virDomainPtr dom, const char *what);

/* One <disk> of a domain definition. */
typedef struct ds_domain_disk {
    int index;    /* its position among the <disk> elements */
    char *type;   /* file | block | network | volume */
    char *device; /* disk | cdrom | floppy | lun */
    char *format; /* <driver type=...>, or NULL */
    char *source; /* <source file=...> or dev=..., or NULL */
    char *target; /* <target dev=...> */
    bool readonly;
} ds_domain_disk;

typedef struct ds_domain_info {
    GPtrArray *disks; /* ds_domain_disk * */
    bool pflash;      /* <loader type='pflash'> or <os firmware='efi'> */
} ds_domain_info;

void ds_domain_info_free(ds_domain_info *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_domain_info, ds_domain_info_free)

/* The disks that a snapshot must cover: writable disks (not cdrom or
 * floppy, not read-only). */
bool ds_domain_disk_is_writable(const ds_domain_disk *disk);

int ds_domain_info_parse(ds_domain_info **out, const char *xml,
                         GError **err);
/* Read the domain's persistent definition (secure, inactive). */
int ds_domain_info_read(ds_domain_info **out, char **xml, virDomainPtr dom,
                        GError **err);

/* A copy of domain XML where the disk with target T gets a new file
 * source and format (sources: target -> ds_snapshot_disk whose overlay
 * and "qcow2" are used when to_overlay, else base and base_format);
 * <backingStore> of those disks is dropped (libvirt probes it again). */
char *ds_domain_xml_switch(const char *xml, GPtrArray *disks, bool to_overlay,
                           GError **err);

/* Internal mode (snapshots/internal.c). */
int ds_snapshot_internal_list(GPtrArray *out, virDomainPtr dom, GError **err);
int ds_snapshot_internal_create(virDomainPtr dom, const char *name,
                                const char *description, GError **err);
int ds_snapshot_internal_revert(virDomainPtr dom, const char *name,
                                GError **err);
int ds_snapshot_internal_delete(virDomainPtr dom, const char *name,
                                GError **err);
/* Why internal snapshots cannot work (NULL when they can). */
char *ds_snapshot_internal_refusal(const ds_domain_info *info);

/* Overlay mode (snapshots/overlay.c); records live in the metadata. */
/* Whether overlays can work: a QEMU connection on this machine. */
int ds_snapshot_overlay_check(virDomainPtr dom, GError **err);
int ds_snapshot_overlay_create(virDomainPtr dom, const char *name,
                               const char *description, GError **err);
int ds_snapshot_overlay_revert(virDomainPtr dom, const char *name,
                               GError **err);
int ds_snapshot_overlay_delete(virDomainPtr dom, const char *name,
                               GError **err);
