/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/config/config-patches.c: the [patches] section of driftsync.conf (the
 * patch cycle's settings) and the duration values it takes ("7d"). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "manifests/util/error.h"
#include "sync/config/config-private.h"
#include "sync/config/config-file.h"

bool ds_config_parse_duration(gint64 *out, const char *v)
{
    static const struct {
        char unit;
        gint64 seconds;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
    char *end = NULL;
    gint64 n;

    if (!v || !g_ascii_isdigit(v[0]) || strlen(v) > 12)
        return false;
    n = g_ascii_strtoll(v, &end, 10);
    if (n < 0 || n > G_GINT64_CONSTANT(100000000))
        return false;
    if (!*end) {
        *out = n;
        return true;
    }
    for (guint i = 0; i < G_N_ELEMENTS(units); i++)
        if (end[0] == units[i].unit && end[1] == '\0') {
            *out = n * units[i].seconds;
            return true;
        }
    return false;
}

int ds_config_read_patches(ds_config *cfg, const ds_config_reader *r,
                           GKeyFile *kf, const char *group, const char *key,
                           GError **err)
{
    static const char *const known[] = {"security-sla", NULL};
    g_autofree char *v = NULL;

    if (ds_config_check_known(r, group, key, known, err) < 0)
        return DS_EINVALID;
    if (ds_config_get_string(&v, r, kf, group, key, err) < 0)
        return DS_EINVALID;
    if (!ds_config_parse_duration(&cfg->patches_security_sla, v) ||
        cfg->patches_security_sla == 0)
        return BAD_VALUE("expected a duration such as 7d, 36h or 90m, got "
                         "'%s'", v);
    return 0;
}
