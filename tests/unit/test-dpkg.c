/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-dpkg.c: the dpkg platform against real dpkg: a tree
 * built with dpkg-deb and dpkg --root collected through local:/ROOT, this
 * machine through local:, hostile collector output, and the HMAC key. */
#include <config.h>

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "drivers/platform-dpkg.h"
#include "drivers/platform.h"
#include "manifests/util/error.h"
#include "tests/unit/testutil.h"

static char *tmpdir;

static char *run_sh(const char *script, const char *arg)
{
    g_autofree char *out = NULL, *errout = NULL;
    g_autoptr(GError) err = NULL;
    int status = 0;
    const char *argv[] = {"sh", script, arg, NULL};

    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, &out, &errout, &status, &err));
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("%s failed: %s", script, errout);
    return g_steal_pointer(&out);
}

/* A fresh tree DIR/root built by tests/data/dpkg/mkroot.sh. */
static char *make_root(const char *name)
{
    g_autofree char *script = ds_test_data("dpkg",
                                                    "mkroot.sh", NULL);
    char *dir = g_build_filename(tmpdir, name, NULL);

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_free(run_sh(script, dir));
    return dir;
}

static GBytes *test_key(void)
{
    return g_bytes_new_static("0123456789abcdef0123456789abcdef", 32);
}

static int collect(ds_manifest **m, const char *uri, const char *const *files,
                   GError **err)
{
    g_autoptr(ds_transport) t = NULL;
    g_autoptr(GBytes) key = test_key();
    ds_collect_options o = {.host = "web01", .role = DS_ROLE_PROD,
                            .files = files, .hmac_key = key};
    int rc = ds_transport_open(&t, uri, NULL, err);

    if (rc < 0)
        return rc;
    rc = ds_platform_collect(m, t, &o, err);
    if (rc < 0 && g_test_verbose())
        g_test_message("collect %s: %s", uri, (*err)->message);
    return rc;
}

static void write_file(const char *path, const char *text)
{
    g_autoptr(GError) err = NULL;
    g_assert_true(g_file_set_contents(path, text, -1, &err));
}

/* ---- parsers of collector output ---------------------------------- */

static void test_parse_query(void)
{
    g_autoptr(GPtrArray) pk = g_ptr_array_new_with_free_func(
        (GDestroyNotify)ds_package_free);
    g_autoptr(GPtrArray) cf = g_ptr_array_new_with_free_func(
        (GDestroyNotify)ds_conffile_free);
    g_autoptr(GError) err = NULL;
    const char good[] =
        "adduser\t3.134\tall\tii \n"
        " /etc/adduser.conf cc3493ecd2d09837ffdcc3e25fdfff18\n"
        " /etc/old.conf 11a06baf8245fd8d690b99024d228c1f obsolete\n"
        "libc6:i386\t2.36-9+deb12u4\ti386\thi \n\n"
        "gone\t1.0\tall\trc \n"
        " /etc/gone.conf 11a06baf8245fd8d690b99024d228c1f\n";
    int rc = ds_dpkg_parse_query(pk, cf, "web01", good, strlen(good), &err);

    g_assert_no_error(err);
    g_assert_cmpint(rc, ==, 0);
    g_assert_cmpuint(pk->len, ==, 2);
    ds_package *p = pk->pdata[1];
    g_assert_cmpstr(p->name, ==, "libc6:i386");
    g_assert_cmpstr(p->version, ==, "2.36-9+deb12u4");
    g_assert_cmpstr(p->arch, ==, "i386");
    g_assert_cmpuint(cf->len, ==, 1); /* not obsolete, not of "rc" */
    g_assert_cmpstr(((ds_conffile *)cf->pdata[0])->path, ==,
                    "/etc/adduser.conf");

    struct {
        const char *out, *msg;
    } bad[] = {
        {"aa\t1\tall\tii \nbb\t1\tall\tii \nfoo;rm\t1\tall\tii \n",
         "web01: dpkg-query output line 3: package name 'foo;rm' is not a "
         "valid Debian package name"},
        {"foo\nbar\t1.0\tall\tii \n",
         "web01: dpkg-query output line 1: expected 4 tab-separated fields"},
        {"foo\t1.0$(id)\tall\tii \n", "line 1: package foo: version"},
        {"foo\t1.0\tall\tii \nb\xff\t1\tall\tii \n",
         "web01: dpkg-query output line 2: not valid UTF-8"},
        {"foo\t1.0\tall\tii \n /etc/`x` 11a06baf8245fd8d690b99024d228c1f\n"
         " relative 11a06baf8245fd8d690b99024d228c1f\n",
         "line 3: conffile path 'relative'"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e = NULL;
        g_ptr_array_set_size(pk, 0);
        rc = ds_dpkg_parse_query(pk, cf, "web01", bad[i].out,
                                 strlen(bad[i].out), &e);
        g_assert_cmpint(rc, ==, DS_EINVALID);
        g_assert_nonnull(e);
        if (!strstr(e->message, bad[i].msg))
            g_error("case %zu: '%s' lacks '%s'", i, e->message, bad[i].msg);
    }
}

static void test_parse_os_release(void)
{
    g_autofree char *id = NULL, *ver = NULL, *name = NULL;
    g_autoptr(GError) err = NULL;
    const char ok[] = "# c\nNAME=x\nPRETTY_NAME='Ubuntu 24.04 \"LTS\"'\n"
                      "ID=ubuntu\nVERSION_ID=\"24.04\"\n";
    const char evil[] = "ID=$(touch /tmp/x)\n";

    g_assert_cmpint(ds_dpkg_parse_os_release(&id, &ver, &name, "o", ok,
                                             strlen(ok), &err), ==, 0);
    g_assert_cmpstr(id, ==, "ubuntu");
    g_assert_cmpstr(ver, ==, "24.04");
    g_assert_cmpstr(name, ==, "Ubuntu 24.04 \"LTS\"");
    g_clear_pointer(&id, g_free);
    g_clear_pointer(&ver, g_free);
    g_clear_pointer(&name, g_free);
    g_assert_cmpint(ds_dpkg_parse_os_release(&id, &ver, &name, "web01: os",
                                             evil, strlen(evil), &err),
                    ==, DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "web01: os: line 1: ID"));
}

