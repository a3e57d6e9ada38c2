/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-bundle.c: tested patch bundles: parse and serialise
 * (canonical bytes, round trip), malformed and hostile documents, the
 * forms `bundle show` prints, a stored bundle read by the audit as an
 * expectation, and bundles kept in a real git store. */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "manifests/store-bundle.h"
#include "sync/jobs/audit.h"

static ds_bundle *sample(bool passed)
{
    ds_bundle *b = ds_bundle_new("web01-sec");
    g_autoptr(GError) err = NULL;

    b->host = g_strdup("web01");
    b->lab = g_strdup("web01-lab");
    b->prod_revision = g_strdup("0123456789abcdef0123456789abcdef01234567");
    b->run = g_strdup("20261202T101500Z-1a2b3c4d");
    b->tested_at = g_strdup("2026-12-02T10:15:00Z");
    b->security_only = true;
    b->passed = passed;
    g_assert_cmpint(ds_bundle_add_package(b, "openssl", "3.0.13-1~deb12u1",
                                          &err), ==, 0);
    g_assert_cmpint(ds_bundle_add_package(b, "libssl3", "3.0.13-1~deb12u1",
                                          &err), ==, 0);
    g_assert_no_error(err);
    ds_bundle_add_check(b, "systemctl is-active nginx", 0, 0.25);
    ds_bundle_add_check(b, "curl -fsS localhost", passed ? 0 : 7, 1.5);
    return b;
}

