/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/fuzz/fuzz-pkgcache-index.c: an apt repository's Packages index
 * (ds_pkgcache_parse_index). */
#include <config.h>

#include "drivers/pkgcache.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GPtrArray) entries = NULL;
    g_autoptr(GError) err = NULL;
    int rc;

    rc = ds_pkgcache_parse_index(&entries, (const char *)data, size,
                                 "fuzz/Packages", &err);
    ds_fuzz_check_verdict(rc, err);
    return 0;
}
