/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-change.c: changes as people and programs read them:
 * ds_change_describe phrases, ds_change_to_json objects, kind names. */
#include <config.h>

#include <string.h>

#include <glib.h>
#include <jansson.h>

#include "manifests/diff.h"
#include "tests/unit/diff-hosts.h"

typedef struct {
    ds_change_kind kind;
    const char *name, *old_value, *new_value;
    guint bits;
    const char *describe;
    const char *json;
} present_case;

static const present_case present_cases[] = {
    {DS_CHANGE_PACKAGE_UPGRADED, "openssl", "3.0.11-1", "3.0.13-1", 0,
     "openssl upgraded 3.0.11-1 -> 3.0.13-1",
     "{\"category\":\"packages\",\"kind\":\"package-upgraded\",\"name\":"
     "\"openssl\",\"new\":\"3.0.13-1\",\"old\":\"3.0.11-1\"}"},
    {DS_CHANGE_PACKAGE_DOWNGRADED, "bash", "5.2-2", "5.2-1", 0,
     "bash downgraded 5.2-2 -> 5.2-1",
     "{\"category\":\"packages\",\"kind\":\"package-downgraded\",\"name\":"
     "\"bash\",\"new\":\"5.2-1\",\"old\":\"5.2-2\"}"},
    {DS_CHANGE_PACKAGE_INSTALLED, "nginx", NULL, "1.22.1-9", 0,
     "nginx 1.22.1-9 installed",
     "{\"category\":\"packages\",\"kind\":\"package-installed\",\"name\":"
     "\"nginx\",\"new\":\"1.22.1-9\",\"old\":null}"},
    {DS_CHANGE_PACKAGE_REMOVED, "curl", "7.88.1-10", NULL, 0,
     "curl 7.88.1-10 removed",
     "{\"category\":\"packages\",\"kind\":\"package-removed\",\"name\":"
     "\"curl\",\"new\":null,\"old\":\"7.88.1-10\"}"},
    {DS_CHANGE_PACKAGE_CHANGED, "libfoo", "1.0-1 amd64 Debian:bookworm",
     "1.0-1 i386", 0,
     "libfoo 1.0-1 reinstalled (arch amd64 -> i386, source Debian:bookworm -> "
     "(none))",
     NULL},
    {DS_CHANGE_SOURCE_ADDED, "deb http://deb.debian.org/debian bookworm main",
     NULL, NULL, 0,
     "source added: deb http://deb.debian.org/debian bookworm main",
     "{\"category\":\"sources\",\"kind\":\"source-added\",\"name\":"
     "\"deb http://deb.debian.org/debian bookworm main\",\"new\":null,"
     "\"old\":null}"},
    {DS_CHANGE_SOURCE_REMOVED, "deb x y", NULL, NULL, 0,
     "source removed: deb x y", NULL},
    {DS_CHANGE_FILE_ADDED, "/etc/motd", NULL, NULL, 0, "/etc/motd added", NULL},
    {DS_CHANGE_FILE_REMOVED, "/etc/motd", NULL, NULL, 0, "/etc/motd removed",
     NULL},
    {DS_CHANGE_FILE_CHANGED, "/etc/ssh/sshd_config", NULL, NULL,
     DS_FILE_DIFF_CONTENT | DS_FILE_DIFF_MODE,
     "/etc/ssh/sshd_config changed (content, mode)",
     "{\"category\":\"files\",\"changed\":[\"content\",\"mode\"],\"kind\":"
     "\"file-changed\",\"name\":\"/etc/ssh/sshd_config\",\"new\":null,"
     "\"old\":null}"},
    {DS_CHANGE_FILE_CHANGED, "/etc/x", NULL, NULL,
     DS_FILE_DIFF_OWNER | DS_FILE_DIFF_GROUP | DS_FILE_DIFF_TYPE,
     "/etc/x changed (owner, group, type)", NULL},
    {DS_CHANGE_SERVICE_ADDED, "nginx.service", NULL, "enabled/active", 0,
     "nginx.service added (enabled/active)", NULL},
    {DS_CHANGE_SERVICE_REMOVED, "nginx.service", "enabled/active", NULL, 0,
     "nginx.service removed (was enabled/active)", NULL},
    {DS_CHANGE_SERVICE_ENABLED, "ssh.service", "disabled", "enabled", 0,
     "ssh.service enabled (was disabled)", NULL},
    {DS_CHANGE_SERVICE_DISABLED, "ssh.service", "enabled", "disabled", 0,
     "ssh.service disabled (was enabled)",
     "{\"category\":\"services\",\"kind\":\"service-disabled\",\"name\":"
     "\"ssh.service\",\"new\":\"disabled\",\"old\":\"enabled\"}"},
    {DS_CHANGE_SERVICE_DISABLED, "ssh.service", "enabled", "masked", 0,
     "ssh.service masked (was enabled)", NULL},
    {DS_CHANGE_SERVICE_STARTED, "cron.service", "inactive", "active", 0,
     "cron.service started (was inactive)", NULL},
    {DS_CHANGE_SERVICE_STOPPED, "cron.service", "active", "inactive", 0,
     "cron.service stopped (was active)", NULL},
    {DS_CHANGE_SERVICE_STOPPED, "cron.service", "active", "failed", 0,
     "cron.service failed (was active)", NULL},
    {DS_CHANGE_KERNEL_CHANGED, "kernel", "6.1.0-25-amd64", "6.1.0-26-amd64", 0,
     "kernel 6.1.0-25-amd64 -> 6.1.0-26-amd64",
     "{\"category\":\"kernel\",\"kind\":\"kernel-changed\",\"name\":"
     "\"kernel\",\"new\":\"6.1.0-26-amd64\",\"old\":\"6.1.0-25-amd64\"}"},
    {DS_CHANGE_KERNEL_CHANGED, "kernel", NULL, "6.1.0-26-amd64", 0,
     "kernel (none) -> 6.1.0-26-amd64", NULL},
    {DS_CHANGE_REBOOT_REQUIRED_CHANGED, "reboot-required", "false", "true", 0,
     "reboot now required", NULL},
    {DS_CHANGE_REBOOT_REQUIRED_CHANGED, "reboot-required", "true", "false", 0,
     "reboot no longer required", NULL},
    {DS_CHANGE_OS_CHANGED, "os", "debian 12", "debian 13", 0,
     "os debian 12 -> debian 13",
     "{\"category\":\"kernel\",\"kind\":\"os-changed\",\"name\":\"os\","
     "\"new\":\"debian 13\",\"old\":\"debian 12\"}"},
};

