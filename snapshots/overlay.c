/* SPDX-License-Identifier: GPL-2.0-or-later */
/* snapshots/overlay.c: overlay snapshots for domains whose disks cannot
 * take internal snapshots (raw images, UEFI firmware) on a libvirt that
 * cannot revert external ones: the domain is switched onto a qcow2
 * overlay per disk; revert drops the overlay's content; delete merges it
 * into the image below.  The records live in the domain's metadata. */
#include <config.h>

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "manifests/util/error.h"
#include "snapshots/snapshot-private.h"

#define BLOCKJOB_TIMEOUT_MS (30 * 60 * 1000)

static const char *dname(virDomainPtr dom)
{
    return virDomainGetName(dom);
}

/* Overlays are qcow2 files made by qemu-img on this machine: the
 * hypervisor must be QEMU, and here. */
int ds_snapshot_overlay_check(virDomainPtr dom, GError **err)
{
    virConnectPtr conn = virDomainGetConnect(dom);
    g_autofree char *uri = conn ? virConnectGetURI(conn) : NULL;
    g_autoptr(GUri) parsed = NULL;
    const char *host, *type;

    if (!uri)
        return ds_snapshot_virt_error(err, dom, "reading the connection URI");
    if (!(type = virConnectGetType(conn)))
        return ds_snapshot_virt_error(err, dom, "reading the driver type");
    if (g_ascii_strcasecmp(type, "QEMU"))
        return ds_error_set(err, DS_EUNSUPPORTED,
                            "%s: overlay snapshots need QEMU disk images, and %s is a %s connection",
                            dname(dom), uri, type);
    parsed = g_uri_parse(uri, G_URI_FLAGS_NONE, NULL);
    host = parsed ? g_uri_get_host(parsed) : NULL;
    if (host && *host && strcmp(host, "localhost"))
        return ds_error_set(err, DS_EUNSUPPORTED,
                            "%s: overlay snapshots need the hypervisor on this machine (the connection is %s)",
                            dname(dom), uri);
    return 0;
}

static int qemu_img(virDomainPtr dom, const char *const *argv, GError **err)
{
    g_autofree char *out = NULL;
    g_autofree char *errout = NULL;
    g_autoptr(GError) serr = NULL;
    int status = 0;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
                      NULL, &out, &errout, &status, &serr))
        return ds_error_set(err, DS_EGENERIC, "%s: cannot run qemu-img: %s",
                            dname(dom), serr->message);
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_strchomp(errout);
        return ds_error_set(err, DS_EGENERIC, "%s: qemu-img %s failed: %s",
                            dname(dom), argv[1],
                            *errout ? errout : "no message");
    }
    return 0;
}

static int overlay_image_create(virDomainPtr dom, const ds_snapshot_disk *d,
                                GError **err)
{
    const char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2",
                          "-F", d->base_format, "-b", d->base,
                          d->overlay, NULL};

    return qemu_img(dom, argv, err);
}

static int remove_file(virDomainPtr dom, const char *path, GError **err)
{
    if (g_unlink(path) < 0 && errno != ENOENT)
        return ds_error_set(err, DS_EGENERIC, "%s: cannot remove %s: %s",
                            dname(dom), path, g_strerror(errno));
    return 0;
}

static bool target_is_safe(const char *t)
{
    if (!t || !*t || strlen(t) > 32)
        return false;
    for (const char *p = t; *p; p++)
        if (!g_ascii_isalnum(*p))
            return false;
    return true;
}

