/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-patch-history.c: the patch timeline read from a real
 * store whose hosts change on different nights: the timeline of all hosts
 * (one walk over the history for all of them) is, host by host, the one
 * read for each host alone, and both give the dates the nights say; the
 * labs' last records found in one walk are each host's own. */
#include <config.h>

#include <string.h>

#include "manifests/patch-history.h"
#include "manifests/store-bundle.h"
#include "manifests/util/error.h"
#include "tests/unit/testutil.h"

/* One manifest written on a night: packages "NAME=VERSION ...", pending
 * the same with a trailing "!" for a security update ("" none, NULL not
 * collected). */
typedef struct {
    const char *host;
    ds_role role;
    const char *packages;
    const char *pending;
} put;

#define P DS_ROLE_PROD
#define L DS_ROLE_LAB
#define NIGHT_PUTS 4

static const put nights[][NIGHT_PUTS] = {
    /* 1: everyone is recorded; web01 and db01 have openssl pending */
    {{"web01", P, "openssl=1.0-1 curl=7.0-1", "openssl=1.1-1!"},
     {"web02", P, "openssl=1.0-1 curl=7.0-1", ""},
     {"db01", P, "openssl=1.0-1", "openssl=1.1-1!"},
     {"web01", L, "openssl=1.0-1 curl=7.0-1", NULL}},
    /* 2: web02 gets curl pending, db01 a newer openssl candidate */
    {{"web02", P, "openssl=1.0-1 curl=7.0-1", "curl=7.1-1"},
     {"db01", P, "openssl=1.0-1", "openssl=1.2-1"}},
    /* 3: web01 installs openssl; web02's lab is recorded */
    {{"web01", P, "openssl=1.1-1 curl=7.0-1", ""},
     {"web02", L, "openssl=1.0-1 curl=7.0-1", NULL}},
    /* 4: web01's lab gets openssl; web02's curl goes away uninstalled;
     * db01's pending updates were not collected */
    {{"web01", L, "openssl=1.1-1 curl=7.0-1", NULL},
     {"web02", P, "openssl=1.0-1 curl=7.0-1", ""},
     {"db01", P, "openssl=1.0-1", NULL}},
    /* 5: web01 has curl pending; db01 installs openssl 1.2 */
    {{"web01", P, "openssl=1.1-1 curl=7.0-1", "curl=7.2-1!"},
     {"db01", P, "openssl=1.2-1", ""}},
    /* 6: only labs move: web02's gets curl (it never got it on prod) */
    {{"web02", L, "openssl=1.0-1 curl=7.1-1", NULL}},
};

static gint64 night_time(guint n)
{
    g_autoptr(GDateTime) t = g_date_time_new_utc(2026, 11, n, 2, 0, 0);

    return g_date_time_to_unix(t);
}

static ds_manifest *make(const put *p, guint night)
{
    ds_manifest *m = ds_manifest_new(p->host, p->role);
    g_auto(GStrv) pkgs = g_strsplit(p->packages, " ", -1);
    g_autoptr(GError) err = NULL;

    m->collected_at = g_strdup_printf("2026-11-%02uT02:00:00Z", night);
    m->os.id = g_strdup("debian");
    m->os.version = g_strdup("12");
    m->kernel.running = g_strdup("6.1.0-26-amd64");
    g_ptr_array_add(m->kernel.installed, g_strdup("6.1.0-26-amd64"));
    for (char **s = pkgs; *s; s++) {
        g_auto(GStrv) nv = g_strsplit(*s, "=", 2);

        g_ptr_array_add(m->packages,
                        ds_package_new(nv[0], nv[1], "amd64", NULL));
    }
    if (p->pending) {
        g_auto(GStrv) pend = g_strsplit(p->pending, " ", -1);

        m->pending =
            g_ptr_array_new_with_free_func((GDestroyNotify)ds_pending_free);
        for (char **s = pend; *s && **s; s++) {
            g_auto(GStrv) nv = g_strsplit(*s, "=", 2);
            bool sec = g_str_has_suffix(nv[1], "!");

            if (sec)
                nv[1][strlen(nv[1]) - 1] = '\0';
            g_ptr_array_add(
                m->pending,
                ds_pending_new(nv[0], nv[1], "Debian",
                               sec ? "bookworm-security" : "bookworm", sec));
        }
    }
    m->collector.version = g_strdup("0.1.0");
    m->collector.transport = g_strdup("import");
    g_assert_cmpint(ds_manifest_normalise(m, &err), ==, 0);
    g_assert_no_error(err);
    return m;
}