static ds_category category_of(ds_change_kind k)
{
    if (k <= DS_CHANGE_PACKAGE_CHANGED)
        return DS_CAT_PACKAGES;
    if (k <= DS_CHANGE_SOURCE_REMOVED)
        return DS_CAT_SOURCES;
    if (k <= DS_CHANGE_FILE_REMOVED)
        return DS_CAT_FILES;
    if (k <= DS_CHANGE_SERVICE_STOPPED)
        return DS_CAT_SERVICES;
    return DS_CAT_KERNEL;
}

static void test_describe_json(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(present_cases); i++) {
        const present_case *p = &present_cases[i];
        ds_change c = {p->kind,
                       category_of(p->kind),
                       (char *)p->name,
                       (char *)p->old_value,
                       (char *)p->new_value,
                       p->bits};
        g_autofree char *desc = ds_change_describe(&c);
        json_t *j = ds_change_to_json(&c);
        g_autofree char *js = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);

        g_assert_cmpstr(desc, ==, p->describe);
        g_assert_cmpstr(json_string_value(json_object_get(j, "kind")), ==,
                        ds_change_kind_name(p->kind));
        g_assert_cmpstr(json_string_value(json_object_get(j, "name")), ==,
                        p->name);
        if (p->json)
            g_assert_cmpstr(js, ==, p->json);
        json_decref(j);
    }
}

/* Describe the real diff: the phrases a user reads in `driftsync diff`. */
static void test_describe_real(void)
{
    g_autoptr(ds_manifest) a = prod_host();
    g_autoptr(ds_manifest) b = changed_host();
    g_autoptr(GPtrArray) d = diff(a, b, NULL);
    GString *s = g_string_new(NULL);
    g_autofree char *text = NULL;

    for (guint i = 0; i < d->len; i++) {
        g_autofree char *line = ds_change_describe(d->pdata[i]);
        g_string_append_printf(s, "%s\n", line);
    }
    text = g_string_free(s, FALSE);
    g_assert_cmpstr(
        text, ==,
        "bash downgraded 5.2.15-2+b7 -> 5.2.15-2+b2\n"
        "curl 7.88.1-10+deb12u7 removed\n"
        "libc6 downgraded 2.36-9+deb12u10 -> 2.36-9+deb12u7\n"
        "libfoo 1.0-1 reinstalled (arch amd64 -> i386)\n"
        "nginx 1.22.1-9 installed\n"
        "openssl upgraded 3.0.11-1~deb12u2 -> 3.0.13-1~deb12u1\n"
        "source removed: deb http://deb.debian.org/debian bookworm-backports "
        "main\n"
        "source added: deb http://security.debian.org/debian-security "
        "bookworm-security main\n"
        "/etc/localtime added (symlink -> /usr/share/zoneinfo/UTC)\n"
        "/etc/motd added (0644 root:root)\n"
        "/etc/nginx/nginx.conf changed (mode 0644 -> 0640, group root -> "
        "www-data)\n"
        "/etc/old.conf removed (was 0644 root:root)\n"
        "/etc/shadow changed (secret content)\n"
        "/etc/ssh/sshd_config changed (content, mode 0644 -> 0600)\n"
        "nginx.service masked (was enabled)\n"
        "nginx.service failed (was active)\n"
        "old.service started (was inactive)\n"
        "ssh.service disabled (was enabled)\n"
        "unattended-upgrades.service added (enabled/active)\n"
        "kernel 6.1.0-25-amd64 -> 6.1.0-26-amd64\n"
        "os debian 12 -> debian 13\n"
        "reboot now required\n");
}

