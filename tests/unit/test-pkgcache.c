/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-pkgcache.c: the package cache with real parts: packages
 * built by dpkg-deb, a file:// repository, a real TLS server on 127.0.0.1
 * (one that lies, one that hangs), and a host's apt cache read through the
 * local transport. */
#include <config.h>

#include <gio/gio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "drivers/pkgcache-private.h"
#include "drivers/pkgcache.h"
#include "manifests/util/error.h"
#include "manifests/store.h"
#include "sync/jobs/cache.h"
#include "sync/config/config-file.h"
#include "sync/plan/plan.h"
#include "sync/engine/sync.h"
#include "sync/jobs/trial.h"
#include "tests/unit/testutil.h"

/* ---- helpers ---------------------------------------------------------- */

static void run_ok(const char *const *argv)
{
    g_autoptr(GError) e = NULL;
    ds_run_result r = {.status = -1};

    g_assert_cmpint(ds_transport_spawn(argv, NULL, NULL, &r, &e), ==, 0);
    g_assert_no_error(e);
    if (r.status != 0)
        g_error("%s exited %d: %.*s", argv[0], r.status,
                (int)g_bytes_get_size(r.err),
                (const char *)g_bytes_get_data(r.err, NULL));
    ds_run_result_clear(&r);
}

/* A real package built by dpkg-deb: its bytes. */
static GBytes *make_deb(const char *work, const char *name, const char *version,
                        const char *arch)
{
    g_autofree char *root = g_strdup_printf("%s/build-%s", work, name);
    g_autofree char *debian = g_build_filename(root, "DEBIAN", NULL);
    g_autofree char *control = g_build_filename(debian, "control", NULL);
    g_autofree char *doc = g_strdup_printf("%s/usr/share/doc/%s", root, name);
    g_autofree char *readme = g_build_filename(doc, "README", NULL);
    g_autofree char *out = g_strdup_printf("%s/out.deb", work);
    g_autofree char *text = g_strdup_printf(
        "Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: t "
        "<t@example.com>\nDescription: test package\n test\n",
        name, version, arch);
    g_autoptr(GError) e = NULL;
    g_autofree char *data = NULL;
    gsize len = 0;

    ds_test_rm_rf(root);
    g_assert_cmpint(g_mkdir_with_parents(debian, 0755), ==, 0);
    g_assert_cmpint(g_mkdir_with_parents(doc, 0755), ==, 0);
    g_assert_true(g_file_set_contents(control, text, -1, &e));
    g_assert_true(g_file_set_contents(readme, version, -1, &e));
    run_ok((const char *const[]){"dpkg-deb", "--root-owner-group", "-Zgzip",
                                 "-b", root, out, NULL});
    g_assert_true(g_file_get_contents(out, &data, &len, &e));
    unlink(out);
    return g_bytes_new_take(g_steal_pointer(&data), len);
}

static void write_bytes(const char *path, GBytes *b)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *dir = g_path_get_dirname(path);

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_set_contents(path, g_bytes_get_data(b, NULL),
                                      (gssize)g_bytes_get_size(b), &e));
}

static guint count_files(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    guint n = 0;

    while (d && g_dir_read_name(d))
        n++;
    return n;
}

static GPtrArray *pkg_list(const char *const *triples)
{
    GPtrArray *a =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_package_free);

    for (guint i = 0; triples[i]; i += 3)
        g_ptr_array_add(a, ds_package_new(triples[i], triples[i + 1],
                                          triples[i + 2], NULL));
    return a;
}

static const char *miss_reason(GPtrArray *missing, const char *name)
{
    for (guint i = 0; missing && i < missing->len; i++) {
        ds_pkgcache_miss *m = g_ptr_array_index(missing, i);

        if (!strcmp(m->pkg->name, name))
            return m->reason;
    }
    return NULL;
}

/* A repository stanza for a package file at Filename. */
static void stanza(GString *s, const char *name, const char *version,
                   const char *arch, const char *filename, GBytes *deb,
                   const char *sha_override)
{
    g_autofree char *sha = ds_pkgcache_sha256(deb);

    g_string_append_printf(s,
                           "Package: %s\nVersion: %s\nArchitecture: %s\n"
                           "Description: x\n continued line\n"
                           "Filename: %s\nSize: %" G_GSIZE_FORMAT
                           "\nSHA256: %s\n\n",
                           name, version, arch, filename, g_bytes_get_size(deb),
                           sha_override ? sha_override : sha);
}

/* ---- names and the store --------------------------------------------- */

static void test_stem(void)
{
    g_autofree char *a = ds_pkgcache_file_stem("openssl", "3.0.13-1", "amd64");
    g_autofree char *b = ds_pkgcache_file_stem("libc6:i386", "2.36-9", "i386");
    g_autofree char *c =
        ds_pkgcache_file_stem("tzdata", "1:2024a-0+deb12u1", "all");

    g_assert_cmpstr(a, ==, "openssl_3.0.13-1_amd64");
    g_assert_cmpstr(b, ==, "libc6_2.36-9_i386");
    g_assert_cmpstr(c, ==, "tzdata_1%3a2024a-0+deb12u1_all");
    g_assert_null(ds_pkgcache_file_stem("../etc", "1", "all"));
    g_assert_null(ds_pkgcache_file_stem("a/b", "1", "all"));
    g_assert_null(ds_pkgcache_file_stem("pkg", "1/../../x", "all"));
    g_assert_null(ds_pkgcache_file_stem("pkg", "-1", "all"));
    g_assert_null(ds_pkgcache_file_stem("pkg", "1 2", "all"));
    g_assert_null(ds_pkgcache_file_stem("pkg", "1", "amd64/.."));
    g_assert_null(ds_pkgcache_file_stem("pkg", "1", ""));
    g_assert_null(ds_pkgcache_file_stem("libc6:i386", "1", "amd64"));
    g_assert_null(ds_pkgcache_file_stem("pkg", NULL, "all"));
}

