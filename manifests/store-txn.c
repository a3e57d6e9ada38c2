/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store-txn.c: write transactions on the store: blobs are
 * written as manifests are staged, the tree and the commit once at the
 * end, and the branch moves by compare-and-swap to that whole commit. */
#include <config.h>

#include <string.h>

#include "manifests/diff.h"
#include "manifests/store-private.h"

/* How long ds_store_txn_begin waits for the writer lock when the caller
 * did not take it. */
#define TXN_LOCK_TIMEOUT_MS 30000
/* Changes listed per host in a commit message before "and N more". */
#define MSG_MAX_CHANGES 6

typedef struct staged {
    ds_role role;
    char *host;
    git_oid manifest_id;
    bool has_files;     /* files/ROLE/HOST is a tree with files_id */
    git_oid files_id;
    bool changed;       /* differs from the base commit */
    bool first;         /* no manifest at the base commit */
    guint npackages, nfiles, nservices;
    GPtrArray *changes; /* ds_change *, before ignore rules */
    char *note;         /* when the old manifest could not be compared */
} staged;


static void staged_free(gpointer p)
{
    staged *s = p;

    if (!s)
        return;
    g_free(s->host);
    if (s->changes)
        g_ptr_array_unref(s->changes);
    g_free(s->note);
    g_free(s);
}

static int txn_begin(ds_store_txn **out, ds_store *st, bool read_only,
                     GError **err)
{
    ds_store_txn *txn;
    git_commit *base = NULL;
    int rc;

    *out = NULL;
    if (st->in_txn)
        return ds_error_set(err, DS_ECONFLICT,
                            "store %s: a transaction is already open",
                            st->path);
    txn = g_new0(ds_store_txn, 1);
    txn->st = st;
    txn->staged = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        staged_free);
    txn->read_only = read_only;
    if (!read_only && !st->lock) {
        if ((rc = ds_store_lock(st, TXN_LOCK_TIMEOUT_MS, err)) < 0)
            goto fail;
        txn->own_lock = true;
    }
    if (git_reference_name_to_id(&txn->base_id, st->repo, "HEAD") == 0) {
        txn->have_base = true;
        if (git_commit_lookup(&base, st->repo, &txn->base_id) < 0 ||
            git_commit_tree(&txn->base_tree, base) < 0) {
            rc = ds_store_git_error(err, DS_EGENERIC, "store %s: HEAD",
                                    st->path);
            git_commit_free(base);
            goto fail;
        }
        git_commit_free(base);
    } else if (git_repository_head_unborn(st->repo) != 1) {
        rc = ds_store_git_error(err, DS_EGENERIC, "store %s: HEAD", st->path);
        goto fail;
    }
    git_error_clear();
    st->in_txn = true;
    *out = txn;
    return 0;

fail:
    txn->st->in_txn = true; /* so that free's bookkeeping is uniform */
    ds_store_txn_free(txn);
    return rc;
}

int ds_store_txn_begin(ds_store_txn **out, ds_store *st, GError **err)
{
    return txn_begin(out, st, false, err);
}

int ds_store_txn_begin_read(ds_store_txn **out, ds_store *st, GError **err)
{
    return txn_begin(out, st, true, err);
}

char *ds_store_txn_base(const ds_store_txn *txn)
{
    char hex[GIT_OID_HEXSZ + 1];

    if (!txn->have_base)
        return NULL;
    return g_strdup(git_oid_tostr(hex, sizeof(hex), &txn->base_id));
}

void ds_store_txn_free(ds_store_txn *txn)
{
    if (!txn)
        return;
    if (txn->own_lock)
        ds_store_unlock(txn->st);
    txn->st->in_txn = false;
    git_tree_free(txn->base_tree);
    g_hash_table_unref(txn->staged);
    g_free(txn);
}

/* Write data as a blob unless the object database already has it
 * (git_odb_write hashes once and skips an object it has: hashing first
 * here as well cost a sixth of a first record). */
static int write_blob(git_oid *out, git_odb *odb, const void *data,
                      size_t len)
{
    return git_odb_write(out, odb, data, len, GIT_OBJECT_BLOB);
}

