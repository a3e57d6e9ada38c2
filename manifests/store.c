/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store.c: the git store of manifests: creating and opening the
 * bare repository, resolving revisions and reading manifests, captured
 * files and host lists back out of it. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifests/store-private.h"

/* The biggest tree or commit libgit2 keeps in its object cache: the host
 * trees of some 100,000 hosts. */
#define TREE_CACHE_LIMIT (4 * 1024 * 1024)

int ds_store_git_error(GError **err, int code, const char *fmt, ...)
{
    const git_error *ge = git_error_last();
    g_autofree char *what = NULL;
    va_list ap;

    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return ds_error_set(err, code, "%s: %s", what,
                        ge && ge->message ? ge->message : "libgit2 error");
}

/* libgit2, set up for the store.  Every object read back is not hashed
 * again (git itself does not either; `git fsck` checks the store): with
 * the check, hashing was a fifth of `log` and of `diff`.  Objects the
 * store writes are built from ids it has just written or looked up, so
 * libgit2's existence checks on every tree entry are skipped as well. */
static void store_libgit2_init(void)
{
    git_libgit2_init();
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
    /* libgit2 caches no tree over 4 KiB: the prod/ and lab/ trees of a
     * thousand hosts (40 KiB each) were read and inflated again for every
     * host looked up, a fifth of a nightly record. */
    git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE,
                     (size_t)TREE_CACHE_LIMIT);
    /* Nor any commit over 4 KiB: a run's commit message names every host
     * it changed (70 KiB for a thousand), and the commit was inflated
     * again for each host `diff` compared at it, and each file. */
    git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_COMMIT,
                     (size_t)TREE_CACHE_LIMIT);
}

/* Remove a directory tree this process built (a store being made). */
static void remove_tree(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *child = g_build_filename(path, name, NULL);
        struct stat sb;

        if (lstat(child, &sb) == 0 && S_ISDIR(sb.st_mode))
            remove_tree(child);
        else
            unlink(child);
    }
    rmdir(path);
}

