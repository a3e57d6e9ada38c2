/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-pkgcache-rpm.c: the package cache for rpm hosts: the
 * repomd.xml and primary metadata parsers on good and hostile documents,
 * index names, and a fill from a real repository (rpmbuild, createrepo_c)
 * read from a directory: digests checked, a lying repository refused;
 * and the rpm transaction's line checks (drivers/platform-rpm-apply.c). */
#include <config.h>

#include <string.h>

#include "drivers/pkgcache.h"
#include "drivers/platform-rpm-apply.h"
#include "manifests/util/error.h"
#include "manifests/version.h"
#include "tests/unit/testutil.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const char repomd_good[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<repomd xmlns=\"http://linux.duke.edu/metadata/repo\" "
    "xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\">\n"
    "  <revision>1700000000</revision>\n"
    "  <data type=\"filelists\">\n"
    "    <checksum type=\"sha256\">" SHA_A "</checksum>\n"
    "    <location href=\"repodata/x-filelists.xml.gz\"/>\n"
    "  </data>\n"
    "  <data type=\"primary\">\n"
    "    <checksum type=\"sha256\">0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef</checksum>\n"
    "    <open-checksum type=\"sha256\">" SHA_A "</open-checksum>\n"
    "    <location href=\"repodata/0123-primary.xml.gz\"/>\n"
    "    <timestamp>1700000000</timestamp>\n"
    "    <size>1234</size>\n"
    "  </data>\n"
    "</repomd>\n";

