/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-report.c: the report (sync/output/report.c,
 * report-html.c) from a real git store and a state directory: every host's
 * drift at HEAD (lab against prod), its history, the last mirror run (the
 * labs not in sync only), the trials, a state file that is broken named as
 * such, the HTML page and the two files written whole. */
#include <config.h>

#include <jansson.h>
#include <string.h>

#include "manifests/util/error.h"
#include "sync/config/config-file.h"
#include "sync/jobs/mirror.h"
#include "sync/output/report.h"
#include "tests/unit/testutil.h"

typedef struct {
    char *dir;
    ds_config *cfg;
    ds_store *st;
} fixture;

static void fx_setup(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *file = NULL;

    (void)data;
    fx->dir = ds_test_tmpdir("ds-report-XXXXXX");
    file = ds_test_write_config(fx->dir, "ds.conf",
                                "[store]\npath = @DIR@/store\n"
                                "state = @DIR@/state\n");
    g_assert_cmpint(ds_config_load(&fx->cfg, file, &err), ==, 0);
    g_assert_cmpint(ds_store_init(fx->cfg->store_path, &err), ==, 0);
    g_assert_cmpint(ds_store_open(&fx->st, fx->cfg->store_path, &err), ==, 0);
    g_assert_no_error(err);
}

static void fx_teardown(fixture *fx, gconstpointer data)
{
    (void)data;
    ds_store_free(fx->st);
    ds_config_free(fx->cfg);
    g_free(fx->dir);
}

/* web01 in prod and in the lab (they differ), db01 in prod only. */
static void fill_store(fixture *fx)
{
    const char *names[] = {"web01.json", "web01-lab.json", "db01.json"};
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store_txn) txn = NULL;
    g_autofree char *oid = NULL;

    g_assert_cmpint(ds_store_lock(fx->st, 0, &err), ==, 0);
    g_assert_cmpint(ds_store_txn_begin(&txn, fx->st, &err), ==, 0);
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *path = ds_test_data("good", names[i], NULL);
        g_autoptr(ds_manifest) m = NULL;

        g_assert_cmpint(ds_manifest_load(&m, path, &err), ==, 0);
        g_assert_cmpint(ds_store_txn_put(txn, m, &err), ==, 0);
    }
    g_assert_cmpint(
        ds_store_txn_commit(&oid, txn, "record", "test-run", NULL, &err), ==,
        0);
    g_assert_no_error(err);
    g_assert_nonnull(oid);
    ds_store_unlock(fx->st);
}

