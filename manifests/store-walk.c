/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store-walk.c: one walk over the store's first-parent history
 * that says, commit by commit, which ROLE/HOST.json manifests changed:
 * the role trees of a commit and of its parent are compared by id, and
 * only when they differ are their entries compared, by blob id, in one
 * pass over both sorted lists.  No manifest is read, and each commit and
 * tree is read once. */
#include <config.h>

#include <string.h>

#include "manifests/store-private.h"

/* A role tree of one commit: its id, and the tree once it is needed. */
typedef struct {
    int state; /* 0 present, 1 absent */
    git_oid id;
    git_tree *tree;
} role_side;

/* The roles' trees of one commit. */
typedef struct {
    git_oid commit;
    bool valid;
    role_side side[DS_STORE_WALK_ROLES];
} commit_sides;

static void sides_clear(commit_sides *s)
{
    for (guint i = 0; i < DS_STORE_WALK_ROLES; i++)
        git_tree_free(s->side[i].tree);
    memset(s, 0, sizeof(*s));
}

/* The role trees' ids of commit c (trees not read yet). */
static int sides_of(commit_sides *out, const git_commit *c,
                    const ds_role *roles, guint n)
{
    git_tree *root = NULL;

    memset(out, 0, sizeof(*out));
    if (git_commit_tree(&root, c) < 0)
        return -1;
    for (guint i = 0; i < n; i++)
        out->side[i].state = ds_store_tree_blob_id(
            &out->side[i].id, root, ds_role_name(roles[i]), GIT_OBJECT_TREE);
    git_tree_free(root);
    out->commit = *git_commit_id(c);
    out->valid = true;
    return 0;
}

static int side_tree(ds_store *st, role_side *s)
{
    if (s->state != 0 || s->tree)
        return 0;
    return git_tree_lookup(&s->tree, st->repo, &s->id) < 0 ? -1 : 0;
}

static const git_oid *blob_of(const git_tree_entry *e)
{
    return e && git_tree_entry_type(e) == GIT_OBJECT_BLOB ? git_tree_entry_id(e)
                                                          : NULL;
}

/* Say one changed entry to fn when it is a HOST.json blob. */
static int say(ds_store_walk *w, const git_commit *c, ds_role role,
               const char *name, const git_oid *cur, const git_oid *par)
{
    size_t n = strlen(name);
    char host[256];
    ds_store_change ch;

    if ((!cur && !par) || (cur && par && git_oid_equal(cur, par)))
        return 0;
    if (n <= 5 || n - 5 >= sizeof(host) || strcmp(name + n - 5, ".json"))
        return 0;
    memcpy(host, name, n - 5);
    host[n - 5] = '\0';
    if (!ds_name_is_safe_host(host))
        return 0;
    ch.commit = c;
    ch.role = role;
    ch.host = host;
    ch.cur = cur;
    ch.par = par;
    return w->fn(w->payload, &ch);
}

/* The entries that differ between the role trees cur and par (either
 * NULL: absent), both sorted as git sorts them. */
static int diff_trees(ds_store_walk *w, const git_commit *c, ds_role role,
                      const git_tree *cur, const git_tree *par)
{
    size_t nc = cur ? git_tree_entrycount(cur) : 0;
    size_t np = par ? git_tree_entrycount(par) : 0;
    size_t i = 0, j = 0;
    int rc = 0;

    if (w->host) {
        g_autofree char *name = g_strdup_printf("%s.json", w->host);

        return say(w, c, role, name,
                   blob_of(cur ? git_tree_entry_byname(cur, name) : NULL),
                   blob_of(par ? git_tree_entry_byname(par, name) : NULL));
    }
    while (rc == 0 && (i < nc || j < np)) {
        const git_tree_entry *ec =
            i < nc ? git_tree_entry_byindex(cur, i) : NULL;
        const git_tree_entry *ep =
            j < np ? git_tree_entry_byindex(par, j) : NULL;
        int cmp = !ec ? 1 : !ep ? -1 : git_tree_entry_cmp(ec, ep);

        if (cmp < 0) {
            rc = say(w, c, role, git_tree_entry_name(ec), blob_of(ec), NULL);
            i++;
        } else if (cmp > 0) {
            rc = say(w, c, role, git_tree_entry_name(ep), NULL, blob_of(ep));
            j++;
        } else {
            rc = say(w, c, role, git_tree_entry_name(ec), blob_of(ec),
                     blob_of(ep));
            i++;
            j++;
        }
    }
    return rc;
}

