/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-textdiff.c: the line diff behind `diff -p` (insertions,
 * deletions, a missing final newline, CRLF, empty texts, hunks merged or
 * split by their context, a minimal diff on random texts and one that
 * applies back, huge texts in bounded time, binary detection, the JSON
 * of the hunks) and the
 * content diffs of a real store (text, binary, too large, not stored,
 * secret files that never show content). */
#include <config.h>

#include <string.h>

#include <jansson.h>

#include "manifests/content-diff.h"
#include "manifests/store.h"
#include "manifests/util/textdiff.h"
#include "testutil.h"

static GBytes *b(const char *s)
{
    return s ? g_bytes_new(s, strlen(s)) : NULL;
}

static ds_textdiff *tdiff(const char *a, const char *c, guint context)
{
    g_autoptr(GBytes) ba = b(a);
    g_autoptr(GBytes) bc = b(c);

    return ds_textdiff_new(ba, bc, context);
}

/* The whole diff as unified text (hunk headers and lines). */
static char *render(const ds_textdiff *d)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < d->hunks->len; i++) {
        const ds_textdiff_hunk *h = g_ptr_array_index(d->hunks, i);
        g_autofree char *hdr = ds_textdiff_hunk_header(h);

        g_string_append_printf(s, "%s\n", hdr);
        for (guint k = 0; k < h->lines->len; k++) {
            const ds_textdiff_line *l =
                &g_array_index(h->lines, ds_textdiff_line, k);

            g_string_append_c(s, l->op);
            g_string_append_len(s, l->text, (gssize)l->len);
            g_string_append_c(s, '\n');
            if (l->no_newline)
                g_string_append(s, "\\ No newline at end of file\n");
        }
    }
    return g_string_free(s, FALSE);
}

static void assert_diff(const char *a, const char *c, guint context,
                        const char *want)
{
    g_autoptr(ds_textdiff) d = tdiff(a, c, context);
    g_autofree char *got = render(d);

    g_assert_cmpstr(got, ==, want);
}

static void test_equal(void)
{
    g_autoptr(ds_textdiff) d = tdiff("a\nb\n", "a\nb\n", 3);

    g_assert_cmpuint(d->hunks->len, ==, 0);
    g_assert_cmpuint(d->added + d->removed, ==, 0);
    assert_diff(NULL, NULL, 3, "");
    assert_diff("", "", 3, "");
}

static void test_insert(void)
{
    assert_diff("1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nnew\n5\n6\n7\n8\n", 3,
                "@@ -2,6 +2,7 @@\n 2\n 3\n 4\n+new\n 5\n 6\n 7\n");
    /* at the top: the range before it is empty */
    assert_diff("a\nb\n", "top\na\nb\n", 3, "@@ -1,2 +1,3 @@\n+top\n a\n b\n");
    assert_diff("a\nb\n", "top\na\nb\n", 0, "@@ -0,0 +1 @@\n+top\n");
    /* at the end */
    assert_diff("a\nb\n", "a\nb\nend\n", 0, "@@ -2,0 +3 @@\n+end\n");
}

static void test_delete(void)
{
    g_autoptr(ds_textdiff) d = tdiff("1\n2\n3\n4\n5\n", "1\n2\n4\n5\n", 1);

    g_assert_cmpuint(d->removed, ==, 1);
    g_assert_cmpuint(d->added, ==, 0);
    assert_diff("1\n2\n3\n4\n5\n", "1\n2\n4\n5\n", 1,
                "@@ -2,3 +2,2 @@\n 2\n-3\n 4\n");
    assert_diff("1\n2\n3\n4\n5\n", "1\n2\n4\n5\n", 0, "@@ -3 +2,0 @@\n-3\n");
}

static void test_change(void)
{
    assert_diff("listen = 80\nworkers = 4\ntimeout = 30\n",
                "listen = 80\nworkers = 4\ntimeout = 60\n", 3,
                "@@ -1,3 +1,3 @@\n listen = 80\n workers = 4\n-timeout = 30\n"
                "+timeout = 60\n");
}

