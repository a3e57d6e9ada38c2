/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-transport-agent.c: the agent:DOMAIN transport against
 * libvirt's test:/// driver, which has domains but no guest agent: every
 * error must be clear and reach the caller before anything runs.  The
 * real guest agent is exercised by the end-to-end suite (tests/e2e). */
#include <config.h>

#include "drivers/transport-agent.h"
#include "manifests/util/error.h"
#include "tests/unit/testutil.h"

static char *node_uri(void)
{
    g_autofree char *path =
        ds_test_data("test-node.xml", NULL);
    return g_strdup_printf("test://%s", path);
}

static int open_agent(void **state, const char *uri, const char *lab_uri,
                      GError **err)
{
    ds_transport_options o = {.libvirt_uri = lab_uri, .timeout_ms = 5000};
    return ds_transport_agent_ops.open(state, uri, &o, err);
}

static void test_table(void)
{
    g_assert_cmpstr(ds_transport_agent_ops.scheme, ==, "agent");
    g_assert_nonnull(ds_transport_agent_ops.open);
    g_assert_nonnull(ds_transport_agent_ops.run);
    g_assert_nonnull(ds_transport_agent_ops.read_file);
    g_assert_nonnull(ds_transport_agent_ops.write_file);
    g_assert_null(ds_transport_agent_ops.fetch); /* https only */
    g_assert_nonnull(ds_transport_agent_ops.close);
    ds_transport_agent_ops.close(NULL);
}

