/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store-pending.c: since when each pending update of a host has
 * been pending, from the store's history: a first-parent walk back from
 * HEAD that parses a version of the host's manifest only when it changed,
 * and stops as soon as every update's run of pending versions has ended. */
#include <config.h>

#include "manifests/store-private.h"

static void track_free(gpointer p)
{
    g_free(p);
}

int ds_store_pending_since(GHashTable **out, ds_store *st, ds_role role,
                           const char *host, GError **err)
{
    g_autoptr(GHashTable) since =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, track_free);
    g_autoptr(GHashTable) open =
        g_hash_table_new(g_str_hash, g_str_equal); /* names still pending */
    g_autofree char *path = NULL;
    git_revwalk *walk = NULL;
    git_oid id, last = {{0}};
    gint64 blob_time = 0; /* when the manifest walked was collected */
    bool first = true;
    int rc = 0;

    *out = NULL;
    if (!host || !ds_name_is_safe_host(host))
        return ds_error_set(err, DS_EINVALID, "invalid host name '%s'",
                            host ? host : "(null)");
    path = g_strdup_printf("%s/%s.json", ds_role_name(role), host);
    if (git_repository_head_unborn(st->repo) == 1) {
        *out = g_steal_pointer(&since);
        return 0;
    }
    if (git_revwalk_new(&walk, st->repo) < 0 ||
        git_revwalk_push_head(walk) < 0) {
        rc = ds_store_git_error(err, DS_EGENERIC, "store %s", st->path);
        goto done;
    }
    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
    git_revwalk_simplify_first_parent(walk);
    while (git_revwalk_next(&id, walk) == 0) {
        git_commit *c = NULL;
        git_tree *t = NULL;
        git_oid blob;
        gint64 when;
        int state;

        if (git_commit_lookup(&c, st->repo, &id) < 0 ||
            git_commit_tree(&t, c) < 0) {
            git_commit_free(c);
            rc = ds_store_git_error(err, DS_EGENERIC, "store %s", st->path);
            goto done;
        }
        when = git_commit_time(c);
        state = ds_store_tree_blob_id(&blob, t, path, GIT_OBJECT_BLOB);
        git_tree_free(t);
        git_commit_free(c);
        if (state != 0)
            break; /* the host was not recorded before */
        if (first || !git_oid_equal(&blob, &last)) {
            g_autoptr(ds_manifest) m = NULL;
            g_autoptr(GPtrArray) gone = g_ptr_array_new();
            GHashTableIter it;
            gpointer k;

            if ((rc = ds_store_parse_blob(&m, st, &blob, path, err)) < 0)
                goto done;
            blob_time = ds_manifest_collected_time(m, when);
            if (first) {
                for (guint i = 0; m->pending && i < m->pending->len; i++) {
                    char *name = ((ds_pending *)m->pending->pdata[i])->name;
                    g_hash_table_insert(since, g_strdup(name),
                                        g_memdup2(&blob_time,
                                                  sizeof blob_time));
                }
                g_hash_table_iter_init(&it, since);
                while (g_hash_table_iter_next(&it, &k, NULL))
                    g_hash_table_add(open, k);
            }
            g_hash_table_iter_init(&it, open);
            while (g_hash_table_iter_next(&it, &k, NULL))
                if (!ds_manifest_find_pending(m, k))
                    g_ptr_array_add(gone, k);
            for (guint i = 0; i < gone->len; i++)
                g_hash_table_remove(open, gone->pdata[i]);
            last = blob;
            first = false;
        }
        if (g_hash_table_size(open) == 0)
            break;
        {
            GHashTableIter it;
            gpointer k;

            g_hash_table_iter_init(&it, open);
            while (g_hash_table_iter_next(&it, &k, NULL))
                *(gint64 *)g_hash_table_lookup(since, k) = blob_time;
        }
    }
    git_error_clear();
    *out = g_steal_pointer(&since);
done:
    git_revwalk_free(walk);
    return rc;
}
