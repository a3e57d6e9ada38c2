/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-mirror.c: the nightly job (sync/jobs/mirror.c) with real
 * parts: prod hosts are Debian roots built with dpkg, labs are domains of
 * libvirt's test driver (no guest agent: a drifted lab's sync is tried
 * and fails at collecting the lab), the store a real git repository.
 * Checks the report: hosts recorded in one commit, failures kept with
 * their host, each lab's fate in configuration order, the exit code, the
 * JSON document and its two files; --dry-run commits nothing. */
#include <config.h>

#include <jansson.h>
#include <string.h>

#include "manifests/util/error.h"
#include "sync/config/config-file.h"
#include "sync/jobs/mirror.h"
#include "tests/unit/testutil.h"

typedef struct {
    char *dir;
    char *root;
    ds_config *cfg;
    ds_store *st;
    GPtrArray *done; /* "HOST STATUS" for each lab_done call */
} fixture;

static ds_config *load(const char *dir, const char *name, const char *text)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *file = ds_test_write_config(dir, name, text);
    ds_config *cfg = NULL;

    g_assert_cmpint(ds_config_load(&cfg, file, &err), ==, 0);
    g_assert_no_error(err);
    return cfg;
}

static void fx_setup(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *text = NULL;

    (void)data;
    fx->dir = ds_test_tmpdir("ds-mirror-XXXXXX");
    fx->done = g_ptr_array_new_with_free_func(g_free);
    if (!(fx->root = ds_test_debian_root(fx->dir)))
        return;
    text = g_strdup_printf(
        "[store]\npath = @DIR@/store\nstate = @DIR@/state\n\n"
        "[lab]\nuri = test://@DATA@/snapshot-node.xml\nsnapshots = auto\n\n"
        "[host web01]\nsource = local:%s\nlab = lab-web01\n\n"
        "[host nolab]\nsource = local:%s\n\n"
        "[host gone]\nsource = local:@DIR@/no-such-root\nlab = lab-db01\n",
        fx->root, fx->root);
    fx->cfg = load(fx->dir, "ds.conf", text);
    g_assert_cmpint(ds_store_init(fx->cfg->store_path, &err), ==, 0);
    g_assert_cmpint(ds_store_open(&fx->st, fx->cfg->store_path, &err), ==, 0);
}

static void fx_teardown(fixture *fx, gconstpointer data)
{
    (void)data;
    ds_store_free(fx->st);
    ds_config_free(fx->cfg);
    g_ptr_array_unref(fx->done);
    g_free(fx->root);
    g_free(fx->dir);
}

static void on_lab(const ds_mirror_lab *lab, void *payload)
{
    fixture *fx = payload;

    g_ptr_array_add(fx->done,
                    g_strdup_printf("%s %s", lab->host,
                                    ds_mirror_status_name(lab->status)));
}

static bool lab_reported(const fixture *fx, const char *line)
{
    for (guint i = 0; i < fx->done->len; i++)
        if (!strcmp(fx->done->pdata[i], line))
            return true;
    return false;
}

static char *head(fixture *fx)
{
    g_autoptr(GError) err = NULL;
    char *oid = NULL;

    g_assert_cmpint(ds_store_resolve(&oid, fx->st, "HEAD", &err), ==, 0);
    return oid;
}