/* The driver has domains but no agent: run, read and write say so. */
static void test_agent_unsupported(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *uri = node_uri();
    const char *argv[] = {"dpkg-query", "-W", NULL};
    ds_run_result r = {0};
    GBytes *out = NULL;
    g_autoptr(GBytes) data = g_bytes_new_static("x\n", 2);
    void *st = NULL;

    g_assert_cmpint(open_agent(&st, "agent:lab-agent01", uri, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_nonnull(st);

    g_assert_cmpint(ds_transport_agent_ops.run(st, argv, NULL, &r, &err), ==,
                    DS_EUNSUPPORTED);
    g_assert_cmpint(r.status, ==, -1);
    g_assert_null(r.out);
    g_assert_nonnull(strstr(err->message, "lab-agent01"));
    g_assert_nonnull(strstr(err->message, "guest agent"));
    g_assert_nonnull(strstr(err->message, "dpkg-query"));
    g_assert_null(strchr(err->message, '\n'));
    g_clear_error(&err);

    g_assert_cmpint(ds_transport_agent_ops.read_file(st, "/etc/os-release",
                                                     &out, &err),
                    ==, DS_EUNSUPPORTED);
    g_assert_null(out);
    g_assert_nonnull(strstr(err->message, "/etc/os-release"));
    g_clear_error(&err);

    g_assert_cmpint(ds_transport_agent_ops.write_file(st, "/etc/motd", data,
                                                      0644, &err),
                    ==, DS_EUNSUPPORTED);
    g_assert_nonnull(strstr(err->message, "/etc/motd"));
    ds_transport_agent_ops.close(st);
}

/* The registry knows the scheme: ds_transport_open reaches this table. */
static void test_registry(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_transport) t = NULL;
    g_autofree char *uri = node_uri();
    ds_transport_options o = {.libvirt_uri = uri};
    const char *argv[] = {"true", NULL};
    ds_run_result r = {.status = -1};
    GBytes *out = NULL;

    g_assert_cmpint(ds_transport_open(&t, "agent:lab-agent01", &o, &err), ==,
                    0);
    g_assert_no_error(err);
    g_assert_cmpstr(ds_transport_scheme(t), ==, "agent");
    g_assert_cmpint(ds_transport_run(t, argv, NULL, &r, &err), ==,
                    DS_EUNSUPPORTED);
    g_clear_error(&err);
    g_assert_cmpint(ds_transport_fetch(t, &out, &err), ==, DS_EUNSUPPORTED);
    g_assert_null(out);
    g_clear_error(&err);
    g_clear_pointer(&t, ds_transport_free);
    g_assert_cmpint(ds_transport_open(&t, "agent:a;b", &o, &err), ==,
                    DS_EINVALID);
    g_assert_null(t);
}

/* opts->host names the host in messages instead of the domain. */
static void test_host_in_messages(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *uri = node_uri();
    ds_transport_options o = {.libvirt_uri = uri, .host = "web01"};
    const char *argv[] = {"true", NULL};
    ds_run_result r = {0};
    void *st = NULL;

    g_assert_cmpint(ds_transport_agent_ops.open(&st, "agent:lab-node01", &o,
                                                &err),
                    ==, 0);
    g_assert_cmpint(ds_transport_agent_ops.run(st, argv, NULL, &r, &err), <,
                    0);
    g_assert_true(g_str_has_prefix(err->message, "web01: "));
    ds_transport_agent_ops.close(st);
}

static void test_unknown_domain(void)
{
    g_autoptr(GError) err = NULL;
    void *st = NULL;

    g_assert_cmpint(open_agent(&st, "agent:no-such-lab", "test:///default",
                               &err),
                    ==, DS_ENOTFOUND);
    g_assert_null(st);
    g_assert_nonnull(strstr(err->message, "no-such-lab"));
}

static void test_bad_uri(void)
{
    g_autoptr(GError) err = NULL;
    void *st = NULL;

    g_assert_cmpint(open_agent(&st, "agent:test", "not a uri", &err), ==,
                    DS_EINVALID);
    g_assert_null(st);
    g_assert_nonnull(strstr(err->message, "not a uri"));
    g_clear_error(&err);
    g_assert_cmpint(open_agent(&st, "agent:test",
                               "qemu:///system?socket=/nonexistent/sock",
                               &err),
                    ==, DS_EGENERIC);
    g_assert_nonnull(strstr(err->message, "not running"));
    g_clear_error(&err);
    g_assert_cmpint(open_agent(&st, "ssh://test", "test:///default", &err),
                    ==, DS_EINVALID);
    g_assert_null(st);
}

static void test_hostile_domains(void)
{
    static const char *const bad[] = {
        "agent:", "agent:-x", "agent:a;reboot", "agent:../../etc",
        "agent:$(id)", "agent:a b", "agent:lab\n", "agent:lab/x", NULL,
    };
    for (int i = 0; bad[i]; i++) {
        g_autoptr(GError) err = NULL;
        void *st = NULL;

        g_assert_cmpint(open_agent(&st, bad[i], "test:///default", &err), ==,
                        DS_EINVALID);
        g_assert_null(st);
        g_assert_nonnull(strstr(err->message, "unsafe domain name"));
        g_assert_null(strchr(err->message, '\n'));
    }
}

/* Bad requests are refused before anything reaches libvirt (the test
 * driver would answer "unsupported" otherwise). */
static void test_bad_requests(void)
{
    static const char *const paths[] = {
        "relative/path", "", "/etc/../etc/shadow", "/tmp/a\nb", "/..",
        NULL,
    };
    g_autoptr(GError) err = NULL;
    const char *empty[] = {NULL};
    const char *notutf8[] = {"echo", "\xff\xfe", NULL};
    ds_run_result r = {0};
    g_autoptr(GBytes) data = g_bytes_new_static("x", 1);
    GBytes *out = NULL;
    void *st = NULL;

    g_assert_cmpint(open_agent(&st, "agent:test", "test:///default", &err),
                    ==, 0);
    for (int i = 0; paths[i]; i++) {
        g_clear_error(&err);
        g_assert_cmpint(ds_transport_agent_ops.read_file(st, paths[i], &out,
                                                         &err),
                        ==, DS_EINVALID);
        g_assert_null(out);
        g_clear_error(&err);
        g_assert_cmpint(ds_transport_agent_ops.write_file(st, paths[i], data,
                                                          0644, &err),
                        ==, DS_EINVALID);
    }
    g_clear_error(&err);
    g_assert_cmpint(ds_transport_agent_ops.write_file(st, "/etc/", data,
                                                      0644, &err),
                    ==, DS_EINVALID);
    g_clear_error(&err);
    g_assert_cmpint(ds_transport_agent_ops.run(st, empty, NULL, &r, &err), ==,
                    DS_EINVALID);
    g_clear_error(&err);
    g_assert_cmpint(ds_transport_agent_ops.run(st, notutf8, NULL, &r, &err),
                    ==, DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "UTF-8"));
    ds_transport_agent_ops.close(st);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/transport-agent/table", test_table);
    g_test_add_func("/transport-agent/registry", test_registry);
    g_test_add_func("/transport-agent/agent-unsupported",
                    test_agent_unsupported);
    g_test_add_func("/transport-agent/host-in-messages",
                    test_host_in_messages);
    g_test_add_func("/transport-agent/unknown-domain", test_unknown_domain);
    g_test_add_func("/transport-agent/bad-uri", test_bad_uri);
    g_test_add_func("/transport-agent/hostile-domains", test_hostile_domains);
    g_test_add_func("/transport-agent/bad-requests", test_bad_requests);
    return g_test_run();
}
