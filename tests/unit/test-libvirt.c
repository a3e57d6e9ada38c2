/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-libvirt.c: drivers/libvirt.c against libvirt's test:///
 * driver: the per-URI connection cache, errors for unknown domains, bad
 * URIs, absent daemons and hostile names, power state, and the clear
 * "unsupported" answer when no guest agent can be reached. */
#include <config.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "drivers/libvirt.h"
#include "manifests/util/error.h"
#include "tests/unit/testutil.h"

static char *node_uri(void)
{
    g_autofree char *path =
        ds_test_data("test-node.xml", NULL);
    return g_strdup_printf("test://%s", path);
}

static void test_cache(void)
{
    g_autoptr(GError) err = NULL;
    ds_lab *a = NULL, *b = NULL, *c = NULL;
    g_autofree char *uri = node_uri();

    g_assert_cmpint(ds_lab_open(&a, "test:///default", &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(ds_lab_open(&b, "test:///default", &err), ==, 0);
    g_assert_true(a == b);
    g_assert_true(ds_lab_conn(a) == ds_lab_conn(b));
    g_assert_cmpstr(ds_lab_uri(a), ==, "test:///default");
    g_assert_cmpint(ds_lab_open(&c, uri, &err), ==, 0);
    g_assert_true(c != a);
    g_assert_cmpstr(ds_lab_uri(c), ==, uri);
    ds_lab_free(b);
    /* a still holds the connection: it must still work */
    g_assert_cmpint(virConnectIsAlive(ds_lab_conn(a)), ==, 1);
    g_assert_cmpint(virConnectNumOfDomains(ds_lab_conn(a)), >=, 1);
    ds_lab_free(a);
    ds_lab_free(c);
    ds_lab_free(NULL);
    /* after the last reference a new connection is made */
    g_assert_cmpint(ds_lab_open(&a, "test:///default", &err), ==, 0);
    g_assert_cmpint(virConnectIsAlive(ds_lab_conn(a)), ==, 1);
    ds_lab_free(a);
}

/* State changes on a node-file connection are visible through a second
 * ds_lab_open of the same URI: proof that the connection is shared. */
static void test_cache_shares_state(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_lab) a = NULL;
    g_autoptr(ds_lab) b = NULL;
    g_autofree char *uri = node_uri();
    virDomainPtr d1 = NULL, d2 = NULL;
    int state, reason;

    g_assert_cmpint(ds_lab_open(&a, uri, &err), ==, 0);
    g_assert_cmpint(ds_lab_domain(&d1, a, "lab-node01", &err), ==, 0);
    g_assert_cmpint(ds_lab_start(a, d1, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(ds_lab_open(&b, uri, &err), ==, 0);
    g_assert_cmpint(ds_lab_domain(&d2, b, "lab-node01", &err), ==, 0);
    g_assert_cmpint(virDomainGetState(d2, &state, &reason, 0), ==, 0);
    g_assert_cmpint(state, ==, VIR_DOMAIN_RUNNING);
    virDomainFree(d1);
    virDomainFree(d2);
}

static void expect_open_error(const char *uri, int code, const char *text)
{
    g_autoptr(GError) err = NULL;
    ds_lab *lab = NULL;
    gint64 t0 = g_get_monotonic_time();

    g_assert_cmpint(ds_lab_open(&lab, uri, &err), ==, code);
    g_assert_null(lab);
    g_assert_nonnull(err);
    if (g_test_verbose())
        g_test_message("%s -> %s", uri, err->message);
    g_assert_cmpint(ds_error_code_of(err), ==, code);
    /* the message names the URI and the cause, on one line */
    g_assert_nonnull(strstr(err->message, text));
    g_assert_null(strchr(err->message, '\n'));
    if (uri[0] != '\x01')
        g_assert_nonnull(strstr(err->message, uri));
    /* bounded: no retry loop, no hang */
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 10 * G_USEC_PER_SEC);
}

static gboolean system_daemon_answers(void)
{
    virConnectPtr c = virConnectOpenReadOnly("qemu:///system");

    if (!c)
        return FALSE;
    virConnectClose(c);
    return TRUE;
}

static void test_bad_uri(void)
{
    expect_open_error("test:///nonexistent/node.xml", DS_EINVALID,
                      "bad libvirt URI");
    expect_open_error("not a uri", DS_EINVALID, "bad libvirt URI");
    /* Only a running daemon can tell that the path is wrong; without one
     * the client cannot reach it, and says so. */
    if (system_daemon_answers())
        expect_open_error("qemu:///nosuch", DS_EINVALID, "bad libvirt URI");
    else
        expect_open_error("qemu:///nosuch", DS_EGENERIC,
                          "daemon is not running");
    if (system_daemon_answers())
        expect_open_error("nosuchdriver:///system", DS_EUNSUPPORTED,
                          "no libvirt driver");
    else
        expect_open_error("nosuchdriver:///system", DS_EGENERIC,
                          "daemon is not running");
    expect_open_error("qemu:///system?socket=/nonexistent/libvirt-sock",
                      DS_EGENERIC, "daemon is not running");
}

static void test_bad_uri_control_char(void)
{
    g_autoptr(GError) err = NULL;
    ds_lab *lab = NULL;

    g_assert_cmpint(ds_lab_open(&lab, "test:///default\n", &err), ==,
                    DS_EINVALID);
    g_assert_null(lab);
    g_assert_nonnull(strstr(err->message, "control character"));
    g_assert_null(strchr(err->message, '\n'));
}

/* A socket that exists but has nobody listening: refused. */
static void test_refused(void)
{
    g_autofree char *dir = ds_test_tmpdir("ds-libvirt-XXXXXX");
    g_autofree char *sock = g_build_filename(dir, "sock", NULL);
    g_autofree char *uri = NULL;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(sa.sun_path, sock, sizeof sa.sun_path);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
    close(fd); /* the socket file stays, nobody accepts */
    uri = g_strdup_printf("qemu+unix:///system?socket=%s", sock);
    expect_open_error(uri, DS_EGENERIC, "daemon is not running");
    unlink(sock);
    rmdir(dir);

    /* TCP port 1 on loopback: nothing listens there */
    expect_open_error("qemu+tcp://127.0.0.1:1/system", DS_EGENERIC,
                      "connection refused");
}

static void test_unknown_domain(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_lab) lab = NULL;
    virDomainPtr dom = NULL;

    g_assert_cmpint(ds_lab_open(&lab, "test:///default", &err), ==, 0);
    g_assert_cmpint(ds_lab_domain(&dom, lab, "no-such-lab", &err), ==,
                    DS_ENOTFOUND);
    g_assert_null(dom);
    g_assert_cmpint(ds_error_code_of(err), ==, DS_ENOTFOUND);
    g_assert_nonnull(strstr(err->message, "no-such-lab"));
    g_assert_nonnull(strstr(err->message, "test:///default"));
    g_clear_error(&err);
    g_assert_cmpint(ds_lab_domain(&dom, lab, "test", &err), ==, 0);
    g_assert_nonnull(dom);
    g_assert_cmpstr(virDomainGetName(dom), ==, "test");
    virDomainFree(dom);
}

static void test_hostile_names(void)
{
    static const char *const bad[] = {
        "", "-rf", ".hidden", "a;rm -rf /", "a b", "../etc/passwd",
        "lab..x", "lab/x", "lab\nx", "$(reboot)", "lab`id`", "lab'x",
        "l\303\244b", NULL,
    };
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_lab) lab = NULL;
    g_autofree char *longname = g_strnfill(300, 'a');
    virDomainPtr dom = NULL;

    g_assert_cmpint(ds_lab_open(&lab, "test:///default", &err), ==, 0);
    for (int i = 0; bad[i]; i++) {
        g_clear_error(&err);
        g_assert_cmpint(ds_lab_domain(&dom, lab, bad[i], &err), ==,
                        DS_EINVALID);
        g_assert_null(dom);
        g_assert_nonnull(strstr(err->message, "unsafe domain name"));
        g_assert_null(strchr(err->message, '\n'));
    }
    g_clear_error(&err);
    g_assert_cmpint(ds_lab_domain(&dom, lab, NULL, &err), ==, DS_EINVALID);
    g_clear_error(&err);
    g_assert_cmpint(ds_lab_domain(&dom, lab, longname, &err), ==,
                    DS_EINVALID);
    /* the message stays short even for a long name */
    g_assert_cmpint(strlen(err->message), <, 200);
}

