/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-manifest.c: the manifest model, its validated parser
 * and its canonical serialisation (round trips, name rules, hostile
 * documents). */
#include <config.h>

#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>

#include "manifests/util/error.h"
#include "manifests/manifest.h"
#include "tests/unit/testutil.h"

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
    return ds_test_data("good", name, NULL);
}

/* ---- fixtures ------------------------------------------------------------ */

static void test_good_fixtures_are_canonical(void)
{
    const char *names[] = {"web01.json", "db01.json", "web01-lab.json"};

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

/* ds_manifest_parse_packages reads the packages and pending updates as
 * ds_manifest_parse does, and nothing of files, services or sources;
 * documents that are not manifests are refused all the same. */
static void test_parse_packages(void)
{
    const char *names[] = {"web01.json", "db01.json", "web01-lab.json"};
    const char *bad[] = {"missing-files.json", "invalid-json.json",
                         "package-version-semicolon.json",
                         "pending-version-semicolon.json",
                         "missing-schema.json", "truncated.json"};

    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *path = good_path(names[i]);
        g_autofree char *data = NULL;
        g_autoptr(GError) err = NULL;
        g_autoptr(ds_manifest) full = NULL;
        g_autoptr(ds_manifest) lean = NULL;
        gsize len;

        g_assert_true(g_file_get_contents(path, &data, &len, NULL));
        full = parse_ok(data, len, names[i]);
        g_assert_cmpint(ds_manifest_parse_packages(&lean, data, len, path,
                                                   &err), ==, 0);
        g_assert_no_error(err);
        g_assert_cmpstr(lean->host, ==, full->host);
        g_assert_cmpint(lean->role, ==, full->role);
        g_assert_cmpstr(lean->collected_at, ==, full->collected_at);
        g_assert_cmpstr(lean->platform, ==, full->platform);
        g_assert_cmpuint(lean->packages->len, ==, full->packages->len);
        for (guint j = 0; j < full->packages->len; j++) {
            const ds_package *a = full->packages->pdata[j];
            const ds_package *b = lean->packages->pdata[j];

            g_assert_cmpstr(a->name, ==, b->name);
            g_assert_cmpstr(a->version, ==, b->version);
            g_assert_cmpstr(a->arch, ==, b->arch);
        }
        g_assert_cmpint(!lean->pending, ==, !full->pending);
        for (guint j = 0; full->pending && j < full->pending->len; j++) {
            const ds_pending *a = full->pending->pdata[j];
            const ds_pending *b = lean->pending->pdata[j];

            g_assert_cmpstr(a->name, ==, b->name);
            g_assert_cmpstr(a->version, ==, b->version);
            g_assert_cmpint(a->security, ==, b->security);
        }
        g_assert_cmpuint(full->files->len, >, 0);
        g_assert_cmpuint(lean->files->len, ==, 0);
        g_assert_cmpuint(lean->services->len, ==, 0);
        g_assert_cmpuint(lean->sources->len, ==, 0);
    }
    {
        /* pending updates (none in the fixtures) */
        g_autofree char *path = good_path("web01.json");
        g_autofree char *data = NULL;
        g_autoptr(GError) err = NULL;
        g_autoptr(ds_manifest) m = NULL;
        g_autoptr(ds_manifest) lean = NULL;
        g_autoptr(GBytes) out = NULL;
        const ds_pending *p;
        gsize len;

        g_assert_true(g_file_get_contents(path, &data, &len, NULL));
        m = parse_ok(data, len, "web01.json");
        m->pending =
            g_ptr_array_new_with_free_func((GDestroyNotify)ds_pending_free);
        g_ptr_array_add(m->pending,
                        ds_pending_new("openssl", "3.0.16-1~deb12u1", "Debian",
                                       "bookworm-security", true));
        out = serialise_ok(m);
        g_assert_cmpint(ds_manifest_parse_packages(
                            &lean, g_bytes_get_data(out, NULL),
                            g_bytes_get_size(out), "pending", &err),
                        ==, 0);
        g_assert_cmpuint(lean->pending->len, ==, 1);
        p = lean->pending->pdata[0];
        g_assert_cmpstr(p->name, ==, "openssl");
        g_assert_cmpstr(p->version, ==, "3.0.16-1~deb12u1");
        g_assert_true(p->security);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *path = ds_test_data("bad", bad[i], NULL);
        g_autofree char *data = NULL;
        g_autoptr(GError) err = NULL;
        ds_manifest *m = NULL;
        gsize len;

        g_assert_true(g_file_get_contents(path, &data, &len, NULL));
        g_assert_cmpint(ds_manifest_parse_packages(&m, data, len, path, &err),
                        ==, DS_EINVALID);
        g_assert_null(m);
        g_assert_true(g_str_has_prefix(err->message, path));
    }
}

/* The example in doc/manifest-format.md is a canonical manifest. */
static void test_doc_example(void)
{
    g_autofree char *path = g_test_build_filename(G_TEST_DIST, "..", "doc",
                                                  "manifest-format.md", NULL);
    g_autofree char *text = NULL;
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GBytes) out = NULL;
    const char *start, *end;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    start = strstr(text, "```json\n");
    g_assert_nonnull(start);
    start += strlen("```json\n");
    end = strstr(start, "\n```\n");
    g_assert_nonnull(end);
    end++;
    m = parse_ok(start, (gsize)(end - start), "manifest-format.md");
    g_assert_nonnull(ds_manifest_find_file(m, "/etc/shadow"));
    out = serialise_ok(m);
    g_assert_cmpmem(g_bytes_get_data(out, NULL), g_bytes_get_size(out), start,
                    (gsize)(end - start));
}

/* ---- names -----------------------------------------------------------------
 */

