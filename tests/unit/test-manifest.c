/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-manifest.c: the manifest model, its validated parser
 * and its canonical serialisation (round trips, name rules, hostile
 * documents). */
#include "config.h"

#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>

#include "manifests/error.h"
#include "manifests/manifest.h"

/* ---- helpers ------------------------------------------------------------- */

static ds_manifest *parse_ok(const char *data, gsize len, const char *origin)
{
    g_autoptr(GError) err = NULL;
    ds_manifest *m = NULL;
    int rc = ds_manifest_parse(&m, data, len, origin, &err);

    if (rc != 0)
        g_test_message("unexpected error: %s", err ? err->message : "?");
    g_assert_cmpint(rc, ==, 0);
    g_assert_no_error(err);
    g_assert_nonnull(m);
    return m;
}

static GBytes *serialise_ok(const ds_manifest *m)
{
    g_autoptr(GError) err = NULL;
    GBytes *b = NULL;
    int rc = ds_manifest_serialise(&b, m, &err);

    if (rc != 0)
        g_test_message("unexpected error: %s", err ? err->message : "?");
    g_assert_cmpint(rc, ==, 0);
    g_assert_no_error(err);
    g_assert_nonnull(b);
    return b;
}

/* Parse must fail with DS_EINVALID; returns the message. */
static char *parse_fails(const char *data, gsize len, const char *origin)
{
    g_autoptr(GError) err = NULL;
    ds_manifest *m = NULL;
    int rc = ds_manifest_parse(&m, data, len, origin, &err);

    g_assert_cmpint(rc, ==, DS_EINVALID);
    g_assert_null(m);
    g_assert_nonnull(err);
    g_assert_cmpint(ds_error_code_of(err), ==, DS_EINVALID);
    g_assert_null(strchr(err->message, '\n'));
    return g_strdup(err->message);
}

static char *good_path(const char *name)
{
    return g_test_build_filename(G_TEST_DIST, "data", "good", name, NULL);
}

/* ---- fixtures ------------------------------------------------------------ */

static void test_good_fixtures_are_canonical(void)
{
    const char *names[] = { "web01.json", "db01.json", "web01-lab.json" };

    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *path = good_path(names[i]);
        g_autofree char *data = NULL;
        g_autoptr(GError) err = NULL;
        g_autoptr(ds_manifest) m = NULL;
        g_autoptr(ds_manifest) loaded = NULL;
        g_autoptr(GBytes) out = NULL;
        gsize len;

        g_assert_true(g_file_get_contents(path, &data, &len, NULL));
        m = parse_ok(data, len, names[i]);
        out = serialise_ok(m);
        g_assert_cmpmem(g_bytes_get_data(out, NULL), g_bytes_get_size(out),
                        data, len);
        g_assert_cmpint(ds_manifest_load(&loaded, path, &err), ==, 0);
        g_assert_no_error(err);
        g_assert_true(ds_manifest_equal(m, loaded));
        g_assert_cmpuint(m->packages->len, >=, 24);
        g_assert_nonnull(ds_manifest_find_package(m, "openssl"));
        g_assert_nonnull(ds_manifest_find_package(m, "openssh-server"));
        g_assert_nonnull(ds_manifest_find_file(m, "/etc/shadow"));
        g_assert_true(ds_manifest_find_file(m, "/etc/shadow")->secret);
        g_assert_null(ds_manifest_find_file(m, "/etc/shadow")->sha256);
        g_assert_nonnull(ds_manifest_find_service(m, "ssh.service"));
    }
}

