/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store-history.c: a host's history in the store: the commits
 * that changed ROLE/HOST.json (found by comparing that one blob id with
 * the first parent's, never by diffing whole trees) and, for each, the
 * semantic changes from the parent's manifest. */
#include "config.h"

#include <string.h>

#include "manifests/diff.h"
#include "manifests/store-private.h"

void ds_history_entry_free(ds_history_entry *e)
{
    if (!e)
        return;
    g_free(e->oid);
    g_free(e->summary);
    g_free(e->run_id);
    if (e->changes)
        g_ptr_array_unref(e->changes);
    g_free(e);
}

/* The value of the Driftsync-Run: trailer, or NULL. */
static char *run_trailer(const char *msg)
{
    git_message_trailer_array tr = { 0 };
    char *val = NULL;

    if (git_message_trailers(&tr, msg) < 0) {
        git_error_clear();
        return NULL;
    }
    for (size_t i = 0; i < tr.count; i++)
        if (!g_ascii_strcasecmp(tr.trailers[i].key, "Driftsync-Run")) {
            val = g_strdup(tr.trailers[i].value);
            break;
        }
    git_message_trailer_array_free(&tr);
    return val;
}

/* The id of path in commit c's tree: 0 present, 1 absent, <0 error. */
static int entry_at(git_oid *out, ds_store *st, const git_oid *commit,
                    const char *path)
{
    git_commit *c = NULL;
    git_tree *t = NULL;
    int rc;

    if (git_commit_lookup(&c, st->repo, commit) < 0 ||
        git_commit_tree(&t, c) < 0) {
        git_commit_free(c);
        return -1;
    }
    rc = ds_store_tree_blob_id(out, t, path, GIT_OBJECT_BLOB);
    git_tree_free(t);
    git_commit_free(c);
    return rc;
}

/* The manifest in blob id (an empty one for a zero id), parsed once: the
 * "from" of one entry is the "to" of the next older one. */
typedef struct {
    git_oid id;
    ds_manifest *m;
} cached_manifest;

static int manifest_for(ds_manifest **out, cached_manifest *cache,
                        ds_store *st, const git_oid *id, bool present,
                        ds_role role, const char *host, const char *path,
                        GError **err)
{
    g_autofree char *origin = NULL;
    char hex[GIT_OID_HEXSZ + 1];
    int rc;

    if (!present) {
        *out = ds_manifest_new(host, role);
        return 0;
    }
    if (cache->m && git_oid_equal(&cache->id, id)) {
        *out = g_steal_pointer(&cache->m);
        return 0;
    }
    git_oid_tostr(hex, sizeof(hex), id);
    origin = g_strdup_printf("%s (blob %.12s)", path, hex);
    rc = ds_store_parse_blob(out, st, id, origin, err);
    return rc;
}

static void copy_str(char **dst, const char *src)
{
    g_free(*dst);
    *dst = g_strdup(src);
}

static void same_system(ds_manifest *empty, const ds_manifest *like)
{
    copy_str(&empty->collected_at, like->collected_at);
    copy_str(&empty->os.id, like->os.id);
    copy_str(&empty->os.version, like->os.version);
    copy_str(&empty->os.name, like->os.name);
    copy_str(&empty->kernel.running, like->kernel.running);
    for (guint i = 0; like->kernel.installed && i < like->kernel.installed->len;
         i++)
        g_ptr_array_add(empty->kernel.installed,
                        g_strdup(g_ptr_array_index(like->kernel.installed, i)));
    empty->reboot_required = like->reboot_required;
    copy_str(&empty->collector.version, like->collector.version);
    copy_str(&empty->collector.transport, like->collector.transport);
}

int ds_store_history(GPtrArray **out, ds_store *st, ds_role role,
                     const char *host, gint64 since, guint limit,
                     const ds_ignore *ignore, GError **err)
{
    g_autoptr(GPtrArray) entries =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_history_entry_free);
    g_autofree char *path = NULL;
    cached_manifest cache = { 0 };
    git_revwalk *walk = NULL;
    git_oid id;
    /* The entry of the commit walked next, known from its child. */
    git_oid next_commit = { { 0 } }, next_entry;
    int next_state = -2; /* -2 unknown, else entry_at's result */
    int rc = 0;

    *out = NULL;
    if (!host || !ds_name_is_safe_host(host))
        return ds_error_set(err, DS_EINVALID, "invalid host name '%s'",
                            host ? host : "(null)");
    path = g_strdup_printf("%s/%s.json", ds_role_name(role), host);
    if (git_repository_head_unborn(st->repo) == 1) {
        *out = g_steal_pointer(&entries);
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
        git_oid cur, par = { { 0 } };
        int cur_state, par_state = 1;
        ds_history_entry *e;
        g_autoptr(ds_manifest) from = NULL;
        g_autoptr(ds_manifest) to = NULL;

        if (limit && entries->len >= limit)
            break;
        if (git_commit_lookup(&c, st->repo, &id) < 0) {
            rc = ds_store_git_error(err, DS_EGENERIC, "store %s", st->path);
            goto done;
        }
        if (since && git_commit_time(c) < since) {
            git_commit_free(c);
            break;
        }
        if (next_state != -2 && git_oid_equal(&next_commit, &id)) {
            cur_state = next_state;
            cur = next_entry;
        } else {
            cur_state = entry_at(&cur, st, &id, path);
        }
        if (git_commit_parentcount(c) > 0) {
            next_commit = *git_commit_parent_id(c, 0);
            par_state = entry_at(&par, st, &next_commit, path);
            next_state = par_state;
            next_entry = par;
        } else {
            next_state = -2;
        }
        if (cur_state < 0 || par_state < 0) {
            git_commit_free(c);
            rc = ds_store_git_error(err, DS_EGENERIC, "store %s", st->path);
            goto done;
        }
        if (cur_state == par_state &&
            (cur_state == 1 || git_oid_equal(&cur, &par))) {
            git_commit_free(c);
            continue; /* this commit did not touch the host */
        }

        e = g_new0(ds_history_entry, 1);
        g_ptr_array_add(entries, e);
        e->oid = g_malloc(GIT_OID_HEXSZ + 1);
        git_oid_tostr(e->oid, GIT_OID_HEXSZ + 1, &id);
        e->time = git_commit_time(c);
        e->summary = g_strdup(git_commit_summary(c) ? git_commit_summary(c)
                                                     : "");
        e->run_id = run_trailer(git_commit_message(c));
        git_commit_free(c);

        if ((rc = manifest_for(&to, &cache, st, &cur, cur_state == 0, role,
                               host, path, err)) < 0 ||
            (rc = manifest_for(&from, &cache, st, &par, par_state == 0, role,
                               host, path, err)) < 0)
            goto done;
        /* Before its first record (or after a removal) a host has no
         * packages, files or services, but the same os and kernel: the
         * changes are then what it has (or had), not a rewrite of every
         * field. */
        if (par_state != 0)
            same_system(from, to);
        else if (cur_state != 0)
            same_system(to, from);
        if ((rc = ds_manifest_diff(&e->changes, from, to, ignore, err)) < 0) {
            ds_error_prefix(err, rc, "%s: %.12s: ", host, e->oid);
            goto done;
        }
        /* Keep the parent's manifest: the next older entry's "to". */
        ds_manifest_free(cache.m);
        cache.m = par_state == 0 ? g_steal_pointer(&from) : NULL;
        cache.id = par;
    }
    git_error_clear();
    *out = g_steal_pointer(&entries);

done:
    ds_manifest_free(cache.m);
    git_revwalk_free(walk);
    return rc;
}
