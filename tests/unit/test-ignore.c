/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-ignore.c: ignore rules: globs per category, directory
 * patterns, short names, and errors for bad patterns. */
#include <config.h>

#include <string.h>

#include <glib.h>

#include "manifests/util/error.h"
#include "manifests/ignore.h"

static ds_ignore *ignore_with(ds_category cat, const char *value)
{
    g_autoptr(GError) err = NULL;
    ds_ignore *ig = ds_ignore_new();

    g_assert_cmpint(ds_ignore_add(ig, cat, value, &err), ==, 0);
    g_assert_no_error(err);
    return ig;
}

static void test_categories(void)
{
    for (int i = 0; i < DS_CAT_COUNT; i++)
        g_assert_cmpint(ds_category_from_name(ds_category_name(i)), ==, i);
    g_assert_cmpstr(ds_category_name(DS_CAT_PACKAGES), ==, "packages");
    g_assert_cmpstr(ds_category_name(DS_CAT_SOURCES), ==, "sources");
    g_assert_cmpstr(ds_category_name(DS_CAT_FILES), ==, "files");
    g_assert_cmpstr(ds_category_name(DS_CAT_SERVICES), ==, "services");
    g_assert_cmpstr(ds_category_name(DS_CAT_KERNEL), ==, "kernel");
    g_assert_cmpint(ds_category_from_name("package"), ==, -1);
    g_assert_cmpint(ds_category_from_name(""), ==, -1);
    g_assert_cmpint(ds_category_from_name(NULL), ==, -1);
}

static void test_packages(void)
{
    g_autoptr(ds_ignore) ig =
        ignore_with(DS_CAT_PACKAGES, "  linux-image-*\tfirmware-*\n libc6 ");

    g_assert_true(
        ds_ignore_match(ig, DS_CAT_PACKAGES, "linux-image-6.1.0-26-amd64"));
    g_assert_true(ds_ignore_match(ig, DS_CAT_PACKAGES, "linux-image-amd64"));
    g_assert_true(
        ds_ignore_match(ig, DS_CAT_PACKAGES, "firmware-misc-nonfree"));
    g_assert_true(ds_ignore_match(ig, DS_CAT_PACKAGES, "libc6"));
    /* An arch-qualified name matches its bare name too. */
    g_assert_true(ds_ignore_match(ig, DS_CAT_PACKAGES, "libc6:i386"));
    g_assert_false(ds_ignore_match(ig, DS_CAT_PACKAGES, "libc6-dev"));
    g_assert_false(ds_ignore_match(ig, DS_CAT_PACKAGES, "libc6-dev:i386"));
    g_assert_false(
        ds_ignore_match(ig, DS_CAT_PACKAGES, "linux-headers-6.1.0-26-amd64"));
    g_assert_false(ds_ignore_match(ig, DS_CAT_PACKAGES, "openssl"));
    /* Other categories are not affected. */
    g_assert_false(ds_ignore_match(ig, DS_CAT_SERVICES, "libc6"));
    g_assert_false(ds_ignore_match(ig, DS_CAT_FILES, "libc6"));

    /* Patterns accumulate over several values; brackets work. */
    g_assert_cmpint(ds_ignore_add(ig, DS_CAT_PACKAGES, "lib[a-c]z*", NULL), ==,
                    0);
    g_assert_true(ds_ignore_match(ig, DS_CAT_PACKAGES, "libbz2-1.0"));
    g_assert_false(ds_ignore_match(ig, DS_CAT_PACKAGES, "libdz"));
    g_assert_true(ds_ignore_match(ig, DS_CAT_PACKAGES, "firmware-iwlwifi"));
}