/* Whether path may become the store: absent or an empty directory. */
static int check_target(const char *path, GError **err)
{
    git_repository *repo = NULL;
    g_autoptr(GDir) dir = NULL;
    struct stat sb;

    if (git_repository_open_bare(&repo, path) == 0) {
        git_repository_free(repo);
        return ds_error_set(err, DS_ECONFLICT,
                            "%s: a store already exists there", path);
    }
    if (stat(path, &sb) < 0)
        return errno == ENOENT ? 0
                               : ds_error_set(err, DS_EGENERIC, "%s: %s", path,
                                              g_strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return ds_error_set(err, DS_ECONFLICT,
                            "%s: exists and is not a directory", path);
    dir = g_dir_open(path, 0, NULL);
    if (!dir || g_dir_read_name(dir))
        return ds_error_set(
            err, DS_ECONFLICT,
            "%s: exists and is not an empty directory (nor a store)", path);
    return 0;
}

/* syncfs(2) on the file system of dir: what was written there is on disk. */
static int sync_dir(const char *dir, const char *path, GError **err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;

    if (fd < 0 || syncfs(fd) < 0)
        rc = ds_error_set(err, DS_EGENERIC, "%s: cannot sync %s: %s", path, dir,
                          g_strerror(errno));
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Make a bare repository in the new directory tmp, configured. */
static int init_repository(const char *tmp, const char *path, GError **err)
{
    git_repository_init_options opts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
    git_repository *repo = NULL;
    git_config *cfg = NULL;
    int rc = 0;

    opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_NO_REINIT;
    opts.initial_head = "main";
    opts.description = "driftsync store: manifests of prod and lab hosts";
    if (git_repository_init_ext(&repo, tmp, &opts) < 0)
        rc = ds_store_git_error(err, DS_EGENERIC, "%s: cannot create the store",
                                path);
    /* Keep a reflog of the branch even though the repository is bare, so
     * every earlier state of the store can be found again. */
    else if (git_repository_config(&cfg, repo) < 0 ||
             git_config_set_bool(cfg, "core.logAllRefUpdates", 1) < 0)
        rc = ds_store_git_error(err, DS_EGENERIC,
                                "%s: cannot configure the store", path);
    git_config_free(cfg);
    git_repository_free(repo);
    return rc;
}

/* The store is built in a temporary directory beside path, synced and
 * renamed into place: a killed init leaves no half-made store at path,
 * only a hidden ".NAME.init-XXXXXX" beside it. */
int ds_store_init(const char *path, GError **err)
{
    return ds_store_init_full(path, NULL, NULL, err);
}

int ds_store_init_full(const char *path,
                       int (*fill)(const char *tmp, void *payload,
                                   GError **err),
                       void *payload, GError **err)
{
    g_autofree char *parent = NULL, *base = NULL, *tmp = NULL;
    int rc;

    if (!path || !*path)
        return ds_error_set(err, DS_EINVALID, "store path is empty");
    store_libgit2_init();
    if ((rc = check_target(path, err)) < 0)
        goto done;
    parent = g_path_get_dirname(path);
    base = g_path_get_basename(path);
    if (g_mkdir_with_parents(parent, 0777) < 0) {
        rc = ds_error_set(err, DS_EGENERIC, "%s: cannot create %s: %s", path,
                          parent, g_strerror(errno));
        goto done;
    }
    tmp = g_strdup_printf("%s/.%s.init-XXXXXX", parent, base);
    if (!g_mkdtemp_full(tmp, 0777)) {
        rc = ds_error_set(err, DS_EGENERIC,
                          "%s: cannot create a directory in %s: %s", path,
                          parent, g_strerror(errno));
        g_clear_pointer(&tmp, g_free);
        goto done;
    }
    /* Readable by its owner only until told otherwise. */
    if ((rc = init_repository(tmp, path, err)) < 0 ||
        (rc = ds_store_share(tmp, NULL, err)) < 0 ||
        (fill && ((rc = fill(tmp, payload, err)) < 0 ||
                  (rc = ds_store_share(tmp, NULL, err)) < 0)) ||
        (rc = sync_dir(tmp, path, err)) < 0)
        goto done;
    /* rename(2) replaces an empty directory, never a non-empty one. */
    if (rename(tmp, path) < 0) {
        int e = errno;

        rc = e == ENOTEMPTY || e == EEXIST
                 ? ds_error_set(
                       err, DS_ECONFLICT,
                       "%s: appeared while the store was made; nothing done",
                       path)
                 : ds_error_set(err, DS_EGENERIC, "%s: cannot create: %s", path,
                                g_strerror(e));
        goto done;
    }
    g_clear_pointer(&tmp, g_free);
    rc = sync_dir(parent, path, err);

done:
    if (tmp)
        remove_tree(tmp);
    git_libgit2_shutdown();
    return rc;
}

int ds_store_open(ds_store **out, const char *path, GError **err)
{
    git_repository *repo = NULL;
    ds_store *st;

    *out = NULL;
    if (!path || !*path)
        return ds_error_set(err, DS_EINVALID, "store path is empty");
    store_libgit2_init();
    if (git_repository_open_bare(&repo, path) < 0) {
        git_libgit2_shutdown();
        return ds_error_set(err, DS_ENOTFOUND,
                            "%s: not a driftsync store (run 'driftsync init' first)", path);
    }
    if (ds_store_mode_objects(repo, path, err) < 0) {
        git_repository_free(repo);
        git_libgit2_shutdown();
        return DS_EGENERIC;
    }
    st = g_new0(ds_store, 1);
    st->path = g_strdup(path);
    st->repo = repo;
    st->pack_threshold = DS_STORE_PACK_THRESHOLD;
    *out = st;
    return 0;
}

void ds_store_free(ds_store *st)
{
    if (!st)
        return;
    ds_store_unlock(st);
    ds_store_remote_clear(st);
    git_repository_free(st->repo);
    g_free(st->path);
    g_free(st);
    git_libgit2_shutdown();
}

const char *ds_store_path(const ds_store *st)
{
    return st->path;
}

/* "YYYY-MM-DD": the last commit at or before the end of that local day. */
static bool rev_is_date(const char *rev)
{
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? rev[i] != '-' : !g_ascii_isdigit(rev[i]))
            return false;
    return rev[10] == '\0';
}

static int resolve_date(git_oid *out, ds_store *st, const char *rev,
                        GError **err)
{
    g_autoptr(GDateTime) day = NULL;
    g_autoptr(GDateTime) end = NULL;
    git_revwalk *walk = NULL;
    git_oid id;
    gint64 limit;
    int y, m, d, rc;

    if (sscanf(rev, "%d-%d-%d", &y, &m, &d) != 3 ||
        !(day = g_date_time_new_local(y, m, d, 0, 0, 0)))
        return ds_error_set(err, DS_EINVALID, "%s: not a valid date", rev);
    end = g_date_time_add_days(day, 1);
    limit = g_date_time_to_unix(end); /* first second of the next day */

    if (git_revwalk_new(&walk, st->repo) < 0)
        return ds_store_git_error(err, DS_EGENERIC, "%s", st->path);
    git_revwalk_sorting(walk, GIT_SORT_TIME);
    if (git_revwalk_push_head(walk) < 0) {
        git_revwalk_free(walk);
        return ds_error_set(err, DS_ENOTFOUND,
                            "revision %s: the store has no commits yet", rev);
    }
    rc = DS_ENOTFOUND;
    while (git_revwalk_next(&id, walk) == 0) {
        git_commit *c = NULL;
        gint64 t;

        if (git_commit_lookup(&c, st->repo, &id) < 0)
            break;
        t = git_commit_time(c);
        git_commit_free(c);
        if (t < limit) {
            *out = id;
            rc = 0;
            break;
        }
    }
    git_revwalk_free(walk);
    if (rc < 0)
        return ds_error_set(err, DS_ENOTFOUND,
                            "revision %s: no commit at or before that day",
                            rev);
    return 0;
}

int ds_store_lookup_commit(git_commit **out, ds_store *st, const char *rev,
                           GError **err)
{
    git_object *obj = NULL;
    git_object *peeled = NULL;
    git_oid id;
    int rc;

    *out = NULL;
    if (!rev)
        rev = "HEAD";
    if (!*rev || strlen(rev) > 256 || strchr(rev, '\n'))
        return ds_error_set(err, DS_EINVALID, "invalid revision '%s'", rev);
    if (rev_is_date(rev)) {
        if ((rc = resolve_date(&id, st, rev, err)) < 0)
            return rc;
        if (git_commit_lookup(out, st->repo, &id) < 0)
            return ds_store_git_error(err, DS_EGENERIC, "revision %s", rev);
        return 0;
    }
    if (git_revparse_single(&obj, st->repo, rev) < 0) {
        if (git_repository_head_unborn(st->repo) == 1)
            return ds_error_set(err, DS_ENOTFOUND,
                                "revision %s: the store has no commits yet",
                                rev);
        return ds_store_git_error(err, DS_ENOTFOUND,
                                  "revision %s not found in the store", rev);
    }
    rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
    git_object_free(obj);
    if (rc < 0)
        return ds_store_git_error(err, DS_ENOTFOUND,
                                  "revision %s is not a commit", rev);
    *out = (git_commit *)peeled;
    return 0;
}

int ds_store_resolve(char **out_oid, ds_store *st, const char *rev,
                     GError **err)
{
    git_commit *c = NULL;
    char hex[GIT_OID_HEXSZ + 1];
    int rc;

    *out_oid = NULL;
    if ((rc = ds_store_lookup_commit(&c, st, rev, err)) < 0)
        return rc;
    git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
    git_commit_free(c);
    *out_oid = g_strdup(hex);
    return 0;
}

int ds_store_tree_blob_id(git_oid *out, const git_tree *tree,
                          const char *path, git_object_t type)
{
    git_tree_entry *e = NULL;
    int found = 0;

    memset(out, 0, sizeof(*out));
    if (!tree || git_tree_entry_bypath(&e, tree, path) < 0) {
        git_error_clear();
        return 1;
    }
    if (git_tree_entry_type(e) == type) {
        git_oid_cpy(out, git_tree_entry_id(e));
        found = 1;
    }
    git_tree_entry_free(e);
    return found ? 0 : 1;
}

int ds_store_parse_blob(ds_manifest **out, ds_store *st, const git_oid *id,
                        const char *origin, GError **err)
{
    git_blob *blob = NULL;
    int rc;

    *out = NULL;
    if (git_blob_lookup(&blob, st->repo, id) < 0)
        return ds_store_git_error(err, DS_EGENERIC, "%s", origin);
    rc = ds_manifest_parse(out, git_blob_rawcontent(blob),
                           (gsize)git_blob_rawsize(blob), origin, err);
    git_blob_free(blob);
    return rc;
}

bool ds_store_path_is_storable(const char *relpath)
{
    g_auto(GStrv) parts = NULL;

    if (!relpath || !*relpath)
        return false;
    parts = g_strsplit(relpath, "/", -1);
    for (char **p = parts; *p; p++) {
        g_autofree char *low = NULL;
        gsize n;

        if (!**p || !strcmp(*p, ".") || !strcmp(*p, ".."))
            return false;
        /* Names git treats as its own: ".git" and the spellings other file
         * systems fold onto it (".GIT", ".git.", "git~1"), ".gitmodules". */
        low = g_ascii_strdown(*p, -1);
        n = strlen(low);
        while (n > 0 && (low[n - 1] == '.' || low[n - 1] == ' '))
            low[--n] = '\0';
        if (!strcmp(low, ".git") || !strcmp(low, "git~1") ||
            !strcmp(low, ".gitmodules") || g_str_has_prefix(low, "gitmod~"))
            return false;
        if (g_str_has_prefix(low, ".git") && !g_str_is_ascii(low))
            return false;
    }
    return true;
}

static int check_host(const char *host, GError **err)
{
    if (!host || !ds_name_is_safe_host(host))
        return ds_error_set(err, DS_EINVALID, "invalid host name '%s'",
                            host ? host : "(null)");
    return 0;
}

/* The tree at rev, or NULL with 0 for rev NULL on a store without
 * commits (an empty store has no manifests, which is not an error). */
static int rev_tree(git_tree **out, ds_store *st, const char *rev,
                    GError **err)
{
    git_commit *c = NULL;
    int rc;

    *out = NULL;
    if (!rev && git_repository_head_unborn(st->repo) == 1)
        return 0;
    if ((rc = ds_store_lookup_commit(&c, st, rev, err)) < 0)
        return rc;
    rc = git_commit_tree(out, c);
    git_commit_free(c);
    if (rc < 0)
        return ds_store_git_error(err, DS_EGENERIC, "%s", st->path);
    return 0;
}

int ds_store_rev_tree(git_tree **out, ds_store *st, const char *rev,
                      GError **err)
{
    return rev_tree(out, st, rev, err);
}

int ds_store_read(ds_manifest **out, ds_store *st, const char *rev,
                  ds_role role, const char *host, GError **err)
{
    g_autofree char *path = NULL;
    g_autofree char *origin = NULL;
    git_tree *tree = NULL;
    git_oid id;
    int rc;

    *out = NULL;
    if ((rc = check_host(host, err)) < 0)
        return rc;
    if ((rc = rev_tree(&tree, st, rev, err)) < 0)
        return rc;
    path = g_strdup_printf("%s/%s.json", ds_role_name(role), host);
    if (ds_store_tree_blob_id(&id, tree, path, GIT_OBJECT_BLOB) != 0) {
        git_tree_free(tree);
        return ds_error_set(err, DS_ENOTFOUND, "no manifest for %s (%s) at %s",
                            host, ds_role_name(role), rev ? rev : "HEAD");
    }
    git_tree_free(tree);
    origin = g_strdup_printf("%s@%s", path, rev ? rev : "HEAD");
    return ds_store_parse_blob(out, st, &id, origin, err);
}

/* Where the role member is in canonical bytes, or NULL. */
/* The end of the line at p (after its newline), or end. */
static const char *line_end(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));

    return nl ? nl + 1 : end;
}

