/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-version.c: Debian version ordering and syntax, checked
 * against pairs recorded from dpkg and against dpkg itself, live. */
#include <config.h>

#include <string.h>
#include <sys/wait.h>

#include <glib.h>

#include "manifests/version.h"
#include "tests/unit/testutil.h"

typedef struct {
    char *a, *b;
    int rel; /* -1, 0, 1 */
} pair;

static GArray *pairs;       /* pair */
static GPtrArray *versions; /* char *, every version of the pairs, unique */
static char *dpkg;          /* dpkg program, or NULL */

static int sign(int v)
{
    return v < 0 ? -1 : v > 0;
}

static void load_pairs(void)
{
    g_autofree char *file = NULL, *text = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    g_auto(GStrv) lines = NULL;

    file =
        ds_test_data("version-pairs.txt", NULL);
    g_file_get_contents(file, &text, NULL, &err);
    g_assert_no_error(err);
    pairs = g_array_new(FALSE, FALSE, sizeof(pair));
    versions = g_ptr_array_new();
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        g_auto(GStrv) f = NULL;
        pair p;

        if (!**l)
            continue;
        f = g_strsplit(*l, " ", -1);
        g_assert_cmpuint(g_strv_length(f), ==, 3);
        p.a = g_strdup(f[0]);
        p.b = g_strdup(f[1]);
        if (g_str_equal(f[2], "lt"))
            p.rel = -1;
        else if (g_str_equal(f[2], "eq"))
            p.rel = 0;
        else if (g_str_equal(f[2], "gt"))
            p.rel = 1;
        else
            g_error("bad relation in %s: %s", file, *l);
        g_array_append_val(pairs, p);
        for (int i = 0; i < 2; i++) {
            char *v = i ? p.b : p.a;
            if (!g_hash_table_contains(seen, v)) {
                g_hash_table_add(seen, v);
                g_ptr_array_add(versions, v);
            }
        }
    }
}

/* What dpkg --compare-versions says: -1/0/1, or 2 when it refuses the
 * syntax; *warned is set when it printed a warning. */
static int dpkg_compare(const char *a, const char *b, bool *warned)
{
    static const char *const rels[] = {"lt", "eq"};
    bool warn = false;

    for (int i = 0; i < 2; i++) {
        const char *argv[] = {dpkg, "--compare-versions", a, rels[i], b, NULL};
        g_autofree char *errout = NULL;
        g_autoptr(GError) err = NULL;
        int status;

        g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
                                   G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                                   &errout, &status, &err));
        g_assert_no_error(err);
        if (errout && strstr(errout, "warning"))
            warn = true;
        if (!g_spawn_check_wait_status(status, NULL)) {
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 1) {
                if (warned)
                    *warned = warn;
                return 2;
            }
            continue;
        }
        if (warned)
            *warned = warn;
        return i == 0 ? -1 : 0;
    }
    if (warned)
        *warned = warn;
    return 1;
}

static void test_recorded_pairs(void)
{
    g_assert_cmpuint(pairs->len, >=, 300);
    for (guint i = 0; i < pairs->len; i++) {
        pair *p = &g_array_index(pairs, pair, i);
        int got = sign(ds_version_compare(p->a, p->b));
        int back = sign(ds_version_compare(p->b, p->a));

        if (got != p->rel || back != -p->rel)
            g_test_message("%s vs %s: want %d, got %d / %d", p->a, p->b, p->rel,
                           got, back);
        g_assert_cmpint(got, ==, p->rel);
        g_assert_cmpint(back, ==, -p->rel);
        /* dpkg accepted every recorded version that starts with a digit
         * without a warning (the others are there for ordering only). */
        if (g_ascii_isdigit(p->a[0]))
            g_assert_true(ds_version_is_valid(p->a));
        if (g_ascii_isdigit(p->b[0]))
            g_assert_true(ds_version_is_valid(p->b));
    }
}