static void test_files(void)
{
    g_autoptr(ds_ignore) ig = ignore_with(
        DS_CAT_FILES,
        "/etc/nginx/ /etc/machine-id /etc/*.conf *.dpkg-old /srv/[ab]?/");

    /* A directory pattern: everything below, and the directory itself. */
    g_assert_true(ds_ignore_match(ig, DS_CAT_FILES, "/etc/nginx/nginx.conf"));
    g_assert_true(
        ds_ignore_match(ig, DS_CAT_FILES, "/etc/nginx/sites-enabled/default"));
    g_assert_true(ds_ignore_match(ig, DS_CAT_FILES, "/etc/nginx"));
    g_assert_false(ds_ignore_match(ig, DS_CAT_FILES, "/etc/nginx2/x"));
    g_assert_false(ds_ignore_match(ig, DS_CAT_FILES, "/etc/nginxfoo"));
    g_assert_true(ds_ignore_match(ig, DS_CAT_FILES, "/srv/a1/deep/file"));
    g_assert_false(ds_ignore_match(ig, DS_CAT_FILES, "/srv/c1/file"));
    /* Exact paths. */
    g_assert_true(ds_ignore_match(ig, DS_CAT_FILES, "/etc/machine-id"));
    g_assert_false(ds_ignore_match(ig, DS_CAT_FILES, "/etc/machine-id.bak"));
    g_assert_false(
        ds_ignore_match(ig, DS_CAT_FILES, "/var/lib/dbus/machine-id"));
    /* '*' crosses '/'. */
    g_assert_true(ds_ignore_match(ig, DS_CAT_FILES, "/etc/resolv.conf"));
    g_assert_true(
        ds_ignore_match(ig, DS_CAT_FILES, "/etc/systemd/journald.conf"));
    g_assert_false(ds_ignore_match(ig, DS_CAT_FILES, "/etc/conf"));
    g_assert_true(
        ds_ignore_match(ig, DS_CAT_FILES, "/etc/default/grub.dpkg-old"));
    /* A leading dot is nothing special. */
    g_assert_true(ds_ignore_match(ig, DS_CAT_FILES, "/etc/.hidden.conf"));
    g_assert_false(ds_ignore_match(ig, DS_CAT_FILES, "/etc/ssh/sshd_config"));
}

static void test_services_sources_kernel(void)
{
    g_autoptr(ds_ignore) ig = ds_ignore_new();

    g_assert_cmpint(
        ds_ignore_add(ig, DS_CAT_SERVICES, "getty@* ssh *.timer", NULL), ==, 0);
    g_assert_true(ds_ignore_match(ig, DS_CAT_SERVICES, "getty@tty1.service"));
    g_assert_true(ds_ignore_match(ig, DS_CAT_SERVICES, "ssh.service"));
    g_assert_true(ds_ignore_match(ig, DS_CAT_SERVICES, "apt-daily.timer"));
    g_assert_false(ds_ignore_match(ig, DS_CAT_SERVICES, "ssh.socket"));
    g_assert_false(ds_ignore_match(ig, DS_CAT_SERVICES, "sshd-keygen.service"));

    /* Source lines contain blanks: a backslash keeps one in a pattern. */
    g_assert_cmpint(
        ds_ignore_add(ig, DS_CAT_SOURCES,
                      "*backports* deb\\ http://deb.debian.org/debian\\ "
                      "bookworm\\ main",
                      NULL),
        ==, 0);
    g_assert_true(ds_ignore_match(
        ig, DS_CAT_SOURCES,
        "deb http://deb.debian.org/debian bookworm-backports main"));
    g_assert_true(ds_ignore_match(ig, DS_CAT_SOURCES,
                                  "deb http://deb.debian.org/debian "
                                  "bookworm main"));
    g_assert_false(ds_ignore_match(ig, DS_CAT_SOURCES,
                                   "deb http://deb.debian.org/debian "
                                   "bookworm main contrib"));

    g_assert_cmpint(ds_ignore_add(ig, DS_CAT_KERNEL, "6.1.0-*-rt-amd64", NULL),
                    ==, 0);
    g_assert_true(ds_ignore_match(ig, DS_CAT_KERNEL, "6.1.0-26-rt-amd64"));
    g_assert_false(ds_ignore_match(ig, DS_CAT_KERNEL, "6.1.0-26-amd64"));
}

static void test_nothing_ignored(void)
{
    g_autoptr(ds_ignore) ig = ds_ignore_new();

    g_assert_false(ds_ignore_match(NULL, DS_CAT_PACKAGES, "openssl"));
    for (int i = 0; i < DS_CAT_COUNT; i++)
        g_assert_false(ds_ignore_match(ig, i, "x"));
    g_assert_false(ds_ignore_match(ig, DS_CAT_PACKAGES, NULL));
    ds_ignore_free(NULL);
}

typedef struct {
    ds_category cat;
    const char *value;
    const char *message; /* expected in the error */
} bad_case;

