/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-diff.c: the semantic diff: every change kind, its order,
 * ignore rules, secret files, and properties over random manifests. */
#include <config.h>

#include <string.h>

#include <glib.h>
#include <jansson.h>

#include "manifests/diff.h"
#include "manifests/util/error.h"
#include "manifests/version.h"
#include "tests/unit/diff-hosts.h"

/* ---- tests ---- */

static void test_identical(void)
{
    g_autoptr(ds_manifest) a = prod_host();
    g_autoptr(ds_manifest) b = prod_host();
    g_autoptr(GPtrArray) same = diff(a, a, NULL);
    g_autoptr(GPtrArray) equal = diff(a, b, NULL);
    g_autoptr(ds_manifest) e1 = ds_manifest_new("a", DS_ROLE_PROD);
    g_autoptr(ds_manifest) e2 = ds_manifest_new("b", DS_ROLE_LAB);
    g_autoptr(GPtrArray) empty = diff(e1, e2, NULL);

    g_assert_cmpuint(same->len, ==, 0);
    g_assert_cmpuint(equal->len, ==, 0);
    g_assert_cmpuint(empty->len, ==, 0);
    /* Host, role and collection time are not drift. */
    g_free(b->host);
    b->host = g_strdup("web01-lab");
    b->role = DS_ROLE_LAB;
    b->collected_at = g_strdup("2026-11-27T12:00:00Z");
    {
        g_autoptr(GPtrArray) d = diff(a, b, NULL);
        g_assert_cmpuint(d->len, ==, 0);
    }
}

static const char expected_all[] =
    "package-downgraded|packages|bash|5.2.15-2+b7|5.2.15-2+b2|0\n"
    "package-removed|packages|curl|7.88.1-10+deb12u7|-|0\n"
    "package-downgraded|packages|libc6|2.36-9+deb12u10|2.36-9+deb12u7|0\n"
    "package-changed|packages|libfoo|1.0-1 amd64|1.0-1 i386|0|arch=amd64>i386\n"
    "package-installed|packages|nginx|-|1.22.1-9|0\n"
    "package-upgraded|packages|openssl|3.0.11-1~deb12u2|3.0.13-1~deb12u1|0\n"
    "source-removed|sources|deb http://deb.debian.org/debian "
    "bookworm-backports main|deb http://deb.debian.org/debian "
    "bookworm-backports main|-|0\n"
    "source-added|sources|deb http://security.debian.org/debian-security "
    "bookworm-security main|-|deb http://security.debian.org/"
    "debian-security bookworm-security main|0\n"
    "file-added|files|/etc/localtime|-|symlink -> /usr/share/zoneinfo/UTC|0\n"
    "file-added|files|/etc/motd|-|0644 root:root|0\n"
    "file-changed|files|/etc/nginx/nginx.conf|0644 root:root|0640 "
    "root:www-data|10|mode=0644>0640,group=root>www-data\n"
    "file-removed|files|/etc/old.conf|0644 root:root|-|0\n"
    "file-changed|files|/etc/shadow|0640 root:shadow secret|0640 root:shadow "
    "secret|1|content=->-\n"
    "file-changed|files|/etc/ssh/sshd_config|0644 root:root|0600 "
    "root:root|3|content=33>55,mode=0644>0600\n"
    "service-disabled|services|nginx.service|enabled|masked|0\n"
    "service-stopped|services|nginx.service|active|failed|0\n"
    "service-started|services|old.service|inactive|active|0\n"
    "service-disabled|services|ssh.service|enabled|disabled|0\n"
    "service-added|services|unattended-upgrades.service|-|enabled/active|0\n"
    "kernel-changed|kernel|kernel|6.1.0-25-amd64|6.1.0-26-amd64|0\n"
    "os-changed|kernel|os|debian 12|debian 13|0\n"
    "reboot-required-changed|kernel|reboot-required|false|true|0\n";

static void test_every_kind(void)
{
    g_autoptr(ds_manifest) a = prod_host();
    g_autoptr(ds_manifest) b = changed_host();
    g_autoptr(GPtrArray) d = diff(a, b, NULL);
    g_autofree char *text = dump(d);

    g_assert_cmpstr(text, ==, expected_all);
}

