/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/engine/apply.c: run one action of a plan on the lab through its
 * transport: file contents written with the transport's write_file (to a
 * temporary name, then chown, chmod and an atomic rename), everything else
 * as the action's argv; every exit status checked, names checked again. */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "manifests/util/shell.h"
#include "sync/engine/apply-private.h"

#define TAIL_LINES 10

void ds_step_failure_free(ds_step_failure *f)
{
    if (!f)
        return;
    g_free(f->description);
    g_free(f->command);
    g_free(f->output);
    g_free(f);
}

char *ds_sync_output_tail(GBytes *out, GBytes *err, guint n)
{
    g_autoptr(GString) all = g_string_new(NULL);
    GBytes *parts[2] = {out, err};
    g_auto(GStrv) lines = NULL;
    g_autofree char *text = NULL;
    guint count, first;
    GString *tail = g_string_new(NULL);

    for (int i = 0; i < 2; i++) {
        gsize len = 0;
        const char *d = parts[i] ? g_bytes_get_data(parts[i], &len) : NULL;

        if (!len)
            continue;
        g_string_append_len(all, d, (gssize)len);
        if (all->str[all->len - 1] != '\n')
            g_string_append_c(all, '\n');
    }
    /* Guest output is shown, never interpreted. */
    text = g_utf8_make_valid(all->str, (gssize)all->len);
    g_strchomp(text);
    lines = g_strsplit(text, "\n", -1);
    count = g_strv_length(lines);
    first = count > n ? count - n : 0;
    for (guint i = first; i < count; i++) {
        for (char *p = lines[i]; *p; p++)
            if ((guchar)*p < 0x20 && *p != '\t')
                *p = ' ';
        g_string_append_printf(tail, "%s%s", i > first ? "\n" : "",
                               lines[i]);
    }
    return g_string_free(tail, FALSE);
}

/* Run argv; a non-zero exit fills *failure. */
static int run(ds_step_failure **failure, ds_transport *t,
               const char *const *argv, GBytes *in, const ds_action *a,
               guint index, GError **err)
{
    ds_run_result r = {.status = -1};
    int rc = ds_transport_run(t, argv, in, &r, err);

    if (rc == 0 && r.status != 0) {
        ds_step_failure *f = g_new0(ds_step_failure, 1);

        f->index = index;
        f->description = g_strdup(a->description);
        f->command = ds_shell_display(argv);
        f->status = r.status;
        f->output = ds_sync_output_tail(r.out, r.err, TAIL_LINES);
        *failure = f;
        rc = ds_error_set(err, DS_EGENERIC, "step %u (%s): `%s` exited %d",
                          index, a->description, f->command, r.status);
    }
    ds_run_result_clear(&r);
    return rc;
}

static bool account_ok(const char *s)
{
    if (!s || !*s || s[0] == '-' || strlen(s) > 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!g_ascii_isalnum(*p) && !strchr("_-.", *p) &&
            !(*p == '$' && p[1] == '\0'))
            return false;
    return true;
}

/* A package request: "name[:arch]=version" or "name-". */
static bool request_ok(const char *req)
{
    g_autofree char *name = g_strdup(req);
    char *eq = strchr(name, '=');

    if (eq) {
        *eq = '\0';
        if (!eq[1] || eq[1] == '-')
            return false;
        for (const char *p = eq + 1; *p; p++)
            if (!g_ascii_isalnum(*p) && !strchr(".+~:-", *p))
                return false;
    } else if (g_str_has_suffix(name, "-")) {
        name[strlen(name) - 1] = '\0';
    } else {
        return false;
    }
    return ds_name_is_safe_package(name);
}

/* A package file's place in the lab: DS_PLAN_DEB_DIR/NAME.deb, NAME
 * plain. */
