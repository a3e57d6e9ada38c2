/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store-remote.c: pushing the store to its git remote and
 * fetching from it through libgit2 (ssh:// over libssh2 with the host key
 * checked against known_hosts, https:// with TLS verified and basic
 * authentication from a file, file:// under the remote's writer lock). */
#include <config.h>

#include <string.h>

#include "manifests/store-private.h"
#include "manifests/store-remote.h"
#include "manifests/util/known-hosts.h"

#define BRANCH "refs/heads/main"
#define TRACKING "refs/remotes/origin/main"
/* Pushes that lose the race to another writer before giving up: each
 * round at least one writer wins, so this is the number of writers that
 * may push at the same moment without one of them deferring to its next
 * run. */
#define PUSH_ATTEMPTS 40
/* Between two rounds a writer waits a random time below this, times the
 * round, so that the losers do not all come back together. */
#define PUSH_BACKOFF_US 20000
/* A file:// remote is written under its own writer lock (libgit2's local
 * transport moves the remote's branch without checking where it was). */
#define REMOTE_LOCK_NAME "driftsync.lock"
#define REMOTE_LOCK_MS 60000

bool ds_store_remote_url_is_valid(const char *url, const char **why)
{
    g_autoptr(GUri) u = NULL;
    const char *scheme;

    *why = NULL;
    if (!url || !(u = g_uri_parse(url, G_URI_FLAGS_HAS_PASSWORD, NULL))) {
        *why = "expected an ssh://, https:// or file:/// URL";
        return false;
    }
    scheme = g_uri_get_scheme(u);
    if (g_uri_get_password(u) ||
        (strcmp(scheme, "ssh") != 0 && g_uri_get_user(u)))
        *why = "credentials in the URL are refused; put them in the file named by remote-credentials";
    else if (strcmp(scheme, "file") == 0)
        *why = g_uri_get_host(u) && *g_uri_get_host(u)
                   ? "a file:// URL has no host (file:///PATH)"
                   : g_path_is_absolute(g_uri_get_path(u))
                         ? NULL
                         : "expected file:///PATH";
    else if (strcmp(scheme, "ssh") == 0)
        *why = !g_uri_get_user(u) || !*g_uri_get_user(u)
                   ? "an ssh:// remote names its user (ssh://USER@HOST/PATH)"
               : !g_uri_get_host(u) || !*g_uri_get_host(u)
                   ? "expected ssh://USER@HOST[:PORT]/PATH"
               : g_uri_get_user(u)[0] == '-' || g_uri_get_host(u)[0] == '-'
                   ? "a user or host may not begin with '-'"
                   : NULL;
    else if (strcmp(scheme, "https") == 0)
        *why = g_uri_get_host(u) && *g_uri_get_host(u)
                   ? NULL
                   : "expected https://HOST[:PORT]/PATH";
    else
        *why = "expected an ssh://, https:// or file:/// URL";
    return *why == NULL;
}

void ds_store_set_remote(ds_store *st, const ds_store_remote *r,
                         const ds_log *log)
{
    ds_store_remote_clear(st);
    if (!r || !r->url)
        return;
    st->remote_url = g_strdup(r->url);
    st->remote_credentials = g_strdup(r->credentials);
    st->remote_known_hosts = g_strdup(r->known_hosts);
    st->remote_ca_file = g_strdup(r->ca_file);
    if (log)
        st->log = *log;
}

void ds_store_remote_clear(ds_store *st)
{
    g_clear_pointer(&st->remote_url, g_free);
    g_clear_pointer(&st->remote_credentials, g_free);
    g_clear_pointer(&st->remote_known_hosts, g_free);
    g_clear_pointer(&st->remote_ca_file, g_free);
    st->push_failed = false;
}

/* ---- one connection: its callbacks and what they learnt -------------- */

typedef struct conn {
    ds_store *st;
    char *port_host; /* ssh: the host as known_hosts names it */
    int port;        /* ssh: the URL's port, 22 without one */
    guint cred_tries;
    char *why;       /* our own cause of a failure (certificate, auth) */
    char *rejected;  /* the server's reason for refusing the branch */
    char *said;      /* the last line the server printed ("remote: ...") */
} conn;

static void conn_clear(conn *c)
{
    g_free(c->port_host);
    g_free(c->why);
    g_free(c->rejected);
    g_free(c->said);
}

static void conn_fail(conn *c, char *why)
{
    g_free(c->why);
    c->why = why;
}

/* "user:password" from the file named by remote-credentials; wiped. */
static int userpass(git_credential **out, conn *c)
{
    const char *file = c->st->remote_credentials;
    char *raw = NULL;
    gsize len = 0;
    char *text, *colon;
    int rc;

    if (!g_file_get_contents(file, &raw, &len, NULL)) {
        conn_fail(c, g_strdup_printf("cannot read the credentials file %s", file));
        return GIT_EAUTH;
    }
    text = g_strstrip(raw);
    colon = strchr(text, ':');
    if (!colon || colon == text || strpbrk(text, "\r\n")) {
        conn_fail(c, g_strdup_printf("the credentials file %s must hold one line, user:password", file));
        rc = GIT_EAUTH;
    } else {
        *colon = '\0';
        rc = git_credential_userpass_plaintext_new(out, text, colon + 1);
    }
    memset(raw, 0, len);
    g_free(raw);
    return rc;
}

static int on_credentials(git_credential **out, const char *url,
                          const char *user, unsigned int allowed,
                          void *payload)
{
    conn *c = payload;
    const char *file = c->st->remote_credentials;

    (void)url;
    if (allowed & GIT_CREDENTIAL_USERNAME && !(allowed & ~GIT_CREDENTIAL_USERNAME))
        return git_credential_username_new(out, user ? user : "");
    if (c->cred_tries++ > 0) {
        conn_fail(c, file ? g_strdup_printf("authentication refused with the credentials in %s", file)
                          : g_strdup("authentication refused (no remote-credentials file; ssh-agent's keys were not accepted)"));
        return GIT_EAUTH;
    }
    if (allowed & GIT_CREDENTIAL_SSH_KEY)
        return file ? git_credential_ssh_key_new(out, user, NULL, file, NULL)
                    : git_credential_ssh_key_from_agent(out, user);
    if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
        if (file)
            return userpass(out, c);
        conn_fail(c, g_strdup("the server asks for a password and remote-credentials names no file"));
        return GIT_EAUTH;
    }
    conn_fail(c, g_strdup("the server asks for credentials driftsync cannot give"));
    return GIT_EAUTH;
}