static void test_kinds_back(void)
{
    g_autoptr(ds_manifest) a = prod_host();
    g_autoptr(ds_manifest) b = changed_host();
    g_autoptr(GPtrArray) d = diff(b, a, NULL);
    g_autofree char *text = dump(d);

    g_assert_cmpstr(
        text, ==,
        "package-upgraded|packages|bash|5.2.15-2+b2|5.2.15-2+b7|0\n"
        "package-installed|packages|curl|-|7.88.1-10+deb12u7|0\n"
        "package-upgraded|packages|libc6|2.36-9+deb12u7|2.36-9+deb12u10|0\n"
        "package-changed|packages|libfoo|1.0-1 i386|1.0-1 amd64|0|"
        "arch=i386>amd64\n"
        "package-removed|packages|nginx|1.22.1-9|-|0\n"
        "package-downgraded|packages|openssl|3.0.13-1~deb12u1|"
        "3.0.11-1~deb12u2|0\n"
        "source-added|sources|deb http://deb.debian.org/debian "
        "bookworm-backports main|-|deb http://deb.debian.org/debian "
        "bookworm-backports main|0\n"
        "source-removed|sources|deb http://security.debian.org/"
        "debian-security bookworm-security main|deb "
        "http://security.debian.org/debian-security bookworm-security "
        "main|-|0\n"
        "file-removed|files|/etc/localtime|symlink -> "
        "/usr/share/zoneinfo/UTC|-|0\n"
        "file-removed|files|/etc/motd|0644 root:root|-|0\n"
        "file-changed|files|/etc/nginx/nginx.conf|0640 root:www-data|0644 "
        "root:root|10|mode=0640>0644,group=www-data>root\n"
        "file-added|files|/etc/old.conf|-|0644 root:root|0\n"
        "file-changed|files|/etc/shadow|0640 root:shadow secret|0640 "
        "root:shadow secret|1|content=->-\n"
        "file-changed|files|/etc/ssh/sshd_config|0600 root:root|0644 "
        "root:root|3|content=55>33,mode=0600>0644\n"
        "service-enabled|services|nginx.service|masked|enabled|0\n"
        "service-started|services|nginx.service|failed|active|0\n"
        "service-stopped|services|old.service|active|inactive|0\n"
        "service-enabled|services|ssh.service|disabled|enabled|0\n"
        "service-removed|services|unattended-upgrades.service|"
        "enabled/active|-|0\n"
        "kernel-changed|kernel|kernel|6.1.0-26-amd64|6.1.0-25-amd64|0\n"
        "os-changed|kernel|os|debian 13|debian 12|0\n"
        "reboot-required-changed|kernel|reboot-required|true|false|0\n");
}

/* Version order is dpkg's, not the strings': 2.4 < 2.30, ~ < nothing,
 * epochs first; equal versions spelled differently are no change. */
static void test_package_versions(void)
{
    static const struct {
        const char *from, *to, *kind;
    } cases[] = {
        {"2.4-1", "2.30-1", "package-upgraded"},
        {"2.30-1", "2.4-1", "package-downgraded"},
        {"1.0", "1.0~rc1", "package-downgraded"},
        {"1.0~rc1", "1.0", "package-upgraded"},
        {"2.0", "1:0.1", "package-upgraded"},
        {"1.0-1", "1.0-1+deb12u1", "package-upgraded"},
        {"1.0", "0:1.0", NULL},
        {"1.0-1", "1.0-01", NULL},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(ds_manifest) a = host("k");
        g_autoptr(ds_manifest) b = host("k");
        g_autoptr(GPtrArray) d = NULL;

        add_pkg(a, "p", cases[i].from, "amd64", NULL);
        add_pkg(b, "p", cases[i].to, "amd64", NULL);
        d = diff(a, b, NULL);
        if (!cases[i].kind) {
            g_assert_cmpuint(d->len, ==, 0);
            continue;
        }
        g_assert_cmpuint(d->len, ==, 1);
        g_assert_cmpstr(ds_change_kind_name(((ds_change *)d->pdata[0])->kind),
                        ==, cases[i].kind);
    }
}

