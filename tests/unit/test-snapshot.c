/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-snapshot.c: snapshots/ against libvirt's test:/// driver
 * (tests/data/snapshot-node.xml): names, mode choice, internal snapshots,
 * ownership, retention, domain metadata and the domain XML rewriter. */
#include <config.h>

#include <libvirt/virterror.h>
#include <string.h>

#include "manifests/util/error.h"
#include "manifests/util/run-id.h"
#include "snapshots/snapshot-private.h"

typedef struct fixture {
    virConnectPtr conn;
} fixture;

static void quiet(void *payload, virErrorPtr e)
{
    (void)payload;
    (void)e;
}

/* A fresh test driver state for every case. */
static void setup(fixture *f, gconstpointer data)
{
    g_autofree char *uri = g_strconcat(
        "test://",
        g_test_get_filename(G_TEST_DIST, "data", "snapshot-node.xml", NULL),
        NULL);

    (void)data;
    f->conn = virConnectOpen(uri);
    g_assert_nonnull(f->conn);
}

static void teardown(fixture *f, gconstpointer data)
{
    (void)data;
    virConnectClose(f->conn);
}

static virDomainPtr dom(fixture *f, const char *name)
{
    virDomainPtr d = virDomainLookupByName(f->conn, name);

    g_assert_nonnull(d);
    return d;
}

static const ds_snapshot *find_in(GPtrArray *list, const char *name)
{
    for (guint i = 0; i < list->len; i++) {
        const ds_snapshot *s = list->pdata[i];

        if (!strcmp(s->name, name))
            return s;
    }
    return NULL;
}

static guint count_libvirt_snapshots(virDomainPtr d)
{
    int n = virDomainSnapshotNum(d, 0);

    g_assert_cmpint(n, >=, 0);
    return (guint)n;
}

static void test_names(void)
{
    static const char *const good[] = {"a", "driftsync-20261127T120000Z-1a2b",
                                       "before_upgrade.2", "A-b_c.d", NULL};
    static const char *const bad[] = {
        "", "-rf", ".hidden", "a b", "a/b", "../x", "a;rm", "x\n", "$(id)",
        "ünïcode", "a'b", "<x>",
        "12345678901234567890123456789012345678901234567890123456789012345",
        NULL};
    g_autofree char *run = ds_run_id_new();
    g_autofree char *name = ds_snapshot_name_for_run(run);
    g_autofree char *max = g_strnfill(DS_SNAPSHOT_NAME_MAX, 'x');

    for (int i = 0; good[i]; i++)
        g_assert_true(ds_snapshot_name_is_safe(good[i]));
    for (int i = 0; bad[i]; i++)
        g_assert_false(ds_snapshot_name_is_safe(bad[i]));
    g_assert_false(ds_snapshot_name_is_safe(NULL));
    g_assert_true(ds_snapshot_name_is_safe(max));

    g_assert_true(g_regex_match_simple("^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$",
                                       run, 0, 0));
    g_assert_true(g_str_has_prefix(name, "driftsync-"));
    g_assert_cmpstr(name + strlen("driftsync-"), ==, run);
    g_assert_true(ds_snapshot_name_is_safe(name));
    g_assert_true(ds_snapshot_name_is_ours(name));
    g_assert_false(ds_snapshot_name_is_ours("baseline"));
    g_assert_false(ds_snapshot_name_is_ours("driftsync-"));
    g_assert_false(ds_snapshot_name_is_ours("driftsyncx-1"));
    {
        g_autofree char *d = ds_snapshot_sync_description(
            "web01", "abc123def4567890abc123def4567890abc12345");

        g_assert_cmpstr(d, ==,
                        "driftsync sync of web01 at store commit abc123def456");
    }
}

