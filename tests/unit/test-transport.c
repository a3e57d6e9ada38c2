/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-transport.c: shell quoting (property test through real
 * shells), the process runner, the registry and the local transport with
 * a root file system (reads, atomic writes, symlinks that try to escape). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/transport-private.h"
#include "drivers/transport.h"
#include "manifests/util/error.h"
#include "tests/unit/testutil.h"

/* ---- quoting ---------------------------------------------------------- */

static char *random_arg(GRand *r)
{
    static const char special[] = "'\"$`\\\n \t;&|<>()*?[]{}~#!-=%^";
    int len = g_rand_int_range(r, 0, 24);
    char *s = g_malloc(len + 1);

    for (int i = 0; i < len; i++) {
        if (g_rand_boolean(r))
            s[i] = special[g_rand_int_range(r, 0, sizeof(special) - 1)];
        else
            s[i] = (char)g_rand_int_range(r, 1, 256); /* any byte but NUL */
    }
    s[len] = '\0';
    if (len > 0 && g_rand_int_range(r, 0, 4) == 0)
        s[0] = '-';
    return s;
}

/* Run SHELL -c "printf '%s\0' ARGS" and check the shell saw argv exactly. */
static void check_round_trip(const char *shell, const char *const *argv)
{
    g_autofree char *joined = ds_shell_join(argv);
    g_autofree char *script = g_strconcat("printf '%s\\0' ", joined, NULL);
    const char *cmd[] = {shell, "-c", script, NULL};
    g_autoptr(GString) want = g_string_new(NULL);
    g_autofree char *out = NULL;
    gsize out_len = 0;
    g_autoptr(GError) error = NULL;
    ds_run_result res = {.status = -1};
    int rc;

    for (gsize i = 0; argv[i]; i++)
        g_string_append_len(want, argv[i], strlen(argv[i]) + 1);
    rc = ds_transport_spawn(cmd, NULL, NULL, &res, &error);
    g_assert_no_error(error);
    g_assert_cmpint(rc, ==, 0);
    g_assert_cmpint(res.status, ==, 0);
    out = g_bytes_unref_to_data(g_steal_pointer(&res.out), &out_len);
    if (out_len != want->len || memcmp(out, want->str, out_len) != 0)
        g_error("%s: round trip failed for %s", shell, joined);
    ds_run_result_clear(&res);
}

static void test_quote_examples(void)
{
    const char *argv[] = {"a b", "it's", "", NULL};
    g_autofree char *q1 = ds_shell_quote("it's");
    g_autofree char *q2 = ds_shell_quote("");
    g_autofree char *q3 = ds_shell_quote("$(reboot)");
    g_autofree char *j = ds_shell_join(argv);

    g_assert_cmpstr(q1, ==, "'it'\\''s'");
    g_assert_cmpstr(q2, ==, "''");
    g_assert_cmpstr(q3, ==, "'$(reboot)'");
    g_assert_cmpstr(j, ==, "'a b' 'it'\\''s' ''");
}

/* Hundreds of random argument vectors; 50 of them per shell run (each
 * spawn costs milliseconds), which the shell sees as one long argv. */
static void test_quote_property(void)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(20261127);
    const char *shells[] = {"/bin/sh", "/bin/bash"};

    for (int batch = 0; batch < 8; batch++) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        for (int n = 0; n < 50; n++) {
            int argc = g_rand_int_range(r, 1, 6);
            for (int i = 0; i < argc; i++)
                g_ptr_array_add(argv, random_arg(r));
        }
        g_ptr_array_add(argv, NULL);
        for (gsize s = 0; s < G_N_ELEMENTS(shells); s++)
            if (access(shells[s], X_OK) == 0)
                check_round_trip(shells[s], (const char *const *)argv->pdata);
    }
}

/* ---- the runner through local: ------------------------------------- */

static ds_transport *open_local(const char *uri, int timeout_ms,
                                gsize max_output)
{
    ds_transport_options opts = {
        .host = "web01", .timeout_ms = timeout_ms, .max_output = max_output};
    g_autoptr(GError) error = NULL;
    ds_transport *t = NULL;

    g_assert_cmpint(ds_transport_open(&t, uri, &opts, &error), ==, 0);
    g_assert_no_error(error);
    g_assert_nonnull(t);
    return t;
}

