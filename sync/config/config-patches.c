/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/config/config-patches.c: the [patches] section of driftsync.conf
 * (which archives count as security ones, how old the apt lists may be)
 * and the reader of durations ("7d", "12h") it uses. */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "sync/config/config-file.h"
#include "sync/config/config-private.h"

int ds_config_parse_duration(gint64 *out, const char *v)
{
    static const struct {
        char unit;
        gint64 seconds;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
    gsize n = strspn(v, "0123456789");
    gint64 num;

    if (n == 0 || n > 9 || strlen(v) != n + 1)
        return DS_EINVALID;
    num = g_ascii_strtoll(v, NULL, 10);
    for (gsize i = 0; i < G_N_ELEMENTS(units); i++)
        if (v[n] == units[i].unit) {
            *out = num * units[i].seconds;
            return 0;
        }
    return DS_EINVALID;
}

int ds_config_get_duration(gint64 *out, const ds_config_reader *r,
                           GKeyFile *kf, const char *group, const char *key,
                           GError **err)
{
    g_autofree char *v = ds_config_get_value(kf, group, key);

    if (ds_config_parse_duration(out, v) < 0)
        return BAD_VALUE("expected a duration such as 30m, 12h, 7d or 2w, "
                         "got '%s'",
                         v);
    return 0;
}

/* A list of globs (fnmatch-like: * and ?) of Release fields. */
static int get_globs(char ***out, const ds_config_reader *r, GKeyFile *kf,
                     const char *group, const char *key, GError **err)
{
    g_auto(GStrv) items = NULL;

    if (ds_config_get_list(&items, r, kf, group, key, DS_CONFIG_LIST_ANY,
                           err) < 0)
        return DS_EINVALID;
    for (int i = 0; items[i]; i++)
        if (strlen(items[i]) > 256)
            return BAD_VALUE("'%.40s...' is longer than 256 bytes", items[i]);
    g_strfreev(*out);
    *out = g_steal_pointer(&items);
    return 0;
}

int ds_config_read_patches(ds_config *cfg, const ds_config_reader *r,
                           GKeyFile *kf, const char *group, const char *key,
                           GError **err)
{
    static const char *const known[] = {"security-origins", "security-suites",
                                        "max-list-age", NULL};

    if (ds_config_check_known(r, group, key, known, err) < 0)
        return DS_EINVALID;
    if (!strcmp(key, "security-origins"))
        return get_globs(&cfg->security_origins, r, kf, group, key, err);
    if (!strcmp(key, "security-suites"))
        return get_globs(&cfg->security_suites, r, kf, group, key, err);
    return ds_config_get_duration(&cfg->max_list_age, r, kf, group, key, err);
}
