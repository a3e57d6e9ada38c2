/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-store.c: the git store: init, commit and read back,
 * no empty commits, history, the writer lock, revisions, refusals. */
#include <config.h>

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>

#include "manifests/diff.h"
#include "manifests/util/error.h"
#include "manifests/store.h"
#include "tests/unit/testutil.h"

typedef struct {
    char *dir;
    char *path; /* the store */
} fixture;

static void fx_setup(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;

    fx->dir = ds_test_tmpdir("ds-store-XXXXXX");
    g_assert_no_error(err);
    fx->path = g_build_filename(fx->dir, "store", NULL);
    g_assert_cmpint(ds_store_init(fx->path, &err), ==, 0);
    g_assert_no_error(err);
}

static void fx_teardown(fixture *fx, gconstpointer data)
{
    ds_test_rm_rf(fx->dir);
    g_free(fx->path);
    g_free(fx->dir);
}

static GPtrArray *ensure(GPtrArray **a, GDestroyNotify fn)
{
    if (!*a)
        *a = g_ptr_array_new_with_free_func(fn);
    return *a;
}

/* A small but complete manifest; `bump` changes openssl's version. */
static ds_manifest *make_manifest(const char *host, guint npkg, bool bump)
{
    ds_manifest *m = ds_manifest_new(host, DS_ROLE_PROD);
    g_autoptr(GError) err = NULL;
    ds_file *f;

    m->collected_at = g_strdup("2026-11-27T12:00:00Z");
    m->os.id = g_strdup("debian");
    m->os.version = g_strdup("12");
    m->os.name = g_strdup("Debian GNU/Linux 12 (bookworm)");
    m->kernel.running = g_strdup("6.1.0-26-amd64");
    g_ptr_array_add(ensure(&m->kernel.installed, g_free),
                    g_strdup("6.1.0-26-amd64"));
    g_ptr_array_add(ensure(&m->sources, g_free),
                    g_strdup("deb http://deb.debian.org/debian bookworm main"));
    g_ptr_array_add(ensure(&m->packages, (GDestroyNotify)ds_package_free),
                    ds_package_new("openssl",
                                   bump ? "3.0.13-1" : "3.0.11-1", "amd64",
                                   NULL));
    for (guint i = 1; i < npkg; i++) {
        g_autofree char *name = g_strdup_printf("pkg%03u", i);

        g_ptr_array_add(m->packages,
                        ds_package_new(name, "1.0-1", "amd64", NULL));
    }
    f = ds_file_new("/etc/ssh/sshd_config");
    f->content = g_bytes_new_static("PermitRootLogin no\n", 19);
    f->sha256 = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, f->content);
    f->mode = 0644;
    f->owner = g_strdup("root");
    f->group = g_strdup("root");
    g_ptr_array_add(ensure(&m->files, (GDestroyNotify)ds_file_free), f);
    g_ptr_array_add(ensure(&m->services, (GDestroyNotify)ds_service_free),
                    ds_service_new("ssh.service", "enabled", "active"));
    m->collector.version = g_strdup("0.1.0");
    m->collector.transport = g_strdup("import");
    g_assert_cmpint(ds_manifest_normalise(m, &err), ==, 0);
    g_assert_no_error(err);
    return m;
}

static ds_file *add_file(ds_manifest *m, const char *path, const char *text)
{
    ds_file *f = ds_file_new(path);
    g_autoptr(GError) err = NULL;

    if (text) {
        f->content = g_bytes_new(text, strlen(text));
        f->sha256 = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256,
                                                 f->content);
    }
    f->mode = 0644;
    f->owner = g_strdup("root");
    f->group = g_strdup("root");
    g_ptr_array_add(m->files, f);
    g_assert_cmpint(ds_manifest_normalise(m, &err), ==, 0);
    return f;
}

/* Put the manifests and commit; returns the new commit id or NULL. */
static char *commit_all(ds_store *st, ds_manifest **ms, guint n)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store_txn) txn = NULL;
    char *oid = NULL;

    g_assert_cmpint(ds_store_txn_begin(&txn, st, &err), ==, 0);
    for (guint i = 0; i < n; i++) {
        g_assert_cmpint(ds_store_txn_put(txn, ms[i], &err), ==, 0);
        g_assert_no_error(err);
    }
    g_assert_cmpint(ds_store_txn_commit(&oid, txn, "record", "run-1", NULL,
                                        &err), ==, 0);
    g_assert_no_error(err);
    return oid;
}

static char *head_message(const char *path)
{
    git_repository *repo = NULL;
    git_object *obj = NULL;
    char *msg;

    g_assert_cmpint(git_repository_open_bare(&repo, path), ==, 0);
    g_assert_cmpint(git_revparse_single(&obj, repo, "HEAD"), ==, 0);
    msg = g_strdup(git_commit_message((git_commit *)obj));
    git_object_free(obj);
    git_repository_free(repo);
    return msg;
}

static void test_init_twice(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autofree char *nostore = g_build_filename(fx->dir, "nope", NULL);

    g_assert_cmpint(ds_store_init(fx->path, &err), ==, DS_ECONFLICT);
    g_assert_error(err, DS_ERROR, -DS_ECONFLICT);
    g_assert_nonnull(strstr(err->message, "already exists"));
    g_clear_error(&err);
    g_assert_cmpint(ds_store_open(&st, nostore, &err), ==, DS_ENOTFOUND);
    g_assert_null(st);
    g_clear_error(&err);
    g_assert_cmpint(ds_store_open(&st, fx->path, &err), ==, 0);
    g_assert_cmpstr(ds_store_path(st), ==, fx->path);
}