static void write_state(fixture *fx, const char *sub, const char *name,
                        const char *text)
{
    g_autofree char *dir = g_build_filename(fx->cfg->state_dir, sub, NULL);
    g_autofree char *path = g_build_filename(dir, name, NULL);

    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static json_t *host_of(json_t *doc, const char *name)
{
    json_t *h;
    size_t i;

    json_array_foreach(json_object_get(doc, "hosts"), i, h) {
        if (!g_strcmp0(json_string_value(json_object_get(h, "host")), name))
            return h;
    }
    return NULL;
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void test_empty(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    json_t *doc = NULL;

    (void)data;
    /* A store without a commit, a state directory that does not exist. */
    g_assert_cmpint(ds_report_build(&doc, fx->st, fx->cfg, 7,
                                    g_get_real_time() / G_USEC_PER_SEC, &err),
                    ==, 0);
    g_assert_no_error(err);
    g_assert_cmpstr(str(doc, "schema"), ==, DS_REPORT_FORMAT);
    g_assert_true(json_is_null(json_object_get(doc, "head")) ||
                  !json_object_get(doc, "head"));
    g_assert_cmpuint(json_array_size(json_object_get(doc, "hosts")), ==, 0);
    g_assert_true(json_is_null(json_object_get(doc, "mirror")));
    g_assert_cmpuint(json_array_size(json_object_get(doc, "trials")), ==, 0);
    json_decref(doc);
}

static void test_build(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *html = NULL;
    g_autofree char *hp = NULL, *jp = NULL;
    g_autofree char *head = NULL;
    json_t *doc = NULL, *web01, *db01, *mirror, *back, *totals;

    (void)data;
    fill_store(fx);
    write_state(fx, "reports", "latest.json",
                "{\"format\": \"driftsync/mirror/v1\", \"run_id\": \"r1\","
                " \"exit\": 1, \"labs\": ["
                "{\"host\": \"web01\", \"status\": \"failed\","
                " \"reason\": \"no agent\"},"
                "{\"host\": \"db01\", \"status\": \"in_sync\"}]}");
    write_state(
        fx, "trials", "t1.json",
        "{\"schema\": \"driftsync/trial/v1\", \"run\": \"t1\","
        " \"host\": \"web01\", \"started_at\": \"2026-11-27T02:00:00Z\","
        " \"passed\": true}");
    write_state(fx, "trials", "broken.json", "{\"schema\": ");
    write_state(fx, "audit", "latest.json", "not json");

    g_assert_cmpint(ds_report_build(&doc, fx->st, fx->cfg, 7,
                                    g_get_real_time() / G_USEC_PER_SEC, &err),
                    ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(ds_store_resolve(&head, fx->st, "HEAD", &err), ==, 0);
    g_assert_cmpstr(str(doc, "head"), ==, head);
    g_assert_cmpint(json_integer_value(json_object_get(doc, "days")), ==, 7);

    /* Hosts sorted; web01's lab drifted, db01 has none. */
    g_assert_cmpuint(json_array_size(json_object_get(doc, "hosts")), ==, 2);
    g_assert_cmpstr(
        str(json_array_get(json_object_get(doc, "hosts"), 0), "host"), ==,
        "db01");
    web01 = host_of(doc, "web01");
    db01 = host_of(doc, "db01");
    g_assert_cmpstr(str(web01, "status"), ==, "drift");
    g_assert_cmpint(json_integer_value(json_object_get(web01, "drift_total")),
                    >, 0);
    g_assert_cmpuint(json_array_size(json_object_get(web01, "differences")), >,
                     0);
    g_assert_cmpstr(str(db01, "status"), ==, "no-lab");
    totals = json_object_get(doc, "totals");
    g_assert_cmpint(json_integer_value(json_object_get(totals, "hosts")), ==,
                    2);
    g_assert_cmpint(json_integer_value(json_object_get(totals, "drifted")), ==,
                    1);
    /* The commit of today is in the history. */
    g_assert_cmpint(json_integer_value(json_object_get(
                        json_object_get(web01, "history"), "commits")),
                    ==, 1);

    /* The mirror run: only the lab not in sync is listed. */
    mirror = json_object_get(doc, "mirror");
    g_assert_cmpstr(str(mirror, "run_id"), ==, "r1");
    g_assert_cmpuint(json_array_size(json_object_get(mirror, "labs")), ==, 1);
    g_assert_cmpstr(
        str(json_array_get(json_object_get(mirror, "labs"), 0), "reason"), ==,
        "no agent");
    /* The trial; the broken one left out. */
    g_assert_cmpuint(json_array_size(json_object_get(doc, "trials")), ==, 1);
    /* A broken audit file is named, not taken for no findings. */
    g_assert_nonnull(strstr(str(json_object_get(doc, "audit"), "error"),
                            "audit/latest.json"));

    /* The page names the hosts and is self-contained. */
    html = ds_report_html(doc);
    g_assert_nonnull(strstr(html, "web01"));
    g_assert_nonnull(strstr(html, "db01"));
    g_assert_null(strstr(html, "<script src"));
    g_assert_null(strstr(html, "<link "));

    g_assert_cmpint(ds_report_write(&hp, &jp, doc, fx->dir, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_true(g_str_has_suffix(hp, "/report.html"));
    back = json_load_file(jp, 0, NULL);
    g_assert_true(json_equal(back, doc));
    json_decref(back);
    json_decref(doc);
}

/* A mirror run as the mirror job writes it (ds_mirror_report_write): a
 * lab it synced, one it found in sync, one that failed.  Only the failed
 * one is "not in sync" (the synced one was listed there). */
static void add_lab(ds_mirror_report *r, const char *host,
                    ds_mirror_status status, const char *reason)
{
    ds_mirror_lab *l = g_new0(ds_mirror_lab, 1);

    l->host = g_strdup(host);
    l->domain = g_strdup_printf("lab-%s", host);
    l->status = status;
    l->reason = g_strdup(reason);
    l->changes = status == DS_MIRROR_IN_SYNC ? 0 : 3;
    g_ptr_array_add(r->labs, l);
}

static void test_mirror_synced(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_mirror_report) r = ds_mirror_report_new();
    g_autofree char *path = NULL;
    g_autofree char *html = NULL;
    const char *table, *end;
    json_t *doc = NULL, *labs;

    (void)data;
    fill_store(fx);
    r->run_id = g_strdup("20261127T030000Z-ab12");
    r->started = g_strdup("2026-11-27T03:00:00Z");
    r->finished = g_strdup("2026-11-27T03:05:00Z");
    r->cache_warnings = g_ptr_array_new_with_free_func(g_free);
    add_lab(r, "web01", DS_MIRROR_SYNCED, NULL);
    add_lab(r, "db01", DS_MIRROR_FAILED, "the guest agent is not running");
    add_lab(r, "mail01", DS_MIRROR_IN_SYNC, NULL);
    g_assert_cmpint(ds_mirror_report_write(&path, r, fx->cfg->state_dir, &err),
                    ==, 0);
    g_assert_no_error(err);

    g_assert_cmpint(ds_report_build(&doc, fx->st, fx->cfg, 7,
                                    g_get_real_time() / G_USEC_PER_SEC, &err),
                    ==, 0);
    labs = json_object_get(json_object_get(doc, "mirror"), "labs");
    g_assert_cmpuint(json_array_size(labs), ==, 1);
    g_assert_cmpstr(str(json_array_get(labs, 0), "host"), ==, "db01");
    g_assert_cmpstr(str(json_array_get(labs, 0), "status"), ==, "failed");
    /* The page's table under "labs not in sync" has db01 alone. */
    html = ds_report_html(doc);
    table = strstr(html, "<table id=\"mirror-labs\">");
    g_assert_nonnull(table);
    end = strstr(table, "</table>");
    g_assert_nonnull(end);
    g_assert_nonnull(g_strstr_len(table, end - table, ">db01</th>"));
    g_assert_null(g_strstr_len(table, end - table, "web01"));
    g_assert_null(g_strstr_len(table, end - table, "mail01"));
    json_decref(doc);
}

/* web01's differences: in <details> per category, lab and prod values. */
static void test_details(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *html = NULL;
    json_t *doc = NULL, *d, *c;
    size_t i;
    bool mode = false;

    (void)data;
    fill_store(fx);
    g_assert_cmpint(ds_report_build(&doc, fx->st, fx->cfg, 7,
                                    g_get_real_time() / G_USEC_PER_SEC, &err),
                    ==, 0);
    d = json_object_get(host_of(doc, "web01"), "differences");
    json_array_foreach(d, i, c)
    {
        if (!g_strcmp0(str(c, "name"), "/etc/nginx/nginx.conf")) {
            json_t *m = json_object_get(json_object_get(c, "fields"), "mode");

            g_assert_cmpstr(str(m, "old"), ==, "0600");
            g_assert_cmpstr(str(m, "new"), ==, "0644");
            g_assert_cmpstr(str(c, "description"), ==,
                            "/etc/nginx/nginx.conf differs (mode: the lab has "
                            "0600, prod 0644)");
            mode = true;
        }
        if (!g_strcmp0(str(c, "name"), "/etc/shadow")) {
            g_assert_true(json_is_null(json_object_get(
                json_object_get(json_object_get(c, "fields"), "content"),
                "old")));
            /* its content diff: only that it is secret */
            g_assert_cmpstr(str(json_object_get(c, "patch"), "kind"), ==,
                            "secret");
            g_assert_null(json_object_get(json_object_get(c, "patch"),
                                          "hunks"));
        }
        if (!g_strcmp0(str(c, "name"), "/etc/ssh/sshd_config"))
            g_assert_cmpstr(str(json_object_get(c, "patch"), "kind"), ==,
                            "not-stored");
    }
    g_assert_true(mode);
    html = ds_report_html(doc);
    g_assert_nonnull(strstr(html, "<details class=\"c-files\"><summary><h4 "
                                  "id=\"h-web01-files\">files: 3</h4>"));
    g_assert_nonnull(
        strstr(html, "mode <del>0600</del> → <ins>0644</ins>"));
    g_assert_nonnull(strstr(html, "content differs (secret: not shown)"));
    g_assert_nonnull(strstr(html, "<div class=\"pn\">secret file: its "
                                  "content is never stored or shown"));
    g_assert_nonnull(strstr(html, "<div class=\"pn\">content not stored"));
    g_assert_nonnull(strstr(html, "lab <del>3.0.14-1~deb12u2</del> → "
                                  "<ins>3.0.15-1~deb12u1</ins> prod"));
    /* The matrix cell has its category's colour. */
    g_assert_nonnull(strstr(html, "<td class=\"n d c-files\"><a href=\""
                                  "#h-web01-files\">3</a></td>"));
    g_assert_nonnull(strstr(html, ".c-files{background:"));
    json_decref(doc);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, fixture, NULL, fx_setup, fn, fx_teardown)
    ADD("/report/empty", test_empty);
    ADD("/report/build", test_build);
    ADD("/report/mirror-synced", test_mirror_synced);
    ADD("/report/details", test_details);
    return g_test_run();
}
