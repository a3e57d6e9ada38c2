/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-rpm.c: the rpm platform: rpm's version order (librpm)
 * against the pairs rpm itself ordered, the parsers of rpm -qa, rpm -V,
 * .repo files and os-release (hostile input included), the manifest's v2
 * members and their migration, and a root built with rpmbuild and rpm. */
#include <config.h>

#include <string.h>

#include "drivers/platform-rpm.h"
#include "manifests/diff.h"
#include "manifests/manifest.h"
#include "manifests/util/error.h"
#include "manifests/version.h"
#include "tests/unit/testutil.h"

static void need_librpm(void)
{
    if (!ds_rpm_vercmp_available())
        g_test_skip("built without librpm (configure --with-rpm)");
}

/* Every line of tests/data/rpm/vercmp-pairs.txt, written by rpm itself
 * (gen-vercmp-pairs.sh), in both directions. */
static void test_vercmp_pairs(void)
{
    g_autofree char *path = ds_test_data("rpm", "vercmp-pairs.txt", NULL);
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    guint n = 0;

    need_librpm();
    if (g_test_failed() || !ds_rpm_vercmp_available())
        return;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], " ", -1);
        int want, got;

        if (!*lines[i])
            continue;
        g_assert_cmpuint(g_strv_length(f), ==, 3);
        want = strcmp(f[2], "lt") == 0 ? -1 : strcmp(f[2], "gt") == 0 ? 1 : 0;
        got = ds_rpm_vercmp(f[0], f[1]);
        got = got < 0 ? -1 : got > 0;
        if (got != want)
            g_error("line %u: %s %s: rpm says %s, driftsync %d", i + 1, f[0],
                    f[1], f[2], got);
        got = ds_rpm_vercmp(f[1], f[0]);
        g_assert_cmpint(got < 0 ? -1 : got > 0, ==, -want);
        n++;
    }
    g_assert_cmpuint(n, >=, 3000);
}

static void test_evr(void)
{
    need_librpm();
    if (!ds_rpm_vercmp_available())
        return;
    /* the epoch first, as a number; then version, then release */
    g_assert_cmpint(ds_rpm_evr_compare("1:1.0-1", "2.0-1"), >, 0);
    g_assert_cmpint(ds_rpm_evr_compare("2:1.0-1", "10:1.0-1"), <, 0);
    g_assert_cmpint(ds_rpm_evr_compare("1.0-2", "1.0-10"), <, 0);
    g_assert_cmpint(ds_rpm_evr_compare("0:1.0-1", "1.0-1"), ==, 0);
    g_assert_cmpint(ds_rpm_evr_compare("1.0~rc1-1", "1.0-1"), <, 0);
    g_assert_true(ds_rpm_evr_is_valid("2:2.3-4.el9_3"));
    g_assert_true(ds_rpm_evr_is_valid("0.9~rc1-1^git2"));
    g_assert_false(ds_rpm_evr_is_valid("2.3"));
    g_assert_false(ds_rpm_evr_is_valid("1-2-3"));
    g_assert_false(ds_rpm_evr_is_valid("x:1-2"));
    g_assert_false(ds_rpm_evr_is_valid("1:2:3-4"));
    g_assert_false(ds_rpm_evr_is_valid("$(id)-1"));
    g_assert_false(ds_rpm_evr_is_valid("1.0-"));
}

static const char qa[] =
    "bash\t\t5.1.8\t6.el9\tx86_64\n"
    "gpg-pubkey\t\t350d275d\t6279464b\t(none)\n"
    "kernel-core\t\t5.14.0\t362.el9\tx86_64\n"
    "kernel-core\t\t5.14.0\t70.13.1.el9_0\tx86_64\n"
    "kernel-core\t\t5.14.0\t427.el9\tx86_64\n"
    "glibc\t\t2.34\t83.el9\tx86_64\n"
    "glibc\t\t2.34\t83.el9\ti686\n"
    "perl-Data-Dumper\t1\t2.174\t462.el9\tnoarch\n";