static bool sha256_matches(GBytes *content, const char *want)
{
    g_autofree char *got = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256,
                                                         content);

    return g_ascii_strcasecmp(got, want) == 0;
}

/* Blobs for the captured contents of m's files, and the tree of them that
 * becomes files/ROLE/HOST.  *has_tree is false when no file has content. */
static int write_files(git_oid *out, bool *has_tree, ds_store *st,
                       git_odb *odb, const ds_manifest *m, GError **err)
{
    g_autofree git_tree_update *ups = NULL;
    size_t n = 0;
    guint nfiles = m->files ? m->files->len : 0;

    *has_tree = false;
    ups = g_new0(git_tree_update, MAX(nfiles, 1));
    for (guint i = 0; i < nfiles; i++) {
        const ds_file *f = g_ptr_array_index(m->files, i);
        git_oid id;

        if (!f->content && !f->content_ref)
            continue;
        if (f->secret) {
            if (!f->content)
                continue; /* a reference only: nothing to store */
            return ds_error_set(err, DS_EINVALID,
                                "%s: %s: refusing to store the content of a secret file", m->host, f->path);
        }
        if (!f->path || !ds_name_is_safe_path(f->path) ||
            !ds_store_path_is_storable(f->path + 1))
            return ds_error_set(err, DS_EINVALID,
                                "%s: file path '%s' cannot be stored",
                                m->host, f->path ? f->path : "(null)");
        if (f->content) {
            gsize len;
            const void *data = g_bytes_get_data(f->content, &len);

            if (f->sha256 && !sha256_matches(f->content, f->sha256))
                return ds_error_set(err, DS_EINVALID,
                                    "%s: %s: content does not match its sha256", m->host, f->path);
            if (write_blob(&id, odb, data, len) < 0)
                return ds_store_git_error(err, DS_EGENERIC, "%s: %s",
                                          m->host, f->path);
        } else {
            /* Content kept from an earlier run: reuse the blob if the
             * store has it, otherwise there is nothing to store. */
            size_t size;
            git_object_t type;

            if (git_oid_fromstr(&id, f->content_ref) < 0 ||
                git_odb_read_header(&size, &type, odb, &id) < 0 ||
                type != GIT_OBJECT_BLOB) {
                git_error_clear();
                continue;
            }
        }
        ups[n].action = GIT_TREE_UPDATE_UPSERT;
        ups[n].id = id;
        ups[n].filemode = GIT_FILEMODE_BLOB;
        ups[n].path = f->path + 1;
        n++;
    }
    if (n == 0)
        return 0;
    if (git_tree_create_updated(out, st->repo, NULL, n, ups) < 0)
        return ds_store_git_error(err, DS_EINVALID,
                                  "%s: cannot store the captured files",
                                  m->host);
    *has_tree = true;
    return 0;
}

/* Entries of a top-level object of canonical bytes: the lines at four
 * spaces of indent that open a key, between "\n  \"NAME\": {" and the
 * object's closing line. */
static guint canonical_count(const char *data, gsize len, const char *name)
{
    g_autofree char *open = g_strdup_printf("\n  \"%s\": {", name);
    const char *p = memmem(data, len, open, strlen(open));
    const char *end = data + len;
    guint n = 0;

    if (!p)
        return 0;
    p += strlen(open);
    while (p < end && (p = memchr(p, '\n', (gsize)(end - p)))) {
        if (end - p > 5 && !memcmp(p, "\n    \"", 6))
            n++;
        else if (end - p > 3 && !memcmp(p, "\n  }", 4))
            break;
        p++;
    }
    return n;
}

static void txn_stage(ds_store_txn *txn, ds_role role, const char *host,
                      const ds_manifest *m, const git_oid *files_id,
                      bool has_files, const git_oid *manifest_id,
                      const void *data, gsize len, GPtrArray *changes,
                      const ds_store_counts *counts);

/* Write the manifest blob `data` (canonical bytes) of role/host and stage
 * it (txn_stage). */