static void test_names(void)
{
    const char *hosts_ok[] = {"web01", "db-01.example.com", "A", "x_y",
                              "1host"};
    const char *hosts_bad[] = {"",     "../x",      "..",         "a/b",
                               "a\nb", "$(reboot)", "; rm -rf /", "-web",
                               ".web", "web..01",   "web 01",     "web01;",
                               "wéb",  "a\\b",      "`id`"};
    const char *pkgs_ok[] = {"openssl",
                             "libc6:i386",
                             "g++",
                             "libstdc++6",
                             "linux-image-6.1.0-28-amd64",
                             "0ad",
                             "xz-utils"};
    const char *pkgs_bad[] = {
        "",        "a",         "Openssl",    "../x",        "a/b",
        "a\nb",    "$(reboot)", "; rm -rf /", "-x",          "+x",
        "foo;bar", "foo bar",   "libc6:",     "libc6:i 386", "foo:bar:baz"};
    const char *paths_ok[] = {"/etc/ssh/sshd_config", "/etc/shadow", "/x",
                              "/etc/.hidden",         "/etc/..x",    "/etc/x..",
                              "/etc/caf\xc3\xa9.conf"};
    const char *paths_bad[] = {"",
                               "/",
                               "etc/passwd",
                               "../x",
                               "/etc/../x",
                               "/etc/./x",
                               "/etc//x",
                               "/etc/",
                               "/..",
                               "/etc/a\nb",
                               "/etc/a\tb",
                               "/etc/\x7f",
                               "/etc/\xff",
                               "bad",
                               "./x",
                               "a/b"};
    const char *svcs_ok[] = {"ssh.service",
                             "getty@tty1.service",
                             "getty@.service",
                             "apt-daily.timer",
                             "dev-disk-by\\x2dlabel-root.device",
                             "sys-fs-fuse-connections.mount",
                             "a:b.socket"};
    const char *svcs_bad[] = {"",
                              "ssh",
                              "ssh.foo",
                              "../x.service",
                              "a/b.service",
                              "a\nb.service",
                              "$(reboot).service",
                              "; rm -rf /",
                              "-x.service",
                              "a b.service",
                              ".service",
                              "@x.service",
                              "a@b@c.service",
                              "x.service;reboot",
                              "x.service\n"};
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
        {"\"openssl\": {\n      \"arch\": \"amd64\",\n"
         "      \"source\": \"Debian:bookworm-security\",\n"
         "      \"version\": \"3.0.15-1~deb12u1\"",
         "\"openssl\": {\"arch\": \"amd64\", \"version\": 3",
         "web01.json: packages.openssl.version: expected a string, got an "
         "integer"},
        {"\"role\": \"prod\"", "\"role\": \"staging\"",
         "web01.json: role: expected \"prod\" or \"lab\""},
        {"\"mode\": \"0640\"", "\"mode\": \"0999\"",
         "web01.json: files.\"/etc/shadow\".mode: expected four octal "
         "digits"},
        {"\"ssh.service\": {", "\"ssh\": {",
         "web01.json: services.ssh: not a safe systemd unit name"},
        {"\"host\": \"web01\"", "\"host\": \"../etc\"",
         "web01.json: host: \"../etc\" is not a safe host name"},
        {"\"reboot_required\": false", "\"reboot_required\": \"no\"",
         "web01.json: reboot_required: expected a boolean, got a string"},
        {"\"schema\": \"driftsync/manifest/v1\"",
         "\"schema\": \"driftsync/manifest/v3\"",
         "web01.json: schema: unsupported schema"},
        {"\"arch\": \"amd64\",\n      \"source\": \"Debian:bookworm\",\n"
         "      \"version\": \"2.6.1\"",
         "\"arch\": \"amd64\", \"version\": \"2.6.1\", \"colour\": 1",
         "web01.json: packages.apt.colour: unknown key"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *msg = fixture_error(cases[i].from, cases[i].to);
        if (!g_str_has_prefix(msg, cases[i].expect))
            g_error("case %" G_GSIZE_FORMAT ": got \"%s\", expected \"%s...\"",
                    i, msg, cases[i].expect);
    }
}

/* ---- random manifests ------------------------------------------------------
 */

static char *rand_from(const char *first, const char *rest, int minlen,
                       int maxlen)
{
    int n = g_test_rand_int_range(minlen, maxlen + 1);
    GString *g = g_string_new(NULL);

    g_string_append_c(g, first[g_test_rand_int_range(0, (int)strlen(first))]);
    for (int i = 1; i < n; i++)
        g_string_append_c(g, rest[g_test_rand_int_range(0, (int)strlen(rest))]);
    return g_string_free(g, FALSE);
}

#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define DIGIT "0123456789"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
/* printable ASCII without space: quotes and backslashes test escaping */
#define TOKEN LOWER UPPER DIGIT "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

static char *rand_token(void)
{
    return rand_from(TOKEN, TOKEN, 1, 24);
}

static char *rand_maybe(char *(*fn)(void))
{
    return g_test_rand_int_range(0, 5) == 0 ? NULL : fn();
}

static const char *const words[] = {
    "Debian",
    "GNU/Linux",
    "12",
    "(bookworm)",
    "caf\xc3\xa9",
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
    "\xf0\x9f\x90\xa7",
    "\xc3\xbcn\xc3\xaf"
    "c\xc3\xb8"
    "d\xc3\xa9",
    "\"quoted\"",
    "back\\slash",
    "deb",
    "http://deb.debian.org/debian",
    "main",
    "[arch=amd64]",
    "/",
};

static char *rand_text(void)
{
    int n = g_test_rand_int_range(1, 6);
    GString *g = g_string_new(NULL);

    for (int i = 0; i < n; i++) {
        if (i)
            g_string_append_c(g, ' ');
        g_string_append(g,
                        words[g_test_rand_int_range(0, G_N_ELEMENTS(words))]);
    }
    return g_string_free(g, FALSE);
}

static char *rand_hex(int n)
{
    return rand_from(DIGIT "abcdef", DIGIT "abcdef", n, n);
}

static char *rand_host(void)
{
    for (;;) {
        char *h = rand_from(LOWER UPPER DIGIT, LOWER UPPER DIGIT "._-", 1, 30);
        if (ds_name_is_safe_host(h))
            return h;
        g_free(h);
    }
}

static char *rand_package_name(void)
{
    char *base = rand_from(LOWER DIGIT, LOWER DIGIT "+.-", 2, 20);
    char *name;

    if (g_test_rand_int_range(0, 8))
        return base;
    name = g_strconcat(base, ":i386", NULL);
    g_free(base);
    return name;
}

static char *rand_path(void)
{
    int n = g_test_rand_int_range(1, 5);
    GString *g = g_string_new(NULL);

    for (int i = 0; i < n; i++) {
        g_autofree char *c =
            rand_from(LOWER UPPER DIGIT "._-", LOWER UPPER DIGIT "._- ", 1, 12);
        if (c[0] == '.')
            c[0] = 'x';
        g_string_append_c(g, '/');
        g_string_append(g, c);
        if (i == n - 1 && g_test_rand_int_range(0, 6) == 0)
            g_string_append(g, "-\xc3\xa9t\xc3\xa9");
    }
    return g_string_free(g, FALSE);
}

static char *rand_service_name(void)
{
    static const char *const types[] = {".service", ".timer",  ".socket",
                                        ".mount",   ".target", ".path"};
    g_autofree char *base =
        rand_from(LOWER UPPER DIGIT, LOWER DIGIT ":_.-\\", 1, 20);
    const char *type = types[g_test_rand_int_range(0, G_N_ELEMENTS(types))];

    if (g_test_rand_int_range(0, 4) == 0) {
        g_autofree char *inst = rand_from(LOWER DIGIT, LOWER DIGIT "-", 1, 8);
        return g_strconcat(base, "@", inst, type, NULL);
    }
    return g_strconcat(base, type, NULL);
}

static char *rand_state(void)
{
    static const char *const states[] = {
        "enabled",  "disabled", "static",          "masked", "active",
        "inactive", "failed",   "enabled-runtime", "unknown"};
    return g_strdup(states[g_test_rand_int_range(0, G_N_ELEMENTS(states))]);
}