static void test_round_trip(void)
{
    g_autoptr(ds_bundle) b = sample(true), c = NULL;
    g_autoptr(GBytes) one = NULL, two = NULL;
    g_autoptr(GError) err = NULL;
    gsize len;
    const char *data;

    g_assert_cmpint(ds_bundle_serialise(&one, b, &err), ==, 0);
    data = g_bytes_get_data(one, &len);
    g_assert_true(data[len - 1] == '\n');
    g_assert_nonnull(strstr(data, "\"schema\": \"driftsync/bundle/v1\""));
    /* sorted keys: libssl3 before openssl */
    g_assert_true(strstr(data, "libssl3") < strstr(data, "openssl\":"));
    g_assert_true(ds_bundle_is_document(data, len));
    g_assert_cmpint(ds_bundle_parse(&c, data, len, "t", &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpstr(c->name, ==, "web01-sec");
    g_assert_cmpstr(c->lab, ==, "web01-lab");
    g_assert_cmpstr(c->prod_revision, ==, b->prod_revision);
    g_assert_true(c->passed && c->security_only);
    g_assert_cmpuint(c->checks->len, ==, 2);
    g_assert_cmpstr(g_hash_table_lookup(c->packages, "openssl"), ==,
                    "3.0.13-1~deb12u1");
    g_assert_cmpint(ds_bundle_serialise(&two, c, &err), ==, 0);
    g_assert_true(g_bytes_equal(one, two));
}

static void test_formats(void)
{
    g_autoptr(ds_bundle) b = sample(true);
    g_autoptr(GError) err = NULL;
    g_autofree char *lines = NULL, *apt = NULL, *bad = NULL;

    g_assert_cmpint(ds_bundle_format(&lines, b, "lines", &err), ==, 0);
    g_assert_cmpstr(lines, ==,
                    "libssl3=3.0.13-1~deb12u1\nopenssl=3.0.13-1~deb12u1\n");
    g_assert_cmpint(ds_bundle_format(&apt, b, "apt", &err), ==, 0);
    g_assert_cmpstr(apt, ==,
                    "apt-get install -y --no-remove libssl3=3.0.13-1~deb12u1 "
                    "openssl=3.0.13-1~deb12u1\n");
    g_assert_cmpint(ds_bundle_format(&bad, b, "yaml", &err), ==, DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "yaml"));
}

static void test_bad(void)
{
    static const struct {
        const char *data, *msg;
    } cases[] = {
        {"{", "b:1: not valid JSON"},
        {"[]", "b: schema: not driftsync/bundle/v1"},
        {"{\"schema\": \"driftsync/bundle/v2\"}", "b: schema: not"},
        {"{\"schema\": \"driftsync/bundle/v1\", \"evil\": 1}",
         "b: unknown member 'evil'"},
        {"{\"schema\": \"driftsync/bundle/v1\", \"name\": \"../x\"}",
         "b: name: not a valid value"},
        {"{\"schema\": \"driftsync/bundle/v1\", \"name\": \"n\", \"host\": "
         "\"h\", \"tested_at\": \"yesterday\"}",
         "b: tested_at: not a valid value"},
        /* The form of a time, but no such time: the patch history read
         * it as "never tested". */
        {"{\"schema\": \"driftsync/bundle/v1\", \"name\": \"n\", \"host\": "
         "\"h\", \"tested_at\": \"2026-02-30T10:15:00Z\"}",
         "b: tested_at: not a valid value"},
        {"{\"schema\": \"driftsync/bundle/v1\", \"name\": \"n\", \"host\": "
         "\"h\", \"tested_at\": \"2026-12-02T24:15:00Z\"}",
         "b: tested_at: not a valid value"},
        {"{\"schema\": \"driftsync/bundle/v1\", \"name\": \"n\", \"host\": "
         "\"h\", \"tested_at\": \"2026-12-02T10:15:00Z\", \"passed\": 1}",
         "b: passed: not true or false"},
        {"{\"schema\": \"driftsync/bundle/v1\", \"name\": \"n\", \"host\": "
         "\"h\", \"tested_at\": \"2026-12-02T10:15:00Z\", \"passed\": true, "
         "\"packages\": {}}",
         "b: packages: not a non-empty object"},
        {"{\"schema\": \"driftsync/bundle/v1\", \"name\": \"n\", \"host\": "
         "\"h\", \"tested_at\": \"2026-12-02T10:15:00Z\", \"passed\": true, "
         "\"packages\": {\"ab\": \"1;reboot\"}}",
         "b: packages: ab: '1;reboot' is not a Debian version"},
        {"{\"schema\": \"driftsync/bundle/v1\", \"name\": \"n\", \"host\": "
         "\"h\", \"tested_at\": \"2026-12-02T10:15:00Z\", \"passed\": true, "
         "\"packages\": {\"ab\": \"1\"}, \"checks\": [{\"command\": \"x\"}]}",
         "b: checks[0]: expected {command, status, seconds}"},
        {"{\"schema\": \"driftsync/bundle/v1\", \"name\": \"n\", \"host\": "
         "\"h\", \"prod_revision\": \"HEAD\"}",
         "b: prod_revision: not a valid value"},
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(ds_bundle) b = NULL;
        g_autoptr(GError) err = NULL;

        g_assert_cmpint(ds_bundle_parse(&b, cases[i].data,
                                        strlen(cases[i].data), "b", &err),
                        ==, DS_EINVALID);
        g_assert_null(b);
        g_assert_nonnull(err);
        if (!g_str_has_prefix(err->message, cases[i].msg))
            g_error("case %u: '%s' does not start with '%s'", i,
                    err->message, cases[i].msg);
    }
}

/* Bytes of the document quoted in an error are shown on one line, as
 * valid UTF-8 (found by fuzzing: an unknown member, a package name or a
 * version with a newline or a terminal escape, a member name cut in the
 * middle of a character, jansson's message quoting a broken token). */
static void test_bad_text(void)
{
    static const struct {
        const char *data, *msg;
    } cases[] = {
        {"{\"schema\": \"driftsync/bundle/v1\", \"ev\\nil\\u001b[2J\": 1}",
         "b: unknown member 'ev il [2J'"},
        {"{\"schema\": \"driftsync/bundle/v1\", \"name\": \"n\", \"host\": "
         "\"h\", \"tested_at\": \"2026-12-02T10:15:00Z\", \"passed\": true, "
         "\"packages\": {\"a\\rb\": \"1\"}}",
         "b: packages: 'a b' is not a package name"},
        {"{\"schema\": \"driftsync/bundle/v1\", \"name\": \"n\", \"host\": "
         "\"h\", \"tested_at\": \"2026-12-02T10:15:00Z\", \"passed\": true, "
         "\"packages\": {\"ab\": \"1\\n2\"}}",
         "b: packages: ab: '1 2' is not a Debian version"},
        {"{\"schema\": \"driftsync/bundle/v1\", \"name\": \"n\\\n\x1b[2J\"}",
         "b:"},
    };
    /* A long member name is cut at 60 bytes, here inside the 'é'. */
    g_autofree char *xs = g_strnfill(59, 'x');
    g_autofree char *cut = g_strdup_printf(
        "{\"schema\": \"driftsync/bundle/v1\", \"%s\u00e9\": 1}", xs);
    g_autofree char *cut_msg =
        g_strdup_printf("b: unknown member '%s\xef\xbf\xbd'", xs);

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(ds_bundle) b = NULL;
        g_autoptr(GError) err = NULL;

        g_assert_cmpint(ds_bundle_parse(&b, cases[i].data,
                                        strlen(cases[i].data), "b", &err),
                        ==, DS_EINVALID);
        g_assert_nonnull(err);
        if (!g_str_has_prefix(err->message, cases[i].msg))
            g_error("case %u: '%s' does not start with '%s'", i,
                    err->message, cases[i].msg);
        g_assert_true(g_utf8_validate(err->message, -1, NULL));
        for (const char *p = err->message; *p; p++)
            g_assert_cmpint((guchar)*p, >=, 0x20);
    }
    {
        g_autoptr(ds_bundle) b = NULL;
        g_autoptr(GError) err = NULL;

        g_assert_cmpint(ds_bundle_parse(&b, cut, strlen(cut), "b", &err), ==,
                        DS_EINVALID);
        g_assert_cmpstr(err->message, ==, cut_msg);
    }
}