static void test_files_secret(void)
{
    g_autoptr(ds_manifest) a = host("k");
    g_autoptr(ds_manifest) b = host("k");
    g_autoptr(GPtrArray) d = NULL;
    g_autofree char *text = NULL;
    ds_file *f;

    /* Same HMAC: no change, whatever else is unset. */
    add_secret(a, "/etc/a-same", "hh");
    add_secret(b, "/etc/a-same", "hh");
    /* Different HMAC: content changed, and nothing of it is shown. */
    add_secret(a, "/etc/b-key", "h1");
    add_secret(b, "/etc/b-key", "h2");
    /* Became secret: its content can no longer be compared. */
    add_file(a, "/etc/c-now-secret", "s1", 0640, "root", "shadow");
    add_secret(b, "/etc/c-now-secret", "h1");
    /* Symlink retargeted; regular file turned symlink. */
    f = add_file(a, "/etc/d-link", NULL, 0777, "root", "root");
    f->type = DS_FILE_SYMLINK;
    f->target = g_strdup("/a");
    f = add_file(b, "/etc/d-link", NULL, 0777, "root", "root");
    f->type = DS_FILE_SYMLINK;
    f->target = g_strdup("/b");
    add_file(a, "/etc/e-type", "s1", 0644, "root", "root");
    f = add_file(b, "/etc/e-type", NULL, 0644, "root", "root");
    f->type = DS_FILE_SYMLINK;
    f->target = g_strdup("/x");
    /* Owner only. */
    add_file(a, "/etc/f-owner", "s1", 0644, "root", "root");
    add_file(b, "/etc/f-owner", "s1", 0644, "www-data", "root");
    normalise(a);
    normalise(b);
    d = diff(a, b, NULL);
    text = dump(d);
    g_assert_cmpstr(text, ==,
                    "file-changed|files|/etc/b-key|0640 root:shadow "
                    "secret|0640 root:shadow secret|1|content=->-\n"
                    "file-changed|files|/etc/c-now-secret|0640 "
                    "root:shadow|0640 root:shadow secret|1|content=->-\n"
                    "file-changed|files|/etc/d-link|symlink -> /a|symlink "
                    "-> /b|16|target=/a>/b\n"
                    "file-changed|files|/etc/e-type|0644 root:root|symlink "
                    "-> /x|17|content=s1>-,type=regular>symlink,target=->/x\n"
                    "file-changed|files|/etc/f-owner|0644 root:root|0644 "
                    "www-data:root|4|owner=root>www-data\n");
    for (guint i = 0; i < d->len; i++) {
        g_autofree char *desc = ds_change_describe(d->pdata[i]);
        json_t *j = ds_change_to_json(d->pdata[i]);
        g_autofree char *js = json_dumps(j, JSON_SORT_KEYS);
        /* No digest of a secret (nor any digest) leaks into the output;
         * the text says the content is secret. */
        g_assert_null(strstr(desc, "h1"));
        if (i < 2) {
            g_assert_nonnull(strstr(desc, "secret content"));
            g_assert_true(json_is_true(json_object_get(j, "secret")));
        }
        g_assert_null(strstr(js, "h1"));
        g_assert_null(strstr(js, "h2"));
        json_decref(j);
    }
}

static void test_order(void)
{
    g_autoptr(ds_manifest) a = prod_host();
    g_autoptr(ds_manifest) b = changed_host();
    g_autoptr(GPtrArray) d = diff(a, b, NULL);

    g_assert_cmpuint(d->len, >, 10);
    for (guint i = 1; i < d->len; i++) {
        const ds_change *p = d->pdata[i - 1], *c = d->pdata[i];
        g_assert_cmpint(p->category, <=, c->category);
        if (p->category == c->category)
            g_assert_cmpint(strcmp(p->name, c->name), <=, 0);
    }
}

