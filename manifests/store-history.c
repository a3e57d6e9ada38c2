/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store-history.c: a host's history in the store: the commits
 * that changed ROLE/HOST.json (found by comparing that one blob id with
 * the first parent's, never by diffing whole trees) and, for each, the
 * semantic changes from the parent's manifest; the same for every host in
 * one walk.  The walk itself is store-walk.c's. */
#include <config.h>

#include <string.h>

#include "manifests/diff.h"
#include "manifests/store-private.h"
#include "manifests/util/parallel.h"

void ds_history_entry_free(ds_history_entry *e)
{
    if (!e)
        return;
    g_free(e->oid);
    g_free(e->summary);
    g_free(e->run_id);
    g_free(e->detail);
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

/* Where an entry's manifests are: the blob at the commit (cur) and at its
 * first parent (par), each present (state 0) or absent (1). */
typedef struct {
    git_oid cur, par;
    int cur_state, par_state;
} entry_blobs;

/* A blob to parse, and what came of it.  The blobs of a window of
 * entries are parsed in two threads: parsing is most of `log`. */
typedef struct {
    git_oid id;
    git_blob *blob;
    char *origin;
    ds_manifest *m;
    GError *err;
} parse_job;

#define HISTORY_WINDOW 32
#define HISTORY_THREADS 2

static void parse_one(guint i, guint worker, void *payload)
{
    parse_job *j = &((parse_job *)payload)[i];

    (void)worker;
    ds_manifest_parse(&j->m, git_blob_rawcontent(j->blob),
                      (gsize)git_blob_rawsize(j->blob), j->origin, &j->err);
}

static parse_job *find_job(GArray *jobs, const git_oid *id)
{
    for (guint i = 0; i < jobs->len; i++)
        if (git_oid_equal(&g_array_index(jobs, parse_job, i).id, id))
            return &g_array_index(jobs, parse_job, i);
    return NULL;
}

static void clear_job(parse_job *j)
{
    git_blob_free(j->blob);
    g_free(j->origin);
    ds_manifest_free(j->m);
    if (j->err)
        g_error_free(j->err);
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

/* The changes of entries [w0, w0 + HISTORY_WINDOW): every blob they need
 * is read, parsed (in threads) once, then each pair is compared. */
static int diff_window(GPtrArray *entries, GArray *blobs, guint w0,
                       ds_store *st, ds_role role, const char *host,
                       const char *path, const ds_ignore *ignore,
                       GError **err)
{
    guint w1 = MIN(entries->len, w0 + HISTORY_WINDOW);
    GArray *jobs = g_array_new(FALSE, TRUE, sizeof(parse_job));
    int rc = 0;

    for (guint i = w0; i < w1; i++) {
        const entry_blobs *b = &g_array_index(blobs, entry_blobs, i);

        for (int side = 0; side < 2; side++) {
            const git_oid *id = side ? &b->par : &b->cur;
            parse_job j = { { { 0 } }, NULL, NULL, NULL, NULL };
            char hex[GIT_OID_HEXSZ + 1];

            if ((side ? b->par_state : b->cur_state) != 0 ||
                find_job(jobs, id))
                continue;
            j.id = *id;
            if (git_blob_lookup(&j.blob, st->repo, id) < 0) {
                git_oid_tostr(hex, sizeof(hex), id);
                rc = ds_store_git_error(err, DS_EGENERIC, "%s (blob %.12s)",
                                        path, hex);
                goto done;
            }
            git_oid_tostr(hex, sizeof(hex), id);
            j.origin = g_strdup_printf("%s (blob %.12s)", path, hex);
            g_array_append_val(jobs, j);
        }
    }
    ds_parallel_for(jobs->len, HISTORY_THREADS, parse_one, jobs->data);

    for (guint i = w0; i < w1; i++) {
        const entry_blobs *b = &g_array_index(blobs, entry_blobs, i);
        ds_history_entry *e = g_ptr_array_index(entries, i);
        g_autoptr(ds_manifest) empty = NULL;
        const ds_manifest *from, *to;
        parse_job *jf = b->par_state == 0 ? find_job(jobs, &b->par) : NULL;
        parse_job *jt = b->cur_state == 0 ? find_job(jobs, &b->cur) : NULL;

        for (int side = 0; side < 2; side++) {
            parse_job *j = side ? jf : jt;

            if (j && j->err) {
                g_propagate_error(err, g_steal_pointer(&j->err));
                rc = DS_EINVALID;
                goto done;
            }
        }
        /* Before its first record (or after a removal) a host has no
         * packages, files or services, but the same os and kernel: the
         * changes are then what it has (or had), not a rewrite of every
         * field. */
        if (!jf || !jt)
            empty = ds_manifest_new(host, role);
        if (!jf && jt)
            same_system(empty, jt->m);
        else if (jf && !jt)
            same_system(empty, jf->m);
        from = jf ? jf->m : empty;
        to = jt ? jt->m : empty;
        if ((rc = ds_manifest_diff(&e->changes, from, to, ignore, err)) < 0) {
            ds_error_prefix(err, rc, "%s: %.12s: ", host, e->oid);
            goto done;
        }
    }

done:
    for (guint i = 0; i < jobs->len; i++)
        clear_job(&g_array_index(jobs, parse_job, i));
    g_array_free(jobs, TRUE);
    return rc;
}

/* One host's share of a walk over every host. */
typedef struct {
    GPtrArray *entries; /* ds_history_entry * */
    GArray *blobs;      /* entry_blobs */
} host_walk;

static void host_walk_free(host_walk *hw)
{
    if (!hw)
        return;
    if (hw->entries)
        g_ptr_array_unref(hw->entries);
    if (hw->blobs)
        g_array_unref(hw->blobs);
    g_free(hw);
}

/* What the commit message says of host: the rest of its line "HOST: ..."
 * or "HOST ROLE: ..." (when both roles changed), or NULL. */
static char *host_line(const char *msg, const char *host, const char *role)
{
    g_autofree char *plain = g_strdup_printf("%s: ", host);
    g_autofree char *with_role = g_strdup_printf("%s %s: ", host, role);
    const char *l = msg ? strchr(msg, '\n') : NULL; /* not the summary */

    for (; l; l = strchr(l, '\n')) {
        const char *rest = NULL, *end;

        l++;
        if (g_str_has_prefix(l, plain))
            rest = l + strlen(plain);
        else if (g_str_has_prefix(l, with_role))
            rest = l + strlen(with_role);
        if (!rest)
            continue;
        end = strchr(rest, '\n');
        return g_strndup(rest, end ? (size_t)(end - rest) : strlen(rest));
    }
    return NULL;
}

/* Add to hw the entry of a commit that changed the host's manifest;
 * with the host's line of the commit message when `detail`. */
static void add_entry(host_walk *hw, const ds_store_change *ch, bool detail)
{
    const git_commit *c = ch->commit;
    ds_history_entry *e;
    entry_blobs b = { { { 0 } }, { { 0 } }, 1, 1 };

    e = g_new0(ds_history_entry, 1);
    e->oid = g_malloc(GIT_OID_HEXSZ + 1);
    git_oid_tostr(e->oid, GIT_OID_HEXSZ + 1, git_commit_id(c));
    e->time = git_commit_time(c);
    e->summary = g_strdup(git_commit_summary((git_commit *)c)
                              ? git_commit_summary((git_commit *)c)
                              : "");
    e->run_id = run_trailer(git_commit_message(c));
    if (detail)
        e->detail = host_line(git_commit_message(c), ch->host,
                              ds_role_name(ch->role));
    g_ptr_array_add(hw->entries, e);
    if (ch->cur) {
        b.cur = *ch->cur;
        b.cur_state = 0;
    }
    if (ch->par) {
        b.par = *ch->par;
        b.par_state = 0;
    }
    g_array_append_val(hw->blobs, b);
}

/* Record in the table of hosts (the payload) that a commit changed one
 * host's manifest. */
static int note_change(void *payload, const ds_store_change *ch)
{
    GHashTable *hosts = payload;
    host_walk *hw = g_hash_table_lookup(hosts, ch->host);

    if (!hw) {
        hw = g_new0(host_walk, 1);
        hw->entries = g_ptr_array_new_with_free_func(
            (GDestroyNotify)ds_history_entry_free);
        hw->blobs = g_array_new(FALSE, FALSE, sizeof(entry_blobs));
        g_hash_table_insert(hosts, g_strdup(ch->host), hw);
    }
    add_entry(hw, ch, true);
    return 0;
}

/* ds_store_history's walk: one host's entries, at most `limit`. */
typedef struct {
    host_walk hw;
    guint limit;
} one_walk;

static int note_one(void *payload, const ds_store_change *ch)
{
    one_walk *ow = payload;

    add_entry(&ow->hw, ch, false);
    return ow->limit && ow->hw.entries->len >= ow->limit ? 1 : 0;
}

int ds_store_history(GPtrArray **out, ds_store *st, ds_role role,
                     const char *host, gint64 since, guint limit,
                     const ds_ignore *ignore, GError **err)
{
    g_autoptr(GPtrArray) entries =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_history_entry_free);
    g_autoptr(GArray) blobs = g_array_new(FALSE, FALSE, sizeof(entry_blobs));
    g_autofree char *path = NULL;
    one_walk ow = {{entries, blobs}, limit};
    ds_store_walk w = {{role}, 1, host, since, note_one, &ow, err};
    int rc;

    *out = NULL;
    if (!host || !ds_name_is_safe_host(host))
        return ds_error_set(err, DS_EINVALID, "invalid host name '%s'",
                            host ? host : "(null)");
    path = g_strdup_printf("%s/%s.json", ds_role_name(role), host);
    if ((rc = ds_store_walk_changes(st, &w)) < 0)
        return rc;
    for (guint w0 = 0; w0 < entries->len; w0 += HISTORY_WINDOW)
        if ((rc = diff_window(entries, blobs, w0, st, role, host, path,
                              ignore, err)) < 0)
            return rc;
    *out = g_steal_pointer(&entries);
    return 0;
}

int ds_store_history_all(GHashTable **out, ds_store *st, ds_role role,
                         gint64 since, bool diff, const ds_ignore *ignore,
                         GError **err)
{
    g_autoptr(GHashTable) hosts = g_hash_table_new_full(
        g_str_hash, g_str_equal, g_free, (GDestroyNotify)host_walk_free);
    GHashTable *result = NULL;
    const char *dir = ds_role_name(role);
    ds_store_walk w = {{role}, 1, NULL, since, note_change, NULL, err};
    GHashTableIter it;
    gpointer key, value;
    int rc = 0;

    *out = NULL;
    w.payload = hosts;
    /* One walk over the commits: only those whose ROLE/ tree moved are
     * looked into, and only the entries whose blob moved. */
    if ((rc = ds_store_walk_changes(st, &w)) < 0)
        goto done;

    result = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                   (GDestroyNotify)g_ptr_array_unref);
    g_hash_table_iter_init(&it, hosts);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        host_walk *hw = value;
        g_autofree char *path =
            g_strdup_printf("%s/%s.json", dir, (const char *)key);

        for (guint i = 0; !diff && i < hw->entries->len; i++) {
            ds_history_entry *e = g_ptr_array_index(hw->entries, i);

            e->changes =
                g_ptr_array_new_with_free_func((GDestroyNotify)ds_change_free);
        }
        for (guint w0 = 0; diff && w0 < hw->entries->len;
             w0 += HISTORY_WINDOW)
            if ((rc = diff_window(hw->entries, hw->blobs, w0, st, role, key,
                                  path, ignore, err)) < 0)
                goto done;
        g_hash_table_insert(result, g_strdup(key),
                            g_ptr_array_ref(hw->entries));
    }
    *out = g_steal_pointer(&result);

done:
    if (result)
        g_hash_table_unref(result);
    return rc;
}

