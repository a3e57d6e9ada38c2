/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/plan/plan-io.c: a plan as JSON, and the file contents its FILE_WRITE
 * actions feed to the lab, read from the store. */
#include <config.h>

#include <jansson.h>

#include "manifests/util/error.h"
#include "manifests/store.h"
#include "sync/plan/plan.h"

static json_t *strv_json(char **v)
{
    json_t *a = json_array();

    for (guint i = 0; v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *action_json(const ds_action *a, guint step)
{
    json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:b}", "step", (int)step,
                          "phase", ds_plan_phase_name(a->phase), "kind",
                          ds_action_kind_name(a->kind), "description",
                          a->description ? a->description : "", "applicable",
                          a->kind != DS_ACTION_MANUAL);

    if (a->argv)
        json_object_set_new(o, "argv", strv_json(a->argv));
    if (a->path)
        json_object_set_new(o, "path", json_string(a->path));
    if (a->path && a->kind != DS_ACTION_FILE_REMOVE) {
        char mode[8];

        g_snprintf(mode, sizeof mode, "%04o", a->mode & 07777);
        json_object_set_new(o, "mode", json_string(mode));
        if (a->owner)
            json_object_set_new(o, "owner", json_string(a->owner));
        if (a->group)
            json_object_set_new(o, "group", json_string(a->group));
    }
    if (a->target)
        json_object_set_new(o, "target", json_string(a->target));
    if (a->content_ref)
        json_object_set_new(o, "content_ref", json_string(a->content_ref));
    if (a->store_path)
        json_object_set_new(o, "store_path", json_string(a->store_path));
    if (a->kind == DS_ACTION_SOURCES_WRITE)
        json_object_set_new(o, "sources", strv_json(a->items));
    else if (a->kind == DS_ACTION_PACKAGES)
        json_object_set_new(o, "requests", strv_json(a->items));
    if (a->details)
        json_object_set_new(o, "details", strv_json(a->details));
    if (a->debs) {
        json_t *debs = json_array();

        for (guint i = 0; i < a->debs->len; i++) {
            const ds_plan_deb *d = g_ptr_array_index(a->debs, i);

            json_array_append_new(
                debs, json_pack("{s:s, s:s, s:s, s:s}", "request", d->request,
                                "file", d->target, "sha256", d->sha256,
                                "cache_path", d->cache_path));
        }
        json_object_set_new(o, "from_cache", debs);
    }
    if (a->data)
        json_object_set_new(
            o, "stdin_bytes",
            json_integer((json_int_t)g_bytes_get_size(a->data)));
    return o;
}

json_t *ds_plan_to_json(const ds_plan *plan)
{
    json_t *actions = json_array();
    guint n = plan && plan->actions ? plan->actions->len : 0;

    for (guint i = 0; i < n; i++)
        json_array_append_new(
            actions, action_json(g_ptr_array_index(plan->actions, i), i + 1));
    return json_pack("{s:s?, s:o, s:i, s:i, s:b}", "host",
                     plan ? plan->host : NULL, "actions", actions, "count",
                     (int)n, "manual", plan ? (int)plan->manual : 0, "drift",
                     n > 0);
}

int ds_plan_load_contents(ds_plan *plan, struct ds_store *store,
                          const char *rev, GError **err)
{
    for (guint i = 0; plan && i < plan->actions->len; i++) {
        ds_action *a = g_ptr_array_index(plan->actions, i);
        g_autoptr(GError) local = NULL;
        GBytes *data = NULL;
        int rc;

        if (a->kind != DS_ACTION_FILE_WRITE || a->data)
            continue;
        rc = ds_store_read_file(&data, store, rev, DS_ROLE_PROD, plan->host,
                                a->path, &local);
        if (rc == DS_ENOTFOUND) {
            /* Recorded with a content reference the store does not hold. */
            g_free(a->description);
            a->description = g_strdup_printf(
                "%s: differs but its content is not stored: cannot be replayed, must be copied by hand",
                a->path);
            g_clear_pointer(&a->argv, g_strfreev);
            a->kind = DS_ACTION_MANUAL;
            plan->manual++;
            continue;
        }
        if (rc < 0) {
            g_propagate_error(err, g_steal_pointer(&local));
            return rc;
        }
        a->data = data;
    }
    return 0;
}