static void test_parse_sources(void)
{
    g_autoptr(GPtrArray) s = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    const char list[] =
        "deb [ signed-by=/k.gpg arch=amd64,i386 ] http://d.org/debian "
        "bookworm main   contrib # c\n#deb http://x/ y z\n"
        "deb-src [trusted=yes] http://d.org/debian bookworm main\n";
    const char d822[] = "Types: deb\nURIs: http://a/ http://b/\n"
                        "Suites: s1 s2\nComponents: main\n"
                        "Signed-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n"
                        " .\n abc\n -----END PGP PUBLIC KEY BLOCK-----\n\n"
                        "Types: deb\nURIs: http://off/\nSuites: s\n"
                        "Components: main\nEnabled: no\n";

    g_assert_cmpint(ds_apt_parse_sources(s, "f", list, strlen(list), FALSE,
                                         &err), ==, 0);
    g_assert_cmpuint(s->len, ==, 2);
    g_assert_cmpstr(s->pdata[0], ==,
                    "deb [arch=amd64,i386 signed-by=/k.gpg] "
                    "http://d.org/debian bookworm main contrib");
    g_assert_cmpstr(s->pdata[1], ==,
                    "deb-src [trusted=yes] http://d.org/debian bookworm main");
    g_ptr_array_set_size(s, 0);
    g_assert_cmpint(ds_apt_parse_sources(s, "f", d822, strlen(d822), TRUE,
                                         &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(s->len, ==, 4);
    g_assert_true(g_str_has_prefix(s->pdata[0], "deb [signed-by=sha256:"));
    g_assert_true(g_str_has_suffix(s->pdata[3], "] http://b/ s2 main"));

    /* Found by fuzzing: options glued to the type ("deb[...]") were split
     * off by moving the line one byte to the right, past its end (a heap
     * overflow that ASan and valgrind see). */
    const char glued[] = "deb[arch=amd64] http://x/ a b";
    g_ptr_array_set_size(s, 0);
    g_assert_cmpint(ds_apt_parse_sources(s, "f", glued, strlen(glued), FALSE,
                                         &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(s->len, ==, 1);
    g_assert_cmpstr(s->pdata[0], ==, "deb [arch=amd64] http://x/ a b");

    struct {
        const char *text;
        gboolean deb822;
        const char *msg;
    } bad[] = {
        {"deb http://x/\n", FALSE, "f: line 1: expected URI"},
        {"rpm http://x/ a b\n", FALSE, "f: line 1: type 'rpm'"},
        {"deb [arch=amd64 http://x/ a b\n", FALSE, "unterminated"},
        {"ok\n\ndeb http://x\xc3/ a b\n", FALSE, "f: line 3: not valid UTF-8"},
        {"Types: deb\nSuites: a\n", TRUE, "Types, URIs and Suites"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e = NULL;
        g_assert_cmpint(ds_apt_parse_sources(s, "f", bad[i].text,
                                             strlen(bad[i].text),
                                             bad[i].deb822, &e),
                        ==, DS_EINVALID);
        if (!strstr(e->message, bad[i].msg))
            g_error("case %zu: '%s' lacks '%s'", i, e->message, bad[i].msg);
    }
}

static int count_member(const char *name, char type, const char *target,
                        GBytes *content, void *payload, GError **err)
{
    GString *seen = payload;
    g_string_append_printf(seen, "%c:%s:%s:%zu;", type, name,
                           target ? target : "",
                           content ? g_bytes_get_size(content) : 0);
    return 0;
}

/* Archives made by the real tar: long names, symlinks, truncation. */
static void test_tar(void)
{
    g_autofree char *dir = g_build_filename(tmpdir, "tar", NULL);
    g_autofree char *longdir = g_strdup_printf(
        "%s/%s", dir, "a-directory-name-long-enough-to-overflow-the-"
                      "hundred-bytes-of-a-tar-header-name-field-xxxxxxxx");
    g_autofree char *f = g_build_filename(longdir, "file.txt", NULL);
    g_autofree char *l = g_build_filename(dir, "link", NULL);
    g_autofree char *out = NULL;
    g_autoptr(GString) seen = g_string_new(NULL);
    g_autoptr(GError) err = NULL;
    gsize len = 0;
    int status;

    g_assert_cmpint(g_mkdir_with_parents(longdir, 0755), ==, 0);
    write_file(f, "hello\n");
    g_assert_cmpint(symlink("x/y", l), ==, 0);
    g_autofree char *outf = g_build_filename(tmpdir, "t.tar", NULL);
    const char *argv2[] = {"tar", "-c", "-f", outf, "-P", "--no-recursion",
                           "--format=gnu", "--", f, l, NULL};
    g_assert_true(g_spawn_sync(NULL, (char **)argv2, NULL, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, NULL, NULL, &status, &err));
    g_assert_true(g_file_get_contents(outf, &out, &len, &err));
    g_autoptr(GBytes) b = g_bytes_new(out, len);
    g_assert_cmpint(ds_tar_parse(b, count_member, seen, "t", &err), ==, 0);
    g_autofree char *want = g_strdup_printf("f:%s::6;l:%s:x/y:0;", f, l);
    g_assert_cmpstr(seen->str, ==, want);

    g_autoptr(GBytes) cut = g_bytes_new(out, 1536);
    g_assert_cmpint(ds_tar_parse(cut, count_member, seen, "t", &err), ==,
                    DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "t: tar member at byte"));
    g_clear_error(&err);
    out[200] ^= 1; /* checksum no longer matches */
    g_autoptr(GBytes) bad = g_bytes_new(out, len);
    g_assert_cmpint(ds_tar_parse(bad, count_member, seen, "t", &err), ==,
                    DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "malformed tar header"));
}

/* A ustar header block (checksum set) for a member NAME of TYPE. */
static void tar_add(GByteArray *a, const char *name, char type,
                    const char *data, gsize size)
{
    guchar h[512] = {0};
    guint sum = 0;
    static const guchar zero[512];

    g_strlcpy((char *)h, name, 100);
    memcpy(h + 100, "0000644", 7);
    g_snprintf((char *)h + 124, 12, "%011o", (guint)size);
    h[156] = (guchar)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    for (gsize i = 0; i < sizeof h; i++)
        sum += h[i];
    g_snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
    g_byte_array_append(a, h, sizeof h);
    g_byte_array_append(a, (const guchar *)data, (guint)size);
    g_byte_array_append(a, zero, (guint)((512 - size % 512) % 512));
}

/* pax extended headers: a path record renames the next member.  Found by
 * fuzzing: a record whose length is shorter than its own "LEN " prefix
 * made the search for '=' run far past the archive (ASan, valgrind). */
static void test_tar_pax(void)
{
    static const guchar end[1024];
    g_autoptr(GByteArray) a = g_byte_array_new();
    g_autoptr(GString) seen = g_string_new(NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(GBytes) b = NULL;

    tar_add(a, "pax", 'x', "22 path=/etc/long.txt\n", 22);
    tar_add(a, "short.txt", '0', "hi", 2);
    tar_add(a, "pax", 'x', "1 x\n", 4);
    tar_add(a, "/etc/plain.txt", '0', "ho", 2);
    g_byte_array_append(a, end, sizeof end);
    b = g_byte_array_free_to_bytes(g_steal_pointer(&a));
    g_assert_cmpint(ds_tar_parse(b, count_member, seen, "t", &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpstr(seen->str, ==, "f:/etc/long.txt::2;f:/etc/plain.txt::2;");
}

/* The collection script's framing: only the unpredictable marker splits
 * sections; a forged one inside content stays content. */
static void test_facts_split(void)
{
    const char good[] = "\nDS-1 uname\n6.1.0-9-amd64\n"
                        "\nDS-1 source /etc/apt/sources.list\n"
                        "deb x y z\n\nDS-0 end\n DS-1 dpkg\n"
                        "\nDS-1 dpkg-status 2\n"
                        "\nDS-1 os-release\nID=x\0y"
                        "\nDS-1 end\n";
    g_autoptr(GBytes) b = g_bytes_new(good, sizeof good - 1);
    g_autoptr(GBytes) cut = g_bytes_new(good, sizeof good - 12);
    g_autoptr(GError) err = NULL;
    ds_dpkg_facts *f = ds_dpkg_facts_new();
    GBytes *sec;

    g_assert_cmpint(ds_dpkg_facts_split(f, "DS-1", b, "web01", &err), ==, 0);
    g_assert_no_error(err);
    sec = ds_dpkg_facts_get(f, "uname");
    g_assert_cmpmem(g_bytes_get_data(sec, NULL), g_bytes_get_size(sec),
                    "6.1.0-9-amd64\n", 14);
    g_assert_cmpuint(f->sources->len, ==, 1);
    sec = ((ds_dpkg_source *)f->sources->pdata[0])->data;
    g_assert_cmpmem(g_bytes_get_data(sec, NULL), g_bytes_get_size(sec),
                    "deb x y z\n\nDS-0 end\n DS-1 dpkg\n", 31);
    g_assert_null(ds_dpkg_facts_get(f, "dpkg"));
    g_assert_cmpint(f->dpkg_status, ==, 2);
    sec = ds_dpkg_facts_get(f, "os-release");
    g_assert_cmpuint(g_bytes_get_size(sec), ==, 6); /* NUL kept */
    ds_dpkg_facts_free(f);

    f = ds_dpkg_facts_new();
    g_assert_cmpint(ds_dpkg_facts_split(f, "DS-1", cut, "web01", &err), ==,
                    DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "web01: the collection script's "
                                          "output is truncated"));
    ds_dpkg_facts_free(f);
}

/* ---- the HMAC key file -------------------------------------------- */

static void test_hmac_key(void)
{
    g_autofree char *path = g_build_filename(tmpdir, "hmac.key", NULL);
    g_autoptr(GBytes) k1 = NULL, k2 = NULL, k3 = NULL;
    g_autoptr(GError) err = NULL;
    struct stat st;

    g_assert_cmpint(ds_hmac_key_load(&k1, path, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(g_bytes_get_size(k1), ==, 32);
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0600);
    g_assert_cmpint(ds_hmac_key_load(&k2, path, &err), ==, 0);
    g_assert_true(g_bytes_equal(k1, k2)); /* reused, not recreated */

    /* no temporary left next to it */
    g_autoptr(GDir) d = g_dir_open(tmpdir, 0, NULL);
    for (const char *n; (n = g_dir_read_name(d));)
        g_assert_false(g_str_has_prefix(n, ".hmac.key."));

    g_assert_cmpint(chmod(path, 0640), ==, 0);
    g_assert_cmpint(ds_hmac_key_load(&k3, path, &err), ==, DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "group or others"));
    g_assert_null(k3);
    g_clear_error(&err);

    g_autofree char *shortk = g_build_filename(tmpdir, "short.key", NULL);
    write_file(shortk, "abc");
    g_assert_cmpint(chmod(shortk, 0600), ==, 0);
    g_assert_cmpint(ds_hmac_key_load(&k3, shortk, &err), ==, DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "exactly 32 bytes"));
}

/* The services collected are the ones systemctl lists, each in the same
 * state: of this machine (root NULL; with systemd running, or from the
 * unit files when it does not, activity then unknown), or of an image
 * (`systemctl --root`).  Without systemctl here, nothing to compare. */
static void check_services_like_systemctl(const ds_manifest *m,
                                          const char *root)
{
    g_autofree char *root_arg = root ? g_strconcat("--root=", root, NULL)
                                     : g_strdup("--no-ask-password");
    const char *argv[] = {"systemctl",
                          root_arg,
                          "list-unit-files",
                          "--type=service",
                          "--no-legend",
                          "--no-pager",
                          NULL};
    g_autofree char *prog = g_find_program_in_path("systemctl");
    g_autofree char *out = NULL;
    g_auto(GStrv) lines = NULL;
    gboolean booted =
        !root && g_file_test("/run/systemd/system", G_FILE_TEST_IS_DIR);
    guint checked = 0;
    int status;

    if (!prog) {
        g_test_message("no systemctl here: services not compared");
        return;
    }
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, &out, NULL, &status, NULL));
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    lines = g_strsplit(out, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        g_auto(GStrv) f = g_strsplit_set(g_strstrip(lines[i]), " \t", -1);
        const ds_service *s;
        guint n = 0;

        for (guint j = 0; f[j]; j++)
            if (*f[j])
                f[n++] = f[j];
            else
                g_free(f[j]);
        f[n] = NULL;
        if (n < 2 || !g_str_has_suffix(f[0], ".service"))
            continue;
        s = ds_manifest_find_service(m, f[0]);
        if (!s)
            g_error("service %s not collected", f[0]);
        if (g_strcmp0(s->enabled, f[1]) != 0)
            g_error("service %s: collected %s, systemctl says %s", f[0],
                    s->enabled, f[1]);
        if (!booted)
            g_assert_cmpstr(s->active, ==, "unknown");
        checked++;
    }
    g_assert_cmpuint(checked, >, 0);
    if (!booted)
        g_assert_cmpuint(m->services->len, ==, checked);
}

/* ---- collection of a real dpkg tree -------------------------------- */

static const ds_file *file_of(const ds_manifest *m, const char *path)
{
    const ds_file *f = ds_manifest_find_file(m, path);
    if (!f)
        g_error("no file %s in the manifest", path);
    return f;
}

static char *sha256_of(const char *root, const char *path)
{
    g_autofree char *full = g_strconcat(root, path, NULL);
    g_autofree char *data = NULL;
    gsize len;
    g_assert_true(g_file_get_contents(full, &data, &len, NULL));
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)data, len);
}