static void test_modes(void)
{
    g_autoptr(GError) err = NULL;
    ds_snapshot_mode m = DS_SNAPSHOT_AUTO;

    g_assert_cmpint(ds_snapshot_mode_from_string(&m, "overlay", NULL), ==, 0);
    g_assert_cmpint(m, ==, DS_SNAPSHOT_OVERLAY);
    g_assert_cmpint(ds_snapshot_mode_from_string(&m, "internal", NULL), ==, 0);
    g_assert_cmpint(m, ==, DS_SNAPSHOT_INTERNAL);
    g_assert_cmpint(ds_snapshot_mode_from_string(&m, "auto", NULL), ==, 0);
    g_assert_cmpint(m, ==, DS_SNAPSHOT_AUTO);
    g_assert_cmpint(ds_snapshot_mode_from_string(&m, "external", &err), ==,
                    DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "external"));
    g_assert_cmpstr(ds_snapshot_mode_to_string(DS_SNAPSHOT_OVERLAY), ==,
                    "overlay");
}

static void test_choose(fixture *f, gconstpointer data)
{
    static const struct {
        const char *domain, *why;
        ds_snapshot_mode mode;
    } cases[] = {
        {"lab-web01", "qcow2", DS_SNAPSHOT_INTERNAL}, /* + read-only cdrom */
        {"lab-web02", "qcow2", DS_SNAPSHOT_INTERNAL},
        {"lab-raw", "raw", DS_SNAPSHOT_OVERLAY},
        {"lab-uefi", "UEFI", DS_SNAPSHOT_OVERLAY},
    };

    (void)data;
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        virDomainPtr d = dom(f, cases[i].domain);
        g_autofree char *why = NULL;
        ds_snapshot_mode m;

        g_assert_cmpint(ds_snapshot_choose_mode(&m, &why, d, DS_SNAPSHOT_AUTO,
                                                NULL), ==, 0);
        g_assert_cmpint(m, ==, cases[i].mode);
        g_assert_nonnull(strstr(why, cases[i].why));
        /* A configured mode is kept as it is. */
        g_assert_cmpint(ds_snapshot_choose_mode(&m, NULL, d,
                                                DS_SNAPSHOT_INTERNAL, NULL),
                        ==, 0);
        g_assert_cmpint(m, ==, DS_SNAPSHOT_INTERNAL);
        virDomainFree(d);
    }
}