/* ssh: the raw host key against the known_hosts file(s); https: libgit2's
 * own verdict (the CA file or the system's store), said plainly. */
static int on_certificate(git_cert *cert, int valid, const char *host,
                          void *payload)
{
    conn *c = payload;
    g_autoptr(GError) e = NULL;

    if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2) {
        const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
        g_autofree char *home = NULL;
        int rc;

        if (!(hk->type & GIT_CERT_SSH_RAW)) {
            conn_fail(c, g_strdup_printf("ssh host key of %s not available to check; refusing", host));
            return GIT_ECERTIFICATE;
        }
        if (c->st->remote_known_hosts) {
            rc = ds_known_hosts_check(c->st->remote_known_hosts, host,
                                      c->port, hk->hostkey, hk->hostkey_len,
                                      &e);
        } else {
            home = g_build_filename(g_get_home_dir(), ".ssh", "known_hosts",
                                    NULL);
            rc = ds_known_hosts_check(home, host, c->port, hk->hostkey,
                                      hk->hostkey_len, &e);
            if (rc == DS_ENOTFOUND) {
                g_clear_error(&e);
                rc = ds_known_hosts_check("/etc/ssh/ssh_known_hosts", host,
                                          c->port, hk->hostkey,
                                          hk->hostkey_len, &e);
            }
        }
        if (rc == 0)
            return 0;
        conn_fail(c, g_strdup(e->message));
        return GIT_ECERTIFICATE;
    }
    if (valid)
        return 0;
    conn_fail(c, c->st->remote_ca_file
                     ? g_strdup_printf("the TLS certificate of %s is not trusted by %s; refusing", host, c->st->remote_ca_file)
                     : g_strdup_printf("the TLS certificate of %s is not trusted by the system's CA store (name one with remote-ca-file); refusing", host));
    return GIT_ECERTIFICATE;
}