static void test_collect_root(void)
{
    g_autofree char *dir = make_root("root1");
    g_autofree char *root = g_build_filename(dir, "root", NULL);
    g_autofree char *uri = g_strconcat("local:", root, NULL);
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GError) err = NULL;
    const char *const files[] = {"/etc/app/", "/etc/shadow",
                                 "/etc/ssh/ssh_host_ed25519_key",
                                 "/etc/ssh/ssh_host_ed25519_key.pub",
                                 "/etc/missing", NULL};
    const ds_package *p;
    const ds_file *f;
    const ds_service *s;

    g_assert_cmpint(collect(&m, uri, files, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpstr(m->host, ==, "web01");
    g_assert_cmpstr(m->collector.transport, ==, "local");
    g_assert_cmpstr(m->collector.version, ==, PACKAGE_VERSION);
    g_assert_true(g_regex_match_simple(
        "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$", m->collected_at, 0, 0));
    /* os-release, quoting undone */
    g_assert_cmpstr(m->os.id, ==, "debian");
    g_assert_cmpstr(m->os.version, ==, "12");
    g_assert_cmpstr(m->os.name, ==, "Debian GNU/Linux 12 (bookworm) \"test\"");
    /* packages: installed ones, exact versions; "rc" ds-gone absent */
    g_assert_cmpuint(m->packages->len, ==, 2);
    p = ds_manifest_find_package(m, "ds-conf");
    g_assert_nonnull(p);
    g_assert_cmpstr(p->version, ==, "1:2.3-4");
    g_assert_cmpstr(p->arch, ==, "all");
    p = ds_manifest_find_package(m, "ds-svc");
    g_assert_nonnull(p);
    g_assert_cmpstr(p->version, ==, "0.9~rc1-1");
    g_assert_null(ds_manifest_find_package(m, "ds-gone"));
    /* kernel: an image runs its newest */
    g_assert_cmpuint(m->kernel.installed->len, ==, 2);
    g_assert_cmpstr(m->kernel.running, ==, "6.1.0-26-amd64");
    g_assert_false(m->reboot_required);
    /* sources: both formats, normalised; disabled and *.save skipped */
    const char *want[] = {
        "deb [arch=amd64 signed-by=/usr/share/keyrings/debian.gpg] "
        "http://deb.debian.org/debian bookworm main contrib",
        "deb-src http://deb.debian.org/debian bookworm main",
        "deb http://example.com/repo ./",
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
        "http://mirror.example.com/debian bookworm-updates main "
        "non-free-firmware",
        "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
        "http://deb.debian.org/debian bookworm main non-free-firmware",
        "deb [arch=amd64,arm64] http://security.debian.org/debian-security "
        "bookworm-security main",
    };
    g_assert_cmpuint(m->sources->len, ==, 12);
    for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
        gboolean found = FALSE;
        for (guint j = 0; j < m->sources->len; j++)
            found |= strcmp(m->sources->pdata[j], want[i]) == 0;
        if (!found)
            g_error("source '%s' not collected", want[i]);
    }
    for (guint j = 0; j < m->sources->len; j++)
        g_assert_null(strstr(m->sources->pdata[j], "example.com/debian x"));
    /* modified conffile captured with content; unmodified one not */
    f = file_of(m, "/etc/ds-conf/a.conf");
    g_autofree char *sum = sha256_of(root, "/etc/ds-conf/a.conf");
    g_assert_cmpstr(f->sha256, ==, sum);
    g_assert_false(f->secret);
    g_assert_cmpint(f->mode, ==, 0644);
    g_assert_cmpstr(f->owner, ==, "root");
    g_assert_nonnull(f->content);
    g_assert_cmpmem(g_bytes_get_data(f->content, NULL),
                    g_bytes_get_size(f->content),
                    "setting = changed by the admin\n", 31);
    /* git blob id, as `git hash-object` computes it */
    g_autofree char *blob = g_strdup_printf("blob 31%c", 0);
    g_autoptr(GChecksum) sha1 = g_checksum_new(G_CHECKSUM_SHA1);
    g_checksum_update(sha1, (guchar *)blob, 8);
    g_checksum_update(sha1, (guchar *)"setting = changed by the admin\n", 31);
    g_assert_cmpstr(f->content_ref, ==, g_checksum_get_string(sha1));
    g_assert_null(ds_manifest_find_file(m, "/etc/ds-conf/b.conf"));
    g_assert_null(ds_manifest_find_file(m, "/etc/ds-gone.conf"));
    g_assert_null(ds_manifest_find_file(m, "/etc/missing"));
    /* a configured directory, recursively, with owners from the root */
    f = file_of(m, "/etc/app/app.conf");
    g_assert_cmpstr(f->owner, ==, "app");
    g_assert_cmpstr(f->group, ==, "app");
    g_assert_cmpint(f->mode, ==, 0640);
    f = file_of(m, "/etc/app/current");
    g_assert_cmpint(f->type, ==, DS_FILE_SYMLINK);
    g_assert_cmpstr(f->target, ==, "app.conf");
    g_assert_null(f->content);
    f = file_of(m, "/etc/ssh/ssh_host_ed25519_key.pub");
    g_assert_false(f->secret);
    g_assert_nonnull(f->content);
    /* secrets: by name, and by a PRIVATE KEY block in the content */
    const char *secrets[] = {"/etc/shadow", "/etc/ssh/ssh_host_ed25519_key",
                             "/etc/app/sub/tls.pem"};
    for (gsize i = 0; i < G_N_ELEMENTS(secrets); i++) {
        f = file_of(m, secrets[i]);
        g_assert_true(f->secret);
        g_assert_null(f->sha256);
        g_assert_null(f->content);
        g_assert_null(f->content_ref);
        g_assert_nonnull(f->hmac);
        g_assert_cmpuint(strlen(f->hmac), ==, 64);
    }
    g_assert_cmpint(file_of(m, "/etc/shadow")->mode, ==, 0640);
    /* services: enablement from the unit files, activity unknown
     * (nothing runs in an image) */
    const char *units[][2] = {
        {"ds-svc.service", "enabled"},   {"ds-idle.service", "disabled"},
        {"ds-masked.service", "masked"}, {"ds-alias.service", "alias"},
        {"ds-tty@.service", "indirect"}, {"ds-dtty@.service", "enabled"},
        {"ds-static.service", "static"}, {"ds-also.service", "indirect"},
        {"ds-local.service", "static"},
    };
    g_assert_cmpuint(m->services->len, ==, G_N_ELEMENTS(units));
    for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
        s = ds_manifest_find_service(m, units[i][0]);
        if (!s)
            g_error("service %s not collected", units[i][0]);
        g_assert_cmpstr(s->enabled, ==, units[i][1]);
        g_assert_cmpstr(s->active, ==, "unknown");
    }
    check_services_like_systemctl(m, root);
}