static bool line_starts(const char *p, const char *end, const char *prefix)
{
    size_t n = strlen(prefix);

    return (size_t)(end - p) >= n && !memcmp(p, prefix, n);
}

/* Past the top-level "collector" object that starts at p: the line after
 * its closing "  }" line (canonical form: members at two spaces). */
static const char *skip_collector(const char *p, const char *end)
{
    for (p = line_end(p, end); p < end; p = line_end(p, end))
        if (line_starts(p, end, "  }"))
            return line_end(p, end);
    return end;
}

/* Whether two canonical manifests describe the same state: the same
 * bytes line by line but for the top-level members no comparison looks
 * at (role, collected_at, collector).  Conservative: any other
 * difference, even one the semantic diff would not report, says no. */
bool ds_store_same_state_bytes(const char *p, gsize plen, const char *l,
                               gsize llen)
{
    const char *pend = p + plen;
    const char *lend = l + llen;
    static const char *const free_lines[] = {"  \"role\": ",
                                             "  \"collected_at\": "};

    while (p < pend && l < lend) {
        const char *pe = line_end(p, pend), *le = line_end(l, lend);
        bool skip = false;

        if (line_starts(p, pend, "  \"collector\": {") &&
            line_starts(l, lend, "  \"collector\": {")) {
            p = skip_collector(p, pend);
            l = skip_collector(l, lend);
            continue;
        }
        for (size_t i = 0; i < G_N_ELEMENTS(free_lines); i++)
            skip |= line_starts(p, pend, free_lines[i]) &&
                    line_starts(l, lend, free_lines[i]);
        if (!skip && (pe - p != le - l || memcmp(p, l, (size_t)(pe - p))))
            return false;
        p = pe;
        l = le;
    }
    return p == pend && l == lend;
}