static void test_store_lookup(void)
{
    g_autofree char *work = ds_test_tmpdir("ds-pkgcache-XXXXXX");
    g_autofree char *dir = g_build_filename(work, "cache", NULL);
    g_autofree char *files = g_build_filename(dir, "sha256", NULL);
    g_autofree char *index = g_build_filename(dir, "index", NULL);
    g_autoptr(GBytes) deb = make_deb(work, "hello", "1:2.0-1", "all");
    g_autofree char *sha = ds_pkgcache_sha256(deb);
    g_autofree char *want = g_build_filename(files, sha, NULL);
    g_autofree char *entry = NULL;
    g_autofree char *path = NULL;
    g_autofree char *got_sha = NULL;
    g_autofree char *content = NULL;
    g_autoptr(ds_pkgcache) c = NULL;
    g_autoptr(GError) e = NULL;
    gsize len = 0;

    g_assert_cmpint(ds_pkgcache_open(&c, dir, &e), ==, 0);
    g_assert_cmpint(
        ds_pkgcache_lookup(&path, NULL, c, "hello", "1:2.0-1", "all", &e), ==,
        DS_ENOTFOUND);
    g_assert_nonnull(strstr(e->message, "hello 1:2.0-1 all"));
    g_clear_error(&e);
    g_assert_cmpint(ds_pkgcache_store(c, "hello", "1:2.0-1", "all", deb, sha,
                                      (gint64)g_bytes_get_size(deb), "test",
                                      &e),
                    ==, 0);
    g_assert_no_error(e);
    /* Content addressed: the file's name is its digest; the index names
     * it; no temporary file is left. */
    g_assert_true(g_file_get_contents(want, &content, &len, &e));
    g_assert_cmpmem(content, len, g_bytes_get_data(deb, NULL),
                    g_bytes_get_size(deb));
    g_assert_cmpuint(count_files(files), ==, 1);
    g_assert_cmpuint(count_files(index), ==, 1);
    g_free(content);
    content = NULL;
    entry = g_build_filename(index, "hello_1%3a2.0-1_all", NULL);
    g_assert_true(g_file_get_contents(entry, &content, &len, &e));
    g_assert_cmpint(strncmp(content, sha, 64), ==, 0);
    g_assert_cmpint(
        ds_pkgcache_lookup(&path, &got_sha, c, "hello", "1:2.0-1", "all", &e),
        ==, 0);
    g_assert_cmpstr(path, ==, want);
    g_assert_cmpstr(got_sha, ==, sha);
    /* Storing it again changes nothing. */
    g_assert_cmpint(ds_pkgcache_store(c, "hello", "1:2.0-1", "all", deb, NULL,
                                      -1, "test", &e),
                    ==, 0);
    g_assert_cmpuint(count_files(files), ==, 1);
    g_assert_cmpuint(count_files(index), ==, 1);
    ds_test_rm_rf(work);
}

static void test_refused(void)
{
    g_autofree char *work = ds_test_tmpdir("ds-pkgcache-XXXXXX");
    g_autofree char *dir = g_build_filename(work, "cache", NULL);
    g_autofree char *files = g_build_filename(dir, "sha256", NULL);
    g_autofree char *index = g_build_filename(dir, "index", NULL);
    g_autoptr(GBytes) deb = make_deb(work, "hello", "2.0-1", "all");
    g_autoptr(GBytes) junk = g_bytes_new_static("not a deb\n", 10);
    g_autofree char *sha = ds_pkgcache_sha256(deb);
    g_autofree char *junk_sha = ds_pkgcache_sha256(junk);
    g_autoptr(ds_pkgcache) c = NULL;
    g_autoptr(GError) e = NULL;
    static const char *const hostile[][3] = {
        {"../../etc/passwd", "1", "all"}, {"hello", "1/../../x", "all"},
        {"hello", "2.0-1", "../all"},     {"hello\n", "2.0-1", "all"},
        {"hello", "-rf", "all"},
    };

    g_assert_cmpint(ds_pkgcache_open(&c, dir, &e), ==, 0);
    for (gsize i = 0; i < G_N_ELEMENTS(hostile); i++) {
        g_assert_cmpint(ds_pkgcache_store(c, hostile[i][0], hostile[i][1],
                                          hostile[i][2], deb, NULL, -1, "test",
                                          &e),
                        ==, DS_EINVALID);
        g_assert_nonnull(strstr(e->message, "refusing"));
        g_clear_error(&e);
        g_assert_cmpint(ds_pkgcache_lookup(NULL, NULL, c, hostile[i][0],
                                           hostile[i][1], hostile[i][2], &e),
                        ==, DS_EINVALID);
        g_clear_error(&e);
    }
    /* A wrong digest, a wrong size: nothing stored. */
    g_assert_cmpint(ds_pkgcache_store(c, "hello", "2.0-1", "all", deb, junk_sha,
                                      -1, "https://r/x.deb", &e),
                    ==, DS_EINVALID);
    g_assert_nonnull(strstr(e->message, "https://r/x.deb: SHA256 mismatch"));
    g_clear_error(&e);
    g_assert_cmpint(ds_pkgcache_store(c, "hello", "2.0-1", "all", deb, sha,
                                      (gint64)g_bytes_get_size(deb) + 1,
                                      "https://r/x.deb", &e),
                    ==, DS_EINVALID);
    g_assert_nonnull(strstr(e->message, "size mismatch"));
    g_clear_error(&e);
    /* Not a package at all, or another package than named. */
    g_assert_cmpint(ds_pkgcache_store(c, "hello", "2.0-1", "all", junk, NULL,
                                      -1, "test", &e),
                    ==, DS_EINVALID);
    g_assert_nonnull(strstr(e->message, "not a Debian package"));
    g_clear_error(&e);
    g_assert_cmpint(
        ds_pkgcache_store(c, "other", "2.0-1", "all", deb, sha, -1, "test", &e),
        ==, DS_EINVALID);
    g_assert_nonnull(strstr(e->message, "not other 2.0-1 all"));
    g_clear_error(&e);
    g_assert_cmpint(
        ds_pkgcache_store(c, "hello", "2.0-2", "all", deb, sha, -1, "test", &e),
        ==, DS_EINVALID);
    g_clear_error(&e);
    g_assert_cmpuint(count_files(files), ==, 0);
    g_assert_cmpuint(count_files(index), ==, 0);
    /* A damaged index entry is not trusted. */
    {
        g_autofree char *entry =
            g_build_filename(index, "hello_2.0-1_all", NULL);

        g_assert_true(
            g_file_set_contents(entry, "../../../etc/passwd\n", -1, NULL));
        g_assert_cmpint(
            ds_pkgcache_lookup(NULL, NULL, c, "hello", "2.0-1", "all", &e), ==,
            DS_EINVALID);
        g_assert_nonnull(strstr(e->message, "damaged"));
    }
    ds_test_rm_rf(work);
}