static char *rand_time(void)
{
    GString *g = g_string_new(NULL);
    int month = g_test_rand_int_range(1, 13);
    int year = g_test_rand_int_range(1970, 2100);

    g_string_printf(g, "%04d-%02d-%02dT%02d:%02d:%02d", year, month,
                    g_test_rand_int_range(1, 29), g_test_rand_int_range(0, 24),
                    g_test_rand_int_range(0, 60), g_test_rand_int_range(0, 60));
    if (g_test_rand_int_range(0, 4) == 0)
        g_string_append_printf(g, ".%d", g_test_rand_int_range(0, 1000000));
    g_string_append_c(g, 'Z');
    return g_string_free(g, FALSE);
}

/* A random valid Debian version: [EPOCH:]UPSTREAM[-REVISION]. */
static char *rand_version(void)
{
    g_autofree char *upstream =
        rand_from(DIGIT, LOWER UPPER DIGIT ".+~", 1, 12);
    g_autofree char *revision =
        g_test_rand_bit() ? rand_from(LOWER DIGIT, LOWER DIGIT ".+~", 1, 8)
                          : NULL;

    return g_strdup_printf("%s%s%s%s",
                           g_test_rand_int_range(0, 4) ? "" : "2:", upstream,
                           revision ? "-" : "", revision ? revision : "");
}

/* The selection members, each absent (not collected) half the time:
 * holds and auto marks from the packages, pending entries for the others. */
static void rand_selection(ds_manifest *m)
{
    bool collected = g_test_rand_bit();

    if (g_test_rand_bit())
        m->lists_updated_at = rand_time();
    if (!collected)
        return;
    m->holds = g_ptr_array_new_with_free_func(g_free);
    m->auto_marks = g_ptr_array_new_with_free_func(g_free);
    m->pending = g_ptr_array_new_with_free_func((GDestroyNotify)ds_pending_free);
    m->held_back =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_pending_free);
    for (guint i = 0; i < m->packages->len; i++) {
        const ds_package *p = m->packages->pdata[i];
        g_autofree char *v = rand_version();
        g_autofree char *o = g_test_rand_bit() ? rand_text() : NULL;
        g_autofree char *s = g_test_rand_bit() ? rand_token() : NULL;
        bool held = g_test_rand_int_range(0, 4) == 0;

        if (g_test_rand_bit())
            g_ptr_array_add(m->auto_marks, g_strdup(p->name));
        if (held)
            g_ptr_array_add(m->holds, g_strdup(p->name));
        if (g_test_rand_bit())
            g_ptr_array_add(held ? m->held_back : m->pending,
                            ds_pending_new(p->name, v, o, s,
                                           g_test_rand_bit()));
    }
}

/* A random valid manifest, normalised.  `scale` bounds the list sizes. */
static ds_manifest *rand_manifest(int scale)
{
    ds_manifest *m =
        ds_manifest_new(NULL, g_test_rand_bit() ? DS_ROLE_LAB : DS_ROLE_PROD);
    g_autoptr(GHashTable) seen =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GError) err = NULL;
    int n;

    m->host = rand_host();
    m->collected_at = g_test_rand_int_range(0, 5) ? rand_time() : NULL;
    m->os.id = rand_maybe(rand_token);
    m->os.version = rand_maybe(rand_token);
    m->os.name = rand_maybe(rand_text);
    m->kernel.running = rand_maybe(rand_token);
    n = g_test_rand_int_range(0, 4);
    for (int i = 0; i < n; i++)
        g_ptr_array_add(m->kernel.installed, rand_token());
    if (n && g_test_rand_bit()) /* an exact duplicate, dropped */
        g_ptr_array_add(m->kernel.installed,
                        g_strdup(m->kernel.installed->pdata[0]));
    m->reboot_required = g_test_rand_bit();

    n = g_test_rand_int_range(0, scale + 1);
    for (int i = 0; i < n; i++) {
        char *name = rand_package_name();
        const char *colon = strchr(name, ':');
        g_autofree char *version = rand_version();
        g_autofree char *source = g_test_rand_bit() ? rand_text() : NULL;
        if (!g_hash_table_add(seen, name))
            continue;
        g_ptr_array_add(
            m->packages,
            ds_package_new(name, version, colon ? colon + 1 : "amd64", source));
    }
    n = g_test_rand_int_range(0, 6);
    for (int i = 0; i < n; i++)
        g_ptr_array_add(m->sources, rand_text());

    n = g_test_rand_int_range(0, scale / 4 + 2);
    for (int i = 0; i < n; i++) {
        char *path = rand_path();
        ds_file *f;
        if (!g_hash_table_add(seen, path))
            continue;
        f = ds_file_new(path);
        f->mode = (guint)g_test_rand_int_range(0, 07777 + 1);
        f->owner = rand_token();
        f->group = rand_token();
        switch (g_test_rand_int_range(0, 4)) {
        case 0:
            f->type = DS_FILE_SYMLINK;
            f->target = rand_text();
            break;
        case 1:
            f->secret = true;
            f->hmac = rand_hex(64);
            break;
        default:
            f->sha256 = rand_hex(64);
            if (g_test_rand_bit())
                f->content_ref = rand_hex(40);
            if (g_test_rand_int_range(0, 4) == 0)
                f->content = g_bytes_new_static("not serialised", 14);
            break;
        }
        g_ptr_array_add(m->files, f);
    }

    n = g_test_rand_int_range(0, scale / 4 + 2);
    for (int i = 0; i < n; i++) {
        char *name = rand_service_name();
        g_autofree char *enabled = rand_state();
        g_autofree char *active = rand_state();
        if (!g_hash_table_add(seen, name))
            continue;
        g_ptr_array_add(m->services, ds_service_new(name, enabled, active));
    }
    m->collector.version = rand_maybe(rand_token);
    m->collector.transport = rand_maybe(rand_token);
    rand_selection(m);

    g_assert_cmpint(ds_manifest_normalise(m, &err), ==, 0);
    g_assert_no_error(err);
    return m;
}

/* jansson's own canonical dump of the same document, as a cross-check of
 * the hand-written serialiser. */
static char *jansson_canonical(GBytes *b)
{
    json_error_t jerr;
    json_t *root = json_loadb(g_bytes_get_data(b, NULL), g_bytes_get_size(b),
                              JSON_REJECT_DUPLICATES, &jerr);
    char *dump, *out;

    g_assert_nonnull(root);
    dump = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(root);
    out = g_strconcat(dump, "\n", NULL);
    free(dump);
    return out;
}