static void test_huge(void)
{
    gsize n = DS_BUNDLE_MAX_BYTES + 10;
    g_autofree char *big = g_malloc(n);
    g_autoptr(ds_bundle) b = NULL;
    g_autoptr(GError) err = NULL;

    memset(big, ' ', n);
    big[0] = '{';
    g_assert_cmpint(ds_bundle_parse(&b, big, n, "big", &err), ==, DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "over"));
}

/* A stored bundle is an --expect input; a failed trial's record is not. */
static void test_as_expect(void)
{
    g_autoptr(ds_bundle) good = sample(true), bad = sample(false);
    g_autoptr(GBytes) gb = NULL, bb = NULL;
    g_autoptr(ds_audit_expect) e = NULL, f = NULL;
    g_autoptr(GError) err = NULL;
    gsize len;
    const char *data;

    g_assert_cmpint(ds_bundle_serialise(&gb, good, &err), ==, 0);
    data = g_bytes_get_data(gb, &len);
    g_assert_cmpint(ds_audit_expect_parse(&e, data, len, "g.json", &err), ==,
                    0);
    g_assert_no_error(err);
    g_assert_cmpuint(g_hash_table_size(e->want), ==, 2);
    g_assert_cmpstr(g_hash_table_lookup(e->want, "libssl3"), ==,
                    "3.0.13-1~deb12u1");
    g_assert_cmpuint(g_hash_table_size(e->required), ==, 0);
    g_assert_cmpint(ds_bundle_serialise(&bb, bad, &err), ==, 0);
    data = g_bytes_get_data(bb, &len);
    g_assert_cmpint(ds_audit_expect_parse(&f, data, len, "f.json", &err), ==,
                    DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "failed trial"));
}

static int git_fsck(const char *path)
{
    const char *argv[] = {"git", "-C", path, "fsck", "--strict", NULL};
    int status = -1;

    if (!g_spawn_sync(NULL, (char **)argv, NULL,
                      G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                      NULL, NULL, NULL, &status, NULL))
        return -1;
    return status;
}

static void test_store(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("ds-bundle-XXXXXX", &err);
    g_autofree char *path = g_build_filename(dir, "store", NULL);
    g_autofree char *oid = NULL, *oid2 = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(ds_bundle) good = sample(true), bad = sample(false), back = NULL;
    g_autoptr(GPtrArray) list = NULL, trials = NULL;
    const char *rm[] = {"rm", "-rf", dir, NULL};

    g_assert_no_error(err);
    g_assert_cmpint(ds_store_init(path, &err), ==, 0);
    g_assert_cmpint(ds_store_open(&st, path, &err), ==, 0);
    g_assert_cmpint(ds_store_bundle_list(&list, st, NULL, false, &err), ==, 0);
    g_assert_cmpuint(list->len, ==, 0);
    g_clear_pointer(&list, g_ptr_array_unref);

    g_free(bad->run);
    bad->run = g_strdup("20261202T090000Z-00000001");
    g_assert_cmpint(ds_store_bundle_save(&oid, st, bad, false, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(ds_store_bundle_read(&back, st, NULL, "web01-sec", &err),
                    ==, DS_ENOTFOUND);
    g_clear_error(&err);
    g_assert_cmpint(ds_store_bundle_save(&oid2, st, good, false, &err), ==, 0);
    g_assert_cmpstr(oid, !=, oid2);
    g_assert_cmpint(ds_store_bundle_read(&back, st, NULL, "web01-sec", &err),
                    ==, 0);
    g_assert_true(back->passed);
    g_assert_cmpint(ds_store_bundle_list(&list, st, NULL, false, &err), ==, 0);
    g_assert_cmpuint(list->len, ==, 1);
    g_assert_cmpint(ds_store_bundle_list(&trials, st, NULL, true, &err), ==, 0);
    g_assert_cmpuint(trials->len, ==, 2);
    g_assert_false(((ds_bundle *)trials->pdata[0])->passed);
    /* a second bundle of that name is refused, the store unchanged */
    g_assert_cmpint(ds_store_bundle_save(NULL, st, good, false, &err), ==,
                    DS_ECONFLICT);
    g_assert_nonnull(strstr(err->message, "exists already"));
    g_clear_error(&err);
    g_clear_pointer(&back, ds_bundle_free);
    g_assert_cmpint(ds_store_bundle_read(&back, st, NULL, "../etc", &err), ==,
                    DS_EINVALID);
    g_assert_cmpint(git_fsck(path), ==, 0);
    g_spawn_sync(NULL, (char **)rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                 NULL, NULL, NULL, NULL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/bundle/round-trip", test_round_trip);
    g_test_add_func("/bundle/formats", test_formats);
    g_test_add_func("/bundle/bad", test_bad);
    g_test_add_func("/bundle/bad-text", test_bad_text);
    g_test_add_func("/bundle/huge", test_huge);
    g_test_add_func("/bundle/as-expect", test_as_expect);
    g_test_add_func("/bundle/store", test_store);
    return g_test_run();
}
