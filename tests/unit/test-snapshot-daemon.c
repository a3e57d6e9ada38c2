/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-snapshot-daemon.c: snapshots/ when the libvirt daemon
 * goes away in the middle of the work: a private, unprivileged libvirtd
 * serves the test driver (tests/data/snapshot-node.xml) over its own
 * socket and is killed between calls. */
#include <config.h>

#include <libvirt/virterror.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "manifests/util/error.h"
#include "snapshots/snapshot.h"
#include "tests/unit/testutil.h"

static void quiet(void *payload, virErrorPtr e)
{
    (void)payload;
    (void)e;
}

/* A private libvirt daemon (unprivileged, session mode) serves the test
 * driver over its own socket; it is stopped in the middle of the work. */
static void test_daemon_lost(void)
{
    g_autofree char *libvirtd = g_find_program_in_path("libvirtd");
    g_autofree char *tmp = ds_test_tmpdir("ds-snapd-XXXXXX");
    g_autofree char *run = g_build_filename(tmp, "run", NULL);
    g_autofree char *sock = g_build_filename(run, "libvirt", "libvirt-sock",
                                             NULL);
    g_autofree char *dist_node =
        ds_test_data("snapshot-node.xml", NULL);
    /* A copy in the daemon's own directory: the source tree may not be
     * readable by the unprivileged user the daemon runs as. */
    g_autofree char *node = g_build_filename(tmp, "snapshot-node.xml", NULL);
    g_autofree char *node_xml = NULL;
    g_autofree char *uri = NULL;
    g_autofree char *env_home = g_strconcat("HOME=", tmp, NULL);
    g_autofree char *env_run = g_strconcat("XDG_RUNTIME_DIR=", run, NULL);
    g_autofree char *env_cfg = g_strconcat("XDG_CONFIG_HOME=", tmp, "/c", NULL);
    g_autofree char *env_cache =
        g_strconcat("XDG_CACHE_HOME=", tmp, "/k", NULL);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) list = NULL;
    virConnectPtr c = NULL;
    virDomainPtr d;
    GPid pid;
    int status, rc;

    if (!libvirtd && g_file_test("/usr/sbin/libvirtd", G_FILE_TEST_IS_EXECUTABLE))
        libvirtd = g_strdup("/usr/sbin/libvirtd");
    if (!libvirtd) {
        /* libvirt-daemon is one of the test suite's packages. */
        g_test_message("libvirtd is not installed (libvirt-daemon)");
        g_test_fail();
        return;
    }
    g_assert_true(g_file_get_contents(dist_node, &node_xml, NULL, NULL));
    g_assert_true(g_file_set_contents(node, node_xml, -1, NULL));
    if (getuid() == 0) {
        /* As root libvirtd would be the system daemon: run it as nobody. */
        g_assert_cmpint(chown(tmp, 65534, 65534), ==, 0);
        g_assert_cmpint(chmod(node, 0644), ==, 0);
        g_ptr_array_add(argv, "setpriv");
        g_ptr_array_add(argv, "--reuid=65534");
        g_ptr_array_add(argv, "--regid=65534");
        g_ptr_array_add(argv, "--clear-groups");
    }
    g_ptr_array_add(argv, "env");
    g_ptr_array_add(argv, env_home);
    g_ptr_array_add(argv, env_run);
    g_ptr_array_add(argv, env_cfg);
    g_ptr_array_add(argv, env_cache);
    g_ptr_array_add(argv, libvirtd);
    g_ptr_array_add(argv, "--timeout=60");
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_async(tmp, (char **)argv->pdata, NULL,
                                G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                                    G_SPAWN_STDOUT_TO_DEV_NULL |
                                    G_SPAWN_STDERR_TO_DEV_NULL,
                                NULL, NULL, &pid, NULL));
    uri = g_strdup_printf("test+unix://%s?socket=%s", node, sock);
    for (int i = 0; i < 600 && !c; i++) { /* 30 s: a loaded machine */
        if (g_file_test(sock, G_FILE_TEST_EXISTS))
            c = virConnectOpen(uri);
        if (!c)
            g_usleep(50 * 1000);
    }
    if (!c) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        g_test_skip("a private libvirtd did not come up");
        return;
    }
    d = virDomainLookupByName(c, "lab-web01");
    g_assert_nonnull(d);
    g_assert_cmpint(ds_snapshot_list(&list, d, NULL), ==, 0);
    g_assert_cmpuint(list->len, ==, 1);

    /* The daemon goes away. */
    g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_spawn_close_pid(pid);

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
    {
        const char *rm[] = {"rm", "-rf", tmp, NULL};

        g_spawn_sync(NULL, (char **)rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     NULL, NULL, NULL, NULL);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    virSetErrorFunc(NULL, quiet);
    /* A vanished daemon must give an error, not SIGPIPE (as in main). */
    signal(SIGPIPE, SIG_IGN);
    g_test_add_func("/snapshot/daemon-lost", test_daemon_lost);
    return g_test_run();
}
