/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/plan/plan-selection.c: the steps that replay prod's package
 * selection state onto the lab: `apt-mark unhold` before the package
 * transaction (apt refuses to change a held package), `apt-mark hold`,
 * `auto` and `manual` after it.  A package the transaction touches loses
 * its automatic mark (apt-get install marks it manual) and its hold for
 * the time of it, so both are set again where prod has them. */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "sync/plan/plan-private.h"

static bool touches(const ds_change *c)
{
    return c->kind == DS_CHANGE_PACKAGE_INSTALLED ||
           c->kind == DS_CHANGE_PACKAGE_UPGRADED ||
           c->kind == DS_CHANGE_PACKAGE_DOWNGRADED ||
           c->kind == DS_CHANGE_PACKAGE_REMOVED ||
           c->kind == DS_CHANGE_PACKAGE_CHANGED;
}

/* One `apt-mark VERB -- NAME...` step for the names (sorted, unique). */
static int add_mark(plan_ctx *ctx, const char *verb, GPtrArray *names,
                    const char *what)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GString) desc = g_string_new(NULL);
    ds_action *a;

    if (!names->len)
        return 0;
    g_ptr_array_sort(names, (GCompareFunc)ds_plan_cmp_str);
    g_ptr_array_add(argv, (gpointer) "apt-mark");
    g_ptr_array_add(argv, (gpointer)verb);
    g_ptr_array_add(argv, (gpointer) "--");
    g_string_printf(desc, "%s:", what);
    for (guint i = 0; i < names->len; i++) {
        const char *n = names->pdata[i];
        if (i && strcmp(n, names->pdata[i - 1]) == 0)
            continue;
        if (!ds_name_is_safe_package(n))
            return ds_plan_refuse(ctx, "package name", n);
        g_ptr_array_add(argv, (gpointer)n);
        g_string_append_printf(desc, " %s", n);
    }
    g_ptr_array_add(argv, NULL);
    a = ds_plan_add(ctx, DS_PHASE_PACKAGES, DS_ACTION_APT_MARK,
                    g_string_free(g_steal_pointer(&desc), FALSE),
                    (const char *const *)argv->pdata);
    return a ? 0 : DS_EGENERIC;
}

int ds_plan_selection_before(plan_ctx *ctx, GPtrArray *changes)
{
    g_autoptr(GPtrArray) unhold = g_ptr_array_new();

    for (guint i = 0; i < changes->len; i++) {
        const ds_change *c = changes->pdata[i];

        if ((c->kind == DS_CHANGE_HOLD_CHANGED &&
             g_strcmp0(c->new_value, "unheld") == 0) ||
            (touches(c) && ds_manifest_is_held(ctx->lab, c->name)))
            g_ptr_array_add(unhold, c->name);
    }
    return add_mark(ctx, "unhold", unhold, "release holds");
}

int ds_plan_selection_after(plan_ctx *ctx, GPtrArray *changes)
{
    g_autoptr(GPtrArray) hold = g_ptr_array_new();
    g_autoptr(GPtrArray) autos = g_ptr_array_new();
    g_autoptr(GPtrArray) manual = g_ptr_array_new();
    bool marks = ctx->lab->auto_marks && ctx->prod->auto_marks;
    int rc;

    for (guint i = 0; i < changes->len; i++) {
        const ds_change *c = changes->pdata[i];
        bool in_prod = ds_manifest_find_package(ctx->prod, c->name) != NULL;

        if (c->kind == DS_CHANGE_HOLD_CHANGED &&
            g_strcmp0(c->new_value, "held") == 0)
            g_ptr_array_add(hold, c->name);
        else if (touches(c) && in_prod &&
                 ds_manifest_is_held(ctx->lab, c->name) &&
                 ds_manifest_is_held(ctx->prod, c->name))
            g_ptr_array_add(hold, c->name); /* held again */
        if (c->kind == DS_CHANGE_MARK_CHANGED)
            g_ptr_array_add(g_strcmp0(c->new_value, "auto") == 0 ? autos
                                                                 : manual,
                            c->name);
        else if (marks && touches(c) && in_prod &&
                 ds_manifest_is_auto(ctx->prod, c->name))
            g_ptr_array_add(autos, c->name);
    }
    if ((rc = add_mark(ctx, "hold", hold, "hold as on prod")) < 0 ||
        (rc = add_mark(ctx, "auto", autos, "mark automatically installed")) <
            0 ||
        (rc = add_mark(ctx, "manual", manual, "mark manually installed")) < 0)
        return rc;
    return 0;
}