static void test_parse_query(void)
{
    g_autoptr(GPtrArray) pkgs =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_package_free);
    g_autoptr(GError) err = NULL;
    ds_package *k = NULL;

    need_librpm();
    if (!ds_rpm_vercmp_available())
        return;
    g_assert_cmpint(ds_rpm_parse_query(pkgs, "h", qa, strlen(qa), &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(pkgs->len, ==, 5); /* no gpg-pubkey, one kernel-core */
    for (guint i = 0; i < pkgs->len; i++) {
        ds_package *p = pkgs->pdata[i];
        if (strcmp(p->name, "kernel-core.x86_64") == 0)
            k = p;
        if (strcmp(p->name, "perl-Data-Dumper.noarch") == 0)
            g_assert_cmpstr(p->version, ==, "1:2.174-462.el9");
    }
    g_assert_nonnull(k);
    /* the newest by rpm's order (427 > 362 > 70.13.1), not by bytes */
    g_assert_cmpstr(k->version, ==, "5.14.0-427.el9");
    g_assert_cmpuint(k->other_versions->len, ==, 2);
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* holds of the versionlock list lines given, over the packages of qa,
 * joined by spaces; NULL and *err set when the list is refused */
static char *locks(const char *list, GError **err)
{
    g_autoptr(ds_manifest) m = ds_manifest_new("h", DS_ROLE_PROD);
    g_autoptr(GPtrArray) holds = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) s = g_string_new(NULL);

    g_assert_cmpint(ds_rpm_parse_query(m->packages, "h", qa, strlen(qa), NULL), ==, 0);
    if (ds_rpm_parse_versionlock(holds, m, "h: /etc/dnf/plugins/versionlock.list", list, strlen(list), err) < 0)
        return NULL;
    g_ptr_array_sort(holds, cmp_str);
    for (guint i = 0; i < holds->len; i++)
        g_string_append_printf(s, "%s%s", i ? " " : "", (char *)holds->pdata[i]);
    return g_string_free(g_steal_pointer(&s), FALSE);
}

/* dnf's versionlock list: the forms the plugin reads, comments, excludes */
static void test_versionlock(void)
{
    static const struct {
        const char *list, *held;
    } cases[] = {
        /* as `dnf versionlock add` writes: NAME-EPOCH:VERSION-RELEASE.* */
        {"# Added lock on Thu Dec  3 10:00:00 2026\nbash-0:5.1.8-6.el9.*\n", "bash.x86_64"},
        /* every arch of a name; one arch */
        {"glibc-0:2.34-83.el9.*\n", "glibc.i686 glibc.x86_64"},
        {"glibc-2.34-83.el9.i686\n", "glibc.i686"},
        {"glibc.i686\n", "glibc.i686"},
        /* a plain name, a glob, an epoch, surrounding blanks */
        {"  bash  \n\n", "bash.x86_64"},
        {"perl-*\n", "perl-Data-Dumper.noarch"},
        {"perl-Data-Dumper-1:2.174-462.el9.noarch\n", "perl-Data-Dumper.noarch"},
        /* one of several installed versions; a version not installed
         * still holds the name (the lock pins it) */
        {"kernel-core-0:5.14.0-362.el9.*\n", "kernel-core.x86_64"},
        {"bash-0:5.2-1.el9.*\n", "bash.x86_64"},
        /* excludes and packages not installed hold nothing */
        {"!bash-0:5.1.8-6.el9.*\nnginx-0:1.20-1.el9.*\n", ""},
    };

    need_librpm();
    if (!ds_rpm_vercmp_available())
        return;
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        g_autofree char *got = locks(cases[i].list, &err);

        g_assert_no_error(err);
        g_assert_cmpstr(got, ==, cases[i].held);
    }
}

