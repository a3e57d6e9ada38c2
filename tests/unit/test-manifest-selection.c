/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-manifest-selection.c: the manifest's package selection
 * members (pending, held_back, holds, auto, lists_updated_at): canonical
 * form, old documents unchanged, the rules between them. */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "manifests/manifest.h"

static char *load_good(const char *name, gsize *len)
{
    g_autofree char *path =
        g_test_build_filename(G_TEST_DIST, "data", "good", name, NULL);
    char *data = NULL;

    g_assert_true(g_file_get_contents(path, &data, len, NULL));
    return data;
}

/* The selection members as a canonical document has them. */
static const char selection_doc[] =
    "{\n"
    "  \"auto\": [\n"
    "    \"libc6\",\n"
    "    \"libssl3\"\n"
    "  ],\n"
    "  \"collected_at\": \"2026-11-27T02:00:05Z\",\n"
    "  \"collector\": {},\n"
    "  \"files\": {},\n"
    "  \"held_back\": {\n"
    "    \"nginx\": {\n"
    "      \"origin\": \"Debian\",\n"
    "      \"security\": false,\n"
    "      \"suite\": \"bookworm-updates\",\n"
    "      \"version\": \"1.22.1-9+deb12u1\"\n"
    "    }\n"
    "  },\n"
    "  \"holds\": [\n"
    "    \"nginx\"\n"
    "  ],\n"
    "  \"host\": \"web01\",\n"
    "  \"kernel\": {\n"
    "    \"installed\": []\n"
    "  },\n"
    "  \"lists_updated_at\": \"2026-11-26T23:10:00Z\",\n"
    "  \"os\": {},\n"
    "  \"packages\": {\n"
    "    \"libc6\": {\n"
    "      \"arch\": \"amd64\",\n"
    "      \"version\": \"2.36-9+deb12u9\"\n"
    "    },\n"
    "    \"libssl3\": {\n"
    "      \"arch\": \"amd64\",\n"
    "      \"version\": \"3.0.11-1~deb12u2\"\n"
    "    },\n"
    "    \"nginx\": {\n"
    "      \"arch\": \"amd64\",\n"
    "      \"version\": \"1.22.1-9\"\n"
    "    }\n"
    "  },\n"
    "  \"pending\": {\n"
    "    \"libssl3\": {\n"
    "      \"origin\": \"Debian\",\n"
    "      \"security\": true,\n"
    "      \"suite\": \"bookworm-security\",\n"
    "      \"version\": \"3.0.15-1~deb12u1\"\n"
    "    }\n"
    "  },\n"
    "  \"reboot_required\": false,\n"
    "  \"role\": \"prod\",\n"
    "  \"schema\": \"driftsync/manifest/v1\",\n"
    "  \"services\": {},\n"
    "  \"sources\": []\n"
    "}\n";

static ds_manifest *parse_ok(const char *data, gsize len)
{
    g_autoptr(GError) err = NULL;
    ds_manifest *m = NULL;

    g_assert_cmpint(ds_manifest_parse(&m, data, len, "doc", &err), ==, 0);
    g_assert_no_error(err);
    return m;
}

static char *parse_fails(const char *data)
{
    g_autoptr(GError) err = NULL;
    ds_manifest *m = NULL;

    g_assert_cmpint(ds_manifest_parse(&m, data, strlen(data), "doc", &err),
                    ==, DS_EINVALID);
    g_assert_null(m);
    g_assert_null(strchr(err->message, '\n'));
    return g_strdup(err->message);
}

static void assert_same_bytes(const ds_manifest *m, const char *data,
                              gsize len)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GBytes) out = NULL;

    g_assert_cmpint(ds_manifest_serialise(&out, m, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpmem(g_bytes_get_data(out, NULL), g_bytes_get_size(out), data,
                    len);
}

static void test_round_trip(void)
{
    g_autoptr(ds_manifest) m =
        parse_ok(selection_doc, sizeof selection_doc - 1);
    const ds_pending *p;

    assert_same_bytes(m, selection_doc, sizeof selection_doc - 1);
    g_assert_cmpstr(m->lists_updated_at, ==, "2026-11-26T23:10:00Z");
    p = ds_manifest_find_pending(m, "libssl3");
    g_assert_nonnull(p);
    g_assert_cmpstr(p->version, ==, "3.0.15-1~deb12u1");
    g_assert_cmpstr(p->origin, ==, "Debian");
    g_assert_cmpstr(p->suite, ==, "bookworm-security");
    g_assert_true(p->security);
    g_assert_null(ds_manifest_find_pending(m, "nginx"));
    g_assert_nonnull(ds_manifest_find_held_back(m, "nginx"));
    g_assert_false(ds_manifest_find_held_back(m, "nginx")->security);
    g_assert_true(ds_manifest_is_held(m, "nginx"));
    g_assert_false(ds_manifest_is_held(m, "libc6"));
    g_assert_true(ds_manifest_is_auto(m, "libc6"));
    g_assert_false(ds_manifest_is_auto(m, "nginx"));
}

/* A manifest written before these members reads back with them NULL and
 * serialises to the same bytes: old stores see no change. */
static void test_old_documents(void)
{
    const char *names[] = {"web01.json", "db01.json", "web01-lab.json"};

    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        gsize len;
        g_autofree char *data = load_good(names[i], &len);
        g_autoptr(ds_manifest) m = parse_ok(data, len);

        g_assert_null(m->pending);
        g_assert_null(m->held_back);
        g_assert_null(m->holds);
        g_assert_null(m->auto_marks);
        g_assert_null(m->lists_updated_at);
        g_assert_false(ds_manifest_is_held(m, "openssl"));
        assert_same_bytes(m, data, len);
    }
}

