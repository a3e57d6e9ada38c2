/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-dpkg-apt.c: pending updates, held-back ones, holds,
 * automatic marks and origins from apt's own answers: apt-cache policy
 * output captured on a Debian 12 host, hostile output, and a real tree
 * whose apt reads a local repository with a security suite
 * (tests/data/dpkg/mkrepo.sh) collected through local:/ROOT. */
#include <config.h>

#include <glib/gstdio.h>
#include <string.h>

#include "drivers/platform-dpkg.h"
#include "drivers/platform.h"
#include "manifests/util/error.h"

static char *tmpdir;

static char *data_file(const char *name)
{
    g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", "dpkg",
                                                  "apt", name, NULL);
    char *text = NULL;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

static ds_manifest *installed(const char *const *nv)
{
    ds_manifest *m = ds_manifest_new("web01", DS_ROLE_PROD);
    g_autoptr(GError) err = NULL;

    for (gsize i = 0; nv[i]; i += 2) {
        const char *colon = strchr(nv[i], ':');
        g_ptr_array_add(m->packages, ds_package_new(nv[i], nv[i + 1],
                                                    colon ? colon + 1
                                                          : "amd64",
                                                    NULL));
    }
    g_assert_cmpint(ds_manifest_normalise(m, &err), ==, 0);
    m->holds = g_ptr_array_new_with_free_func(g_free);
    return m;
}

/* Output of a Debian 12 host: a security candidate for libaom3, libssl3
 * and openjdk (Multi-Arch: same ones named NAME:amd64 by dpkg, NAME by
 * apt), an ordinary one for bash, nothing for adduser and libc6 (whose
 * older version is in the security suite). */