static void test_versionlock_hostile(void)
{
    static const char *const bad[] = {
        "bash;touch /tmp/x\n",   /* shell */
        "bash $(id)\n",          /* a space inside */
        "bash\x01-1.0-1.*\n",   /* control character */
        "bash-1.0-1.\xc3\xa9\n", /* not ASCII */
        "!\n",                   /* an empty exclude */
        "  # indented comment\n",/* the plugin reads it as an entry */
    };

    need_librpm();
    if (!ds_rpm_vercmp_available())
        return;
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        g_autofree char *got = locks(bad[i], &err);

        g_assert_null(got);
        g_assert_error(err, DS_ERROR, -DS_EINVALID);
        g_assert_true(g_str_has_prefix(err->message, "h: /etc/dnf/plugins/versionlock.list line 1: "));
        g_assert_nonnull(strstr(err->message, "is not a versionlock entry"));
    }
    {
        g_autofree char *big = g_strnfill(600, 'a');
        g_autoptr(GError) err = NULL;
        g_autofree char *got = locks(big, &err);

        g_assert_null(got);
        g_assert_error(err, DS_ERROR, -DS_EINVALID);
    }
}

/* On the host itself the lock list comes from the facts script's
 * sections: used only while the plugin is enabled. */
static void test_versionlock_facts(void)
{
    static const struct {
        const char *conf, *held;
    } cases[] = {
        {"[main]\nenabled = 1\nlocklist = /etc/dnf/plugins/versionlock.list\n", "bash.x86_64"},
        {"[main]\nenabled=0\nlocklist=/etc/dnf/plugins/versionlock.list\n", ""},
        {"[main]\nenabled=1\n", ""},
        {NULL, ""},
    };

    need_librpm();
    if (!ds_rpm_vercmp_available())
        return;
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(ds_manifest) m = ds_manifest_new("h", DS_ROLE_PROD);
        g_autoptr(GError) err = NULL;
        g_autofree char *got = NULL;
        ds_dpkg_facts *f = ds_dpkg_facts_new();
        ds_dpkg_ctx c = {.host = "h"};

        if (cases[i].conf)
            g_hash_table_replace(f->sections, g_strdup("versionlock-conf"),
                                 g_bytes_new_static(cases[i].conf, strlen(cases[i].conf)));
        g_hash_table_replace(f->sections, g_strdup("versionlock"),
                             g_bytes_new_static("bash\n", 5));
        g_assert_cmpint(ds_rpm_parse_query(m->packages, "h", qa, strlen(qa), NULL), ==, 0);
        g_assert_cmpint(ds_rpm_collect_holds(m, &c, f, &err), ==, 0);
        g_assert_no_error(err);
        g_assert_nonnull(m->holds);
        g_ptr_array_add(m->holds, NULL);
        got = g_strjoinv(" ", (char **)m->holds->pdata);
        g_ptr_array_remove_index(m->holds, m->holds->len - 1);
        g_assert_cmpstr(got, ==, cases[i].held);
        ds_dpkg_facts_free(f);
    }
}

static void test_parse_query_hostile(void)
{
    static const char *const bad[] = {
        "bash\t5.1\t1\tx86_64\n",                 /* 4 fields */
        "$(id)\t\t1.0\t1\tx86_64\n",              /* name */
        "-rf\t\t1.0\t1\tx86_64\n",                /* leading dash */
        "bash\tx\t1.0\t1\tx86_64\n",              /* epoch */
        "bash\t\t1-0\t1\tx86_64\n",               /* '-' in version */
        "bash\t\t1.0\t1;id\tx86_64\n",            /* release */
        "bash\t\t1.0\t1\tx86 64\n",               /* arch */
        "bash\t\t1.0\t1\tx86_64\textra\n",        /* 6 fields */
        "bash\t\t1.\xff\t1\tx86_64\n",            /* not UTF-8 */
    };

    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GPtrArray) pkgs =
            g_ptr_array_new_with_free_func((GDestroyNotify)ds_package_free);
        g_autoptr(GError) err = NULL;

        g_assert_cmpint(ds_rpm_parse_query(pkgs, "web01", bad[i],
                                           strlen(bad[i]), &err),
                        ==, DS_EINVALID);
        g_assert_true(g_str_has_prefix(err->message, "web01: rpm -qa output"));
        g_assert_null(strchr(err->message, '\n'));
    }
}

