/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store.h: the git store of manifests (libgit2, bare repository,
 * written straight into the object database).  Layout:
 *   prod/HOST.json  lab/HOST.json  files/{prod,lab}/HOST/PATH
 *   bundles/NAME.json  trials/HOST/RUN.json  (manifests/store-bundle.h)
 * One commit per run, only when something changed.  Beside the git
 * repository, caches that may be deleted: driftsync-inputs
 * (store-inputs.c) and driftsync-diff-cache/ (store-diffcache.c). */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "manifests/ignore.h"
#include "manifests/manifest.h"

typedef struct ds_store ds_store;

/* Create a new store at path (a bare git repository with an empty tree
 * commit-less HEAD on refs/heads/main), built in a temporary directory
 * beside path and renamed into place, so that path is never a half-made
 * store.  DS_ECONFLICT if a store exists there, or anything but an empty
 * directory (the message says which). */
int ds_store_init(const char *path, GError **err);

/* Who may read the store at path besides its owner: nobody (group NULL:
 * directories 0700, files without group and other bits), or the members of
 * group (directories 02750 and the group's, files without other bits and
 * group write).  ds_store_init applies the first; objects written later
 * keep the store's choice.  DS_ENOTFOUND for an unknown group. */
int ds_store_share(const char *path, const char *group, GError **err);

/* A one-line warning when the store at path is open to more than its
 * owner (and group, when given), naming the command that fixes it; NULL
 * when it is not. */
char *ds_store_check_mode(const char *path, const char *group);

/* Open an existing store.  DS_ENOTFOUND when path is not a store. */
int ds_store_open(ds_store **out, const char *path, GError **err);
void ds_store_free(ds_store *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_store, ds_store_free)

const char *ds_store_path(const ds_store *st);

/* Take the writer lock (a lock file holding our pid).  Waits up to
 * timeout_ms, then DS_ECONFLICT naming the holder's pid.  A stale lock
 * (holder dead) is taken over.  Released by ds_store_unlock / free. */
int ds_store_lock(ds_store *st, int timeout_ms, GError **err);
void ds_store_unlock(ds_store *st);

/* Resolve a revision ("HEAD", "HEAD~3", a hex id, a date "2026-11-01")
 * to a full hex commit id.  DS_ENOTFOUND if it does not exist. */
int ds_store_resolve(char **out_oid, ds_store *st, const char *rev,
                     GError **err);

/* Read a host's manifest at rev (NULL = HEAD).  DS_ENOTFOUND when the
 * host has none there. */
int ds_store_read(ds_manifest **out, ds_store *st, const char *rev,
                  ds_role role, const char *host, GError **err);

/* Whether host's prod and lab manifests at rev (NULL = HEAD) are one
 * blob, or the same bytes but for the members no comparison reads (role,
 * collected_at, collector): the same state,
 * found without parsing either.  false when one is missing, on an error,
 * or when they differ anywhere else (a semantic diff then says how). */
bool ds_store_roles_same_bytes(ds_store *st, const char *rev,
                               const char *host);

/* A host's prod and lab manifests at rev (NULL = HEAD), read to be
 * compared (ds_manifest_diff): *same when they are one blob or the same
 * bytes but for role, collected_at and collector (nothing is parsed,
 * *prod and *lab stay NULL); else each side as ds_store_read gives it,
 * NULL when absent -- except that a pair whose packages, holds and auto
 * marks are the same bytes may come from the store's diff cache
 * (manifests/store-diffcache.c) as manifests without packages, holds,
 * auto marks and pending or held-back updates, whose ds_manifest_diff
 * is the full pair's.  Errors as ds_store_read's (prod's first); neither
 * side present is not one. */
int ds_store_read_pair(ds_manifest **prod, ds_manifest **lab, bool *same,
                       ds_store *st, const char *rev, const char *host,
                       GError **err);

/* Read the stored content of a captured file. */
int ds_store_read_file(GBytes **out, ds_store *st, const char *rev,
                       ds_role role, const char *host, const char *path,
                       GError **err);

/* Host names that have a manifest for role at rev (NULL = HEAD), sorted. */
int ds_store_list_hosts(GPtrArray **out, ds_store *st, const char *rev,
                        ds_role role, GError **err);

/* Loose objects as `git gc --auto` counts them: those of one fan-out
 * directory, times 256. */
guint ds_store_loose_estimate(ds_store *st);
/* Write every loose object into one new pack and remove the loose copies
 * (*out_packed: how many).  Only under the store lock; nothing is lost
 * or pruned. */
int ds_store_pack(guint *out_packed, ds_store *st, GError **err);
/* ds_store_pack when the estimate passes threshold (0: never). */
#define DS_STORE_PACK_THRESHOLD 6700 /* git's gc.auto */
int ds_store_pack_auto(guint *out_packed, ds_store *st, guint threshold,
                       GError **err);
/* The threshold ds_store_txn_commit packs past, once its commit is made
 * (DS_STORE_PACK_THRESHOLD unless set; 0: never). */
void ds_store_set_pack_threshold(ds_store *st, guint threshold);