static void test_corners(void)
{
    g_assert_cmpint(ds_version_compare("1.0~rc1", "1.0"), <, 0);
    g_assert_cmpint(ds_version_compare("1:0.1", "2.0"), >, 0);
    g_assert_cmpint(ds_version_compare("1.0-1", "1.0-1+deb12u1"), <, 0);
    g_assert_cmpint(ds_version_compare("1.0a", "1.0"), >, 0);
    g_assert_cmpint(ds_version_compare("2.30-1", "2.4-1"), >, 0);
    g_assert_cmpint(ds_version_compare("0~", "0"), <, 0);
    g_assert_cmpint(ds_version_compare("0:1.0", "1.0"), ==, 0);
    g_assert_cmpint(ds_version_compare("00001:1.0", "1:1.0"), ==, 0);
    /* Far beyond 64 bits, in the version and in the epoch. */
    g_assert_cmpint(ds_version_compare("1.184467440737095516160000",
                                       "1.184467440737095516150000"),
                    >, 0);
    g_assert_cmpint(ds_version_compare("99999999999999999999999:1",
                                       "99999999999999999999998:2"),
                    >, 0);
    g_assert_cmpint(ds_version_compare("1.0", "1.0"), ==, 0);
    /* Lenient: blanks trimmed, NULL and "" are the blank version. */
    g_assert_cmpint(ds_version_compare(" 1.0 ", "1.0"), ==, 0);
    g_assert_cmpint(ds_version_compare(NULL, ""), ==, 0);
    g_assert_cmpint(ds_version_compare(NULL, "0"), ==, 0);
    g_assert_cmpint(ds_version_compare(NULL, "1"), <, 0);
    g_assert_cmpint(ds_version_compare("~", NULL), <, 0);
}

static const char *const valid[] = {"1",
                                    "1.0",
                                    "1:1.0",
                                    "0:0",
                                    "1.0-1",
                                    "1.0-1+deb12u1",
                                    "1:9.2p1-2",
                                    "1.0~rc1-0~exp1",
                                    "2.36-9+deb12u10",
                                    "1.0-1-1",
                                    "1:2:3",
                                    "1:2-3:4-5",
                                    "3.0.13-1~deb12u1",
                                    "2147483647:1",
                                    "0.0.8-rc5+git20190411+0ff1383-5",
                                    "20230311.1",
                                    "1.0+dfsg1",
                                    "1.0A",
                                    NULL};
static const char *const invalid[] = {
    "",        "a",     "~1",           "1.0-", "1:",
    ":1",      "a:1",   "1.0 1",        "1_0",  "1.0-1_2",
    "1.0-1:2", "1.0/1", "2147483648:1", "1:a",  "1.0-1@2",
    "-1",      " 1.0",  "1.0\t",        "1,0",  NULL};

static void test_valid(void)
{
    for (int i = 0; valid[i]; i++) {
        if (!ds_version_is_valid(valid[i]))
            g_test_message("wrongly invalid: '%s'", valid[i]);
        g_assert_true(ds_version_is_valid(valid[i]));
    }
    for (int i = 0; invalid[i]; i++) {
        if (ds_version_is_valid(invalid[i]))
            g_test_message("wrongly valid: '%s'", invalid[i]);
        g_assert_false(ds_version_is_valid(invalid[i]));
    }
    g_assert_false(ds_version_is_valid(NULL));
}

/* dpkg agrees on which strings are valid (accepted without warning). */
static void test_valid_live(void)
{
    if (!dpkg) {
        g_test_skip("dpkg not found");
        return;
    }
    for (int i = 0; valid[i]; i++) {
        bool warned;
        g_assert_cmpint(dpkg_compare(valid[i], "1", &warned), !=, 2);
        g_assert_false(warned);
    }
    for (int i = 0; invalid[i]; i++) {
        const char *s = invalid[i];
        size_t len = strlen(s);
        bool warned = false;

        /* dpkg reads "" as the blank version and trims blanks around a
         * version; ds_version_is_valid refuses both (never in a
         * manifest). */
        if (!len || g_ascii_isspace(s[0]) || g_ascii_isspace(s[len - 1]))
            continue;
        g_assert_true(dpkg_compare(s, "1", &warned) == 2 || warned);
    }
}

/* A sample of the recorded pairs, asked of dpkg again now. */
static void test_recorded_live(void)
{
    if (!dpkg) {
        g_test_skip("dpkg not found");
        return;
    }
    for (guint i = 0; i < pairs->len; i += 25) {
        pair *p = &g_array_index(pairs, pair, i);
        g_assert_cmpint(dpkg_compare(p->a, p->b, NULL), ==, p->rel);
        g_assert_cmpint(sign(ds_version_compare(p->a, p->b)), ==, p->rel);
    }
}