static void test_roundtrip(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(ds_manifest) m = make_manifest("web01", 5, false);
    g_autoptr(ds_manifest) back = NULL;
    g_autoptr(GBytes) want = NULL;
    g_autoptr(GBytes) got = NULL;
    g_autoptr(GBytes) content = NULL;
    g_autoptr(GPtrArray) hosts = NULL;
    g_autofree char *c1 = NULL;
    g_autofree char *c2 = NULL;
    g_autofree char *head = NULL;
    git_repository *repo = NULL;
    git_object *blob = NULL;

    g_assert_cmpint(ds_store_open(&st, fx->path, &err), ==, 0);
    g_assert_cmpint(ds_store_list_hosts(&hosts, st, NULL, DS_ROLE_PROD, &err),
                    ==, 0);
    g_assert_cmpuint(hosts->len, ==, 0);
    g_clear_pointer(&hosts, g_ptr_array_unref);

    c1 = commit_all(st, &m, 1);
    g_assert_nonnull(c1);
    g_assert_cmpint(ds_store_resolve(&head, st, "HEAD", &err), ==, 0);
    g_assert_cmpstr(head, ==, c1);

    /* The stored blob is exactly the canonical serialisation. */
    g_assert_cmpint(ds_manifest_serialise(&want, m, &err), ==, 0);
    g_assert_cmpint(git_repository_open_bare(&repo, fx->path), ==, 0);
    g_assert_cmpint(git_revparse_single(&blob, repo, "HEAD:prod/web01.json"),
                    ==, 0);
    g_assert_cmpmem(git_blob_rawcontent((git_blob *)blob),
                    git_blob_rawsize((git_blob *)blob),
                    g_bytes_get_data(want, NULL), g_bytes_get_size(want));
    git_object_free(blob);
    git_repository_free(repo);

    g_assert_cmpint(ds_store_read(&back, st, NULL, DS_ROLE_PROD, "web01",
                                  &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(ds_manifest_serialise(&got, back, &err), ==, 0);
    g_assert_true(g_bytes_equal(want, got));

    g_assert_cmpint(ds_store_read_file(&content, st, NULL, DS_ROLE_PROD,
                                       "web01", "/etc/ssh/sshd_config", &err),
                    ==, 0);
    g_assert_cmpmem(g_bytes_get_data(content, NULL),
                    g_bytes_get_size(content), "PermitRootLogin no\n", 19);

    g_assert_cmpint(ds_store_list_hosts(&hosts, st, NULL, DS_ROLE_PROD, &err),
                    ==, 0);
    g_assert_cmpuint(hosts->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(hosts, 0), ==, "web01");
    g_clear_pointer(&hosts, g_ptr_array_unref);
    g_assert_cmpint(ds_store_list_hosts(&hosts, st, NULL, DS_ROLE_LAB, &err),
                    ==, 0);
    g_assert_cmpuint(hosts->len, ==, 0);

    /* The same state again: no commit, HEAD unchanged. */
    c2 = commit_all(st, &m, 1);
    g_assert_null(c2);
    g_clear_pointer(&head, g_free);
    g_assert_cmpint(ds_store_resolve(&head, st, "HEAD", &err), ==, 0);
    g_assert_cmpstr(head, ==, c1);
    g_clear_pointer(&head, g_free);
    g_assert_cmpint(ds_store_resolve(&head, st, "HEAD~1", &err), ==,
                    DS_ENOTFOUND);
}

static void test_message(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store) st = NULL;
    ds_manifest *ms[2] = { make_manifest("web01", 3, false),
                           make_manifest("db01", 12, false) };
    g_autoptr(ds_manifest) up = make_manifest("db01", 12, true);
    g_autofree char *c1 = NULL;
    g_autofree char *c2 = NULL;
    g_autofree char *msg = NULL;
    git_message_trailer_array tr = { 0 };

    g_assert_cmpint(ds_store_open(&st, fx->path, &err), ==, 0);
    c1 = commit_all(st, ms, 2);
    g_assert_nonnull(c1);
    msg = head_message(fx->path);
    g_assert_true(g_str_has_prefix(msg, "record: 2 hosts changed\n\n"));
    g_assert_nonnull(strstr(msg, "\ndb01: first record (12 packages, 1 file, "
                                 "1 service)\nweb01: first record"));
    g_assert_cmpint(git_message_trailers(&tr, msg), ==, 0);
    g_assert_cmpuint(tr.count, ==, 2);
    g_assert_cmpstr(tr.trailers[0].key, ==, "Driftsync-Run");
    g_assert_cmpstr(tr.trailers[0].value, ==, "run-1");
    g_assert_cmpstr(tr.trailers[1].key, ==, "Driftsync-Hosts");
    g_assert_cmpstr(tr.trailers[1].value, ==, "db01 web01");
    git_message_trailer_array_free(&tr);
    g_clear_pointer(&msg, g_free);

    /* One host changed: its semantic changes, other hosts not listed. */
    for (guint i = 1; i < up->packages->len; i++) {
        ds_package *p = g_ptr_array_index(up->packages, i);

        g_free(p->version);
        p->version = g_strdup("2.0-1");
    }
    c2 = commit_all(st, (ds_manifest *[]){ up, ms[1] }, 1);
    g_assert_nonnull(c2);
    msg = head_message(fx->path);
    g_assert_true(g_str_has_prefix(msg, "record: 1 host changed\n\ndb01: "));
    g_assert_nonnull(strstr(msg, "openssl upgraded 3.0.11-1 -> 3.0.13-1"));
    g_assert_nonnull(strstr(msg, ", ..., and 6 more\n"));
    g_assert_null(strstr(msg, "web01"));
    g_assert_nonnull(strstr(msg, "\nDriftsync-Hosts: db01\n"));
    g_clear_pointer(&msg, g_free);

    /* A sync of the lab copy: the role shows only when both changed. */
    {
        g_autoptr(ds_manifest) lab = make_manifest("web01", 3, false);
        g_autoptr(ds_manifest) lab2 = make_manifest("web01", 3, true);
        g_autoptr(ds_manifest) prod2 = make_manifest("web01", 3, true);
        g_autoptr(ds_store_txn) txn = NULL;
        g_autofree char *c3 = NULL;
        g_autofree char *c4 = NULL;

        lab->role = DS_ROLE_LAB;
        g_assert_cmpint(ds_store_txn_begin(&txn, st, &err), ==, 0);
        g_assert_cmpint(ds_store_txn_put(txn, lab, &err), ==, 0);
        g_assert_cmpint(ds_store_txn_commit(&c3, txn, "sync", "run-2", NULL,
                                            &err), ==, 0);
        g_assert_nonnull(c3);
        msg = head_message(fx->path);
        g_assert_true(g_str_has_prefix(msg, "sync: 1 host changed\n\n"
                                            "web01: first record ("));
        g_clear_pointer(&msg, g_free);

        lab2->role = DS_ROLE_LAB;
        g_assert_cmpint(ds_store_txn_put(txn, lab2, &err), ==, 0);
        g_assert_cmpint(ds_store_txn_put(txn, prod2, &err), ==, 0);
        g_assert_cmpint(ds_store_txn_commit(&c4, txn, "sync", "run-3", NULL,
                                            &err), ==, 0);
        g_assert_nonnull(c4);
        msg = head_message(fx->path);
        g_assert_true(g_str_has_prefix(msg, "sync: 1 host changed\n\n"
                                            "web01 prod: openssl upgraded 3.0.11-1 -> "
                                            "3.0.13-1\nweb01 lab: openssl "));
        g_assert_nonnull(strstr(msg, "\nDriftsync-Hosts: web01\n"));
    }
    ds_manifest_free(ms[0]);
    ds_manifest_free(ms[1]);
}

static void test_files_follow_manifest(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(ds_manifest) m = make_manifest("web01", 2, false);
    g_autoptr(GBytes) got = NULL;
    g_autofree char *c1 = NULL;
    g_autofree char *c2 = NULL;
    g_autofree char *c3 = NULL;
    ds_file *f;

    g_assert_cmpint(ds_store_open(&st, fx->path, &err), ==, 0);
    add_file(m, "/etc/nginx/nginx.conf", "worker_processes 4;\n");
    c1 = commit_all(st, &m, 1);
    g_assert_cmpint(ds_store_read_file(&got, st, NULL, DS_ROLE_PROD, "web01",
                                       "/etc/nginx/nginx.conf", &err), ==, 0);
    g_clear_pointer(&got, g_bytes_unref);

    /* nginx.conf no longer captured: it disappears from files/. */
    f = (ds_file *)ds_manifest_find_file(m, "/etc/nginx/nginx.conf");
    g_clear_pointer(&f->content, g_bytes_unref);
    c2 = commit_all(st, &m, 1);
    g_assert_nonnull(c2);
    g_assert_cmpint(ds_store_read_file(&got, st, NULL, DS_ROLE_PROD, "web01",
                                       "/etc/nginx/nginx.conf", &err), ==,
                    DS_ENOTFOUND);
    g_assert_nonnull(strstr(err->message, "/etc/nginx/nginx.conf"));
    g_clear_error(&err);
    g_assert_cmpint(ds_store_read_file(&got, st, "HEAD~1", DS_ROLE_PROD,
                                       "web01", "/etc/nginx/nginx.conf", &err),
                    ==, 0);
    g_clear_pointer(&got, g_bytes_unref);
    g_assert_cmpint(ds_store_read_file(&got, st, NULL, DS_ROLE_PROD, "web01",
                                       "/etc/ssh/sshd_config", &err), ==, 0);
    g_clear_pointer(&got, g_bytes_unref);

    /* No content at all: the host's files/ subtree goes away. */
    f = (ds_file *)ds_manifest_find_file(m, "/etc/ssh/sshd_config");
    g_clear_pointer(&f->content, g_bytes_unref);
    c3 = commit_all(st, &m, 1);
    g_assert_nonnull(c3);
    {
        git_repository *repo = NULL;
        git_object *o = NULL;

        g_assert_cmpint(git_repository_open_bare(&repo, fx->path), ==, 0);
        g_assert_cmpint(git_revparse_single(&o, repo, "HEAD:files/prod/web01"),
                        ==, GIT_ENOTFOUND);
        g_assert_cmpint(git_revparse_single(&o, repo, "HEAD~2:files/prod/web01"),
                        ==, 0);
        git_object_free(o);
        git_repository_free(repo);
    }
}

static void test_history(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(ds_manifest) w1 = make_manifest("web01", 3, false);
    g_autoptr(ds_manifest) w2 = make_manifest("web01", 3, true);
    g_autoptr(ds_manifest) d1 = make_manifest("db01", 3, false);
    g_autoptr(GPtrArray) h = NULL;
    g_autofree char *c1 = NULL;
    g_autofree char *c2 = NULL;
    g_autofree char *c3 = NULL;
    ds_history_entry *e;
    const ds_change *ch = NULL;

    g_assert_cmpint(ds_store_open(&st, fx->path, &err), ==, 0);
    g_assert_cmpint(ds_store_history(&h, st, DS_ROLE_PROD, "web01", 0, 0,
                                     NULL, &err), ==, 0);
    g_assert_cmpuint(h->len, ==, 0);
    g_clear_pointer(&h, g_ptr_array_unref);

    c1 = commit_all(st, &w1, 1);
    c2 = commit_all(st, &d1, 1); /* does not touch web01 */
    c3 = commit_all(st, &w2, 1);
    g_assert_nonnull(c3);

    g_assert_cmpint(ds_store_history(&h, st, DS_ROLE_PROD, "web01", 0, 0,
                                     NULL, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(h->len, ==, 2);
    e = g_ptr_array_index(h, 0);
    g_assert_cmpstr(e->oid, ==, c3);
    g_assert_cmpstr(e->summary, ==, "record: 1 host changed");
    g_assert_cmpstr(e->run_id, ==, "run-1");
    g_assert_cmpuint(e->changes->len, ==, 1);
    ch = g_ptr_array_index(e->changes, 0);
    g_assert_cmpint(ch->kind, ==, DS_CHANGE_PACKAGE_UPGRADED);
    g_assert_cmpstr(ch->name, ==, "openssl");
    g_assert_cmpstr(ch->old_value, ==, "3.0.11-1");
    g_assert_cmpstr(ch->new_value, ==, "3.0.13-1");
    e = g_ptr_array_index(h, 1);
    g_assert_cmpstr(e->oid, ==, c1);
    g_assert_cmpuint(e->changes->len, >, 0); /* from nothing */
    g_clear_pointer(&h, g_ptr_array_unref);

    /* db01 has one entry, at c2; limit and since cut the list. */
    g_assert_cmpint(ds_store_history(&h, st, DS_ROLE_PROD, "db01", 0, 0,
                                     NULL, &err), ==, 0);
    g_assert_cmpuint(h->len, ==, 1);
    g_assert_cmpstr(((ds_history_entry *)h->pdata[0])->oid, ==, c2);
    g_clear_pointer(&h, g_ptr_array_unref);
    g_assert_cmpint(ds_store_history(&h, st, DS_ROLE_PROD, "web01", 0, 1,
                                     NULL, &err), ==, 0);
    g_assert_cmpuint(h->len, ==, 1);
    g_clear_pointer(&h, g_ptr_array_unref);
    g_assert_cmpint(ds_store_history(&h, st, DS_ROLE_PROD, "web01",
                                     g_get_real_time() / G_USEC_PER_SEC + 3600,
                                     0, NULL, &err), ==, 0);
    g_assert_cmpuint(h->len, ==, 0);
    g_clear_pointer(&h, g_ptr_array_unref);
    g_assert_cmpint(ds_store_history(&h, st, DS_ROLE_LAB, "web01", 0, 0,
                                     NULL, &err), ==, 0);
    g_assert_cmpuint(h->len, ==, 0);
}

static void test_revisions(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(ds_manifest) w1 = make_manifest("web01", 3, false);
    g_autoptr(ds_manifest) w2 = make_manifest("web01", 3, true);
    g_autoptr(ds_manifest) d1 = make_manifest("db01", 3, false);
    g_autoptr(ds_manifest) back = NULL;
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *today = g_date_time_format(now, "%Y-%m-%d");
    g_autofree char *c1 = NULL;
    g_autofree char *c2 = NULL;
    g_autofree char *c3 = NULL;
    g_autofree char *prefix = NULL;
    char *r = NULL;

    g_assert_cmpint(ds_store_open(&st, fx->path, &err), ==, 0);
    g_assert_cmpint(ds_store_resolve(&r, st, "HEAD", &err), ==, DS_ENOTFOUND);
    g_assert_nonnull(strstr(err->message, "no commits"));
    g_clear_error(&err);

    c1 = commit_all(st, &w1, 1);
    c2 = commit_all(st, &d1, 1);
    c3 = commit_all(st, &w2, 1);

    g_assert_cmpint(ds_store_resolve(&r, st, "HEAD~2", &err), ==, 0);
    g_assert_cmpstr(r, ==, c1);
    g_free(r);
    prefix = g_strndup(c2, 8);
    g_assert_cmpint(ds_store_resolve(&r, st, prefix, &err), ==, 0);
    g_assert_cmpstr(r, ==, c2);
    g_free(r);
    g_assert_cmpint(ds_store_resolve(&r, st, today, &err), ==, 0);
    g_assert_cmpstr(r, ==, c3);
    g_free(r);
    g_assert_cmpint(ds_store_resolve(&r, st, "2001-01-01", &err), ==,
                    DS_ENOTFOUND);
    g_assert_nonnull(strstr(err->message, "2001-01-01"));
    g_clear_error(&err);
    g_assert_cmpint(ds_store_resolve(&r, st, "HEAD~9", &err), ==,
                    DS_ENOTFOUND);
    g_clear_error(&err);
    g_assert_cmpint(ds_store_resolve(&r, st, "no-such-rev", &err), ==,
                    DS_ENOTFOUND);
    g_clear_error(&err);

    /* read at a revision */
    g_assert_cmpint(ds_store_read(&back, st, "HEAD~2", DS_ROLE_PROD, "web01",
                                  &err), ==, 0);
    g_assert_cmpstr(ds_manifest_find_package(back, "openssl")->version, ==,
                    "3.0.11-1");
    g_clear_pointer(&back, ds_manifest_free);
    g_assert_cmpint(ds_store_read(&back, st, today, DS_ROLE_PROD, "web01",
                                  &err), ==, 0);
    g_assert_cmpstr(ds_manifest_find_package(back, "openssl")->version, ==,
                    "3.0.13-1");
    g_clear_pointer(&back, ds_manifest_free);
    g_assert_cmpint(ds_store_read(&back, st, "HEAD~2", DS_ROLE_PROD, "db01",
                                  &err), ==, DS_ENOTFOUND);
    g_assert_cmpstr(err->message, ==, "no manifest for db01 (prod) at HEAD~2");
    g_clear_error(&err);
    g_assert_cmpint(ds_store_read(&back, st, NULL, DS_ROLE_LAB, "db01", &err),
                    ==, DS_ENOTFOUND);
}

static void test_refusals(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(ds_store_txn) txn = NULL;
    g_autoptr(ds_manifest) back = NULL;
    g_autoptr(GBytes) got = NULL;
    g_autofree char *oid = NULL;
    const char *bad_hosts[] = { "../evil", "a/b", "", ".hidden", "x y",
                                "web01/../../etc" };
    const char *bad_paths[] = { "/etc/.git/config", "/srv/app/.GIT/hooks",
                                "/srv/git~1/x", "/srv/repo/.gitmodules" };

    g_assert_cmpint(ds_store_open(&st, fx->path, &err), ==, 0);
    g_assert_cmpint(ds_store_txn_begin(&txn, st, &err), ==, 0);
    for (guint i = 0; i < G_N_ELEMENTS(bad_hosts); i++) {
        g_autoptr(ds_manifest) m = make_manifest("web01", 2, false);

        g_free(m->host);
        m->host = g_strdup(bad_hosts[i]);
        g_assert_cmpint(ds_store_txn_put(txn, m, &err), ==, DS_EINVALID);
        g_assert_nonnull(strstr(err->message, "invalid host name"));
        g_clear_error(&err);
        g_assert_cmpint(ds_store_read(&back, st, NULL, DS_ROLE_PROD,
                                      bad_hosts[i], &err), ==, DS_EINVALID);
        g_clear_error(&err);
        g_assert_cmpint(ds_store_read_file(&got, st, NULL, DS_ROLE_PROD,
                                           bad_hosts[i], "/etc/passwd", &err),
                        ==, DS_EINVALID);
        g_clear_error(&err);
    }
    for (guint i = 0; i < G_N_ELEMENTS(bad_paths); i++) {
        g_autoptr(ds_manifest) m = make_manifest("web01", 2, false);

        add_file(m, bad_paths[i], "data\n");
        g_assert_cmpint(ds_store_txn_put(txn, m, &err), ==, DS_EINVALID);
        g_assert_nonnull(strstr(err->message, bad_paths[i]));
        g_clear_error(&err);
    }
    {
        g_autoptr(ds_manifest) m = make_manifest("web01", 2, false);
        ds_file *f = add_file(m, "/etc/shadow", "root:$6$secret:19000::::::\n");

        f->secret = true;
        g_clear_pointer(&f->sha256, g_free);
        f->hmac = g_strdup("00ff");
        g_assert_cmpint(ds_store_txn_put(txn, m, &err), ==, DS_EINVALID);
        g_assert_nonnull(strstr(err->message, "/etc/shadow"));
        g_assert_nonnull(strstr(err->message, "secret"));
        g_clear_error(&err);
    }
    {
        g_autoptr(ds_manifest) m = make_manifest("web01", 2, false);
        ds_file *f = add_file(m, "/etc/motd", "hello\n");

        g_free(f->sha256);
        f->sha256 = g_strnfill(64, 'a');
        g_assert_cmpint(ds_store_txn_put(txn, m, &err), ==, DS_EINVALID);
        g_assert_nonnull(strstr(err->message, "sha256"));
        g_clear_error(&err);
    }
    /* Nothing was staged, so nothing is committed. */
    g_assert_cmpint(ds_store_txn_commit(&oid, txn, "record", "run-1", NULL,
                                        &err), ==, 0);
    g_assert_null(oid);
    g_assert_cmpint(ds_store_txn_commit(&oid, txn, "re cord", "run-1", NULL,
                                        &err), ==, DS_EINVALID);
    g_clear_error(&err);
    g_assert_cmpint(ds_store_txn_commit(&oid, txn, "record", "run\nX: y",
                                        NULL, &err), ==, DS_EINVALID);
    g_clear_error(&err);
}

/* Another writer moved the branch after our transaction began (without
 * the lock): the commit is refused and HEAD keeps the other's commit. */
static void test_concurrent_writer(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(ds_store_txn) txn = NULL;
    g_autoptr(ds_manifest) w1 = make_manifest("web01", 2, false);
    g_autoptr(ds_manifest) d1 = make_manifest("db01", 2, false);
    g_autofree char *c1 = NULL;
    g_autofree char *head = NULL;
    g_autofree char *oid = NULL;
    git_repository *repo = NULL;
    git_signature *sig = NULL;
    git_tree *tree = NULL;
    git_oid tid, other;
    char hex[GIT_OID_HEXSZ + 1];

    g_assert_cmpint(ds_store_open(&st, fx->path, &err), ==, 0);
    g_assert_cmpint(ds_store_txn_begin(&txn, st, &err), ==, 0);
    g_assert_cmpint(ds_store_txn_put(txn, w1, &err), ==, 0);

    g_assert_cmpint(git_repository_open_bare(&repo, fx->path), ==, 0);
    g_assert_cmpint(git_signature_now(&sig, "other", "o@example.org"), ==, 0);
    {
        git_treebuilder *b = NULL;

        g_assert_cmpint(git_treebuilder_new(&b, repo, NULL), ==, 0);
        g_assert_cmpint(git_treebuilder_write(&tid, b), ==, 0);
        git_treebuilder_free(b);
    }
    g_assert_cmpint(git_tree_lookup(&tree, repo, &tid), ==, 0);
    g_assert_cmpint(git_commit_create(&other, repo, "HEAD", sig, sig, NULL,
                                      "other writer\n", tree, 0, NULL), ==, 0);
    git_oid_tostr(hex, sizeof(hex), &other);

    g_assert_cmpint(ds_store_txn_commit(&oid, txn, "record", "run-1", NULL,
                                        &err), ==, DS_ECONFLICT);
    g_assert_nonnull(strstr(err->message, "another writer"));
    g_clear_error(&err);
    g_assert_null(oid);
    g_assert_cmpint(ds_store_resolve(&head, st, "HEAD", &err), ==, 0);
    g_assert_cmpstr(head, ==, hex);
    g_clear_pointer(&txn, ds_store_txn_free);

    /* A transaction begun after it works on top of it. */
    c1 = commit_all(st, &d1, 1);
    g_clear_pointer(&head, g_free);
    g_assert_cmpint(ds_store_resolve(&head, st, "HEAD~1", &err), ==, 0);
    g_assert_cmpstr(head, ==, hex);
    git_tree_free(tree);
    git_signature_free(sig);
    git_repository_free(repo);
}

static void test_txn_status(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(ds_store_txn) txn = NULL;
    g_autoptr(ds_manifest) w1 = make_manifest("web01", 3, false);
    g_autoptr(ds_manifest) w2 = make_manifest("web01", 3, true);
    g_autoptr(ds_manifest) d1 = make_manifest("db01", 3, false);
    g_autoptr(GBytes) b1 = NULL;
    g_autoptr(GBytes) b2 = NULL;
    g_autofree char *c1 = NULL;
    const GPtrArray *changes = NULL;
    const ds_change *ch;
    bool changed = false, is_new = true;

    g_assert_cmpint(ds_store_open(&st, fx->path, &err), ==, 0);
    c1 = commit_all(st, &w1, 1);
    g_assert_cmpint(ds_manifest_serialise(&b1, w1, &err), ==, 0);
    g_assert_cmpint(ds_manifest_serialise(&b2, w2, &err), ==, 0);
    g_assert_cmpint(ds_store_txn_begin(&txn, st, &err), ==, 0);
    g_assert_true(ds_store_txn_same_bytes(txn, DS_ROLE_PROD, "web01",
                                          g_bytes_get_data(b1, NULL),
                                          g_bytes_get_size(b1)));
    g_assert_false(ds_store_txn_same_bytes(txn, DS_ROLE_PROD, "web01",
                                           g_bytes_get_data(b2, NULL),
                                           g_bytes_get_size(b2)));
    g_assert_false(ds_store_txn_same_bytes(txn, DS_ROLE_LAB, "web01",
                                           g_bytes_get_data(b1, NULL),
                                           g_bytes_get_size(b1)));

    g_assert_cmpint(ds_store_txn_put(txn, w2, &err), ==, 0);
    g_assert_cmpint(ds_store_txn_put(txn, d1, &err), ==, 0);
    g_assert_cmpint(ds_store_txn_host_status(txn, DS_ROLE_PROD, "web01",
                                             &changed, &is_new, &changes,
                                             &err), ==, 0);
    g_assert_true(changed);
    g_assert_false(is_new);
    g_assert_nonnull(changes);
    g_assert_cmpuint(changes->len, ==, 1);
    ch = g_ptr_array_index(changes, 0);
    g_assert_cmpint(ch->kind, ==, DS_CHANGE_PACKAGE_UPGRADED);
    g_assert_cmpint(ds_store_txn_host_status(txn, DS_ROLE_PROD, "db01",
                                             &changed, &is_new, &changes,
                                             &err), ==, 0);
    g_assert_true(changed);
    g_assert_true(is_new);
    g_assert_cmpint(ds_store_txn_host_status(txn, DS_ROLE_LAB, "db01",
                                             &changed, &is_new, &changes,
                                             &err), ==, DS_ENOTFOUND);
    g_clear_error(&err);

    /* Putting the committed state back: staged, but not changed. */
    g_assert_cmpint(ds_store_txn_put(txn, w1, &err), ==, 0);
    g_assert_cmpint(ds_store_txn_host_status(txn, DS_ROLE_PROD, "web01",
                                             &changed, &is_new, &changes,
                                             &err), ==, 0);
    g_assert_false(changed);
    g_assert_null(changes);
}

/* A child process takes the lock and reports on a pipe. */
static pid_t fork_holder(const char *path, int hold_ms)
{
    int p[2];
    char c;
    pid_t pid;

    g_assert_cmpint(pipe(p), ==, 0);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        ds_store *st = NULL;

        close(p[0]);
        if (ds_store_open(&st, path, NULL) < 0 ||
            ds_store_lock(st, 0, NULL) < 0)
            _exit(1);
        if (write(p[1], "L", 1) != 1)
            _exit(1);
        g_usleep((gulong)hold_ms * 1000);
        ds_store_free(st);
        _exit(0);
    }
    close(p[1]);
    g_assert_cmpint(read(p[0], &c, 1), ==, 1);
    close(p[0]);
    return pid;
}

static void test_lock(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autofree char *lockfile = NULL;
    g_autofree char *text = NULL;
    char want[1024];
    gint64 t0;
    pid_t pid;
    int status;

    g_assert_cmpint(ds_store_open(&st, fx->path, &err), ==, 0);

    /* Held: we wait about timeout_ms, then are told who holds it. */
    pid = fork_holder(fx->path, 60000);
    t0 = g_get_monotonic_time();
    g_assert_cmpint(ds_store_lock(st, 300, &err), ==, DS_ECONFLICT);
    g_assert_cmpint(g_get_monotonic_time() - t0, >=, 250 * 1000);
    g_snprintf(want, sizeof(want), "store %s is locked by pid %ld on ",
               fx->path, (long)pid);
    g_assert_true(g_str_has_prefix(err->message, want));
    g_assert_nonnull(strstr(err->message, " since "));
    g_clear_error(&err);

    /* The holder dies without unlocking: its lock is taken over. */
    kill(pid, SIGKILL);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    lockfile = g_build_filename(fx->path, "driftsync.lock", NULL);
    g_assert_true(g_file_get_contents(lockfile, &text, NULL, NULL));
    g_assert_cmpint(atol(text), ==, pid); /* stale, still naming it */
    g_assert_cmpint(ds_store_lock(st, 1000, &err), ==, 0);
    g_clear_pointer(&text, g_free);
    g_assert_true(g_file_get_contents(lockfile, &text, NULL, NULL));
    g_assert_cmpint(atol(text), ==, getpid());
    ds_store_unlock(st);
    /* Freed before the next fork, so that the child (which leaves with
     * _exit) does not report them as lost under valgrind. */
    g_clear_pointer(&text, g_free);
    g_clear_pointer(&lockfile, g_free);

    /* A holder that finishes within our timeout: we get the lock. */
    pid = fork_holder(fx->path, 300);
    g_assert_cmpint(ds_store_lock(st, 10000, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* While we hold it, a transaction on another handle cannot start. */
    {
        g_autoptr(ds_store) st2 = NULL;

        g_assert_cmpint(ds_store_open(&st2, fx->path, &err), ==, 0);
        g_assert_cmpint(ds_store_lock(st2, 100, &err), ==, DS_ECONFLICT);
        g_snprintf(want, sizeof(want), "locked by pid %ld ", (long)getpid());
        g_assert_nonnull(strstr(err->message, want));
    }
}

/* Loose objects left in the store's fan-out directories. */
static guint count_loose(const char *path)
{
    g_autofree char *objects = g_build_filename(path, "objects", NULL);
    g_autoptr(GDir) d = g_dir_open(objects, 0, NULL);
    const char *name;
    guint n = 0;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *sub = g_build_filename(objects, name, NULL);
        g_autoptr(GDir) sd = NULL;

        if (strlen(name) != 2 || !(sd = g_dir_open(sub, 0, NULL)))
            continue;
        while (g_dir_read_name(sd))
            n++;
    }
    return n;
}

static bool has_pack(const char *path)
{
    g_autofree char *dir = g_build_filename(path, "objects", "pack", NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d)))
        if (g_str_has_suffix(name, ".pack"))
            return true;
    return false;
}

/* Files in the store's diff cache. */
static guint count_cached(const char *path)
{
    g_autofree char *top = g_build_filename(path, "driftsync-diff-cache", NULL);
    g_autoptr(GDir) d = g_dir_open(top, 0, NULL);
    const char *sub;
    guint n = 0;

    while (d && (sub = g_dir_read_name(d))) {
        g_autofree char *dir = g_build_filename(top, sub, NULL);
        g_autoptr(GDir) sd = g_dir_open(dir, 0, NULL);

        while (sd && g_dir_read_name(sd))
            n++;
    }
    return n;
}

/* Fill the diff cache with web01's pair at HEAD; its diff is the
 * package the first version lacks. */
static void read_web01_pair(ds_store *st, guint want_changes)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_manifest) prod = NULL;
    g_autoptr(ds_manifest) lab = NULL;
    g_autoptr(GPtrArray) changes = NULL;
    bool same = false;

    g_assert_cmpint(
        ds_store_read_pair(&prod, &lab, &same, st, "HEAD", "web01", &err), ==,
        0);
    g_assert_no_error(err);
    g_assert_false(same);
    g_assert_cmpint(ds_manifest_diff(&changes, lab, prod, NULL, &err), ==, 0);
    g_assert_cmpuint(changes->len, ==, want_changes);
}