static void test_policy_debian(void)
{
    static const char *const nv[] = {
        "adduser", "3.134", "bash", "5.2.15-2+b8",
        "libaom3:amd64", "3.6.0-1+deb12u1", "libc6:amd64", "2.36-9+deb12u14",
        "libssl3:amd64", "3.0.19-1~deb12u2", "openjdk-17-jre-headless:amd64",
        "17.0.15+6-1~deb12u1", NULL};
    g_autofree char *files = data_file("files.txt");
    g_autofree char *pkgs = data_file("packages.txt");
    g_autoptr(ds_apt_policy) p = NULL;
    g_autoptr(ds_manifest) m = installed(nv);
    g_autoptr(GError) err = NULL;
    const ds_pending *pe;

    g_assert_cmpint(ds_apt_policy_parse(&p, "web01", files, strlen(files),
                                        pkgs, strlen(pkgs), &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(ds_apt_policy_apply(m, p, "amd64", NULL, NULL, &err), ==,
                    0);
    g_assert_cmpuint(m->pending->len, ==, 4);
    pe = ds_manifest_find_pending(m, "libssl3:amd64");
    g_assert_nonnull(pe);
    g_assert_cmpstr(pe->version, ==, "3.0.22-1~deb12u2");
    g_assert_cmpstr(pe->origin, ==, "Debian");
    g_assert_cmpstr(pe->suite, ==, "bookworm-security");
    g_assert_true(pe->security);
    g_assert_true(ds_manifest_find_pending(m, "libaom3:amd64")->security);
    g_assert_true(
        ds_manifest_find_pending(m, "openjdk-17-jre-headless:amd64")->security);
    pe = ds_manifest_find_pending(m, "bash");
    g_assert_cmpstr(pe->version, ==, "5.2.15-2+b13");
    g_assert_cmpstr(pe->suite, ==, "bookworm");
    g_assert_false(pe->security);
    g_assert_null(ds_manifest_find_pending(m, "adduser"));
    g_assert_null(ds_manifest_find_pending(m, "libc6:amd64"));
    g_assert_cmpuint(m->held_back->len, ==, 0);
    /* the installed version's archive, where it still is in one */
    g_assert_cmpstr(ds_manifest_find_package(m, "adduser")->source, ==,
                    "Debian:bookworm");
    g_assert_cmpstr(ds_manifest_find_package(m, "libc6:amd64")->source, ==,
                    "Debian:bookworm");
    g_assert_null(ds_manifest_find_package(m, "bash")->source);
}

/* A hold turns a pending update into a held-back one; the security rule
 * follows the configuration (a company's own archive). */
static void test_policy_holds_and_rule(void)
{
    static const char *const nv[] = {"ds-held", "1.0-1", "ds-lib", "0.5-1",
                                     "ds-same", "3.0-1", "ds-sec", "1.0-1",
                                     "ds-upd", "2.0-1", NULL};
    static const char *const origins[] = {"ACME-Security", NULL};
    static const char *const suites[] = {"*-hotfix", NULL};
    g_autofree char *text = data_file("local-repo.txt");
    char *cut = strstr(text, "====\n");
    g_autoptr(ds_apt_policy) p = NULL;
    g_autoptr(ds_manifest) m = installed(nv);
    g_autoptr(ds_manifest) m2 = installed(nv);
    g_autoptr(GError) err = NULL;
    const ds_pending *pe;

    g_assert_nonnull(cut);
    g_assert_cmpint(ds_apt_policy_parse(&p, "web01", text,
                                        (gsize)(cut - text), cut + 5,
                                        strlen(cut + 5), &err), ==, 0);
    g_ptr_array_add(m->holds, g_strdup("ds-held"));
    g_assert_cmpint(ds_apt_policy_apply(m, p, "amd64", NULL, NULL, &err), ==,
                    0);
    g_assert_cmpuint(m->pending->len, ==, 2);
    g_assert_true(ds_manifest_find_pending(m, "ds-sec")->security);
    g_assert_false(ds_manifest_find_pending(m, "ds-upd")->security);
    g_assert_null(ds_manifest_find_pending(m, "ds-held"));
    pe = ds_manifest_find_held_back(m, "ds-held");
    g_assert_nonnull(pe);
    g_assert_cmpstr(pe->version, ==, "1.1-1");
    g_assert_cmpstr(ds_manifest_find_package(m, "ds-same")->source, ==,
                    "Debian:bookworm");

    /* neither the label nor the suite is a security one by this rule */
    g_assert_cmpint(
        ds_apt_policy_apply(m2, p, "amd64", origins, suites, &err), ==, 0);
    g_assert_false(ds_manifest_find_pending(m2, "ds-sec")->security);
    g_assert_nonnull(ds_manifest_find_pending(m2, "ds-held"));
    g_assert_true(ds_apt_is_security("ACME", "ACME-Security", "x", "y",
                                     origins, suites));
    g_assert_true(ds_apt_is_security("ACME", NULL, NULL, "jammy-hotfix",
                                     origins, suites));
    g_assert_true(ds_apt_is_security("Debian", "Debian-Security",
                                     "stable-security", NULL, NULL, NULL));
    g_assert_true(ds_apt_is_security("Ubuntu", "Ubuntu", NULL,
                                     "noble-security", NULL, NULL));
    g_assert_false(ds_apt_is_security("Debian", "Debian", "stable",
                                      "bookworm", NULL, NULL));
}

static const char files_ok[] =
    "Package files:\n 100 /var/lib/dpkg/status\n     release a=now\n"
    " 500 http://deb.debian.org/debian bookworm/main amd64 Packages\n"
    "     release v=12,o=Debian,a=stable,n=bookworm,l=Debian,c=main\n"
    "Pinned packages:\n";

/* Hostile or broken output: one clear error naming the host and line. */
static void test_policy_hostile(void)
{
    static const struct {
        const char *files, *pkgs, *msg;
    } bad[] = {
        {"", "", "web01: apt-cache policy output has no package files"},
        {"Package files:\nrm -rf /\n", "",
         "web01: apt-cache policy output line 2: unexpected line: 'rm -rf /'"},
        {"Package files:\n 500 x\n     release o=A B,a=st able\n", "",
         "line 3: bad release field"},
        {"Package files:\n 500 x\n     release garbage\n", "",
         "line 3: expected key=value fields"},
        {files_ok, "foo;reboot:\n", "line 1: not a valid package name"},
        {files_ok, "foo:\n  Installed: 1.0 $(id)\n",
         "line 2: not a valid Debian version: '  Installed: 1.0 $(id)'"},
        {files_ok, "foo:\n  Candidate: 1\x1b[2J\n",
         "line 2: contains a control character"},
        {files_ok, "foo:\n  Installed: 1\xff\n", "line 2: not valid UTF-8"},
        {files_ok, "foo:\n  Version table:\n     1.0 five\n",
         "line 3: expected a version and a priority"},
        {files_ok, "foo:\n  Installed: 1.0\nfoo:\n", "line 3: package listed "
                                                     "twice"},
        {files_ok, "  Installed: 1.0\n", "line 1: unexpected line"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(ds_apt_policy) p = NULL;
        g_autoptr(GError) e = NULL;
        int rc = ds_apt_policy_parse(&p, "web01", bad[i].files,
                                     strlen(bad[i].files), bad[i].pkgs,
                                     strlen(bad[i].pkgs), &e);

        g_assert_cmpint(rc, ==, DS_EINVALID);
        g_assert_null(p);
        g_assert_null(strchr(e->message, '\n'));
        if (!strstr(e->message, bad[i].msg))
            g_error("case %zu: '%s' lacks '%s'", i, e->message, bad[i].msg);
    }
    /* a line of a megabyte is refused, not copied */
    {
        g_autoptr(ds_apt_policy) p = NULL;
        g_autoptr(GError) e = NULL;
        g_autofree char *big = g_strnfill(1 << 20, 'a');

        g_assert_cmpint(ds_apt_policy_parse(&p, "web01", files_ok,
                                            strlen(files_ok), big,
                                            strlen(big), &e), ==,
                        DS_EINVALID);
        g_assert_nonnull(strstr(e->message, "line 1: line longer than 4096"));
        g_assert_cmpuint(strlen(e->message), <, 600);
    }
}

static void test_parse_names_and_times(void)
{
    static const char *const nv[] = {"bash", "5.2", "libaom3:amd64", "3.6",
                                     NULL};
    g_autoptr(ds_manifest) m = installed(nv);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    g_autofree char *t = NULL;
    const char showauto[] = "bash\nlibaom3\nnot-installed\n";
    const char times[] = "1764691200.5\n1764698400.0000000000\n17\n";

    g_assert_cmpint(ds_apt_parse_names(names, m, "amd64", "web01", "showauto",
                                       showauto, strlen(showauto), &err),
                    ==, 0);
    g_assert_cmpuint(names->len, ==, 2);
    g_assert_cmpstr(names->pdata[1], ==, "libaom3:amd64");
    g_assert_cmpint(ds_apt_parse_names(names, m, "amd64", "web01", "showauto",
                                       "bash\n$(id)\n", 12, &err),
                    ==, DS_EINVALID);
    g_assert_cmpstr(err->message, ==,
                    "web01: showauto output line 2: not a package name: "
                    "'$(id)'");
    g_clear_error(&err);

    g_assert_cmpint(ds_apt_parse_mtimes(&t, "web01", times, strlen(times),
                                        &err), ==, 0);
    g_assert_cmpstr(t, ==, "2025-12-02T18:00:00Z");
    g_clear_pointer(&t, g_free);
    g_assert_cmpint(ds_apt_parse_mtimes(&t, "web01", "", 0, &err), ==, 0);
    g_assert_null(t);
    g_assert_cmpint(ds_apt_parse_mtimes(&t, "web01", "12\n-5\n", 6, &err), ==,
                    DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "line 2: not a time in seconds"));
}

/* ---- a real tree and repository -------------------------------------- */

static char *make_repo(const char *name)
{
    g_autofree char *script = g_test_build_filename(G_TEST_DIST, "data", "dpkg",
                                                    "mkrepo.sh", NULL);
    char *dir = g_build_filename(tmpdir, name, NULL);
    g_autofree char *out = NULL, *errout = NULL;
    const char *argv[] = {"sh", script, dir, NULL};
    int status = 0;

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, &out, &errout, &status, NULL));
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("mkrepo.sh failed: %s", errout);
    return dir;
}

