/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-rpm-pending.c: an rpm host's pending updates: the
 * parsers of dnf's answers on real output (tests/data/rpm/dnf-*.txt, dnf
 * about the root of tests/data/rpm/mkrepo.sh pending) and on hostile output, the
 * security classification from the advisories, and the manifest members
 * that carry it (v2 only). */
#include <config.h>

#include <string.h>

#include "drivers/platform-rpm.h"
#include "manifests/manifest.h"
#include "manifests/util/error.h"
#include "manifests/version.h"
#include "tests/unit/testutil.h"

static bool no_librpm(void)
{
    if (ds_rpm_vercmp_available())
        return false;
    g_test_skip("built without librpm (configure --with-rpm)");
    return true;
}

static char *fixture(const char *name, gsize *len)
{
    g_autofree char *path = ds_test_data("rpm", name, NULL);
    char *text = NULL;

    g_assert_true(g_file_get_contents(path, &text, len, NULL));
    return text;
}

static const ds_pending *find(const GPtrArray *a, const char *name)
{
    for (guint i = 0; a && i < a->len; i++)
        if (strcmp(((ds_pending *)a->pdata[i])->name, name) == 0)
            return a->pdata[i];
    return NULL;
}

/* The installed side of mkrepo.sh's root (only what pending needs). */
static ds_manifest *installed(void)
{
    static const char *const pkgs[][2] = {
        {"ds-sec.noarch", "1.0-1"},    {"ds-crit.noarch", "1:1.0-1"},
        {"ds-unk.noarch", "1.0-1"},    {"ds-fix.noarch", "2.0-1"},
        {"ds-late.noarch", "1.0-1"},   {"ds-doc.noarch", "1.0-1"},
    };
    ds_manifest *m = ds_manifest_new("rh1", DS_ROLE_PROD);
    g_autoptr(GError) err = NULL;

    m->platform = g_strdup(DS_PLATFORM_RPM);
    for (gsize i = 0; i < G_N_ELEMENTS(pkgs); i++)
        g_ptr_array_add(m->packages,
                        ds_package_new(pkgs[i][0], pkgs[i][1], "noarch", NULL));
    g_assert_cmpint(ds_manifest_normalise(m, &err), ==, 0);
    return m;
}

static void test_upgrades(void)
{
    g_autoptr(GPtrArray) up =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_pending_free);
    g_autoptr(GError) err = NULL;
    g_autofree char *text = NULL;
    const ds_pending *p;
    gsize len;

    if (no_librpm())
        return;
    text = fixture("dnf-upgrades.txt", &len);
    g_assert_cmpint(ds_rpm_parse_upgrades(up, "rh1", text, len, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(up->len, ==, 6);
    p = find(up, "ds-crit.noarch");
    g_assert_nonnull(p);
    g_assert_cmpstr(p->version, ==, "1:1.2-1"); /* the epoch kept */
    g_assert_cmpstr(p->origin, ==, "dstest");   /* the repository */
    p = find(up, "ds-sec.noarch");
    g_assert_cmpstr(p->version, ==, "1.1-1");   /* epoch 0: none */
    g_assert_false(p->security);
}

static void test_upgrades_newest(void)
{
    static const char two[] = "a\t0\t1.10\t1\tx86_64\trepo1\n"
                              "a\t0\t1.9\t1\tx86_64\trepo2\n";
    g_autoptr(GPtrArray) up =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_pending_free);

    if (no_librpm())
        return;
    g_assert_cmpint(ds_rpm_parse_upgrades(up, "h", two, strlen(two), NULL),
                    ==, 0);
    g_assert_cmpuint(up->len, ==, 1);
    /* rpm's order: 1.10 > 1.9 */
    g_assert_cmpstr(((ds_pending *)up->pdata[0])->version, ==, "1.10-1");
    g_assert_cmpstr(((ds_pending *)up->pdata[0])->origin, ==, "repo1");
}

