/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store-bundle.c: tested bundles and trial records in the git
 * store, written with libgit2 straight into the object database (one
 * commit, the branch moved by compare-and-swap), read and listed. */
#include <config.h>

#include <string.h>

#include "manifests/store-bundle.h"
#include "manifests/store-private.h"

#define BUNDLE_LOCK_TIMEOUT_MS 30000

static int head_tree(git_commit **commit, git_tree **tree, ds_store *st,
                     const char *rev, GError **err)
{
    int rc;

    *commit = NULL;
    *tree = NULL;
    rc = ds_store_lookup_commit(commit, st, rev, err);
    if (rc < 0)
        return rc;
    if (git_commit_tree(tree, *commit) < 0)
        return ds_store_git_error(err, DS_EGENERIC, "store %s", st->path);
    return 0;
}

static char *commit_message(const ds_bundle *b)
{
    guint n = g_hash_table_size(b->packages);

    return g_strdup_printf(
        "%s %s: %s of %u package%s on %s%s%s\n\nDriftsync-Run: %s\n"
        "Driftsync-Hosts: %s\nDriftsync-Bundle: %s\n",
        b->passed ? "bundle" : "trial", b->passed ? b->name : b->host,
        b->passed ? "tested set" : "failed trial", n, n == 1 ? "" : "s",
        b->lab ? b->lab : "the lab", b->passed ? "" : ", bundle ",
        b->passed ? "" : b->name, b->run, b->host, b->name);
}

static int write_commit(char **out_oid, ds_store *st, const ds_bundle *b,
                        bool replace, GError **err)
{
    g_autoptr(GBytes) bytes = NULL;
    g_autofree char *bpath = g_strdup_printf("bundles/%s.json", b->name);
    g_autofree char *tpath = g_strdup_printf("trials/%s/%s.json", b->host,
                                             b->run);
    g_autofree char *msg = NULL, *email = NULL;
    git_commit *base = NULL;
    git_tree *tree = NULL, *newtree = NULL;
    git_signature *sig = NULL;
    git_tree_update ups[2];
    git_oid blob, tree_id, commit_id, old;
    char hex[GIT_OID_HEXSZ + 1];
    int rc;

    if ((rc = ds_bundle_serialise(&bytes, b, err)) < 0)
        return rc;
    rc = head_tree(&base, &tree, st, NULL, err);
    if (rc == DS_ENOTFOUND) {
        g_clear_error(err);
        rc = 0;
    }
    if (rc < 0)
        goto done;
    if (b->passed && !replace &&
        ds_store_tree_blob_id(&old, tree, bpath, GIT_OBJECT_BLOB) == 0) {
        rc = ds_error_set(err, DS_ECONFLICT,
                          "bundle %s exists already in the store (choose "
                          "another --bundle NAME)",
                          b->name);
        goto done;
    }
    if (git_blob_create_from_buffer(&blob, st->repo,
                                    g_bytes_get_data(bytes, NULL),
                                    g_bytes_get_size(bytes)) < 0) {
        rc = ds_store_git_error(err, DS_EGENERIC, "store %s: %s", st->path,
                                tpath);
        goto done;
    }
    memset(ups, 0, sizeof(ups));
    ups[0] = (git_tree_update){.action = GIT_TREE_UPDATE_UPSERT,
                               .id = blob,
                               .filemode = GIT_FILEMODE_BLOB,
                               .path = tpath};
    ups[1] = (git_tree_update){.action = GIT_TREE_UPDATE_UPSERT,
                               .id = blob,
                               .filemode = GIT_FILEMODE_BLOB,
                               .path = bpath};
    msg = commit_message(b);
    email = g_strdup_printf("driftsync@%s", g_get_host_name());
    if (git_tree_create_updated(&tree_id, st->repo, tree, b->passed ? 2 : 1,
                                ups) < 0 ||
        git_tree_lookup(&newtree, st->repo, &tree_id) < 0 ||
        (git_signature_now(&sig, "driftsync", email) < 0 &&
         git_signature_now(&sig, "driftsync", "driftsync@localhost") < 0) ||
        git_commit_create(&commit_id, st->repo, NULL, sig, sig, NULL, msg,
                          newtree, base ? 1 : 0,
                          (const git_commit **)&base) < 0) {
        rc = ds_store_git_error(err, DS_EGENERIC,
                                "store %s: writing the commit", st->path);
        goto done;
    }
    *strchr(msg, '\n') = '\0';
    if ((rc = ds_store_sync_objects(st, err)) < 0 ||
        (rc = ds_store_move_branch(st, base ? git_commit_id(base) : NULL,
                                   &commit_id, msg, err)) < 0)
        goto done;
    (void)ds_store_sync_objects(st, NULL);
    if (out_oid) {
        git_oid_tostr(hex, sizeof(hex), &commit_id);
        *out_oid = g_strdup(hex);
    }

done:
    git_signature_free(sig);
    git_tree_free(newtree);
    git_tree_free(tree);
    git_commit_free(base);
    return rc;
}