static void test_create_list(fixture *f, gconstpointer data)
{
    virDomainPtr d = dom(f, "lab-web01");
    g_autoptr(ds_snapshot) snap = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(GError) err = NULL;
    const char *desc = "driftsync sync of web01 at store commit abc123 <&'\">";
    virDomainSnapshotPtr vs;
    g_autofree char *xml = NULL;
    const ds_snapshot *base, *ours;

    (void)data;
    g_assert_cmpint(ds_snapshot_create(&snap, d, "driftsync-20261127T120000Z-"
                                       "1a2b", desc, DS_SNAPSHOT_AUTO, &err),
                    ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(snap->mode, ==, DS_SNAPSHOT_INTERNAL);
    g_assert_true(snap->ours);
    g_assert_cmpstr(snap->description, ==, desc);
    g_assert_cmpstr(snap->state, ==, "shutoff");

    /* libvirt has it, with the description intact. */
    vs = virDomainSnapshotLookupByName(d, "driftsync-20261127T120000Z-1a2b",
                                       0);
    g_assert_nonnull(vs);
    xml = virDomainSnapshotGetXMLDesc(vs, 0);
    g_assert_nonnull(strstr(xml, "at store commit abc123 &lt;&amp;"));
    g_assert_cmpint(virDomainSnapshotIsCurrent(vs, 0), ==, 1);
    virDomainSnapshotFree(vs);

    g_assert_cmpint(ds_snapshot_list(&list, d, NULL), ==, 0);
    g_assert_cmpuint(list->len, ==, 2);
    base = find_in(list, "baseline");
    ours = find_in(list, "driftsync-20261127T120000Z-1a2b");
    g_assert_nonnull(base);
    g_assert_nonnull(ours);
    g_assert_false(base->ours);
    g_assert_true(ours->ours);
    g_assert_true(ours->current);
    g_assert_false(base->current);
    g_assert_cmpstr(base->description, ==, "taken by hand");
    g_assert_cmpint(base->created, ==, 1700000000);
    /* Oldest first. */
    g_assert_true(list->pdata[0] == base);
    virDomainFree(d);
}

static void test_create_running(fixture *f, gconstpointer data)
{
    virDomainPtr d = dom(f, "lab-web02");
    g_autoptr(ds_snapshot) snap = NULL;

    (void)data;
    g_assert_cmpint(virDomainIsActive(d), ==, 1);
    g_assert_cmpint(ds_snapshot_create(&snap, d, "driftsync-r1", "x",
                                       DS_SNAPSHOT_INTERNAL, NULL), ==, 0);
    g_assert_cmpstr(snap->state, ==, "running");
    g_assert_cmpint(virDomainIsActive(d), ==, 1);
    g_assert_cmpuint(count_libvirt_snapshots(d), ==, 1);
    virDomainFree(d);
}

static void test_create_refused(fixture *f, gconstpointer data)
{
    virDomainPtr web = dom(f, "lab-web01");
    virDomainPtr raw = dom(f, "lab-raw");
    virDomainPtr uefi = dom(f, "lab-uefi");
    GError *err = NULL;

    (void)data;
    /* Hostile names never reach libvirt. */
    g_assert_cmpint(ds_snapshot_create(NULL, web, "x;reboot", NULL,
                                       DS_SNAPSHOT_INTERNAL, &err), ==,
                    DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "x;reboot"));
    g_assert_nonnull(strstr(err->message, "lab-web01"));
    g_clear_error(&err);
    g_assert_cmpint(ds_snapshot_create(NULL, web, "-rf", NULL,
                                       DS_SNAPSHOT_INTERNAL, &err), ==,
                    DS_EINVALID);
    g_clear_error(&err);
    g_assert_cmpuint(count_libvirt_snapshots(web), ==, 1);

    /* A name that exists. */
    g_assert_cmpint(ds_snapshot_create(NULL, web, "baseline", NULL,
                                       DS_SNAPSHOT_INTERNAL, &err), ==,
                    DS_ECONFLICT);
    g_assert_nonnull(strstr(err->message, "exists"));
    g_clear_error(&err);

    /* Internal on a raw disk or UEFI: refused, pointing at overlay. */
    g_assert_cmpint(ds_snapshot_create(NULL, raw, "driftsync-1", NULL,
                                       DS_SNAPSHOT_INTERNAL, &err), ==,
                    DS_EUNSUPPORTED);
    g_assert_nonnull(strstr(err->message, "lab-raw"));
    g_assert_nonnull(strstr(err->message, "raw"));
    g_assert_nonnull(strstr(err->message, "snapshots = overlay"));
    g_clear_error(&err);
    g_assert_cmpuint(count_libvirt_snapshots(raw), ==, 0);
    g_assert_cmpint(ds_snapshot_create(NULL, uefi, "driftsync-1", NULL,
                                       DS_SNAPSHOT_INTERNAL, &err), ==,
                    DS_EUNSUPPORTED);
    g_assert_nonnull(strstr(err->message, "UEFI"));
    g_clear_error(&err);
    g_assert_cmpuint(count_libvirt_snapshots(uefi), ==, 0);

    /* Not found. */
    g_assert_cmpint(ds_snapshot_revert(web, "nosuch", &err), ==,
                    DS_ENOTFOUND);
    g_assert_nonnull(strstr(err->message, "nosuch"));
    g_clear_error(&err);
    g_assert_cmpint(ds_snapshot_revert(web, "../../x", &err), ==,
                    DS_EINVALID);
    g_clear_error(&err);
    virDomainFree(web);
    virDomainFree(raw);
    virDomainFree(uefi);
}

static void read_meta(ds_snapshot_meta **out, virDomainPtr d)
{
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(ds_snapshot_meta_read(out, d, &err), ==, 0);
    g_assert_no_error(err);
}

