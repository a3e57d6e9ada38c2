/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/engine/apply-rpm.c: run an rpm host's package steps on the lab: the
 * dnf transaction (with package files from the cache, their digests
 * checked again) and versionlock, through the rpm platform's driver
 * (drivers/platform-rpm-apply.c), after checking the action once more. */
#include <config.h>

#include <string.h>

#include "drivers/platform-rpm-apply.h"
#include "manifests/util/error.h"
#include "sync/engine/apply-private.h"

#define TAIL_LINES 10

bool ds_sync_action_is_rpm(const ds_action *a)
{
    return a->argv && a->argv[0] && !strcmp(a->argv[0], "dnf");
}

static bool argv_equal(char **a, char **b)
{
    guint i = 0;

    for (; a[i] && b[i]; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return !a[i] && !b[i];
}

/* The request of a package file from the cache is one of the items, its
 * target a plain file in DS_RPM_FILE_DIR. */
static const char *bad_file(const ds_action *a)
{
    for (guint i = 0; a->debs && i < a->debs->len; i++) {
        const ds_plan_deb *d = a->debs->pdata[i];
        g_autofree char *line =
            g_strdup_printf("install %s", d->target ? d->target : "");

        if (!d->target || !strchr(d->target, '/') ||
            !ds_rpm_tx_line_is_safe(line))
            return d->target ? d->target : "(none)";
        if (!d->request || !a->items ||
            !g_strv_contains((const char *const *)a->items, d->request) ||
            !d->cache_path || !d->sha256 || strlen(d->sha256) != 64)
            return d->request ? d->request : "(none)";
    }
    return NULL;
}

static const char *bad_lock(const ds_action *a)
{
    guint argc = g_strv_length(a->argv);

    if (argc < 6 || strcmp(a->argv[1], "-y") ||
        strcmp(a->argv[2], "versionlock") ||
        (strcmp(a->argv[3], "add") && strcmp(a->argv[3], "delete")) ||
        strcmp(a->argv[4], "--"))
        return a->argv[0];
    for (guint i = 5; i < argc; i++) {
        g_autofree char *line =
            g_strdup_printf("remove %s%s", a->argv[i],
                            strcmp(a->argv[3], "add") ? ".noarch" : "");

        /* add: a NEVRA; delete: a NAME (checked as NAME.noarch) */
        if (strchr(a->argv[i], '/') || !ds_rpm_tx_line_is_safe(line) ||
            (!strcmp(a->argv[3], "add") && !strchr(a->argv[i], ':')))
            return a->argv[i];
    }
    return NULL;
}

int ds_sync_validate_rpm(const ds_action *a, guint index, GError **err)
{
    const char *what = NULL, *bad = NULL;

    if (a->kind == DS_ACTION_VERSIONLOCK) {
        if (!ds_sync_action_is_rpm(a) || (bad = bad_lock(a)))
            what = "versionlock argument", bad = bad ? bad : "(none)";
    } else {
        g_auto(GStrv) want = ds_rpm_tx_argv(NULL);

        if (!argv_equal(a->argv, want))
            what = "dnf command", bad = a->argv[0];
        for (guint i = 0; !what && a->items && a->items[i]; i++)
            if (strchr(a->items[i], '/') ||
                !ds_rpm_tx_line_is_safe(a->items[i]))
                what = "transaction line", bad = a->items[i];
        if (!what && (!a->items || !a->items[0]))
            what = "transaction", bad = "(empty)";
        if (!what && (bad = bad_file(a)))
            what = "package file";
    }
    if (what) {
        g_autofree char *shown = g_strescape(bad ? bad : "(none)", NULL);

        return ds_error_set(err, DS_EINVALID, "step %u (%s): refusing %s '%s'",
                            index, a->description, what, shown);
    }
    return 0;
}

static void take_failure(ds_step_failure **failure, ds_rpm_failure *rf,
                         const ds_action *a, guint index)
{
    ds_step_failure *f;

    if (!rf)
        return;
    f = g_new0(ds_step_failure, 1);
    f->index = index;
    f->description = g_strdup(a->description);
    f->command = g_strdup(rf->command);
    f->status = rf->status;
    f->output = ds_sync_output_tail(rf->out, rf->err, TAIL_LINES);
    *failure = f;
}

/* The package files of the transaction read from the cache, each digest
 * checked again, and the lines with their requests replaced. */
static int load_files(GArray *files, GPtrArray *lines, const ds_action *a,
                      guint index, GError **err)
{
    for (guint i = 0; a->items[i]; i++)
        g_ptr_array_add(lines, g_strdup(a->items[i]));
    for (guint i = 0; a->debs && i < a->debs->len; i++) {
        const ds_plan_deb *d = a->debs->pdata[i];
        g_autoptr(GError) e = NULL;
        g_autofree char *sum = NULL;
        char *data = NULL;
        gsize len = 0;
        ds_rpm_file f;

        if (!g_file_get_contents(d->cache_path, &data, &len, &e))
            return ds_error_set(err, DS_ENOTFOUND,
                                "step %u (%s): %s from the package cache: %s",
                                index, a->description, d->request, e->message);
        sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)data,
                                          len);
        if (strcmp(sum, d->sha256) != 0) {
            g_free(data);
            return ds_error_set(err, DS_EINVALID,
                                "step %u (%s): %s: the package cache's %s is damaged (SHA256 %s, expected %s)",
                                index, a->description, d->request,
                                d->cache_path, sum, d->sha256);
        }
        f.target = d->target;
        f.data = g_bytes_new_take(data, len);
        g_array_append_val(files, f);
        for (guint j = 0; j < lines->len; j++)
            if (!strcmp(a->items[j], d->request)) {
                const char *sp = strchr(d->request, ' ');

                g_free(lines->pdata[j]);
                lines->pdata[j] = g_strdup_printf(
                    "%.*s %s", (int)(sp - d->request), d->request, d->target);
            }
    }
    g_ptr_array_add(lines, NULL);
    return 0;
}

static void clear_file(gpointer p)
{
    ds_rpm_file *f = p;

    g_bytes_unref(f->data);
}

int ds_sync_apply_rpm(ds_step_failure **failure, ds_transport *t,
                      const ds_action *a, guint index, GError **err)
{
    g_autoptr(ds_rpm_failure) rf = NULL;
    int rc;

    if (a->kind == DS_ACTION_VERSIONLOCK) {
        rc = ds_rpm_versionlock_run(&rf, t, "the lab",
                                    (const char *const *)a->argv, err);
    } else {
        g_autoptr(GArray) files = g_array_new(FALSE, FALSE,
                                              sizeof(ds_rpm_file));
        g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);

        g_array_set_clear_func(files, clear_file);
        if ((rc = load_files(files, lines, a, index, err)) < 0)
            return rc;
        rc = ds_rpm_tx_run(&rf, t, (const char *const *)a->items,
                           (const char *const *)lines->pdata,
                           (const ds_rpm_file *)(void *)files->data,
                           files->len, err);
    }
    take_failure(failure, rf, a, index);
    if (rc < 0)
        return ds_error_prefix(err, rc, "step %u (%s): ", index,
                               a->description);
    return 0;
}