/* A copy of v with every object's members inserted in a random order. */
static json_t *shuffled(json_t *v)
{
    if (json_is_object(v)) {
        g_autoptr(GPtrArray) keys = g_ptr_array_new();
        json_t *o = json_object();
        const char *k;
        json_t *e;

        json_object_foreach(v, k, e) g_ptr_array_add(keys, (gpointer)k);
        for (guint i = keys->len; i > 1; i--) {
            guint j = (guint)g_test_rand_int_range(0, (gint32)i);
            gpointer t = keys->pdata[i - 1];
            keys->pdata[i - 1] = keys->pdata[j];
            keys->pdata[j] = t;
        }
        for (guint i = 0; i < keys->len; i++)
            json_object_set_new(o, keys->pdata[i],
                                shuffled(json_object_get(v, keys->pdata[i])));
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) json_array_append_new(a, shuffled(e));
        /* reverse the order: parse sorts arrays again */
        for (size_t x = 0, y = json_array_size(a); y > x + 1; x++, y--) {
            json_t *t1 = json_incref(json_array_get(a, x));
            json_t *t2 = json_incref(json_array_get(a, y - 1));
            json_array_set_new(a, x, t2);
            json_array_set_new(a, y - 1, t1);
        }
        return a;
    }
    return json_incref(v);
}

static void test_round_trip(void)
{
    const int iterations = g_test_quick() ? 300 : 1000;

    for (int it = 0; it < iterations; it++) {
        g_autoptr(ds_manifest) m = rand_manifest(it % 10 == 0 ? 200 : 30);
        g_autoptr(ds_manifest) back = NULL;
        g_autoptr(ds_manifest) back2 = NULL;
        g_autoptr(GBytes) b1 = serialise_ok(m);
        g_autoptr(GBytes) b2 = serialise_ok(m);
        g_autoptr(GBytes) b3 = NULL;
        g_autoptr(GBytes) b4 = NULL;
        g_autofree char *viajansson = NULL;
        json_t *root, *shuf;
        char *dump;
        gsize len;
        const char *data = g_bytes_get_data(b1, &len);

        /* serialising twice: the same bytes */
        g_assert_true(g_bytes_equal(b1, b2));
        /* serialise -> parse -> equal */
        back = parse_ok(data, len, "random");
        g_assert_true(ds_manifest_equal(m, back));
        /* serialise(parse(canonical)) == canonical */
        b3 = serialise_ok(back);
        g_assert_true(g_bytes_equal(b1, b3));
        /* same bytes as jansson's sorted, indented dump */
        viajansson = jansson_canonical(b1);
        g_assert_cmpmem(data, len, viajansson, strlen(viajansson));
        /* key and array order of the input does not matter */
        root = json_loadb(data, len, 0, NULL);
        g_assert_nonnull(root);
        shuf = shuffled(root);
        dump = json_dumps(shuf, JSON_COMPACT);
        back2 = parse_ok(dump, strlen(dump), "shuffled");
        b4 = serialise_ok(back2);
        g_assert_true(g_bytes_equal(b1, b4));
        free(dump);
        json_decref(shuf);
        json_decref(root);
        /* content buffers are not part of the state */
        for (guint i = 0; i < back->files->len; i++)
            g_assert_null(((ds_file *)back->files->pdata[i])->content);
    }
}

/* Changing any one field changes equality and the bytes. */
static void test_equal_detects_changes(void)
{
    g_autofree char *path = good_path("web01.json");
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_manifest) a = NULL;
    g_autoptr(GBytes) ba = NULL;
    enum { N_MUT = 14 };

    g_assert_cmpint(ds_manifest_load(&a, path, &err), ==, 0);
    ba = serialise_ok(a);
    for (int k = 0; k < N_MUT; k++) {
        g_autoptr(ds_manifest) b = NULL;
        g_autoptr(GBytes) bb = NULL;
        ds_package *p;
        ds_file *f;
        ds_service *s;

        g_assert_cmpint(ds_manifest_load(&b, path, &err), ==, 0);
        g_assert_true(ds_manifest_equal(a, b));
        p = (ds_package *)ds_manifest_find_package(b, "openssl");
        f = (ds_file *)ds_manifest_find_file(b, "/etc/ssh/sshd_config");
        s = (ds_service *)ds_manifest_find_service(b, "ssh.service");
        switch (k) {
        case 0:
            b->role = DS_ROLE_LAB;
            break;
        case 1:
            g_free(p->version);
            p->version = g_strdup("3.0.16-1");
            break;
        case 2:
            g_free(p->source);
            p->source = NULL;
            break;
        case 3:
            f->mode = 0600;
            break;
        case 4:
            g_free(f->owner);
            f->owner = g_strdup("www-data");
            break;
        case 5:
            g_free(f->sha256);
            f->sha256 = g_strnfill(64, '0');
            break;
        case 6:
            g_free(f->content_ref);
            f->content_ref = NULL;
            break;
        case 7:
            g_free(s->active);
            s->active = g_strdup("failed");
            break;
        case 8:
            b->reboot_required = !b->reboot_required;
            break;
        case 9:
            g_ptr_array_remove_index(b->sources, 0);
            break;
        case 10:
            g_ptr_array_add(b->kernel.installed, g_strdup("6.1.0-29-amd64"));
            break;
        case 11:
            g_free(b->os.name);
            b->os.name = NULL;
            break;
        case 12:
            g_ptr_array_remove_index(b->packages, 3);
            break;
        case 13:
            g_free(b->collector.transport);
            b->collector.transport = g_strdup("local");
            break;
        }
        g_assert_false(ds_manifest_equal(a, b));
        g_assert_false(ds_manifest_equal(b, a));
        bb = serialise_ok(b);
        g_assert_false(g_bytes_equal(ba, bb));
    }
    g_assert_true(ds_manifest_equal(NULL, NULL));
    g_assert_false(ds_manifest_equal(a, NULL));
}

/* ---- normalise, serialise refusals, look-ups ----------------------------- */

/* The same state collected again: equal but for collected_at, and neither
 * manifest touched (the bytes of both stay what they were). */
static void test_same_state(void)
{
    g_autofree char *path = good_path("web01.json");
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_manifest) a = NULL;
    g_autoptr(ds_manifest) b = NULL;
    g_autoptr(GBytes) a0 = NULL;
    g_autoptr(GBytes) b0 = NULL;
    g_autoptr(GBytes) a1 = NULL;
    g_autoptr(GBytes) b1 = NULL;
    const char *a_when, *b_when;
    ds_package *p;

    g_assert_cmpint(ds_manifest_load(&a, path, &err), ==, 0);
    g_assert_cmpint(ds_manifest_load(&b, path, &err), ==, 0);
    g_free(b->collected_at);
    b->collected_at = g_strdup("2026-11-28T02:00:05Z");
    a0 = serialise_ok(a);
    b0 = serialise_ok(b);
    a_when = a->collected_at;
    b_when = b->collected_at;

    g_assert_false(ds_manifest_equal(a, b));
    g_assert_true(ds_manifest_same_state(a, b));
    g_assert_true(ds_manifest_same_state(b, a));
    /* untouched: the same strings, the same bytes */
    g_assert_true(a->collected_at == a_when && b->collected_at == b_when);
    a1 = serialise_ok(a);
    b1 = serialise_ok(b);
    g_assert_true(g_bytes_equal(a0, a1));
    g_assert_true(g_bytes_equal(b0, b1));

    /* any other difference is a different state */
    p = g_ptr_array_index(b->packages, 0);
    g_free(p->version);
    p->version = g_strdup("0:0");
    g_assert_false(ds_manifest_same_state(a, b));
    g_assert_true(ds_manifest_same_state(a, a));
    g_assert_false(ds_manifest_same_state(a, NULL));
}