/* Lists out of order (a manifest not normalised) give the same result. */
static void test_unsorted(void)
{
    g_autoptr(ds_manifest) a = prod_host();
    g_autoptr(ds_manifest) b = changed_host();
    g_autoptr(GPtrArray) d1 = diff(a, b, NULL);
    g_autoptr(GPtrArray) d2 = NULL;
    g_autofree char *t1 = dump(d1), *t2 = NULL;
    GPtrArray *lists[] = {b->packages, b->sources, b->files, b->services};

    for (gsize l = 0; l < G_N_ELEMENTS(lists); l++)
        for (guint i = 0; i < lists[l]->len / 2; i++) {
            gpointer t = lists[l]->pdata[i];
            lists[l]->pdata[i] = lists[l]->pdata[lists[l]->len - 1 - i];
            lists[l]->pdata[lists[l]->len - 1 - i] = t;
        }
    d2 = diff(a, b, NULL);
    t2 = dump(d2);
    g_assert_cmpstr(t1, ==, t2);
    /* The input was not reordered behind the caller's back. */
    g_assert_cmpstr(((ds_service *)b->services->pdata[0])->name, ==,
                    "unattended-upgrades.service");
}

static void test_null_side(void)
{
    g_autoptr(ds_manifest) a = prod_host();
    g_autoptr(GPtrArray) d = diff(NULL, a, NULL);
    g_autoptr(GPtrArray) back = diff(a, NULL, NULL);
    GPtrArray *out = (GPtrArray *)0x1;
    guint n =
        a->packages->len + a->sources->len + a->files->len + a->services->len;

    /* Everything is new, plus kernel and os (reboot_required is false). */
    g_assert_cmpuint(d->len, ==, n + 2);
    g_assert_cmpuint(back->len, ==, n + 2);
    g_assert_cmpint(((ds_change *)d->pdata[0])->kind, ==,
                    DS_CHANGE_PACKAGE_INSTALLED);
    g_assert_cmpint(((ds_change *)back->pdata[0])->kind, ==,
                    DS_CHANGE_PACKAGE_REMOVED);
    g_assert_cmpint(ds_manifest_diff(NULL, a, a, NULL, NULL), ==, DS_EINVALID);
    g_assert_cmpint(ds_manifest_diff(&out, a, a, NULL, NULL), ==, 0);
    g_assert_cmpuint(out->len, ==, 0);
    g_ptr_array_unref(out);
    ds_change_free(NULL);
}

static void test_ignore(void)
{
    g_autoptr(ds_manifest) a = prod_host();
    g_autoptr(ds_manifest) b = changed_host();
    g_autoptr(ds_ignore) ig = ds_ignore_new();
    g_autoptr(GPtrArray) d = NULL;
    g_autofree char *text = NULL;

    g_assert_cmpint(ds_ignore_add(ig, DS_CAT_PACKAGES, "lib* nginx", NULL), ==,
                    0);
    g_assert_cmpint(ds_ignore_add(ig, DS_CAT_SOURCES, "*backports*", NULL), ==,
                    0);
    g_assert_cmpint(
        ds_ignore_add(ig, DS_CAT_FILES, "/etc/nginx/ /etc/shadow *.conf", NULL),
        ==, 0);
    g_assert_cmpint(ds_ignore_add(ig, DS_CAT_SERVICES, "nginx old", NULL), ==,
                    0);
    g_assert_cmpint(ds_ignore_add(ig, DS_CAT_KERNEL, "6.1.0-*", NULL), ==, 0);
    d = diff(a, b, ig);
    text = dump(d);
    g_assert_cmpstr(
        text, ==,
        "package-downgraded|packages|bash|5.2.15-2+b7|5.2.15-2+b2|0\n"
        "package-removed|packages|curl|7.88.1-10+deb12u7|-|0\n"
        "package-upgraded|packages|openssl|3.0.11-1~deb12u2|"
        "3.0.13-1~deb12u1|0\n"
        "source-added|sources|deb http://security.debian.org/debian-security "
        "bookworm-security main|-|deb http://security.debian.org/"
        "debian-security bookworm-security main|0\n"
        "file-added|files|/etc/localtime|-|symlink -> "
        "/usr/share/zoneinfo/UTC|0\n"
        "file-added|files|/etc/motd|-|0644 root:root|0\n"
        "file-changed|files|/etc/ssh/sshd_config|0644 root:root|0600 "
        "root:root|3|content=33>55,mode=0644>0600\n"
        "service-disabled|services|ssh.service|enabled|disabled|0\n"
        "service-added|services|unattended-upgrades.service|-|"
        "enabled/active|0\n"
        "os-changed|kernel|os|debian 12|debian 13|0\n"
        "reboot-required-changed|kernel|reboot-required|false|true|0\n");

    /* A kernel pattern matching only one side keeps the change; one for
     * reboot-required drops that. */
    {
        g_autoptr(ds_ignore) ig2 = ds_ignore_new();
        g_autoptr(GPtrArray) d2 = NULL;
        g_autofree char *t2 = NULL;

        g_assert_cmpint(ds_ignore_add(ig2, DS_CAT_KERNEL,
                                      "*-26-amd64 reboot-required", NULL),
                        ==, 0);
        d2 = diff(a, b, ig2);
        t2 = dump(d2);
        g_assert_nonnull(strstr(t2, "kernel-changed|"));
        g_assert_null(strstr(t2, "reboot-required-changed|"));
    }
}

