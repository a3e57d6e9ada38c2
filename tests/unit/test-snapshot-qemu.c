/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-snapshot-qemu.c: overlay snapshots on a real libvirt
 * daemon with QEMU (qemu:///system, or DS_TEST_QEMU_URI): a tiny domain on
 * a raw disk image, no guest OS.  Disk content is written and checked
 * with qemu-io while the domain is off; the running path (live switch,
 * live merge) is checked on the backing chain of a second domain whose
 * disk is a qcow2 overlay on a golden image, as lab VMs often are.
 * Skipped when no libvirt daemon answers. */
#include <config.h>

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <libvirt/virterror.h>
#include <string.h>
#include <unistd.h>

#include "manifests/util/error.h"
#include "snapshots/snapshot-private.h"
#include "tests/unit/testutil.h"

static virConnectPtr conn;
static virDomainPtr dom; /* the domain the current case works on */
static virDomainPtr raw_dom, chain_dom;
static char *dir;
static char *base;
static char *name;

static void quiet(void *payload, virErrorPtr e)
{
    (void)payload;
    (void)e;
}

static char *overlay_path(const char *snap)
{
    g_autofree char *file =
        g_strdup_printf("%s-vda.%s.qcow2", virDomainGetName(dom), snap);

    return g_build_filename(dir, file, NULL);
}

/* Run a tool; true when it exits 0. */
static bool run(const char *const *argv, char **out)
{
    int status = 0;

    if (!g_spawn_sync(NULL, (char **)argv, NULL,
                      G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                      NULL, out, NULL, &status, NULL))
        return false;
    return g_spawn_check_wait_status(status, NULL);
}

/* Write or check (read -P) a 64 KiB pattern at OFFSET of an image. */
static bool qemu_io(const char *fmt, const char *image, const char *op,
                    int pattern, const char *offset)
{
    g_autofree char *cmd =
        g_strdup_printf("%s -P 0x%02x %s 64k", op, pattern, offset);
    g_autofree char *out = NULL;
    const char *argv[] = {"qemu-io", "-f", fmt, "-c", cmd, image, NULL};

    /* qemu-io exits 0 even when a pattern does not match; read its
     * report. */
    return run(argv, &out) && !strstr(out, "Pattern verification failed") &&
           !strstr(out, "failed");
}

/* The image's backing file (NULL when none), read with -U so that a
 * running domain's image can be inspected too. */
static char *backing_of(const char *image)
{
    const char *argv[] = {"qemu-img", "info",   "-U", "--output=json",
                          image,      NULL};
    g_autofree char *out = NULL;
    g_autoptr(GRegex) re = g_regex_new(
        "\"backing-filename\": \"([^\"]*)\"", 0, 0, NULL);
    g_autoptr(GMatchInfo) mi = NULL;

    g_assert_true(run(argv, &out));
    if (!g_regex_match(re, out, 0, &mi))
        return NULL;
    return g_match_info_fetch(mi, 1);
}

static char *disk_source(unsigned int flags)
{
    g_autofree char *xml = virDomainGetXMLDesc(dom, flags);
    g_autoptr(ds_domain_info) info = NULL;

    g_assert_nonnull(xml);
    g_assert_cmpint(ds_domain_info_parse(&info, xml, NULL), ==, 0);
    return g_strdup(((ds_domain_disk *)info->disks->pdata[0])->source);
}

static void assert_on(const char *image)
{
    g_autofree char *persistent = disk_source(VIR_DOMAIN_XML_INACTIVE);
    g_autofree char *live = disk_source(0);

    g_assert_cmpstr(persistent, ==, image);
    g_assert_cmpstr(live, ==, image);
}

static guint overlay_records(void)
{
    g_autoptr(ds_snapshot_meta) meta = NULL;

    g_assert_cmpint(ds_snapshot_meta_read(&meta, dom, NULL), ==, 0);
    return meta->overlays->len;
}

static void test_offline(void)
{
    dom = raw_dom;
    g_autoptr(ds_snapshot) s1 = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_autofree char *ov1 = overlay_path("driftsync-o1");
    g_autofree char *ov2 = overlay_path("driftsync-o2");
    g_autofree char *b = NULL;
    ds_snapshot_mode mode;

    g_assert_cmpint(ds_snapshot_choose_mode(&mode, NULL, dom,
                                            DS_SNAPSHOT_AUTO, NULL), ==, 0);
    g_assert_cmpint(mode, ==, DS_SNAPSHOT_OVERLAY);
    /* Internal is refused for the raw disk, with advice. */
    g_assert_cmpint(ds_snapshot_create(NULL, dom, "driftsync-i", NULL,
                                       DS_SNAPSHOT_INTERNAL, &err), ==,
                    DS_EUNSUPPORTED);
    g_assert_nonnull(strstr(err->message, "overlay"));
    g_clear_error(&err);

    g_assert_cmpint(ds_snapshot_create(&s1, dom, "driftsync-o1", "first",
                                       DS_SNAPSHOT_AUTO, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(s1->mode, ==, DS_SNAPSHOT_OVERLAY);
    g_assert_cmpstr(s1->state, ==, "shutoff");
    g_assert_true(s1->current);
    assert_on(ov1);
    b = backing_of(ov1);
    g_assert_cmpstr(b, ==, base);
    /* No libvirt snapshot object: the record is ours. */
    g_assert_cmpint(virDomainSnapshotNum(dom, 0), ==, 0);
    g_assert_cmpuint(overlay_records(), ==, 1);

    /* The "guest" writes; revert drops it and keeps the snapshot. */
    g_assert_true(qemu_io("qcow2", ov1, "write", 0xab, "0"));
    g_assert_true(qemu_io("qcow2", ov1, "read", 0xab, "0"));
    g_assert_cmpint(ds_snapshot_revert(dom, "driftsync-o1", &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(virDomainIsActive(dom), ==, 0);
    assert_on(ov1);
    g_assert_true(qemu_io("qcow2", ov1, "read", 0x00, "0"));
    g_assert_true(qemu_io("raw", base, "read", 0x00, "0"));

    /* A change kept, a second snapshot stacked on the first. */
    g_assert_true(qemu_io("qcow2", ov1, "write", 0xcd, "0"));
    g_assert_cmpint(ds_snapshot_create(NULL, dom, "driftsync-o2", "second",
                                       DS_SNAPSHOT_OVERLAY, NULL), ==, 0);
    assert_on(ov2);
    g_clear_pointer(&b, g_free);
    b = backing_of(ov2);
    g_assert_cmpstr(b, ==, ov1);
    g_assert_true(qemu_io("qcow2", ov2, "write", 0xef, "64k"));

    /* Deleting the older one merges it into the base below. */
    g_assert_cmpint(ds_snapshot_delete(dom, "driftsync-o1", &err), ==, 0);
    g_assert_no_error(err);
    g_assert_false(g_file_test(ov1, G_FILE_TEST_EXISTS));
    g_assert_true(qemu_io("raw", base, "read", 0xcd, "0"));
    g_assert_true(qemu_io("raw", base, "read", 0x00, "64k"));
    g_clear_pointer(&b, g_free);
    b = backing_of(ov2);
    g_assert_cmpstr(b, ==, base);
    g_assert_true(qemu_io("qcow2", ov2, "read", 0xcd, "0"));
    g_assert_true(qemu_io("qcow2", ov2, "read", 0xef, "64k"));
    assert_on(ov2);

    /* Retention deletes the last one: everything back in the base. */
    g_assert_cmpint(ds_snapshot_prune(NULL, dom, 0, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_false(g_file_test(ov2, G_FILE_TEST_EXISTS));
    assert_on(base);
    g_assert_true(qemu_io("raw", base, "read", 0xef, "64k"));
    g_assert_cmpuint(overlay_records(), ==, 0);
    g_assert_cmpint(ds_snapshot_list(&list, dom, NULL), ==, 0);
    g_assert_cmpuint(list->len, ==, 0);
}

static void test_refusals(void)
{
    dom = raw_dom;
    g_autofree char *ov = overlay_path("driftsync-x");
    g_autoptr(GError) err = NULL;

    /* An overlay file in the way is not overwritten. */
    g_assert_true(g_file_set_contents(ov, "precious", -1, NULL));
    g_assert_cmpint(ds_snapshot_create(NULL, dom, "driftsync-x", NULL,
                                       DS_SNAPSHOT_OVERLAY, &err), ==,
                    DS_ECONFLICT);
    g_assert_nonnull(strstr(err->message, ov));
    g_clear_error(&err);
    assert_on(base);
    g_assert_cmpuint(overlay_records(), ==, 0);
    {
        g_autofree char *content = NULL;

        g_assert_true(g_file_get_contents(ov, &content, NULL, NULL));
        g_assert_cmpstr(content, ==, "precious");
    }
    g_unlink(ov);
}

static void test_running(void)
{
    g_autofree char *vm = g_build_filename(dir, "vm.qcow2", NULL);
    g_autofree char *golden = g_build_filename(dir, "golden.img", NULL);

    g_autofree char *ov3 = NULL;
    g_autofree char *ov4 = NULL;
    g_autoptr(ds_snapshot) s3 = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *b = NULL;

    dom = chain_dom;
    ov3 = overlay_path("driftsync-r3");
    ov4 = overlay_path("driftsync-r4");
    g_assert_cmpint(virDomainCreate(dom), ==, 0);
    g_assert_cmpint(ds_snapshot_create(&s3, dom, "driftsync-r3", "live",
                                       DS_SNAPSHOT_OVERLAY, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpstr(s3->state, ==, "running");
    g_assert_cmpint(virDomainIsActive(dom), ==, 1);
    assert_on(ov3);
    g_assert_cmpint(virDomainSnapshotNum(dom, 0), ==, 0);

    /* Revert: stopped, fresh overlay, started again. */
    g_assert_cmpint(ds_snapshot_revert(dom, "driftsync-r3", &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(virDomainIsActive(dom), ==, 1);
    assert_on(ov3);
    b = backing_of(ov3);
    g_assert_cmpstr(b, ==, vm);

    /* Stack a second one, then merge the first live (not the top). */
    g_assert_cmpint(ds_snapshot_create(NULL, dom, "driftsync-r4", "live 2",
                                       DS_SNAPSHOT_OVERLAY, &err), ==, 0);
    g_assert_no_error(err);
    assert_on(ov4);
    g_assert_cmpint(ds_snapshot_delete(dom, "driftsync-r3", &err), ==, 0);
    g_assert_no_error(err);
    g_assert_false(g_file_test(ov3, G_FILE_TEST_EXISTS));
    g_clear_pointer(&b, g_free);
    b = backing_of(ov4);
    g_assert_cmpstr(b, ==, vm);
    assert_on(ov4);

    /* And the top one: active merge and pivot, still running. */
    g_assert_cmpint(ds_snapshot_delete(dom, "driftsync-r4", &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(virDomainIsActive(dom), ==, 1);
    g_assert_false(g_file_test(ov4, G_FILE_TEST_EXISTS));
    /* Merged into the lab's own disk, not down into the golden image. */
    assert_on(vm);
    g_clear_pointer(&b, g_free);
    b = backing_of(vm);
    g_assert_cmpstr(b, ==, golden);
    g_assert_cmpuint(overlay_records(), ==, 0);
}

static virDomainPtr define(const char *dname, const char *format,
                          const char *image)
{
    g_autofree char *xml = g_strdup_printf(
        "<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory>"
        "<os><type arch='x86_64'>hvm</type><boot dev='hd'/></os>"
        "<devices><disk type='file' device='disk'>"
        "<driver name='qemu' type='%s'/><source file='%s'/>"
        "<target dev='vda' bus='virtio'/></disk></devices></domain>",
        dname, format, image);
    virDomainPtr d = virDomainDefineXML(conn, xml);

    g_assert_nonnull(d);
    return d;
}

/* Domains left by an earlier run that died on a failed assertion. */
static void remove_stale_domains(void)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, 0);

    for (int i = 0; i < n; i++) {
        const char *dn = virDomainGetName(doms[i]);
        gint64 pid;

        if (g_str_has_prefix(dn, "ds-snaptest-") &&
            (pid = g_ascii_strtoll(dn + strlen("ds-snaptest-"), NULL, 10)) >
                0 &&
            kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
            if (virDomainIsActive(doms[i]) == 1)
                virDomainDestroy(doms[i]);
            virDomainUndefineFlags(doms[i],
                                   VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA);
        }
        virDomainFree(doms[i]);
    }
    free(doms);
}

int main(int argc, char **argv)
{
    const char *uri = g_getenv("DS_TEST_QEMU_URI");
    g_autofree char *qemu_img = g_find_program_in_path("qemu-img");
    g_autofree char *qemu_io_path = g_find_program_in_path("qemu-io");
    int rc;

    g_test_init(&argc, &argv, NULL);
    virSetErrorFunc(NULL, quiet);
    if (!uri)
        uri = "qemu:///system";
    if (!qemu_img || !qemu_io_path) {
        printf("1..0 # SKIP qemu-img/qemu-io not installed (qemu-utils)\n");
        return 77;
    }
    if (!(conn = virConnectOpen(uri))) {
        virErrorPtr e = virGetLastError();

        printf("1..0 # SKIP no libvirt daemon with QEMU at %s (%s)\n", uri,
               e && e->message ? e->message : "?");
        return 77;
    }
    remove_stale_domains();
    dir = ds_test_tmpdir("ds-snapqemu-XXXXXX");
    g_assert_nonnull(dir);
    base = g_build_filename(dir, "base.img", NULL);
    name = g_strdup_printf("ds-snaptest-%d", (int)getpid());
    {
        const char *argv_create[] = {"qemu-img", "create", "-q", "-f", "raw",
                                     base, "8M", NULL};

        g_assert_true(run(argv_create, NULL));
    }
    raw_dom = define(name, "raw", base);
    {
        g_autofree char *golden = g_build_filename(dir, "golden.img", NULL);
        g_autofree char *vm = g_build_filename(dir, "vm.qcow2", NULL);
        g_autofree char *name2 = g_strconcat(name, "-chain", NULL);
        const char *mk_golden[] = {"qemu-img", "create", "-q", "-f", "raw",
                                   golden, "8M", NULL};
        const char *mk_vm[] = {"qemu-img", "create", "-q", "-f", "qcow2",
                               "-F", "raw", "-b", golden, vm, NULL};

        g_assert_true(run(mk_golden, NULL));
        g_assert_true(run(mk_vm, NULL));
        chain_dom = define(name2, "qcow2", vm);
    }

    g_test_add_func("/snapshot-qemu/offline", test_offline);
    g_test_add_func("/snapshot-qemu/refusals", test_refusals);
    g_test_add_func("/snapshot-qemu/running", test_running);
    rc = g_test_run();

    for (int i = 0; i < 2; i++) {
        virDomainPtr d = i ? chain_dom : raw_dom;

        if (virDomainIsActive(d) == 1)
            virDomainDestroy(d);
        virDomainUndefineFlags(d, VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA);
        virDomainFree(d);
    }
    virConnectClose(conn);
    {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *f;

        while (d && (f = g_dir_read_name(d))) {
            g_autofree char *p = g_build_filename(dir, f, NULL);

            g_unlink(p);
        }
        g_rmdir(dir);
    }
    g_free(dir);
    g_free(base);
    g_free(name);
    return rc;
}
