/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/fuzz/fuzz-manifest.c: manifest JSON (ds_manifest_parse); what it
 * accepts must serialise to bytes it accepts again, unchanged, and
 * ds_manifest_parse_canonical must give those bytes. */
#include <config.h>

#include "manifests/manifest.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(ds_manifest) m = NULL, again = NULL, m3 = NULL;
    g_autoptr(GBytes) bytes = NULL, bytes2 = NULL, canon = NULL;
    g_autoptr(GError) err = NULL;
    const char *d;
    gsize len;
    int rc;

    rc = ds_manifest_parse(&m, (const char *)data, size, "fuzz.json", &err);
    ds_fuzz_check_verdict(rc, err);
    if (rc < 0)
        return 0;
    if (ds_manifest_serialise(&bytes, m, &err) < 0)
        abort();
    d = g_bytes_get_data(bytes, &len);
    rc = ds_manifest_parse(&again, d, len, "again.json", &err);
    if (rc < 0) {
        fprintf(stderr, "canonical bytes refused: %s\n", err->message);
        abort();
    }
    if (!ds_manifest_equal(m, again) ||
        ds_manifest_serialise(&bytes2, again, &err) < 0 ||
        !g_bytes_equal(bytes, bytes2))
        abort();
    if (ds_manifest_parse_canonical(&m3, &canon, (const char *)data, size,
                                    "fuzz.json", NULL) < 0 ||
        !g_bytes_equal(canon, bytes))
        abort();
    return 0;
}
