/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store-pack.c: keeping the store fast as it grows: when its
 * loose objects pass a threshold, as `git gc --auto` finds them, they are
 * written into one pack (libgit2's packbuilder, deltas against each other
 * -- a host's nightly manifests differ in a few lines) and removed, under
 * the store lock.  Nothing is pruned: every object stays, packed. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifests/store-private.h"

/* Threads the packbuilder searches deltas in. */
#define PACK_THREADS 2
/* `git gc --auto` estimates the loose objects from this one of the 256
 * fan-out directories. */
#define SAMPLE_DIR "17"

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isxdigit(s[i]) || g_ascii_isupper(s[i]))
            return false;
    return s[n] == '\0';
}

guint ds_store_loose_estimate(ds_store *st)
{
    g_autofree char *dir = g_build_filename(git_repository_path(st->repo),
                                            "objects", SAMPLE_DIR, NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    guint n = 0;

    while (d && (name = g_dir_read_name(d)))
        if (is_hex(name, GIT_OID_HEXSZ - 2))
            n++;
    return n * 256;
}

/* Every loose object's id, inserted into pb and added to ids. */
static int insert_loose(GArray *ids, git_packbuilder *pb, ds_store *st,
                        const char *objects, GError **err)
{
    for (int fan = 0; fan < 256; fan++) {
        char sub[3];
        g_autofree char *dir = NULL;
        g_autoptr(GDir) d = NULL;
        const char *name;

        g_snprintf(sub, sizeof(sub), "%02x", fan);
        dir = g_build_filename(objects, sub, NULL);
        if (!(d = g_dir_open(dir, 0, NULL)))
            continue;
        while ((name = g_dir_read_name(d))) {
            char hex[GIT_OID_HEXSZ + 1];
            git_oid id;

            if (!is_hex(name, GIT_OID_HEXSZ - 2))
                continue;
            g_snprintf(hex, sizeof(hex), "%s%s", sub, name);
            if (git_oid_fromstr(&id, hex) < 0 ||
                git_packbuilder_insert(pb, &id, NULL) < 0)
                return ds_store_git_error(err, DS_EGENERIC,
                                          "store %s: packing object %s",
                                          st->path, hex);
            g_array_append_val(ids, id);
        }
    }
    return 0;
}

/* Remove the loose copies of ids, now in a pack that is on disk. */
static void remove_loose(const GArray *ids, const char *objects)
{
    for (guint i = 0; i < ids->len; i++) {
        char hex[GIT_OID_HEXSZ + 1];
        g_autofree char *path = NULL;

        git_oid_tostr(hex, sizeof(hex), &g_array_index(ids, git_oid, i));
        path = g_strdup_printf("%s/%.2s/%s", objects, hex, hex + 2);
        (void)unlink(path);
    }
}

int ds_store_pack(guint *out_packed, ds_store *st, GError **err)
{
    g_autofree char *objects =
        g_build_filename(git_repository_path(st->repo), "objects", NULL);
    g_autofree char *packdir = g_build_filename(objects, "pack", NULL);
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(git_oid));
    git_packbuilder *pb = NULL;
    git_odb *odb = NULL;
    struct stat sb;
    guint mode;
    int rc;

    *out_packed = 0;
    if (!st->lock)
        return ds_error_set(err, DS_EINVALID,
                            "store %s: packing is done under the store lock only", st->path);
    /* Pack files as the store's objects: its group reads them, when it
     * has one. */
    mode = stat(st->path, &sb) == 0 && (sb.st_mode & 0070) ? 0440 : 0400;
    if (g_mkdir_with_parents(packdir, 0700) < 0)
        return ds_error_set(err, DS_EGENERIC, "store %s: %s: %s", st->path,
                            packdir, g_strerror(errno));
    if (git_packbuilder_new(&pb, st->repo) < 0)
        return ds_store_git_error(err, DS_EGENERIC, "store %s: packing",
                                  st->path);
    git_packbuilder_set_threads(pb, PACK_THREADS);
    if ((rc = insert_loose(ids, pb, st, objects, err)) < 0)
        goto done;
    if (ids->len == 0)
        goto done;
    if (git_packbuilder_write(pb, packdir, mode, NULL, NULL) < 0) {
        rc = ds_store_git_error(err, DS_EGENERIC,
                                "store %s: writing the pack", st->path);
        goto done;
    }
    /* The pack is on disk before any loose copy goes. */
    if ((rc = ds_store_sync_objects(st, err)) < 0)
        goto done;
    if (git_repository_odb(&odb, st->repo) == 0)
        git_odb_refresh(odb);
    remove_loose(ids, objects);
    *out_packed = ids->len;
    /* The diff cache keeps what HEAD holds: every ~13 nights at 10,000
     * hosts, not a year's worth of manifests. */
    ds_store_diffcache_prune(st);

done:
    git_odb_free(odb);
    git_packbuilder_free(pb);
    return rc;
}

int ds_store_pack_auto(guint *out_packed, ds_store *st, guint threshold,
                       GError **err)
{
    *out_packed = 0;
    if (threshold == 0 || ds_store_loose_estimate(st) <= threshold)
        return 0;
    return ds_store_pack(out_packed, st, err);
}

void ds_store_set_pack_threshold(ds_store *st, guint threshold)
{
    st->pack_threshold = threshold;
}