static void test_run(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_mirror_report) r = NULL;
    g_autofree char *path = NULL;
    g_autofree char *latest = NULL;
    g_autofree char *text = NULL;
    g_autofree char *written = NULL;
    g_autofree char *latest_text = NULL;
    g_autofree char *oid = NULL;
    ds_mirror_options o = {.parallel = 2,
                           .run_id = "test-run-1",
                           .lab_done = on_lab,
                           .payload = fx};
    const ds_mirror_lab *web01, *nolab, *gone;
    const ds_mirror_record_failure *f;
    json_t *doc;

    (void)data;
    if (!fx->cfg)
        return;
    g_assert_cmpint(ds_mirror_run(&r, fx->cfg, fx->st, &o, &err), ==, 0);
    g_assert_no_error(err);

    /* Record: the two good hosts in one commit, the bad one kept. */
    g_assert_cmpstr(r->run_id, ==, "test-run-1");
    g_assert_cmpint(r->parallel, ==, 2);
    g_assert_cmpuint(r->recorded->len, ==, 2);
    g_assert_cmpstr(r->recorded->pdata[0], ==, "web01");
    g_assert_cmpstr(r->recorded->pdata[1], ==, "nolab");
    g_assert_nonnull(r->record_commit);
    oid = head(fx);
    g_assert_cmpstr(r->record_commit, ==, oid);
    g_assert_cmpuint(r->record_failed->len, ==, 1);
    f = r->record_failed->pdata[0];
    g_assert_cmpstr(f->host, ==, "gone");
    g_assert_nonnull(f->reason);
    g_assert_false(g_str_has_prefix(f->reason, "gone: ")); /* bare */

    /* Labs, in configuration order. */
    g_assert_cmpuint(r->labs->len, ==, 3);
    web01 = r->labs->pdata[0];
    nolab = r->labs->pdata[1];
    gone = r->labs->pdata[2];
    g_assert_cmpstr(web01->host, ==, "web01");
    g_assert_cmpstr(web01->domain, ==, "lab-web01");
    g_assert_cmpint(web01->status, ==, DS_MIRROR_FAILED);
    g_assert_true(g_str_has_prefix(web01->reason, "before the sync"));
    g_assert_cmpint(nolab->status, ==, DS_MIRROR_SKIPPED);
    g_assert_null(nolab->domain);
    g_assert_true(g_str_has_prefix(nolab->reason, "no lab domain"));
    g_assert_cmpint(gone->status, ==, DS_MIRROR_SKIPPED);
    g_assert_true(g_str_has_prefix(gone->reason, "prod not recorded: "));
    g_assert_true(lab_reported(fx, "web01 failed"));
    g_assert_true(lab_reported(fx, "nolab skipped"));

    g_assert_cmpuint(ds_mirror_count(r, DS_MIRROR_SKIPPED), ==, 2);
    g_assert_cmpuint(ds_mirror_count_failed(r), ==, 1);
    g_assert_cmpint(ds_mirror_exit_code(r), ==, 1);

    /* The document, and its two files written whole. */
    doc = ds_mirror_report_json(r);
    g_assert_cmpstr(json_string_value(json_object_get(doc, "format")), ==,
                    DS_MIRROR_FORMAT);
    g_assert_cmpuint(json_array_size(json_object_get(doc, "labs")), ==, 3);
    g_assert_cmpstr(
        json_string_value(json_object_get(
            json_array_get(json_object_get(doc, "labs"), 1), "status")),
        ==, "skipped");
    json_decref(doc);
    g_assert_cmpint(ds_mirror_report_write(&path, r, fx->cfg->state_dir, &err),
                    ==, 0);
    g_assert_no_error(err);
    g_assert_true(g_str_has_suffix(path, "/reports/mirror-test-run-1.json"));
    latest =
        g_build_filename(fx->cfg->state_dir, "reports", "latest.json", NULL);
    text = ds_mirror_report_dumps(r);
    g_assert_true(g_file_get_contents(path, &written, NULL, NULL));
    g_assert_true(g_file_get_contents(latest, &latest_text, NULL, NULL));
    g_assert_cmpstr(written, ==, text);
    g_assert_cmpstr(latest_text, ==, text);
}

/* --dry-run: collected and planned, nothing committed. */
static void test_dry_run(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_mirror_report) r = NULL;
    g_autoptr(ds_mirror_report) again = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    ds_mirror_options o = {.parallel = 1};

    (void)data;
    if (!fx->cfg)
        return;
    g_assert_cmpint(ds_mirror_run(&r, fx->cfg, fx->st, &o, &err), ==, 0);
    before = head(fx);
    o.dry_run = true;
    g_assert_cmpint(ds_mirror_run(&again, fx->cfg, fx->st, &o, &err), ==, 0);
    g_assert_true(again->dry_run);
    g_assert_null(again->record_commit);
    g_assert_null(again->sync_commit);
    after = head(fx);
    g_assert_cmpstr(before, ==, after);
    g_assert_cmpuint(again->recorded->len, ==, 2);
}

/* Nothing could be recorded: exit code 2. */
static void test_nothing_recorded(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_mirror_report) r = NULL;
    g_autoptr(ds_config) cfg = NULL;
    ds_mirror_options o = {.parallel = 1};
    int rc;

    (void)data;
    if (!fx->cfg)
        return;
    cfg = load(fx->dir, "gone.conf",
               "[store]\npath = @DIR@/store\nstate = @DIR@/state\n\n"
               "[host gone]\nsource = local:@DIR@/no-such-root\n");
    rc = ds_mirror_run(&r, cfg, fx->st, &o, &err);
    g_assert_cmpint(rc, ==, 0);
    g_assert_cmpuint(r->recorded->len, ==, 0);
    g_assert_cmpuint(r->record_failed->len, ==, 1);
    g_assert_cmpint(ds_mirror_exit_code(r), ==, 2);
}