static int on_update_reference(const char *refname, const char *status,
                               void *payload)
{
    conn *c = payload;

    if (status && !c->rejected)
        c->rejected = g_strdup_printf("%s: %s", refname, status);
    return 0;
}

/* What the server prints on its side band ("remote: ..."): its last
 * non-empty line, for a refusal's message. */
static int on_sideband(const char *str, int len, void *payload)
{
    conn *c = payload;
    g_autofree char *text = ds_error_text(str, len);

    if (*text) {
        g_free(c->said);
        c->said = g_steal_pointer(&text);
    }
    return 0;
}

static void conn_init(conn *c, ds_store *st, git_remote_callbacks *cb)
{
    g_autoptr(GUri) u = g_uri_parse(st->remote_url, G_URI_FLAGS_NONE, NULL);
    static bool ca_set;

    memset(c, 0, sizeof(*c));
    c->st = st;
    c->port = u && g_uri_get_port(u) > 0 ? g_uri_get_port(u) : 22;
    cb->credentials = on_credentials;
    cb->certificate_check = on_certificate;
    cb->push_update_reference = on_update_reference;
    cb->sideband_progress = on_sideband;
    cb->payload = c;
    /* libgit2 keeps one set of trusted CAs per process. */
    if (st->remote_ca_file && !ca_set) {
        git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, st->remote_ca_file,
                         NULL);
        ca_set = true;
    }
}

/* "store remote URL: CAUSE", the cause ours when we have one. */
static int conn_error(GError **err, conn *c, int code, const char *what)
{
    const git_error *ge = git_error_last();
    const char *cause = c->why ? c->why
                        : ge && ge->message ? ge->message
                                            : "libgit2 error";

    return ds_error_set(err, code, "store remote %s: %s%s%s",
                        c->st->remote_url, what ? what : "",
                        what ? ": " : "", cause);
}

/* ---- fetch and push -------------------------------------------------- */

/* An in-memory remote for the URL as configured: no url.*.insteadOf
 * rewriting from git configuration (nor libgit2 1.5's leak in matching
 * it), no refspecs of its own. */
static int remote_open(git_remote **out, ds_store *st)
{
    git_remote_create_options o = GIT_REMOTE_CREATE_OPTIONS_INIT;

    o.repository = st->repo;
    o.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
              GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    return git_remote_create_with_opts(out, st->remote_url, &o);
}

/* The remote's branch into the tracking ref; *have: the remote has one. */
static int fetch_once(bool *have, git_oid *tip, ds_store *st, GError **err)
{
    git_remote *remote = NULL;
    git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
    char *spec = "+" BRANCH ":" TRACKING;
    git_strarray specs = {&spec, 1};
    conn c;
    int rc = 0;

    conn_init(&c, st, &fo.callbacks);
    fo.update_fetchhead = 0;
    fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    if (remote_open(&remote, st) < 0 ||
        git_remote_fetch(remote, &specs, &fo, "driftsync: fetch") < 0)
        rc = conn_error(err, &c, DS_EGENERIC, "fetch");
    else
        ds_store_tighten_packs(st);
    git_remote_free(remote);
    conn_clear(&c);
    if (rc == 0)
        *have = git_reference_name_to_id(tip, st->repo, TRACKING) == 0;
    git_error_clear();
    return rc;
}

/* One push of the branch.  *rejected, with *why: the remote has commits
 * this store lacks (or refused the update: the caller tells which). */