static void test_no_newline(void)
{
    /* the last line loses its newline: it is a change, marked */
    assert_diff("a\nb\n", "a\nb", 3,
                "@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n");
    /* and gets one back */
    assert_diff("a\nb", "a\nb\n", 3,
                "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
    /* a line added after a last line without newline */
    assert_diff("a", "a\nb", 3,
                "@@ -1 +1,2 @@\n-a\n\\ No newline at end of file\n+a\n+b\n"
                "\\ No newline at end of file\n");
}

static void test_crlf(void)
{
    g_autoptr(ds_textdiff) d = NULL;

    /* CRLF files: the '\r' belongs to the line, one changed line is one */
    assert_diff("a\r\nb\r\nc\r\n", "a\r\nB\r\nc\r\n", 0,
                "@@ -2 +2 @@\n-b\r\n+B\r\n");
    /* LF to CRLF changes every line */
    d = tdiff("a\nb\n", "a\r\nb\r\n", 3);
    g_assert_cmpuint(d->removed, ==, 2);
    g_assert_cmpuint(d->added, ==, 2);
}

static void test_empty(void)
{
    assert_diff("", "x\ny\n", 3, "@@ -0,0 +1,2 @@\n+x\n+y\n");
    assert_diff(NULL, "x\n", 3, "@@ -0,0 +1 @@\n+x\n");
    assert_diff("x\ny\n", NULL, 3, "@@ -1,2 +0,0 @@\n-x\n-y\n");
    assert_diff("x\n", "", 3, "@@ -1 +0,0 @@\n-x\n");
}

static void test_context(void)
{
    GString *a = g_string_new(NULL), *c = g_string_new(NULL);
    g_autoptr(ds_textdiff) far = NULL;
    g_autoptr(ds_textdiff) near = NULL;

    for (int i = 1; i <= 30; i++) {
        g_string_append_printf(a, "%d\n", i);
        g_string_append_printf(c, "%d%s\n", i, i == 5 || i == 20 ? "x" : "");
    }
    far = tdiff(a->str, c->str, 3);
    g_assert_cmpuint(far->hunks->len, ==, 2); /* 14 equal lines apart */
    near = tdiff(a->str, c->str, 7);
    g_assert_cmpuint(near->hunks->len, ==, 1); /* 14 <= 2 * 7: merged */
    {
        g_autoptr(ds_textdiff) u0 = tdiff(a->str, c->str, 0);
        g_autofree char *got = render(u0);

        g_assert_cmpstr(got, ==,
                        "@@ -5 +5 @@\n-5\n+5x\n@@ -20 +20 @@\n-20\n+20x\n");
    }
    g_string_free(a, TRUE);
    g_string_free(c, TRUE);
}

/* Rebuild the new text from the old one and the hunks (context 0..n). */
static char *apply(const char *old, const ds_textdiff *d)
{
    g_auto(GStrv) lines = g_strsplit(old, "\n", -1);
    guint nold = *old ? g_strv_length(lines) - 1 : 0; /* end in "\n" */
    GString *out = g_string_new(NULL);
    guint at = 1;

    for (guint i = 0; i < d->hunks->len; i++) {
        const ds_textdiff_hunk *h = g_ptr_array_index(d->hunks, i);
        guint start = h->old_lines ? h->old_start : h->old_start + 1;

        for (; at < start; at++)
            g_string_append_printf(out, "%s\n", lines[at - 1]);
        for (guint k = 0; k < h->lines->len; k++) {
            const ds_textdiff_line *l =
                &g_array_index(h->lines, ds_textdiff_line, k);

            if (l->op != '+') {
                g_assert_cmpuint(at, <=, nold);
                g_assert_cmpint(strncmp(lines[at - 1], l->text, l->len), ==, 0);
                at++;
            }
            if (l->op != '-') {
                g_string_append_len(out, l->text, (gssize)l->len);
                g_string_append_c(out, '\n');
            }
        }
    }
    for (; at <= nold; at++)
        g_string_append_printf(out, "%s\n", lines[at - 1]);
    return g_string_free(out, FALSE);
}

/* Lines removed + added by a longest common subsequence: the minimum. */
static guint min_edits(char **a, guint na, char **c, guint nc)
{
    g_autofree guint *t = g_new0(guint, (na + 1) * (nc + 1));

    for (guint i = 1; i <= na; i++)
        for (guint j = 1; j <= nc; j++)
            t[i * (nc + 1) + j] =
                !strcmp(a[i - 1], c[j - 1])
                    ? t[(i - 1) * (nc + 1) + j - 1] + 1
                    : MAX(t[(i - 1) * (nc + 1) + j], t[i * (nc + 1) + j - 1]);
    return na + nc - 2 * t[na * (nc + 1) + nc];
}

static char *random_text(GRand *r, guint n, GPtrArray *lines)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < n; i++) {
        char *l = g_strdup_printf("l%d", g_rand_int_range(r, 0, 6));

        g_string_append_printf(s, "%s\n", l);
        g_ptr_array_add(lines, l);
    }
    return g_string_free(s, FALSE);
}