static void test_run_status_output(void)
{
    g_autoptr(ds_transport) t = open_local("local:", 0, 0);
    const char *argv[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
    const char *kill9[] = {"sh", "-c", "kill -9 $$", NULL};
    ds_run_result res = {.status = -1};
    g_autoptr(GError) error = NULL;

    g_assert_cmpstr(ds_transport_scheme(t), ==, "local");
    g_assert_null(ds_transport_root(t));
    g_assert_cmpint(ds_transport_run(t, argv, NULL, &res, &error), ==, 0);
    g_assert_no_error(error);
    g_assert_cmpint(res.status, ==, 3);
    g_assert_cmpmem(g_bytes_get_data(res.out, NULL), g_bytes_get_size(res.out),
                    "out\n", 4);
    g_assert_cmpmem(g_bytes_get_data(res.err, NULL), g_bytes_get_size(res.err),
                    "err\n", 4);
    g_assert_cmpint(ds_transport_run(t, kill9, NULL, &res, &error), ==, 0);
    g_assert_cmpint(res.status, ==, 128 + SIGKILL);
    ds_run_result_clear(&res);
}

static void test_run_stdin(void)
{
    g_autoptr(ds_transport) t = open_local("local:", 0, 0);
    const char *cat[] = {"cat", NULL};
    const char *tru[] = {"true", NULL};
    gsize n = 3 * 1024 * 1024 + 7;
    g_autofree guint8 *data = g_malloc(n);
    g_autoptr(GBytes) in = NULL;
    ds_run_result res = {.status = -1};
    g_autoptr(GError) error = NULL;

    for (gsize i = 0; i < n; i++)
        data[i] = (guint8)(i * 31 + (i >> 9));
    in = g_bytes_new(data, n);
    /* More than a pipe holds in both directions at once. */
    g_assert_cmpint(ds_transport_run(t, cat, in, &res, &error), ==, 0);
    g_assert_no_error(error);
    g_assert_cmpint(res.status, ==, 0);
    g_assert_true(g_bytes_equal(res.out, in));
    /* A child that never reads its stdin: no SIGPIPE for us. */
    g_assert_cmpint(ds_transport_run(t, tru, in, &res, &error), ==, 0);
    g_assert_no_error(error);
    g_assert_cmpint(res.status, ==, 0);
    ds_run_result_clear(&res);
}

static void test_run_limit(void)
{
    g_autoptr(ds_transport) t = open_local("local:", 10000, 100000);
    const char *yes[] = {"yes", NULL};
    const char *yes_err[] = {"sh", "-c", "yes >&2", NULL};
    ds_run_result res = {.status = -1};
    g_autoptr(GError) error = NULL;
    gint64 t0 = g_get_monotonic_time();

    g_assert_cmpint(ds_transport_run(t, yes, NULL, &res, &error), ==,
                    DS_EINVALID);
    g_assert_cmpstr(error->message, ==, "web01: yes: output over 100000 bytes");
    g_assert_cmpint(res.status, ==, -1);
    g_assert_null(res.out);
    g_clear_error(&error);
    g_assert_cmpint(ds_transport_run(t, yes_err, NULL, &res, &error), ==,
                    DS_EINVALID);
    g_assert_nonnull(strstr(error->message, "output over 100000 bytes"));
    /* Killed right away, not at the 10 s timeout. */
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 5 * G_USEC_PER_SEC);
}

static gboolean process_gone(pid_t pid)
{
    g_autofree char *stat_path = g_strdup_printf("/proc/%d/stat", pid);
    g_autofree char *stat = NULL;
    const char *p;

    if (kill(pid, 0) < 0 && errno == ESRCH)
        return TRUE;
    if (!g_file_get_contents(stat_path, &stat, NULL, NULL))
        return TRUE;
    p = strrchr(stat, ')');                 /* "pid (comm) S ..." */
    return p && p[1] == ' ' && p[2] == 'Z'; /* a zombie is dead too */
}