static void test_advisories(void)
{
    g_autoptr(GPtrArray) adv = g_ptr_array_new_with_free_func(
        (GDestroyNotify)ds_rpm_advisory_free);
    g_autoptr(GError) err = NULL;
    g_autofree char *text = NULL;
    guint security = 0;
    gsize len;

    text = fixture("dnf-updateinfo-list.txt", &len);
    g_assert_cmpint(ds_rpm_parse_advisories(adv, "rh1", text, len, &err), ==,
                    0);
    g_assert_no_error(err);
    g_assert_cmpuint(adv->len, ==, 7);
    for (guint i = 0; i < adv->len; i++) {
        const ds_rpm_advisory *a = adv->pdata[i];

        security += a->security;
        if (strcmp(a->id, "DSSA-2026:0003") == 0 &&
            strcmp(a->key, "ds-crit.noarch") == 0) {
            g_assert_cmpstr(a->evr, ==, "1:1.2-1");
            g_assert_cmpstr(a->severity, ==, "Critical");
        }
        if (strcmp(a->id, "DSSA-2026:0006") == 0)
            g_assert_null(a->severity); /* Unknown/Sec. */
        if (strcmp(a->id, "DSBA-2026:0002") == 0) {
            g_assert_false(a->security);
            g_assert_cmpstr(a->key, ==, "ds-fix.noarch");
        }
    }
    g_assert_cmpuint(security, ==, 5);
}

/* The candidates classified: security when a security advisory names the
 * package at a version the candidate reaches. */
static void test_classify(void)
{
    g_autoptr(GPtrArray) up =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_pending_free);
    g_autoptr(GPtrArray) adv = g_ptr_array_new_with_free_func(
        (GDestroyNotify)ds_rpm_advisory_free);
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *u = NULL;
    g_autofree char *a = NULL;
    g_autoptr(GBytes) bytes = NULL;
    g_autoptr(ds_manifest) back = NULL;
    const char *json;
    gsize jl;
    const ds_pending *p;
    gsize ul, al;

    if (no_librpm())
        return;
    u = fixture("dnf-upgrades.txt", &ul);
    a = fixture("dnf-updateinfo-list.txt", &al);
    m = installed();
    g_assert_cmpint(ds_rpm_parse_upgrades(up, "rh1", u, ul, NULL), ==, 0);
    g_assert_cmpint(ds_rpm_parse_advisories(adv, "rh1", a, al, NULL), ==, 0);
    ds_rpm_pending_apply(m, up, adv);
    g_assert_cmpint(ds_manifest_normalise(m, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(m->pending->len, ==, 6);

    p = ds_manifest_find_pending(m, "ds-sec.noarch");
    g_assert_true(p->security);
    g_assert_cmpstr(p->severity, ==, "Critical"); /* the highest of two */
    g_assert_cmpuint(p->advisories->len, ==, 2);
    g_assert_cmpstr(p->advisories->pdata[0], ==, "DSSA-2026:0001");
    g_assert_cmpstr(p->advisories->pdata[1], ==, "DSSA-2026:0003");
    p = ds_manifest_find_pending(m, "ds-crit.noarch");
    g_assert_true(p->security);
    g_assert_cmpstr(p->severity, ==, "Critical");
    p = ds_manifest_find_pending(m, "ds-unk.noarch");
    g_assert_true(p->security);
    g_assert_null(p->severity);
    /* an advisory for 1.2 does not make the 1.1 candidate a fix */
    p = ds_manifest_find_pending(m, "ds-late.noarch");
    g_assert_false(p->security);
    g_assert_null(p->advisories);
    g_assert_false(ds_manifest_find_pending(m, "ds-fix.noarch")->security);
    g_assert_false(ds_manifest_find_pending(m, "ds-doc.noarch")->security);

    /* the members survive the document, as v2 */
    g_assert_cmpint(ds_manifest_serialise(&bytes, m, &err), ==, 0);
    g_assert_no_error(err);
    json = g_bytes_get_data(bytes, &jl);
    g_assert_nonnull(g_strstr_len(json, (gssize)jl,
                                  "\"severity\": \"Critical\""));
    g_assert_cmpint(ds_manifest_parse(&back, json, jl, "t", &err), ==, 0);
    g_assert_no_error(err);
    g_assert_true(ds_manifest_equal(m, back));
}

/* A candidate that is not newer than what is installed is no update. */
static void test_not_newer(void)
{
    static const char up_text[] = "ds-sec\t0\t1.0\t1\tnoarch\tdstest\n"
                                  "ds-fix\t0\t1.9\t1\tnoarch\tdstest\n";
    g_autoptr(GPtrArray) up =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_pending_free);
    g_autoptr(GPtrArray) adv = g_ptr_array_new();
    g_autoptr(ds_manifest) m = NULL;

    if (no_librpm())
        return;
    m = installed();
    g_assert_cmpint(ds_rpm_parse_upgrades(up, "h", up_text, strlen(up_text),
                                          NULL),
                    ==, 0);
    ds_rpm_pending_apply(m, up, adv);
    g_assert_cmpuint(m->pending->len, ==, 0);
}