static int collect(ds_manifest **m, const char *dir, bool refresh,
                   GError **err)
{
    g_autofree char *uri = g_strdup_printf("local:%s/root", dir);
    g_autoptr(ds_transport) t = NULL;
    ds_collect_options o = {.host = "web01",
                            .role = DS_ROLE_PROD,
                            .hmac_key = NULL,
                            .refresh_lists = refresh};
    int rc = ds_transport_open(&t, uri, NULL, err);

    return rc < 0 ? rc : ds_platform_collect(m, t, &o, err);
}

static void test_collect_repo(void)
{
    g_autofree char *dir = NULL;
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GError) err = NULL;
    const ds_pending *pe;

    if (!g_find_program_in_path("apt-cache") ||
        !g_find_program_in_path("dpkg-scanpackages")) {
        g_test_skip("needs apt and dpkg-dev");
        return;
    }
    dir = make_repo("repo");
    g_assert_cmpint(collect(&m, dir, false, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(m->pending->len, ==, 2);
    pe = ds_manifest_find_pending(m, "ds-sec");
    g_assert_cmpstr(pe->version, ==, "1.0-2");
    g_assert_cmpstr(pe->origin, ==, "Debian");
    g_assert_cmpstr(pe->suite, ==, "bookworm-security");
    g_assert_true(pe->security);
    pe = ds_manifest_find_pending(m, "ds-upd");
    g_assert_cmpstr(pe->version, ==, "2.1-1");
    g_assert_false(pe->security);
    g_assert_cmpuint(m->holds->len, ==, 1);
    g_assert_true(ds_manifest_is_held(m, "ds-held"));
    g_assert_cmpstr(ds_manifest_find_held_back(m, "ds-held")->version, ==,
                    "1.1-1");
    g_assert_cmpuint(m->auto_marks->len, ==, 1);
    g_assert_true(ds_manifest_is_auto(m, "ds-lib"));
    g_assert_cmpstr(ds_manifest_find_package(m, "ds-same")->source, ==,
                    "Debian:bookworm");
    g_assert_nonnull(m->lists_updated_at);
    g_assert_true(g_str_has_prefix(m->lists_updated_at, "20"));

    /* a newer security version published, seen only after a refresh */
    {
        const char *update =
            "set -e; cd \"$1\"; sed -i 's/^Version: 1.0-2$/Version: 1.0-3/'"
            " pkg/ds-sec-1.0-2/DEBIAN/control;"
            " dpkg-deb --build --root-owner-group pkg/ds-sec-1.0-2"
            " repo/pool/bookworm-security/ds-sec_1.0-2.deb >/dev/null;"
            " (cd repo && dpkg-scanpackages -m pool/bookworm-security"
            " /dev/null 2>/dev/null) >repo/dists/bookworm-security/main/"
            "binary-$(dpkg --print-architecture)/Packages;"
            " f=main/binary-$(dpkg --print-architecture)/Packages;"
            " d=repo/dists/bookworm-security;"
            " sed -i '/Packages$/d' $d/Release;"
            " printf ' %s %s %s\\n' $(sha256sum <$d/$f | cut -d' ' -f1)"
            " $(wc -c <$d/$f) $f >>$d/Release";
        const char *argv[] = {"sh", "-c", update, "sh", dir, NULL};
        int status = 0;

        g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
                                   G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                                   NULL, &status, NULL));
        g_assert_true(g_spawn_check_wait_status(status, NULL));
    }
    g_clear_pointer(&m, ds_manifest_free);
    g_assert_cmpint(collect(&m, dir, false, &err), ==, 0);
    g_assert_cmpstr(ds_manifest_find_pending(m, "ds-sec")->version, ==,
                    "1.0-2");
    g_clear_pointer(&m, ds_manifest_free);
    g_assert_cmpint(collect(&m, dir, true, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpstr(ds_manifest_find_pending(m, "ds-sec")->version, ==,
                    "1.0-3");

    /* apt refusing its configuration: the host is still recorded, what
     * only apt can tell is "not collected", the holds are dpkg's */
    {
        g_autofree char *list = g_build_filename(
            dir, "root", "etc", "apt", "sources.list.d", "bad.list", NULL);
        g_assert_true(g_file_set_contents(
            list,
            "deb [signed-by=/a.gpg] http://deb.debian.org/debian bookworm "
            "main\ndeb [signed-by=/b.gpg] http://deb.debian.org/debian "
            "bookworm main\n",
            -1, NULL));
    }
    g_clear_pointer(&m, ds_manifest_free);
    g_assert_cmpint(collect(&m, dir, false, &err), ==, 0);
    g_assert_null(m->pending);
    g_assert_null(m->held_back);
    g_assert_null(m->auto_marks);
    g_assert_true(ds_manifest_is_held(m, "ds-held"));
}

int main(int argc, char **argv)
{
    int rc;

    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("ds-dpkg-apt-XXXXXX", NULL);
    g_test_add_func("/dpkg-apt/policy/debian", test_policy_debian);
    g_test_add_func("/dpkg-apt/policy/holds-and-rule",
                    test_policy_holds_and_rule);
    g_test_add_func("/dpkg-apt/policy/hostile", test_policy_hostile);
    g_test_add_func("/dpkg-apt/names-and-times", test_parse_names_and_times);
    g_test_add_func("/dpkg-apt/collect/repo", test_collect_repo);
    rc = g_test_run();
    if (g_getenv("DS_KEEP_TMP") == NULL) {
        const char *rm[] = {"rm", "-rf", tmpdir, NULL};
        g_spawn_sync(NULL, (char **)rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     NULL, NULL, NULL, NULL);
    }
    g_free(tmpdir);
    return rc;
}