static void test_run_timeout(void)
{
    g_autoptr(ds_transport) t = open_local("local:", 1000, 0);
    g_autofree char *dir = ds_test_tmpdir("ds-timeout-XXXXXX");
    g_autofree char *pidfile = g_build_filename(dir, "pid", NULL);
    g_autofree char *script =
        g_strdup_printf("sleep 100 & echo $! > '%s'; wait", pidfile);
    const char *sleep_argv[] = {"sleep", "100", NULL};
    const char *group[] = {"sh", "-c", script, NULL};
    ds_run_result res = {.status = -1};
    g_autoptr(GError) error = NULL;
    g_autofree char *pidtext = NULL;
    gint64 t0 = g_get_monotonic_time(), dt;
    pid_t pid;

    g_assert_cmpint(ds_transport_run(t, sleep_argv, NULL, &res, &error), ==,
                    DS_EINTERRUPTED);
    dt = g_get_monotonic_time() - t0;
    g_assert_cmpstr(error->message, ==,
                    "web01: command timed out after 1 s: sleep");
    g_assert_cmpint(dt, >=, 900 * 1000);
    /* Killed at the timeout, long before sleep ends, however loaded the
     * machine: not a measure of its speed. */
    g_assert_cmpint(dt, <, 30 * G_USEC_PER_SEC);
    g_clear_error(&error);

    /* The whole process group goes, not only the shell. */
    g_assert_cmpint(ds_transport_run(t, group, NULL, &res, &error), ==,
                    DS_EINTERRUPTED);
    g_assert_true(g_file_get_contents(pidfile, &pidtext, NULL, NULL));
    pid = (pid_t)atoi(pidtext);
    g_assert_cmpint(pid, >, 1);
    for (int i = 0; i < 3000 && !process_gone(pid); i++) /* 30 s */
        g_usleep(10000);
    g_assert_true(process_gone(pid));
    unlink(pidfile);
    rmdir(dir);
}

static void test_run_missing_program(void)
{
    g_autoptr(ds_transport) t = open_local("local:", 0, 0);
    const char *argv[] = {"/nonexistent/ds-no-such-program", NULL};
    const char *empty[] = {NULL};
    ds_run_result res = {.status = -1};
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(ds_transport_run(t, argv, NULL, &res, &error), ==,
                    DS_ENOTFOUND);
    g_assert_true(g_str_has_prefix(error->message, "web01: cannot run "));
    g_clear_error(&error);
    g_assert_cmpint(ds_transport_run(t, empty, NULL, &res, &error), ==,
                    DS_EINVALID);
}

/* ---- registry and dispatch ------------------------------------------ */

static int fake_open(void **state, const char *uri,
                     const ds_transport_options *opts, GError **err)
{
    *state = g_strdup(uri);
    return 0;
}

static int fake_fetch(void *state, GBytes **out, GError **err)
{
    *out = g_bytes_new(state, strlen(state));
    return 0;
}

static const ds_transport_ops fake_ops = {
    .scheme = "dstest",
    .open = fake_open,
    .fetch = fake_fetch,
    .close = g_free,
};

static const ds_transport_ops fake_local_ops = {
    .scheme = "local",
    .open = fake_open,
};

static void test_registry(void)
{
    static const char *const builtin[] = {"local", "ssh", "https", "http",
                                          "agent"};
    ds_transport_options opts = {.host = "web01"};
    g_autoptr(ds_transport) t = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) body = NULL;
    ds_run_result res = {.status = -1};
    const char *argv[] = {"true", NULL};

    g_assert_cmpint(ds_transport_open(&t, "dstest:abc", &opts, &error), ==,
                    DS_EUNSUPPORTED);
    g_assert_cmpstr(error->message, ==,
                    "web01: unknown transport 'dstest:' (local, ssh, https, "
                    "agent)");
    g_clear_error(&error);
    g_assert_cmpint(ds_transport_register(&fake_ops), ==, 0);
    g_assert_cmpint(ds_transport_register(&fake_ops), ==, DS_ECONFLICT);
    g_assert_cmpint(ds_transport_register(&fake_local_ops), ==, DS_ECONFLICT);
    for (gsize i = 0; i < G_N_ELEMENTS(builtin); i++) {
        ds_transport_ops taken = fake_local_ops;
        taken.scheme = builtin[i];
        g_assert_cmpint(ds_transport_register(&taken), ==, DS_ECONFLICT);
    }
    g_assert_cmpint(ds_transport_open(&t, "DStest:abc", &opts, &error), ==, 0);
    g_assert_cmpstr(ds_transport_scheme(t), ==, "dstest");
    g_assert_cmpint(ds_transport_fetch(t, &body, &error), ==, 0);
    g_assert_cmpmem(g_bytes_get_data(body, NULL), g_bytes_get_size(body),
                    "DStest:abc", 10);
    /* NULL slots are "unsupported", naming host and transport. */
    g_assert_cmpint(ds_transport_run(t, argv, NULL, &res, &error), ==,
                    DS_EUNSUPPORTED);
    g_assert_cmpstr(error->message, ==,
                    "web01: the dstest transport cannot run commands");
    g_clear_error(&error);
    g_assert_null(ds_transport_root(t));
    g_clear_pointer(&t, ds_transport_free);

    t = open_local("local:", 0, 0);
    g_clear_pointer(&body, g_bytes_unref);
    g_assert_cmpint(ds_transport_fetch(t, &body, &error), ==, DS_EUNSUPPORTED);
    g_assert_null(body);
    g_assert_cmpstr(error->message, ==,
                    "web01: the local transport cannot fetch");
    g_clear_error(&error);
    g_clear_pointer(&t, ds_transport_free);

    g_assert_cmpint(ds_transport_open(&t, "no-scheme", &opts, &error), ==,
                    DS_EINVALID);
    g_clear_error(&error);
    g_assert_cmpint(ds_transport_open(&t, "local:relative/dir", &opts, &error),
                    ==, DS_EINVALID);
    g_clear_error(&error);
    g_assert_cmpint(
        ds_transport_open(&t, "local:/nonexistent/ds-root", &opts, &error), ==,
        DS_ENOTFOUND);
    g_assert_true(g_str_has_prefix(error->message, "web01: root "));
    g_assert_null(t);
    ds_transport_free(NULL);
}