static void test_revert(fixture *f, gconstpointer data)
{
    virDomainPtr d = dom(f, "lab-web01");
    g_autoptr(ds_snapshot_meta) meta = NULL;
    g_autoptr(ds_snapshot_meta) m2 = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(GError) err = NULL;

    (void)data;
    g_assert_cmpint(ds_snapshot_meta_record_sync(d, "web01", "aaaaaaa", "ok",
                                                 NULL), ==, 0);
    g_assert_cmpint(ds_snapshot_create(NULL, d, "driftsync-t1", "before",
                                       DS_SNAPSHOT_INTERNAL, NULL), ==, 0);
    /* The lab moves on: started, synced to another commit. */
    g_assert_cmpint(virDomainCreate(d), ==, 0);
    g_assert_cmpint(ds_snapshot_meta_record_sync(d, "web01", "bbbbbbb",
                                                 "failed", NULL), ==, 0);
    /* An overlay record made meanwhile must survive the revert. */
    read_meta(&meta, d);
    {
        ds_snapshot *o = g_new0(ds_snapshot, 1);
        ds_snapshot_disk *dd = g_new0(ds_snapshot_disk, 1);
        GPtrArray *disks = g_ptr_array_new_with_free_func(
            (GDestroyNotify)ds_snapshot_disk_free);

        o->name = g_strdup("driftsync-o1");
        o->mode = DS_SNAPSHOT_OVERLAY;
        o->ours = true;
        o->created = 1800000000;
        o->state = g_strdup("running");
        dd->target = g_strdup("vda");
        dd->base = g_strdup("/images/b.qcow2");
        dd->base_format = g_strdup("qcow2");
        dd->overlay = g_strdup("/images/o.qcow2");
        g_ptr_array_add(disks, dd);
        g_ptr_array_add(meta->overlays, o);
        g_ptr_array_add(meta->overlay_disks, disks);
    }
    g_assert_cmpint(ds_snapshot_meta_write(d, meta, NULL), ==, 0);

    g_assert_cmpint(ds_snapshot_revert(d, "driftsync-t1", &err), ==, 0);
    g_assert_no_error(err);
    /* Back to shut off, as when taken, and to the commit of that time. */
    g_assert_cmpint(virDomainIsActive(d), ==, 0);
    read_meta(&m2, d);
    g_assert_cmpstr(m2->commit, ==, "aaaaaaa");
    g_assert_cmpstr(m2->result, ==, "ok");
    g_assert_cmpuint(m2->overlays->len, ==, 1);
    g_assert_cmpstr(((ds_snapshot *)m2->overlays->pdata[0])->name, ==,
                    "driftsync-o1");
    /* The snapshot stays; it can be reverted to again. */
    g_assert_cmpint(ds_snapshot_list(&list, d, NULL), ==, 0);
    g_assert_nonnull(find_in(list, "driftsync-t1"));
    g_assert_cmpint(find_in(list, "driftsync-o1")->mode, ==,
                    DS_SNAPSHOT_OVERLAY);
    g_assert_cmpint(ds_snapshot_revert(d, "baseline", NULL), ==, 0);
    g_assert_cmpint(ds_snapshot_revert(d, "driftsync-t1", NULL), ==, 0);
    virDomainFree(d);
}

