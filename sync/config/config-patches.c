/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/config/config-patches.c: the duration values of driftsync.conf's
 * [patches] section ("7d", "36h"), read by the key table's check and
 * turned into seconds once the file is read. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

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