/* URIs are checked before anything reaches ssh's argv (nothing connects
 * at open); http:// is the https driver, and only when allowed. */
static void test_uri_validation(void)
{
    static const char *const good[] = {
        "ssh://web01",
        "ssh://root@web01.example.com:2222",
        "ssh://h/",
        "SSH://u_1.x-y@10.0.0.1",
        "ssh://root@[::1]:22",
        "ssh://[fe80::1]",
    };
    static const char *const bad[] = {
        "ssh://",           "ssh://root@",
        "ssh://a b",        "ssh://host:0",
        "ssh://host:99999", "ssh://host:22x",
        "ssh://host/etc",   "ssh://ro;ot@h",
        "ssh://h;reboot",   "ssh://-oProxyCommand=x",
        "ssh://-l@h",       "ssh://root@-h",
        "ssh://.h",         "ssh://h?x",
        "ssh://[::1",       "ssh://[::1]x",
        "ssh://[a$b]",      "ssh://$(reboot)",
        "ssh://h\nx",       "ssh:host",
    };
    ds_transport_options opts = {.host = "web01"};
    ds_transport_options http_ok = {.host = "web01", .allow_http = TRUE};
    ds_transport_options long_dir = {
        .host = "web01",
        .control_dir = "/tmp/a-directory-name-that-is-far-too-long-for-sun",
    };
    g_autoptr(GError) error = NULL;
    ds_transport *t = NULL;

    for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
        g_assert_cmpint(ds_transport_open(&t, good[i], &opts, &error), ==, 0);
        g_assert_no_error(error);
        g_assert_cmpstr(ds_transport_scheme(t), ==, "ssh");
        g_clear_pointer(&t, ds_transport_free);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        if (ds_transport_open(&t, bad[i], &opts, &error) != DS_EINVALID)
            g_error("%s was accepted", bad[i]);
        g_assert_true(g_str_has_prefix(error->message, "web01: "));
        g_assert_null(t);
        g_clear_error(&error);
    }
    g_assert_cmpint(ds_transport_open(&t, "ssh://h", &long_dir, &error), ==,
                    DS_EINVALID);
    g_clear_error(&error);

    g_assert_cmpint(
        ds_transport_open(&t, "http://127.0.0.1:1/m.json", &opts, &error), ==,
        DS_EINVALID);
    g_assert_cmpstr(error->message, ==,
                    "web01: http://127.0.0.1:1/m.json: plain http is "
                    "refused (allow it explicitly)");
    g_clear_error(&error);
    g_assert_cmpint(
        ds_transport_open(&t, "http://127.0.0.1:1/m.json", &http_ok, &error),
        ==, 0);
    g_assert_cmpstr(ds_transport_scheme(t), ==, "https");
    g_clear_pointer(&t, ds_transport_free);
    g_assert_cmpint(
        ds_transport_open(&t, "https://u:pw@h/m.json", &opts, &error), ==,
        DS_EINVALID);
    g_assert_null(strstr(error->message, "pw"));
}