/* Packing prunes the diff cache to the manifests HEAD holds: the entry
 * of a manifest a newer one replaced goes, the others stay and still
 * answer. */
static void test_pack_diffcache(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(ds_manifest) lab = make_manifest("web01", 3, false);
    guint packed = 0;

    g_assert_cmpint(ds_store_open(&st, fx->path, &err), ==, 0);
    lab->role = DS_ROLE_LAB;
    for (guint i = 0; i < 2; i++) {
        g_autoptr(ds_manifest) w = make_manifest("web01", 4 + i, false);
        ds_manifest *ms[] = {w, lab};
        g_autofree char *c = commit_all(st, ms, i == 0 ? 2 : 1);

        read_web01_pair(st, 1 + i);
    }
    /* prod's two versions and the lab's */
    g_assert_cmpuint(count_cached(fx->path), ==, 3);
    g_assert_cmpint(ds_store_lock(st, 1000, &err), ==, 0);
    g_assert_cmpint(ds_store_pack(&packed, st, &err), ==, 0);
    g_assert_no_error(err);
    ds_store_unlock(st);
    g_assert_cmpuint(count_cached(fx->path), ==, 2);
    read_web01_pair(st, 2);
    g_assert_cmpuint(count_cached(fx->path), ==, 2);
}

/* Packing moves every loose object into a pack: history, reads and
 * `git fsck --strict` are as before, and writing goes on. */