/* The overlay records for NAME: one per writable disk. */
static int plan_disks(GPtrArray **out, virDomainPtr dom,
                      const ds_domain_info *info, const char *name,
                      GError **err)
{
    g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(
        (GDestroyNotify)ds_snapshot_disk_free);

    *out = NULL;
    for (guint i = 0; i < info->disks->len; i++) {
        const ds_domain_disk *dd = info->disks->pdata[i];
        ds_snapshot_disk *d;
        g_autofree char *dir = NULL;
        g_autofree char *file = NULL;

        if (!ds_domain_disk_is_writable(dd))
            continue;
        if (!dd->type || strcmp(dd->type, "file") || !dd->source)
            return ds_error_set(err, DS_EUNSUPPORTED,
                                "%s: disk %s is not a file image, and overlay snapshots need one",
                                dname(dom), dd->target ? dd->target : "?");
        if (!dd->format)
            return ds_error_set(err, DS_EUNSUPPORTED,
                                "%s: disk %s has no <driver type=...>; overlays need the format of %s",
                                dname(dom), dd->target ? dd->target : "?",
                                dd->source);
        if (!target_is_safe(dd->target))
            return ds_error_set(err, DS_EINVALID,
                                "%s: disk target '%s' is not a plain name",
                                dname(dom), dd->target ? dd->target : "");
        dir = g_path_get_dirname(dd->source);
        file = g_strdup_printf("%s-%s.%s.qcow2", dname(dom), dd->target,
                               name);
        d = g_new0(ds_snapshot_disk, 1);
        d->target = g_strdup(dd->target);
        d->base = g_strdup(dd->source);
        d->base_format = g_strdup(dd->format);
        d->overlay = g_build_filename(dir, file, NULL);
        g_ptr_array_add(disks, d);
        if (g_file_test(d->overlay, G_FILE_TEST_EXISTS))
            return ds_error_set(err, DS_ECONFLICT,
                                "%s: %s exists already; not overwriting it",
                                dname(dom), d->overlay);
    }
    if (disks->len == 0)
        return ds_error_set(err, DS_EUNSUPPORTED,
                            "%s: the domain has no writable disk to protect",
                            dname(dom));
    *out = g_steal_pointer(&disks);
    return 0;
}

/* Define the domain again from its persistent XML with the disks of one
 * record switched onto (or off) their overlays. */
static int redefine(virDomainPtr dom, GPtrArray *disks, bool to_overlay,
                    GError **err)
{
    g_autoptr(ds_domain_info) info = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *newxml = NULL;
    virDomainPtr nd;
    int rc;

    if ((rc = ds_domain_info_read(&info, &xml, dom, err)) < 0)
        return rc;
    if (!(newxml = ds_domain_xml_switch(xml, disks, to_overlay, err)))
        return ds_error_prefix(err, DS_EGENERIC, "%s: ", dname(dom));
    nd = virDomainDefineXML(virDomainGetConnect(dom), newxml);
    if (!nd)
        return ds_snapshot_virt_error(err, dom, "redefining the disks");
    virDomainFree(nd);
    return 0;
}

static char *describe_overlays(GPtrArray *disks)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < disks->len; i++) {
        const ds_snapshot_disk *d = disks->pdata[i];

        g_string_append_printf(s, "%s%s", i ? ", " : "", d->overlay);
    }
    return g_string_free(s, FALSE);
}

#define SWITCH_FLAGS                                                       \
    (VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY |                                \
     VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA |                              \
     VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC)

/* Whether a quiesced snapshot failed for want of a guest agent (or of a
 * driver that can quiesce), rather than for a reason that would make the
 * plain one fail as well. */
static bool quiesce_hopeless(void)
{
    virErrorPtr e = virGetLastError();

    if (!e)
        return false;
    switch (e->code) {
    case VIR_ERR_AGENT_UNRESPONSIVE:
    case VIR_ERR_AGENT_UNSYNCED:
    case VIR_ERR_OPERATION_TIMEOUT:
    case VIR_ERR_NO_SUPPORT:
    case VIR_ERR_ARGUMENT_UNSUPPORTED:
    case VIR_ERR_CONFIG_UNSUPPORTED:
    case VIR_ERR_OPERATION_UNSUPPORTED:
    case VIR_ERR_INVALID_ARG:
    case VIR_ERR_OPERATION_FAILED:
    case VIR_ERR_INTERNAL_ERROR:
        virResetLastError();
        return true;
    default:
        return false;
    }
}

/* A running domain is switched live by a disk-only external snapshot
 * without libvirt metadata (libvirt creates the files). */