static void test_repomd(void)
{
    g_autoptr(ds_pkgcache_repomd) md = NULL;
    g_autoptr(GError) e = NULL;

    g_assert_cmpint(ds_pkgcache_parse_repomd(&md, repomd_good,
                                             strlen(repomd_good), "r", &e),
                    ==, 0);
    g_assert_no_error(e);
    g_assert_cmpstr(md->href, ==, "repodata/0123-primary.xml.gz");
    g_assert_cmpstr(md->checksum_type, ==, "sha256");
    /* the open-checksum (of the uncompressed file) is not the one kept */
    g_assert_cmpstr(
        md->checksum, ==,
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
}

/* repomd_good with FROM replaced by TO must be refused with WHY. */
static void repomd_bad(const char *from, const char *to, const char *why)
{
    g_autoptr(GString) doc = g_string_new(repomd_good);
    g_autoptr(ds_pkgcache_repomd) md = NULL;
    g_autoptr(GError) e = NULL;

    g_assert_cmpint(g_string_replace(doc, from, to, 1), ==, 1);
    g_assert_cmpint(ds_pkgcache_parse_repomd(&md, doc->str, doc->len,
                                             "https://r/repodata/repomd.xml",
                                             &e),
                    ==, DS_EINVALID);
    g_assert_null(md);
    g_assert_nonnull(e);
    g_test_message("%s", e->message);
    g_assert_true(
        g_str_has_prefix(e->message, "https://r/repodata/repomd.xml: "));
    g_assert_nonnull(strstr(e->message, why));
}

static void test_repomd_hostile(void)
{
    static const char *const garbage[] = {
        "",
        "not xml",
        "<repomd><data type=\"primary\">",
        "<repomd>\0<data/></repomd>",
        "<!DOCTYPE r [<!ENTITY x \"yyyyyyyy\">]><repomd>&x;</repomd>",
    };

    repomd_bad("type=\"primary\"", "type=\"other\"", "no primary metadata");
    repomd_bad("repodata/0123-primary.xml.gz", "/etc/shadow",
               "not a safe relative path");
    repomd_bad("repodata/0123-primary.xml.gz", "repodata/../../x.xml.gz",
               "not a safe relative path");
    repomd_bad("repodata/0123-primary.xml.gz", "https://evil/p.xml.gz",
               "not a safe relative path");
    repomd_bad("<location href=\"repodata/0123-primary.xml.gz\"/>",
               "<location xml:base=\"https://evil/\" href=\"p.xml.gz\"/>",
               "elsewhere (xml:base)");
    repomd_bad("<checksum type=\"sha256\">0123", "<checksum type=\"md5\">0123",
               "checksum type 'md5' is not read");
    repomd_bad("<checksum type=\"sha256\">0123", "<checksum type=\"sha1\">0123",
               "checksum type 'sha1' is not read");
    repomd_bad("<checksum type=\"sha256\">0123",
               "<checksum type=\"sha256\">zz23", "is not 64 hex digits");
    repomd_bad("</repomd>", "", "not repomd.xml");
    for (gsize i = 0; i < G_N_ELEMENTS(garbage); i++) {
        g_autoptr(ds_pkgcache_repomd) md = NULL;
        g_autoptr(GError) e = NULL;
        gsize len = i == 3 ? 26 : strlen(garbage[i]);

        g_assert_cmpint(ds_pkgcache_parse_repomd(&md, garbage[i], len, "r", &e),
                        ==, DS_EINVALID);
        g_assert_null(md);
    }
}

#define PKG(NAME, ARCH, EPOCH, VER, REL, SUMTYPE, SUM, SIZE, HREF)             \
    "<package type=\"rpm\">\n"                                                 \
    "  <name>" NAME "</name>\n  <arch>" ARCH "</arch>\n"                       \
    "  <version epoch=\"" EPOCH "\" ver=\"" VER "\" rel=\"" REL "\"/>\n"       \
    "  <checksum type=\"" SUMTYPE "\" pkgid=\"YES\">" SUM "</checksum>\n"      \
    "  <summary>a &lt;test&gt;</summary>\n"                                    \
    "  <size package=\"" SIZE "\" installed=\"10\" archive=\"20\"/>\n"         \
    "  <location href=\"" HREF "\"/>\n"                                        \
    "  <format><rpm:provides><rpm:entry name=\"evil\" ver=\"9\"/>"             \
    "</rpm:provides><file>/usr/bin/x</file></format>\n"                        \
    "</package>\n"

/* The metadata of a repository, with hostile entries among the good. */
/* clang-format off */
static const char primary[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<metadata xmlns=\"http://linux.duke.edu/metadata/common\" "
    "xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"9\">\n"
    PKG("bash", "x86_64", "0", "5.1.8", "9.el9", "sha256", SHA_A, "1700",
        "Packages/b/bash-5.1.8-9.el9.x86_64.rpm")
    PKG("ds-e", "noarch", "1", "0.5", "1", "sha256", SHA_A, "300",
        "noarch/ds-e-0.5-1.noarch.rpm")
    PKG("src-pkg", "src", "0", "1", "1", "sha256", SHA_A, "1", "s.src.rpm")
    PKG("ds-up", "noarch", "0", "1", "1", "sha256", "ABCDEF", "1", "up.rpm")
    PKG("ds-old", "noarch", "0", "1", "1", "sha1",
        "0123456789012345678901234567890123456789", "1", "old.rpm")
    PKG("ds-escape", "noarch", "0", "1", "1", "sha256", SHA_A, "1",
        "../../../etc/shadow")
    PKG("bad name", "noarch", "0", "1", "1", "sha256", SHA_A, "1", "n.rpm")
    PKG("ds-epoch", "noarch", "x1", "1", "1", "sha256", SHA_A, "1", "e.rpm")
    PKG("ds-ver", "noarch", "0", "1/../2", "1", "sha256", SHA_A, "1", "v.rpm")
    PKG("ds-size", "noarch", "0", "1", "1", "sha256", SHA_A, "-5", "s.rpm")
    "<package type=\"rpm\"><name>ds-elsewhere</name><arch>noarch</arch>"
    "<version epoch=\"0\" ver=\"1\" rel=\"1\"/><checksum type=\"sha256\">"
    SHA_A "</checksum><size package=\"1\"/>"
    "<location xml:base=\"https://evil/\" href=\"x.rpm\"/></package>\n"
    "<package type=\"rpm\"><name>ds-nosize</name><arch>noarch</arch>"
    "<version epoch=\"0\" ver=\"1\" rel=\"1\"/></package>\n"
    "</metadata>\n";
/* clang-format on */

static const ds_pkgcache_entry *entry(GPtrArray *a, const char *name)
{
    for (guint i = 0; i < a->len; i++)
        if (!strcmp(((ds_pkgcache_entry *)a->pdata[i])->name, name))
            return a->pdata[i];
    return NULL;
}

static void test_primary(void)
{
    g_autoptr(GPtrArray) a = NULL;
    g_autoptr(GError) e = NULL;
    const ds_pkgcache_entry *x;

    g_assert_cmpint(
        ds_pkgcache_parse_primary(&a, primary, strlen(primary), "p", &e), ==,
        0);
    g_assert_no_error(e);
    x = entry(a, "bash.x86_64");
    g_assert_nonnull(x);
    g_assert_cmpstr(x->version, ==, "5.1.8-9.el9"); /* a zero epoch dropped */
    g_assert_cmpstr(x->arch, ==, "x86_64");
    g_assert_cmpstr(x->filename, ==, "Packages/b/bash-5.1.8-9.el9.x86_64.rpm");
    g_assert_cmpstr(x->sha256, ==, SHA_A);
    g_assert_cmpuint(x->size, ==, 1700);
    x = entry(a, "ds-e.noarch");
    g_assert_nonnull(x);
    g_assert_cmpstr(x->version, ==, "1:0.5-1");
    /* nested elements (rpm:entry name=) are not the package's name */
    g_assert_null(entry(a, "evil.noarch"));
    g_assert_null(entry(a, "src-pkg.src"));
    /* a digest that is not a SHA-256 of 64 hex digits: no sha256 */
    g_assert_null(entry(a, "ds-up.noarch")->sha256);
    g_assert_null(entry(a, "ds-old.noarch")->sha256);
    /* a location that leaves the repository, or is elsewhere: refused */
    g_assert_null(entry(a, "ds-escape.noarch")->filename);
    g_assert_null(entry(a, "ds-elsewhere.noarch")->filename);
    /* what rpm does not allow is skipped */
    g_assert_null(entry(a, "bad name.noarch"));
    g_assert_null(entry(a, "ds-epoch.noarch"));
    g_assert_null(entry(a, "ds-ver.noarch"));
    g_assert_null(entry(a, "ds-size.noarch"));
    g_assert_null(entry(a, "ds-nosize.noarch"));
    g_assert_cmpuint(a->len, ==, 6);
}

static void test_primary_hostile(void)
{
    static const char *const docs[] = {
        "<metadata><package type=\"rpm\"><name>x</name>",
        "<metadata><package><name>a</nam></package></metadata>",
        "<metadata>&unknown;</metadata>",
        "\xff\xfe<metadata/>",
    };
    g_autoptr(GString) big =
        g_string_new("<metadata><package type=\"rpm\"><name>");

    for (gsize i = 0; i < G_N_ELEMENTS(docs); i++) {
        g_autoptr(GPtrArray) a = NULL;
        g_autoptr(GError) e = NULL;

        g_assert_cmpint(ds_pkgcache_parse_primary(&a, docs[i], strlen(docs[i]),
                                                  "https://r/p.xml", &e),
                        ==, DS_EINVALID);
        g_assert_null(a);
        g_assert_true(g_str_has_prefix(
            e->message, "https://r/p.xml: not primary metadata"));
    }
    /* an over-long name is cut to a bounded buffer, then refused */
    for (int i = 0; i < 100000; i++)
        g_string_append(big, "aaaaaaaaaa");
    g_string_append(big, "</name><arch>noarch</arch><version epoch=\"0\" "
                         "ver=\"1\" rel=\"1\"/><size package=\"1\"/>"
                         "<location href=\"a.rpm\"/></package></metadata>");
    {
        g_autoptr(GPtrArray) a = NULL;
        g_autoptr(GError) e = NULL;

        g_assert_cmpint(
            ds_pkgcache_parse_primary(&a, big->str, big->len, "p", &e), ==, 0);
        g_assert_cmpuint(a->len, ==, 0);
    }
}

static void test_stem(void)
{
    g_autofree char *s1 =
        ds_pkgcache_rpm_stem("bash.x86_64", "1:5.1-2.el9", "x86_64");
    g_autofree char *s2 =
        ds_pkgcache_rpm_stem("ds-doc.noarch", "1.0-1", "noarch");

    g_assert_cmpstr(s1, ==, "bash-1%3a5.1-2.el9.x86_64.rpm");
    g_assert_cmpstr(s2, ==, "ds-doc-1.0-1.noarch.rpm");
    g_assert_null(ds_pkgcache_rpm_stem("bash.x86_64", "5.1-2", "noarch"));
    g_assert_null(ds_pkgcache_rpm_stem("../x.x86_64", "5.1-2", "x86_64"));
    g_assert_null(ds_pkgcache_rpm_stem("bash.x86_64", "5.1/2-1", "x86_64"));
    g_assert_null(ds_pkgcache_rpm_stem("bash.x86_64", "5.1", "x86_64"));
    g_assert_null(ds_pkgcache_rpm_stem("bash", "5.1-1", "x86_64"));
}

static void test_tx_lines(void)
{
    static const char *const good[] = {
        "install ds-a-0:1.0-1.noarch",
        "upgrade bash-0:5.1.8-9.el9.x86_64",
        "downgrade ds-e-0:3.0-1.noarch",
        "install kernel-core-0:5.14.0-362.el9.x86_64",
        "remove ds-c.noarch",
        "remove kernel-core-0:5.14.0-1.el9.x86_64",
        "install /var/cache/driftsync/rpms/ds-e-1%3a0.5-1.noarch.rpm",
    };
    static const char *const bad[] = {
        "install ds-a-1.0-1.noarch", /* no epoch: not the plan's spelling */
        "install ds-a.noarch",
        "erase ds-a.noarch",
        "install /etc/shadow",
        "install /var/cache/driftsync/rpms/../../../etc/x.rpm",
        "install /var/cache/driftsync/rpms/-x.rpm",
        "remove /var/cache/driftsync/rpms/a.rpm",
        "remove -x.noarch",
        "install ds-a-0:1.0-1.noarch\nrun",
        "install ds-a-0:1.0-1.noarch ds-b-0:1-1.noarch",
        "install ds-a-0:1.0-1.noarch;reboot",
        "remove ds-a.no arch",
        "install",
        "",
    };
    char *n;

    for (gsize i = 0; i < G_N_ELEMENTS(good); i++)
        g_assert_true(ds_rpm_tx_line_is_safe(good[i]));
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_test_message("%s", bad[i]);
        g_assert_false(ds_rpm_tx_line_is_safe(bad[i]));
    }
    g_assert_false(ds_rpm_tx_line_is_safe(NULL));
    n = ds_rpm_nevra("ds-e.noarch", "1:0.5-1");
    g_assert_cmpstr(n, ==, "ds-e-1:0.5-1.noarch");
    g_free(n);
    n = ds_rpm_nevra("ds-e.noarch", "3.0-1");
    g_assert_cmpstr(n, ==, "ds-e-0:3.0-1.noarch");
    {
        g_autofree char *key = NULL, *evr = NULL;

        g_assert_true(ds_rpm_nevra_split(n, &key, &evr));
        g_assert_cmpstr(key, ==, "ds-e.noarch");
        g_assert_cmpstr(evr, ==, "0:3.0-1");
    }
    g_free(n);
    g_assert_null(ds_rpm_nevra("ds e.noarch", "1-1"));
    g_assert_null(ds_rpm_nevra("ds-e.noarch", "1-1;x"));
}

/* ---- a real repository ---- */

static bool have(const char *cmd)
{
    g_autofree char *p = g_find_program_in_path(cmd);

    return p != NULL;
}

static void run_sh(const char *script, const char *arg)
{
    const char *argv[] = {"sh", "-c", script, "sh", arg, NULL};
    ds_run_result r = {.status = -1};
    g_autoptr(GError) e = NULL;

    g_assert_cmpint(ds_transport_spawn(argv, NULL, NULL, &r, &e), ==, 0);
    if (r.status != 0)
        g_error("%s: %.*s", script, (int)g_bytes_get_size(r.err),
                (const char *)g_bytes_get_data(r.err, NULL));
    ds_run_result_clear(&r);
}

static GPtrArray *wanted(void)
{
    GPtrArray *a =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_package_free);

    g_ptr_array_add(a,
                    ds_package_new("ds-e.noarch", "1:0.5-1", "noarch", NULL));
    g_ptr_array_add(a,
                    ds_package_new("ds-a.noarch", "0:2.0-1", "noarch", NULL));
    g_ptr_array_add(a, ds_package_new("ds-zz.noarch", "1.0-1", "noarch", NULL));
    return a;
}