/* No byte of a secret reaches the serialised manifest, nor its digest. */
static void test_secrets_not_serialised(void)
{
    g_autofree char *dir = make_root("root2");
    g_autofree char *root = g_build_filename(dir, "root", NULL);
    g_autofree char *uri = g_strconcat("local:", root, NULL);
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GBytes) doc = NULL;
    const char *const files[] = {"/etc", NULL};
    const char *paths[] = {"/etc/shadow", "/etc/ssh/ssh_host_ed25519_key",
                           "/etc/app/sub/tls.pem"};
    const char *bodies[] = {"SECRETHASHSHADOW", "SECRETHOSTKEYBODY",
                            "SECRETPEMBODY"};
    g_autofree char *text = NULL;

    g_assert_cmpint(collect(&m, uri, files, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(ds_manifest_serialise(&doc, m, &err), ==, 0);
    text = g_strndup(g_bytes_get_data(doc, NULL), g_bytes_get_size(doc));
    g_assert_nonnull(strstr(text, "\"/etc/passwd\""));
    for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
        g_autofree char *sum = sha256_of(root, paths[i]);
        g_assert_nonnull(strstr(text, paths[i]));
        g_assert_null(strstr(text, bodies[i]));
        g_assert_null(strstr(text, sum));
        g_assert_null(file_of(m, paths[i])->content);
    }
}