static int txn_put(ds_store_txn *txn, ds_role role, const char *host,
                   const ds_manifest *m, const git_oid *files_id,
                   bool has_files, const void *data, gsize len, GError **err)
{
    ds_store *st = txn->st;
    git_odb *odb = NULL;
    git_oid id;
    int rc;

    if (git_repository_odb(&odb, st->repo) < 0)
        return ds_store_git_error(err, DS_EGENERIC, "store %s", st->path);
    rc = write_blob(&id, odb, data, len);
    git_odb_free(odb);
    if (rc < 0)
        return ds_store_git_error(err, DS_EGENERIC, "%s: manifest", host);
    txn_stage(txn, role, host, m, files_id, has_files, &id, data, len, NULL,
              NULL);
    return 0;
}

/* Stage the manifest blob manifest_id (canonical bytes data, already
 * written) of role/host, with the tree of captured files `files_id` when
 * has_files.  changes, when given, are the semantic changes from the base
 * commit's manifest as the caller found them (taken); otherwise `m`,
 * parsed from data when NULL, is compared with it, only if the host had
 * another manifest (for the message).  A new host's entries are m's, or
 * counts, or else counted in data. */
static void txn_stage(ds_store_txn *txn, ds_role role, const char *host,
                      const ds_manifest *m, const git_oid *files_id,
                      bool has_files, const git_oid *manifest_id,
                      const void *data, gsize len, GPtrArray *changes,
                      const ds_store_counts *counts)
{
    ds_store *st = txn->st;
    g_autofree char *mpath = NULL;
    g_autofree char *fpath = NULL;
    git_oid old_m, old_f;
    bool had_m, had_f;
    staged *s;

    s = g_new0(staged, 1);
    s->role = role;
    s->host = g_strdup(host);
    s->has_files = has_files;
    if (has_files)
        s->files_id = *files_id;
    s->manifest_id = *manifest_id;

    mpath = g_strdup_printf("%s/%s.json", ds_role_name(role), host);
    fpath = g_strdup_printf("files/%s/%s", ds_role_name(role), host);
    had_m = ds_store_tree_blob_id(&old_m, txn->base_tree, mpath,
                                  GIT_OBJECT_BLOB) == 0;
    had_f = ds_store_tree_blob_id(&old_f, txn->base_tree, fpath,
                                  GIT_OBJECT_TREE) == 0;
    s->changed = !had_m || !git_oid_equal(&old_m, &s->manifest_id) ||
                 had_f != s->has_files ||
                 (had_f && !git_oid_equal(&old_f, &s->files_id));
    if (s->changed && !had_m) {
        s->first = true;
        if (m) {
            s->npackages = m->packages ? m->packages->len : 0;
            s->nfiles = m->files ? m->files->len : 0;
            s->nservices = m->services ? m->services->len : 0;
        } else if (counts) {
            s->npackages = counts->npackages;
            s->nfiles = counts->nfiles;
            s->nservices = counts->nservices;
        } else {
            s->npackages = canonical_count(data, len, "packages");
            s->nfiles = canonical_count(data, len, "files");
            s->nservices = canonical_count(data, len, "services");
        }
    } else if (s->changed && !git_oid_equal(&old_m, &s->manifest_id) &&
               changes) {
        s->changes = g_ptr_array_ref(changes);
    } else if (s->changed && !git_oid_equal(&old_m, &s->manifest_id)) {
        g_autoptr(ds_manifest) old = NULL;
        g_autoptr(ds_manifest) parsed = NULL;
        g_autoptr(GError) e = NULL;
        g_autofree char *origin = g_strdup_printf("%s@HEAD", mpath);

        /* The message is a courtesy: an old manifest that no longer parses
         * or compares must not stop the new one from being recorded. */
        if (!m && ds_manifest_parse(&parsed, data, len, mpath, &e) == 0)
            m = parsed;
        if (!m || ds_store_parse_blob(&old, st, &old_m, origin, &e) < 0 ||
            ds_manifest_diff(&s->changes, old, m, NULL, &e) < 0)
            s->note = g_strdup_printf("manifest replaced (previous one not "
                                      "comparable: %s)", e->message);
    }
    g_hash_table_replace(txn->staged,
                         g_strdup_printf("%s/%s", ds_role_name(role), host),
                         s);
}