static void test_parse_verify(void)
{
    static const char out[] =
        "S.5......  c /etc/ds-conf/a.conf\n"
        ".M.......  c /etc/ds-conf/mode-only.conf\n"
        "missing   c /etc/ds-conf/gone.conf\n"
        "S.5....T.    /usr/bin/not-config\n"
        "..5......  c /etc/with space.conf\n"
        "missing   d /usr/share/doc/x/README\n";
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(ds_rpm_parse_verify(paths, "h", out, strlen(out), &err),
                    ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(paths->len, ==, 2);
    g_assert_cmpstr(paths->pdata[0], ==, "/etc/ds-conf/a.conf");
    g_assert_cmpstr(paths->pdata[1], ==, "/etc/with space.conf");
}

static void test_parse_verify_hostile(void)
{
    static const char *const bad[] = {
        "garbage line\n",
        "S.5......  c etc/relative\n",
        "S.5......  c /etc/../shadow\n",
        "S.5X.....  c /etc/x\n",
        "S.5......  c /etc/\x01ctl\n",
        "S.5......\n",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GError) err = NULL;

        g_assert_cmpint(ds_rpm_parse_verify(paths, "web01", bad[i],
                                            strlen(bad[i]), &err),
                        ==, DS_EINVALID);
        g_assert_true(g_str_has_prefix(err->message, "web01: rpm -V output"));
    }
}

static void test_parse_repo(void)
{
    static const char repo[] =
        "; comment\n"
        "[baseos]\n"
        "name=BaseOS $releasever\n"
        "baseurl=https://user:SECRETPASS@mirror.example.org/baseos/\n"
        "        http://backup.example.org/baseos/\n"
        "gpgcheck = 1\n"
        "password=SECRETPASS2\n"
        "username=user\n"
        "sslclientkey=/etc/pki/SECRETKEY.pem\n"
        "proxy_password=SECRETPROXY\n"
        "\n"
        "[off]\n"
        "baseurl=https://example.org/off/\n"
        "enabled=0\n"
        "[appstream]\n"
        "metalink=https://mirrors.example.org/metalink?repo=a&arch=$basearch\n"
        "enabled=True\n";
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(ds_rpm_parse_repo(out, "f.repo", repo, strlen(repo), &err),
                    ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(out->len, ==, 2);
    g_assert_cmpstr(out->pdata[0], ==,
                    "repo baseos baseurl=https://mirror.example.org/baseos/,http://backup.example.org/baseos/ gpgcheck=1");
    g_assert_cmpstr(out->pdata[1], ==,
                    "repo appstream metalink=https://mirrors.example.org/metalink?repo=a&arch=$basearch");
    for (guint i = 0; i < out->len; i++)
        g_assert_null(strstr(out->pdata[i], "SECRET"));
}

static void test_parse_repo_hostile(void)
{
    static const struct {
        const char *text;
        gsize len;
    } bad[] = {
        {"[a b]\nbaseurl=x\n", 0},        /* id with a space */
        {"[$(id)]\nbaseurl=x\n", 0},      /* id with shell syntax */
        {"[a]\nno equals sign here\n", 0}, /* not INI */
        {"[a]\nbaseurl=\xff\n", 0},       /* not UTF-8 */
        {"[a]\nbaseurl=x\0y\n", 15},      /* NUL */
        {"baseurl=x\n", 0},               /* key outside a section */
    };

    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GError) err = NULL;
        gsize len = bad[i].len ? bad[i].len : strlen(bad[i].text);

        g_assert_cmpint(ds_rpm_parse_repo(out, "web01: /etc/yum.repos.d/x.repo",
                                          bad[i].text, len, &err),
                        ==, DS_EINVALID);
        g_assert_true(g_str_has_prefix(err->message,
                                       "web01: /etc/yum.repos.d/x.repo: "));
        g_assert_null(strchr(err->message, '\n'));
    }
    {
        /* a line that cannot fit the manifest is refused, not cut */
        g_autoptr(GString) g = g_string_new("[a]\nbaseurl=");
        g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GError) err = NULL;
        for (int i = 0; i < 600; i++)
            g_string_append(g, "https://x.example/ ");
        g_assert_cmpint(ds_rpm_parse_repo(out, "f", g->str, g->len, &err), ==,
                        DS_EINVALID);
    }
}