static void test_fill(void)
{
    g_autofree char *dir = NULL;
    g_autofree char *repo = NULL;
    g_autofree char *cache_dir = NULL;
    g_autofree char *mkrepo = ds_test_data("rpm", "mkrepo.sh", NULL);
    g_autoptr(ds_pkgcache) c = NULL;
    g_autoptr(ds_pkgcache) c2 = NULL;
    g_autoptr(GPtrArray) pkgs = wanted();
    g_autoptr(GPtrArray) miss = NULL;
    g_autoptr(GError) e = NULL;
    g_autofree char *path = NULL, *sha = NULL, *want_sha = NULL;
    g_autofree char *file = NULL;
    gchar *data = NULL;
    gsize len = 0;

    if (!have("rpmbuild") || !have("createrepo_c") || !have("rpm")) {
        g_test_skip("rpmbuild, createrepo_c and rpm are needed");
        return;
    }
    dir = ds_test_tmpdir("ds-rpmcache-XXXXXX");
    {
        const char *argv[] = {"sh", mkrepo, "replay", dir, NULL};
        ds_run_result r = {.status = -1};

        g_assert_cmpint(ds_transport_spawn(argv, NULL, NULL, &r, &e), ==, 0);
        if (r.status != 0)
            g_error("mkrepo.sh replay exited %d: %.*s", r.status,
                    (int)g_bytes_get_size(r.err),
                    (const char *)g_bytes_get_data(r.err, NULL));
        ds_run_result_clear(&r);
    }
    repo = g_build_filename(dir, "repo", NULL);
    cache_dir = g_build_filename(dir, "cache", NULL);
    g_assert_cmpint(ds_pkgcache_open(&c, cache_dir, &e), ==, 0);
    g_assert_cmpint(
        ds_pkgcache_fill_from_rpm_repository(&miss, c, repo, pkgs, NULL, &e),
        ==, 0);
    g_assert_no_error(e);
    /* ds-zz is in no repository */
    g_assert_cmpuint(miss->len, ==, 1);
    g_assert_cmpstr(((ds_pkgcache_miss *)miss->pdata[0])->pkg->name, ==,
                    "ds-zz.noarch");
    g_assert_nonnull(strstr(((ds_pkgcache_miss *)miss->pdata[0])->reason,
                            "-primary.xml.gz"));
    g_assert_cmpint(ds_pkgcache_lookup_rpm(&path, &sha, c, "ds-e.noarch",
                                           "1:0.5-1", "noarch", &e),
                    ==, 0);
    file = g_build_filename(repo, "noarch", "ds-e-0.5-1.noarch.rpm", NULL);
    g_assert_true(g_file_get_contents(file, &data, &len, NULL));
    want_sha =
        g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)data, len);
    g_free(data);
    g_assert_cmpstr(sha, ==, want_sha);
    g_assert_cmpint(ds_pkgcache_lookup_rpm(NULL, NULL, c, "ds-a.noarch",
                                           "0:2.0-1", "noarch", NULL),
                    ==, 0);
    /* a second fill has nothing to do but the missing one */
    g_clear_pointer(&miss, g_ptr_array_unref);
    g_assert_cmpint(
        ds_pkgcache_fill_from_rpm_repository(&miss, c, repo, pkgs, NULL, &e),
        ==, 0);
    g_assert_cmpuint(miss->len, ==, 1);

    /* A repository whose package is not what primary says: nothing is
     * stored for it. */
    run_sh("cd \"$1/repo/noarch\" && cp ds-b-1.0-1.noarch.rpm x && "
           "cp ds-a-1.0-1.noarch.rpm ds-b-1.0-1.noarch.rpm",
           dir);
    {
        g_autofree char *cache2 = g_build_filename(dir, "cache2", NULL);
        g_autoptr(GPtrArray) p2 =
            g_ptr_array_new_with_free_func((GDestroyNotify)ds_package_free);
        ds_pkgcache_miss *m;

        g_ptr_array_add(p2,
                        ds_package_new("ds-b.noarch", "1.0-1", "noarch", NULL));
        g_assert_cmpint(ds_pkgcache_open(&c2, cache2, &e), ==, 0);
        g_clear_pointer(&miss, g_ptr_array_unref);
        g_assert_cmpint(
            ds_pkgcache_fill_from_rpm_repository(&miss, c2, repo, p2, NULL, &e),
            ==, 0);
        g_assert_cmpuint(miss->len, ==, 1);
        m = miss->pdata[0];
        g_test_message("%s", m->reason);
        /* the other package's file is refused by its digest, by its size,
         * or, when it is larger, by the size limit the metadata sets */
        g_assert_true(strstr(m->reason, "SHA256 mismatch") ||
                      strstr(m->reason, "size mismatch") ||
                      strstr(m->reason, "body over"));
        g_assert_cmpint(ds_pkgcache_lookup_rpm(NULL, NULL, c2, "ds-b.noarch",
                                               "1.0-1", "noarch", NULL),
                        ==, DS_ENOTFOUND);
        /* a primary file that is not the one repomd.xml names */
        run_sh(
            "cd \"$1/repo/repodata\" && for f in *-primary.xml.gz; do "
            "gzip -dc \"$f\" | sed 's/ds-b/ds-x/' | gzip >t && mv t \"$f\"; done",
            dir);
        /* (a new cache object: one keeps the metadata it read) */
        g_clear_pointer(&c2, ds_pkgcache_free);
        g_assert_cmpint(ds_pkgcache_open(&c2, cache2, &e), ==, 0);
        g_clear_pointer(&miss, g_ptr_array_unref);
        g_assert_cmpint(
            ds_pkgcache_fill_from_rpm_repository(&miss, c2, repo, p2, NULL, &e),
            ==, 0);
        m = miss->pdata[0];
        g_test_message("%s", m->reason);
        g_assert_nonnull(strstr(m->reason, "repository metadata unreadable"));
        g_assert_nonnull(strstr(m->reason, "sha256 mismatch"));
    }
    /* only https:// and file:// */
    g_assert_cmpint(ds_pkgcache_fill_from_rpm_repository(
                        NULL, c, "http://r.example.com/el9", pkgs, NULL, &e),
                    ==, DS_EINVALID);
    ds_test_rm_rf(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pkgcache-rpm/repomd", test_repomd);
    g_test_add_func("/pkgcache-rpm/repomd-hostile", test_repomd_hostile);
    g_test_add_func("/pkgcache-rpm/primary", test_primary);
    g_test_add_func("/pkgcache-rpm/primary-hostile", test_primary_hostile);
    g_test_add_func("/pkgcache-rpm/stem", test_stem);
    g_test_add_func("/pkgcache-rpm/tx-lines", test_tx_lines);
    g_test_add_func("/pkgcache-rpm/fill", test_fill);
    return g_test_run();
}
