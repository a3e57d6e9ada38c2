/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/testutil.c: what the unit tests share -- temporary
 * directories removed at exit, fixture paths, private system directories. */
#include <config.h>

#include <errno.h>
#include <ftw.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "tests/unit/testutil.h"

/* Open file descriptors nftw may hold while walking. */
#define RM_RF_MAX_FDS 32

static GPtrArray *tmpdirs; /* removed at exit */

static int rm_one(const char *path, const struct stat *sb, int type,
                  struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (type == FTW_DP)
        return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
    return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

void ds_test_rm_rf(const char *dir)
{
    if (dir && g_file_test(dir, G_FILE_TEST_EXISTS))
        (void)nftw(dir, rm_one, RM_RF_MAX_FDS, FTW_DEPTH | FTW_PHYS);
}

static void remove_tmpdirs(void)
{
    for (guint i = 0; tmpdirs && i < tmpdirs->len; i++) {
        const char *dir = g_ptr_array_index(tmpdirs, i);

        (void)umount2(dir, MNT_DETACH); /* ds_test_private_dir's tmpfs */
        ds_test_rm_rf(dir);
    }
    g_clear_pointer(&tmpdirs, g_ptr_array_unref);
}

char *ds_test_tmpdir(const char *tmpl)
{
    g_autoptr(GError) err = NULL;
    char *dir = g_dir_make_tmp(tmpl, &err);

    g_assert_no_error(err);
    if (!tmpdirs) {
        tmpdirs = g_ptr_array_new_with_free_func(g_free);
        atexit(remove_tmpdirs);
    }
    g_ptr_array_add(tmpdirs, g_strdup(dir));
    return dir;
}

char *ds_test_data(const char *first, ...)
{
    g_autoptr(GPtrArray) parts = g_ptr_array_new();
    const char *srcdir = g_getenv("G_TEST_SRCDIR");
    va_list ap;

    /* Run by hand from the build tree: the sources are next to it. */
    g_ptr_array_add(parts, (gpointer)(srcdir ? srcdir : "tests"));
    g_ptr_array_add(parts, (gpointer) "data");
    va_start(ap, first);
    for (const char *p = first; p; p = va_arg(ap, const char *))
        g_ptr_array_add(parts, (gpointer)p);
    va_end(ap);
    g_ptr_array_add(parts, NULL);
    return g_build_filenamev((char **)parts->pdata);
}

char *ds_test_write_config(const char *dir, const char *name, const char *text)
{
    g_autofree char *data = ds_test_data(".", NULL);
    g_autoptr(GString) s = g_string_new(text);
    g_autoptr(GError) err = NULL;
    char *path = g_build_filename(dir, name, NULL);

    g_string_replace(s, "@DIR@", dir, 0);
    g_string_replace(s, "@DATA@", data, 0);
    g_assert_true(g_file_set_contents(path, s->str, (gssize)s->len, &err));
    g_assert_no_error(err);
    return path;
}

char *ds_test_debian_root(const char *dir)
{
    g_autofree char *script = ds_test_data("dpkg", "mkroot.sh", NULL);
    g_autofree char *errout = NULL;
    g_autoptr(GError) err = NULL;
    const char *argv[] = {"sh", script, dir, NULL};
    g_autofree char *dpkg_deb = g_find_program_in_path("dpkg-deb");
    int status = -1;

    if (!dpkg_deb) {
        g_test_skip("dpkg-deb is not installed");
        return NULL;
    }
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
                               G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                               NULL, NULL, NULL, &errout, &status, &err));
    g_assert_no_error(err);
    if (!g_spawn_check_wait_status(status, &err))
        g_error("%s %s: %s", script, dir, errout);
    return g_build_filename(dir, "root", NULL);
}

gboolean ds_test_private_dir(const char *dir, char **why)
{
    g_autofree char *mem = NULL;
    g_autofree char *upper = NULL;
    g_autofree char *work = NULL;
    g_autofree char *opts = NULL;

    *why = NULL;
    if (geteuid() != 0) {
        *why = g_strdup("not root");
        return FALSE;
    }
    if (unshare(CLONE_NEWNS) < 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        *why = g_strdup_printf("no private mount namespace: %s",
                               g_strerror(errno));
        return FALSE;
    }
    /* The overlay's upper layer in memory: nothing written stays. */
    mem = ds_test_tmpdir("ds-private-XXXXXX");
    if (mount("tmpfs", mem, "tmpfs", 0, "mode=0700") < 0) {
        *why = g_strdup_printf("tmpfs on %s: %s", mem, g_strerror(errno));
        return FALSE;
    }
    upper = g_build_filename(mem, "upper", NULL);
    work = g_build_filename(mem, "work", NULL);
    if (g_mkdir(upper, 0755) < 0 || g_mkdir(work, 0700) < 0) {
        *why = g_strdup_printf("%s: %s", mem, g_strerror(errno));
        return FALSE;
    }
    opts =
        g_strdup_printf("lowerdir=%s,upperdir=%s,workdir=%s", dir, upper, work);
    if (mount("overlay", dir, "overlay", 0, opts) < 0) {
        *why = g_strdup_printf("overlay on %s: %s", dir, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}