static void test_normalise(void)
{
    g_autoptr(ds_manifest) m = ds_manifest_new("web01", DS_ROLE_PROD);
    g_autoptr(GError) err = NULL;
    const char *names[] = {"zlib1g", "openssl", "apt", "libc6", "bash"};
    const char *order[] = {"apt", "bash", "libc6", "openssl", "zlib1g"};

    for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
        g_ptr_array_add(m->packages,
                        ds_package_new(names[i], "1.0", "amd64", NULL));
    /* an exact duplicate is dropped */
    g_ptr_array_add(m->packages, ds_package_new("bash", "1.0", "amd64", NULL));
    g_ptr_array_add(m->sources, g_strdup("deb http://b/ x main"));
    g_ptr_array_add(m->sources, g_strdup("deb http://a/ x main"));
    g_ptr_array_add(m->sources, g_strdup("deb http://b/ x main"));
    g_ptr_array_add(m->kernel.installed, g_strdup("6.1.0-28-amd64"));
    g_ptr_array_add(m->kernel.installed, g_strdup("6.1.0-27-amd64"));
    g_ptr_array_add(m->kernel.installed, g_strdup("6.1.0-28-amd64"));
    g_ptr_array_add(m->services,
                    ds_service_new("ssh.service", "enabled", "active"));
    g_ptr_array_add(m->services,
                    ds_service_new("cron.service", "enabled", "active"));
    g_ptr_array_add(m->services,
                    ds_service_new("ssh.service", "enabled", "active"));

    /* look-ups need a normalised manifest */
    g_assert_cmpint(ds_manifest_normalise(m, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(m->packages->len, ==, G_N_ELEMENTS(order));
    for (gsize i = 0; i < G_N_ELEMENTS(order); i++) {
        g_assert_cmpstr(((ds_package *)m->packages->pdata[i])->name, ==,
                        order[i]);
        g_assert_true(ds_manifest_find_package(m, order[i]) ==
                      m->packages->pdata[i]);
    }
    g_assert_cmpuint(m->sources->len, ==, 2);
    g_assert_cmpstr(m->sources->pdata[0], ==, "deb http://a/ x main");
    g_assert_cmpuint(m->kernel.installed->len, ==, 2);
    g_assert_cmpstr(m->kernel.installed->pdata[0], ==, "6.1.0-27-amd64");
    g_assert_cmpuint(m->services->len, ==, 2);
    g_assert_cmpstr(((ds_service *)m->services->pdata[0])->name, ==,
                    "cron.service");
    g_assert_null(ds_manifest_find_service(m, "nginx.service"));
    g_assert_null(ds_manifest_find_file(m, "/etc/shadow"));
    g_assert_null(ds_manifest_find_package(NULL, "apt"));
    /* idempotent */
    g_assert_cmpint(ds_manifest_normalise(m, &err), ==, 0);
    g_assert_cmpuint(m->packages->len, ==, G_N_ELEMENTS(order));

    /* same key, different values: refused, naming the key */
    g_ptr_array_add(m->packages,
                    ds_package_new("openssl", "3.0.16-1", "amd64", NULL));
    g_assert_cmpint(ds_manifest_normalise(m, &err), ==, DS_EINVALID);
    g_assert_cmpstr(err->message, ==,
                    "web01: packages.openssl: two entries with different "
                    "values");
    g_clear_error(&err);
    g_ptr_array_set_size(m->packages, 0);
    {
        ds_file *a = ds_file_new("/etc/hosts");
        ds_file *b = ds_file_new("/etc/hosts");
        a->mode = 0644;
        b->mode = 0600;
        g_ptr_array_add(m->files, a);
        g_ptr_array_add(m->files, b);
    }
    g_assert_cmpint(ds_manifest_normalise(m, &err), ==, DS_EINVALID);
    g_assert_cmpstr(err->message, ==,
                    "web01: files.\"/etc/hosts\": two entries with different "
                    "values");
}

/* The serialiser refuses what the parser would refuse, and sorts what it
 * is given. */
static void test_serialise_checks(void)
{
    g_autofree char *path = good_path("db01.json");
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GBytes) canon = NULL;
    g_autoptr(GBytes) again = NULL;
    GBytes *b = NULL;
    struct {
        const char *what, *expect;
    } cases[] = {
        {"host", "manifest: host: \"../x\" is not a safe host name"},
        {"package", "db01: packages.\"x;reboot\": not a safe package name"},
        {"path", "db01: files.\"/etc/../x\": not a safe file path"},
        {"service", "db01: services.\"a b.service\": not a safe systemd"},
        {"version", "db01: packages.apt.version: contains whitespace"},
        {"mode", "db01: files.\"/etc/apt/sources.list\".mode: 010000 is not"},
        {"owner", "db01: files.\"/etc/apt/sources.list\".owner: missing"},
        {"duplicate", "db01: packages.apt: listed twice"},
        {"source", "db01: sources[0]: contains a line break"},
        {"time", "db01: collected_at: not an RFC 3339 UTC time"},
    };

    g_assert_cmpint(ds_manifest_load(&m, path, &err), ==, 0);
    canon = serialise_ok(m);
    /* unsorted lists are written sorted, without touching the manifest */
    {
        gpointer first = g_ptr_array_steal_index(m->packages, 0);
        g_ptr_array_add(m->packages, first);
        g_ptr_array_add(m->sources, g_strdup(m->sources->pdata[0]));
        again = serialise_ok(m);
        g_assert_true(g_bytes_equal(canon, again));
        g_assert_true(m->packages->pdata[m->packages->len - 1] == first);
    }

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(ds_manifest) c = NULL;
        ds_package *apt;
        ds_file *f;

        g_assert_cmpint(ds_manifest_load(&c, path, &err), ==, 0);
        apt = c->packages->pdata[0];
        f = (ds_file *)ds_manifest_find_file(c, "/etc/apt/sources.list");
        switch (i) {
        case 0:
            g_free(c->host);
            c->host = g_strdup("../x");
            break;
        case 1:
            g_ptr_array_add(c->packages,
                            ds_package_new("x;reboot", "1", "amd64", NULL));
            break;
        case 2:
            g_ptr_array_add(c->files, ds_file_new("/etc/../x"));
            break;
        case 3:
            g_ptr_array_add(c->services,
                            ds_service_new("a b.service", "enabled", "active"));
            break;
        case 4:
            g_free(apt->version);
            apt->version = g_strdup("2.6 1");
            break;
        case 5:
            f->mode = 010000;
            break;
        case 6:
            g_free(f->owner);
            f->owner = NULL;
            break;
        case 7:
            g_ptr_array_add(c->packages,
                            ds_package_new("apt", "2.7", "amd64", NULL));
            break;
        case 8:
            g_free(c->sources->pdata[0]);
            c->sources->pdata[0] = g_strdup("deb x\ndeb y");
            break;
        case 9:
            g_free(c->collected_at);
            c->collected_at = g_strdup("2026-11-27 02:00:05");
            break;
        }
        g_assert_cmpint(ds_manifest_serialise(&b, c, &err), ==, DS_EINVALID);
        g_assert_null(b);
        if (!g_str_has_prefix(err->message, cases[i].expect))
            g_error("%s: got \"%s\", expected \"%s...\"", cases[i].what,
                    err->message, cases[i].expect);
        g_clear_error(&err);
    }

    /* a new, nearly empty manifest serialises and parses back */
    {
        g_autoptr(ds_manifest) e = ds_manifest_new("lab-1", DS_ROLE_LAB);
        g_autoptr(ds_manifest) back = NULL;
        g_autoptr(GBytes) eb = serialise_ok(e);
        static const char expect[] =
            "{\n  \"collector\": {},\n  \"files\": {},\n"
            "  \"host\": \"lab-1\",\n  \"kernel\": {\n"
            "    \"installed\": []\n  },\n  \"os\": {},\n"
            "  \"packages\": {},\n  \"reboot_required\": false,\n"
            "  \"role\": \"lab\",\n"
            "  \"schema\": \"driftsync/manifest/v1\",\n"
            "  \"services\": {},\n  \"sources\": []\n}\n";
        g_assert_cmpmem(g_bytes_get_data(eb, NULL), g_bytes_get_size(eb),
                        expect, sizeof expect - 1);
        back = parse_ok(expect, sizeof expect - 1, "empty");
        g_assert_true(ds_manifest_equal(e, back));
    }
}