bool ds_store_roles_same_bytes(ds_store *st, const char *rev,
                               const char *host)
{
    g_autofree char *ppath = NULL;
    g_autofree char *lpath = NULL;
    git_tree *tree = NULL;
    git_blob *prod = NULL, *lab = NULL;
    git_oid pid, lid;
    bool same = false;

    if (check_host(host, NULL) < 0 || rev_tree(&tree, st, rev, NULL) < 0)
        return false;
    ppath = g_strdup_printf("prod/%s.json", host);
    lpath = g_strdup_printf("lab/%s.json", host);
    if (ds_store_tree_blob_id(&pid, tree, ppath, GIT_OBJECT_BLOB) == 0 &&
        ds_store_tree_blob_id(&lid, tree, lpath, GIT_OBJECT_BLOB) == 0) {
        same = git_oid_equal(&pid, &lid) ||
               (git_blob_lookup(&prod, st->repo, &pid) == 0 &&
                git_blob_lookup(&lab, st->repo, &lid) == 0 &&
                ds_store_same_state_bytes(
                    git_blob_rawcontent(prod), (gsize)git_blob_rawsize(prod),
                    git_blob_rawcontent(lab), (gsize)git_blob_rawsize(lab)));
    }
    git_error_clear();
    git_blob_free(prod);
    git_blob_free(lab);
    git_tree_free(tree);
    return same;
}

