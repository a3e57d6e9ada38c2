/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/fuzz/fuzz-apt-sources.c: apt sources files, one-line format and
 * deb822 (ds_apt_parse_sources); the first byte's low bit picks the
 * format, the rest is the file. */
#include <config.h>

#include "drivers/platform-dpkg.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    gboolean deb822;
    int rc;

    if (size < 1)
        return 0;
    deb822 = data[0] & 1;
    rc = ds_apt_parse_sources(out, deb822 ? "fuzz.sources" : "fuzz.list",
                              (const char *)data + 1, size - 1, deb822,
                              &err);
    ds_fuzz_check_verdict(rc, err);
    return 0;
}