/* ---- differential test against jansson ----------------------------------- */

static void mutate(GString *g)
{
    static const char chars[] = "{}[]\",:\\ \nax0-tfnu/e.\x7f\xff\xc3";
    gsize pos = g->len ? (gsize)g_test_rand_int_range(0, (gint32)g->len) : 0;
    char c = chars[g_test_rand_int_range(0, sizeof chars)]; /* incl. NUL */

    switch (g_test_rand_int_range(0, 6)) {
    case 0:
        if (g->len)
            g_string_erase(g, (gssize)pos, 1);
        break;
    case 1:
        g_string_insert_len(g, (gssize)pos, &c, 1);
        break;
    case 2:
        if (g->len)
            g->str[pos] = c;
        break;
    case 3: { /* repeat a line: mostly duplicate keys */
        const char *start = g->str + pos, *end;
        while (start > g->str && start[-1] != '\n')
            start--;
        end = strchr(start, '\n');
        if (end) {
            g_autofree char *line = g_strndup(start, (gsize)(end - start + 1));
            g_string_insert(g, end + 1 - g->str, line);
        }
        break;
    }
    case 4: { /* drop a line */
        const char *start = g->str + pos, *end;
        while (start > g->str && start[-1] != '\n')
            start--;
        end = strchr(start, '\n');
        if (end)
            g_string_erase(g, start - g->str, end - start + 1);
        break;
    }
    default: /* escape a character of a string */
        if (g->len && g_ascii_isalpha(g->str[pos])) {
            char esc[8];
            g_snprintf(esc, sizeof esc, "\\u%04x", (guchar)g->str[pos]);
            g_string_erase(g, (gssize)pos, 1);
            g_string_insert(g, (gssize)pos, esc);
        }
        break;
    }
}

/* Randomly damaged documents: whatever jansson refuses is refused; what
 * is accepted is the same manifest jansson reads; a document jansson
 * reads is never called invalid JSON. */
static void test_differential(void)
{
    const char *names[] = {"web01.json", "db01.json"};
    const int iterations = 3000;
    guint accepted = 0;

    for (int it = 0; it < iterations; it++) {
        g_autofree char *path = good_path(names[it % 2]);
        g_autofree char *data = NULL;
        g_autoptr(GString) g = NULL;
        g_autoptr(GError) err = NULL;
        g_autoptr(ds_manifest) ours = NULL;
        json_error_t jerr;
        json_t *j;
        int rc, n = g_test_rand_int_range(1, 4);

        g_assert_true(g_file_get_contents(path, &data, NULL, NULL));
        g = g_string_new(data);
        for (int k = 0; k < n; k++)
            mutate(g);
        rc = ds_manifest_parse(&ours, g->str, g->len, "fuzz", &err);
        j = json_loadb(g->str, g->len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
                       &jerr);
        if (!j) {
            if (rc == 0)
                g_error("accepted what jansson refuses (%s): %s", jerr.text,
                        g->str);
            g_assert_cmpint(rc, ==, DS_EINVALID);
            continue;
        }
        if (rc == 0) {
            g_autoptr(ds_manifest) theirs = NULL;
            char *dump = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
            theirs = parse_ok(dump, strlen(dump), "jansson");
            g_assert_true(ds_manifest_equal(ours, theirs));
            free(dump);
            accepted++;
        } else {
            g_assert_cmpint(rc, ==, DS_EINVALID);
            if (strstr(err->message, "invalid JSON"))
                g_error("jansson reads what was called invalid: %s\n%s",
                        err->message, g->str);
        }
        json_decref(j);
    }
    g_test_message("%u of %d damaged documents still valid", accepted,
                   iterations);
    g_assert_cmpuint(accepted, >, 0);
}

/* The canonical bytes the parse gives with the manifest are
 * ds_manifest_serialise's: the input itself when it is canonical, and
 * not when only its layout or key order differs. */
static void test_parse_canonical(void)
{
    const char *names[] = {"web01.json", "db01.json", "web01-lab.json"};

    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *path = good_path(names[i]);
        g_autofree char *data = NULL;
        g_autoptr(GError) err = NULL;
        g_autoptr(ds_manifest) m = NULL, m2 = NULL;
        g_autoptr(GBytes) canon = NULL, canon2 = NULL, ser = NULL;
        json_t *j;
        char *other;
        gsize len;

        g_assert_true(g_file_get_contents(path, &data, &len, NULL));
        g_assert_cmpint(ds_manifest_parse_canonical(&m, &canon, data, len,
                                                    names[i], &err),
                        ==, 0);
        g_assert_no_error(err);
        g_assert_cmpmem(g_bytes_get_data(canon, NULL),
                        g_bytes_get_size(canon), data, len);

        /* the same document, compact and in the order it was read */
        j = json_loadb(data, len, 0, NULL);
        g_assert_nonnull(j);
        other = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(j);
        g_assert_cmpint(ds_manifest_parse_canonical(&m2, &canon2, other,
                                                    strlen(other), "compact",
                                                    &err),
                        ==, 0);
        g_assert_no_error(err);
        g_assert_false(g_bytes_get_size(canon2) == strlen(other) &&
                       !memcmp(g_bytes_get_data(canon2, NULL), other,
                               strlen(other)));
        ser = serialise_ok(m2);
        g_assert_true(g_bytes_equal(canon2, ser));
        g_assert_true(g_bytes_equal(canon2, canon));
        g_assert_true(ds_manifest_equal(m, m2));
        free(other);
    }
}