static int push_once(bool *rejected, char **why, ds_store *st,
                     GError **err)
{
    g_autoptr(ds_lock) lock = NULL;
    git_remote *remote = NULL;
    git_push_options po = GIT_PUSH_OPTIONS_INIT;
    char *spec = BRANCH ":" BRANCH;
    git_strarray specs = {&spec, 1};
    conn c;
    int rc = 0, grc;

    *rejected = false;
    *why = NULL;
    if (g_str_has_prefix(st->remote_url, "file://")) {
        g_autofree char *path = g_filename_from_uri(st->remote_url, NULL, NULL);
        g_autofree char *lockpath =
            path ? g_build_filename(path, REMOTE_LOCK_NAME, NULL) : NULL;

        git_repository *there = NULL;

        if (!path || git_repository_open_bare(&there, path) < 0) {
            git_error_clear();
            return ds_error_set(err, DS_ENOTFOUND,
                                "store remote %s: push: no bare git repository at %s",
                                st->remote_url, path ? path : "that URL");
        }
        git_repository_free(there);
        if (ds_lock_take(&lock, NULL, lockpath, 0644, REMOTE_LOCK_MS, err) < 0)
            return ds_error_prefix(err, DS_EGENERIC, "store remote %s: push: ",
                                   st->remote_url);
    }
    conn_init(&c, st, &po.callbacks);
    if (remote_open(&remote, st) < 0) {
        rc = conn_error(err, &c, DS_EGENERIC, NULL);
        goto done;
    }
    grc = git_remote_push(remote, &specs, &po);
    if (grc == GIT_ENONFASTFORWARD) {
        *rejected = true;
        *why = g_strdup("the remote has commits this store lacks");
    } else if (grc < 0) {
        rc = conn_error(err, &c, DS_EGENERIC, "push");
    } else if (c.rejected) {
        *rejected = true;
        *why = c.said ? g_strdup_printf("%s (%s)", c.rejected, c.said)
                      : g_strdup(c.rejected);
    } else {
        git_oid local;

        git_reference *ref = NULL;

        /* The remote has our branch now (a failure here only costs the
         * next run one push that finds nothing to do). */
        if (git_reference_name_to_id(&local, st->repo, BRANCH) == 0 &&
            git_reference_create(&ref, st->repo, TRACKING, &local, 1,
                                 "driftsync: pushed") == 0)
            git_reference_free(ref);
    }
done:
    git_remote_free(remote);
    conn_clear(&c);
    git_error_clear();
    return rc;
}

/* ---- re-applying local commits on the remote's tip ------------------- */

/* The tree of base with what commit c changed against its first parent
 * put in (paths it added or changed) or taken out (paths it removed). */
static int replay_tree(git_oid *out, git_repository *repo, git_tree *base,
                       git_commit *c)
{
    git_commit *parent = NULL;
    git_tree *old = NULL, *new = NULL;
    git_diff *diff = NULL;
    g_autofree git_tree_update *ups = NULL;
    size_t n = 0, nd;
    int rc = -1;

    if ((git_commit_parentcount(c) &&
         (git_commit_parent(&parent, c, 0) < 0 ||
          git_commit_tree(&old, parent) < 0)) ||
        git_commit_tree(&new, c) < 0 ||
        git_diff_tree_to_tree(&diff, repo, old, new, NULL) < 0)
        goto done;
    nd = git_diff_num_deltas(diff);
    ups = g_new0(git_tree_update, nd + 1);
    for (size_t i = 0; i < nd; i++) {
        const git_diff_delta *d = git_diff_get_delta(diff, i);
        git_tree_entry *e = NULL;

        if (d->status == GIT_DELTA_DELETED) {
            /* Gone from the remote's tree already: nothing to remove. */
            if (git_tree_entry_bypath(&e, base, d->old_file.path) < 0)
                continue;
            git_tree_entry_free(e);
            ups[n].action = GIT_TREE_UPDATE_REMOVE;
            ups[n++].path = d->old_file.path;
        } else {
            ups[n].action = GIT_TREE_UPDATE_UPSERT;
            ups[n].id = d->new_file.id;
            ups[n].filemode = d->new_file.mode;
            ups[n++].path = d->new_file.path;
        }
    }
    rc = git_tree_create_updated(out, repo, base, n, ups);
done:
    git_diff_free(diff);
    git_tree_free(old);
    git_tree_free(new);
    git_commit_free(parent);
    return rc;
}