static void test_kind_names(void)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    for (int k = DS_CHANGE_PACKAGE_INSTALLED; k <= DS_CHANGE_OS_CHANGED; k++) {
        const char *n = ds_change_kind_name(k);
        g_assert_cmpstr(n, !=, "unknown");
        g_assert_false(g_hash_table_contains(seen, n));
        g_hash_table_add(seen, (gpointer)n);
    }
    g_assert_cmpstr(ds_change_kind_name(DS_CHANGE_PACKAGE_UPGRADED), ==,
                    "package-upgraded");
    g_assert_cmpstr(ds_change_kind_name(999), ==, "unknown");
    {
        g_autofree char *d = ds_change_describe(NULL);
        json_t *j = ds_change_to_json(NULL);
        g_assert_cmpstr(d, ==, "");
        g_assert_true(json_is_null(j));
        json_decref(j);
    }
}

/* The same real diff between two hosts, and between a lab and prod: the
 * words of a comparison, not of a change in time. */
static char *describe_all(GPtrArray *d, const ds_change_sides *sides)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < d->len; i++) {
        g_autofree char *line = ds_change_describe_sides(d->pdata[i], sides);
        g_string_append_printf(s, "%s\n", line);
    }
    return g_string_free(s, FALSE);
}

static void test_describe_sides(void)
{
    g_autoptr(ds_manifest) a = prod_host();
    g_autoptr(ds_manifest) b = changed_host();
    g_autoptr(GPtrArray) d = diff(a, b, NULL);
    ds_change_sides hosts = {"web01", "db01", 0};
    ds_change_sides lab_prod = {"the lab", "prod", 1};
    ds_change_sides prod_lab = {"prod", "the lab", 2};
    g_autofree char *t1 = describe_all(d, &hosts);
    g_autofree char *t2 = describe_all(d, &lab_prod);
    g_autofree char *t3 = describe_all(d, &prod_lab);
    g_autofree char *t4 = describe_all(d, NULL);
    g_autofree char *t5 = NULL;

    g_assert_cmpstr(
        t1, ==,
        "bash: web01 has 5.2.15-2+b7, db01 has 5.2.15-2+b2\n"
        "curl 7.88.1-10+deb12u7 only on web01\n"
        "libc6: web01 has 2.36-9+deb12u10, db01 has 2.36-9+deb12u7\n"
        "libfoo 1.0-1: arch web01 has amd64, db01 has i386\n"
        "nginx 1.22.1-9 only on db01\n"
        "openssl: web01 has 3.0.11-1~deb12u2, db01 has 3.0.13-1~deb12u1\n"
        "source only on web01: deb http://deb.debian.org/debian "
        "bookworm-backports main\n"
        "source only on db01: deb http://security.debian.org/debian-security "
        "bookworm-security main\n"
        "/etc/localtime (symlink -> /usr/share/zoneinfo/UTC) only on db01\n"
        "/etc/motd (0644 root:root) only on db01\n"
        "/etc/nginx/nginx.conf differs (mode: web01 has 0644, db01 has 0640; "
        "group: web01 has root, db01 has www-data)\n"
        "/etc/old.conf (0644 root:root) only on web01\n"
        "/etc/shadow differs (secret content)\n"
        "/etc/ssh/sshd_config differs (content; mode: web01 has 0644, db01 "
        "has 0600)\n"
        "nginx.service: web01 has enabled, db01 has masked\n"
        "nginx.service: web01 has active, db01 has failed\n"
        "old.service: web01 has inactive, db01 has active\n"
        "ssh.service: web01 has enabled, db01 has disabled\n"
        "unattended-upgrades.service (enabled/active) only on db01\n"
        "kernel: web01 has 6.1.0-25-amd64, db01 has 6.1.0-26-amd64\n"
        "os: web01 has debian 12, db01 has debian 13\n"
        "reboot required on db01, not on web01\n");
    /* Lab to prod: what the lab lacks, what only it has, its value first. */
    g_assert_nonnull(strstr(t2, "\nthe lab lacks nginx 1.22.1-9\n"));
    g_assert_nonnull(strstr(t2, "\ncurl 7.88.1-10+deb12u7 only in the lab\n"));
    g_assert_nonnull(strstr(
        t2, "\nopenssl: the lab has 3.0.11-1~deb12u2, prod 3.0.13-1~deb12u1\n"));
    g_assert_nonnull(strstr(t2, "\nthe lab lacks source: deb "
                                "http://security.debian.org/"));
    g_assert_nonnull(strstr(t2, "\nsource only in the lab: deb "
                                "http://deb.debian.org/debian bookworm-"));
    g_assert_nonnull(strstr(t2, "\nthe lab lacks /etc/motd (0644 root:root)\n"));
    g_assert_nonnull(strstr(t2, "(mode: the lab has 0644, prod 0640; "));
    g_assert_nonnull(strstr(t2, "\nreboot required on prod, not in the lab\n"));
    /* Prod to lab: the same sentences with the sides the other way round. */
    g_assert_nonnull(strstr(t3, "\nnginx 1.22.1-9 only in the lab\n"));
    g_assert_nonnull(strstr(t3, "\nthe lab lacks curl 7.88.1-10+deb12u7\n"));
    g_assert_nonnull(strstr(
        t3, "\nopenssl: the lab has 3.0.13-1~deb12u1, prod 3.0.11-1~deb12u2\n"));
    g_assert_nonnull(strstr(t3, "\nreboot required in the lab, not on prod\n"));
    /* No sides: the words of a change in time. */
    t5 = describe_all(d, &(ds_change_sides){NULL, NULL, 0});
    g_assert_cmpstr(t4, ==, t5);
    g_assert_nonnull(strstr(t4, "\nnginx 1.22.1-9 installed\n"));
    /* No phrase names an HMAC or a digest. */
    g_assert_null(strstr(t1, "hmac"));
    g_assert_null(strstr(t2, "sha256"));
}