static void test_delete(fixture *f, gconstpointer data)
{
    virDomainPtr d = dom(f, "lab-web01");
    g_autoptr(GError) err = NULL;

    (void)data;
    g_assert_cmpint(ds_snapshot_create(NULL, d, "driftsync-d1", NULL,
                                       DS_SNAPSHOT_INTERNAL, NULL), ==, 0);
    g_assert_cmpuint(count_libvirt_snapshots(d), ==, 2);
    g_assert_cmpint(ds_snapshot_delete(d, "driftsync-d1", &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(count_libvirt_snapshots(d), ==, 1);
    g_assert_cmpint(ds_snapshot_delete(d, "driftsync-d1", &err), ==,
                    DS_ENOTFOUND);
    g_clear_error(&err);
    /* Someone else's snapshot is not driftsync's to delete. */
    g_assert_cmpint(ds_snapshot_delete(d, "baseline", &err), ==, DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "baseline"));
    g_assert_cmpuint(count_libvirt_snapshots(d), ==, 1);
    virDomainFree(d);
}

static void test_prune(fixture *f, gconstpointer data)
{
    virDomainPtr db = dom(f, "lab-db01");
    virDomainPtr web = dom(f, "lab-web01");
    g_autoptr(GPtrArray) gone = NULL;
    g_autoptr(GPtrArray) gone2 = NULL;
    g_autoptr(GPtrArray) list = NULL;
    virDomainSnapshotPtr vs;

    (void)data;
    /* Oldest by creation time, not by name. */
    g_assert_cmpint(ds_snapshot_prune(&gone, db, 1, NULL), ==, 0);
    g_assert_cmpuint(gone->len, ==, 1);
    g_assert_cmpstr(gone->pdata[0], ==, "driftsync-zz-older");
    g_assert_cmpint(ds_snapshot_list(&list, db, NULL), ==, 0);
    g_assert_cmpuint(list->len, ==, 1);
    g_assert_cmpstr(((ds_snapshot *)list->pdata[0])->name, ==,
                    "driftsync-aa-newer");
    g_clear_pointer(&gone, g_ptr_array_unref);

    /* Others' snapshots are never pruned; keep < 0 keeps everything. */
    for (int i = 0; i < 4; i++) {
        g_autofree char *name = g_strdup_printf("driftsync-p%d", i);

        g_assert_cmpint(ds_snapshot_create(NULL, web, name, NULL,
                                           DS_SNAPSHOT_INTERNAL, NULL), ==, 0);
    }
    g_assert_cmpint(ds_snapshot_prune(&gone, web, -1, NULL), ==, 0);
    g_assert_cmpuint(gone->len, ==, 0);
    g_assert_cmpuint(count_libvirt_snapshots(web), ==, 5);
    g_assert_cmpint(ds_snapshot_prune(&gone2, web, 2, NULL), ==, 0);
    g_assert_cmpuint(gone2->len, ==, 2);
    g_assert_cmpstr(gone2->pdata[0], ==, "driftsync-p0");
    g_assert_cmpstr(gone2->pdata[1], ==, "driftsync-p1");
    g_assert_cmpuint(count_libvirt_snapshots(web), ==, 3);
    g_assert_cmpint(ds_snapshot_prune(NULL, web, 0, NULL), ==, 0);
    g_assert_cmpuint(count_libvirt_snapshots(web), ==, 1);
    vs = virDomainSnapshotLookupByName(web, "baseline", 0);
    g_assert_nonnull(vs);
    virDomainSnapshotFree(vs);
    virDomainFree(db);
    virDomainFree(web);
}

static void test_metadata(fixture *f, gconstpointer data)
{
    virDomainPtr d = dom(f, "lab-web02");
    g_autoptr(ds_snapshot_meta) empty = NULL;
    g_autoptr(ds_snapshot_meta) meta = NULL;
    g_autofree char *raw = NULL;
    g_autofree char *dumped = NULL;
    g_autofree char *inactive = NULL;
    const char *host = "web01\"/><evil a='1";
    g_autoptr(GError) err = NULL;

    (void)data;
    read_meta(&empty, d);
    g_assert_null(empty->host);
    g_assert_cmpuint(empty->overlays->len, ==, 0);

    g_assert_cmpint(ds_snapshot_meta_record_sync(d, host, "abc123&<>", "ok",
                                                 NULL), ==, 0);
    read_meta(&meta, d);
    g_assert_cmpstr(meta->host, ==, host);
    g_assert_cmpstr(meta->commit, ==, "abc123&<>");
    g_assert_cmpstr(meta->result, ==, "ok");
    g_assert_true(g_regex_match_simple(
        "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
        meta->synced_at, 0, 0));

    /* Visible to virsh: in our namespace, escaped, no injected element;
     * in the live and the persistent definition alike. */
    raw = virDomainGetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT,
                               DS_SNAPSHOT_META_URI, 0);
    g_assert_nonnull(raw);
    g_assert_null(strstr(raw, "<evil"));
    dumped = virDomainGetXMLDesc(d, 0);
    inactive = virDomainGetXMLDesc(d, VIR_DOMAIN_XML_INACTIVE);
    g_assert_nonnull(strstr(dumped, "xmlns:driftsync=\"" DS_SNAPSHOT_META_URI
                                    "\""));
    g_assert_nonnull(strstr(dumped, "<driftsync:mirror"));
    g_assert_nonnull(strstr(dumped, "abc123&amp;&lt;&gt;"));
    g_assert_nonnull(strstr(inactive, "abc123&amp;&lt;&gt;"));
    virDomainFree(d);

    /* A transient domain has no persistent definition to keep it in:
     * libvirt's refusal comes through, naming the domain. */
    d = virDomainCreateXML(f->conn,
                           "<domain type='test'><name>lab-transient</name>"
                           "<memory>65536</memory><os><type>hvm</type></os>"
                           "</domain>",
                           0);
    g_assert_nonnull(d);
    g_assert_cmpint(ds_snapshot_meta_record_sync(d, "web09", "c", "ok", &err),
                    <, 0);
    g_assert_nonnull(strstr(err->message, "lab-transient: "));
    g_assert_nonnull(strstr(err->message, "transient"));
    g_assert_null(strstr(err->message, "unknown libvirt error"));
    virDomainFree(d);
}