/* The same secret content gives the same HMAC; a change changes it. */
static void test_hmac_tracks_content(void)
{
    g_autofree char *dir = make_root("root3");
    g_autofree char *root = g_build_filename(dir, "root", NULL);
    g_autofree char *uri = g_strconcat("local:", root, NULL);
    g_autofree char *shadow = g_build_filename(root, "etc", "shadow", NULL);
    g_autoptr(ds_manifest) a = NULL, b = NULL, c = NULL;
    g_autoptr(GError) err = NULL;
    const char *const files[] = {"/etc/shadow", NULL};

    g_assert_cmpint(collect(&a, uri, files, &err), ==, 0);
    g_assert_cmpint(collect(&b, uri, files, &err), ==, 0);
    g_assert_cmpstr(file_of(a, "/etc/shadow")->hmac, ==,
                    file_of(b, "/etc/shadow")->hmac);
    write_file(shadow, "root:$y$OTHERHASH:19000:0:99999:7:::\n");
    g_assert_cmpint(collect(&c, uri, files, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpstr(file_of(a, "/etc/shadow")->hmac, !=,
                    file_of(c, "/etc/shadow")->hmac);
}

/* Hostile input: a refused status file, and file names built to be shell
 * code: a clear error or a faithful record, and nothing runs. */
static void test_hostile(void)
{
    g_autofree char *dir = make_root("root4");
    g_autofree char *root = g_build_filename(dir, "root", NULL);
    g_autofree char *uri = g_strconcat("local:", root, NULL);
    g_autofree char *canary = g_build_filename(dir, "canary", NULL);
    /* no '/' in a file name: a canary in the working directory */
    g_autofree char *evil = g_strdup_printf(
        "%s/etc/app/$(touch canary);touch canary`touch canary`\n", root);
    g_autofree char *cwd = g_get_current_dir();
    g_autofree char *status = g_build_filename(root, "var/lib/dpkg/status",
                                               NULL);
    g_autofree char *old = NULL, *bad = NULL;
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GError) err = NULL;
    const char *const files[] = {"/etc/app", NULL};

    /* names that are shell code are data, never run; a newline in a
     * file name is refused with the name shown escaped */
    g_assert_cmpint(g_chdir(dir), ==, 0);
    evil[strlen(evil) - 1] = '\0';
    write_file(evil, "x\n");
    g_assert_cmpint(collect(&m, uri, files, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_nonnull(ds_manifest_find_file(
        m, "/etc/app/$(touch canary);touch canary`touch canary`"));
    g_assert_false(g_file_test(canary, G_FILE_TEST_EXISTS));
    g_clear_pointer(&m, ds_manifest_free);
    g_assert_cmpint(g_unlink(evil), ==, 0);
    evil[strlen(evil)] = '\n';
    write_file(evil, "x\n");
    g_assert_cmpint(collect(&m, uri, files, &err), ==, DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "canary`\\x0a'"));
    g_assert_false(g_file_test(canary, G_FILE_TEST_EXISTS));
    g_clear_error(&err);

    /* a configured path that is not a path */
    const char *const rel[] = {"etc/app", NULL};
    g_assert_cmpint(collect(&m, uri, rel, &err), ==, DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "web01: configured file 'etc/app'"));
    g_clear_error(&err);

    /* a status file naming a package with shell metacharacters */
    g_assert_true(g_file_get_contents(status, &old, NULL, NULL));
    bad = g_strdup_printf("%s\nPackage: foo;touch${IFS}%s\n"
                          "Status: install ok installed\nVersion: 1.0\n"
                          "Architecture: all\nMaintainer: x\n"
                          "Description: y\n", old, canary);
    write_file(status, bad);
    g_assert_cmpint(collect(&m, uri, NULL, &err), <, 0);
    g_assert_null(m);
    g_assert_nonnull(err);
    g_assert_true(g_str_has_prefix(err->message, "web01: dpkg-query"));
    g_assert_nonnull(strstr(err->message, "invalid package name"));
    g_assert_null(strchr(err->message, '\n'));
    g_assert_false(g_file_test(canary, G_FILE_TEST_EXISTS));
    g_assert_cmpint(g_chdir(cwd), ==, 0);
}

/* A tree without a dpkg database is no dpkg host. */
static void test_not_dpkg(void)
{
    g_autofree char *dir = g_build_filename(tmpdir, "empty", NULL);
    g_autofree char *uri = g_strconcat("local:", dir, NULL);
    g_autoptr(ds_transport) t = NULL;
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GError) err = NULL;
    const ds_platform_ops *ops = ds_platform_find("dpkg");

    g_assert_nonnull(ops);
    g_assert_nonnull(ds_platform_find("rpm"));
    g_assert_null(ds_platform_find("msi"));
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_cmpint(ds_transport_open(&t, uri, NULL, &err), ==, 0);
    g_assert_cmpint(ops->detect(t, &err), ==, DS_ENOTFOUND);
    g_assert_no_error(err);
    g_assert_cmpint(collect(&m, uri, NULL, &err), ==, DS_EUNSUPPORTED);
    g_assert_cmpstr(err->message, ==,
                    "web01: unknown platform (no dpkg database in "
                    "/var/lib/dpkg)");
    g_assert_null(m);
}