/* Extra ssh options: an allow-list (nothing that runs a command or
 * weakens the checks), checked alike by ds_transport_check (what the
 * configuration calls when it is read) and by open. */
static void test_ssh_options(void)
{
    static const char *const good[] = {
        "Port=2222",
        "ConnectTimeout=5",
        "serveraliveinterval=10",
        "Ciphers=aes128-ctr,chacha20-poly1305@openssh.com",
        "KexAlgorithms=+diffie-hellman-group14-sha256",
        "ProxyJump=bastion.example.com",
        "ProxyJump=admin@jump1:2222,ssh://jump2,[::1]:22",
        "ProxyJump=none",
        "AddressFamily=inet6",
        "RekeyLimit=1G",
        "TCPKeepAlive=no",
    };
    static const char *const bad[] = {
        "ProxyCommand=touch /srv/x",
        "ProxyCommand=nc %h %p",
        "proxycommand=x",
        "LocalCommand=x",
        "PermitLocalCommand=yes",
        "KnownHostsCommand=/bin/true",
        "RemoteCommand=id",
        "Match=exec x",
        "Include=/srv/evil",
        "StrictHostKeyChecking=no",
        "UserKnownHostsFile=/dev/null",
        "BatchMode=no",
        "ControlPath=/srv/x",
        "IdentityFile=/srv/k",
        "PKCS11Provider=/srv/x.so",
        "SecurityKeyProvider=/srv/x.so",
        "ForwardAgent=yes",
        "SendEnv=LD_PRELOAD",
        "LocalForward=1:h:2",
        "ProxyJump=-oProxyCommand=x",
        "ProxyJump=h;reboot",
        "ProxyJump=a,,b",
        "ProxyJump=",
        "Port=0",
        "Port=22x",
        "ConnectTimeout=-1",
        "Ciphers=aes128-ctr;id",
        "Compression=maybe",
        "HostKeyAlias=%h",
        "ConnectTimeout",
        "=5",
        "-oProxyCommand=x",
    };
    g_autoptr(GError) error = NULL;
    ds_transport *t = NULL;

    for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
        const char *opts_list[] = {good[i], NULL};
        ds_transport_options opts = {.host = "web01", .ssh_options = opts_list};

        if (ds_transport_ssh_check_option(good[i], &error) != 0)
            g_error("%s refused: %s", good[i], error->message);
        g_assert_cmpint(ds_transport_check("ssh://h", &opts, &error), ==, 0);
        g_assert_cmpint(ds_transport_open(&t, "ssh://h", &opts, &error), ==, 0);
        g_clear_pointer(&t, ds_transport_free);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        const char *opts_list[] = {"ConnectTimeout=5", bad[i], NULL};
        ds_transport_options opts = {.host = "web01", .ssh_options = opts_list};

        if (ds_transport_ssh_check_option(bad[i], &error) != DS_EINVALID)
            g_error("%s was accepted", bad[i]);
        g_clear_error(&error);
        g_assert_cmpint(ds_transport_check("ssh://h", &opts, &error), ==,
                        DS_EINVALID);
        g_assert_false(g_str_has_prefix(error->message, "web01"));
        g_clear_error(&error);
        g_assert_cmpint(ds_transport_open(&t, "ssh://h", &opts, &error), ==,
                        DS_EINVALID);
        g_assert_true(g_str_has_prefix(error->message, "web01: "));
        g_assert_null(t);
        g_clear_error(&error);
    }
    g_assert_cmpint(ds_transport_ssh_check_option("ProxyCommand=x", &error), ==,
                    DS_EINVALID);
    g_assert_true(g_str_has_prefix(error->message,
                                   "ssh option 'ProxyCommand' is not allowed "
                                   "(allowed: Port ConnectTimeout"));
    g_clear_error(&error);

    /* Paths handed to ssh, and the URI, checked without opening. */
    g_assert_cmpint(ds_transport_ssh_check_path("/etc/ds/id key", &error), ==,
                    DS_EINVALID);
    g_clear_error(&error);
    g_assert_cmpint(ds_transport_ssh_check_path("-oProxyCommand=x", &error), ==,
                    DS_EINVALID);
    g_clear_error(&error);
    g_assert_cmpint(ds_transport_ssh_check_path("/etc/ds/id_ed25519", &error),
                    ==, 0);
    g_assert_cmpint(ds_transport_check("ssh://root@h;reboot", NULL, &error), ==,
                    DS_EINVALID);
    g_assert_cmpstr(error->message, ==,
                    "'ssh://root@h;reboot': unsafe ssh host name");
    g_clear_error(&error);
    g_assert_cmpint(ds_transport_check("https://u:pw@h/m.json", NULL, &error),
                    ==, DS_EINVALID);
    g_assert_null(strstr(error->message, "pw"));
    g_clear_error(&error);
    g_assert_cmpint(ds_transport_check("http://h/m.json", NULL, &error), ==,
                    DS_EINVALID);
    g_clear_error(&error);
    g_assert_cmpint(ds_transport_check("local:", NULL, &error), ==, 0);
    g_assert_cmpint(ds_transport_check("gopher://h", NULL, &error), ==,
                    DS_EUNSUPPORTED);
}