/* A write transaction: stage manifests (with file contents), then commit
 * once.  Nothing is visible until ds_store_txn_commit succeeds; HEAD moves
 * only to a whole commit. */
typedef struct ds_store_txn ds_store_txn;

int ds_store_txn_begin(ds_store_txn **out, ds_store *st, GError **err);
/* A transaction that only reads: no lock taken, nothing can be put.  For
 * checking inputs against HEAD before taking the lock (ds_store_txn_same_bytes,
 * ds_store_txn_base); the real transaction, under the lock, compares its
 * base with this one's. */
int ds_store_txn_begin_read(ds_store_txn **out, ds_store *st, GError **err);
/* The commit the transaction began on (hex), or NULL when the store had
 * none; caller frees. */
char *ds_store_txn_base(const ds_store_txn *txn);
/* Stage m (normalised by the caller) as ROLE/HOST.json and the content of
 * each file that carries content.  Content of secret files is refused. */
int ds_store_txn_put(ds_store_txn *txn, const ds_manifest *m, GError **err);
/* Stage data as ROLE/HOST.json: the canonical bytes of a valid manifest
 * of that host and role (what ds_manifest_serialise gives for it) that
 * carries no file contents or content references, as a caller that has
 * parsed and serialised it has checked.  Spares parsing it again: the
 * document is parsed only when the host had another manifest before,
 * for the commit message. */
int ds_store_txn_put_canonical(ds_store_txn *txn, ds_role role,
                               const char *host, const void *data, gsize len,
                               GError **err);
/* Write the commit if anything changed.  *out_oid (may be NULL) receives
 * the new commit id, or NULL when nothing changed (no commit made).
 * `verb` is "record" or "sync"; `run_id` goes into Driftsync-Run:.  The
 * message lists each changed host with its semantic changes. */
int ds_store_txn_commit(char **out_oid, ds_store_txn *txn, const char *verb,
                        const char *run_id, const ds_ignore *ignore,
                        GError **err);
void ds_store_txn_free(ds_store_txn *txn);

/* Called by ds_store_txn_commit once the commit's objects are written and
 * flushed, just before the branch moves to it (oid: the new commit).  A
 * test's pause point: a writer stopped or killed there leaves the store
 * at the old commit.  NULL removes it. */
typedef void (*ds_store_commit_hook)(const char *oid, void *payload);
void ds_store_set_commit_hook(ds_store *st, ds_store_commit_hook hook,
                              void *payload);

/* After ds_store_txn_put and before the commit: how host compares with
 * the commit the transaction began on.  *changed: its manifest or stored
 * files differ; *is_new: it had no manifest there; *changes (may be
 * NULL): the semantic changes before ignore rules, owned by the txn, NULL
 * when new, unchanged or not comparable.  DS_ENOTFOUND if not put. */
int ds_store_txn_host_status(ds_store_txn *txn, ds_role role,
                             const char *host, bool *changed, bool *is_new,
                             const GPtrArray **changes, GError **err);

/* Whether data is byte for byte the ROLE/HOST.json of the commit the
 * transaction began on (compared by blob id, nothing is parsed): a caller
 * holding canonical bytes of an unchanged host may then skip parsing and
 * putting it. */
bool ds_store_txn_same_bytes(ds_store_txn *txn, ds_role role,
                             const char *host, const void *data, gsize len);

/* A git object id (SHA-1), for callers that compare blobs by id. */
typedef struct ds_blob_id {
    unsigned char raw[20];
} ds_blob_id;

/* The id data has as a blob (nothing is written), by libgit2's SHA-1
 * that detects collision attacks (as git's): an id that is kept -- in the
 * store, in its table of inputs -- is made by this.  Any thread. */
int ds_store_hash(ds_blob_id *out, const void *data, gsize len);

/* The same id, by the processor's SHA-1 (OpenSSL; ten times faster, no
 * detection), for comparing new bytes with an id the store keeps and
 * nothing else: that id was made with detection, so its bytes are not
 * half of a crafted collision, and other bytes with the same SHA-1 would
 * take a second preimage.  Never keep an id made by this.  Any thread. */
int ds_store_hash_compare(ds_blob_id *out, const void *data, gsize len);
/* Whether the commit the transaction began on has ROLE/HOST.json. */
bool ds_store_txn_stored(ds_store_txn *txn, ds_role role, const char *host);
/* Whether ROLE/HOST.json of the commit the transaction began on is the
 * blob id.  Several threads may ask one read-only transaction at once. */
bool ds_store_txn_holds(ds_store_txn *txn, ds_role role, const char *host,
                        const ds_blob_id *id);
/* The bytes of ROLE/HOST.json at the transaction's base commit.
 * DS_ENOTFOUND when the host had none there. */
int ds_store_txn_base_bytes(GBytes **out, ds_store_txn *txn, ds_role role,
                            const char *host, GError **err);

/* Writing manifests' blobs in several threads at once, each thread with
 * its own writer (objects are written as ds_store_txn_put writes them);
 * then ds_store_txn_put_blob stages them in the transaction's thread. */