static int check_put(const ds_store_txn *txn, ds_role role, const char *host,
                     GError **err)
{
    if (txn->read_only)
        return ds_error_set(
            err, DS_EINVALID,
            "store %s: a read-only transaction takes no manifests",
            txn->st->path);
    if (!host || !ds_name_is_safe_host(host))
        return ds_error_set(err, DS_EINVALID, "invalid host name '%s'",
                            host ? host : "(null)");
    if (role != DS_ROLE_PROD && role != DS_ROLE_LAB)
        return ds_error_set(err, DS_EINVALID, "%s: invalid role", host);
    return 0;
}

int ds_store_txn_put(ds_store_txn *txn, const ds_manifest *m, GError **err)
{
    g_autoptr(GBytes) bytes = NULL;
    git_odb *odb = NULL;
    git_oid files_id;
    bool has_files;
    gsize len;
    const void *data;
    int rc;

    if ((rc = check_put(txn, m ? m->role : DS_ROLE_PROD, m ? m->host : NULL,
                        err)) < 0)
        return rc;
    if (git_repository_odb(&odb, txn->st->repo) < 0)
        return ds_store_git_error(err, DS_EGENERIC, "store %s",
                                  txn->st->path);
    rc = write_files(&files_id, &has_files, txn->st, odb, m, err);
    git_odb_free(odb);
    if (rc < 0)
        return rc;
    if ((rc = ds_manifest_serialise(&bytes, m, err)) < 0) {
        ds_error_prefix(err, rc, "%s: ", m->host);
        return rc;
    }
    data = g_bytes_get_data(bytes, &len);
    return txn_put(txn, m->role, m->host, m, &files_id, has_files, data, len,
                   err);
}

int ds_store_txn_put_canonical(ds_store_txn *txn, ds_role role,
                               const char *host, const void *data, gsize len,
                               GError **err)
{
    int rc;

    if ((rc = check_put(txn, role, host, err)) < 0)
        return rc;
    return txn_put(txn, role, host, NULL, NULL, false, data, len, err);
}

static gint cmp_staged(gconstpointer a, gconstpointer b)
{
    const staged *x = *(staged *const *)a;
    const staged *y = *(staged *const *)b;
    int c = strcmp(x->host, y->host);

    return c ? c : (int)x->role - (int)y->role;
}

/* "web01: openssl 3.0.11-1 -> 3.0.13-1, /etc/ssh/sshd_config changed" */
static void describe_host(GString *msg, const staged *s, bool both_roles,
                          const ds_ignore *ignore)
{
    guint shown = 0, total = 0;

    /* The role is named only when both of a host's changed in this run. */
    g_string_append_printf(msg, "%s%s%s: ", s->host,
                           both_roles ? " " : "",
                           both_roles ? ds_role_name(s->role) : "");
    if (s->first) {
        g_string_append_printf(msg, "first record (%u package%s, %u file%s, "
                               "%u service%s)\n",
                               s->npackages, s->npackages == 1 ? "" : "s",
                               s->nfiles, s->nfiles == 1 ? "" : "s",
                               s->nservices, s->nservices == 1 ? "" : "s");
        return;
    }
    if (s->note) {
        g_string_append_printf(msg, "%s\n", s->note);
        return;
    }
    for (guint i = 0; s->changes && i < s->changes->len; i++) {
        const ds_change *c = g_ptr_array_index(s->changes, i);
        g_autofree char *d = NULL;

        if (ds_ignore_match(ignore, c->category, c->name))
            continue;
        total++;
        if (shown >= MSG_MAX_CHANGES)
            continue;
        d = ds_change_describe(c);
        g_string_append_printf(msg, "%s%s", shown ? ", " : "", d);
        shown++;
    }
    if (total > shown)
        g_string_append_printf(msg, ", ..., and %u more", total - shown);
    if (total == 0)
        g_string_append(msg, s->changes ? "no changes outside ignore rules"
                                        : "stored file contents changed");
    g_string_append_c(msg, '\n');
}

