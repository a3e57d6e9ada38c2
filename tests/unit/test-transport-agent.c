/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-transport-agent.c: the agent:DOMAIN transport against
 * libvirt's test:/// driver, which has domains but no guest agent: every
 * error must be clear and reach the caller before anything runs.  The
 * real guest agent is exercised by the end-to-end suite (tests/e2e). */
#include <config.h>

#include "drivers/libvirt.h"
#include "drivers/transport-agent.h"
#include "drivers/transport-agent-reply.h"
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

#define TOKEN "driftsync-0123"

/* A reply as libvirt hands it over, read as the transport reads it. */
static int exec_reply(ds_agent_exec_reply *r, const char *reply,
                      GError **err)
{
    json_t *ret = NULL;
    int rc = ds_lab_agent_reply(&ret, reply, "test:///default", "lab",
                                "guest-exec-status", err);

    if (rc == 0)
        rc = ds_agent_parse_exec(r, ret, TOKEN, 64, "web01", "cat", err);
    json_decref(ret);
    return rc;
}

/* What a guest answers: streams, exit status, the wrapper's notes, the
 * limits, the agent's own errors. */
static void test_replies(void)
{
    g_autoptr(GError) err = NULL;
    ds_agent_exec_reply r;

    /* "hi\n" on stdout, "e" on stderr, exit 3 */
    g_assert_cmpint(exec_reply(&r, "{\"return\": {\"exited\": true, "
                               "\"exitcode\": 3, \"out-data\": \"aGkK\", "
                               "\"err-data\": \"ZQ==\"}}", &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(r.status, ==, 3);
    g_assert_false(r.spilled);
    g_assert_cmpmem(g_bytes_get_data(r.out, NULL), g_bytes_get_size(r.out),
                    "hi\n", 3);
    g_assert_cmpuint(g_bytes_get_size(r.err), ==, 1);
    ds_agent_exec_reply_clear(&r);

    /* killed by signal 9; no streams at all */
    g_assert_cmpint(exec_reply(&r, "{\"return\": {\"exited\": true, "
                               "\"signal\": 9}}", &err), ==, 0);
    g_assert_cmpint(r.status, ==, 137);
    g_assert_cmpuint(g_bytes_get_size(r.out), ==, 0);
    ds_agent_exec_reply_clear(&r);

    /* "driftsync-0123 0 64 12\n": the output was left in the guest */
    g_assert_cmpint(exec_reply(&r, "{\"return\": {\"exited\": true, "
                               "\"exitcode\": 0, \"out-data\": "
                               "\"ZHJpZnRzeW5jLTAxMjMgMCA2NCAxMgo=\"}}",
                               &err), ==, 0);
    g_assert_true(r.spilled);
    g_assert_cmpuint(r.out_size, ==, 64);
    g_assert_cmpuint(r.err_size, ==, 12);
    ds_agent_exec_reply_clear(&r);

    /* over the limit of 64 bytes (100 bytes of "A") */
    g_autofree char *big = g_strnfill(100, 'A');
    g_autofree char *b64 = g_base64_encode((const guchar *)big, 100);
    g_autofree char *reply = g_strdup_printf(
        "{\"return\": {\"exited\": true, \"out-data\": \"%s\"}}", b64);
    g_assert_cmpint(exec_reply(&r, reply, &err), ==, DS_EINVALID);
    g_assert_cmpstr(err->message, ==, "web01: cat: output over 64 bytes");
    g_clear_error(&err);

    /* the agent's own error, and no JSON at all */
    g_assert_cmpint(exec_reply(&r, "{\"error\": {\"class\": \"x\", \"desc\": "
                               "\"Guest agent is not responding\"}}", &err),
                    ==, DS_EGENERIC);
    g_assert_cmpstr(err->message, ==,
                    "test:///default: lab: guest-exec-status failed: Guest "
                    "agent is not responding");
    g_clear_error(&err);
    g_assert_cmpint(exec_reply(&r, "{\"return\"", &err), ==, DS_EGENERIC);
    g_assert_nonnull(strstr(err->message, "unreadable reply"));
}

/* Found by fuzzing: the guest's stderr went into the "cannot make a
 * private directory" message as it came, so a guest could put invalid
 * UTF-8 and control characters (a terminal's escape sequences) in the
 * one-line error.  Now it is valid UTF-8 on one line, controls blanked. */
static void test_stderr_shown_safely(void)
{
    g_autoptr(GError) err = NULL;
    ds_agent_exec_reply r;
    /* out: "driftsync-0123 mkdir\n"; err: "mkdir: \xff\x1b[2J\nno\n" */
    const char *reply =
        "{\"return\": {\"exited\": true, \"exitcode\": 125, "
        "\"out-data\": \"ZHJpZnRzeW5jLTAxMjMgbWtkaXIK\", "
        "\"err-data\": \"bWtkaXI6IP8bWzJKCm5vCg==\"}}";

    g_assert_cmpint(exec_reply(&r, reply, &err), ==, DS_EGENERIC);
    g_assert_true(g_utf8_validate(err->message, -1, NULL));
    g_assert_cmpstr(err->message, ==,
                    "web01: cat: cannot make a private directory in the "
                    "guest's /tmp: mkdir: \xef\xbf\xbd [2J no");
}

/* Found by fuzzing: jansson's message on a broken reply quotes the
 * reply's bytes, and the agent's error text may hold a newline: both came
 * into the one-line error as they were. */
static void test_reply_errors_shown_safely(void)
{
    g_autoptr(GError) err = NULL;
    ds_agent_exec_reply r;

    g_assert_cmpint(exec_reply(&r, "{\"return\": \"ab\\\xff\x1b[2J", &err),
                    ==, DS_EGENERIC);
    g_assert_true(g_str_has_prefix(err->message, "test:///default: lab: "
                                                 "unreadable reply to "
                                                 "guest-exec-status: "));
    g_assert_true(g_utf8_validate(err->message, -1, NULL));
    g_assert_null(strchr(err->message, '\x1b'));
    g_clear_error(&err);
    g_assert_cmpint(exec_reply(&r,
                               "{\"error\": {\"desc\": \"no\\nway\\u001b\"}}",
                               &err),
                    ==, DS_EGENERIC);
    g_assert_cmpstr(err->message, ==,
                    "test:///default: lab: guest-exec-status failed: no way");
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
    g_test_add_func("/transport-agent/replies", test_replies);
    g_test_add_func("/transport-agent/stderr-shown-safely",
                    test_stderr_shown_safely);
    g_test_add_func("/transport-agent/reply-errors-shown-safely",
                    test_reply_errors_shown_safely);
    return g_test_run();
}