static void test_random(void)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(42);

    for (int round = 0; round < 500; round++) {
        g_autoptr(GPtrArray) la = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) lc = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *a =
            random_text(r, (guint)g_rand_int_range(r, 0, 40), la);
        g_autofree char *c =
            random_text(r, (guint)g_rand_int_range(r, 0, 40), lc);
        guint context = (guint)g_rand_int_range(r, 0, 4);
        g_autoptr(ds_textdiff) d = tdiff(a, c, context);
        g_autofree char *back = apply(a, d);

        g_assert_cmpstr(back, ==, c);
        g_assert_cmpuint(d->added + d->removed, ==,
                         min_edits((char **)la->pdata, la->len,
                                   (char **)lc->pdata, lc->len));
    }
}

static void test_huge(void)
{
    GString *a = g_string_new(NULL), *c = g_string_new(NULL);
    g_autoptr(ds_textdiff) d = NULL;
    g_autoptr(ds_textdiff) d2 = NULL;
    g_autofree char *back = NULL;

    /* 100,000 lines with nothing in common: the cost cut-off keeps this
     * far from the 10^10 steps of a plain O(ND) search (which the test
     * harness's time limit would stop; speed itself is bench/'s business) */
    for (int i = 0; i < 100000; i++) {
        g_string_append_printf(a, "old line %d\n", i);
        g_string_append_printf(c, "new line %d\n", i);
    }
    d = tdiff(a->str, c->str, 3);
    g_assert_cmpuint(d->removed, ==, 100000);
    g_assert_cmpuint(d->added, ==, 100000);
    g_assert_cmpuint(d->hunks->len, ==, 1);
    /* interleaved: every other line changed */
    g_string_truncate(c, 0);
    for (int i = 0; i < 100000; i++)
        g_string_append_printf(c, i % 2 ? "old line %d\n" : "x%d\n", i);
    d2 = tdiff(a->str, c->str, 3);
    back = apply(a->str, d2);
    g_assert_cmpstr(back, ==, c->str);
    g_string_free(a, TRUE);
    g_string_free(c, TRUE);
}

static void test_binary(void)
{
    g_autoptr(GBytes) text = b("plain\ttext\n");
    g_autoptr(GBytes) bin = g_bytes_new("ELF\0\1\2", 6);
    g_autofree char *late = g_malloc0(DS_TEXTDIFF_BINARY_PROBE + 10);
    g_autoptr(GBytes) late_nul = NULL;

    memset(late, 'a', DS_TEXTDIFF_BINARY_PROBE + 5);
    late_nul = g_bytes_new(late, DS_TEXTDIFF_BINARY_PROBE + 10);
    g_assert_false(ds_textdiff_is_binary(text));
    g_assert_true(ds_textdiff_is_binary(bin));
    g_assert_false(ds_textdiff_is_binary(NULL));
    /* like git: only the first bytes are looked at */
    g_assert_false(ds_textdiff_is_binary(late_nul));
}

/* --json: lines keep their op, bytes that are not UTF-8 are replaced, the
 * missing newline is a line of its own */
static void test_json(void)
{
    ds_content_diff d = {
        .kind = DS_CONTENT_DIFF_TEXT, .old_size = 4, .new_size = 5};
    json_t *j, *lines;

    d.text = tdiff("a\n\xff\n", "a\nb\r\nc", 3);
    j = ds_content_diff_to_json(&d);
    g_assert_cmpstr(json_string_value(json_object_get(j, "kind")), ==, "text");
    g_assert_cmpint(json_integer_value(json_object_get(j, "added")), ==, 2);
    lines = json_object_get(json_array_get(json_object_get(j, "hunks"), 0),
                            "lines");
    g_assert_cmpuint(json_array_size(lines), ==, 5);
    g_assert_cmpstr(json_string_value(json_array_get(lines, 0)), ==, " a");
    g_assert_cmpstr(json_string_value(json_array_get(lines, 1)), ==,
                    "-\xef\xbf\xbd");
    g_assert_cmpstr(json_string_value(json_array_get(lines, 2)), ==, "+b\r");
    g_assert_cmpstr(json_string_value(json_array_get(lines, 3)), ==, "+c");
    g_assert_cmpstr(json_string_value(json_array_get(lines, 4)), ==,
                    "\\ No newline at end of file");
    json_decref(j);
    ds_textdiff_free(d.text);
}