/* Labs on two daemons: each daemon's labs through one connection; the
 * one that cannot be reached fails only its lab, untouched, naming its
 * URI. */
static void test_daemons(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_mirror_report) r = NULL;
    g_autoptr(ds_config) cfg = NULL;
    g_autofree char *text = NULL;
    g_autofree char *down = NULL;
    g_autofree char *lock = NULL;
    ds_mirror_options o = {.parallel = 1, .lab_done = on_lab, .payload = fx};
    const ds_mirror_daemon *node, *gone;
    const ds_mirror_lab *l;
    json_t *doc;

    (void)data;
    if (!fx->cfg)
        return;
    down = g_strdup_printf("qemu+unix:///system?socket=%s/no-such-socket",
                           fx->dir);
    text = g_strdup_printf(
        "[store]\npath = @DIR@/store\nstate = @DIR@/state\n\n"
        "[lab]\nuri = test://@DATA@/snapshot-node.xml\n\n"
        "[host web01]\nsource = local:%s\nlab = lab-web01\n\n"
        "[host db01]\nsource = local:%s\nlab = lab-db01\nlab-uri = %s\n\n"
        "[host app01]\nsource = local:%s\nlab = lab-web02\n",
        fx->root, fx->root, down, fx->root);
    cfg = load(fx->dir, "daemons.conf", text);
    g_assert_cmpint(ds_mirror_run(&r, cfg, fx->st, &o, &err), ==, 0);
    g_assert_no_error(err);

    g_assert_cmpuint(r->daemons->len, ==, 2);
    node = r->daemons->pdata[0];
    gone = r->daemons->pdata[1];
    g_assert_true(g_str_has_prefix(node->uri, "test://"));
    g_assert_cmpuint(node->labs, ==, 2);
    g_assert_cmpuint(node->connections, ==, 1);
    g_assert_null(node->error);
    g_assert_cmpstr(gone->uri, ==, down);
    g_assert_cmpuint(gone->labs, ==, 1);
    g_assert_cmpuint(gone->connections, ==, 0);
    g_assert_true(g_str_has_prefix(gone->error, down));

    l = r->labs->pdata[1];
    g_assert_cmpstr(l->host, ==, "db01");
    g_assert_cmpstr(l->uri, ==, down);
    g_assert_cmpint(l->status, ==, DS_MIRROR_FAILED);
    g_assert_true(g_str_has_prefix(
        l->reason, "the lab's libvirt daemon cannot be reached: "));
    g_assert_nonnull(strstr(l->reason, down));
    g_assert_true(lab_reported(fx, "db01 failed"));
    lock = g_build_filename(fx->dir, "state", "lock", "lab-db01.lock", NULL);
    g_assert_false(g_file_test(lock, G_FILE_TEST_EXISTS));
    /* The others reached their daemon (and stop at its missing agent). */
    l = r->labs->pdata[0];
    g_assert_true(g_str_has_prefix(l->reason, "before the sync"));
    l = r->labs->pdata[2];
    g_assert_true(g_str_has_prefix(l->reason, "before the sync"));
    g_assert_cmpint(ds_mirror_exit_code(r), ==, 1);

    doc = ds_mirror_report_json(r);
    g_assert_cmpuint(json_array_size(json_object_get(doc, "daemons")), ==, 2);
    g_assert_cmpstr(json_string_value(json_object_get(
                        json_array_get(json_object_get(doc, "daemons"), 1),
                        "uri")),
                    ==, down);
    g_assert_cmpstr(json_string_value(json_object_get(
                        json_array_get(json_object_get(doc, "labs"), 1),
                        "uri")),
                    ==, down);
    json_decref(doc);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, fixture, NULL, fx_setup, fn, fx_teardown)
    ADD("/mirror/run", test_run);
    ADD("/mirror/dry-run", test_dry_run);
    ADD("/mirror/nothing-recorded", test_nothing_recorded);
    ADD("/mirror/daemons", test_daemons);
    return g_test_run();
}
