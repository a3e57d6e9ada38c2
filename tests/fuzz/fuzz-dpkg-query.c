/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/fuzz/fuzz-dpkg-query.c: dpkg-query -W output, packages and
 * conffiles (ds_dpkg_parse_query). */
#include <config.h>

#include "drivers/platform-dpkg.h"
#include "manifests/manifest.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GPtrArray) pkgs =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_package_free);
    g_autoptr(GPtrArray) conffiles =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_conffile_free);
    g_autoptr(GError) err = NULL;
    int rc;

    rc = ds_dpkg_parse_query(pkgs, conffiles, "fuzz", (const char *)data,
                             size, &err);
    ds_fuzz_check_verdict(rc, err);
    return 0;
}