/* The store of the nights above, one commit a night, and a bundle that
 * tested web01's openssl. */
static void fill(ds_store *st)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_bundle) b = ds_bundle_new("b1");

    for (guint n = 0; n < G_N_ELEMENTS(nights); n++) {
        g_autoptr(ds_store_txn) txn = NULL;
        g_autofree char *oid = NULL;

        g_assert_cmpint(ds_store_txn_begin(&txn, st, &err), ==, 0);
        for (guint i = 0; i < NIGHT_PUTS && nights[n][i].host; i++) {
            g_autoptr(ds_manifest) m = make(&nights[n][i], n + 1);

            g_assert_cmpint(ds_store_txn_put(txn, m, &err), ==, 0);
            g_assert_no_error(err);
        }
        g_assert_cmpint(
            ds_store_txn_commit(&oid, txn, "record", "run-1", NULL, &err), ==,
            0);
        g_assert_no_error(err);
        g_assert_nonnull(oid);
    }
    b->host = g_strdup("web01");
    b->lab = g_strdup("web01-lab");
    b->run = g_strdup("20261102T101500Z-00000001");
    b->tested_at = g_strdup("2026-11-02T10:15:00Z");
    b->passed = true;
    g_assert_cmpint(ds_bundle_add_package(b, "openssl", "1.1-1", &err), ==, 0);
    ds_bundle_add_check(b, "true", 0, 0.1);
    g_assert_cmpint(ds_store_bundle_save(NULL, st, b, false, &err), ==, 0);
    g_assert_no_error(err);
}

static void assert_same_event(const ds_patch_event *a, const ds_patch_event *b)
{
    g_assert_cmpstr(a->host, ==, b->host);
    g_assert_cmpstr(a->name, ==, b->name);
    g_assert_cmpstr(a->version, ==, b->version);
    g_assert_cmpint(a->security, ==, b->security);
    g_assert_cmpint(a->pending_since, ==, b->pending_since);
    g_assert_cmpint(a->tested, ==, b->tested);
    g_assert_cmpstr(a->bundle, ==, b->bundle);
    g_assert_cmpint(a->installed, ==, b->installed);
    g_assert_cmpint(a->lab, ==, b->lab);
    g_assert_cmpint(a->dropped, ==, b->dropped);
}

static const ds_patch_event *find(const GPtrArray *ev, const char *host,
                                  const char *name, gint64 since)
{
    for (guint i = 0; i < ev->len; i++) {
        const ds_patch_event *e = ev->pdata[i];

        if (!strcmp(e->host, host) && !strcmp(e->name, name) &&
            e->pending_since == since)
            return e;
    }
    g_assert_not_reached();
    return NULL;
}