static void test_web01_fields(void)
{
    g_autofree char *path = good_path("web01.json");
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_manifest) m = NULL;
    const ds_package *p;
    const ds_file *f;
    const ds_service *s;

    g_assert_cmpint(ds_manifest_load(&m, path, &err), ==, 0);
    g_assert_cmpstr(m->host, ==, "web01");
    g_assert_cmpint(m->role, ==, DS_ROLE_PROD);
    g_assert_cmpstr(m->collected_at, ==, "2026-11-27T02:00:05Z");
    g_assert_cmpstr(m->os.id, ==, "debian");
    g_assert_cmpstr(m->os.version, ==, "12");
    g_assert_cmpstr(m->kernel.running, ==, "6.1.0-28-amd64");
    g_assert_cmpuint(m->kernel.installed->len, ==, 2);
    g_assert_false(m->reboot_required);
    p = ds_manifest_find_package(m, "openssl");
    g_assert_cmpstr(p->version, ==, "3.0.15-1~deb12u1");
    g_assert_cmpstr(p->arch, ==, "amd64");
    g_assert_cmpstr(p->source, ==, "Debian:bookworm-security");
    g_assert_null(ds_manifest_find_package(m, "openssl-dev"));
    g_assert_null(ds_manifest_find_package(m, "a"));
    g_assert_null(ds_manifest_find_package(m, "zzz"));
    f = ds_manifest_find_file(m, "/etc/nginx/sites-enabled/default");
    g_assert_nonnull(f);
    g_assert_cmpint(f->type, ==, DS_FILE_SYMLINK);
    g_assert_cmpstr(f->target, ==, "/etc/nginx/sites-available/default");
    g_assert_cmpuint(f->mode, ==, 0777);
    f = ds_manifest_find_file(m, "/etc/ssh/sshd_config");
    g_assert_cmpint(f->type, ==, DS_FILE_REGULAR);
    g_assert_cmpuint(f->mode, ==, 0644);
    g_assert_cmpuint(strlen(f->sha256), ==, 64);
    g_assert_cmpuint(strlen(f->content_ref), ==, 40);
    f = ds_manifest_find_file(m, "/etc/shadow");
    g_assert_cmpuint(f->mode, ==, 0640);
    g_assert_cmpstr(f->group, ==, "shadow");
    g_assert_cmpuint(strlen(f->hmac), ==, 64);
    g_assert_null(f->content_ref);
    s = ds_manifest_find_service(m, "nginx.service");
    g_assert_cmpstr(s->enabled, ==, "enabled");
    g_assert_cmpstr(s->active, ==, "active");
    g_assert_cmpstr(m->collector.transport, ==, "ssh");
}

/* ---- names ----------------------------------------------------------------- */

static void test_names(void)
{
    const char *hosts_ok[] = { "web01", "db-01.example.com", "A", "x_y",
                               "1host" };
    const char *hosts_bad[] = { "", "../x", "..", "a/b", "a\nb", "$(reboot)",
                                "; rm -rf /", "-web", ".web", "web..01",
                                "web 01", "web01;", "wéb", "a\\b", "`id`" };
    const char *pkgs_ok[] = { "openssl", "libc6:i386", "g++", "libstdc++6",
                              "linux-image-6.1.0-28-amd64", "0ad", "xz-utils" };
    const char *pkgs_bad[] = { "", "a", "Openssl", "../x", "a/b", "a\nb",
                               "$(reboot)", "; rm -rf /", "-x", "+x",
                               "foo;bar", "foo bar", "libc6:", "libc6:i 386",
                               "foo:bar:baz" };
    const char *paths_ok[] = { "/etc/ssh/sshd_config", "/etc/shadow", "/x",
                               "/etc/.hidden", "/etc/..x", "/etc/x..",
                               "/etc/caf\xc3\xa9.conf" };
    const char *paths_bad[] = { "", "/", "etc/passwd", "../x", "/etc/../x",
                                "/etc/./x", "/etc//x", "/etc/", "/..",
                                "/etc/a\nb", "/etc/a\tb", "/etc/\x7f",
                                "/etc/\xff" "bad", "./x", "a/b" };
    const char *svcs_ok[] = { "ssh.service", "getty@tty1.service",
                              "getty@.service", "apt-daily.timer",
                              "dev-disk-by\\x2dlabel-root.device",
                              "sys-fs-fuse-connections.mount", "a:b.socket" };
    const char *svcs_bad[] = { "", "ssh", "ssh.foo", "../x.service",
                               "a/b.service", "a\nb.service",
                               "$(reboot).service", "; rm -rf /",
                               "-x.service", "a b.service", ".service",
                               "@x.service", "a@b@c.service",
                               "x.service;reboot", "x.service\n" };
    g_autofree char *longhost = g_strnfill(254, 'a');
    g_autofree char *okhost = g_strnfill(253, 'a');
    g_autofree char *longpath = NULL;

    for (gsize i = 0; i < G_N_ELEMENTS(hosts_ok); i++)
        g_assert_true(ds_name_is_safe_host(hosts_ok[i]));
    for (gsize i = 0; i < G_N_ELEMENTS(hosts_bad); i++) {
        if (ds_name_is_safe_host(hosts_bad[i]))
            g_error("host name accepted: %s", hosts_bad[i]);
    }
    g_assert_true(ds_name_is_safe_host(okhost));
    g_assert_false(ds_name_is_safe_host(longhost));
    g_assert_false(ds_name_is_safe_host(NULL));

    for (gsize i = 0; i < G_N_ELEMENTS(pkgs_ok); i++)
        g_assert_true(ds_name_is_safe_package(pkgs_ok[i]));
    for (gsize i = 0; i < G_N_ELEMENTS(pkgs_bad); i++) {
        if (ds_name_is_safe_package(pkgs_bad[i]))
            g_error("package name accepted: %s", pkgs_bad[i]);
    }
    g_assert_false(ds_name_is_safe_package(NULL));

    for (gsize i = 0; i < G_N_ELEMENTS(paths_ok); i++)
        g_assert_true(ds_name_is_safe_path(paths_ok[i]));
    for (gsize i = 0; i < G_N_ELEMENTS(paths_bad); i++) {
        if (ds_name_is_safe_path(paths_bad[i]))
            g_error("path accepted: %s", paths_bad[i]);
    }
    g_assert_false(ds_name_is_safe_path(NULL));
    longpath = g_strnfill(4097, 'a');
    longpath[0] = '/';
    g_assert_false(ds_name_is_safe_path(longpath));
    longpath[4096] = '\0';
    g_assert_true(ds_name_is_safe_path(longpath));

    for (gsize i = 0; i < G_N_ELEMENTS(svcs_ok); i++)
        g_assert_true(ds_name_is_safe_service(svcs_ok[i]));
    for (gsize i = 0; i < G_N_ELEMENTS(svcs_bad); i++) {
        if (ds_name_is_safe_service(svcs_bad[i]))
            g_error("service name accepted: %s", svcs_bad[i]);
    }
    g_assert_false(ds_name_is_safe_service(NULL));
}