/* The changes of commit c, whose role trees are cur and whose parent's
 * are par. */
static int commit_changes(ds_store_walk *w, ds_store *st, const git_commit *c,
                          commit_sides *cur, commit_sides *par)
{
    for (guint r = 0; r < w->nroles; r++) {
        role_side *sc = &cur->side[r], *sp = &par->side[r];
        int rc;

        if (sc->state != 0 && sp->state != 0)
            continue;
        if (sc->state == 0 && sp->state == 0 && git_oid_equal(&sc->id, &sp->id))
            continue; /* the role's tree did not move */
        if (side_tree(st, sc) < 0 || side_tree(st, sp) < 0)
            return ds_store_git_error(w->err, DS_EGENERIC, "store %s",
                                      st->path);
        if ((rc = diff_trees(w, c, w->roles[r], sc->tree, sp->tree)) != 0)
            return rc;
    }
    return 0;
}

/* The changes of commit c (its trees in cur) against its first parent,
 * whose trees are in par (read here when the walk did not bring them). */
static int changes_of(ds_store_walk *w, ds_store *st, const git_commit *c,
                      commit_sides *cur, commit_sides *par)
{
    git_commit *p = NULL;
    commit_sides own = {0};
    int rc;

    if (git_commit_parentcount(c) == 0) {
        for (guint r = 0; r < w->nroles; r++)
            own.side[r].state = 1; /* the root commit: nothing before */
        par = &own;
    } else if (!par ||
               !git_oid_equal(&par->commit, git_commit_parent_id(c, 0))) {
        if (git_commit_parent(&p, c, 0) < 0 ||
            sides_of(&own, p, w->roles, w->nroles) < 0) {
            git_commit_free(p);
            return ds_store_git_error(w->err, DS_EGENERIC, "store %s",
                                      st->path);
        }
        git_commit_free(p);
        par = &own;
    }
    rc = commit_changes(w, st, c, cur, par);
    sides_clear(&own);
    return rc;
}

/* The walk goes down the first parents, so each commit is the parent of
 * the one before: a commit's changes are found when the next commit (its
 * parent) has been read, and every commit and role tree is read once. */
int ds_store_walk_changes(ds_store *st, ds_store_walk *w)
{
    commit_sides prev_sides = {0}, sides = {0};
    git_commit *prev = NULL;
    git_revwalk *walk = NULL;
    git_oid id;
    int rc = 0;

    g_return_val_if_fail(w->nroles <= DS_STORE_WALK_ROLES, DS_EINVALID);
    if (git_repository_head_unborn(st->repo) == 1)
        return 0;
    if (git_revwalk_new(&walk, st->repo) < 0 ||
        git_revwalk_push_head(walk) < 0) {
        rc = ds_store_git_error(w->err, DS_EGENERIC, "store %s", st->path);
        goto done;
    }
    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
    git_revwalk_simplify_first_parent(walk);

    while (rc == 0 && git_revwalk_next(&id, walk) == 0) {
        git_commit *c = NULL;
        bool older;

        if (git_commit_lookup(&c, st->repo, &id) < 0 ||
            sides_of(&sides, c, w->roles, w->nroles) < 0) {
            git_commit_free(c);
            rc = ds_store_git_error(w->err, DS_EGENERIC, "store %s", st->path);
            break;
        }
        older = w->since && git_commit_time(c) < w->since;
        if (prev)
            rc = changes_of(w, st, prev, &prev_sides, &sides);
        git_commit_free(prev);
        sides_clear(&prev_sides);
        prev = c;
        prev_sides = sides;
        memset(&sides, 0, sizeof(sides));
        if (older) {
            git_commit_free(g_steal_pointer(&prev)); /* not in the walk */
            break;
        }
    }
    git_error_clear();
    if (rc == 0 && prev) /* the last commit walked: its parent not read */
        rc = changes_of(w, st, prev, &prev_sides, NULL);
    if (rc > 0)
        rc = 0; /* fn said it has seen enough */

done:
    git_commit_free(prev);
    sides_clear(&prev_sides);
    sides_clear(&sides);
    git_revwalk_free(walk);
    return rc;
}