/* A random version: mostly plausible pieces, sometimes hostile ones. */
static char *random_version(GRand *r)
{
    static const char *const pieces[] = {
        "0",    "1",      "2",   "9",
        "10",   "00",     "007", "123456789012345678901234",
        ".",    ".",      "+",   "~",
        "~",    "a",      "b",   "rc",
        "dfsg", "deb12u", "Z",   "p"};
    GString *s = g_string_new(NULL);
    int n = g_rand_int_range(r, 1, 7);

    if (g_rand_int_range(r, 0, 5) == 0)
        g_string_append_printf(s, "%d:", g_rand_int_range(r, 0, 3));
    g_string_append_printf(s, "%d", g_rand_int_range(r, 0, 12));
    for (int i = 0; i < n; i++)
        g_string_append(s,
                        pieces[g_rand_int_range(r, 0, G_N_ELEMENTS(pieces))]);
    if (g_rand_int_range(r, 0, 2) == 0) {
        g_string_append_c(s, '-');
        n = g_rand_int_range(r, 1, 4);
        for (int i = 0; i < n; i++)
            g_string_append(
                s, pieces[g_rand_int_range(r, 0, G_N_ELEMENTS(pieces))]);
    }
    if (g_rand_int_range(r, 0, 10) == 0) /* an invalid character */
        g_string_insert_c(s, g_rand_int_range(r, 1, (int)s->len + 1),
                          "_/@=-:,"[g_rand_int_range(r, 0, 7)]);
    return g_string_free(s, FALSE);
}

/* Random versions (same seed each run) compared and validated by dpkg. */
static void test_random_live(void)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(20261127);
    int compared = 0;

    if (!dpkg) {
        g_test_skip("dpkg not found");
        return;
    }
    for (int i = 0; i < 50; i++) {
        g_autofree char *a = random_version(r);
        g_autofree char *b = random_version(r);
        bool warned = false;
        int want = dpkg_compare(a, b, &warned);

        if (want == 2 || warned) {
            g_assert_true(!ds_version_is_valid(a) || !ds_version_is_valid(b));
            continue;
        }
        if (!ds_version_is_valid(a) || !ds_version_is_valid(b))
            g_test_message("dpkg accepts '%s' and '%s'", a, b);
        g_assert_true(ds_version_is_valid(a) && ds_version_is_valid(b));
        if (sign(ds_version_compare(a, b)) != want)
            g_test_message("%s vs %s: dpkg says %d", a, b, want);
        g_assert_cmpint(sign(ds_version_compare(a, b)), ==, want);
        compared++;
    }
    g_assert_cmpint(compared, >=, 25);
}

static int cmp_ptr(gconstpointer a, gconstpointer b)
{
    return ds_version_compare(*(char *const *)a, *(char *const *)b);
}

/* Sorting all versions gives a total order: reflexive, antisymmetric and
 * transitive; dpkg agrees with a sample of neighbours in it. */
static void test_total_order(void)
{
    g_autoptr(GPtrArray) v = g_ptr_array_copy(versions, NULL, NULL);
    g_autoptr(GRand) r = g_rand_new_with_seed(7);
    guint n = v->len;

    g_assert_cmpuint(n, >=, 300);
    g_ptr_array_sort(v, cmp_ptr);
    for (guint i = 0; i < n; i++) {
        const char *x = v->pdata[i];
        g_assert_cmpint(ds_version_compare(x, x), ==, 0);
        for (guint j = i + 1; j < n; j++) {
            const char *y = v->pdata[j];
            int xy = sign(ds_version_compare(x, y));
            int yx = sign(ds_version_compare(y, x));
            g_assert_cmpint(xy, <=, 0);
            g_assert_cmpint(xy, ==, -yx);
        }
    }
    for (int k = 0; k < 20000; k++) {
        const char *x = v->pdata[g_rand_int_range(r, 0, (int)n)];
        const char *y = v->pdata[g_rand_int_range(r, 0, (int)n)];
        const char *z = v->pdata[g_rand_int_range(r, 0, (int)n)];
        if (ds_version_compare(x, y) <= 0 && ds_version_compare(y, z) <= 0)
            g_assert_cmpint(ds_version_compare(x, z), <=, 0);
    }
    if (dpkg)
        for (guint i = 0; i + 1 < n; i += 60)
            g_assert_cmpint(dpkg_compare(v->pdata[i], v->pdata[i + 1], NULL),
                            <=, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    dpkg = g_find_program_in_path("dpkg");
    load_pairs();
    g_test_add_func("/version/recorded-pairs", test_recorded_pairs);
    g_test_add_func("/version/corners", test_corners);
    g_test_add_func("/version/valid", test_valid);
    g_test_add_func("/version/valid-live", test_valid_live);
    g_test_add_func("/version/recorded-live", test_recorded_live);
    g_test_add_func("/version/random-live", test_random_live);
    g_test_add_func("/version/total-order", test_total_order);
    return g_test_run();
}
