/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/tools/config-keys.c: print the keys driftsync.conf accepts, from
 * the table the parser reads, one per line: section, key, kind, default
 * ("-" for none) and help, separated by tabs (for tests/cli/man.sh). */
#include <config.h>

#include <stdio.h>

#include "sync/config/config-table.h"

int main(void)
{
    for (const ds_config_key *k = ds_config_table; k->name; k++) {
        g_autofree char *title = ds_config_section_title(k->section);

        printf("%s\t%s\t%s\t%s\t%s\n", title, k->name,
               ds_config_kind_name(k->kind), k->def ? k->def : "-", k->doc);
    }
    return 0;
}