static int switch_live(virDomainPtr dom, GPtrArray *disks,
                       const ds_domain_info *info, GError **err)
{
    g_autoptr(GString) xml = g_string_new("<domainsnapshot><disks>");
    virDomainSnapshotPtr vs;

    for (guint i = 0; i < info->disks->len; i++) {
        const ds_domain_disk *dd = info->disks->pdata[i];
        const ds_snapshot_disk *d = NULL;

        for (guint j = 0; j < disks->len && dd->target; j++)
            if (!strcmp(((ds_snapshot_disk *)disks->pdata[j])->target,
                        dd->target))
                d = disks->pdata[j];
        if (!dd->target)
            continue;
        if (d) {
            g_autofree char *e = g_markup_escape_text(d->overlay, -1);

            g_string_append_printf(xml,
                                   "<disk name='%s' snapshot='external' "
                                   "type='file'><driver type='qcow2'/>"
                                   "<source file='%s'/></disk>",
                                   d->target, e);
        } else {
            g_string_append_printf(xml, "<disk name='%s' snapshot='no'/>",
                                   dd->target);
        }
    }
    g_string_append(xml, "</disks></domainsnapshot>");
    /* Quiesced first: the guest agent flushes and freezes the guest's
     * file systems, so that what the guest wrote just before is in the
     * disk below the overlay (a revert boots from it).  Without an agent
     * the snapshot is crash-consistent, like pulling the plug. */
    vs = virDomainSnapshotCreateXML(dom, xml->str,
                                    SWITCH_FLAGS |
                                        VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE);
    if (!vs && !quiesce_hopeless())
        return ds_snapshot_virt_error(err, dom, "switching to the overlays");
    if (!vs)
        vs = virDomainSnapshotCreateXML(dom, xml->str, SWITCH_FLAGS);
    if (!vs)
        return ds_snapshot_virt_error(err, dom, "switching to the overlays");
    virDomainSnapshotFree(vs);
    return 0;
}

static int find_record(virDomainPtr dom, const ds_snapshot_meta *meta,
                       const char *name, GError **err)
{
    for (guint i = 0; i < meta->overlays->len; i++)
        if (!strcmp(((ds_snapshot *)meta->overlays->pdata[i])->name, name))
            return (int)i;
    return ds_error_set(err, DS_ENOTFOUND,
                        "%s: no overlay snapshot named %s", dname(dom), name);
}

int ds_snapshot_overlay_create(virDomainPtr dom, const char *name,
                               const char *description, GError **err)
{
    g_autoptr(ds_domain_info) info = NULL;
    g_autoptr(ds_snapshot_meta) meta = NULL;
    g_autoptr(GPtrArray) disks = NULL;
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    ds_snapshot *snap;
    int active, rc = 0;

    if ((rc = ds_snapshot_overlay_check(dom, err)) < 0)
        return rc;
    if ((rc = ds_domain_info_read(&info, NULL, dom, err)) < 0 ||
        (rc = plan_disks(&disks, dom, info, name, err)) < 0 ||
        (rc = ds_snapshot_meta_read(&meta, dom, err)) < 0)
        return rc;
    if ((active = virDomainIsActive(dom)) < 0)
        return ds_snapshot_virt_error(err, dom, "reading its state");

    /* Record first: a run cut short leaves a record to revert to. */
    snap = g_new0(ds_snapshot, 1);
    snap->name = g_strdup(name);
    snap->description = g_strdup(description);
    snap->mode = DS_SNAPSHOT_OVERLAY;
    snap->created = g_date_time_to_unix(now);
    snap->state = g_strdup(active ? "running" : "shutoff");
    snap->ours = ds_snapshot_name_is_ours(name);
    g_ptr_array_add(meta->overlays, snap);
    g_ptr_array_add(meta->overlay_disks, g_ptr_array_ref(disks));
    if ((rc = ds_snapshot_meta_write(dom, meta, err)) < 0)
        return rc;

    if (active) {
        rc = switch_live(dom, disks, info, err);
        /* libvirt updates the persistent definition too; make sure. */
        if (rc == 0 && (rc = redefine(dom, disks, true, err)) < 0)
            return ds_error_prefix(
                err, rc,
                "%s: the domain runs on the overlays of snapshot %s but its saved definition may not; revert to %s to be safe: ",
                dname(dom), name, name);
    } else {
        for (guint i = 0; i < disks->len && rc == 0; i++)
            rc = overlay_image_create(dom, disks->pdata[i], err);
        if (rc == 0)
            rc = redefine(dom, disks, true, err);
    }
    if (rc < 0) {
        g_autofree char *files = describe_overlays(disks);

        /* Not switched: drop the files made here (none existed before)
         * and the record. */
        for (guint i = 0; i < disks->len && !active; i++)
            g_unlink(((ds_snapshot_disk *)disks->pdata[i])->overlay);
        g_ptr_array_remove_index(meta->overlays, meta->overlays->len - 1);
        g_ptr_array_remove_index(meta->overlay_disks,
                                 meta->overlay_disks->len - 1);
        if (ds_snapshot_meta_write(dom, meta, NULL) < 0)
            return ds_error_prefix(
                err, rc,
                "%s: overlay snapshot %s failed half-way and its record stays: revert to %s (files %s): ",
                dname(dom), name, name, files);
        return rc;
    }
    return 0;
}