static void test_upgrades_hostile(void)
{
    static const char *const bad[] = {
        "ds-sec\t0\t1.1\t1\tnoarch\n",              /* 5 fields */
        "ds-sec\t0\t1.1\t1\tnoarch\tdstest\tx\n",   /* 7 fields */
        "$(id)\t0\t1.1\t1\tnoarch\tdstest\n",       /* name */
        "-rf\t0\t1.1\t1\tnoarch\tdstest\n",         /* leading dash */
        "ds-sec\tx\t1.1\t1\tnoarch\tdstest\n",      /* epoch */
        "ds-sec\t0\t1-1\t1\tnoarch\tdstest\n",      /* '-' in version */
        "ds-sec\t0\t1.1\t1;id\tnoarch\tdstest\n",   /* release */
        "ds-sec\t0\t1.1\t1\tno arch\tdstest\n",     /* arch */
        "ds-sec\t0\t1.1\t1\tnoarch\tdst est\n",     /* repository id */
        "ds-sec\t0\t1.1\t1\tnoarch\tdst\033[2Jest\n", /* escape */
        "ds-sec\t0\t1.\xff\t1\tnoarch\tdstest\n",   /* not UTF-8 */
        "Last metadata expiration check: 0:01:02 ago\n", /* not ours */
    };

    if (no_librpm())
        return;
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GPtrArray) up =
            g_ptr_array_new_with_free_func((GDestroyNotify)ds_pending_free);
        g_autoptr(GError) err = NULL;

        g_assert_cmpint(ds_rpm_parse_upgrades(up, "web01", bad[i],
                                              strlen(bad[i]), &err),
                        ==, DS_EINVALID);
        g_assert_true(g_str_has_prefix(err->message,
                                       "web01: dnf repoquery --upgrades output"));
        g_assert_null(strchr(err->message, '\n'));
        g_assert_null(strchr(err->message, '\033'));
    }
    {
        /* a NUL byte inside */
        g_autoptr(GPtrArray) up = g_ptr_array_new();
        g_autoptr(GError) err = NULL;
        static const char nul[] = "ds-sec\t0\t1.1\t1\tnoarch\tdst\0est\n";
        g_assert_cmpint(ds_rpm_parse_upgrades(up, "web01", nul,
                                              sizeof(nul) - 1, &err),
                        ==, DS_EINVALID);
        g_assert_true(g_str_has_prefix(err->message, "web01: "));
    }
    {
        /* a line longer than dnf writes */
        g_autoptr(GPtrArray) up = g_ptr_array_new();
        g_autoptr(GError) err = NULL;
        g_autofree char *longl = g_strnfill(5000, 'a');
        g_assert_cmpint(ds_rpm_parse_upgrades(up, "web01", longl,
                                              strlen(longl), &err),
                        ==, DS_EINVALID);
        g_assert_nonnull(strstr(err->message, "line too long"));
    }
}

static void test_advisories_hostile(void)
{
    static const char *const bad[] = {
        "DSSA-1 Important/Sec.\n",                         /* 2 fields */
        "DSSA-1 Important/Sec. a-1.0-1.noarch extra\n",    /* 4 fields */
        "DSSA-1 Severe/Sec. a-1.0-1.noarch\n",             /* kind */
        "DSSA-1 Important a-1.0-1.noarch\n",               /* kind */
        "DSSA$(id) Important/Sec. a-1.0-1.noarch\n",       /* id */
        "DSSA-1 Important/Sec. a-1.0-1\n",                 /* no arch */
        "DSSA-1 Important/Sec. a-1.0.noarch\n",            /* no release */
        "DSSA-1 Important/Sec. a-x:1.0-1.noarch\n",        /* epoch */
        "DSSA-1 Important/Sec. a-:1.0-1.noarch\n",         /* empty epoch */
        "DSSA-1 Important/Sec. $(id)-1.0-1.noarch\n",      /* name */
        "DSSA-1 Important/Sec. a-1.0-1.no\033arch\n",      /* escape */
        "Name Type Severity Package Issued\n",             /* dnf5 */
    };

    if (no_librpm())
        return;
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GPtrArray) adv = g_ptr_array_new_with_free_func(
            (GDestroyNotify)ds_rpm_advisory_free);
        g_autoptr(GError) err = NULL;

        g_assert_cmpint(ds_rpm_parse_advisories(adv, "web01", bad[i],
                                                strlen(bad[i]), &err),
                        ==, DS_EINVALID);
        g_assert_true(g_str_has_prefix(err->message,
                                       "web01: dnf updateinfo list output"));
        g_assert_null(strchr(err->message, '\n'));
        g_assert_null(strchr(err->message, '\033'));
    }
}

