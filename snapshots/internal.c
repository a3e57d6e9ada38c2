/* SPDX-License-Identifier: GPL-2.0-or-later */
/* snapshots/internal.c: libvirt's internal snapshots (qcow2 disks; the
 * whole machine state too when the domain runs). */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "snapshots/snapshot-private.h"

char *ds_snapshot_internal_refusal(const ds_domain_info *info)
{
    if (info->pflash)
        return g_strdup("it boots UEFI (pflash) firmware, and libvirt refuses internal snapshots of such domains");
    for (guint i = 0; i < info->disks->len; i++) {
        const ds_domain_disk *d = info->disks->pdata[i];

        if (!ds_domain_disk_is_writable(d))
            continue;
        if (!d->format || strcmp(d->format, "qcow2"))
            return g_strdup_printf(
                "disk %s (%s) is %s, and internal snapshots need qcow2",
                d->target ? d->target : "?",
                d->source ? d->source : "no source",
                d->format ? d->format : "of unknown format");
    }
    return NULL;
}

/* A text element of a snapshot's XML (the first one at depth 2). */
typedef struct snap_xml {
    GString *path;
    char *description;
    char *state;
    gint64 created;
} snap_xml;

static void sx_text(GMarkupParseContext *ctx, const char *text, gsize len,
                    void *payload, GError **err)
{
    snap_xml *sx = payload;
    const char *p = sx->path->str;

    (void)ctx;
    (void)err;
    if (!strcmp(p, "domainsnapshot/description") && !sx->description)
        sx->description = g_strndup(text, len);
    else if (!strcmp(p, "domainsnapshot/state") && !sx->state)
        sx->state = g_strndup(text, len);
    else if (!strcmp(p, "domainsnapshot/creationTime"))
        sx->created = g_ascii_strtoll(text, NULL, 10);
}

static void sx_start(GMarkupParseContext *ctx, const char *element,
                     const char **names, const char **values, void *payload,
                     GError **err)
{
    snap_xml *sx = payload;

    (void)ctx;
    (void)names;
    (void)values;
    (void)err;
    if (sx->path->len)
        g_string_append_c(sx->path, '/');
    g_string_append(sx->path, element);
}

static void sx_end(GMarkupParseContext *ctx, const char *element,
                   void *payload, GError **err)
{
    snap_xml *sx = payload;
    char *slash = strrchr(sx->path->str, '/');

    (void)ctx;
    (void)element;
    (void)err;
    g_string_truncate(sx->path, slash ? (gsize)(slash - sx->path->str) : 0);
}

static int snapshot_from_libvirt(ds_snapshot **out, virDomainPtr dom,
                                 virDomainSnapshotPtr vs, GError **err)
{
    static const GMarkupParser parser = {sx_start, sx_end, sx_text, NULL,
                                         NULL};
    g_autofree char *xml = virDomainSnapshotGetXMLDesc(vs, 0);
    g_autoptr(GString) path = g_string_new(NULL);
    snap_xml sx = {.path = path};
    g_autoptr(GMarkupParseContext) ctx = NULL;
    g_autoptr(GError) perr = NULL;
    ds_snapshot *snap;

    *out = NULL;
    if (!xml)
        return ds_snapshot_virt_error(err, dom, "reading a snapshot");
    ctx = g_markup_parse_context_new(&parser, 0, &sx, NULL);
    if (!g_markup_parse_context_parse(ctx, xml, -1, &perr) ||
        !g_markup_parse_context_end_parse(ctx, &perr)) {
        g_free(sx.description);
        g_free(sx.state);
        return ds_error_set(err, DS_EINVALID, "%s: snapshot %s: %s",
                            virDomainGetName(dom), virDomainSnapshotGetName(vs),
                            perr->message);
    }
    snap = g_new0(ds_snapshot, 1);
    snap->name = g_strdup(virDomainSnapshotGetName(vs));
    snap->description = sx.description;
    snap->state = sx.state;
    snap->created = sx.created;
    snap->mode = DS_SNAPSHOT_INTERNAL;
    snap->ours = ds_snapshot_name_is_ours(snap->name);
    snap->current = virDomainSnapshotIsCurrent(vs, 0) == 1;
    *out = snap;
    return 0;
}

int ds_snapshot_internal_list(GPtrArray *out, virDomainPtr dom, GError **err)
{
    virDomainSnapshotPtr *snaps = NULL;
    int n, rc = 0;

    n = virDomainListAllSnapshots(dom, &snaps, 0);
    if (n < 0)
        return ds_snapshot_virt_error(err, dom, "listing snapshots");
    for (int i = 0; i < n; i++) {
        ds_snapshot *snap = NULL;

        if (rc == 0 && (rc = snapshot_from_libvirt(&snap, dom, snaps[i],
                                                   err)) == 0)
            g_ptr_array_add(out, snap);
        virDomainSnapshotFree(snaps[i]);
    }
    free(snaps);
    return rc;
}