static bool deb_target_ok(const char *t)
{
    const char *base;

    if (!t || !g_str_has_prefix(t, DS_PLAN_DEB_DIR "/") ||
        !g_str_has_suffix(t, ".deb") || !ds_name_is_safe_path(t))
        return false;
    base = t + strlen(DS_PLAN_DEB_DIR "/");
    if (strchr(base, '/') || base[0] == '.' || base[0] == '-')
        return false;
    for (const char *p = base; *p; p++)
        if (!g_ascii_isalnum(*p) && !strchr("._+~%-", *p))
            return false;
    return true;
}

static bool is_deb_target(const ds_action *a, const char *arg)
{
    for (guint i = 0; a->debs && i < a->debs->len; i++)
        if (!strcmp(((ds_plan_deb *)a->debs->pdata[i])->target, arg))
            return true;
    return false;
}

/* The package transaction's requests after "--": each one of items, or
 * the lab path of a package file from the cache. */
static const char *bad_package_arg(const ds_action *a)
{
    guint i = 0;

    for (guint j = 0; a->debs && j < a->debs->len; j++) {
        const ds_plan_deb *d = a->debs->pdata[j];

        if (!deb_target_ok(d->target))
            return d->target;
        if (!d->cache_path || !d->sha256 || strlen(d->sha256) != 64)
            return d->request ? d->request : "(none)";
    }
    while (a->argv[i] && strcmp(a->argv[i], "--"))
        i++;
    if (!a->argv[i])
        return a->debs && a->debs->len ? "(no -- before the requests)" : NULL;
    for (i++; a->argv[i]; i++) {
        bool known = is_deb_target(a, a->argv[i]);

        for (guint k = 0; !known && a->items && a->items[k]; k++)
            known = !strcmp(a->argv[i], a->items[k]);
        if (!known)
            return a->argv[i];
    }
    return NULL;
}

/* The checks done again here, cheaply, before anything runs. */
static int validate(const ds_action *a, guint index, GError **err)
{
    const char *what = NULL;
    const char *bad = NULL;
    const char *a0 = a->argv ? a->argv[0] : NULL;
    guint argc = a->argv ? g_strv_length(a->argv) : 0;

    switch (a->kind) {
    case DS_ACTION_SOURCES_WRITE:
    case DS_ACTION_FILE_WRITE:
        if (!a->data)
            return ds_error_set(err, DS_EINVALID,
                                "step %u (%s): no content to write", index,
                                a->description);
        /* fall through */
    case DS_ACTION_FILE_LINK:
    case DS_ACTION_FILE_ATTR:
    case DS_ACTION_FILE_REMOVE:
        if (!a->path || !ds_name_is_safe_path(a->path))
            what = "path", bad = a->path;
        else if (a->owner && !account_ok(a->owner))
            what = "owner", bad = a->owner;
        else if (a->group && !account_ok(a->group))
            what = "group", bad = a->group;
        else if (a->kind != DS_ACTION_SOURCES_WRITE &&
                 a->kind != DS_ACTION_FILE_WRITE &&
                 (argc < 2 || g_strcmp0(a->argv[argc - 1], a->path) != 0))
            what = "command for", bad = a->path;
        break;
    case DS_ACTION_PACKAGES:
        if (ds_sync_action_is_rpm(a))
            return ds_sync_validate_rpm(a, index, err);
        if (argc < 4 || g_strcmp0(a0, "env") ||
            g_strcmp0(a->argv[1], "DEBIAN_FRONTEND=noninteractive") ||
            g_strcmp0(a->argv[2], "apt-get"))
            what = "package command", bad = a0;
        for (guint i = 0; !what && a->items && a->items[i]; i++)
            if (!request_ok(a->items[i]))
                what = "package request", bad = a->items[i];
        if (!what && (bad = bad_package_arg(a)))
            what = "package argument";
        break;
    case DS_ACTION_SERVICE:
        if (g_strcmp0(a0, "systemctl") || argc < 2)
            what = "service command", bad = a0;
        else if (argc == 4 && !ds_name_is_safe_service(a->argv[3]))
            what = "service name", bad = a->argv[3];
        break;
    case DS_ACTION_SOURCES_DISABLE:
        if (g_strcmp0(a0, "find"))
            what = "command", bad = a0;
        break;
    case DS_ACTION_APT_UPDATE:
        if (g_strcmp0(a0, "apt-get"))
            what = "command", bad = a0;
        break;
    case DS_ACTION_APT_MARK:
        if (g_strcmp0(a0, "apt-mark") || argc < 4 ||
            !g_strv_contains((const char *const[]){"hold", "unhold", "auto",
                                                   "manual", NULL},
                             a->argv[1]) ||
            g_strcmp0(a->argv[2], "--"))
            what = "apt-mark command", bad = a0;
        for (guint i = 3; !what && i < argc; i++)
            if (!ds_name_is_safe_package(a->argv[i]))
                what = "package name", bad = a->argv[i];
        break;
    case DS_ACTION_VERSIONLOCK:
        return ds_sync_validate_rpm(a, index, err);
    case DS_ACTION_REBOOT:
        break;
    case DS_ACTION_MANUAL:
        return ds_error_set(err, DS_EUNSUPPORTED,
                            "step %u cannot be replayed: %s", index,
                            a->description);
    }
    if (what) {
        g_autofree char *shown = g_strescape(bad ? bad : "(none)", NULL);

        return ds_error_set(err, DS_EINVALID,
                            "step %u (%s): refusing %s '%s'", index,
                            a->description, what, shown);
    }
    if (a->kind != DS_ACTION_REBOOT && a->kind != DS_ACTION_SOURCES_WRITE &&
        a->kind != DS_ACTION_FILE_WRITE && !argc)
        return ds_error_set(err, DS_EINVALID, "step %u (%s): no command",
                            index, a->description);
    return 0;
}