static void test_pack(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(GPtrArray) hist = NULL;
    g_autoptr(ds_manifest) old = NULL;
    g_autofree char *c3 = NULL;
    const char *fsck[] = {"git", "--git-dir", fx->path, "fsck", "--strict",
                          "--no-progress", NULL};
    g_autofree char *fsck_err = NULL;
    guint packed = 0;
    gint status = -1;

    g_assert_cmpint(ds_store_open(&st, fx->path, &err), ==, 0);
    for (guint i = 0; i < 3; i++) {
        g_autoptr(ds_manifest) w = make_manifest("web01", 3 + i, i == 1);
        g_autoptr(ds_manifest) d = make_manifest("db01", 2, false);
        ds_manifest *ms[] = {w, d};

        g_free(c3);
        c3 = commit_all(st, ms, i == 0 ? 2 : 1);
        g_assert_nonnull(c3);
    }
    g_assert_cmpuint(count_loose(fx->path), >, 0);
    /* Only under the lock. */
    g_assert_cmpint(ds_store_pack(&packed, st, &err), ==, DS_EINVALID);
    g_clear_error(&err);
    g_assert_cmpint(ds_store_lock(st, 1000, &err), ==, 0);
    /* Below the threshold: nothing to do. */
    g_assert_cmpint(ds_store_pack_auto(&packed, st, 1000000, &err), ==, 0);
    g_assert_cmpuint(packed, ==, 0);
    g_assert_cmpint(ds_store_pack(&packed, st, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(packed, >, 0);
    ds_store_unlock(st);
    g_assert_cmpuint(count_loose(fx->path), ==, 0);
    g_assert_true(has_pack(fx->path));

    g_assert_cmpint(ds_store_history(&hist, st, DS_ROLE_PROD, "web01", 0, 0,
                                     NULL, &err), ==, 0);
    g_assert_cmpuint(hist->len, ==, 3);
    g_assert_cmpstr(((ds_history_entry *)hist->pdata[0])->oid, ==, c3);
    g_assert_cmpint(ds_store_read(&old, st, "HEAD~1", DS_ROLE_PROD, "web01",
                                  &err), ==, 0);
    g_assert_cmpuint(old->packages->len, ==, 4);
    g_assert_true(g_spawn_sync(NULL, (char **)fsck, NULL, G_SPAWN_SEARCH_PATH |
                               G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                               &fsck_err, &status, &err));
    g_assert_cmpstr(fsck_err, ==, "");
    g_assert_true(g_spawn_check_wait_status(status, NULL));

    /* A commit on top of the pack. */
    {
        g_autoptr(ds_manifest) w = make_manifest("web01", 9, true);
        g_autofree char *c4 = commit_all(st, &w, 1);

        g_assert_nonnull(c4);
    }
}

/* The id made for comparing (the processor's SHA-1) is the id the store
 * keeps (libgit2's, with collision detection): the empty blob's known id,
 * and the same id on every length around SHA-1's 64-byte blocks. */
static void test_hash_compare(void)
{
    static const unsigned char empty[20] = {
        0xe6, 0x9d, 0xe2, 0x9b, 0xb2, 0xd1, 0xd6, 0x43, 0x4b, 0x8b,
        0x29, 0xae, 0x77, 0x5a, 0xd8, 0xc2, 0xe4, 0x8c, 0x53, 0x91};
    static const gsize lens[] = {0, 1, 52, 53, 55, 56, 63, 64, 65, 1000,
                                 131072, 200001};
    g_autofree unsigned char *buf = g_malloc(200001);
    ds_blob_id a, b;

    for (gsize i = 0; i < 200001; i++)
        buf[i] = (unsigned char)g_test_rand_int();
    g_assert_cmpint(ds_store_hash_compare(&a, "", 0), ==, 0);
    g_assert_cmpmem(a.raw, 20, empty, 20);
    for (gsize i = 0; i < G_N_ELEMENTS(lens); i++) {
        g_assert_cmpint(ds_store_hash(&a, buf, lens[i]), ==, 0);
        g_assert_cmpint(ds_store_hash_compare(&b, buf, lens[i]), ==, 0);
        g_assert_cmpmem(a.raw, 20, b.raw, 20);
    }
    buf[100] ^= 1;
    g_assert_cmpint(ds_store_hash_compare(&b, buf, 1000), ==, 0);
    g_assert_cmpint(ds_store_hash(&a, buf, 1000), ==, 0);
    g_assert_cmpmem(a.raw, 20, b.raw, 20);
}

/* The shortcut that spares `diff` a parse: prod and lab are the same
 * state when their bytes differ only in role, collected_at and collector;
 * any other difference (a package's version, a pending update) is not. */
static void test_same_state(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store) st = NULL;
    ds_manifest *ms[2];
    ds_service *svc;
    g_autofree char *c = NULL;

    g_assert_cmpint(ds_store_open(&st, fx->path, &err), ==, 0);
    ms[0] = make_manifest("web01", 5, false);
    ms[1] = make_manifest("web01", 5, false);
    ms[1]->role = DS_ROLE_LAB;
    g_free(ms[1]->collected_at);
    ms[1]->collected_at = g_strdup("2026-11-28T03:04:05Z");
    g_free(ms[1]->collector.transport);
    ms[1]->collector.transport = g_strdup("agent");
    g_free(ms[1]->collector.version);
    ms[1]->collector.version = g_strdup("0.2.0-long-version");
    c = commit_all(st, ms, 2);
    g_assert_true(ds_store_roles_same_bytes(st, c, "web01"));
    g_assert_false(ds_store_roles_same_bytes(st, c, "db01"));
    ds_manifest_free(ms[1]);
    g_clear_pointer(&c, g_free);

    /* One package's version differs: not the same. */
    ms[1] = make_manifest("web01", 5, true);
    ms[1]->role = DS_ROLE_LAB;
    c = commit_all(st, ms, 2);
    g_assert_false(ds_store_roles_same_bytes(st, c, "web01"));
    ds_manifest_free(ms[1]);
    g_clear_pointer(&c, g_free);

    /* A service's state differs. */
    ms[1] = make_manifest("web01", 5, false);
    ms[1]->role = DS_ROLE_LAB;
    svc = g_ptr_array_index(ms[1]->services, 0);
    g_free(svc->active);
    svc->active = g_strdup("inactive");
    c = commit_all(st, ms, 2);
    g_assert_false(ds_store_roles_same_bytes(st, c, "web01"));
    ds_manifest_free(ms[1]);
    ds_manifest_free(ms[0]);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    git_libgit2_init();
#define ADD(name, fn) \
    g_test_add("/store/" name, fixture, NULL, fx_setup, fn, fx_teardown)
    ADD("init-twice", test_init_twice);
    ADD("roundtrip", test_roundtrip);
    ADD("message", test_message);
    ADD("files-follow-manifest", test_files_follow_manifest);
    ADD("history", test_history);
    ADD("revisions", test_revisions);
    ADD("refusals", test_refusals);
    ADD("concurrent-writer", test_concurrent_writer);
    ADD("txn-status", test_txn_status);
    ADD("lock", test_lock);
    ADD("pack", test_pack);
    ADD("pack-diffcache", test_pack_diffcache);
    g_test_add_func("/store/hash-compare", test_hash_compare);
    ADD("same-state", test_same_state);
    return g_test_run();
}