static void test_parse_index(void)
{
    static const char text[] =
        "Package: good\r\nVersion: 1:1.0-1\r\nArchitecture: amd64\r\n"
        "Filename: pool/g/good_1.0-1_amd64.deb\r\nSize: 1234\r\n"
        "SHA256: "
        "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
        "\r\nDescription: x\r\n more\r\n\r\n"
        "Package: evil\nVersion: 1\nArchitecture: all\n"
        "Filename: ../../../etc/shadow\nSize: 1\nSHA256: "
        "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\n\n"
        "Package: nosha\nVersion: 1\nArchitecture: all\nFilename: x.deb\n"
        "Size: 1\n\n"
        "Package: ../bad\nVersion: 1\nArchitecture: all\nFilename: x.deb\n"
        "Size: 1\nSHA256: "
        "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\n\n"
        "Package: last\nVersion: 2\nArchitecture: all\nFilename: ./l.deb\n"
        "Size: 7\nSHA256: "
        "0000000000000000000000000000000000000000000000000000000000000000";
    g_autoptr(GPtrArray) entries = NULL;
    g_autoptr(GError) e = NULL;
    const ds_pkgcache_entry *x;

    g_assert_cmpint(
        ds_pkgcache_parse_index(&entries, text, strlen(text), "Packages", &e),
        ==, 0);
    g_assert_cmpuint(entries->len, ==, 3);
    x = entries->pdata[0];
    g_assert_cmpstr(x->name, ==, "good");
    g_assert_cmpstr(x->version, ==, "1:1.0-1");
    g_assert_cmpstr(x->arch, ==, "amd64");
    g_assert_cmpstr(x->filename, ==, "pool/g/good_1.0-1_amd64.deb");
    g_assert_cmpstr(
        x->sha256, ==,
        "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
    g_assert_cmpuint(x->size, ==, 1234);
    x = entries->pdata[1];
    g_assert_cmpstr(x->name, ==, "evil");
    g_assert_null(x->filename); /* refused, not followed */
    x = entries->pdata[2];
    g_assert_cmpstr(x->name, ==, "last");
    /* dpkg-scanpackages on a flat repository writes ./NAME.deb */
    g_assert_cmpstr(x->filename, ==, "l.deb");
    g_assert_cmpuint(x->size, ==, 7);
    g_assert_cmpint(
        ds_pkgcache_parse_index(&entries, "a\0b", 3, "Packages", &e), ==,
        DS_EINVALID);
}

/* ---- a file:// repository -------------------------------------------- */

/* WORK/repo: hello 2.0-1 and tool 1:3.1-2 (amd64) under pool/, with
 * Packages (or only Packages.gz); lie puts a wrong digest for tool. */
static void make_repo(const char *repo, const char *work, gboolean gz,
                      gboolean lie)
{
    g_autoptr(GBytes) hello = make_deb(work, "hello", "2.0-1", "all");
    g_autoptr(GBytes) tool = make_deb(work, "tool", "1:3.1-2", "amd64");
    g_autoptr(GString) idx = g_string_new(NULL);
    g_autofree char *hp =
        g_build_filename(repo, "pool/h/hello_2.0-1_all.deb", NULL);
    g_autofree char *tp =
        g_build_filename(repo, "pool/t/tool_3.1-2_amd64.deb", NULL);
    g_autofree char *pk = g_build_filename(repo, "Packages", NULL);
    g_autoptr(GBytes) text = NULL;

    write_bytes(hp, hello);
    write_bytes(tp, tool);
    stanza(idx, "hello", "2.0-1", "all", "pool/h/hello_2.0-1_all.deb", hello,
           NULL);
    stanza(
        idx, "tool", "1:3.1-2", "amd64", "pool/t/tool_3.1-2_amd64.deb", tool,
        lie ? "1111111111111111111111111111111111111111111111111111111111111111"
            : NULL);
    text = g_bytes_new(idx->str, idx->len);
    write_bytes(pk, text);
    if (gz)
        run_ok((const char *const[]){"gzip", "-9", "--", pk, NULL});
}

static void check_repo_fill(const char *url, const char *work,
                            const ds_pkgcache_options *opts)
{
    g_autofree char *dir = g_build_filename(work, "cache", NULL);
    g_autoptr(ds_pkgcache) c = NULL;
    g_autoptr(GPtrArray) pkgs = pkg_list(
        (const char *const[]){"hello", "2.0-1", "all", "tool", "1:3.1-2",
                              "amd64", "absent", "1.0", "all", NULL});
    g_autoptr(GPtrArray) missing = NULL;
    g_autoptr(GError) e = NULL;
    g_autofree char *path = NULL;
    const char *why;

    ds_test_rm_rf(dir);
    g_assert_cmpint(ds_pkgcache_open(&c, dir, &e), ==, 0);
    g_assert_cmpint(
        ds_pkgcache_fill_from_repository(&missing, c, url, pkgs, opts, &e), ==,
        0);
    g_assert_no_error(e);
    g_assert_cmpuint(missing->len, ==, 1);
    why = miss_reason(missing, "absent");
    g_assert_nonnull(why);
    g_assert_nonnull(strstr(why, "absent 1.0 all: not in "));
    g_assert_nonnull(strstr(why, "Packages"));
    g_assert_cmpint(
        ds_pkgcache_lookup(&path, NULL, c, "tool", "1:3.1-2", "amd64", &e), ==,
        0);
    g_assert_cmpint(
        ds_pkgcache_lookup(NULL, NULL, c, "hello", "2.0-1", "all", &e), ==, 0);
    /* What is cached is not fetched again (the repository is gone). */
    g_clear_pointer(&missing, g_ptr_array_unref);
    g_ptr_array_remove_index(pkgs, 2);
    g_assert_cmpint(ds_pkgcache_fill_from_repository(&missing, c,
                                                     "file:///nonexistent-repo",
                                                     pkgs, opts, &e),
                    ==, 0);
    g_assert_cmpuint(missing->len, ==, 0);
}

/* A Packages.gz cut short or not gzip is refused by name, never read as
 * a shorter index. */
static void test_bad_gzip(void)
{
    g_autofree char *work = ds_test_tmpdir("ds-pkgcache-XXXXXX");
    g_autofree char *repo = g_build_filename(work, "repo", NULL);
    g_autofree char *gz = g_build_filename(repo, "Packages.gz", NULL);
    g_autofree char *url = g_filename_to_uri(repo, NULL, NULL);
    g_autofree char *dir = g_build_filename(work, "cache", NULL);
    g_autoptr(GPtrArray) pkgs =
        pkg_list((const char *const[]){"hello", "2.0-1", "all", NULL});
    g_autofree char *data = NULL;
    gsize len = 0;

    make_repo(repo, work, TRUE, FALSE);
    g_assert_true(g_file_get_contents(gz, &data, &len, NULL));
    for (int bad = 0; bad < 2; bad++) {
        g_autoptr(ds_pkgcache) c = NULL;
        g_autoptr(GPtrArray) missing = NULL;
        g_autoptr(GError) e = NULL;
        int rc;

        if (bad == 0) /* cut short */
            g_assert_true(g_file_set_contents(gz, data, (gssize)len / 2, NULL));
        else /* not gzip at all */
            g_assert_true(g_file_set_contents(gz, "Package: hello\n", -1,
                                              NULL));
        ds_test_rm_rf(dir);
        g_assert_cmpint(ds_pkgcache_open(&c, dir, &e), ==, 0);
        rc = ds_pkgcache_fill_from_repository(&missing, c, url, pkgs, NULL, &e);
        if (rc < 0) {
            g_assert_nonnull(e);
            g_assert_nonnull(strstr(e->message, "cannot gunzip"));
        } else {
            const char *why = miss_reason(missing, "hello");

            g_assert_nonnull(why);
            g_assert_nonnull(strstr(why, "cannot gunzip"));
        }
    }
}

static void test_file_repo(void)
{
    g_autofree char *work = ds_test_tmpdir("ds-pkgcache-XXXXXX");
    g_autofree char *repo = g_build_filename(work, "repo", NULL);
    g_autofree char *repo_gz = g_build_filename(work, "repo-gz", NULL);
    g_autofree char *repo_lie = g_build_filename(work, "repo-lie", NULL);
    g_autofree char *url = g_filename_to_uri(repo, NULL, NULL);
    g_autofree char *url_gz = g_filename_to_uri(repo_gz, NULL, NULL);
    g_autofree char *url_lie = g_filename_to_uri(repo_lie, NULL, NULL);
    g_autofree char *dir = g_build_filename(work, "cache", NULL);
    g_autofree char *files = g_build_filename(dir, "sha256", NULL);
    g_autoptr(GPtrArray) pkgs = pkg_list((const char *const[]){
        "hello", "2.0-1", "all", "tool", "1:3.1-2", "amd64", NULL});
    g_autoptr(GPtrArray) missing = NULL;
    g_autoptr(ds_pkgcache) c = NULL;
    g_autoptr(GError) e = NULL;
    const char *why;

    make_repo(repo, work, FALSE, FALSE);
    make_repo(repo_gz, work, TRUE, FALSE);
    make_repo(repo_lie, work, FALSE, TRUE);
    check_repo_fill(url, work, NULL);
    check_repo_fill(url_gz, work, NULL);

    /* One cache object reads a repository's index once: the second fill
     * finds tool although Packages is gone by then. */
    {
        g_autofree char *pk = g_build_filename(repo, "Packages", NULL);
        g_autofree char *aside = g_build_filename(repo, "Packages.off", NULL);
        g_autoptr(GPtrArray) one =
            pkg_list((const char *const[]){"hello", "2.0-1", "all", NULL});
        g_autoptr(GPtrArray) two =
            pkg_list((const char *const[]){"tool", "1:3.1-2", "amd64", NULL});

        ds_test_rm_rf(dir);
        g_assert_cmpint(ds_pkgcache_open(&c, dir, &e), ==, 0);
        g_assert_cmpint(
            ds_pkgcache_fill_from_repository(&missing, c, url, one, NULL, &e),
            ==, 0);
        g_assert_cmpuint(missing->len, ==, 0);
        g_clear_pointer(&missing, g_ptr_array_unref);
        g_assert_cmpint(rename(pk, aside), ==, 0);
        g_assert_cmpint(
            ds_pkgcache_fill_from_repository(&missing, c, url, two, NULL, &e),
            ==, 0);
        g_assert_cmpuint(missing->len, ==, 0);
        g_clear_pointer(&missing, g_ptr_array_unref);
        g_assert_cmpint(
            ds_pkgcache_lookup(NULL, NULL, c, "tool", "1:3.1-2", "amd64", &e),
            ==, 0);
        g_assert_cmpint(rename(aside, pk), ==, 0);
        g_clear_pointer(&c, ds_pkgcache_free);
    }

    /* A repository that lies about a digest: that package is refused and
     * nothing of it is stored; the other one is cached. */
    ds_test_rm_rf(dir);
    g_assert_cmpint(ds_pkgcache_open(&c, dir, &e), ==, 0);
    g_assert_cmpint(
        ds_pkgcache_fill_from_repository(&missing, c, url_lie, pkgs, NULL, &e),
        ==, 0);
    g_assert_cmpuint(missing->len, ==, 1);
    why = miss_reason(missing, "tool");
    g_assert_nonnull(strstr(why, "tool 1:3.1-2 amd64: "));
    g_assert_nonnull(strstr(why, "pool/t/tool_3.1-2_amd64.deb: SHA256 "
                                 "mismatch"));
    g_assert_cmpuint(count_files(files), ==, 1);
    g_clear_pointer(&missing, g_ptr_array_unref);

    /* No index at all: every package is missing, saying why. */
    g_clear_pointer(&c, ds_pkgcache_free);
    ds_test_rm_rf(dir);
    g_assert_cmpint(ds_pkgcache_open(&c, dir, &e), ==, 0);
    g_assert_cmpint(ds_pkgcache_fill_from_repository(&missing, c,
                                                     "file:///nonexistent-repo",
                                                     pkgs, NULL, &e),
                    ==, 0);
    g_assert_cmpuint(missing->len, ==, 2);
    g_assert_nonnull(
        strstr(miss_reason(missing, "hello"), "/nonexistent-repo/Packages.gz"));
    g_clear_pointer(&missing, g_ptr_array_unref);
    g_assert_cmpint(ds_pkgcache_fill_from_repository(
                        &missing, c, "ftp://example.com/repo", pkgs, NULL, &e),
                    ==, DS_EINVALID);
    g_assert_nonnull(strstr(e->message, "only https:// and file://"));
    ds_test_rm_rf(work);
}

/* ---- a real TLS server ------------------------------------------------ */

static const char server_py[] =
    "import http.server, os, ssl, sys, threading, time\n"
    "www, cert, key, portfile = sys.argv[1:5]\n"
    "threading.Timer(60, lambda: os._exit(0)).start()\n"
    "class H(http.server.SimpleHTTPRequestHandler):\n"
    "    def __init__(self, *a, **k):\n"
    "        super().__init__(*a, directory=www, **k)\n"
    "    def log_message(self, *a):\n"
    "        pass\n"
    "    def do_GET(self):\n"
    "        if self.path.startswith('/hang/'):\n"
    "            time.sleep(20)\n"
    "            return\n"
    "        return super().do_GET()\n"
    "s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
    "s.daemon_threads = True\n"
    "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
    "ctx.load_cert_chain(cert, key)\n"
    "s.socket = ctx.wrap_socket(s.socket, server_side=True)\n"
    "open(portfile + '.tmp', 'w').write(str(s.server_address[1]))\n"
    "os.rename(portfile + '.tmp', portfile)\n"
    "s.serve_forever()\n";

/* A CA and a certificate for 127.0.0.1 under work; the server's port. */
static GSubprocess *start_server(int *port, const char *work, const char *www)
{
    g_autofree char *ca_key = g_build_filename(work, "ca.key", NULL);
    g_autofree char *ca = g_build_filename(work, "ca.pem", NULL);
    g_autofree char *key = g_build_filename(work, "server.key", NULL);
    g_autofree char *csr = g_build_filename(work, "server.csr", NULL);
    g_autofree char *cert = g_build_filename(work, "server.pem", NULL);
    g_autofree char *ext = g_build_filename(work, "ext", NULL);
    g_autofree char *portfile = g_build_filename(work, "port", NULL);
    g_autofree char *text = NULL;
    g_autoptr(GError) e = NULL;
    GSubprocess *p;

    g_assert_true(g_file_set_contents(
        ext,
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
        "extendedKeyUsage=serverAuth\n",
        -1, &e));
    run_ok((const char *const[]){"openssl",
                                 "req",
                                 "-x509",
                                 "-newkey",
                                 "ec",
                                 "-pkeyopt",
                                 "ec_paramgen_curve:P-256",
                                 "-nodes",
                                 "-keyout",
                                 ca_key,
                                 "-out",
                                 ca,
                                 "-days",
                                 "2",
                                 "-subj",
                                 "/CN=driftsync-test-ca",
                                 "-addext",
                                 "basicConstraints=critical,CA:TRUE",
                                 "-addext",
                                 "keyUsage=critical,keyCertSign,cRLSign",
                                 NULL});
    run_ok((const char *const[]){"openssl", "req", "-newkey", "ec", "-pkeyopt",
                                 "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                                 key, "-out", csr, "-subj", "/CN=127.0.0.1",
                                 NULL});
    run_ok((const char *const[]){
        "openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
        "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext, NULL});
    p = g_subprocess_new(G_SUBPROCESS_FLAGS_NONE, &e, "python3", "-c",
                         server_py, www, cert, key, portfile, NULL);
    g_assert_no_error(e);
    for (int i = 0; i < 600 && !g_file_test(portfile, G_FILE_TEST_EXISTS);
         i++) /* 30 s: a loaded machine */
        g_usleep(50 * 1000);
    g_assert_true(g_file_get_contents(portfile, &text, NULL, &e));
    *port = atoi(text);
    g_assert_cmpint(*port, >, 0);
    return p;
}

static void test_https_repo(void)
{
    g_autofree char *work = ds_test_tmpdir("ds-pkgcache-XXXXXX");
    g_autofree char *www = g_build_filename(work, "www", NULL);
    g_autofree char *good = g_build_filename(www, "good", NULL);
    g_autofree char *lie = g_build_filename(www, "lie", NULL);
    g_autofree char *ca = g_build_filename(work, "ca.pem", NULL);
    g_autofree char *dir = g_build_filename(work, "cache", NULL);
    g_autofree char *url = NULL;
    g_autofree char *url_lie = NULL;
    g_autofree char *url_hang = NULL;
    g_autoptr(GSubprocess) server = NULL;
    g_autoptr(GPtrArray) pkgs = pkg_list((const char *const[]){
        "hello", "2.0-1", "all", "tool", "1:3.1-2", "amd64", NULL});
    g_autoptr(GPtrArray) missing = NULL;
    g_autoptr(ds_pkgcache) c = NULL;
    g_autoptr(GError) e = NULL;
    ds_pkgcache_options opts = {0};
    gint64 start;
    const char *why;
    int port = 0;

    make_repo(good, work, FALSE, FALSE);
    make_repo(lie, work, FALSE, TRUE);
    server = start_server(&port, work, www);
    url = g_strdup_printf("https://127.0.0.1:%d/good/", port);
    url_lie = g_strdup_printf("https://127.0.0.1:%d/lie", port);
    url_hang = g_strdup_printf("https://127.0.0.1:%d/hang", port);

    /* The test CA is not trusted by default: TLS is verified. */
    g_assert_cmpint(ds_pkgcache_open(&c, dir, &e), ==, 0);
    g_assert_cmpint(
        ds_pkgcache_fill_from_repository(&missing, c, url, pkgs, &opts, &e), ==,
        0);
    g_assert_cmpuint(missing->len, ==, 2);
    why = miss_reason(missing, "hello");
    g_assert_nonnull(strstr(why, "repository index unreadable"));
    g_assert_true(strstr(why, "certificate") || strstr(why, "SSL"));
    g_clear_pointer(&missing, g_ptr_array_unref);

    /* With the CA file: both cached. */
    opts.ca_file = ca;
    opts.timeout_ms = 1500;
    check_repo_fill(url, work, &opts);

    /* A server that lies about a digest. */
    ds_test_rm_rf(dir);
    g_clear_pointer(&c, ds_pkgcache_free);
    g_assert_cmpint(ds_pkgcache_open(&c, dir, &e), ==, 0);
    g_assert_cmpint(
        ds_pkgcache_fill_from_repository(&missing, c, url_lie, pkgs, &opts, &e),
        ==, 0);
    g_assert_cmpuint(missing->len, ==, 1);
    why = miss_reason(missing, "tool");
    g_assert_nonnull(strstr(why, "/lie/pool/t/tool_3.1-2_amd64.deb: SHA256 "
                                 "mismatch"));
    g_clear_pointer(&missing, g_ptr_array_unref);

    /* A server that never answers: bounded by the timeout. */
    g_ptr_array_set_size(pkgs, 0);
    g_ptr_array_add(pkgs, ds_package_new("absent", "1", "all", NULL));
    start = g_get_monotonic_time();
    g_assert_cmpint(ds_pkgcache_fill_from_repository(&missing, c, url_hang,
                                                     pkgs, &opts, &e),
                    ==, 0);
    g_assert_cmpint(g_get_monotonic_time() - start, <, 10 * G_USEC_PER_SEC);
    g_assert_cmpuint(missing->len, ==, 1);
    why = miss_reason(missing, "absent");
    g_assert_nonnull(strstr(why, "/hang/Packages"));
    g_assert_true(strstr(why, "timed out") || strstr(why, "Timeout"));
    g_subprocess_force_exit(server);
    g_subprocess_wait(server, NULL, NULL);
    ds_test_rm_rf(work);
}

/* ---- a host's apt cache through the local transport ------------------ */

static void test_host(void)
{
    g_autofree char *work = ds_test_tmpdir("ds-pkgcache-XXXXXX");
    g_autofree char *root = g_build_filename(work, "root", NULL);
    g_autofree char *arch =
        g_build_filename(root, DS_PKGCACHE_APT_ARCHIVES, NULL);
    g_autofree char *dir = g_build_filename(work, "cache", NULL);
    g_autofree char *uri = g_strconcat("local:", root, NULL);
    g_autoptr(GBytes) tool = make_deb(work, "tool", "1:3.1-2", "amd64");
    g_autoptr(GBytes) hello = make_deb(work, "hello", "2.0-1", "all");
    g_autofree char *tool_path =
        g_build_filename(arch, "tool_1%3a3.1-2_amd64.deb", NULL);
    /* hello's bytes where "fake 1.0" should be: refused. */
    g_autofree char *fake_path =
        g_build_filename(arch, "fake_1.0_all.deb", NULL);
    g_autoptr(GPtrArray) pkgs = pkg_list(
        (const char *const[]){"tool", "1:3.1-2", "amd64", "fake", "1.0", "all",
                              "gone", "1.0", "all", NULL});
    g_autoptr(GPtrArray) missing = NULL;
    g_autoptr(ds_transport) t = NULL;
    g_autoptr(ds_pkgcache) c = NULL;
    g_autoptr(GError) e = NULL;
    g_autofree char *path = NULL;
    g_autofree char *data = NULL;
    ds_transport_options topts = {.host = "web01"};
    const char *why;
    gsize len = 0;

    write_bytes(tool_path, tool);
    write_bytes(fake_path, hello);
    g_assert_cmpint(ds_transport_open(&t, uri, &topts, &e), ==, 0);
    g_assert_cmpint(ds_pkgcache_open(&c, dir, &e), ==, 0);
    g_assert_cmpint(
        ds_pkgcache_fill_from_host(&missing, c, t, "web01", pkgs, &e), ==, 0);
    g_assert_cmpuint(missing->len, ==, 2);
    why = miss_reason(missing, "gone");
    g_assert_cmpstr(why, ==,
                    "gone 1.0 all: not in web01's apt cache "
                    "(/var/cache/apt/archives/gone_1.0_all.deb)");
    why = miss_reason(missing, "fake");
    g_assert_nonnull(strstr(why, "from web01's apt cache"));
    g_assert_nonnull(strstr(why, "not fake 1.0 all"));
    g_assert_cmpint(
        ds_pkgcache_lookup(&path, NULL, c, "tool", "1:3.1-2", "amd64", &e), ==,
        0);
    g_assert_true(g_file_get_contents(path, &data, &len, &e));
    g_assert_cmpmem(data, len, g_bytes_get_data(tool, NULL),
                    g_bytes_get_size(tool));
    ds_test_rm_rf(work);
}

/* ---- the plan and the apply step ------------------------------------ */

static ds_manifest *host_with(ds_role role, const char *const *triples)
{
    ds_manifest *m = ds_manifest_new("web01", role);
    g_autoptr(GError) e = NULL;

    m->kernel.running = g_strdup("6.1.0-28-amd64");
    m->os.id = g_strdup("debian");
    m->os.version = g_strdup("12");
    for (guint i = 0; triples[i]; i += 3)
        g_ptr_array_add(m->packages, ds_package_new(triples[i], triples[i + 1],
                                                    triples[i + 2], NULL));
    g_ptr_array_add(m->sources,
                    g_strdup("deb http://deb.debian.org/debian bookworm main"));
    g_assert_cmpint(ds_manifest_normalise(m, &e), ==, 0);
    return m;
}

static const ds_action *find_kind(const ds_plan *plan, ds_action_kind kind)
{
    for (guint i = 0; i < plan->actions->len; i++)
        if (((ds_action *)plan->actions->pdata[i])->kind == kind)
            return plan->actions->pdata[i];
    return NULL;
}

static bool argv_has(char **argv, const char *arg)
{
    for (guint i = 0; argv && argv[i]; i++)
        if (!strcmp(argv[i], arg))
            return true;
    return false;
}

static void test_plan_apply(void)
{
    g_autofree char *why = NULL;
    bool private_cache = false;
    g_autofree char *work = ds_test_tmpdir("ds-pkgcache-XXXXXX");
    g_autofree char *dir = g_build_filename(work, "cache", NULL);
    g_autoptr(GBytes) deb = make_deb(work, "ds-hello", "1:2.0-1", "all");
    g_autofree char *sha = ds_pkgcache_sha256(deb);
    g_autoptr(ds_manifest) lab = host_with(
        DS_ROLE_LAB, (const char *const[]){"bash", "5.2.15-2+b7", "amd64",
                                           "ds-hello", "1:1.0-1", "all",
                                           "ds-other", "1.0", "all", NULL});
    g_autoptr(ds_manifest) prod = host_with(
        DS_ROLE_PROD, (const char *const[]){"bash", "5.2.15-2+b7", "amd64",
                                            "ds-hello", "1:2.0-1", "all",
                                            "ds-other", "2.0", "all", NULL});
    g_autoptr(ds_manifest) prod2 = host_with(
        DS_ROLE_PROD, (const char *const[]){"bash", "5.2.15-2+b7", "amd64",
                                            "ds-hello", "1:2.0-1", "all",
                                            "ds-other", "1.0", "all", NULL});
    static const char target[] = DS_PLAN_DEB_DIR "/ds-hello_1%3a2.0-1_all.deb";
    ds_plan_options with_cache = {.package_cache = dir};
    g_autoptr(ds_pkgcache) c = NULL;
    g_autoptr(ds_plan) plan = NULL;
    g_autoptr(ds_transport) t = NULL;
    g_autoptr(GError) e = NULL;
    g_autofree char *dump = NULL;
    const ds_action *a;
    json_t *j;

    /* The apply step writes DS_PLAN_DEB_DIR, a system directory: as root
     * the test runs in a child that has a private copy of /var/cache. */
    if (geteuid() == 0 && !g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
        g_test_trap_assert_passed();
        return;
    }
    if (geteuid() == 0)
        private_cache = ds_test_private_dir("/var/cache", &why);
    g_assert_cmpint(ds_pkgcache_open(&c, dir, &e), ==, 0);
    g_assert_cmpint(ds_pkgcache_store(c, "ds-hello", "1:2.0-1", "all", deb, sha,
                                      -1, "test", &e),
                    ==, 0);

    /* Without a cache: name=version only. */
    g_assert_cmpint(ds_plan_build(&plan, lab, prod, NULL, &e), ==, 0);
    a = find_kind(plan, DS_ACTION_PACKAGES);
    g_assert_true(argv_has(a->argv, "ds-hello=1:2.0-1"));
    g_assert_null(a->debs);
    g_clear_pointer(&plan, ds_plan_free);

    /* With it: the cached version is the file in the lab, in the same
     * apt-get call as the other request; the lists are still refreshed
     * for ds-other. */
    g_assert_cmpint(ds_plan_build(&plan, lab, prod, &with_cache, &e), ==, 0);
    a = find_kind(plan, DS_ACTION_PACKAGES);
    g_assert_nonnull(a);
    g_assert_true(argv_has(a->argv, target));
    g_assert_false(argv_has(a->argv, "ds-hello=1:2.0-1"));
    g_assert_true(argv_has(a->argv, "ds-other=2.0"));
    g_assert_cmpstr(a->argv[2], ==, "apt-get");
    g_assert_cmpuint(a->debs->len, ==, 1);
    g_assert_nonnull(strstr(a->details[0], "(from cache)"));
    g_assert_null(strstr(a->details[1], "(from cache)"));
    g_assert_nonnull(find_kind(plan, DS_ACTION_APT_UPDATE));
    j = ds_plan_to_json(plan);
    dump = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    g_assert_nonnull(strstr(dump, "\"from_cache\":[{"));
    g_assert_nonnull(strstr(dump, sha));
    g_clear_pointer(&plan, ds_plan_free);

    /* Everything from the cache and the sources unchanged: no refresh of
     * the package lists (a lab without a mirror). */
    g_assert_cmpint(ds_plan_build(&plan, lab, prod2, &with_cache, &e), ==,
                    0);
    g_assert_null(find_kind(plan, DS_ACTION_APT_UPDATE));
    a = find_kind(plan, DS_ACTION_PACKAGES);
    g_assert_true(argv_has(a->argv, target));

    /* Applied through the local transport with apt-get's --simulate
     * added: the real apt-get reads the copied file, which is removed
     * afterwards.  Needs root and a private /var/cache (the lab directory
     * is a system one). */
    if (!private_cache) {
        g_test_message("the apply step is not run: %s",
                       why ? why : "not root");
    } else {
        ds_action *pa = (ds_action *)a;
        ds_step_failure *f = NULL;
        guint n = g_strv_length(pa->argv);
        char **argv = g_new0(char *, n + 2);
        g_autofree char *cache_file = NULL;

        for (guint i = 0, k = 0; i < n; i++) {
            argv[k++] = g_strdup(pa->argv[i]);
            if (!strcmp(pa->argv[i], "install"))
                argv[k++] = g_strdup("--simulate");
        }
        g_strfreev(pa->argv);
        pa->argv = argv;
        g_assert_cmpint(ds_transport_open(&t, "local:", NULL, &e), ==, 0);
        g_assert_cmpint(ds_sync_apply_action(&f, t, pa, 1, NULL, NULL, &e), ==,
                        0);
        g_assert_no_error(e);
        g_assert_null(f);
        g_assert_false(g_file_test(target, G_FILE_TEST_EXISTS));

        /* A damaged cache file is not copied: the step fails, naming it. */
        cache_file = g_strdup(((ds_plan_deb *)pa->debs->pdata[0])->cache_path);
        g_assert_true(g_file_set_contents(cache_file, "damaged", -1, NULL));
        g_assert_cmpint(ds_sync_apply_action(&f, t, pa, 1, NULL, NULL, &e), ==,
                        DS_EINVALID);
        g_assert_nonnull(strstr(e->message, "damaged"));
        g_assert_nonnull(strstr(e->message, "ds-hello=1:2.0-1"));
        g_assert_false(g_file_test(target, G_FILE_TEST_EXISTS));
        ds_step_failure_free(f);
    }
    ds_test_rm_rf(work);
}

/* A hostile package argument slipped into the transaction is refused
 * before anything runs. */
static void test_apply_refuses(void)
{
    ds_plan_deb d = {
        .request = "xy=1",
        .cache_path = "/nonexistent",
        .sha256 =
            "0000000000000000000000000000000000000000000000000000000000000000",
        .target = DS_PLAN_DEB_DIR "/../../../etc/x.deb"};
    char *argv[] = {"env",     "DEBIAN_FRONTEND=noninteractive",
                    "apt-get", "install",
                    "--",      d.target,
                    NULL};
    char *items[] = {"xy=1", NULL};
    g_autoptr(GPtrArray) debs = g_ptr_array_new();
    ds_action a = {.kind = DS_ACTION_PACKAGES,
                   .description = "t",
                   .argv = argv,
                   .items = items,
                   .debs = debs};
    g_autofree char *work = ds_test_tmpdir("ds-pkgcache-XXXXXX");
    g_autofree char *uri = g_strconcat("local:", work, NULL);
    g_autoptr(ds_transport) t = NULL;
    g_autoptr(GError) e = NULL;
    ds_step_failure *f = NULL;

    g_ptr_array_add(debs, &d);
    g_assert_cmpint(ds_transport_open(&t, uri, NULL, &e), ==, 0);
    g_assert_cmpint(ds_sync_apply_action(&f, t, &a, 1, NULL, NULL, &e), ==,
                    DS_EINVALID);
    g_assert_nonnull(strstr(e->message, "refusing package argument"));
    g_clear_error(&e);
    /* An argument that is neither a request nor a cached file. */
    d.target = DS_PLAN_DEB_DIR "/xy_1_all.deb";
    argv[5] = "/tmp/other.deb";
    g_assert_cmpint(ds_sync_apply_action(&f, t, &a, 1, NULL, NULL, &e), ==,
                    DS_EINVALID);
    g_assert_nonnull(strstr(e->message, "/tmp/other.deb"));
    /* Nothing ran: no directory was made in the root. */
    g_assert_cmpuint(count_files(work), ==, 0);
    ds_test_rm_rf(work);
}

static char *commit_prod(ds_store *st, ds_manifest *m)
{
    g_autoptr(ds_store_txn) txn = NULL;
    g_autoptr(GError) e = NULL;
    char *oid = NULL;

    g_assert_cmpint(ds_store_txn_begin(&txn, st, &e), ==, 0);
    g_assert_cmpint(ds_store_txn_put(txn, m, &e), ==, 0);
    g_assert_cmpint(ds_store_txn_commit(&oid, txn, "record", "t", NULL, &e), ==,
                    0);
    g_assert_no_error(e);
    g_assert_nonnull(oid);
    return oid;
}

/* What `mirror` calls after its record commit: the packages each host
 * changed against the commit's parent are cached, ignored ones are not,
 * a new host caches nothing. */
static void test_fill_commit(void)
{
    g_autofree char *work = ds_test_tmpdir("ds-pkgcache-XXXXXX");
    g_autofree char *repo = g_build_filename(work, "repo", NULL);
    g_autofree char *store = g_build_filename(work, "store", NULL);
    g_autoptr(ds_config) cfg = ds_config_new_default();
    g_autoptr(ds_store) st = NULL;
    g_autoptr(ds_manifest) m1 = host_with(
        DS_ROLE_PROD, (const char *const[]){"hello", "1.0-1", "all", "tool",
                                            "1:3.1-2", "amd64", NULL});
    g_autoptr(ds_manifest) m2 = host_with(
        DS_ROLE_PROD,
        (const char *const[]){"hello", "2.0-1", "all", "tool", "1:3.1-2",
                              "amd64", "linux-image-x", "2.0", "all", "absent",
                              "1.0", "all", NULL});
    g_autoptr(GPtrArray) one = g_ptr_array_new();
    g_autoptr(GPtrArray) warnings = NULL;
    g_autoptr(ds_pkgcache) c = NULL;
    g_autoptr(GError) e = NULL;
    g_autofree char *c1 = NULL;
    g_autofree char *c2 = NULL;
    guint cached = 99;

    make_repo(repo, work, FALSE, FALSE);
    cfg->package_cache = g_build_filename(work, "cache", NULL);
    cfg->package_repository = g_strdup(repo);
    g_assert_cmpint(
        ds_ignore_add(cfg->ignore, DS_CAT_PACKAGES, "linux-image-*", &e), ==,
        0);
    g_assert_cmpint(ds_store_init(store, &e), ==, 0);
    g_assert_cmpint(ds_store_open(&st, store, &e), ==, 0);
    c1 = commit_prod(st, m1);
    c2 = commit_prod(st, m2);

    /* The first commit of the host: nothing to cache. */
    g_ptr_array_add(one, m1);
    ds_cache_fill_commit(&warnings, &cached, cfg, st, c1, one);
    g_assert_cmpuint(cached, ==, 0);
    g_assert_cmpuint(warnings->len, ==, 0);
    g_clear_pointer(&warnings, g_ptr_array_unref);

    g_ptr_array_index(one, 0) = m2;
    ds_cache_fill_commit(&warnings, &cached, cfg, st, c2, one);
    g_assert_cmpuint(cached, ==, 1);
    g_assert_cmpuint(warnings->len, ==, 1);
    g_assert_nonnull(strstr(warnings->pdata[0],
                            "web01: absent 1.0 all is not in the package "
                            "cache: not in "));
    g_assert_nonnull(strstr(warnings->pdata[0], "web01's apt cache: not "
                                                "asked"));
    g_assert_cmpint(ds_pkgcache_open(&c, cfg->package_cache, &e), ==, 0);
    g_assert_cmpint(
        ds_pkgcache_lookup(NULL, NULL, c, "hello", "2.0-1", "all", &e), ==, 0);
    /* Unchanged (tool) and ignored (linux-image-x) packages: not asked. */
    g_assert_cmpint(
        ds_pkgcache_lookup(NULL, NULL, c, "tool", "1:3.1-2", "amd64", &e), ==,
        DS_ENOTFOUND);
    ds_test_rm_rf(work);
}

/* trial --pending when the lab cannot download prod's candidates: the
 * exact versions, at prod's architectures, from the repository into the
 * cache and back as files bound for the trial's directory in the guest;
 * what cannot be had is named with where it was looked for; a damaged
 * cached file is refused. */
static void test_trial_debs(void)
{
    g_autofree char *work = ds_test_tmpdir("ds-pkgcache-XXXXXX");
    g_autofree char *repo = g_build_filename(work, "repo", NULL);
    g_autoptr(ds_config) cfg = ds_config_new_default();
    g_autoptr(ds_manifest) prod = host_with(
        DS_ROLE_PROD, (const char *const[]){"hello", "1.0-1", "all", "tool",
                                            "1:3.0-1", "amd64", "gone",
                                            "1.0", "all", NULL});
    ds_host_config hc = {.name = "web01", .lab = "web01-lab"};
    ds_trial tr = {.cfg = cfg, .hc = &hc, .host = "web01",
                   .run_id = "20261203T001500Z-1a2b", .must_match = prod};
    g_autoptr(GPtrArray) debs = NULL;
    g_autoptr(GError) e = NULL;
    g_autofree char *sum = NULL;
    g_autofree char *blob = NULL;
    g_autofree char *base = NULL;
    ds_trial_deb *d;

    make_repo(repo, work, TRUE, FALSE);
    cfg->package_cache = g_build_filename(work, "cache", NULL);
    cfg->package_repository = g_strdup(repo);
    tr.installs = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(tr.installs, g_strdup("hello=2.0-1"));
    g_ptr_array_add(tr.installs, g_strdup("tool=1:3.1-2"));
    g_assert_cmpint(ds_trial_cache_debs(&debs, &tr, &e), ==, 0);
    g_assert_no_error(e);
    g_assert_cmpuint(debs->len, ==, 2);
    d = debs->pdata[0];
    g_assert_cmpstr(d->guest, ==, "/var/tmp/driftsync-trial-20261203T001500Z-1a2b/hello_2.0-1_all.deb");
    g_assert_true(g_str_has_prefix(d->path, cfg->package_cache));
    d = debs->pdata[1];
    g_assert_cmpstr(d->guest, ==, "/var/tmp/driftsync-trial-20261203T001500Z-1a2b/tool_1%3a3.1-2_amd64.deb");
    sum = ds_pkgcache_sha256(d->data);
    base = g_path_get_basename(d->path);
    g_assert_cmpstr(base, ==, sum);

    /* A version the repository lacks (and prod's apt cache not asked):
     * named, with where it was looked for. */
    g_clear_pointer(&debs, g_ptr_array_unref);
    g_ptr_array_add(tr.installs, g_strdup("gone=1.1"));
    g_assert_cmpint(ds_trial_cache_debs(&debs, &tr, &e), ==, DS_ENOTFOUND);
    g_assert_null(debs);
    g_assert_nonnull(strstr(e->message, "web01: gone 1.1 all is not in the package cache: not in "));
    g_assert_nonnull(strstr(e->message, "web01's apt cache: not asked"));
    g_clear_error(&e);
    g_ptr_array_remove_index(tr.installs, 2);

    /* Not installed on prod: no architecture to look it up by. */
    g_ptr_array_add(tr.installs, g_strdup("absent=1.0"));
    g_assert_cmpint(ds_trial_cache_debs(&debs, &tr, &e), ==, DS_ENOTFOUND);
    g_assert_nonnull(strstr(e->message, "web01: absent=1.0 is not installed on prod"));
    g_clear_error(&e);
    g_ptr_array_remove_index(tr.installs, 2);

    /* A cached file damaged since: refused, not copied. */
    blob = g_build_filename(cfg->package_cache, "sha256", sum, NULL);
    g_assert_cmpint(chmod(blob, 0644), ==, 0);
    g_assert_true(g_file_set_contents(blob, "not a package", -1, NULL));
    g_assert_cmpint(ds_trial_cache_debs(&debs, &tr, &e), ==, DS_EINVALID);
    g_assert_nonnull(strstr(e->message, "tool 1:3.1-2: the package cache's "));
    g_assert_nonnull(strstr(e->message, " is damaged"));
    g_ptr_array_unref(tr.installs);
    ds_test_rm_rf(work);
}

/* [packages]: cache, repository (https://, file:///, a directory; not
 * http://), ca-file. */
static void test_config(void)
{
    g_autofree char *work = ds_test_tmpdir("ds-pkgcache-XXXXXX");
    g_autofree char *file = g_build_filename(work, "ds.conf", NULL);
    static const char *const good[] = {"https://repo.example.com/debs",
                                       "file:///srv/debs", "/srv/debs"};
    static const char *const bad[] = {"http://repo.example.com/debs",
                                      "ftp://repo.example.com/debs", "debs",
                                      "https://"};

    for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autofree char *text = g_strdup_printf(
            "[packages]\ncache = /var/cache/ds\nrepository = %s\n"
            "ca-file = /etc/ds/repo-ca.pem\n",
            good[i]);
        g_autoptr(ds_config) cfg = NULL;
        g_autoptr(GError) e = NULL;

        g_assert_true(g_file_set_contents(file, text, -1, NULL));
        g_assert_cmpint(ds_config_load(&cfg, file, &e), ==, 0);
        g_assert_no_error(e);
        g_assert_cmpstr(cfg->package_cache, ==, "/var/cache/ds");
        g_assert_cmpstr(cfg->package_repository, ==, good[i]);
        g_assert_cmpstr(cfg->package_ca_file, ==, "/etc/ds/repo-ca.pem");
    }
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *text = g_strdup_printf(
            "[packages]\ncache = /var/cache/ds\nrepository = %s\n", bad[i]);
        g_autoptr(ds_config) cfg = NULL;
        g_autoptr(GError) e = NULL;

        g_assert_true(g_file_set_contents(file, text, -1, NULL));
        g_assert_cmpint(ds_config_load(&cfg, file, &e), ==, DS_EINVALID);
        g_assert_nonnull(strstr(e->message, ":3: [packages] repository: "));
    }
    ds_test_rm_rf(work);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pkgcache/stem", test_stem);
    g_test_add_func("/pkgcache/config", test_config);
    g_test_add_func("/pkgcache/store-lookup", test_store_lookup);
    g_test_add_func("/pkgcache/refused", test_refused);
    g_test_add_func("/pkgcache/parse-index", test_parse_index);
    g_test_add_func("/pkgcache/file-repository", test_file_repo);
    g_test_add_func("/pkgcache/bad-gzip", test_bad_gzip);
    g_test_add_func("/pkgcache/https-repository", test_https_repo);
    g_test_add_func("/pkgcache/host-apt-cache", test_host);
    g_test_add_func("/pkgcache/plan-apply", test_plan_apply);
    g_test_add_func("/pkgcache/apply-refuses", test_apply_refuses);
    g_test_add_func("/pkgcache/fill-commit", test_fill_commit);
    g_test_add_func("/pkgcache/trial-debs", test_trial_debs);
    return g_test_run();
}