/* ---- local files in a root ------------------------------------------ */

typedef struct {
    char *top;     /* temp dir holding both */
    char *root;    /* the unpacked root file system */
    char *outside; /* a directory outside it with a secret */
} fixture;

static void fixture_set_up(fixture *f, gconstpointer data)
{
    g_autofree char *etc = NULL, *secret = NULL, *link = NULL;
    g_autofree char *rel = NULL, *abs = NULL;

    f->top = ds_test_tmpdir("ds-root-XXXXXX");
    g_assert_nonnull(f->top);
    f->root = g_build_filename(f->top, "root", NULL);
    f->outside = g_build_filename(f->top, "outside", NULL);
    etc = g_build_filename(f->root, "etc", NULL);
    g_assert_cmpint(g_mkdir_with_parents(etc, 0755), ==, 0);
    g_assert_cmpint(g_mkdir_with_parents(f->outside, 0755), ==, 0);
    secret = g_build_filename(f->outside, "secret", NULL);
    g_assert_true(g_file_set_contents(secret, "TOP-SECRET\n", -1, NULL));

    /* An absolute symlink, a relative one climbing out, a directory link. */
    abs = g_build_filename(etc, "abs", NULL);
    g_assert_cmpint(symlink(secret, abs), ==, 0);
    rel = g_build_filename(etc, "rel", NULL);
    link = g_strconcat("../../../../../../../../..", secret, NULL);
    g_assert_cmpint(symlink(link, rel), ==, 0);
    g_free(link);
    link = g_build_filename(f->root, "evil", NULL);
    g_assert_cmpint(symlink(f->outside, link), ==, 0);
    g_free(link);
    link = g_build_filename(etc, "target", NULL);
    g_assert_cmpint(symlink(secret, link), ==, 0);
    g_free(link);
    link = g_build_filename(etc, "os-release", NULL);
    g_assert_true(g_file_set_contents(link, "ID=debian\n", -1, NULL));
    g_free(link);
    link = g_build_filename(f->root, "os", NULL);
    g_assert_cmpint(symlink("etc/../etc/./os-release", link), ==, 0);
    g_free(link);
    link = g_build_filename(etc, "loop", NULL);
    g_assert_cmpint(symlink("loop", link), ==, 0);
}

static void fixture_tear_down(fixture *f, gconstpointer data)
{
    const char *argv[] = {"rm", "-rf", f->top, NULL};
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, NULL, NULL, NULL, NULL));
    g_free(f->top);
    g_free(f->root);
    g_free(f->outside);
}

static ds_transport *open_root(fixture *f, gsize max_output)
{
    g_autofree char *uri = g_strconcat("local:", f->root, NULL);
    return open_local(uri, 0, max_output);
}

static void assert_content(ds_transport *t, const char *path, const char *want)
{
    g_autoptr(GBytes) b = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(ds_transport_read_file(t, path, &b, &error), ==, 0);
    g_assert_no_error(error);
    g_assert_cmpmem(g_bytes_get_data(b, NULL), g_bytes_get_size(b), want,
                    strlen(want));
}