static void test_metadata_parse(void)
{
    g_autoptr(ds_snapshot_meta) meta = NULL;
    g_autoptr(ds_snapshot_meta) back = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *text = NULL;
    g_autofree char *again = NULL;
    const char *prefixed =
        "<driftsync:lab xmlns:driftsync='" DS_SNAPSHOT_META_URI "'>"
        "<driftsync:mirror host='web01' commit='c1'/>"
        "<driftsync:future x='1'/>"
        "<driftsync:overlay name='driftsync-o1' created='1800000000' "
        "state='shutoff' description='a &amp; b'>"
        "<driftsync:disk target='vda' base='/i/b.img' base-format='raw' "
        "overlay='/i/o.qcow2'/></driftsync:overlay></driftsync:lab>";
    ds_snapshot *o;
    ds_snapshot_disk *dd;

    g_assert_cmpint(ds_snapshot_meta_parse(&meta, prefixed, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpstr(meta->host, ==, "web01");
    g_assert_cmpstr(meta->commit, ==, "c1");
    g_assert_cmpuint(meta->overlays->len, ==, 1);
    o = meta->overlays->pdata[0];
    g_assert_cmpstr(o->description, ==, "a & b");
    g_assert_cmpint(o->created, ==, 1800000000);
    g_assert_cmpint(o->mode, ==, DS_SNAPSHOT_OVERLAY);
    dd = ((GPtrArray *)meta->overlay_disks->pdata[0])->pdata[0];
    g_assert_cmpstr(dd->base_format, ==, "raw");
    g_assert_cmpstr(dd->overlay, ==, "/i/o.qcow2");

    /* Format and parse again: the same record. */
    text = ds_snapshot_meta_format(meta);
    g_assert_cmpint(ds_snapshot_meta_parse(&back, text, NULL), ==, 0);
    again = ds_snapshot_meta_format(back);
    g_assert_cmpstr(text, ==, again);
    g_clear_pointer(&back, ds_snapshot_meta_free);

    /* Malformed, or an overlay with a hostile name: refused. */
    g_assert_cmpint(ds_snapshot_meta_parse(&back, "<lab><mirror", &err), ==,
                    DS_EINVALID);
    g_assert_null(back);
    g_clear_error(&err);
    g_assert_cmpint(ds_snapshot_meta_parse(&back,
                                           "<lab><overlay name='../x'/></lab>",
                                           &err),
                    ==, DS_EINVALID);
    g_clear_error(&err);
    g_assert_cmpint(ds_snapshot_meta_parse(&back, "<other/>", &err), ==,
                    DS_EINVALID);
}

static void test_xml_switch(fixture *f, gconstpointer data)
{
    virDomainPtr d = dom(f, "lab-web01");
    g_autofree char *xml =
        virDomainGetXMLDesc(d, VIR_DOMAIN_XML_INACTIVE);
    g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(
        (GDestroyNotify)ds_snapshot_disk_free);
    ds_snapshot_disk *dd = g_new0(ds_snapshot_disk, 1);
    g_autofree char *on = NULL;
    g_autofree char *off = NULL;
    g_autofree char *defined = NULL;
    g_autoptr(ds_domain_info) info = NULL;
    g_autoptr(ds_snapshot_disk) ghost = g_new0(ds_snapshot_disk, 1);
    g_autoptr(GPtrArray) ghosts = g_ptr_array_new();
    g_autoptr(GError) err = NULL;
    virDomainPtr nd;
    const ds_domain_disk *vda, *sda;

    (void)data;
    dd->target = g_strdup("vda");
    dd->base = g_strdup("/var/lib/libvirt/images/lab-web01.qcow2");
    dd->base_format = g_strdup("qcow2");
    dd->overlay = g_strdup("/var/lib/libvirt/images/lab-web01-vda.o&1.qcow2");
    g_ptr_array_add(disks, dd);

    on = ds_domain_xml_switch(xml, disks, true, NULL);
    g_assert_nonnull(on);
    /* libvirt accepts it, and the domain now names the overlay. */
    nd = virDomainDefineXML(f->conn, on);
    g_assert_nonnull(nd);
    virDomainFree(nd);
    defined = virDomainGetXMLDesc(d, VIR_DOMAIN_XML_INACTIVE);
    g_assert_cmpint(ds_domain_info_parse(&info, defined, NULL), ==, 0);
    g_assert_cmpuint(info->disks->len, ==, 2);
    vda = info->disks->pdata[0];
    sda = info->disks->pdata[1];
    g_assert_cmpstr(vda->source, ==, dd->overlay);
    g_assert_cmpstr(vda->format, ==, "qcow2");
    g_assert_cmpstr(sda->source, ==, "/var/lib/libvirt/images/seed.iso");
    g_assert_true(sda->readonly);
    g_assert_false(ds_domain_disk_is_writable(sda));
    /* The snapshot and the uuid survive the redefinition. */
    g_assert_cmpuint(count_libvirt_snapshots(d), ==, 1);

    /* And back to a raw base. */
    g_free(dd->base_format);
    dd->base_format = g_strdup("raw");
    off = ds_domain_xml_switch(defined, disks, false, NULL);
    g_clear_pointer(&info, ds_domain_info_free);
    g_assert_cmpint(ds_domain_info_parse(&info, off, NULL), ==, 0);
    vda = info->disks->pdata[0];
    g_assert_cmpstr(vda->source, ==, dd->base);
    g_assert_cmpstr(vda->format, ==, "raw");

    /* A disk that is gone: refused, not silently ignored. */
    ghost->target = g_strdup("vdz");
    g_ptr_array_add(ghosts, ghost);
    g_assert_null(ds_domain_xml_switch(xml, ghosts, true, &err));
    g_assert_nonnull(strstr(err->message, "vdz"));
    virDomainFree(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    virSetErrorFunc(NULL, quiet);
    g_test_add_func("/snapshot/names", test_names);
    g_test_add_func("/snapshot/modes", test_modes);
    g_test_add_func("/snapshot/metadata-parse", test_metadata_parse);
#define ADD(path, fn) \
    g_test_add("/snapshot/" path, fixture, NULL, setup, fn, teardown)
    ADD("choose", test_choose);
    ADD("create-list", test_create_list);
    ADD("create-running", test_create_running);
    ADD("create-refused", test_create_refused);
    ADD("revert", test_revert);
    ADD("delete", test_delete);
    ADD("prune", test_prune);
    ADD("metadata", test_metadata);
    ADD("xml-switch", test_xml_switch);
    return g_test_run();
}
