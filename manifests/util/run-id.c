/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/run-id.c: new run ids (UTC time and 32 random bits). */
#include <config.h>

#include "manifests/util/run-id.h"

char *ds_run_id_new(void)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");

    return g_strdup_printf("%s-%08x", stamp, g_random_int());
}
