/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/libvirt-lazy.c: the libvirt functions driftsync calls, each
 * loading libvirt on the first call (manifests/util/lazylib.h): runs that
 * touch no VM (record, log, diff, show...) do not load it, nor the thirty
 * libraries behind it.  A function of libvirt used anywhere in the tree
 * gets its line here (the link fails until it has one). */
#include <config.h>

#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "manifests/util/lazylib.h"

static ds_lazylib virt = {DS_SONAME_LIBVIRT, 0};
static ds_lazylib virt_qemu = {DS_SONAME_LIBVIRT_QEMU, 0};

/* clang-format off */
DS_LAZY_FN(virt, int, virConnectClose, (virConnectPtr conn), (conn))
DS_LAZY_FN(virt, int, virConnectGetLibVersion, (virConnectPtr conn, unsigned long *libVer), (conn, libVer))
DS_LAZY_FN(virt, const char *, virConnectGetType, (virConnectPtr conn), (conn))
DS_LAZY_FN(virt, char *, virConnectGetURI, (virConnectPtr conn), (conn))
DS_LAZY_FN(virt, int, virConnectIsAlive, (virConnectPtr conn), (conn))
DS_LAZY_FN(virt, virConnectPtr, virConnectOpen, (const char *name), (name))
DS_LAZY_FN(virt, int, virConnectRef, (virConnectPtr conn), (conn))
DS_LAZY_FN(virt, int, virDomainBlockCommit, (virDomainPtr dom, const char *disk, const char *base, const char *top, unsigned long bandwidth, unsigned int flags), (dom, disk, base, top, bandwidth, flags))
DS_LAZY_FN(virt, int, virDomainBlockJobAbort, (virDomainPtr dom, const char *disk, unsigned int flags), (dom, disk, flags))
DS_LAZY_FN(virt, int, virDomainCreate, (virDomainPtr domain), (domain))
DS_LAZY_FN(virt, virDomainPtr, virDomainDefineXML, (virConnectPtr conn, const char *xml), (conn, xml))
DS_LAZY_FN(virt, int, virDomainDestroy, (virDomainPtr domain), (domain))
DS_LAZY_FN(virt, int, virDomainFree, (virDomainPtr domain), (domain))
DS_LAZY_FN(virt, int, virDomainGetBlockJobInfo, (virDomainPtr dom, const char *disk, virDomainBlockJobInfoPtr info, unsigned int flags), (dom, disk, info, flags))
DS_LAZY_FN(virt, virConnectPtr, virDomainGetConnect, (virDomainPtr domain), (domain))
DS_LAZY_FN(virt, const char *, virDomainGetName, (virDomainPtr domain), (domain))
DS_LAZY_FN(virt, int, virDomainGetState, (virDomainPtr domain, int *state, int *reason, unsigned int flags), (domain, state, reason, flags))
DS_LAZY_FN(virt, int, virDomainGetUUID, (virDomainPtr domain, unsigned char *uuid), (domain, uuid))
DS_LAZY_FN(virt, char *, virDomainGetXMLDesc, (virDomainPtr domain, unsigned int flags), (domain, flags))
DS_LAZY_FN(virt, int, virDomainIsActive, (virDomainPtr dom), (dom))
DS_LAZY_FN(virt, int, virDomainListAllSnapshots, (virDomainPtr domain, virDomainSnapshotPtr **snaps, unsigned int flags), (domain, snaps, flags))
DS_LAZY_FN(virt, virDomainPtr, virDomainLookupByName, (virConnectPtr conn, const char *name), (conn, name))
DS_LAZY_FN(virt, virDomainPtr, virDomainLookupByUUID, (virConnectPtr conn, const unsigned char *uuid), (conn, uuid))
DS_LAZY_FN(virt, int, virDomainReboot, (virDomainPtr domain, unsigned int flags), (domain, flags))
DS_LAZY_FN(virt, int, virDomainRef, (virDomainPtr domain), (domain))
DS_LAZY_FN(virt, int, virDomainResume, (virDomainPtr domain), (domain))
DS_LAZY_FN(virt, int, virDomainRevertToSnapshot, (virDomainSnapshotPtr snapshot, unsigned int flags), (snapshot, flags))
DS_LAZY_FN(virt, int, virDomainSetTime, (virDomainPtr dom, long long seconds, unsigned int nseconds, unsigned int flags), (dom, seconds, nseconds, flags))
DS_LAZY_FN(virt, int, virDomainShutdown, (virDomainPtr domain), (domain))
DS_LAZY_FN(virt, int, virDomainShutdownFlags, (virDomainPtr domain, unsigned int flags), (domain, flags))
DS_LAZY_FN(virt, virDomainSnapshotPtr, virDomainSnapshotCreateXML, (virDomainPtr domain, const char *xmlDesc, unsigned int flags), (domain, xmlDesc, flags))
DS_LAZY_FN(virt, int, virDomainSnapshotDelete, (virDomainSnapshotPtr snapshot, unsigned int flags), (snapshot, flags))
DS_LAZY_FN(virt, int, virDomainSnapshotFree, (virDomainSnapshotPtr snapshot), (snapshot))
DS_LAZY_FN(virt, const char *, virDomainSnapshotGetName, (virDomainSnapshotPtr snapshot), (snapshot))
DS_LAZY_FN(virt, char *, virDomainSnapshotGetXMLDesc, (virDomainSnapshotPtr snapshot, unsigned int flags), (snapshot, flags))
DS_LAZY_FN(virt, int, virDomainSnapshotIsCurrent, (virDomainSnapshotPtr snapshot, unsigned int flags), (snapshot, flags))
DS_LAZY_FN(virt, virDomainSnapshotPtr, virDomainSnapshotLookupByName, (virDomainPtr domain, const char *name, unsigned int flags), (domain, name, flags))
DS_LAZY_VOID(virt, virFreeError, (virErrorPtr err), (err))
DS_LAZY_FN(virt, virErrorPtr, virGetLastError, (void), ())
DS_LAZY_FN(virt, int, virInitialize, (void), ())
DS_LAZY_VOID(virt, virResetLastError, (void), ())
DS_LAZY_FN(virt, virErrorPtr, virSaveLastError, (void), ())
DS_LAZY_VOID(virt, virSetErrorFunc, (void *userData, virErrorFunc handler), (userData, handler))
DS_LAZY_FN(virt, char *, virDomainGetMetadata, (virDomainPtr domain, int type, const char *uri, unsigned int flags), (domain, type, uri, flags))
DS_LAZY_FN(virt, int, virDomainSetMetadata, (virDomainPtr domain, int type, const char *metadata, const char *key, const char *uri, unsigned int flags), (domain, type, metadata, key, uri, flags))
DS_LAZY_FN(virt_qemu, char *, virDomainQemuAgentCommand, (virDomainPtr domain, const char *cmd, int timeout, unsigned int flags), (domain, cmd, timeout, flags))
/* clang-format on */