/* Invalid UTF-8 is reported after the syntax is known good, at the first
 * bad byte, in a key as in a value. */
static void test_utf8_order(void)
{
    static const struct {
        const char *doc, *expect;
    } cases[] = {
        {"{\"a\": \"x\xff\", \"b\" 1}",
         "line 1, column 17: invalid JSON: expected ':'"},
        {"{\"a\": \"x\xc3\", \"b\": \"\xe2\x82\"}",
         "line 1, column 9: not valid UTF-8 (byte 0xc3)"},
        {"{\"ok\xc3\xa9\": 1,\n \"k\xe2\x82\": 2}",
         "line 2, column 4: not valid UTF-8 (byte 0xe2)"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        ds_manifest *m = NULL;

        g_assert_cmpint(ds_manifest_parse(&m, cases[i].doc,
                                          strlen(cases[i].doc), "t", &err),
                        ==, DS_EINVALID);
        if (!strstr(err->message, cases[i].expect))
            g_error("case %" G_GSIZE_FORMAT ": got \"%s\", expected \"%s\"",
                    i, err->message, cases[i].expect);
    }
}

/* ---- the hostile corpus -------------------------------------------------- */

static void test_bad_corpus(void)
{
    g_autofree char *dir =
        ds_test_data("bad", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(GDir) d = g_dir_open(dir, 0, &err);
    const char *name;
    guint n = 0;

    g_assert_no_error(err);
    while ((name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_autoptr(GError) e = NULL;
        ds_manifest *m = NULL;
        int rc = ds_manifest_load(&m, path, &e);

        if (rc != DS_EINVALID)
            g_error("%s: expected DS_EINVALID, got %d", name, rc);
        g_assert_null(m);
        g_assert_nonnull(e);
        g_assert_cmpint(ds_error_code_of(e), ==, DS_EINVALID);
        /* one line, starting with the file name */
        g_assert_true(g_str_has_prefix(e->message, path));
        g_assert_null(strchr(e->message, '\n'));
        g_assert_cmpuint(strlen(e->message), <, 600);
        g_test_message("%s: %s", name, e->message);
        n++;
    }
    g_assert_cmpuint(n, >=, 25);
}

/* Specific files give messages naming the field (path) and the cause. */
static void test_bad_corpus_messages(void)
{
    struct {
        const char *file, *expect;
    } cases[] = {
        {"package-version-integer.json",
         ": packages.openssl.version: expected a string, got an integer"},
        {"package-version-semicolon.json",
         ": packages.openssl.version: not a Debian version"},
        {"package-version-dash.json",
         ": packages.openssl.version: not a Debian version"},
        {"pending-version-semicolon.json",
         ": pending.openssl.version: not a Debian version"},
        {"missing-schema.json", ": schema: missing"},
        {"wrong-schema.json", ": schema: unsupported schema"},
        {"missing-host.json", ": host: missing"},
        {"host-dotdot.json", ": host: \"../etc\" is not a safe host name"},
        {"host-nul.json", ": host: contains a NUL character"},
        {"package-name-shell.json",
         ": packages.\"$(reboot)\": not a safe package name"},
        {"package-name-newline.json",
         ": packages.\"foo\\nbar\": not a safe package name"},
        {"file-path-relative.json",
         ": files.\"etc/passwd\": not a safe file path"},
        {"file-path-nul.json",
         ": files.\"/etc/pass\\u0000wd\": contains a NUL character"},
        {"bom.json", ": starts with a byte order mark"},
        {"file-sha256-short.json",
         ": files.\"/etc/ssh/sshd_config\".sha256: not a SHA-256 digest"},
        {"file-mode-too-big.json",
         ": files.\"/etc/ssh/sshd_config\".mode: expected four octal"},
        {"non-utf8.json", ": line 68, column 40: "},
        {"non-utf8.json", ": not valid UTF-8"},
        {"invalid-json.json", ": invalid JSON: "},
        {"trailing-garbage.json",
         ": line 293, column 1: invalid JSON: data after the end of the "
         "document"},
        {"duplicate-keys.json", ": host: duplicate key"},
        {"duplicate-package.json", ": packages.openssl: duplicate key"},
        {"deep-nesting.json", ": line 1, column 9: nested deeper than 8"},
        {"role-staging.json", ": role: expected \"prod\" or \"lab\""},
        {"collected-at-not-a-date.json",
         ": collected_at: not an RFC 3339 UTC time"},
        {"sources-newline.json", ": sources[3]: contains a line break"},
        {"service-bad-name.json",
         ": services.\"ssh;reboot.service\": not a safe systemd unit name"},
        {"reboot-required-string.json",
         ": reboot_required: expected a boolean, got a string"},
        {"empty.json", ": empty document"},
        {"top-level-array.json",
         ": expected a JSON object at the top level, got an array"},
        {"unknown-top-level-key.json", ": colour: unknown key"},
        {"os-name-too-long.json", ": os.name: string of 70000 bytes"},
        {"nul-byte-raw.json", ": NUL byte in the document"},
        {"file-secret-with-sha256.json",
         ": files.\"/etc/shadow\".sha256: a secret file has an hmac"},
        {"package-arch-mismatch.json",
         ": packages.libc6:i386.arch: \"amd64\" does not match"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = ds_test_data("bad", cases[i].file, NULL);
        g_autoptr(GError) e = NULL;
        ds_manifest *m = NULL;

        g_assert_cmpint(ds_manifest_load(&m, path, &e), ==, DS_EINVALID);
        g_assert_nonnull(e);
        if (!strstr(e->message, cases[i].expect))
            g_error("%s: got \"%s\", expected it to contain \"%s\"",
                    cases[i].file, e->message, cases[i].expect);
    }
}

/* Limits that need input too big to commit: made at test time. */
/* Found by fuzzing: a number at the very end of a document that is not
 * NUL-terminated (a blob, a network body) was read past its end when the
 * message named its kind (an over-read ASan and valgrind see). */
static void test_number_at_end(void)
{
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *doc = g_memdup2("\n12.5", 5);

    g_assert_cmpint(ds_manifest_parse(&m, doc, 5, "blob", &err), ==,
                    DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "got a number"));
    g_clear_error(&err);
    g_assert_cmpint(ds_manifest_parse(&m, doc, 3, "blob", &err), ==,
                    DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "got an integer"));
}

/* Found by fuzzing: an invalid escape of a byte that is no printable
 * character put that byte, raw, into the message (invalid UTF-8 here). */
static void test_escape_message(void)
{
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GError) err = NULL;
    const char doc[] = "{\"host\": \"a\\\xff\"}";

    g_assert_cmpint(ds_manifest_parse(&m, doc, sizeof doc - 1, "m.json",
                                      &err), ==, DS_EINVALID);
    g_assert_true(g_utf8_validate(err->message, -1, NULL));
    g_assert_nonnull(strstr(err->message,
                            "invalid escape (byte 0xff after '\\')"));
    g_clear_error(&err);
    g_assert_cmpint(ds_manifest_parse(&m, "{\"a\": \"\\q\"}", 11, "m.json",
                                      &err), ==, DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "invalid escape '\\q'"));
}