static void test_start_shutdown(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_lab) lab = NULL;
    g_autofree char *uri = node_uri();
    virDomainPtr dom = NULL;
    int state, reason;

    g_assert_cmpint(ds_lab_open(&lab, uri, &err), ==, 0);
    g_assert_cmpint(ds_lab_domain(&dom, lab, "lab-node01", &err), ==, 0);
    /* make sure it is off first (another test may have started it) */
    g_assert_cmpint(ds_lab_shutdown(lab, dom, 5000, &err), ==, 0);
    g_assert_cmpint(virDomainGetState(dom, &state, &reason, 0), ==, 0);
    g_assert_cmpint(state, ==, VIR_DOMAIN_SHUTOFF);
    g_assert_cmpint(ds_lab_start(lab, dom, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(virDomainGetState(dom, &state, &reason, 0), ==, 0);
    g_assert_cmpint(state, ==, VIR_DOMAIN_RUNNING);
    /* starting a running domain is a no-op, not an error */
    g_assert_cmpint(ds_lab_start(lab, dom, &err), ==, 0);
    g_assert_no_error(err);
    /* a paused domain is resumed */
    g_assert_cmpint(virDomainSuspend(dom), ==, 0);
    g_assert_cmpint(ds_lab_start(lab, dom, &err), ==, 0);
    g_assert_cmpint(virDomainGetState(dom, &state, &reason, 0), ==, 0);
    g_assert_cmpint(state, ==, VIR_DOMAIN_RUNNING);
    /* no agent on the test driver: shutdown falls back and waits */
    g_assert_cmpint(ds_lab_shutdown(lab, dom, 5000, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(virDomainGetState(dom, &state, &reason, 0), ==, 0);
    g_assert_cmpint(state, ==, VIR_DOMAIN_SHUTOFF);
    /* already off: no-op */
    g_assert_cmpint(ds_lab_shutdown(lab, dom, 5000, &err), ==, 0);
    virDomainFree(dom);
}

static void test_agent_unsupported(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_lab) lab = NULL;
    g_autofree char *uri = node_uri();
    virDomainPtr dom = NULL;
    json_t *ret = NULL;
    json_t *ping = json_pack("{s:s}", "execute", "guest-ping");
    gint64 t0;

    g_assert_cmpint(ds_lab_open(&lab, uri, &err), ==, 0);
    g_assert_cmpint(ds_lab_domain(&dom, lab, "lab-agent01", &err), ==, 0);
    g_assert_cmpint(ds_lab_agent(&ret, lab, dom, ping, 2000, &err), ==,
                    DS_EUNSUPPORTED);
    g_assert_null(ret);
    g_assert_cmpint(ds_error_code_of(err), ==, DS_EUNSUPPORTED);
    g_assert_nonnull(strstr(err->message, "lab-agent01"));
    g_assert_nonnull(strstr(err->message, "guest agent"));
    g_clear_error(&err);

    /* waiting does not help when the driver has no agent: fail at once */
    t0 = g_get_monotonic_time();
    g_assert_cmpint(ds_lab_wait_agent(lab, dom, 60000, &err), ==,
                    DS_EUNSUPPORTED);
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 5 * G_USEC_PER_SEC);
    g_clear_error(&err);

    g_assert_cmpint(ds_lab_reboot(lab, dom, 60000, &err), ==,
                    DS_EUNSUPPORTED);
    g_assert_nonnull(strstr(err->message, "reboot"));
    g_clear_error(&err);

    /* a command without "execute" is refused before it reaches libvirt */
    json_decref(ping);
    ping = json_pack("{s:s}", "exec", "guest-ping");
    g_assert_cmpint(ds_lab_agent(&ret, lab, dom, ping, 2000, &err), ==,
                    DS_EINVALID);
    json_decref(ping);
    virDomainFree(dom);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/libvirt/cache", test_cache);
    g_test_add_func("/libvirt/cache-shares-state", test_cache_shares_state);
    g_test_add_func("/libvirt/bad-uri", test_bad_uri);
    g_test_add_func("/libvirt/bad-uri-control-char",
                    test_bad_uri_control_char);
    g_test_add_func("/libvirt/refused", test_refused);
    g_test_add_func("/libvirt/unknown-domain", test_unknown_domain);
    g_test_add_func("/libvirt/hostile-names", test_hostile_names);
    g_test_add_func("/libvirt/start-shutdown", test_start_shutdown);
    g_test_add_func("/libvirt/agent-unsupported", test_agent_unsupported);
    return g_test_run();
}