int ds_store_read_file(GBytes **out, ds_store *st, const char *rev,
                       ds_role role, const char *host, const char *path,
                       GError **err)
{
    g_autofree char *tpath = NULL;
    git_tree *tree = NULL;
    git_blob *blob = NULL;
    git_oid id;
    int rc;

    *out = NULL;
    if ((rc = check_host(host, err)) < 0)
        return rc;
    if (!path || !ds_name_is_safe_path(path) ||
        !ds_store_path_is_storable(path + 1))
        return ds_error_set(err, DS_EINVALID, "%s: invalid file path '%s'",
                            host, path ? path : "(null)");
    if ((rc = rev_tree(&tree, st, rev, err)) < 0)
        return rc;
    tpath = g_strdup_printf("files/%s/%s%s", ds_role_name(role), host, path);
    rc = ds_store_tree_blob_id(&id, tree, tpath, GIT_OBJECT_BLOB);
    git_tree_free(tree);
    if (rc != 0)
        return ds_error_set(err, DS_ENOTFOUND,
                            "%s (%s): no stored content for %s at %s", host,
                            ds_role_name(role), path, rev ? rev : "HEAD");
    if (git_blob_lookup(&blob, st->repo, &id) < 0)
        return ds_store_git_error(err, DS_EGENERIC, "%s: %s", host, path);
    *out = g_bytes_new(git_blob_rawcontent(blob),
                       (gsize)git_blob_rawsize(blob));
    git_blob_free(blob);
    return 0;
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ds_store_list_hosts(GPtrArray **out, ds_store *st, const char *rev,
                        ds_role role, GError **err)
{
    g_autoptr(GPtrArray) hosts = g_ptr_array_new_with_free_func(g_free);
    git_tree *tree = NULL;
    git_tree *sub = NULL;
    git_tree_entry *e = NULL;
    int rc;

    *out = NULL;
    if ((rc = rev_tree(&tree, st, rev, err)) < 0)
        return rc;
    if (tree && git_tree_entry_bypath(&e, tree, ds_role_name(role)) == 0 &&
        git_tree_entry_type(e) == GIT_OBJECT_TREE &&
        git_tree_lookup(&sub, st->repo, git_tree_entry_id(e)) == 0) {
        size_t n = git_tree_entrycount(sub);

        for (size_t i = 0; i < n; i++) {
            const git_tree_entry *he = git_tree_entry_byindex(sub, i);
            const char *name = git_tree_entry_name(he);

            if (git_tree_entry_type(he) != GIT_OBJECT_BLOB ||
                !g_str_has_suffix(name, ".json"))
                continue;
            g_ptr_array_add(hosts,
                            g_strndup(name, strlen(name) - strlen(".json")));
        }
    }
    git_error_clear();
    git_tree_entry_free(e);
    git_tree_free(sub);
    git_tree_free(tree);
    g_ptr_array_sort(hosts, cmp_str);
    *out = g_steal_pointer(&hosts);
    return 0;
}

/* Durability: libgit2 writes loose objects and refs atomically (temporary
 * file, then rename), so a killed writer leaves HEAD on a whole commit.
 * Against power loss, GIT_OPT_ENABLE_FSYNC_GITDIR would fsync every loose
 * object and its directory: measured 10 to 15 times slower on a commit of
 * 300 hosts with 6,000 file blobs.  One syncfs(2) before the branch moves
 * gives the same ordering (objects durable first) for one call. */
int ds_store_sync_objects(ds_store *st, GError **err)
{
    int fd = open(git_repository_path(st->repo),
                  O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;

    if (fd < 0 || syncfs(fd) < 0)
        rc = ds_error_set(err, DS_EGENERIC, "store %s: cannot sync: %s",
                          st->path, g_strerror(errno));
    if (fd >= 0)
        close(fd);
    return rc;
}