static void test_os_release(void)
{
    static const char *const yes[] = {
        "ID=rocky\nID_LIKE=\"rhel centos fedora\"\n", "ID=\"almalinux\"\n",
        "ID=fedora\n", "ID=ol\nID_LIKE=\"fedora\"\n", "ID='centos'\n"};
    static const char *const no[] = {"ID=debian\n", "ID=ubuntu\nID_LIKE=debian\n",
                                     "ID=opensuse-leap\nID_LIKE=\"suse opensuse\"\n",
                                     "ID=rhelx\n", "\xff"};

    for (gsize i = 0; i < G_N_ELEMENTS(yes); i++)
        g_assert_true(ds_rpm_os_release_matches(yes[i], strlen(yes[i])));
    for (gsize i = 0; i < G_N_ELEMENTS(no); i++)
        g_assert_false(ds_rpm_os_release_matches(no[i], strlen(no[i])));
}

static const char v2_doc[] =
    "{\n"
    "  \"collector\": {},\n"
    "  \"files\": {},\n"
    "  \"host\": \"rh1\",\n"
    "  \"kernel\": {\n"
    "    \"installed\": []\n"
    "  },\n"
    "  \"os\": {},\n"
    "  \"packages\": {\n"
    "    \"kernel-core.x86_64\": {\n"
    "      \"arch\": \"x86_64\",\n"
    "      \"other_versions\": [\n"
    "        \"5.14.0-362.el9\"\n"
    "      ],\n"
    "      \"version\": \"5.14.0-427.el9\"\n"
    "    },\n"
    "    \"tool.noarch\": {\n"
    "      \"arch\": \"noarch\",\n"
    "      \"version\": \"1:2.0-1\"\n"
    "    }\n"
    "  },\n"
    "  \"platform\": \"rpm\",\n"
    "  \"reboot_required\": false,\n"
    "  \"role\": \"prod\",\n"
    "  \"schema\": \"driftsync/manifest/v2\",\n"
    "  \"services\": {},\n"
    "  \"sources\": []\n"
    "}\n";

static char *replace(const char *s, const char *from, const char *to)
{
    g_auto(GStrv) parts = g_strsplit(s, from, -1);
    return g_strjoinv(to, parts);
}

static int parse(ds_manifest **m, const char *doc, GError **err)
{
    return ds_manifest_parse(m, doc, strlen(doc), "t.json", err);
}

static void test_manifest_v2(void)
{
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(ds_manifest) lab = NULL;
    g_autoptr(GBytes) out = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) changes = NULL;
    g_autofree char *older = NULL;
    gsize len;

    need_librpm();
    if (!ds_rpm_vercmp_available())
        return;
    g_assert_cmpint(parse(&m, v2_doc, &err), ==, 0);
    g_assert_true(ds_manifest_is_rpm(m));
    g_assert_cmpint(ds_manifest_serialise(&out, m, &err), ==, 0);
    g_assert_cmpstr(g_bytes_get_data(out, &len), ==, v2_doc);

    /* an epoch wins over a bigger version: 1:2.0-1 -> 3.0-1 is a
     * downgrade; a second kernel version gone is a change */
    older = replace(v2_doc, "\"1:2.0-1\"", "\"3.0-1\"");
    {
        g_autofree char *o2 = replace(older, "      \"other_versions\": [\n"
                                             "        \"5.14.0-362.el9\"\n"
                                             "      ],\n", "");
        g_assert_cmpint(parse(&lab, o2, &err), ==, 0);
    }
    g_assert_cmpint(ds_manifest_diff(&changes, m, lab, NULL, &err), ==, 0);
    g_assert_cmpuint(changes->len, ==, 2);
    for (guint i = 0; i < changes->len; i++) {
        const ds_change *c = changes->pdata[i];
        if (strcmp(c->name, "tool.noarch") == 0)
            g_assert_cmpint(c->kind, ==, DS_CHANGE_PACKAGE_DOWNGRADED);
        else
            g_assert_cmpint(c->kind, ==, DS_CHANGE_PACKAGE_CHANGED);
    }
}