/* Wait for a block job on one disk to become ready to pivot (active) or
 * to finish (not active). */
static int wait_blockjob(virDomainPtr dom, const char *target, bool active,
                         GError **err)
{
    gint64 deadline = g_get_monotonic_time() + BLOCKJOB_TIMEOUT_MS * 1000LL;

    for (;;) {
        virDomainBlockJobInfo bi;
        int r = virDomainGetBlockJobInfo(dom, target, &bi, 0);

        if (r < 0)
            return ds_snapshot_virt_error(err, dom, "watching the merge");
        if (r == 0 && !active)
            return 0;
        if (r == 0 && active)
            return ds_error_set(err, DS_EGENERIC,
                                "%s: the merge of disk %s ended early",
                                dname(dom), target);
        if (active && bi.end > 0 && bi.cur == bi.end)
            return 0;
        if (g_get_monotonic_time() > deadline)
            return ds_error_set(err, DS_EINTERRUPTED,
                                "%s: the merge of disk %s timed out",
                                dname(dom), target);
        g_usleep(50 * 1000);
    }
}

/* Merge overlay k live with virDomainBlockCommit. */
static int merge_live(virDomainPtr dom, GPtrArray *disks, bool top,
                      GError **err)
{
    for (guint i = 0; i < disks->len; i++) {
        const ds_snapshot_disk *d = disks->pdata[i];
        int rc;

        if (top) {
            /* Shallow: into the image right below, not the whole chain
             * (the lab's own disk is often an overlay itself). */
            if (virDomainBlockCommit(dom, d->target, NULL, NULL, 0,
                                     VIR_DOMAIN_BLOCK_COMMIT_ACTIVE |
                                         VIR_DOMAIN_BLOCK_COMMIT_SHALLOW) < 0)
                return ds_snapshot_virt_error(err, dom, "merging an overlay");
            if ((rc = wait_blockjob(dom, d->target, true, err)) < 0)
                return rc;
            if (virDomainBlockJobAbort(dom, d->target,
                                       VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT) < 0)
                return ds_snapshot_virt_error(err, dom,
                                              "pivoting to the merged disk");
            if ((rc = wait_blockjob(dom, d->target, false, err)) < 0)
                return rc;
        } else {
            if (virDomainBlockCommit(dom, d->target, NULL, d->overlay, 0,
                                     VIR_DOMAIN_BLOCK_COMMIT_SHALLOW) < 0)
                return ds_snapshot_virt_error(err, dom, "merging an overlay");
            if ((rc = wait_blockjob(dom, d->target, false, err)) < 0)
                return rc;
        }
    }
    return 0;
}

/* Merge overlay k offline: commit it into its base, then point the layer
 * above (next record's overlay) at that base. */
static int merge_offline(virDomainPtr dom, GPtrArray *disks, GPtrArray *above,
                         GError **err)
{
    for (guint i = 0; i < disks->len; i++) {
        const ds_snapshot_disk *d = disks->pdata[i];
        const char *commit[] = {"qemu-img", "commit", "-q", "-f", "qcow2",
                                d->overlay, NULL};
        int rc;

        if ((rc = qemu_img(dom, commit, err)) < 0)
            return rc;
        for (guint j = 0; above && j < above->len; j++) {
            const ds_snapshot_disk *a = above->pdata[j];
            const char *rebase[] = {"qemu-img", "rebase", "-q", "-u", "-f",
                                    "qcow2", "-F", d->base_format, "-b",
                                    d->base, a->overlay, NULL};

            if (strcmp(a->target, d->target))
                continue;
            if ((rc = qemu_img(dom, rebase, err)) < 0)
                return rc;
        }
    }
    return 0;
}