/* The commits from tip (exclusive) to local, oldest first, each made
 * again on top of the previous one starting at tip; one that changes
 * nothing there is dropped.  *out: the last one (tip when none is left). */
static int replay(git_oid *out, ds_store *st, const git_oid *local,
                  const git_oid *tip, GError **err)
{
    git_repository *repo = st->repo;
    git_revwalk *walk = NULL;
    git_commit *cur = NULL;
    git_oid id;
    int rc = 0;

    *out = *tip;
    if (git_revwalk_new(&walk, repo) < 0 ||
        git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0 ||
        git_revwalk_push(walk, local) < 0 || git_revwalk_hide(walk, tip) < 0 ||
        git_commit_lookup(&cur, repo, tip) < 0) {
        rc = ds_store_git_error(err, DS_EGENERIC, "store %s: re-applying on the remote's tip", st->path);
        goto done;
    }
    while (rc == 0 && git_revwalk_next(&id, walk) == 0) {
        git_commit *c = NULL, *made = NULL;
        git_tree *base = NULL, *tree = NULL;
        git_oid tree_id, commit_id;

        if (git_commit_lookup(&c, repo, &id) < 0 ||
            git_commit_tree(&base, cur) < 0 ||
            replay_tree(&tree_id, repo, base, c) < 0 ||
            git_tree_lookup(&tree, repo, &tree_id) < 0)
            rc = -1;
        else if (!git_oid_equal(&tree_id, git_tree_id(base)) &&
                 (git_commit_create(&commit_id, repo, NULL,
                                    git_commit_author(c),
                                    git_commit_committer(c),
                                    git_commit_message_encoding(c),
                                    git_commit_message(c), tree, 1,
                                    (const git_commit **)&cur) < 0 ||
                  git_commit_lookup(&made, repo, &commit_id) < 0))
            rc = -1;
        if (made) {
            git_commit_free(cur);
            cur = made;
        }
        git_tree_free(tree);
        git_tree_free(base);
        git_commit_free(c);
    }
    if (rc < 0)
        rc = ds_store_git_error(err, DS_EGENERIC, "store %s: re-applying %.12s on the remote's tip", st->path, git_oid_tostr_s(&id));
    else
        *out = *git_commit_id(cur);
done:
    git_commit_free(cur);
    git_revwalk_free(walk);
    return rc;
}

/* Bring the fetched tip into the branch at local: fast-forward, or the
 * local commits re-applied on it.  *ahead: the branch then has commits
 * the remote lacks. */
static int integrate(bool *ahead, ds_store *st, const git_oid *local,
                     const git_oid *tip, GError **err)
{
    git_oid head;
    int rc;

    *ahead = false;
    if (git_oid_equal(local, tip) ||
        git_graph_descendant_of(st->repo, local, tip) == 1) {
        *ahead = !git_oid_equal(local, tip);
        return 0;
    }
    if (git_graph_descendant_of(st->repo, tip, local) == 1)
        return ds_store_move_branch(st, local, tip,
                                    "driftsync: fast-forward to the remote",
                                    err);
    if ((rc = replay(&head, st, local, tip, err)) < 0 ||
        (rc = ds_store_sync_objects(st, err)) < 0 ||
        (rc = ds_store_move_branch(st, local, &head,
                                   "driftsync: re-applied on the remote's tip",
                                   err)) < 0)
        return rc;
    *ahead = !git_oid_equal(&head, tip);
    return 0;
}