int ds_snapshot_internal_create(virDomainPtr dom, const char *name,
                                const char *description, GError **err)
{
    g_autoptr(ds_domain_info) info = NULL;
    g_autofree char *why = NULL;
    g_autofree char *ename = NULL;
    g_autofree char *edesc = NULL;
    g_autofree char *xml = NULL;
    virDomainSnapshotPtr vs;
    int rc;

    if ((rc = ds_domain_info_read(&info, NULL, dom, err)) < 0)
        return rc;
    if ((why = ds_snapshot_internal_refusal(info)))
        return ds_error_set(err, DS_EUNSUPPORTED,
                            "%s: cannot take an internal snapshot: %s; set [lab] snapshots = overlay (or auto)",
                            virDomainGetName(dom), why);
    ename = g_markup_escape_text(name, -1);
    edesc = g_markup_escape_text(description ? description : "", -1);
    xml = g_strdup_printf("<domainsnapshot><name>%s</name>"
                          "<description>%s</description></domainsnapshot>",
                          ename, edesc);
    vs = virDomainSnapshotCreateXML(dom, xml,
                                    VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC);
    if (!vs) {
        virErrorPtr verr = virGetLastError();

        /* libvirt's own refusal (a format we did not see, e.g. a
         * backing chain) still points at overlay mode. */
        if (verr && (verr->code == VIR_ERR_OPERATION_UNSUPPORTED ||
                     verr->code == VIR_ERR_CONFIG_UNSUPPORTED)) {
            ds_snapshot_virt_error(err, dom, "internal snapshot refused");
            return ds_error_prefix(err, DS_EUNSUPPORTED,
                                   "(set [lab] snapshots = overlay) ");
        }
        return ds_snapshot_virt_error(err, dom, "creating a snapshot");
    }
    virDomainSnapshotFree(vs);
    return 0;
}

static int lookup(virDomainSnapshotPtr *out, virDomainPtr dom,
                  const char *name, GError **err)
{
    *out = virDomainSnapshotLookupByName(dom, name, 0);
    if (!*out)
        return ds_snapshot_virt_error(err, dom, "finding the snapshot");
    return 0;
}

/* A running guest brought back from an internal snapshot resumes with
 * the clock of the snapshot's time: apt then refuses repository indexes
 * as "not valid yet", TLS certificates look expired or early.  Set the
 * guest's clock to the host's through its agent, best effort: the agent
 * may need a moment to answer after the revert; a domain without one
 * keeps its clock. */
#define CLOCK_WAIT_US (10 * G_USEC_PER_SEC)
static void set_guest_clock(virDomainPtr dom)
{
    gint64 deadline = g_get_monotonic_time() + CLOCK_WAIT_US;

    if (virDomainIsActive(dom) != 1)
        return;
    for (;;) {
        gint64 now = g_get_real_time();
        virErrorPtr e;

        if (virDomainSetTime(dom, now / G_USEC_PER_SEC,
                             (unsigned int)(now % G_USEC_PER_SEC) * 1000,
                             0) == 0)
            return;
        e = virGetLastError();
        if (!e || (e->code != VIR_ERR_AGENT_UNRESPONSIVE &&
                   e->code != VIR_ERR_AGENT_UNSYNCED &&
                   e->code != VIR_ERR_OPERATION_TIMEOUT) ||
            g_get_monotonic_time() >= deadline) {
            virResetLastError();
            return;
        }
        g_usleep(200 * 1000);
    }
}

int ds_snapshot_internal_revert(virDomainPtr dom, const char *name,
                                GError **err)
{
    g_autoptr(ds_snapshot_meta) before = NULL;
    g_autoptr(ds_snapshot_meta) after = NULL;
    virDomainSnapshotPtr vs;
    int rc;

    /* The snapshot brings back the metadata of its time: the mirror
     * record of that time is right, but overlay records stay as now. */
    if ((rc = ds_snapshot_meta_read(&before, dom, err)) < 0)
        return rc;
    if ((rc = lookup(&vs, dom, name, err)) < 0)
        return rc;
    rc = virDomainRevertToSnapshot(vs, 0);
    virDomainSnapshotFree(vs);
    if (rc < 0)
        return ds_snapshot_virt_error(err, dom, "reverting");
    set_guest_clock(dom);
    if ((rc = ds_snapshot_meta_read(&after, dom, err)) < 0)
        return rc;
    if (before->overlays->len || after->overlays->len) {
        g_ptr_array_unref(after->overlays);
        g_ptr_array_unref(after->overlay_disks);
        after->overlays = g_ptr_array_ref(before->overlays);
        after->overlay_disks = g_ptr_array_ref(before->overlay_disks);
        return ds_snapshot_meta_write(dom, after, err);
    }
    return 0;
}

int ds_snapshot_internal_delete(virDomainPtr dom, const char *name,
                                GError **err)
{
    virDomainSnapshotPtr vs;
    int rc;

    if ((rc = lookup(&vs, dom, name, err)) < 0)
        return rc;
    rc = virDomainSnapshotDelete(vs, 0);
    virDomainSnapshotFree(vs);
    if (rc < 0)
        return ds_snapshot_virt_error(err, dom, "deleting the snapshot");
    return 0;
}
