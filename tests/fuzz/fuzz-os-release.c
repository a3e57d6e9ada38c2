/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/fuzz/fuzz-os-release.c: a host's os-release
 * (ds_dpkg_parse_os_release). */
#include <config.h>

#include "drivers/platform-dpkg.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *id = NULL, *version = NULL, *name = NULL;
    g_autoptr(GError) err = NULL;
    int rc;

    rc = ds_dpkg_parse_os_release(&id, &version, &name, "fuzz",
                                  (const char *)data, size, &err);
    ds_fuzz_check_verdict(rc, err);
    return 0;
}