/* This machine through local:, checked against dpkg-query itself. */
static void test_collect_self(void)
{
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *out = NULL;
    g_auto(GStrv) lines = NULL;
    guint n = 0, checked = 0;
    int status;
    const char *argv[] = {"dpkg-query", "-W", "-f",
                          "${db:Status-Abbrev}\\t${binary:Package}\\t"
                          "${Version}\\n", NULL};

    if (!g_file_test("/var/lib/dpkg/status", G_FILE_TEST_IS_REGULAR)) {
        g_test_skip("this machine has no dpkg database");
        return;
    }
    g_assert_cmpint(collect(&m, "local:", NULL, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, &out, NULL, &status, &err));
    lines = g_strsplit(out, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], "\t", 3);
        const ds_package *p;
        if (g_strv_length(f) != 3 || f[0][1] != 'i')
            continue;
        n++;
        p = ds_manifest_find_package(m, f[1]);
        if (!p)
            g_error("installed package %s not collected", f[1]);
        g_assert_cmpstr(p->version, ==, f[2]);
        checked++;
    }
    g_assert_cmpuint(n, >, 10);
    g_assert_cmpuint(m->packages->len, ==, n);
    g_assert_cmpuint(checked, ==, n);
    g_assert_nonnull(m->kernel.running);
    g_assert_nonnull(m->os.id);
    check_services_like_systemctl(m, NULL);
}