static void test_manifest_migration(void)
{
    static const char *const bad[] = {
        /* v1 has no platform */
        "\"schema\": \"driftsync/manifest/v2\"", "\"schema\": \"driftsync/manifest/v1\"",
        /* v2 needs one */
        "  \"platform\": \"rpm\",\n", "",
        /* and only rpm is known */
        "\"platform\": \"rpm\"", "\"platform\": \"msi\"",
        /* rpm keys and versions */
        "\"tool.noarch\"", "\"tool\"",
        "\"1:2.0-1\"", "\"1:2.0\"",
        "\"5.14.0-362.el9\"", "\"5.14.0-427.el9\"",
    };

    need_librpm();
    if (!ds_rpm_vercmp_available())
        return;
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i += 2) {
        g_autofree char *doc = replace(v2_doc, bad[i], bad[i + 1]);
        g_autoptr(ds_manifest) m = NULL;
        g_autoptr(GError) err = NULL;

        g_assert_cmpint(parse(&m, doc, &err), ==, DS_EINVALID);
        g_assert_true(g_str_has_prefix(err->message, "t.json: "));
    }
}

/* A v1 document keeps its schema and bytes (old stores do not change). */
static void test_manifest_v1_unchanged(void)
{
    g_autofree char *path = ds_test_data("good", NULL);
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;
    guint n = 0;

    g_assert_nonnull(dir);
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *f = g_build_filename(path, name, NULL);
        g_autofree char *text = NULL;
        g_autoptr(ds_manifest) m = NULL;
        g_autoptr(GBytes) out = NULL;
        gsize len;

        if (!g_str_has_suffix(name, ".json") ||
            !g_file_get_contents(f, &text, &len, NULL))
            continue;
        if (ds_manifest_parse(&m, text, len, name, NULL) < 0)
            continue;
        g_assert_null(m->platform);
        g_assert_cmpint(ds_manifest_serialise(&out, m, NULL), ==, 0);
        g_assert_nonnull(strstr(g_bytes_get_data(out, NULL),
                                "\"schema\": \"driftsync/manifest/v1\""));
        g_assert_null(strstr(g_bytes_get_data(out, NULL), "platform"));
        n++;
    }
    g_assert_cmpuint(n, >, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rpm/vercmp-pairs", test_vercmp_pairs);
    g_test_add_func("/rpm/evr", test_evr);
    g_test_add_func("/rpm/parse-query", test_parse_query);
    g_test_add_func("/rpm/parse-query-hostile", test_parse_query_hostile);
    g_test_add_func("/rpm/versionlock", test_versionlock);
    g_test_add_func("/rpm/versionlock-hostile", test_versionlock_hostile);
    g_test_add_func("/rpm/versionlock-facts", test_versionlock_facts);
    g_test_add_func("/rpm/parse-verify", test_parse_verify);
    g_test_add_func("/rpm/parse-verify-hostile", test_parse_verify_hostile);
    g_test_add_func("/rpm/parse-repo", test_parse_repo);
    g_test_add_func("/rpm/parse-repo-hostile", test_parse_repo_hostile);
    g_test_add_func("/rpm/os-release", test_os_release);
    g_test_add_func("/rpm/manifest-v2", test_manifest_v2);
    g_test_add_func("/rpm/manifest-migration", test_manifest_migration);
    g_test_add_func("/rpm/manifest-v1-unchanged", test_manifest_v1_unchanged);
    return g_test_run();
}