typedef struct ds_store_writer ds_store_writer;
int ds_store_writer_new(ds_store_writer **out, ds_store *st, GError **err);
/* Write data as a blob; *out receives its id. */
int ds_store_writer_put(ds_blob_id *out, ds_store_writer *w,
                        const void *data, gsize len, GError **err);
void ds_store_writer_free(ds_store_writer *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_store_writer, ds_store_writer_free)

/* A manifest's entries, as a first record's commit message counts them. */
typedef struct ds_store_counts {
    guint npackages, nfiles, nservices;
} ds_store_counts;

/* Stage blob id (written by a writer: the canonical bytes data of a valid
 * manifest of role/host) as ROLE/HOST.json.  m, when given, is that
 * manifest: the contents of its files are stored as ds_store_txn_put
 * stores them; without it the manifest must carry none.  changes, when
 * given, are its semantic changes from the manifest at the transaction's
 * base (ds_change *, referenced): the commit message then needs no
 * comparison of its own.  counts, when given (and m is not), are the
 * manifest's entries, which are otherwise counted in data. */
int ds_store_txn_put_blob(ds_store_txn *txn, ds_role role, const char *host,
                          const ds_blob_id *id, const ds_manifest *m,
                          const void *data, gsize len, GPtrArray *changes,
                          const ds_store_counts *counts, GError **err);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_store_txn, ds_store_txn_free)

/* What input files became in the store (manifests/store-inputs.c): for
 * each host, the blob id of the last input that was not in canonical form
 * and the blob its canonical form was.  Loading never fails: a missing or
 * damaged table, or line, is an empty one. */
typedef struct ds_store_inputs ds_store_inputs;
ds_store_inputs *ds_store_inputs_load(ds_store *st);
void ds_store_inputs_free(ds_store_inputs *in);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_store_inputs, ds_store_inputs_free)
/* Whether an input of blob id `input` was seen before and its canonical
 * form is what the transaction's base holds for that host: then *host
 * (caller frees) and *role name it.  Several threads may ask at once. */
bool ds_store_inputs_same(const ds_store_inputs *in, ds_store_txn *txn,
                          const ds_blob_id *input, char **host, ds_role *role);
/* Remember that the input of blob id `input` is, canonical, the blob
 * `stored` of role/host (nothing when they are the same id).  Any
 * thread. */
void ds_store_inputs_note(ds_store_inputs *in, const ds_blob_id *input,
                          ds_role role, const char *host,
                          const ds_blob_id *stored);
/* Write the table back if it changed; only under the store lock. */
int ds_store_inputs_save(ds_store_inputs *in, ds_store *st, GError **err);

/* One commit in a host's history. */
typedef struct ds_history_entry {
    char *oid;       /* commit id, hex */
    gint64 time;     /* commit time, seconds since the epoch */
    char *summary;   /* first line of the message */
    char *run_id;    /* Driftsync-Run: trailer, or NULL */
    GPtrArray *changes; /* ds_change *: from the parent's manifest */
    char *detail; /* ds_store_history_all: the host's line of the commit
                   * message ("openssl 3.0.11-1 -> 3.0.13-1, ..."), or NULL */
} ds_history_entry;

void ds_history_entry_free(ds_history_entry *e);

/* The commits that changed ROLE/HOST.json, newest first, since `since`
 * (seconds since the epoch, 0 = all), at most `limit` (0 = all). */
int ds_store_history(GPtrArray **out, ds_store *st, ds_role role,
                     const char *host, gint64 since, guint limit,
                     const ds_ignore *ignore, GError **err);

/* For each of the n hosts, the newest commit that changed ROLE/HOST.json
 * (as ds_store_history with limit 1 finds it), from one walk back from
 * HEAD for all of them that stops once each is found: *out maps the host
 * name to the commit id (hex); a host no commit changed is absent.
 * Caller unrefs the table. */
int ds_store_last_changes(GHashTable **out, ds_store *st, ds_role role,
                          const char *const *hosts, guint n, GError **err);

/* Since when each update pending in ROLE/HOST.json at HEAD has been
 * pending: *out maps its package name to a gint64 (seconds since the
 * epoch: when the oldest manifest of the unbroken run back from HEAD that
 * lists it as pending was collected -- its collected_at, else its commit's
 * time --, whatever the candidate version).
 * An empty table when the host has no manifest or nothing pending. */
int ds_store_pending_since(GHashTable **out, ds_store *st, ds_role role,
                           const char *host, GError **err);

/* Every host's history of ROLE in one walk over the commits (not one per
 * host): *out maps each host name that a commit since `since` changed to
 * a GPtrArray of ds_history_entry * as ds_store_history gives, newest
 * first, each with its `detail`.  Without `diff` no manifest is parsed:
 * the entries' changes are empty (the detail says what changed).  Caller
 * unrefs the table. */
int ds_store_history_all(GHashTable **out, ds_store *st, ds_role role,
                         gint64 since, bool diff, const ds_ignore *ignore,
                         GError **err);
