/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/tools/store-tool.c: a small writer for the store's shell tests:
 * creates a store, commits manifest files into it (optionally with
 * generated file contents), holds its lock, prints a host's history,
 * stores a bundle document as a trial would.
 * `commit --pause-before-ref` stops a writer inside its commit, objects
 * written and the branch not yet moved, so a test can kill it there. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "manifests/diff.h"
#include "manifests/store-bundle.h"
#include "manifests/store.h"

static int fail(GError *err)
{
    fprintf(stderr, "store-tool: %s\n", err ? err->message : "failed");
    return 2;
}

/* Give every non-secret regular file generated content (and the sha256
 * that goes with it), so that commits carry file blobs too. */
static void gen_content(ds_manifest *m, guint salt, guint max)
{
    for (guint i = 0; m->files && i < m->files->len && i < max; i++) {
        ds_file *f = g_ptr_array_index(m->files, i);
        GString *s;

        if (f->secret || f->type != DS_FILE_REGULAR)
            continue;
        s = g_string_new(NULL);
        for (guint k = 0; k < 40; k++)
            g_string_append_printf(s, "# %s line %u of %s (%u)\n", m->host,
                                   k, f->path, salt);
        g_clear_pointer(&f->content, g_bytes_unref);
        f->content = g_string_free_to_bytes(s);
        g_free(f->sha256);
        f->sha256 = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256,
                                                 f->content);
    }
}

/* Give each non-secret regular file of m the content of
 * ROOT/ROLE/HOST/PATH when that file exists (and the sha256 that goes
 * with it): what a benchmark compares with git on the same files. */
static int root_content(ds_manifest *m, const char *root)
{
    g_autoptr(GError) err = NULL;

    for (guint i = 0; m->files && i < m->files->len; i++) {
        ds_file *f = g_ptr_array_index(m->files, i);
        g_autofree char *path = NULL;
        char *data = NULL;
        gsize len;

        if (f->secret || f->type != DS_FILE_REGULAR)
            continue;
        path = g_strdup_printf("%s/%s/%s%s", root, ds_role_name(m->role),
                               m->host, f->path);
        if (!g_file_get_contents(path, &data, &len, &err)) {
            if (g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
                g_clear_error(&err);
                continue;
            }
            return fail(err);
        }
        g_clear_pointer(&f->content, g_bytes_unref);
        f->content = g_bytes_new_take(data, len);
        g_free(f->sha256);
        f->sha256 = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256,
                                                 f->content);
    }
    return 0;
}

/* The store's commit hook for --pause-before-ref: say where we are, then
 * wait for the signal that ends us. */
static void pause_before_ref(const char *oid, void *payload)
{
    (void)payload;
    printf("writing %s\n", oid);
    fflush(stdout);
    for (;;)
        pause();
}