static void test_limits(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *tmpdir = ds_test_tmpdir("test-manifest-XXXXXX");
    g_autofree char *huge = NULL;
    g_autofree char *msg = NULL;
    g_autofree char *deep = NULL;
    g_autofree char *doc = NULL;
    const gsize deep_n = 100000;
    const gsize huge_n = 100u * 1024 * 1024;
    ds_manifest *m = NULL;
    FILE *fp;

    g_assert_no_error(err);

    /* a 100 MB string, written to a file: refused by size before reading */
    huge = g_build_filename(tmpdir, "huge-string.json", NULL);
    fp = fopen(huge, "w");
    g_assert_nonnull(fp);
    fputs("{\"schema\": \"driftsync/manifest/v1\", \"host\": \"", fp);
    for (gsize i = 0; i < huge_n / 65536; i++) {
        static char chunk[65536];
        memset(chunk, 'a', sizeof chunk);
        g_assert_cmpuint(fwrite(chunk, 1, sizeof chunk, fp), ==, sizeof chunk);
    }
    fputs("\"}\n", fp);
    g_assert_cmpint(fclose(fp), ==, 0);
    g_assert_cmpint(ds_manifest_load(&m, huge, &err), ==, DS_EINVALID);
    g_assert_null(m);
    g_assert_nonnull(strstr(err->message, "huge-string.json: "));
    g_assert_nonnull(strstr(err->message, "larger than the limit"));
    g_clear_error(&err);
    g_assert_cmpint(g_unlink(huge), ==, 0);

    /* the same from memory (just over the limit) */
    doc = g_malloc(DS_MANIFEST_MAX_BYTES + 1);
    memset(doc, ' ', DS_MANIFEST_MAX_BYTES + 1);
    msg = parse_fails(doc, DS_MANIFEST_MAX_BYTES + 1, "mem");
    g_assert_true(g_str_has_prefix(msg, "mem: document of"));
    g_clear_pointer(&msg, g_free);
    g_clear_pointer(&doc, g_free);

    /* a string just over DS_MANIFEST_MAX_STRING inside a field */
    {
        g_autofree char *big = g_strnfill(DS_MANIFEST_MAX_STRING + 1, 'v');
        doc = g_strdup_printf("{\"schema\": \"%s\", \"host\": \"web01\", "
                              "\"role\": \"prod\", \"kernel\": "
                              "{\"installed\": []}, \"reboot_required\": "
                              "false, \"sources\": [], \"files\": {}, "
                              "\"services\": {}, "
                              "\"packages\": {\"openssl\": {\"version\": "
                              "\"%s\", \"arch\": \"amd64\"}}}",
                              DS_MANIFEST_SCHEMA, big);
        msg = parse_fails(doc, strlen(doc), "big");
        g_assert_nonnull(strstr(msg, "big: packages.openssl.version: "
                                     "string of 65537 bytes"));
        g_clear_pointer(&msg, g_free);
        g_clear_pointer(&doc, g_free);
    }

    /* 100000-deep arrays and objects: refused cleanly, no recursion */
    deep = g_malloc(deep_n * 2);
    memset(deep, '[', deep_n);
    memset(deep + deep_n, ']', deep_n);
    msg = parse_fails(deep, deep_n * 2, "deep");
    g_assert_nonnull(strstr(msg, "deep: line 1, column 9: nested deeper"));
    g_clear_pointer(&msg, g_free);
    {
        g_autoptr(GString) g = g_string_new(NULL);
        for (gsize i = 0; i < deep_n; i++)
            g_string_append(g, "{\"a\": [");
        msg = parse_fails(g->str, g->len, "deep");
        g_assert_nonnull(strstr(msg, "deep: line 1, column 29: nested "
                                     "deeper than 8 levels"));
        g_clear_pointer(&msg, g_free);
    }

    /* brackets inside strings do not count */
    doc = g_strdup("{\"schema\": \"driftsync/manifest/v1\", \"host\": "
                   "\"[[[[[[[[[[[[[[\"}");
    msg = parse_fails(doc, strlen(doc), "s");
    g_assert_nonnull(strstr(msg, "s: host: \"[[[[[["));
    g_clear_pointer(&msg, g_free);
    g_clear_pointer(&doc, g_free);

    /* a NUL inside a buffer with an explicit length */
    {
        static const char nul_host[] =
            "{\"schema\": \"driftsync/manifest/v1\", \"host\": \"a\0b\"}";
        msg = parse_fails(nul_host, sizeof nul_host - 1, "n");
        g_assert_nonnull(strstr(msg, "n: line 1, column 47: NUL byte"));
        g_clear_pointer(&msg, g_free);
    }

    /* missing file, directory */
    {
        g_autofree char *missing = g_build_filename(tmpdir, "nope.json", NULL);
        g_assert_cmpint(ds_manifest_load(&m, missing, &err), ==, DS_ENOTFOUND);
        g_assert_nonnull(strstr(err->message, "nope.json: cannot open"));
        g_clear_error(&err);
        g_assert_cmpint(ds_manifest_load(&m, tmpdir, &err), <, 0);
        g_assert_null(m);
        g_clear_error(&err);
    }
    g_assert_cmpint(g_rmdir(tmpdir), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/manifest/good-fixtures-canonical",
                    test_good_fixtures_are_canonical);
    g_test_add_func("/manifest/web01-fields", test_web01_fields);
    g_test_add_func("/manifest/doc-example", test_doc_example);
    g_test_add_func("/manifest/parse-packages", test_parse_packages);
    g_test_add_func("/manifest/names", test_names);
    g_test_add_func("/manifest/error-messages", test_error_messages);
    g_test_add_func("/manifest/round-trip", test_round_trip);
    g_test_add_func("/manifest/equal", test_equal_detects_changes);
    g_test_add_func("/manifest/same-state", test_same_state);
    g_test_add_func("/manifest/normalise", test_normalise);
    g_test_add_func("/manifest/serialise-checks", test_serialise_checks);
    g_test_add_func("/manifest/differential", test_differential);
    g_test_add_func("/manifest/parse-canonical", test_parse_canonical);
    g_test_add_func("/manifest/utf8-order", test_utf8_order);
    g_test_add_func("/manifest/bad-corpus", test_bad_corpus);
    g_test_add_func("/manifest/bad-corpus-messages", test_bad_corpus_messages);
    g_test_add_func("/manifest/limits", test_limits);
    g_test_add_func("/manifest/number-at-end", test_number_at_end);
    g_test_add_func("/manifest/escape-message", test_escape_message);
    return g_test_run();
}