static void test_errors(void)
{
    g_autofree char *huge = g_strnfill(1025, 'a');
    g_autofree char *max = g_strnfill(1024, 'a');
    const bad_case cases[] = {
        {DS_CAT_PACKAGES, "", "ignore packages: empty value"},
        {DS_CAT_PACKAGES, " \t ", "ignore packages: empty value"},
        {DS_CAT_PACKAGES, NULL, "ignore packages: empty value"},
        {DS_CAT_PACKAGES, "good lib[abc", "'lib[abc' has a '[' without"},
        {DS_CAT_SERVICES, "x[!]", "'x[!]' has a '[' without"},
        {DS_CAT_SOURCES, "a[[:alpha:]", "'a[[:alpha:]' has a '[' without"},
        {DS_CAT_PACKAGES, "foo\\", "'foo\\' ends with a lone backslash"},
        {DS_CAT_FILES, "/etc/x etc/nginx/", "'etc/nginx/' is not an absolute"},
        {DS_CAT_PACKAGES, "a/b", "'a/b' contains '/'"},
        {DS_CAT_SERVICES, "x/y.service", "'x/y.service' contains '/'"},
        {DS_CAT_KERNEL, "6.1\x01", "contains a control character"},
        {DS_CAT_PACKAGES, huge, "too long (1025 bytes, at most 1024)"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(ds_ignore) ig = ds_ignore_new();
        g_autoptr(GError) err = NULL;

        g_assert_cmpint(ds_ignore_add(ig, cases[i].cat, cases[i].value, &err),
                        ==, DS_EINVALID);
        g_assert_error(err, DS_ERROR, -DS_EINVALID);
        if (!strstr(err->message, cases[i].message))
            g_test_message("message: %s", err->message);
        g_assert_nonnull(strstr(err->message, cases[i].message));
        g_assert_null(strchr(err->message, '\n'));
        /* Nothing of a rejected value is kept. */
        g_assert_false(ds_ignore_match(ig, cases[i].cat, "good"));
        g_assert_false(ds_ignore_match(ig, cases[i].cat, "/etc/x"));
    }
    /* No such category, no rule set. */
    {
        g_autoptr(ds_ignore) ig = ds_ignore_new();
        g_autoptr(GError) err = NULL;
        g_autoptr(GError) err2 = NULL;

        g_assert_cmpint(ds_ignore_add(ig, DS_CAT_COUNT, "x", &err), ==,
                        DS_EINVALID);
        g_assert_error(err, DS_ERROR, -DS_EINVALID);
        g_assert_nonnull(strstr(err->message, "no category"));
        g_assert_false(ds_ignore_match(ig, DS_CAT_COUNT, "x"));
        g_assert_cmpint(ds_ignore_add(NULL, DS_CAT_FILES, "/x", &err2), ==,
                        DS_EINVALID);
        g_assert_nonnull(strstr(err2->message, "ignore files"));
    }
    /* Valid corners: the longest pattern, a ']' first in brackets, an
     * escaped bracket, a class. */
    {
        g_autoptr(ds_ignore) ig = ds_ignore_new();
        g_assert_cmpint(ds_ignore_add(ig, DS_CAT_PACKAGES, max, NULL), ==, 0);
        g_assert_true(ds_ignore_match(ig, DS_CAT_PACKAGES, max));
        g_assert_cmpint(
            ds_ignore_add(ig, DS_CAT_SOURCES, "x[]] y\\[ [[:digit:]]*", NULL),
            ==, 0);
        g_assert_true(ds_ignore_match(ig, DS_CAT_SOURCES, "x]"));
        g_assert_true(ds_ignore_match(ig, DS_CAT_SOURCES, "y["));
        g_assert_true(ds_ignore_match(ig, DS_CAT_SOURCES, "7zip"));
        g_assert_false(ds_ignore_match(ig, DS_CAT_SOURCES, "zip"));
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ignore/categories", test_categories);
    g_test_add_func("/ignore/packages", test_packages);
    g_test_add_func("/ignore/files", test_files);
    g_test_add_func("/ignore/services-sources-kernel",
                    test_services_sources_kernel);
    g_test_add_func("/ignore/nothing-ignored", test_nothing_ignored);
    g_test_add_func("/ignore/errors", test_errors);
    return g_test_run();
}