/* Content to a temporary name beside the file, owner, group and mode on
 * it, then rename over the file: the lab never sees half a file, and a
 * symbolic link in the way is replaced, not followed. */
static int write_content(ds_step_failure **failure, ds_transport *t,
                         const ds_action *a, guint index, GError **err)
{
    g_autofree char *dir = g_path_get_dirname(a->path);
    g_autofree char *base = g_path_get_basename(a->path);
    g_autofree char *tmpname = g_strdup_printf(".%s.driftsync-new", base);
    g_autofree char *tmp = g_build_filename(dir, tmpname, NULL);
    g_autofree char *mode = g_strdup_printf("%04o", a->mode & 07777);
    g_autofree char *who = NULL;
    int rc;

    if ((rc = run(failure, t, (const char *const[]){"mkdir", "-p", "--", dir,
                                                     NULL},
                  NULL, a, index, err)) < 0)
        return rc;
    if ((rc = ds_transport_write_file(t, tmp, a->data, a->mode & 07777,
                                      err)) < 0)
        return ds_error_prefix(err, rc, "step %u (%s): ", index,
                               a->description);
    if (a->owner || a->group) {
        who = g_strdup_printf("%s%s%s", a->owner ? a->owner : "",
                              a->group ? ":" : "", a->group ? a->group : "");
        if ((rc = run(failure, t,
                      (const char *const[]){"chown", "--", who, tmp, NULL},
                      NULL, a, index, err)) < 0)
            goto undo;
    }
    if ((rc = run(failure, t,
                  (const char *const[]){"chmod", "--", mode, tmp, NULL}, NULL,
                  a, index, err)) < 0 ||
        (rc = run(failure, t,
                  (const char *const[]){"mv", "-fT", "--", tmp, a->path,
                                        NULL},
                  NULL, a, index, err)) < 0)
        goto undo;
    return 0;

undo: {
    ds_run_result r = {.status = -1};

    ds_transport_run(t, (const char *const[]){"rm", "-f", "--", tmp, NULL},
                     NULL, &r, NULL);
    ds_run_result_clear(&r);
}
    return rc;
}