/* Collected and empty differs from not collected, in bytes and equality. */
static void test_empty_is_not_absent(void)
{
    gsize len;
    g_autofree char *data = load_good("web01.json", &len);
    g_autoptr(ds_manifest) a = parse_ok(data, len);
    g_autoptr(ds_manifest) b = parse_ok(data, len);
    g_autoptr(ds_manifest) back = NULL;
    g_autoptr(GBytes) out = NULL;
    g_autoptr(GError) err = NULL;
    const char *s;

    b->holds = g_ptr_array_new_with_free_func(g_free);
    b->auto_marks = g_ptr_array_new_with_free_func(g_free);
    b->pending = g_ptr_array_new_with_free_func((GDestroyNotify)ds_pending_free);
    g_assert_false(ds_manifest_equal(a, b));
    g_assert_cmpint(ds_manifest_serialise(&out, b, &err), ==, 0);
    s = g_bytes_get_data(out, NULL);
    g_assert_nonnull(strstr(s, "\n  \"auto\": [],\n"));
    g_assert_nonnull(strstr(s, "\n  \"holds\": [],\n"));
    g_assert_nonnull(strstr(s, "\n  \"pending\": {},\n"));
    g_assert_null(strstr(s, "held_back"));
    back = parse_ok(s, g_bytes_get_size(out));
    g_assert_true(ds_manifest_equal(back, b));
    g_assert_nonnull(back->holds);
    g_assert_cmpuint(back->holds->len, ==, 0);
}

/* Replace `from` by `to` in the selection document, expect a refusal. */
static void expect_refused(const char *from, const char *to,
                           const char *message)
{
    g_autofree char *doc = NULL;
    g_autofree char *msg = NULL;
    const char *at = strstr(selection_doc, from);

    g_assert_nonnull(at);
    doc = g_strdup_printf("%.*s%s%s", (int)(at - selection_doc),
                          selection_doc, to, at + strlen(from));
    msg = parse_fails(doc);
    if (!strstr(msg, message))
        g_test_message("got: %s", msg);
    g_assert_nonnull(strstr(msg, message));
}

static void test_refusals(void)
{
    expect_refused("\"holds\": [\n    \"nginx\"\n  ]",
                   "\"holds\": [\n    \"nginx\",\n    \"libssl3\"\n  ]",
                   "doc: pending.libssl3: is on hold");
    expect_refused("\"holds\": [\n    \"nginx\"", "\"holds\": [\n    \"ng;x\"",
                   "doc: holds[0]: not a safe package name");
    expect_refused("\"auto\": [\n    \"libc6\"", "\"auto\": [\n    1",
                   "doc: auto[0]: expected a string, got an integer");
    expect_refused("\"lists_updated_at\": \"2026-11-26T23:10:00Z\"",
                   "\"lists_updated_at\": \"yesterday\"",
                   "doc: lists_updated_at: not an RFC 3339 UTC time");
    expect_refused("\"security\": true,", "\"security\": \"yes\",",
                   "doc: pending.libssl3.security: expected a boolean");
    expect_refused("\"security\": true,\n", "",
                   "doc: pending.libssl3.security: missing");
    expect_refused("\"version\": \"3.0.15-1~deb12u1\"",
                   "\"version\": \"3.0 15\"",
                   "doc: pending.libssl3.version: contains whitespace");
    expect_refused("\"suite\": \"bookworm-updates\",",
                   "\"suite\": \"bookworm-updates\",\n\"label\": \"x\",",
                   "doc: held_back.nginx.label: unknown key");
    expect_refused("\"origin\": \"Debian\",\n      \"security\": true",
                   "\"origin\": \"Deb\\nian\",\n      \"security\": true",
                   "doc: pending.libssl3.origin: contains a line break");
    expect_refused("\"pending\": {\n    \"libssl3\"",
                   "\"pending\": {\n    \"$(reboot)\"",
                   "doc: pending.\"$(reboot)\": not a safe package name");
    expect_refused("\"holds\": [\n    \"nginx\"\n  ]", "\"holds\": {}",
                   "doc: holds: expected an array, got an object");
}

/* The serialiser applies the same rules and sorts what is unsorted. */
static void test_serialise_rules(void)
{
    g_autoptr(ds_manifest) m =
        parse_ok(selection_doc, sizeof selection_doc - 1);
    g_autoptr(GBytes) out = NULL;
    g_autoptr(GError) err = NULL;

    g_ptr_array_add(m->holds, g_strdup("libc6"));
    g_ptr_array_add(m->auto_marks, g_strdup("aaa"));
    g_assert_cmpint(ds_manifest_serialise(&out, m, &err), ==, 0);
    g_assert_nonnull(strstr(g_bytes_get_data(out, NULL),
                            "\"auto\": [\n    \"aaa\",\n    \"libc6\""));
    g_clear_pointer(&out, g_bytes_unref);
    g_ptr_array_add(m->holds, g_strdup("libssl3"));
    g_assert_cmpint(ds_manifest_serialise(&out, m, &err), ==, DS_EINVALID);
    g_assert_cmpstr(err->message, ==,
                    "web01: pending.libssl3: is on hold (a held package is "
                    "held back, not pending)");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/manifest-selection/round-trip", test_round_trip);
    g_test_add_func("/manifest-selection/old-documents", test_old_documents);
    g_test_add_func("/manifest-selection/empty-is-not-absent",
                    test_empty_is_not_absent);
    g_test_add_func("/manifest-selection/refusals", test_refusals);
    g_test_add_func("/manifest-selection/serialise-rules",
                    test_serialise_rules);
    return g_test_run();
}
