/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/plan/plan-steps.c: the plan's file and service steps: install, ln,
 * chmod/chown, rm for files; systemctl for units; MANUAL steps for what
 * cannot be replayed (see the notes at the top of sync/plan/plan.c). */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "sync/plan/plan-private.h"

/* A user or group name, or a numeric id: what chown/install accept as
 * one name, never read as an option. */
static bool account_is_safe(const char *s)
{
    gsize n = 0;

    if (!s || !*s || s[0] == '-')
        return false;
    for (; s[n]; n++) {
        char c = s[n];

        if (n >= 64)
            return false;
        if (!g_ascii_isalnum(c) && c != '_' && c != '-' && c != '.' &&
            !(c == '$' && s[n + 1] == '\0'))
            return false;
    }
    return true;
}

/* A symbolic link's target: any path (relative ones too), no controls. */
static bool link_target_is_safe(const char *s)
{
    if (!s || !*s || strlen(s) > 4096)
        return false;
    for (; *s; s++)
        if ((guchar)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

/* ---- files ---- */

static ds_action *add_file(plan_ctx *ctx, ds_action_kind kind,
                           char *description, const char *const *argv,
                           const ds_file *f)
{
    ds_action *a = ds_plan_add(ctx, ctx->file_phase, kind, description, argv);

    a->path = g_strdup(f->path);
    a->mode = f->mode;
    a->owner = g_strdup(f->owner);
    a->group = g_strdup(f->group);
    return a;
}

static int plan_file_write(plan_ctx *ctx, const ds_file *f)
{
    g_autofree char *mode = g_strdup_printf("%04o", f->mode & 07777);
    const char *argv[16];
    int n = 0;
    ds_action *a;

    if (f->secret || !f->content_ref) {
        add_file(ctx, DS_ACTION_MANUAL,
                 g_strdup_printf(f->secret
                                     ? "%s: secret file differs: cannot be replayed, must be copied by hand"
                                     : "%s: differs but its content is not stored: cannot be replayed, must be copied by hand",
                                 f->path),
                 NULL, f);
        return 0;
    }
    argv[n++] = "install";
    argv[n++] = "-D";
    argv[n++] = "-m";
    argv[n++] = mode;
    if (f->owner) {
        argv[n++] = "-o";
        argv[n++] = f->owner;
    }
    if (f->group) {
        argv[n++] = "-g";
        argv[n++] = f->group;
    }
    argv[n++] = "-T";
    argv[n++] = "--";
    argv[n++] = "/dev/stdin";
    argv[n++] = f->path;
    argv[n] = NULL;
    a = add_file(ctx, DS_ACTION_FILE_WRITE,
                 g_strdup_printf("write %s (%s %s:%s)", f->path, mode,
                                 f->owner ? f->owner : "-",
                                 f->group ? f->group : "-"),
                 argv, f);
    a->content_ref = g_strdup(f->content_ref);
    a->store_path =
        g_strdup_printf("files/prod/%s%s", ctx->plan->host, f->path);
    return 0;
}

static void plan_file_attrs(plan_ctx *ctx, const ds_file *f, guint bits)
{
    bool link = f->type == DS_FILE_SYMLINK;

    if ((bits & (DS_FILE_DIFF_OWNER | DS_FILE_DIFF_GROUP)) &&
        (f->owner || f->group)) {
        g_autofree char *who =
            g_strdup_printf("%s%s%s", f->owner ? f->owner : "",
                            f->group ? ":" : "", f->group ? f->group : "");

        add_file(
            ctx, DS_ACTION_FILE_ATTR,
            g_strdup_printf("set the owner of %s to %s", f->path, who),
            link
                ? (const char *const[]){"chown", "-h", "--", who, f->path, NULL}
                : (const char *const[]){"chown", "--", who, f->path, NULL},
            f);
    }
    if ((bits & DS_FILE_DIFF_MODE) && !link) {
        g_autofree char *mode = g_strdup_printf("%04o", f->mode & 07777);

        add_file(ctx, DS_ACTION_FILE_ATTR,
                 g_strdup_printf("set the mode of %s to %s", f->path, mode),
                 (const char *const[]){"chmod", "--", mode, f->path, NULL}, f);
    }
}

int ds_plan_file(plan_ctx *ctx, const ds_change *c)
{
    const ds_file *f;
    guint bits;

    if (!ds_name_is_safe_path(c->name))
        return ds_plan_refuse(ctx, "file path", c->name);
    if (c->kind == DS_CHANGE_FILE_REMOVED) {
        const ds_file *l = ds_manifest_find_file(ctx->lab, c->name);

        add_file(ctx, DS_ACTION_FILE_REMOVE,
                 g_strdup_printf("remove %s (prod has no such file)", c->name),
                 (const char *const[]){"rm", "-f", "--", c->name, NULL},
                 l ? l : &(ds_file){.path = c->name});
        return 0;
    }
    f = ds_manifest_find_file(ctx->prod, c->name);
    if (!f)
        return ds_error_set(ctx->err, DS_EINVALID,
                            "%s: file %s is not in prod's manifest",
                            ctx->plan->host, c->name);
    if ((f->owner && !account_is_safe(f->owner)))
        return ds_plan_refuse(ctx, "file owner", f->owner);
    if ((f->group && !account_is_safe(f->group)))
        return ds_plan_refuse(ctx, "file group", f->group);
    bits = c->kind == DS_CHANGE_FILE_ADDED ? ~0u : c->file_bits;

    if (f->type == DS_FILE_SYMLINK) {
        if (bits & (DS_FILE_DIFF_TYPE | DS_FILE_DIFF_CONTENT)) {
            ds_action *a;

            if (!link_target_is_safe(f->target))
                return ds_plan_refuse(ctx, "link target", f->target);
            a = add_file(ctx, DS_ACTION_FILE_LINK,
                         g_strdup_printf("link %s -> %s", f->path, f->target),
                         (const char *const[]){"ln", "-sfT", "--", f->target,
                                               f->path, NULL},
                         f);
            a->target = g_strdup(f->target);
        }
        /* A new link is created by root: chown only for someone else. */
        if (c->kind == DS_CHANGE_FILE_ADDED &&
            g_strcmp0(f->owner ? f->owner : "root", "root") == 0 &&
            g_strcmp0(f->group ? f->group : "root", "root") == 0)
            return 0;
        plan_file_attrs(ctx, f,
                        bits & (DS_FILE_DIFF_OWNER | DS_FILE_DIFF_GROUP));
        return 0;
    }
    if (bits & (DS_FILE_DIFF_TYPE | DS_FILE_DIFF_CONTENT)) {
        /* A secret whose attributes alone differ is fixed below. */
        return plan_file_write(ctx, f);
    }
    plan_file_attrs(ctx, f, bits);
    return 0;
}

/* ---- services ---- */

static void add_systemctl(plan_ctx *ctx, const char *verb, const char *unit,
                          const char *why)
{
    ds_plan_add(ctx, DS_PHASE_SERVICES, DS_ACTION_SERVICE,
                g_strdup_printf("%s %s%s%s", verb, unit, why ? " " : "",
                                why ? why : ""),
                (const char *const[]){"systemctl", verb, "--", unit, NULL});
}

static bool is_started(const char *s)
{
    return g_strcmp0(s, "active") == 0 || g_strcmp0(s, "reloading") == 0 ||
           g_strcmp0(s, "activating") == 0;
}

static bool is_stopped(const char *s)
{
    return g_strcmp0(s, "inactive") == 0 || g_strcmp0(s, "failed") == 0 ||
           g_strcmp0(s, "deactivating") == 0;
}

/* Enablement from `from` (NULL: the lab had no such unit) to `to`. */
static void plan_enablement(plan_ctx *ctx, const char *unit, const char *from,
                            const char *to)
{
    bool unmasked = false;

    if (g_strcmp0(from, "masked") == 0 && g_strcmp0(to, "masked") != 0) {
        add_systemctl(ctx, "unmask", unit, NULL);
        unmasked = true;
    }
    if (g_strcmp0(to, "enabled") == 0)
        add_systemctl(ctx, "enable", unit, NULL);
    else if (g_strcmp0(to, "disabled") == 0)
        add_systemctl(ctx, "disable", unit, NULL);
    else if (g_strcmp0(to, "masked") == 0)
        add_systemctl(ctx, "mask", unit, NULL);
    else if (from && !unmasked)
        ds_plan_add(
            ctx, DS_PHASE_SERVICES, DS_ACTION_MANUAL,
            g_strdup_printf("%s is %s in prod, %s in the lab: set by its unit files, not by systemctl",
                            unit, to ? to : "unknown", from),
            NULL);
}

static void plan_activity(plan_ctx *ctx, const char *unit, const char *from,
                          const char *to)
{
    if (is_started(to))
        add_systemctl(ctx, "start", unit, NULL);
    else if (is_stopped(to))
        add_systemctl(ctx, "stop", unit, NULL);
    else if (from)
        ds_plan_add(
            ctx, DS_PHASE_SERVICES, DS_ACTION_MANUAL,
            g_strdup_printf("%s is %s in prod, %s in the lab: not replayed",
                            unit, to ? to : "unknown", from),
            NULL);
}

int ds_plan_service(plan_ctx *ctx, const ds_change *c)
{
    const ds_service *p;

    if (!ds_name_is_safe_service(c->name))
        return ds_plan_refuse(ctx, "service name", c->name);
    switch (c->kind) {
    case DS_CHANGE_SERVICE_ADDED:
        if (!(p = ds_manifest_find_service(ctx->prod, c->name)))
            return 0;
        plan_enablement(ctx, c->name, NULL, p->enabled);
        plan_activity(ctx, c->name, NULL, p->active);
        break;
    case DS_CHANGE_SERVICE_REMOVED:
        ds_plan_add(
            ctx, DS_PHASE_SERVICES, DS_ACTION_MANUAL,
            g_strdup_printf("%s exists only in the lab: it goes with its package or its unit file",
                            c->name),
            NULL);
        break;
    case DS_CHANGE_SERVICE_ENABLED:
    case DS_CHANGE_SERVICE_DISABLED:
        plan_enablement(ctx, c->name, c->old_value ? c->old_value : "unknown",
                        c->new_value);
        break;
    case DS_CHANGE_SERVICE_STARTED:
    case DS_CHANGE_SERVICE_STOPPED:
        plan_activity(ctx, c->name, c->old_value ? c->old_value : "unknown",
                      c->new_value);
        break;
    default:
        break;
    }
    return 0;
}
