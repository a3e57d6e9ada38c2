/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store-mode.c: who may read the store: its owner only
 * (directories 0700), or also one group of readers (02750, the group's);
 * objects libgit2 writes later are no looser, a looser store is named
 * with its fix, and temporary objects left by killed runs are removed. */
#include <config.h>

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2/sys/odb_backend.h>

#include "manifests/store-private.h"

#define DIR_MODE 0700
#define DIR_MODE_GROUP 02750
#define OBJECT_MODE 0400
#define OBJECT_MODE_GROUP 0440
#define TMP_OBJECT_PREFIX "tmp_object_git2_"

static int group_id(gid_t *out, const char *group, GError **err)
{
    struct group *g = getgrnam(group);

    if (!g)
        return ds_error_set(err, DS_ENOTFOUND,
                            "[store] group: no group '%s' on this machine",
                            group);
    *out = g->gr_gid;
    return 0;
}

/* One entry: directories DIR_MODE(_GROUP), files keep their owner bits,
 * lose others' (and the group's, or only its write without a group). */
static int tighten(const char *path, bool shared, gid_t gid, GError **err)
{
    struct stat sb;
    mode_t mode;

    if (lstat(path, &sb) < 0)
        return ds_error_set(err, DS_EGENERIC, "%s: %s", path,
                            g_strerror(errno));
    if (S_ISLNK(sb.st_mode))
        return 0;
    if (shared && sb.st_gid != gid && lchown(path, (uid_t)-1, gid) < 0)
        return ds_error_set(err, DS_EGENERIC,
                            "%s: cannot give it to the group: %s",
                            path, g_strerror(errno));
    if (S_ISDIR(sb.st_mode))
        mode = shared ? DIR_MODE_GROUP : DIR_MODE;
    else
        mode = sb.st_mode & (shared ? 0750 : 0700);
    if (chmod(path, mode) < 0)
        return ds_error_set(err, DS_EGENERIC,
                            "%s: cannot change its mode: %s",
                            path, g_strerror(errno));
    return 0;
}

static int tighten_tree(const char *path, bool shared, gid_t gid, GError **err)
{
    g_autoptr(GDir) dir = NULL;
    const char *name;
    int rc = tighten(path, shared, gid, err);

    if (rc < 0 || !g_file_test(path, G_FILE_TEST_IS_DIR) ||
        g_file_test(path, G_FILE_TEST_IS_SYMLINK))
        return rc;
    if (!(dir = g_dir_open(path, 0, NULL)))
        return ds_error_set(err, DS_EGENERIC, "%s: cannot read it", path);
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *child = g_build_filename(path, name, NULL);
        if ((rc = tighten_tree(child, shared, gid, err)) < 0)
            return rc;
    }
    return 0;
}

int ds_store_share(const char *path, const char *group, GError **err)
{
    gid_t gid = (gid_t)-1;
    git_repository *repo = NULL;
    git_config *cfg = NULL;
    int rc = 0;

    if (group && (rc = group_id(&gid, group, err)) < 0)
        return rc;
    /* The git CLI (gc, repack) writes no looser either.  First: libgit2
     * rewrites the config file with its own mode. */
    git_libgit2_init();
    if (git_repository_open_bare(&repo, path) < 0 ||
        git_repository_config(&cfg, repo) < 0 ||
        git_config_set_string(cfg, "core.sharedRepository",
                              group ? "0640" : "0600") < 0)
        rc = ds_store_git_error(err, DS_EGENERIC,
                                "%s: cannot configure the store", path);
    git_config_free(cfg);
    git_repository_free(repo);
    git_libgit2_shutdown();
    if (rc == 0 && (rc = tighten_tree(path, group != NULL, gid, err)) < 0)
        return ds_error_prefix(err, rc, "store %s: ", path);
    return rc;
}