/* ---- content diffs in a real store ---- */

static ds_manifest *host(const char *name, ds_role role)
{
    ds_manifest *m = ds_manifest_new(name, role);

    m->collected_at = g_strdup("2026-11-27T12:00:00Z");
    m->os.id = g_strdup("debian");
    m->os.version = g_strdup("12");
    m->kernel.running = g_strdup("6.1.0-26-amd64");
    m->collector.version = g_strdup("0.1.0");
    m->collector.transport = g_strdup("import");
    return m;
}

static void put_file(ds_manifest *m, const char *path, const void *data,
                     gsize len, bool secret)
{
    ds_file *f = ds_file_new(path);
    g_autoptr(GError) err = NULL;

    f->mode = 0644;
    f->owner = g_strdup("root");
    f->group = g_strdup("root");
    if (secret) {
        f->secret = true;
        f->hmac = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
    } else {
        f->content = g_bytes_new(data, len);
        f->sha256 = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, f->content);
    }
    g_ptr_array_add(m->files, f);
    g_assert_cmpint(ds_manifest_normalise(m, &err), ==, 0);
}

static char *commit(ds_store *st, ds_manifest *m)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store_txn) txn = NULL;
    char *oid = NULL;

    g_assert_cmpint(ds_store_txn_begin(&txn, st, &err), ==, 0);
    g_assert_cmpint(ds_store_txn_put(txn, m, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(ds_store_txn_commit(&oid, txn, "record", "run", NULL, &err),
                    ==, 0);
    g_assert_no_error(err);
    return oid;
}

static void fill(ds_manifest *m, const char *conf, const char *big_line,
                 const char *bin, const char *secret, bool extra)
{
    GString *big = g_string_new(NULL);

    while (big->len <= DS_CONTENT_DIFF_MAX_BYTES)
        g_string_append_printf(big, "%s\n", big_line);
    put_file(m, "/etc/app/app.conf", conf, strlen(conf), false);
    put_file(m, "/etc/app/big.txt", big->str, big->len, false);
    put_file(m, "/etc/app/logo.bin", bin, 8, false);
    put_file(m, "/etc/shadow", secret, strlen(secret), true);
    if (extra)
        put_file(m, "/etc/app/new.conf", "fresh = 1\n", 10, false);
    g_string_free(big, TRUE);
}

static void test_store(void)
{
    g_autofree char *dir = ds_test_tmpdir("ds-textdiff-XXXXXX");
    g_autofree char *path = g_build_filename(dir, "store", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(ds_manifest) m1 = host("web01", DS_ROLE_PROD);
    g_autoptr(ds_manifest) m2 = host("web01", DS_ROLE_PROD);
    g_autoptr(ds_manifest) r1 = NULL;
    g_autoptr(ds_manifest) r2 = NULL;
    g_autoptr(GPtrArray) changes = NULL;
    g_autoptr(GHashTable) diffs = NULL;
    g_autofree char *o1 = NULL;
    g_autofree char *o2 = NULL;
    g_autofree char *dump = NULL;
    json_t *j;
    int seen = 0;

    g_assert_cmpint(ds_store_init(path, &err), ==, 0);
    g_assert_cmpint(ds_store_open(&st, path, &err), ==, 0);
    g_assert_cmpint(ds_store_lock(st, 0, &err), ==, 0);
    fill(m1, "a = 1\nb = 2\n", "old", "\x89PNG\0\0\1\2", "root:SECRETOLD:1",
         false);
    o1 = commit(st, m1);
    fill(m2, "a = 1\nb = 3\n", "new", "\x89PNG\0\0\1\3", "root:SECRETNEW:1",
         true);
    o2 = commit(st, m2);
    g_assert_cmpint(ds_store_read(&r1, st, o1, DS_ROLE_PROD, "web01", &err), ==,
                    0);
    g_assert_cmpint(ds_store_read(&r2, st, o2, DS_ROLE_PROD, "web01", &err), ==,
                    0);
    g_assert_cmpint(ds_manifest_diff(&changes, r1, r2, NULL, &err), ==, 0);
    g_assert_cmpint(ds_content_diff_changes(
                        &diffs, st, &(ds_content_side){o1, r1},
                        &(ds_content_side){o2, r2}, changes, NULL, &err),
                    ==, 0);
    g_assert_no_error(err);
    for (guint i = 0; i < changes->len; i++) {
        const ds_change *c = g_ptr_array_index(changes, i);
        const ds_content_diff *d = g_hash_table_lookup(diffs, c);

        if (!g_strcmp0(c->name, "/etc/app/app.conf")) {
            g_autofree char *got = render(d->text);

            g_assert_cmpint(d->kind, ==, DS_CONTENT_DIFF_TEXT);
            g_assert_cmpstr(got, ==,
                            "@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n+b = 3\n");
            seen |= 1;
        } else if (!g_strcmp0(c->name, "/etc/app/big.txt")) {
            g_assert_cmpint(d->kind, ==, DS_CONTENT_DIFF_TOO_LARGE);
            g_assert_null(d->text);
            g_assert_cmpint(d->new_size, >, DS_CONTENT_DIFF_MAX_BYTES);
            seen |= 2;
        } else if (!g_strcmp0(c->name, "/etc/app/logo.bin")) {
            g_assert_cmpint(d->kind, ==, DS_CONTENT_DIFF_BINARY);
            g_assert_cmpint(d->old_size, ==, 8);
            seen |= 4;
        } else if (!g_strcmp0(c->name, "/etc/shadow")) {
            g_assert_cmpint(d->kind, ==, DS_CONTENT_DIFF_SECRET);
            g_assert_null(d->text);
            j = ds_content_diff_to_json(d);
            dump = json_dumps(j, 0);
            json_decref(j);
            g_assert_null(strstr(dump, "SECRET"));
            g_assert_null(strstr(dump, "hunks"));
            seen |= 8;
        } else if (!g_strcmp0(c->name, "/etc/app/new.conf")) {
            g_autofree char *got = render(d->text);

            g_assert_true(d->old_absent);
            g_assert_cmpstr(got, ==, "@@ -0,0 +1 @@\n+fresh = 1\n");
            seen |= 16;
        }
    }
    g_assert_cmpint(seen, ==, 31);

    /* the same file, and one whose content the store does not have */
    {
        g_autoptr(ds_content_diff) same = NULL;
        g_autoptr(ds_content_diff) missing = NULL;
        g_autoptr(ds_manifest) r3 = host("web01", DS_ROLE_PROD);
        ds_file *f;

        g_assert_cmpint(ds_content_diff_file(&same, st,
                                             &(ds_content_side){o1, r1},
                                             &(ds_content_side){o1, r1},
                                             "/etc/app/app.conf", NULL, &err),
                        ==, 0);
        g_assert_null(same);
        put_file(r3, "/etc/app/other.conf", "x\n", 2, false);
        f = g_ptr_array_index(r3->files, 0);
        g_clear_pointer(&f->content, g_bytes_unref);
        g_assert_cmpint(ds_content_diff_file(&missing, st,
                                             &(ds_content_side){o1, r1},
                                             &(ds_content_side){o1, r3},
                                             "/etc/app/other.conf", NULL, &err),
                        ==, 0);
        g_assert_nonnull(missing);
        g_assert_cmpint(missing->kind, ==, DS_CONTENT_DIFF_NOT_STORED);
    }
    ds_test_rm_rf(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/textdiff/equal", test_equal);
    g_test_add_func("/textdiff/insert", test_insert);
    g_test_add_func("/textdiff/delete", test_delete);
    g_test_add_func("/textdiff/change", test_change);
    g_test_add_func("/textdiff/no-newline", test_no_newline);
    g_test_add_func("/textdiff/crlf", test_crlf);
    g_test_add_func("/textdiff/empty", test_empty);
    g_test_add_func("/textdiff/context", test_context);
    g_test_add_func("/textdiff/random", test_random);
    g_test_add_func("/textdiff/huge", test_huge);
    g_test_add_func("/textdiff/binary", test_binary);
    g_test_add_func("/textdiff/json", test_json);
    g_test_add_func("/content-diff/store", test_store);
    return g_test_run();
}