/* The v2 members are checked: a v1 (dpkg) document cannot have them, an
 * rpm one only sorted, unique, token advisories. */
static void test_manifest_rules(void)
{
    static const char *const docs[] = {
        /* v1 with a severity */
        "{\"schema\": \"driftsync/manifest/v1\", \"host\": \"h\", \"role\": "
        "\"prod\", \"kernel\": {\"installed\": []}, \"reboot_required\": "
        "false, \"packages\": {}, \"sources\": [], \"files\": {}, "
        "\"services\": {}, \"pending\": {\"ab\": {\"version\": \"1\", "
        "\"security\": true, \"severity\": \"Critical\"}}}",
        /* v2, advisories not sorted */
        "{\"schema\": \"driftsync/manifest/v2\", \"platform\": \"rpm\", "
        "\"host\": \"h\", \"role\": \"prod\", \"kernel\": {\"installed\": "
        "[]}, \"reboot_required\": false, \"packages\": {}, \"sources\": [], "
        "\"files\": {}, \"services\": {}, \"pending\": {\"a.noarch\": "
        "{\"version\": \"1-1\", \"security\": true, \"advisories\": "
        "[\"B\", \"A\"]}}}",
        /* v2, a Debian name */
        "{\"schema\": \"driftsync/manifest/v2\", \"platform\": \"rpm\", "
        "\"host\": \"h\", \"role\": \"prod\", \"kernel\": {\"installed\": "
        "[]}, \"reboot_required\": false, \"packages\": {}, \"sources\": [], "
        "\"files\": {}, \"services\": {}, \"pending\": {\"a\": "
        "{\"version\": \"1-1\", \"security\": false}}}",
        /* v2, a version that is not an EVR */
        "{\"schema\": \"driftsync/manifest/v2\", \"platform\": \"rpm\", "
        "\"host\": \"h\", \"role\": \"prod\", \"kernel\": {\"installed\": "
        "[]}, \"reboot_required\": false, \"packages\": {}, \"sources\": [], "
        "\"files\": {}, \"services\": {}, \"pending\": {\"a.noarch\": "
        "{\"version\": \"1\", \"security\": false}}}",
        /* v2, an empty advisories list */
        "{\"schema\": \"driftsync/manifest/v2\", \"platform\": \"rpm\", "
        "\"host\": \"h\", \"role\": \"prod\", \"kernel\": {\"installed\": "
        "[]}, \"reboot_required\": false, \"packages\": {}, \"sources\": [], "
        "\"files\": {}, \"services\": {}, \"pending\": {\"a.noarch\": "
        "{\"version\": \"1-1\", \"security\": true, \"advisories\": []}}}",
    };
    static const char *const why[] = {"only rpm hosts", "not sorted",
                                      "rpm package key", "rpm version",
                                      "empty"};

    if (no_librpm())
        return;
    for (gsize i = 0; i < G_N_ELEMENTS(docs); i++) {
        g_autoptr(ds_manifest) m = NULL;
        g_autoptr(GError) err = NULL;

        g_assert_cmpint(ds_manifest_parse(&m, docs[i], strlen(docs[i]), "t",
                                          &err),
                        ==, DS_EINVALID);
        if (!strstr(err->message, why[i]))
            g_error("document %zu: %s (expected '%s')", i, err->message,
                    why[i]);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rpm-pending/upgrades", test_upgrades);
    g_test_add_func("/rpm-pending/upgrades-newest", test_upgrades_newest);
    g_test_add_func("/rpm-pending/advisories", test_advisories);
    g_test_add_func("/rpm-pending/classify", test_classify);
    g_test_add_func("/rpm-pending/not-newer", test_not_newer);
    g_test_add_func("/rpm-pending/upgrades-hostile", test_upgrades_hostile);
    g_test_add_func("/rpm-pending/advisories-hostile",
                    test_advisories_hostile);
    g_test_add_func("/rpm-pending/manifest-rules", test_manifest_rules);
    return g_test_run();
}
