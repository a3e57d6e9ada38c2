/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store-remote.h: the store's git remote (libgit2: ssh:// over
 * libssh2, https://, file://): every commit pushed, a push that someone
 * else's beat re-applied on the new tip, a failed push kept for the next
 * run, a runner's store made from the remote, readers fetching first. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "manifests/store.h"
#include "manifests/util/log.h"

/* Where the store is pushed to and how it is reached.  Secrets are read
 * from the files when a connection asks for them and never kept. */
typedef struct ds_store_remote {
    const char *url;         /* ssh://USER@HOST[:PORT]/PATH, https://HOST
                              * [:PORT]/PATH, file:///PATH */
    const char *credentials; /* ssh: a private key file (none: ssh-agent);
                              * https: a file "user:password"; or NULL */
    const char *known_hosts; /* ssh: known_hosts file (NULL: ~/.ssh/
                              * known_hosts, then /etc/ssh/ssh_known_hosts) */
    const char *ca_file;     /* https: CA bundle (NULL: the system's) */
} ds_store_remote;

/* Whether url is a remote the store can use: ssh:// with a user and a
 * host, https:// with a host, file:/// with an absolute path; never
 * credentials in the URL.  *why (static) says what is wrong. */
bool ds_store_remote_url_is_valid(const char *url, const char **why);

/* From now on every commit made through st (ds_store_txn_commit) is
 * pushed to r while the writer lock is held, and so is any earlier commit
 * the remote does not have yet.  A push that cannot be made keeps the
 * local commit and is said once, through log (a DS_LOG_WARNING line
 * naming the remote and the cause); later commits of st are not pushed
 * in this run (the next run pushes them all).  r is copied. */
void ds_store_set_remote(ds_store *st, const ds_store_remote *r,
                         const ds_log *log);

/* Push what the remote lacks (the caller holds the writer lock): when
 * someone else pushed first, fetch and re-apply the local commits on the
 * remote's new tip (each changes only its own paths: the remote's tree
 * plus the paths the commit changed), a bounded number of times.  Nothing
 * to push (no remote, no commit, the remote has them): 0 at once. */
int ds_store_push(ds_store *st, GError **err);

/* Bring the remote's commits into the store (takes the writer lock,
 * waiting up to timeout_ms): fetch, move the branch to the remote's tip
 * or re-apply the local commits it lacks on that tip, and push them. */
int ds_store_fetch(ds_store *st, int timeout_ms, GError **err);

/* Make a new store at path from the remote r (as ds_store_init does, in
 * a directory renamed into place only when the fetch succeeded, with the
 * store's modes).  An empty remote gives an empty store. */
int ds_store_init_from(const char *path, const ds_store_remote *r,
                       GError **err);