int ds_store_bundle_save(char **out_oid, ds_store *st, const ds_bundle *b,
                         bool replace, GError **err)
{
    bool own_lock = st->lock == NULL;
    int rc;

    if (out_oid)
        *out_oid = NULL;
    if (!b->run || !ds_name_is_safe_host(b->run) || !b->host ||
        !ds_name_is_safe_host(b->host))
        return ds_error_set(err, DS_EINVALID,
                            "bundle %s: no valid run id or host",
                            b->name ? b->name : "?");
    if (own_lock && (rc = ds_store_lock(st, BUNDLE_LOCK_TIMEOUT_MS, err)) < 0)
        return rc;
    rc = write_commit(out_oid, st, b, replace, err);
    if (own_lock)
        ds_store_unlock(st);
    return rc;
}

static int read_blob(ds_bundle **out, ds_store *st, const git_oid *id,
                     const char *origin, GError **err)
{
    git_blob *blob = NULL;
    int rc;

    if (git_blob_lookup(&blob, st->repo, id) < 0)
        return ds_store_git_error(err, DS_EGENERIC, "%s", origin);
    rc = ds_bundle_parse(out, git_blob_rawcontent(blob),
                         (gsize)git_blob_rawsize(blob), origin, err);
    git_blob_free(blob);
    return rc;
}

int ds_store_bundle_read(ds_bundle **out, ds_store *st, const char *rev,
                         const char *name, GError **err)
{
    g_autofree char *path = NULL, *origin = NULL;
    git_commit *c = NULL;
    git_tree *tree = NULL;
    git_oid id;
    int rc;

    *out = NULL;
    if (!name || !ds_name_is_safe_host(name))
        return ds_error_set(err, DS_EINVALID, "'%s' is not a bundle name",
                            name ? name : "");
    if ((rc = head_tree(&c, &tree, st, rev, err)) < 0)
        goto done;
    path = g_strdup_printf("bundles/%s.json", name);
    origin = g_strdup_printf("%s@%s", path, rev ? rev : "HEAD");
    if (ds_store_tree_blob_id(&id, tree, path, GIT_OBJECT_BLOB) != 0)
        rc = ds_error_set(err, DS_ENOTFOUND, "no bundle %s in the store", name);
    else if ((rc = read_blob(out, st, &id, origin, err)) == 0 &&
             strcmp((*out)->name, name) != 0) {
        g_clear_pointer(out, ds_bundle_free);
        rc = ds_error_set(err, DS_EINVALID, "%s: it names another bundle",
                          origin);
    }
done:
    git_tree_free(tree);
    git_commit_free(c);
    return rc;
}

/* Parse each blob *.json of tree into out. */
static int list_tree(GPtrArray *out, ds_store *st, const git_tree *tree,
                     const char *dir, GError **err)
{
    for (size_t i = 0; i < git_tree_entrycount(tree); i++) {
        const git_tree_entry *e = git_tree_entry_byindex(tree, i);
        const char *n = git_tree_entry_name(e);
        g_autofree char *origin = g_strdup_printf("%s/%s", dir, n);
        ds_bundle *b = NULL;
        int rc;

        if (git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
            !g_str_has_suffix(n, ".json"))
            continue;
        if ((rc = read_blob(&b, st, git_tree_entry_id(e), origin, err)) < 0)
            return rc;
        g_ptr_array_add(out, b);
    }
    return 0;
}

static gint cmp_tested(gconstpointer a, gconstpointer b)
{
    const ds_bundle *x = *(ds_bundle *const *)a, *y = *(ds_bundle *const *)b;
    int c = strcmp(x->tested_at, y->tested_at);

    return c ? c : strcmp(x->name, y->name);
}

static int list_dir(GPtrArray *out, ds_store *st, git_tree *root,
                    const char *dir, bool nested, GError **err)
{
    git_tree_entry *e = NULL;
    git_tree *t = NULL;
    int rc = 0;

    if (git_tree_entry_bypath(&e, root, dir) < 0) {
        git_error_clear();
        return 0;
    }
    if (git_tree_entry_type(e) == GIT_OBJECT_TREE &&
        git_tree_lookup(&t, st->repo, git_tree_entry_id(e)) == 0) {
        for (size_t i = 0; nested && rc == 0 && i < git_tree_entrycount(t);
             i++) {
            const git_tree_entry *s = git_tree_entry_byindex(t, i);
            g_autofree char *sub =
                g_strdup_printf("%s/%s", dir, git_tree_entry_name(s));
            if (git_tree_entry_type(s) == GIT_OBJECT_TREE)
                rc = list_dir(out, st, root, sub, false, err);
        }
        if (!nested)
            rc = list_tree(out, st, t, dir, err);
    }
    git_tree_free(t);
    git_tree_entry_free(e);
    return rc;
}

int ds_store_bundle_list(GPtrArray **out, ds_store *st, const char *rev,
                         bool trials, GError **err)
{
    g_autoptr(GPtrArray) all =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_bundle_free);
    git_commit *c = NULL;
    git_tree *tree = NULL;
    int rc;

    *out = NULL;
    rc = head_tree(&c, &tree, st, rev, err);
    if (rc == DS_ENOTFOUND && !rev) {
        g_clear_error(err);
        *out = g_steal_pointer(&all);
        return 0;
    }
    if (rc == 0)
        rc = list_dir(all, st, tree, trials ? "trials" : "bundles", trials,
                      err);
    git_tree_free(tree);
    git_commit_free(c);
    if (rc < 0)
        return rc;
    g_ptr_array_sort(all, cmp_tested);
    *out = g_steal_pointer(&all);
    return 0;
}