static void test_all_equals_each(void)
{
    g_autofree char *dir = ds_test_tmpdir("ds-patch-history-XXXXXX");
    g_autofree char *path = g_build_filename(dir, "store", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(GPtrArray) one = NULL;
    const char *const hosts[] = {"db01", "web01", "web02"}; /* as stored */
    const ds_patch_event *e;
    guint k = 0;

    g_assert_cmpint(ds_store_init(path, &err), ==, 0);
    g_assert_cmpint(ds_store_open(&st, path, &err), ==, 0);
    fill(st);

    g_assert_cmpint(ds_patch_history(&all, st, NULL, 0, &err), ==, 0);
    g_assert_no_error(err);
    /* All hosts' events are each host's, host after host, in order. */
    for (guint h = 0; h < G_N_ELEMENTS(hosts); h++) {
        g_assert_cmpint(ds_patch_history(&one, st, hosts[h], 0, &err), ==, 0);
        g_assert_no_error(err);
        g_assert_cmpuint(one->len, >, 0);
        for (guint i = 0; i < one->len; i++, k++) {
            g_assert_cmpuint(k, <, all->len);
            assert_same_event(all->pdata[k], one->pdata[i]);
        }
        g_clear_pointer(&one, g_ptr_array_unref);
    }
    g_assert_cmpuint(k, ==, all->len);
    g_assert_cmpuint(all->len, ==, 4);

    /* And the dates are the nights'. */
    e = find(all, "web01", "openssl", night_time(1));
    g_assert_true(e->security);
    g_assert_cmpstr(e->version, ==, "1.1-1");
    g_assert_cmpint(e->installed, ==, night_time(3));
    g_assert_cmpint(e->lab, ==, night_time(4));
    g_assert_cmpstr(e->bundle, ==, "b1");
    e = find(all, "web01", "curl", night_time(5));
    g_assert_true(e->security);
    g_assert_false(e->installed || e->dropped || e->lab);
    e = find(all, "web02", "curl", night_time(2));
    g_assert_true(e->dropped);
    g_assert_false(e->security);
    g_assert_cmpint(e->installed, ==, 0);
    g_assert_cmpint(e->lab, ==, night_time(6));
    e = find(all, "db01", "openssl", night_time(1));
    g_assert_cmpstr(e->version, ==, "1.2-1"); /* the newest candidate */
    g_assert_true(e->security);               /* any was a security one */
    g_assert_cmpint(e->installed, ==, night_time(5)); /* not at night 4 */
    g_assert_null(e->bundle); /* the bundle was web01's */

    /* A limit reads only the newest versions: web01's newest prod
     * manifest knows curl pending, nothing of openssl. */
    g_assert_cmpint(ds_patch_history(&one, st, "web01", 1, &err), ==, 0);
    g_assert_cmpuint(one->len, ==, 1);
    g_assert_cmpstr(((ds_patch_event *)one->pdata[0])->name, ==, "curl");
    g_clear_pointer(&one, g_ptr_array_unref);

    /* The newest commit of each host's lab, found in one walk for all,
     * is the one each host's own history names first. */
    {
        g_autoptr(GHashTable) last = NULL;

        g_assert_cmpint(ds_store_last_changes(&last, st, DS_ROLE_LAB, hosts,
                                              G_N_ELEMENTS(hosts), &err),
                        ==, 0);
        g_assert_no_error(err);
        g_assert_cmpuint(g_hash_table_size(last), ==, 2); /* not db01 */
        for (guint h = 0; h < G_N_ELEMENTS(hosts); h++) {
            g_autoptr(GPtrArray) hist = NULL;

            g_assert_cmpint(ds_store_history(&hist, st, DS_ROLE_LAB, hosts[h],
                                             0, 1, NULL, &err),
                            ==, 0);
            g_assert_cmpstr(
                g_hash_table_lookup(last, hosts[h]), ==,
                hist->len ? ((ds_history_entry *)hist->pdata[0])->oid : NULL);
        }
    }

    /* A host never recorded has no events; a bad name is refused. */
    g_assert_cmpint(ds_patch_history(&one, st, "none01", 0, &err), ==, 0);
    g_assert_cmpuint(one->len, ==, 0);
    g_clear_pointer(&one, g_ptr_array_unref);
    g_assert_cmpint(ds_patch_history(&one, st, "../x", 0, &err), ==,
                    DS_EINVALID);
    g_assert_error(err, DS_ERROR, -DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "../x"));
    ds_test_rm_rf(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/patch-history/all-equals-each", test_all_equals_each);
    return g_test_run();
}
