/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-snapshot-daemon.c: snapshots/ when the libvirt daemon
 * goes away in the middle of the work: a private, unprivileged libvirtd
 * serves the test driver (tests/data/snapshot-node.xml) over its own
 * socket and is killed between calls, or restarted (drivers/libvirt.c
 * then reopens its connection). */
#include <config.h>

#include <libvirt/virterror.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drivers/libvirt.h"
#include "manifests/util/autoptr.h"
#include "manifests/util/error.h"
#include "snapshots/snapshot.h"
#include "tests/unit/testutil.h"

static void quiet(void *payload, virErrorPtr e)
{
    (void)payload;
    (void)e;
}

/* A private libvirt daemon (unprivileged, session mode) serving the test
 * driver over its own socket, started and stopped by the tests. */
typedef struct test_daemon {
    char *tmp;
    char *uri;
    GPtrArray *argv; /* owns its strings */
    GPid pid;
} test_daemon;

static void daemon_free(test_daemon *d)
{
    if (!d)
        return;
    if (d->pid > 0) {
        int status;

        kill(d->pid, SIGKILL);
        waitpid(d->pid, &status, 0);
    }
    if (d->tmp) {
        const char *rm[] = {"rm", "-rf", d->tmp, NULL};

        g_spawn_sync(NULL, (char **)rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     NULL, NULL, NULL, NULL);
    }
    g_free(d->tmp);
    g_free(d->uri);
    if (d->argv)
        g_ptr_array_free(d->argv, TRUE);
    g_free(d);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(test_daemon, daemon_free)

/* Start (again) the daemon; FALSE when it did not come up. */
static gboolean daemon_start(test_daemon *d)
{
    virConnectPtr c = NULL;

    g_assert_true(g_spawn_async(d->tmp, (char **)d->argv->pdata, NULL,
                                G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                                    G_SPAWN_STDOUT_TO_DEV_NULL |
                                    G_SPAWN_STDERR_TO_DEV_NULL,
                                NULL, NULL, &d->pid, NULL));
    for (int i = 0; i < 600 && !c; i++) { /* 30 s: a loaded machine */
        c = virConnectOpen(d->uri);
        if (!c)
            g_usleep(50 * 1000);
    }
    if (!c)
        return FALSE;
    virConnectClose(c);
    return TRUE;
}

/* Stop the daemon with signal sig and wait until it is gone. */
static void daemon_stop(test_daemon *d, int sig)
{
    int status;

    g_assert_cmpint(kill(d->pid, sig), ==, 0);
    g_assert_cmpint(waitpid(d->pid, &status, 0), ==, d->pid);
    g_spawn_close_pid(d->pid);
    d->pid = 0;
}

/* A daemon serving tests/data/snapshot-node.xml, or NULL (the test then
 * failed or was skipped, and says why). */
static test_daemon *daemon_new(void)
{
    g_autofree char *libvirtd = g_find_program_in_path("libvirtd");
    g_autoptr(test_daemon) d = g_new0(test_daemon, 1);
    g_autofree char *run = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *dist_node = ds_test_data("snapshot-node.xml", NULL);
    /* A copy in the daemon's own directory: the source tree may not be
     * readable by the unprivileged user the daemon runs as. */
    g_autofree char *node = NULL;
    g_autofree char *node_xml = NULL;

    if (!libvirtd &&
        g_file_test("/usr/sbin/libvirtd", G_FILE_TEST_IS_EXECUTABLE))
        libvirtd = g_strdup("/usr/sbin/libvirtd");
    if (!libvirtd) {
        /* libvirt-daemon is one of the test suite's packages. */
        g_test_message("libvirtd is not installed (libvirt-daemon)");
        g_test_fail();
        return NULL;
    }
    d->tmp = ds_test_tmpdir("ds-snapd-XXXXXX");
    run = g_build_filename(d->tmp, "run", NULL);
    sock = g_build_filename(run, "libvirt", "libvirt-sock", NULL);
    node = g_build_filename(d->tmp, "snapshot-node.xml", NULL);
    g_assert_true(g_file_get_contents(dist_node, &node_xml, NULL, NULL));
    g_assert_true(g_file_set_contents(node, node_xml, -1, NULL));
    d->argv = g_ptr_array_new_with_free_func(g_free);
    if (getuid() == 0) {
        /* As root libvirtd would be the system daemon: run it as nobody. */
        g_assert_cmpint(chown(d->tmp, 65534, 65534), ==, 0);
        g_assert_cmpint(chmod(node, 0644), ==, 0);
        g_ptr_array_add(d->argv, g_strdup("setpriv"));
        g_ptr_array_add(d->argv, g_strdup("--reuid=65534"));
        g_ptr_array_add(d->argv, g_strdup("--regid=65534"));
        g_ptr_array_add(d->argv, g_strdup("--clear-groups"));
    }
    g_ptr_array_add(d->argv, g_strdup("env"));
    g_ptr_array_add(d->argv, g_strconcat("HOME=", d->tmp, NULL));
    g_ptr_array_add(d->argv, g_strconcat("XDG_RUNTIME_DIR=", run, NULL));
    g_ptr_array_add(d->argv,
                    g_strconcat("XDG_CONFIG_HOME=", d->tmp, "/c", NULL));
    g_ptr_array_add(d->argv,
                    g_strconcat("XDG_CACHE_HOME=", d->tmp, "/k", NULL));
    g_ptr_array_add(d->argv, g_steal_pointer(&libvirtd));
    g_ptr_array_add(d->argv, g_strdup("--timeout=60"));
    g_ptr_array_add(d->argv, NULL);
    d->uri = g_strdup_printf("test+unix://%s?socket=%s", node, sock);
    if (!daemon_start(d)) {
        g_test_skip("a private libvirtd did not come up");
        return NULL;
    }
    return g_steal_pointer(&d);
}

/* The daemon goes away between calls: each call says the connection to
 * libvirt was lost. */
static void test_daemon_lost(void)
{
    g_autoptr(test_daemon) dmn = daemon_new();
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) list = NULL;
    virConnectPtr c;
    virDomainPtr d;
    int rc;

    if (!dmn)
        return;
    c = virConnectOpen(dmn->uri);
    g_assert_nonnull(c);
    d = virDomainLookupByName(c, "lab-web01");
    g_assert_nonnull(d);
    g_assert_cmpint(ds_snapshot_list(&list, d, NULL), ==, 0);
    g_assert_cmpuint(list->len, ==, 1);

    /* The daemon goes away. */
    daemon_stop(dmn, SIGKILL);

    rc = ds_snapshot_create(NULL, d, "driftsync-lost", NULL,
                            DS_SNAPSHOT_AUTO, &err);
    g_assert_nonnull(err);
    g_assert_cmpint(rc, ==, DS_EINTERRUPTED);
    g_assert_nonnull(strstr(err->message, "lab-web01"));
    g_assert_nonnull(strstr(err->message, "lost the connection to libvirt"));
    /* libvirt's own words are kept. */
    g_assert_null(strstr(err->message, "unknown libvirt error"));
    g_assert_true(g_regex_match_simple(
        "libvirt \\((.*(closed|recv|reset|End of file|write|pipe).*)\\)$",
        err->message, 0, 0));
    g_clear_error(&err);
    g_assert_cmpint(ds_snapshot_revert(d, "baseline", &err), ==,
                    DS_EINTERRUPTED);
    g_clear_error(&err);
    g_assert_cmpint(ds_snapshot_meta_record_sync(d, "web01", "c", "ok", &err),
                    ==, DS_EINTERRUPTED);
    virDomainFree(d);
    virConnectClose(c);
}