/* Replace the first occurrence of `from` in a fixture by `to` and parse. */
static char *fixture_error(const char *from, const char *to)
{
    g_autofree char *path = good_path("web01.json");
    g_autofree char *data = NULL;
    g_autofree char *edited = NULL;
    char *at;

    g_assert_true(g_file_get_contents(path, &data, NULL, NULL));
    at = strstr(data, from);
    g_assert_nonnull(at);
    *at = '\0';
    edited = g_strconcat(data, to, at + strlen(from), NULL);
    return parse_fails(edited, strlen(edited), "web01.json");
}

static void test_error_messages(void)
{
    struct {
        const char *from, *to, *expect;
    } cases[] = {
        { "\"openssl\": {\n      \"arch\": \"amd64\",\n"
          "      \"source\": \"Debian:bookworm-security\",\n"
          "      \"version\": \"3.0.15-1~deb12u1\"",
          "\"openssl\": {\"arch\": \"amd64\", \"version\": 3",
          "web01.json: packages.openssl.version: expected a string, got an "
          "integer" },
        { "\"role\": \"prod\"", "\"role\": \"staging\"",
          "web01.json: role: expected \"prod\" or \"lab\"" },
        { "\"mode\": \"0640\"", "\"mode\": \"0999\"",
          "web01.json: files.\"/etc/shadow\".mode: expected four octal "
          "digits" },
        { "\"ssh.service\": {", "\"ssh\": {",
          "web01.json: services.ssh: not a safe systemd unit name" },
        { "\"host\": \"web01\"", "\"host\": \"../etc\"",
          "web01.json: host: \"../etc\" is not a safe host name" },
        { "\"reboot_required\": false", "\"reboot_required\": \"no\"",
          "web01.json: reboot_required: expected a boolean, got a string" },
        { "\"schema\": \"driftsync/manifest/v1\"",
          "\"schema\": \"driftsync/manifest/v2\"",
          "web01.json: schema: unsupported schema" },
        { "\"arch\": \"amd64\",\n      \"source\": \"Debian:bookworm\",\n"
          "      \"version\": \"2.6.1\"",
          "\"arch\": \"amd64\", \"version\": \"2.6.1\", \"colour\": 1",
          "web01.json: packages.apt.colour: unknown key" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *msg = fixture_error(cases[i].from, cases[i].to);
        if (!g_str_has_prefix(msg, cases[i].expect))
            g_error("case %" G_GSIZE_FORMAT ": got \"%s\", expected \"%s...\"",
                    i, msg, cases[i].expect);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/manifest/good-fixtures-canonical",
                    test_good_fixtures_are_canonical);
    g_test_add_func("/manifest/web01-fields", test_web01_fields);
    g_test_add_func("/manifest/names", test_names);
    g_test_add_func("/manifest/error-messages", test_error_messages);
    return g_test_run();
}