/* ---- properties over random manifests ---- */

static ds_manifest *random_host(GRand *r)
{
    static const char *const versions[] = {
        "1.0",   "1.0-1",  "1.0-1+deb12u1", "1.0~rc1", "1:0.9",
        "2.4-1", "2.30-1", "0.9+dfsg-2",    "1.0a"};
    static const char *const states[] = {"enabled", "disabled", "static",
                                         "masked"};
    static const char *const active[] = {"active", "inactive", "failed"};
    ds_manifest *m =
        host(g_rand_boolean(r) ? "6.1.0-25-amd64" : "6.1.0-26-amd64");

    m->reboot_required = g_rand_boolean(r);
    for (int i = 0; i < 60; i++) {
        g_autofree char *name = g_strdup_printf("pkg%02d", i);
        if (g_rand_int_range(r, 0, 4) == 0)
            continue;
        add_pkg(m, name,
                versions[g_rand_int_range(r, 0, G_N_ELEMENTS(versions))],
                g_rand_int_range(r, 0, 8) ? "amd64" : "all", NULL);
    }
    for (int i = 0; i < 10; i++)
        if (g_rand_boolean(r))
            g_ptr_array_add(m->sources,
                            g_strdup_printf("deb http://m/debian s%d main", i));
    for (int i = 0; i < 30; i++) {
        g_autofree char *path = g_strdup_printf("/etc/f%02d", i);
        g_autofree char *sha = g_strdup_printf("%x", g_rand_int_range(r, 0, 3));
        if (g_rand_int_range(r, 0, 4) == 0)
            continue;
        if (i % 7 == 0)
            add_secret(m, path, sha);
        else
            add_file(m, path, sha, g_rand_boolean(r) ? 0644 : 0600, "root",
                     g_rand_int_range(r, 0, 5) ? "root" : "adm");
    }
    for (int i = 0; i < 20; i++) {
        g_autofree char *name = g_strdup_printf("s%02d.service", i);
        if (g_rand_int_range(r, 0, 4) == 0)
            continue;
        add_svc(m, name, states[g_rand_int_range(r, 0, 4)],
                active[g_rand_int_range(r, 0, 3)]);
    }
    normalise(m);
    return m;
}