int ds_snapshot_overlay_delete(virDomainPtr dom, const char *name,
                               GError **err)
{
    g_autoptr(ds_snapshot_meta) meta = NULL;
    GPtrArray *disks, *above = NULL;
    bool top;
    int k, active, rc;

    if ((rc = ds_snapshot_overlay_check(dom, err)) < 0 ||
        (rc = ds_snapshot_meta_read(&meta, dom, err)) < 0)
        return rc;
    if ((k = find_record(dom, meta, name, err)) < 0)
        return k;
    disks = meta->overlay_disks->pdata[k];
    top = (guint)k + 1 == meta->overlays->len;
    if (!top)
        above = meta->overlay_disks->pdata[k + 1];
    if ((active = virDomainIsActive(dom)) < 0)
        return ds_snapshot_virt_error(err, dom, "reading its state");
    if (active)
        rc = merge_live(dom, disks, top, err);
    else
        rc = merge_offline(dom, disks, above, err);
    /* The domain (or the layer above) now sits on the base. */
    if (rc == 0 && top)
        rc = redefine(dom, disks, false, err);
    if (rc < 0)
        return ds_error_prefix(err, rc,
                               "%s: merging overlay snapshot %s stopped half-way (the record stays; revert to %s or retry the delete): ",
                               dname(dom), name, name);
    for (guint i = 0; above && i < above->len; i++) {
        ds_snapshot_disk *a = above->pdata[i];

        for (guint j = 0; j < disks->len; j++) {
            const ds_snapshot_disk *d = disks->pdata[j];

            if (strcmp(a->target, d->target))
                continue;
            g_free(a->base);
            g_free(a->base_format);
            a->base = g_strdup(d->base);
            a->base_format = g_strdup(d->base_format);
        }
    }
    for (guint i = 0; i < disks->len; i++)
        remove_file(dom, ((ds_snapshot_disk *)disks->pdata[i])->overlay,
                    NULL);
    g_ptr_array_remove_index(meta->overlays, (guint)k);
    g_ptr_array_remove_index(meta->overlay_disks, (guint)k);
    return ds_snapshot_meta_write(dom, meta, err);
}

int ds_snapshot_overlay_revert(virDomainPtr dom, const char *name,
                               GError **err)
{
    g_autoptr(ds_snapshot_meta) meta = NULL;
    GPtrArray *disks;
    const ds_snapshot *snap;
    int k, active, rc = 0;

    if ((rc = ds_snapshot_overlay_check(dom, err)) < 0 ||
        (rc = ds_snapshot_meta_read(&meta, dom, err)) < 0)
        return rc;
    if ((k = find_record(dom, meta, name, err)) < 0)
        return k;
    snap = meta->overlays->pdata[k];
    disks = meta->overlay_disks->pdata[k];
    if ((active = virDomainIsActive(dom)) < 0)
        return ds_snapshot_virt_error(err, dom, "reading its state");
    if (active && virDomainDestroy(dom) < 0)
        return ds_snapshot_virt_error(err, dom, "stopping it to revert");

    /* Everything below is repeatable: a revert cut short is finished by
     * running it again. */
    for (guint j = (guint)k + 1; j < meta->overlays->len && rc == 0; j++) {
        GPtrArray *newer = meta->overlay_disks->pdata[j];

        for (guint i = 0; i < newer->len && rc == 0; i++)
            rc = remove_file(
                dom, ((ds_snapshot_disk *)newer->pdata[i])->overlay, err);
    }
    for (guint i = 0; i < disks->len && rc == 0; i++) {
        const ds_snapshot_disk *d = disks->pdata[i];

        if ((rc = remove_file(dom, d->overlay, err)) == 0)
            rc = overlay_image_create(dom, d, err);
    }
    if (rc == 0)
        rc = redefine(dom, disks, true, err);
    if (rc == 0) {
        g_ptr_array_set_size(meta->overlays, (guint)k + 1);
        g_ptr_array_set_size(meta->overlay_disks, (guint)k + 1);
        rc = ds_snapshot_meta_write(dom, meta, err);
    }
    if (rc == 0 && g_strcmp0(snap->state, "running") == 0 &&
        virDomainCreate(dom) < 0)
        rc = ds_snapshot_virt_error(err, dom, "starting it again");
    if (rc < 0)
        return ds_error_prefix(err, rc,
                               "%s: revert to overlay snapshot %s stopped half-way; run the revert to %s again: ",
                               dname(dom), name, name);
    return 0;
}
