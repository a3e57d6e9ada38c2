/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/config/config-hosts.c: which configured hosts a run covers: the
 * hosts named, the hosts of the groups named (the `groups` key of their
 * [host] sections), or every host; one place for record, audit, patches
 * and mirror. */
#include <config.h>

#include <string.h>

#include "manifests/manifest.h"
#include "manifests/util/error.h"
#include "sync/config/config-file.h"

bool ds_host_in_group(const ds_host_config *hc, const char *group)
{
    for (guint i = 0; hc->groups && hc->groups[i]; i++)
        if (strcmp(hc->groups[i], group) == 0)
            return true;
    return false;
}

static const char *conf_name(const ds_config *cfg)
{
    return cfg->filename ? cfg->filename : "the configuration";
}

static void add_once(GPtrArray *chosen, const ds_host_config *hc)
{
    if (!g_ptr_array_find(chosen, hc, NULL))
        g_ptr_array_add(chosen, (gpointer)hc);
}

/* The hosts of each group, checked first: a group no host is in is an
 * error, not an empty run. */
static int add_groups(GPtrArray *chosen, const ds_config *cfg,
                      const char *const *groups, bool labs_only, GError **err)
{
    for (gsize g = 0; groups && groups[g]; g++) {
        bool any = false;

        if (!ds_name_is_safe_host(groups[g]))
            return ds_error_set(err, DS_EINVALID, "'%s' is not a group name",
                                groups[g]);
        for (guint i = 0; i < cfg->hosts->len; i++) {
            const ds_host_config *hc = cfg->hosts->pdata[i];

            if (!ds_host_in_group(hc, groups[g]) || (labs_only && !hc->lab))
                continue;
            any = true;
            add_once(chosen, hc);
        }
        if (!any)
            return ds_error_set(
                err, DS_ENOTFOUND,
                "group %s: no host%s in %s is in it (groups = %s in its [host] section)",
                groups[g], labs_only ? " with a lab" : "", conf_name(cfg),
                groups[g]);
    }
    return 0;
}

int ds_config_choose_hosts(GPtrArray **out, const ds_config *cfg,
                           const char *const *names, const char *const *groups,
                           bool labs_only, GError **err)
{
    g_autoptr(GPtrArray) chosen = g_ptr_array_new();
    int rc;

    *out = NULL;
    for (gsize i = 0; names && names[i]; i++) {
        const ds_host_config *hc = ds_config_find_host(cfg, names[i]);

        if (!hc)
            return ds_error_set(err, DS_ENOTFOUND, "%s: no such host in %s",
                                names[i], conf_name(cfg));
        if (labs_only && !hc->lab)
            return ds_error_set(err, DS_EINVALID, "%s: no lab VM configured",
                                names[i]);
        add_once(chosen, hc);
    }
    if ((rc = add_groups(chosen, cfg, groups, labs_only, err)) < 0)
        return rc;
    if ((!names || !names[0]) && (!groups || !groups[0]))
        for (guint i = 0; i < cfg->hosts->len; i++) {
            const ds_host_config *hc = cfg->hosts->pdata[i];

            if (!labs_only || hc->lab)
                g_ptr_array_add(chosen, (gpointer)hc);
        }
    *out = g_steal_pointer(&chosen);
    return 0;
}