/* The package transaction with files from the package cache: each file
 * (its digest checked again) copied into DS_PLAN_DEB_DIR in the lab, the
 * one apt-get run, then the copies removed whatever happened. */
static int install_with_debs(ds_step_failure **failure, ds_transport *t,
                             const ds_action *a, guint index, GError **err)
{
    g_autoptr(GPtrArray) rm = g_ptr_array_new();
    int rc;

    rc = run(failure, t,
             (const char *const[]){"install", "-d", "-m", "0700", "--",
                                   DS_PLAN_DEB_DIR, NULL},
             NULL, a, index, err);
    g_ptr_array_add(rm, (gpointer) "rm");
    g_ptr_array_add(rm, (gpointer) "-f");
    g_ptr_array_add(rm, (gpointer) "--");
    for (guint i = 0; rc == 0 && i < a->debs->len; i++) {
        const ds_plan_deb *d = a->debs->pdata[i];
        g_autoptr(GError) e = NULL;
        g_autofree char *data = NULL;
        g_autofree char *sum = NULL;
        gsize len = 0;

        if (!g_file_get_contents(d->cache_path, &data, &len, &e)) {
            rc = ds_error_set(err, DS_ENOTFOUND,
                              "step %u (%s): %s from the package cache: %s",
                              index, a->description, d->request, e->message);
            break;
        }
        sum =
            g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)data, len);
        if (strcmp(sum, d->sha256) != 0) {
            rc = ds_error_set(err, DS_EINVALID,
                              "step %u (%s): %s: the package cache's %s is damaged (SHA256 %s, expected %s)",
                              index, a->description, d->request, d->cache_path,
                              sum, d->sha256);
            break;
        }
        g_ptr_array_add(rm, d->target);
        {
            g_autoptr(GBytes) b = g_bytes_new_take(g_steal_pointer(&data), len);

            if ((rc = ds_transport_write_file(t, d->target, b, 0600, err)) < 0)
                ds_error_prefix(err, rc, "step %u (%s): copying %s: ", index,
                                a->description, d->request);
        }
    }
    if (rc == 0)
        rc = run(failure, t, (const char *const *)a->argv, NULL, a, index, err);
    if (rm->len > 3) {
        ds_run_result r = {.status = -1};

        g_ptr_array_add(rm, NULL);
        ds_transport_run(t, (const char *const *)rm->pdata, NULL, &r, NULL);
        ds_run_result_clear(&r);
    }
    return rc;
}

int ds_sync_apply_action(ds_step_failure **failure, ds_transport *t,
                         const ds_action *a, guint index,
                         ds_reboot_fn reboot_fn, void *payload, GError **err)
{
    int rc;

    *failure = NULL;
    if ((rc = validate(a, index, err)) < 0)
        return rc;
    switch (a->kind) {
    case DS_ACTION_SOURCES_WRITE:
    case DS_ACTION_FILE_WRITE:
        return write_content(failure, t, a, index, err);
    case DS_ACTION_REBOOT:
        if (!reboot_fn)
            return ds_error_set(err, DS_EUNSUPPORTED,
                                "step %u (%s): this lab cannot be rebooted",
                                index, a->description);
        if ((rc = reboot_fn(payload, err)) < 0)
            return ds_error_prefix(err, rc, "step %u (%s): ", index,
                                   a->description);
        return 0;
    case DS_ACTION_VERSIONLOCK:
        return ds_sync_apply_rpm(failure, t, a, index, err);
    case DS_ACTION_PACKAGES:
        if (ds_sync_action_is_rpm(a))
            return ds_sync_apply_rpm(failure, t, a, index, err);
        if (a->debs && a->debs->len)
            return install_with_debs(failure, t, a, index, err);
        /* fall through */
    default:
        return run(failure, t, (const char *const *)a->argv, NULL, a, index,
                   err);
    }
}