int ds_store_loose_backend(git_odb_backend **out, const char *path,
                           GError **err)
{
    g_autofree char *objects = g_build_filename(path, "objects", NULL);
    struct stat sb;
    bool shared;

    *out = NULL;
    /* The store's own mode says whether it has a group of readers. */
    if (stat(path, &sb) < 0)
        return ds_error_set(err, DS_EGENERIC, "%s: %s", path,
                            g_strerror(errno));
    shared = (sb.st_mode & 0070) != 0;
    /* Compressed as git compresses loose objects (core.looseCompression
     * 1): zlib's default level cost a first record twice the time, for
     * files a tenth smaller until they are packed. */
    if (git_odb_backend_loose(out, objects, LOOSE_COMPRESSION, 0,
                              shared ? DIR_MODE_GROUP : DIR_MODE,
                              shared ? OBJECT_MODE_GROUP : OBJECT_MODE) < 0)
        return ds_store_git_error(err, DS_EGENERIC,
                                  "%s: cannot open its object database",
                                  path);
    return 0;
}

int ds_store_mode_objects(git_repository *repo, const char *path, GError **err)
{
    git_odb_backend *loose = NULL;
    git_odb *odb = NULL;
    int rc;

    /* Ahead of libgit2's own loose backend (priority 1), which writes
     * 0444 objects in 0755 directories (less the umask): every write
     * goes to the first backend that can write. */
    if ((rc = ds_store_loose_backend(&loose, path, err)) < 0)
        return rc;
    /* It only writes: reads go to the packs first, then to libgit2's
     * loose backend (the same directory), rather than look for a loose
     * file of every packed object first. */
    loose->read = NULL;
    loose->read_prefix = NULL;
    loose->read_header = NULL;
    loose->exists = NULL;
    loose->exists_prefix = NULL;
    if (git_repository_odb(&odb, repo) < 0 ||
        git_odb_add_backend(odb, loose, 10) < 0) {
        loose->free(loose);
        rc = ds_store_git_error(err, DS_EGENERIC,
                                "%s: cannot open its object database",
                                path);
    }
    git_odb_free(odb);
    return rc;
}

char *ds_store_check_mode(const char *path, const char *group)
{
    g_autofree char *qp = g_shell_quote(path);
    struct stat sb;
    mode_t m;
    gid_t gid = (gid_t)-1;

    if (stat(path, &sb) < 0)
        return NULL;
    m = sb.st_mode & 07777;
    if (!group) {
        if (!(m & 0077))
            return NULL;
        return g_strdup_printf(
            "store %s can be read by %s (mode %04o); fix: chmod -R go-rwx %s (or name a group of readers in [store] group)",
            path, m & 0007 ? "other users" : "its group", m, qp);
    }
    if (group_id(&gid, group, NULL) < 0)
        return NULL; /* the configuration check says so */
    if (!(m & 0027) && sb.st_gid == gid)
        return NULL;
    g_autofree char *qg = g_shell_quote(group);
    return g_strdup_printf(
        "store %s is open to more than its owner and group %s (mode %04o, group id %u); fix: chgrp -R %s %s && chmod -R g+rX,g-w,o-rwx %s && find %s -type d -exec chmod g+s {} +",
        path, group, m, (guint)sb.st_gid, qg, qp, qp, qp);
}

guint ds_store_clean_tmp(ds_store *st)
{
    g_autofree char *objects =
        g_build_filename(git_repository_path(st->repo), "objects", NULL);
    g_autoptr(GDir) dir = g_dir_open(objects, 0, NULL);
    const char *name;
    guint n = 0;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *p = NULL;

        if (!g_str_has_prefix(name, TMP_OBJECT_PREFIX))
            continue;
        p = g_build_filename(objects, name, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_REGULAR) &&
            !g_file_test(p, G_FILE_TEST_IS_SYMLINK) && unlink(p) == 0)
            n++;
    }
    return n;
}

void ds_store_tighten_packs(ds_store *st)
{
    g_autofree char *packs = g_build_filename(git_repository_path(st->repo),
                                              "objects", "pack", NULL);
    g_autoptr(GDir) dir = g_dir_open(packs, 0, NULL);
    const char *name;
    struct stat top, sb;
    bool shared;

    if (!dir || stat(st->path, &top) < 0)
        return;
    shared = (top.st_mode & 0070) != 0;
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *p = g_build_filename(packs, name, NULL);

        if (lstat(p, &sb) == 0 && S_ISREG(sb.st_mode) &&
            (sb.st_mode & (shared ? 0027 : 0077)))
            (void)chmod(p, sb.st_mode & (shared ? 0750 : 0700));
    }
}