/* The daemon is restarted under an open ds_lab: an agent command finds
 * the connection dead, reopens it and is answered by the new daemon; a
 * holder's domain moves onto the new connection with ds_lab_revive.  When
 * the daemon stays away, both say so within their time, naming the URI. */
static void test_daemon_restart(void)
{
    g_autoptr(test_daemon) dmn = daemon_new();
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_lab) lab = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(json_t) ping = json_pack("{s:s}", "execute", "guest-ping");
    json_t *ret = NULL;
    virConnectPtr first;
    virDomainPtr dom = NULL;
    int state, reason;
    gint64 t0;

    if (!dmn)
        return;
    g_assert_cmpint(ds_lab_open(&lab, dmn->uri, &err), ==, 0);
    g_assert_cmpint(ds_lab_domain(&dom, lab, "lab-web01", &err), ==, 0);
    first = ds_lab_conn(lab);
    /* The test driver has no guest agent: only a live daemon says so. */
    g_assert_cmpint(ds_lab_agent(&ret, lab, dom, ping, 5000, &err), ==,
                    DS_EUNSUPPORTED);
    g_clear_error(&err);

    daemon_stop(dmn, SIGTERM);
    g_assert_true(daemon_start(dmn));
    g_assert_cmpint(ds_lab_agent(&ret, lab, dom, ping, 10000, &err), ==,
                    DS_EUNSUPPORTED);
    g_assert_nonnull(strstr(err->message, "cannot talk to a guest agent"));
    g_clear_error(&err);
    g_assert_true(ds_lab_conn(lab) != first);
    g_assert_cmpint(virConnectIsAlive(ds_lab_conn(lab)), ==, 1);
    /* The caller's handle still belongs to the dead connection... */
    g_assert_true(virDomainGetConnect(dom) == first);
    g_assert_cmpint(virDomainGetState(dom, &state, &reason, 0), <, 0);
    /* ...until it is moved onto the new one. */
    g_assert_cmpint(ds_lab_revive(lab, &dom, 5000, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_true(virDomainGetConnect(dom) == ds_lab_conn(lab));
    g_assert_cmpstr(virDomainGetName(dom), ==, "lab-web01");
    g_assert_cmpint(virDomainGetState(dom, &state, &reason, 0), ==, 0);
    g_assert_cmpint(ds_snapshot_list(&list, dom, &err), ==, 0);
    g_assert_cmpuint(list->len, ==, 1);
    /* Nothing to do on a live connection. */
    first = ds_lab_conn(lab);
    g_assert_cmpint(ds_lab_revive(lab, &dom, 0, &err), ==, 0);
    g_assert_true(ds_lab_conn(lab) == first);
    g_assert_true(virDomainGetConnect(dom) == first);

    /* Restarted between calls: ds_lab_revive finds out by itself. */
    daemon_stop(dmn, SIGTERM);
    g_assert_true(daemon_start(dmn));
    g_assert_cmpint(ds_lab_revive(lab, &dom, 5000, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_true(ds_lab_conn(lab) != first);
    g_assert_true(virDomainGetConnect(dom) == ds_lab_conn(lab));
    g_clear_pointer(&list, g_ptr_array_unref);
    g_assert_cmpint(ds_snapshot_list(&list, dom, &err), ==, 0);
    g_assert_cmpuint(list->len, ==, 1);

    /* The daemon goes away and stays away. */
    daemon_stop(dmn, SIGKILL);
    t0 = g_get_monotonic_time();
    g_assert_cmpint(ds_lab_agent(&ret, lab, dom, ping, 2000, &err), ==,
                    DS_EINTERRUPTED);
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 10 * G_USEC_PER_SEC);
    g_test_message("%s", err->message);
    g_assert_true(g_str_has_prefix(err->message, dmn->uri));
    g_assert_nonnull(
        strstr(err->message, ": lab-web01: connection lost during guest-ping ("));
    g_assert_nonnull(strstr(err->message, "could not reopen it within 2 s"));
    g_assert_nonnull(strstr(err->message, "daemon is not running"));
    g_clear_error(&err);
    g_assert_cmpint(ds_lab_revive(lab, &dom, 500, &err), ==, DS_EINTERRUPTED);
    g_test_message("%s", err->message);
    g_assert_true(g_str_has_prefix(err->message, dmn->uri));
    g_assert_nonnull(strstr(
        err->message,
        ": lost the connection to libvirt and could not reopen it within 1 s"));
    virDomainFree(dom);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    virSetErrorFunc(NULL, quiet);
    /* A vanished daemon must give an error, not SIGPIPE (as in main). */
    signal(SIGPIPE, SIG_IGN);
    g_test_add_func("/snapshot/daemon-lost", test_daemon_lost);
    g_test_add_func("/snapshot/daemon-restart", test_daemon_restart);
    return g_test_run();
}