/* The JSON of a diffed file and package: both values and every field. */
static void test_json_fields(void)
{
    g_autoptr(ds_manifest) a = prod_host();
    g_autoptr(ds_manifest) b = changed_host();
    g_autoptr(GPtrArray) d = diff(a, b, NULL);
    guint seen = 0;

    for (guint i = 0; i < d->len; i++) {
        const ds_change *c = d->pdata[i];
        json_t *j = ds_change_to_json(c);
        g_autofree char *js = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);

        if (!g_strcmp0(c->name, "/etc/nginx/nginx.conf")) {
            g_assert_cmpstr(
                js, ==,
                "{\"category\":\"files\",\"changed\":[\"mode\",\"group\"],"
                "\"fields\":{\"group\":{\"new\":\"www-data\",\"old\":\"root\"},"
                "\"mode\":{\"new\":\"0640\",\"old\":\"0644\"}},\"kind\":"
                "\"file-changed\",\"name\":\"/etc/nginx/nginx.conf\",\"new\":"
                "\"0640 root:www-data\",\"old\":\"0644 root:root\"}");
            seen++;
        } else if (!g_strcmp0(c->name, "/etc/shadow")) {
            g_assert_cmpstr(
                js, ==,
                "{\"category\":\"files\",\"changed\":[\"content\"],"
                "\"fields\":{\"content\":{\"new\":null,\"old\":null}},"
                "\"kind\":\"file-changed\",\"name\":\"/etc/shadow\",\"new\":"
                "\"0640 root:shadow secret\",\"old\":\"0640 root:shadow "
                "secret\",\"secret\":true}");
            seen++;
        } else if (!g_strcmp0(c->name, "libfoo")) {
            g_assert_cmpstr(json_string_value(json_object_get(
                                json_object_get(json_object_get(j, "fields"),
                                                "arch"),
                                "new")),
                            ==, "i386");
            seen++;
        } else if (c->kind == DS_CHANGE_SOURCE_ADDED) {
            g_assert_cmpstr(json_string_value(json_object_get(j, "new")), ==,
                            c->name);
            g_assert_true(json_is_null(json_object_get(j, "old")));
            seen++;
        }
        json_decref(j);
    }
    g_assert_cmpuint(seen, ==, 4);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/change/describe-json", test_describe_json);
    g_test_add_func("/change/describe-real", test_describe_real);
    g_test_add_func("/change/kind-names", test_kind_names);
    g_test_add_func("/change/describe-sides", test_describe_sides);
    g_test_add_func("/change/json-fields", test_json_fields);
    return g_test_run();
}