static bool is_one_line(const char *s)
{
    if (!s || !*s || strlen(s) > 200)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static char *build_message(GPtrArray *changed, const char *verb,
                           const char *run_id, const ds_ignore *ignore)
{
    GString *msg = g_string_new(NULL);
    g_autoptr(GPtrArray) hosts = g_ptr_array_new();

    for (guint i = 0; i < changed->len; i++) {
        const staged *s = g_ptr_array_index(changed, i);

        if (hosts->len == 0 ||
            strcmp(g_ptr_array_index(hosts, hosts->len - 1), s->host))
            g_ptr_array_add(hosts, s->host);
    }
    g_string_append_printf(msg, "%s: %u host%s changed\n\n", verb, hosts->len,
                           hosts->len == 1 ? "" : "s");
    for (guint i = 0; i < changed->len; i++) {
        const staged *s = g_ptr_array_index(changed, i);
        const staged *prev = i ? g_ptr_array_index(changed, i - 1) : NULL;
        const staged *next = i + 1 < changed->len
                                 ? g_ptr_array_index(changed, i + 1)
                                 : NULL;
        bool both = (prev && !strcmp(prev->host, s->host)) ||
                    (next && !strcmp(next->host, s->host));

        describe_host(msg, s, both, ignore);
    }
    g_string_append_c(msg, '\n');
    if (run_id)
        g_string_append_printf(msg, "Driftsync-Run: %s\n", run_id);
    g_string_append(msg, "Driftsync-Hosts:");
    for (guint i = 0; i < hosts->len; i++)
        g_string_append_printf(msg, " %s",
                               (char *)g_ptr_array_index(hosts, i));
    g_string_append_c(msg, '\n');
    return g_string_free(msg, FALSE);
}

int ds_store_move_branch(ds_store *st, const git_oid *base, const git_oid *id,
                         const char *reflog, GError **err)
{
    git_reference *head = NULL;
    git_reference *ref = NULL;
    const char *branch;
    int rc, grc;

    if (git_reference_lookup(&head, st->repo, "HEAD") < 0)
        return ds_store_git_error(err, DS_EGENERIC, "store %s: HEAD",
                                  st->path);
    if (git_reference_type(head) != GIT_REFERENCE_SYMBOLIC) {
        git_reference_free(head);
        return ds_error_set(err, DS_ECONFLICT,
                            "store %s: HEAD is detached; refusing to commit",
                            st->path);
    }
    branch = git_reference_symbolic_target(head);
    if (base)
        grc = git_reference_create_matching(&ref, st->repo, branch, id, 1,
                                            base, reflog);
    else
        grc = git_reference_create(&ref, st->repo, branch, id, 0, reflog);
    if (grc == GIT_EMODIFIED || grc == GIT_EEXISTS || grc == GIT_ELOCKED)
        rc = ds_store_git_error(err, DS_ECONFLICT,
                                "store %s: another writer moved %s during this run; nothing committed",
                                st->path, branch);
    else if (grc < 0)
        rc = ds_store_git_error(err, DS_EGENERIC, "store %s: cannot update %s",
                                st->path, branch);
    else
        rc = 0;
    git_reference_free(ref);
    git_reference_free(head);
    return rc;
}

/* The base tree with each changed host's manifest and files put in (or
 * its files removed when it has none now), written to the repository. */
static int build_tree(git_oid *tree_id, ds_store_txn *txn,
                      GPtrArray *changed, GError **err)
{
    ds_store *st = txn->st;
    g_autofree git_tree_update *ups = g_new0(git_tree_update,
                                             changed->len * 2);
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    size_t n = 0;

    for (guint i = 0; i < changed->len; i++) {
        const staged *s = g_ptr_array_index(changed, i);
        const char *role = ds_role_name(s->role);
        char *mp = g_strdup_printf("%s/%s.json", role, s->host);
        char *fp = g_strdup_printf("files/%s/%s", role, s->host);
        git_oid old;

        g_ptr_array_add(paths, mp);
        g_ptr_array_add(paths, fp);
        ups[n].action = GIT_TREE_UPDATE_UPSERT;
        ups[n].id = s->manifest_id;
        ups[n].filemode = GIT_FILEMODE_BLOB;
        ups[n++].path = mp;
        if (s->has_files) {
            ups[n].action = GIT_TREE_UPDATE_UPSERT;
            ups[n].id = s->files_id;
            ups[n].filemode = GIT_FILEMODE_TREE;
            ups[n++].path = fp;
        } else if (ds_store_tree_blob_id(&old, txn->base_tree, fp,
                                         GIT_OBJECT_TREE) == 0) {
            ups[n].action = GIT_TREE_UPDATE_REMOVE;
            ups[n].filemode = GIT_FILEMODE_TREE;
            ups[n++].path = fp;
        }
    }
    if (git_tree_create_updated(tree_id, st->repo, txn->base_tree, n, ups) < 0)
        return ds_store_git_error(err, DS_EGENERIC,
                                  "store %s: writing the tree", st->path);
    return 0;
}

/* Push the branch; a push that re-applied our commits on the remote's
 * tip moved it, so the transaction continues from there and *out_oid
 * (when a commit was made) names the commit as the branch now has it. */
static int txn_push(char **out_oid, ds_store_txn *txn, GError **err)
{
    ds_store *st = txn->st;
    git_commit *head = NULL;
    git_tree *tree = NULL;
    git_oid id;
    char hex[GIT_OID_HEXSZ + 1];

    ds_store_push_or_warn(st);
    if (git_reference_name_to_id(&id, st->repo, "HEAD") < 0 ||
        (txn->have_base && git_oid_equal(&id, &txn->base_id))) {
        git_error_clear();
        return 0;
    }
    if (git_commit_lookup(&head, st->repo, &id) < 0 ||
        git_commit_tree(&tree, head) < 0) {
        git_commit_free(head);
        return ds_store_git_error(err, DS_EGENERIC, "store %s: HEAD",
                                  st->path);
    }
    git_commit_free(head);
    git_tree_free(txn->base_tree);
    txn->base_tree = tree;
    txn->base_id = id;
    txn->have_base = true;
    if (out_oid && *out_oid) {
        g_free(*out_oid);
        *out_oid = g_strdup(git_oid_tostr(hex, sizeof(hex), &id));
    }
    return 0;
}

int ds_store_txn_commit(char **out_oid, ds_store_txn *txn, const char *verb,
                        const char *run_id, const ds_ignore *ignore,
                        GError **err)
{
    ds_store *st = txn->st;
    g_autoptr(GPtrArray) changed = g_ptr_array_new();
    g_autofree char *email = NULL;
    g_autofree char *msg = NULL;
    g_autofree char *reflog = NULL;
    git_signature *sig = NULL;
    git_tree *tree = NULL;
    git_commit *parent = NULL;
    git_oid tree_id, commit_id;
    GHashTableIter it;
    gpointer value;
    char hex[GIT_OID_HEXSZ + 1];
    int rc = 0;

    if (out_oid)
        *out_oid = NULL;
    if (!verb || !g_regex_match_simple("^[a-z][a-z-]{0,31}$", verb, 0, 0)) {
        rc = ds_error_set(err, DS_EINVALID, "invalid commit verb '%s'",
                          verb ? verb : "(null)");
        goto done;
    }
    if (run_id && !is_one_line(run_id)) {
        rc = ds_error_set(err, DS_EINVALID, "invalid run id '%s'", run_id);
        goto done;
    }

    g_hash_table_iter_init(&it, txn->staged);
    while (g_hash_table_iter_next(&it, NULL, &value))
        if (((staged *)value)->changed)
            g_ptr_array_add(changed, value);
    if (changed->len == 0)
        goto done; /* nothing changed: no commit */
    g_ptr_array_sort(changed, cmp_staged);

    if ((rc = build_tree(&tree_id, txn, changed, err)) < 0)
        goto done;
    if (txn->base_tree && git_oid_equal(&tree_id, git_tree_id(txn->base_tree)))
        goto done; /* the same state after all: no commit */

    msg = build_message(changed, verb, run_id, ignore);
    email = g_strdup_printf("driftsync@%s", g_get_host_name());
    if (git_signature_now(&sig, "driftsync", email) < 0 &&
        git_signature_now(&sig, "driftsync", "driftsync@localhost") < 0) {
        rc = ds_store_git_error(err, DS_EGENERIC, "store %s: signature",
                                st->path);
        goto done;
    }
    if (git_tree_lookup(&tree, st->repo, &tree_id) < 0 ||
        (txn->have_base &&
         git_commit_lookup(&parent, st->repo, &txn->base_id) < 0)) {
        rc = ds_store_git_error(err, DS_EGENERIC, "store %s", st->path);
        goto done;
    }
    if (git_commit_create(&commit_id, st->repo, NULL, sig, sig, NULL, msg,
                          tree, parent ? 1 : 0,
                          (const git_commit **)&parent) < 0) {
        rc = ds_store_git_error(err, DS_EGENERIC,
                                "store %s: writing the commit", st->path);
        goto done;
    }
    reflog = g_strndup(msg, strcspn(msg, "\n"));
    git_oid_tostr(hex, sizeof(hex), &commit_id);
    if ((rc = ds_store_sync_objects(st, err)) < 0)
        goto done;
    if (st->commit_hook)
        st->commit_hook(hex, st->commit_hook_payload);
    if ((rc = ds_store_move_branch(st, txn->have_base ? &txn->base_id : NULL,
                                   &commit_id, reflog, err)) < 0)
        goto done;
    /* The commit is made; flushing the branch update is best effort, and
     * so is packing: a store left loose is whole, only slower, and the
     * next commit packs it. */
    (void)ds_store_sync_objects(st, NULL);
    {
        guint packed;

        (void)ds_store_pack_auto(&packed, st, st->pack_threshold, NULL);
    }

    /* The transaction continues from the new commit. */
    txn->base_id = commit_id;
    txn->have_base = true;
    git_tree_free(txn->base_tree);
    txn->base_tree = g_steal_pointer(&tree);
    g_hash_table_remove_all(txn->staged);
    if (out_oid)
        *out_oid = g_strdup(hex);

done:
    git_commit_free(parent);
    git_tree_free(tree);
    git_signature_free(sig);
    /* With a remote: this commit, and any an earlier run could not push,
     * go out now, still under the lock. */
    if (rc == 0 && st->remote_url && !txn->read_only)
        rc = txn_push(out_oid, txn, err);
    return rc;
}

void ds_store_set_commit_hook(ds_store *st, ds_store_commit_hook hook,
                              void *payload)
{
    st->commit_hook = hook;
    st->commit_hook_payload = payload;
}

int ds_store_txn_host_status(ds_store_txn *txn, ds_role role,
                             const char *host, bool *changed, bool *is_new,
                             const GPtrArray **changes, GError **err)
{
    g_autofree char *key = g_strdup_printf("%s/%s", ds_role_name(role),
                                           host ? host : "");
    const staged *s = g_hash_table_lookup(txn->staged, key);

    if (!s)
        return ds_error_set(err, DS_ENOTFOUND,
                            "%s (%s) was not put in this transaction",
                            host ? host : "(null)", ds_role_name(role));
    if (changed)
        *changed = s->changed;
    if (is_new)
        *is_new = s->first;
    if (changes)
        *changes = s->changes;
    return 0;
}

int ds_store_txn_put_blob(ds_store_txn *txn, ds_role role, const char *host,
                          const ds_blob_id *id, const ds_manifest *m,
                          const void *data, gsize len, GPtrArray *changes,
                          const ds_store_counts *counts, GError **err)
{
    git_odb *odb = NULL;
    git_oid files_id, mid;
    bool has_files = false;
    int rc;

    if ((rc = check_put(txn, role, host, err)) < 0)
        return rc;
    if (m) {
        if (git_repository_odb(&odb, txn->st->repo) < 0)
            return ds_store_git_error(err, DS_EGENERIC, "store %s",
                                      txn->st->path);
        rc = write_files(&files_id, &has_files, txn->st, odb, m, err);
        git_odb_free(odb);
        if (rc < 0)
            return rc;
    }
    memcpy(mid.id, id->raw, sizeof(id->raw));
    txn_stage(txn, role, host, m, &files_id, has_files, &mid, data, len,
              changes, counts);
    return 0;
}