int ds_store_push(ds_store *st, GError **err)
{
    git_oid local, tip;
    int rc;

    if (!st->remote_url)
        return 0;
    for (int attempt = 1; attempt <= PUSH_ATTEMPTS; attempt++) {
        g_autofree char *why = NULL;
        bool rejected, have, ahead;

        if (git_reference_name_to_id(&local, st->repo, BRANCH) < 0)
            return 0; /* no commit yet */
        if (attempt == 1 &&
            git_reference_name_to_id(&tip, st->repo, TRACKING) == 0 &&
            git_oid_equal(&tip, &local))
            return 0; /* the remote had it all when we last looked */
        if ((rc = push_once(&rejected, &why, st, err)) < 0)
            return rc;
        if (!rejected)
            return 0;
        if ((rc = fetch_once(&have, &tip, st, err)) < 0)
            return rc;
        /* Nothing new there: the refusal was not a race. */
        if (!have || git_oid_equal(&tip, &local) ||
            git_graph_descendant_of(st->repo, &local, &tip) == 1)
            return ds_error_set(err, DS_ECONFLICT,
                                "store remote %s refused the push: %s",
                                st->remote_url, why);
        if ((rc = integrate(&ahead, st, &local, &tip, err)) < 0)
            return rc;
        if (!ahead)
            return 0;
        g_usleep(g_random_int_range(0, PUSH_BACKOFF_US * attempt));
    }
    return ds_error_set(err, DS_ECONFLICT,
                        "store remote %s: still beaten by other writers after %d attempts",
                        st->remote_url, PUSH_ATTEMPTS);
}

void ds_store_push_or_warn(ds_store *st)
{
    g_autoptr(GError) e = NULL;

    if (!st->remote_url || st->push_failed)
        return;
    if (ds_store_push(st, &e) < 0) {
        st->push_failed = true;
        ds_log_emit(&st->log, DS_LOG_WARNING,
                    "%s; the commit stays in %s and the next run pushes it",
                    e->message, st->path);
    }
}

int ds_store_fetch(ds_store *st, int timeout_ms, GError **err)
{
    git_oid local, tip;
    bool have, ahead;
    bool own_lock = !st->lock;
    int rc;

    if (!st->remote_url)
        return ds_error_set(err, DS_EINVALID,
                            "store %s: no [store] remote to fetch from",
                            st->path);
    if (own_lock && (rc = ds_store_lock(st, timeout_ms, err)) < 0)
        return rc;
    if ((rc = fetch_once(&have, &tip, st, err)) < 0)
        goto done;
    if (!have) /* an empty remote: it gets what this store has */
        ds_store_push_or_warn(st);
    else if (git_reference_name_to_id(&local, st->repo, BRANCH) < 0)
        rc = ds_store_move_branch(st, NULL, &tip,
                                  "driftsync: the remote's branch", err);
    else if ((rc = integrate(&ahead, st, &local, &tip, err)) == 0 && ahead)
        ds_store_push_or_warn(st);
done:
    if (own_lock)
        ds_store_unlock(st);
    return rc;
}

/* Fill the new store at tmp from the remote (ds_store_init_full). */
static int fill_from(const char *tmp, void *payload, GError **err)
{
    const ds_store_remote *r = payload;
    g_autoptr(ds_store) st = NULL;
    git_oid tip;
    bool have;
    int rc;

    if ((rc = ds_store_open(&st, tmp, err)) < 0)
        return rc;
    ds_store_set_remote(st, r, NULL);
    if ((rc = fetch_once(&have, &tip, st, err)) < 0 || !have)
        return rc;
    return ds_store_move_branch(st, NULL, &tip,
                                "driftsync: made from the remote", err);
}

int ds_store_init_from(const char *path, const ds_store_remote *r,
                       GError **err)
{
    const char *why;

    if (!ds_store_remote_url_is_valid(r->url, &why))
        return ds_error_set(err, DS_EINVALID, "store remote: %s", why);
    return ds_store_init_full(path, fill_from, (void *)r, err);
}
