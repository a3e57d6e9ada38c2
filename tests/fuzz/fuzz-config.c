/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/fuzz/fuzz-config.c: the configuration file (ds_config_load), read
 * from a file as the program reads it. */
#include <config.h>

#include "sync/config/config-file.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(ds_config) cfg = NULL;
    g_autoptr(GError) err = NULL;
    const char *path = ds_fuzz_file(data, size, "driftsync.conf");
    int rc;

    rc = ds_config_load(&cfg, path, &err);
    ds_fuzz_check_verdict(rc, err);
    return 0;
}
