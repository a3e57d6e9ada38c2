/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store-private.h: what store.c, store-txn.c, store-history.c,
 * store-walk.c, store-lock.c and patch-history.c share about the git
 * store; not a public contract. */
#pragma once

#include <git2.h>
#include <git2/sys/odb_backend.h>

#include "manifests/util/error.h"
#include "manifests/util/lock.h"
#include "manifests/util/log.h"
#include "manifests/store.h"

struct ds_store {
    char *path;           /* as given to ds_store_open */
    git_repository *repo; /* bare repository */
    ds_lock *lock;        /* NULL when we do not hold the writer lock */
    bool in_txn;          /* a transaction is open on this handle */
    ds_store_commit_hook commit_hook; /* before the branch moves, or NULL */
    void *commit_hook_payload;
    /* [store] remote (store-remote.c): NULL url when there is none */
    char *remote_url, *remote_credentials, *remote_known_hosts;
    char *remote_ca_file;
    bool push_failed; /* said once; no more pushes through this handle */
    ds_log log;       /* where a failed push is said */
    guint pack_threshold; /* loose objects a commit packs past (0: never) */
    int diffcache_mode;   /* store-diffcache.c: 0 not known yet, -1 not
                           * written (another owner's store), else the
                           * mode of its files */
};

/* A transaction (store-txn.c; read by store-writer.c). */
typedef struct staged staged;
struct ds_store_txn {
    ds_store *st;
    bool own_lock;
    bool read_only; /* begun by ds_store_txn_begin_read: no writes */
    bool have_base;
    git_oid base_id;      /* the commit HEAD named at begin */
    git_tree *base_tree;  /* its tree, NULL when the store had none */
    GHashTable *staged;   /* "ROLE/HOST" -> staged * (store-txn.c) */
};

/* Set err from libgit2's last error: "WHAT: libgit2 message". */
int ds_store_git_error(GError **err, int code, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* The commit rev names (NULL = HEAD).  DS_ENOTFOUND when the store has no
 * commit yet or rev does not exist. */
int ds_store_lookup_commit(git_commit **out, ds_store *st, const char *rev,
                           GError **err);

/* The blob at path in tree: 0 and *out set, 1 when absent (*out zeroed). */
int ds_store_tree_blob_id(git_oid *out, const git_tree *tree,
                          const char *path, git_object_t type);

/* Parse the manifest stored in blob id; origin names it in errors. */
int ds_store_parse_blob(ds_manifest **out, ds_store *st, const git_oid *id,
                        const char *origin, GError **err);

/* The tree of the commit rev names (NULL = HEAD); *out NULL with 0 for
 * HEAD on a store without commits. */
int ds_store_rev_tree(git_tree **out, ds_store *st, const char *rev,
                      GError **err);

/* Whether two canonical manifests (prod's, lab's) are the same bytes but
 * for role, collected_at and collector (ds_store_roles_same_bytes). */
bool ds_store_same_state_bytes(const char *p, gsize plen, const char *l,
                               gsize llen);

/* Whether every component of a relative tree path is one git accepts and
 * `git fsck --strict` does not flag (no "", ".", "..", ".git"...). */
bool ds_store_path_is_storable(const char *relpath);

/* Make everything written to the store so far durable (syncfs(2) on its
 * file system: one call instead of an fsync per loose object). */
int ds_store_sync_objects(ds_store *st, GError **err);

/* Move the branch HEAD names from base (NULL: the store had no commit) to
 * id, failing (DS_ECONFLICT) when someone else moved it meanwhile. */
int ds_store_move_branch(ds_store *st, const git_oid *base, const git_oid *id,
                         const char *reflog, GError **err);

/* Put a loose-object backend ahead of libgit2's own that writes objects
 * 0400 in 0700 directories, or 0440 in 02750 ones when the store at path
 * has a group of readers (store-mode.c). */
int ds_store_mode_objects(git_repository *repo, const char *path,
                          GError **err);

/* The loose-object backend ds_store_mode_objects adds: objects of the
 * store's modes, compressed at LOOSE_COMPRESSION. */
#define LOOSE_COMPRESSION 1 /* zlib's fastest level, git's default */
int ds_store_loose_backend(git_odb_backend **out, const char *path,
                           GError **err);

/* Remove the objects/tmp_object_git2_* files killed writers left; only
 * under the writer lock.  Returns how many. */
guint ds_store_clean_tmp(ds_store *st);

/* Make the store at path as ds_store_init does; fill (may be NULL) puts
 * content into the new repository at tmp before it is renamed into place
 * (its failure leaves nothing at path). */
int ds_store_init_full(const char *path,
                       int (*fill)(const char *tmp, void *payload,
                                   GError **err),
                       void *payload, GError **err);

/* Drop group and other bits the pack files a fetch wrote may carry. */
void ds_store_tighten_packs(ds_store *st);

/* Remove the diff cache's files but those of the manifests HEAD holds (and
 * files a killed comparison left half-written); under the store lock.
 * Returns how many went (store-diffcache.c). */
guint ds_store_diffcache_prune(ds_store *st);

/* Forget the remote (store-remote.c). */
void ds_store_remote_clear(ds_store *st);

/* ds_store_push under the writer lock, after a commit: a failure is said
 * once through st->log and stops further pushes through st. */
void ds_store_push_or_warn(ds_store *st);

/* One manifest a commit changed, as ds_store_walk_changes says it. */
typedef struct ds_store_change {
    const git_commit *commit;
    ds_role role;
    const char *host;   /* valid during the call only */
    const git_oid *cur; /* its blob at the commit, NULL: removed there */
    const git_oid *par; /* at the first parent, NULL: not there */
} ds_store_change;

/* What fn returns: 0 go on, 1 stop the walk (no error), <0 stop it with
 * that code (and *err set). */
typedef int (*ds_store_change_fn)(void *payload, const ds_store_change *ch);

#define DS_STORE_WALK_ROLES 2

/* A walk over the first-parent history from HEAD, newest first. */
typedef struct ds_store_walk {
    ds_role roles[DS_STORE_WALK_ROLES]; /* the role trees looked at */
    guint nroles;
    const char *host; /* only ROLE/host.json, or NULL: every host */
    gint64 since;     /* stop at the first commit older (0: walk all) */
    ds_store_change_fn fn;
    void *payload;
    GError **err;
} ds_store_walk;

/* Every ROLE/HOST.json whose blob differs from the first parent's, commit
 * by commit, through w->fn (store-walk.c).  A commit whose role tree did
 * not move costs its commit and root tree only; no manifest is read. */
int ds_store_walk_changes(ds_store *st, ds_store_walk *w);