static int cmd_commit(const char *store, int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(ds_store_txn) txn = NULL;
    g_autofree char *oid = NULL;
    const char *verb = "record", *run_id = "test-run", *root = NULL;
    int timeout = 0, salt = -1, max = G_MAXINT, i;
    bool stop_before_ref = false;

    for (i = 0; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--verb") && i + 1 < argc)
            verb = argv[++i];
        else if (!strcmp(argv[i], "--run") && i + 1 < argc)
            run_id = argv[++i];
        else if (!strcmp(argv[i], "--wait") && i + 1 < argc)
            timeout = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--content") && i + 1 < argc)
            salt = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--content-root") && i + 1 < argc)
            root = argv[++i];
        else if (!strcmp(argv[i], "--content-max") && i + 1 < argc)
            max = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--fsync-gitdir"))
            git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
        else if (!strcmp(argv[i], "--pause-before-ref"))
            stop_before_ref = true;
        else {
            fprintf(stderr, "store-tool: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (ds_store_open(&st, store, &err) < 0 ||
        ds_store_lock(st, timeout, &err) < 0 ||
        ds_store_txn_begin(&txn, st, &err) < 0)
        return fail(err);
    if (stop_before_ref)
        ds_store_set_commit_hook(st, pause_before_ref, NULL);
    for (; i < argc; i++) {
        g_autoptr(ds_manifest) m = NULL;

        if (ds_manifest_load(&m, argv[i], &err) < 0)
            return fail(err);
        if (salt >= 0)
            gen_content(m, (guint)salt, (guint)max);
        if (root && root_content(m, root) != 0)
            return 2;
        if (ds_store_txn_put(txn, m, &err) < 0)
            return fail(err);
    }
    if (ds_store_txn_commit(&oid, txn, verb, run_id, NULL, &err) < 0)
        return fail(err);
    printf("%s\n", oid ? oid : "unchanged");
    return 0;
}

/* Write n canonical manifests host0000.json ... into dir; `salt` picks
 * the host (salt % n) whose openssl is upgraded (0: none). */
static int cmd_gen(const char *dir, guint n, guint salt, guint npkg)
{
    g_autoptr(GError) err = NULL;

    if (g_mkdir_with_parents(dir, 0755) < 0) {
        fprintf(stderr, "store-tool: %s: cannot create\n", dir);
        return 2;
    }
    for (guint i = 0; i < n; i++) {
        g_autofree char *host = g_strdup_printf("host%04u", i);
        g_autofree char *file = g_strdup_printf("%s/%s.json", dir, host);
        g_autoptr(ds_manifest) m = ds_manifest_new(host, DS_ROLE_PROD);
        g_autoptr(GBytes) bytes = NULL;

        m->collected_at = g_strdup("2026-11-27T02:00:00Z");
        m->os.id = g_strdup("debian");
        m->os.version = g_strdup("12");
        m->os.name = g_strdup("Debian GNU/Linux 12 (bookworm)");
        m->kernel.running = g_strdup("6.1.0-26-amd64");
        g_ptr_array_add(m->kernel.installed, g_strdup("6.1.0-26-amd64"));
        g_ptr_array_add(m->sources, g_strdup("deb http://deb.debian.org/"
                                             "debian bookworm main"));
        g_ptr_array_add(m->packages, ds_package_new(
            "openssl", salt && i == salt % n ? "3.0.13-1" : "3.0.11-1",
            "amd64", NULL));
        for (guint k = 0; k < npkg; k++) {
            g_autofree char *name = g_strdup_printf("lib%c%03u",
                                                    'a' + k % 26, k);
            g_ptr_array_add(m->packages,
                            ds_package_new(name, "1.0-1", "amd64", NULL));
        }
        for (guint k = 0; k < 20; k++) {
            g_autofree char *path = g_strdup_printf("/etc/app%02u/conf%03u"
                                                    ".conf", k % 4, k);
            ds_file *f = ds_file_new(path);

            f->sha256 = g_compute_checksum_for_string(G_CHECKSUM_SHA256,
                                                      f->path, -1);
            f->mode = 0644;
            f->owner = g_strdup("root");
            f->group = g_strdup("root");
            g_ptr_array_add(m->files, f);
        }
        for (guint k = 0; k < 10; k++) {
            g_autofree char *name = g_strdup_printf("svc%02u.service", k);
            g_ptr_array_add(m->services,
                            ds_service_new(name, "enabled", "active"));
        }
        m->collector.version = g_strdup("0.1.0");
        m->collector.transport = g_strdup("import");
        if (ds_manifest_normalise(m, &err) < 0 ||
            ds_manifest_serialise(&bytes, m, &err) < 0)
            return fail(err);
        if (!g_file_set_contents(file, g_bytes_get_data(bytes, NULL),
                                 (gssize)g_bytes_get_size(bytes), &err))
            return fail(err);
    }
    return 0;
}

static int cmd_history(const char *store, const char *host)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(GPtrArray) h = NULL;

    if (ds_store_open(&st, store, &err) < 0 ||
        ds_store_history(&h, st, DS_ROLE_PROD, host, 0, 0, NULL, &err) < 0)
        return fail(err);
    for (guint i = 0; i < h->len; i++) {
        ds_history_entry *e = g_ptr_array_index(h, i);

        printf("%s %s (%u changes)\n", e->oid, e->summary, e->changes->len);
        for (guint k = 0; k < e->changes->len; k++) {
            g_autofree char *d = ds_change_describe(
                g_ptr_array_index(e->changes, k));
            printf("  %s\n", d);
        }
    }
    return 0;
}

static int cmd_hold(const char *store, int seconds)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store) st = NULL;

    if (ds_store_open(&st, store, &err) < 0 ||
        ds_store_lock(st, 0, &err) < 0)
        return fail(err);
    printf("locked\n");
    fflush(stdout);
    sleep((unsigned)seconds);
    return 0;
}

static int cmd_bundle(const char *store, const char *file)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(ds_bundle) b = NULL;
    g_autofree char *data = NULL, *oid = NULL;
    gsize len;

    if (!g_file_get_contents(file, &data, &len, &err) ||
        ds_bundle_parse(&b, data, len, file, &err) < 0 ||
        ds_store_open(&st, store, &err) < 0 ||
        ds_store_bundle_save(&oid, st, b, false, &err) < 0)
        return fail(err);
    printf("%s\n", oid);
    return 0;
}

int main(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;

    if (argc >= 3 && !strcmp(argv[1], "init"))
        return ds_store_init(argv[2], &err) < 0 ? fail(err) : 0;
    if (argc >= 3 && !strcmp(argv[1], "commit"))
        return cmd_commit(argv[2], argc - 3, argv + 3);
    if (argc >= 5 && !strcmp(argv[1], "gen"))
        return cmd_gen(argv[2], (guint)atoi(argv[3]), (guint)atoi(argv[4]),
                       argc > 5 ? (guint)atoi(argv[5]) : 50);
    if (argc == 4 && !strcmp(argv[1], "history"))
        return cmd_history(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "bundle"))
        return cmd_bundle(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "hold"))
        return cmd_hold(argv[2], atoi(argv[3]));
    fprintf(stderr, "usage: store-tool init STORE\n"
                    "       store-tool commit STORE [--verb V] [--run ID] "
                    "[--wait MS] [--content SALT [--content-max N]]\n"
                    "               [--content-root DIR]\n"
                    "               [--fsync-gitdir] [--pause-before-ref] "
                    "FILE...\n"
                    "       store-tool gen DIR N SALT [NPKG]\n"
                    "       store-tool history STORE HOST\n"
                    "       store-tool hold STORE SECONDS\n"
                    "       store-tool bundle STORE FILE\n");
    return 2;
}