/* The kind a change has when the diff is taken the other way round. */
static ds_change_kind reverse_kind(const ds_change *c)
{
    switch (c->kind) {
    case DS_CHANGE_PACKAGE_INSTALLED:
        return DS_CHANGE_PACKAGE_REMOVED;
    case DS_CHANGE_PACKAGE_REMOVED:
        return DS_CHANGE_PACKAGE_INSTALLED;
    case DS_CHANGE_PACKAGE_UPGRADED:
        return DS_CHANGE_PACKAGE_DOWNGRADED;
    case DS_CHANGE_PACKAGE_DOWNGRADED:
        return DS_CHANGE_PACKAGE_UPGRADED;
    case DS_CHANGE_SOURCE_ADDED:
        return DS_CHANGE_SOURCE_REMOVED;
    case DS_CHANGE_SOURCE_REMOVED:
        return DS_CHANGE_SOURCE_ADDED;
    case DS_CHANGE_FILE_ADDED:
        return DS_CHANGE_FILE_REMOVED;
    case DS_CHANGE_FILE_REMOVED:
        return DS_CHANGE_FILE_ADDED;
    case DS_CHANGE_SERVICE_ADDED:
        return DS_CHANGE_SERVICE_REMOVED;
    case DS_CHANGE_SERVICE_REMOVED:
        return DS_CHANGE_SERVICE_ADDED;
    case DS_CHANGE_SERVICE_ENABLED:
        return DS_CHANGE_SERVICE_DISABLED;
    case DS_CHANGE_SERVICE_STARTED:
        return DS_CHANGE_SERVICE_STOPPED;
    case DS_CHANGE_SERVICE_DISABLED: /* back to "enabled" or not */
        return g_strcmp0(c->old_value, "enabled") == 0
                   ? DS_CHANGE_SERVICE_ENABLED
                   : DS_CHANGE_SERVICE_DISABLED;
    case DS_CHANGE_SERVICE_STOPPED:
        return g_strcmp0(c->old_value, "active") == 0
                   ? DS_CHANGE_SERVICE_STARTED
                   : DS_CHANGE_SERVICE_STOPPED;
    default:
        return c->kind; /* changed, kernel, os, reboot: symmetric */
    }
}

static void test_properties(void)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(4242);
    guint total = 0, installs = 0;

    for (int round = 0; round < 200; round++) {
        g_autoptr(ds_manifest) a = random_host(r);
        g_autoptr(ds_manifest) b = random_host(r);
        g_autoptr(GPtrArray) aa = diff(a, a, NULL);
        g_autoptr(GPtrArray) ab = diff(a, b, NULL);
        g_autoptr(GPtrArray) ba = diff(b, a, NULL);

        g_assert_cmpuint(aa->len, ==, 0);
        g_assert_cmpuint(ab->len, ==, ba->len);
        total += ab->len;
        /* Both directions list the same names in the same order, each
         * change reversed, with old and new swapped. */
        for (guint i = 0; i < ab->len; i++) {
            const ds_change *x = ab->pdata[i], *y = ba->pdata[i];
            g_assert_cmpstr(x->name, ==, y->name);
            g_assert_cmpint(reverse_kind(x), ==, y->kind);
            g_assert_cmpstr(x->old_value, ==, y->new_value);
            g_assert_cmpstr(x->new_value, ==, y->old_value);
            g_assert_cmpuint(x->file_bits, ==, y->file_bits);
            if (x->kind == DS_CHANGE_PACKAGE_INSTALLED) {
                installs++;
                g_assert_null(ds_manifest_find_package(a, x->name));
                g_assert_cmpstr(ds_manifest_find_package(b, x->name)->version,
                                ==, x->new_value);
            }
            if (x->kind == DS_CHANGE_PACKAGE_UPGRADED)
                g_assert_cmpint(ds_version_compare(x->old_value, x->new_value),
                                <, 0);
        }
    }
    g_assert_cmpuint(total, >, 1000);
    g_assert_cmpuint(installs, >, 100);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/diff/identical", test_identical);
    g_test_add_func("/diff/every-kind", test_every_kind);
    g_test_add_func("/diff/every-kind-back", test_kinds_back);
    g_test_add_func("/diff/package-versions", test_package_versions);
    g_test_add_func("/diff/files-secret", test_files_secret);
    g_test_add_func("/diff/order", test_order);
    g_test_add_func("/diff/unsorted", test_unsorted);
    g_test_add_func("/diff/null-side", test_null_side);
    g_test_add_func("/diff/ignore", test_ignore);
    g_test_add_func("/diff/properties", test_properties);
    return g_test_run();
}