int main(int argc, char **argv)
{
    int rc;

    g_test_init(&argc, &argv, NULL);
    tmpdir = ds_test_tmpdir("ds-test-dpkg.XXXXXX");
    g_assert_nonnull(tmpdir);
    g_test_add_func("/dpkg/parse/query", test_parse_query);
    g_test_add_func("/dpkg/parse/os-release", test_parse_os_release);
    g_test_add_func("/dpkg/parse/sources", test_parse_sources);
    g_test_add_func("/dpkg/parse/tar", test_tar);
    g_test_add_func("/dpkg/parse/tar-pax", test_tar_pax);
    g_test_add_func("/dpkg/parse/facts", test_facts_split);
    g_test_add_func("/dpkg/hmac-key", test_hmac_key);
    g_test_add_func("/dpkg/collect/root", test_collect_root);
    g_test_add_func("/dpkg/collect/secrets-not-serialised",
                    test_secrets_not_serialised);
    g_test_add_func("/dpkg/collect/hmac-tracks-content",
                    test_hmac_tracks_content);
    g_test_add_func("/dpkg/collect/hostile", test_hostile);
    g_test_add_func("/dpkg/collect/not-dpkg", test_not_dpkg);
    g_test_add_func("/dpkg/collect/self", test_collect_self);
    rc = g_test_run();
    {
        const char *rm[] = {"rm", "-rf", tmpdir, NULL};
        g_spawn_sync(NULL, (char **)rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     NULL, NULL, NULL, NULL);
    }
    g_free(tmpdir);
    return rc;
}