/* ds_store_last_changes' walk: the hosts still looked for, and what was
 * found. */
typedef struct {
    GHashTable *wanted; /* host -> NULL, until found */
    GHashTable *found;  /* host -> commit id */
} last_walk;

static int note_last(void *payload, const ds_store_change *ch)
{
    last_walk *lw = payload;
    char *oid;

    if (!g_hash_table_remove(lw->wanted, ch->host))
        return 0; /* not asked for, or found already (newer) */
    oid = g_malloc(GIT_OID_HEXSZ + 1);
    git_oid_tostr(oid, GIT_OID_HEXSZ + 1, git_commit_id(ch->commit));
    g_hash_table_insert(lw->found, g_strdup(ch->host), oid);
    return g_hash_table_size(lw->wanted) == 0 ? 1 : 0;
}

int ds_store_last_changes(GHashTable **out, ds_store *st, ds_role role,
                          const char *const *hosts, guint n, GError **err)
{
    g_autoptr(GHashTable) wanted = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) found =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    last_walk lw = {wanted, found};
    ds_store_walk w = {{role}, 1, NULL, 0, note_last, &lw, err};
    int rc;

    *out = NULL;
    for (guint i = 0; i < n; i++) {
        if (!ds_name_is_safe_host(hosts[i]))
            return ds_error_set(err, DS_EINVALID, "invalid host name '%s'",
                                hosts[i]);
        g_hash_table_add(wanted, (gpointer)hosts[i]);
    }
    if (n == 1)
        w.host = hosts[0];
    if (g_hash_table_size(wanted) && (rc = ds_store_walk_changes(st, &w)) < 0)
        return rc;
    *out = g_steal_pointer(&found);
    return 0;
}