static void test_local_read_write(fixture *f, gconstpointer data)
{
    g_autoptr(ds_transport) t = open_root(f, 0);
    g_autofree char *real = realpath(f->root, NULL);
    g_autofree char *onhost =
        g_build_filename(f->root, "etc", "app.conf", NULL);
    g_autofree char *etc = g_build_filename(f->root, "etc", NULL);
    g_autoptr(GBytes) v1 = g_bytes_new_static("one\n", 4);
    g_autoptr(GBytes) v2 = g_bytes_new_static("two\0bytes\n", 10);
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) b = NULL;
    g_autoptr(GDir) dir = NULL;
    const char *name;
    struct stat st;

    g_assert_cmpstr(ds_transport_root(t), ==, real);
    assert_content(t, "/etc/os-release", "ID=debian\n");
    assert_content(t, "/os", "ID=debian\n"); /* relative link inside */

    g_assert_cmpint(
        ds_transport_write_file(t, "/etc/app.conf", v1, 0640, &error), ==, 0);
    g_assert_no_error(error);
    g_assert_cmpint(stat(onhost, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0640);
    assert_content(t, "/etc/app.conf", "one\n");
    g_assert_cmpint(
        ds_transport_write_file(t, "/etc/app.conf", v2, 0600, &error), ==, 0);
    g_assert_cmpint(ds_transport_read_file(t, "/etc/app.conf", &b, &error), ==,
                    0);
    g_assert_true(g_bytes_equal(b, v2));
    g_clear_pointer(&b, g_bytes_unref);
    g_assert_cmpint(stat(onhost, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0600);
    /* No temporary file left behind. */
    dir = g_dir_open(etc, 0, NULL);
    while ((name = g_dir_read_name(dir)))
        g_assert_false(g_str_has_prefix(name, "."));

    g_assert_cmpint(ds_transport_read_file(t, "/etc/missing", &b, &error), ==,
                    DS_ENOTFOUND);
    g_assert_nonnull(strstr(error->message, "web01: /etc/missing (in "));
    g_clear_error(&error);
    g_assert_cmpint(ds_transport_read_file(t, "/etc", &b, &error), ==,
                    DS_EINVALID);
    g_assert_cmpstr(error->message, ==, "web01: /etc is not a regular file");
    g_clear_error(&error);
    g_assert_cmpint(ds_transport_read_file(t, "/etc/loop", &b, &error), ==,
                    DS_EINVALID);
    g_clear_error(&error);
    g_assert_cmpint(ds_transport_read_file(t, "etc/os-release", &b, &error), ==,
                    DS_EINVALID);
    g_clear_error(&error);
    g_assert_cmpint(ds_transport_write_file(t, "/nodir/x", v1, 0644, &error),
                    ==, DS_ENOTFOUND);
}

static void test_local_read_limit(fixture *f, gconstpointer data)
{
    g_autoptr(ds_transport) t = open_root(f, 5);
    g_autoptr(GBytes) b = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(ds_transport_read_file(t, "/etc/os-release", &b, &error),
                    ==, DS_EINVALID);
    g_assert_cmpstr(error->message, ==,
                    "web01: /etc/os-release: file over 5 bytes");
    g_assert_null(b);
}

static void assert_no_escape(ds_transport *t, const char *path)
{
    g_autoptr(GBytes) b = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(ds_transport_read_file(t, path, &b, &error), ==,
                    DS_ENOTFOUND);
    g_assert_null(b);
    g_assert_null(strstr(error->message, "TOP-SECRET"));
}

static void test_local_escape(fixture *f, gconstpointer data)
{
    g_autoptr(ds_transport) t = open_root(f, 0);
    g_autofree char *secret = g_build_filename(f->outside, "secret", NULL);
    g_autofree char *inside = g_build_filename(f->root, f->outside, NULL);
    g_autofree char *inside_secret = NULL;
    g_autofree char *outside_new = g_build_filename(f->outside, "new", NULL);
    g_autofree char *content = NULL;
    g_autoptr(GBytes) v = g_bytes_new_static("written\n", 8);
    g_autoptr(GError) error = NULL;
    g_autofree char *evil_secret = g_strconcat("/evil/secret", NULL);
    g_autofree char *dotdot = g_strconcat("/../../../../../..", secret, NULL);
    struct stat st;

    /* Symlinks pointing out of the root, and "..", stay inside it. */
    assert_no_escape(t, "/etc/abs");
    assert_no_escape(t, "/etc/rel");
    assert_no_escape(t, evil_secret);
    assert_no_escape(t, dotdot);

    /* Writing through a directory link that points outside stays inside
     * too (here: no such directory inside the root). */
    g_assert_cmpint(ds_transport_write_file(t, "/evil/new", v, 0644, &error),
                    ==, DS_ENOTFOUND);
    g_clear_error(&error);
    g_assert_cmpint(stat(outside_new, &st), ==, -1);

    /* Writing over a symlink replaces the link, not its target. */
    g_assert_cmpint(ds_transport_write_file(t, "/etc/target", v, 0644, &error),
                    ==, 0);
    g_assert_true(g_file_get_contents(secret, &content, NULL, NULL));
    g_assert_cmpstr(content, ==, "TOP-SECRET\n");
    assert_content(t, "/etc/target", "written\n");

    /* The same absolute link resolves as it would after chroot ROOT. */
    g_assert_cmpint(g_mkdir_with_parents(inside, 0755), ==, 0);
    inside_secret = g_build_filename(inside, "secret", NULL);
    g_assert_true(g_file_set_contents(inside_secret, "inside\n", -1, NULL));
    assert_content(t, "/etc/abs", "inside\n");
    assert_content(t, "/etc/rel", "inside\n");
    assert_content(t, evil_secret, "inside\n");
    assert_content(t, dotdot, "inside\n");
}

/* The same cases through both resolvers: openat2 and the manual walk. */
static void test_local_resolvers(fixture *f, gconstpointer data)
{
    g_autofree char *secret = g_build_filename(f->outside, "secret", NULL);
    g_autofree char *inside = g_build_filename(f->root, f->outside, NULL);
    g_autofree char *inside_secret = g_build_filename(inside, "secret", NULL);
    g_autofree char *dotdot = g_strconcat("/..", secret, NULL);
    const char *paths[] = {"/etc/abs", "/etc/rel", "/evil/secret", dotdot};
    int root_fd = open(f->root, O_PATH | O_DIRECTORY | O_CLOEXEC);

    g_assert_cmpint(root_fd, >=, 0);
    for (int manual = 0; manual < 2; manual++) {
        for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
            int fd = ds_local_open_in_root(root_fd, paths[i], O_RDONLY, manual);
            g_assert_cmpint(fd, ==, -ENOENT);
        }
        g_assert_cmpint(
            ds_local_open_in_root(root_fd, "/etc/loop", O_RDONLY, manual), ==,
            -ELOOP);
        g_assert_cmpint(
            ds_local_open_in_root(root_fd, "/os/x", O_RDONLY, manual), ==,
            -ENOTDIR);
    }
    g_assert_cmpint(g_mkdir_with_parents(inside, 0755), ==, 0);
    g_assert_true(g_file_set_contents(inside_secret, "inside\n", -1, NULL));
    for (int manual = 0; manual < 2; manual++) {
        for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
            char buf[16] = {0};
            int fd = ds_local_open_in_root(root_fd, paths[i], O_RDONLY, manual);
            g_assert_cmpint(fd, >=, 0);
            g_assert_cmpint(read(fd, buf, sizeof(buf) - 1), ==, 7);
            g_assert_cmpstr(buf, ==, "inside\n");
            close(fd);
        }
    }
    close(root_fd);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/transport/quote/examples", test_quote_examples);
    g_test_add_func("/transport/quote/property", test_quote_property);
    g_test_add_func("/transport/run/status-output", test_run_status_output);
    g_test_add_func("/transport/run/stdin", test_run_stdin);
    g_test_add_func("/transport/run/limit", test_run_limit);
    g_test_add_func("/transport/run/timeout", test_run_timeout);
    g_test_add_func("/transport/run/missing", test_run_missing_program);
    g_test_add_func("/transport/registry", test_registry);
    g_test_add_func("/transport/uri", test_uri_validation);
    g_test_add_func("/transport/ssh-options", test_ssh_options);
    g_test_add("/transport/local/read-write", fixture, NULL, fixture_set_up,
               test_local_read_write, fixture_tear_down);
    g_test_add("/transport/local/read-limit", fixture, NULL, fixture_set_up,
               test_local_read_limit, fixture_tear_down);
    g_test_add("/transport/local/escape", fixture, NULL, fixture_set_up,
               test_local_escape, fixture_tear_down);
    g_test_add("/transport/local/resolvers", fixture, NULL, fixture_set_up,
               test_local_resolvers, fixture_tear_down);
    return g_test_run();
}
