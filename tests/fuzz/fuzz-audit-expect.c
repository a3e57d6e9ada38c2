/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/fuzz/fuzz-audit-expect.c: what `audit --expect` reads, a patch
 * bundle (JSON) or name=version lines (ds_audit_expect_parse). */
#include <config.h>

#include "sync/jobs/audit.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(ds_audit_expect) e = NULL;
    g_autoptr(GError) err = NULL;
    int rc;

    rc = ds_audit_expect_parse(&e, (const char *)data, size, "fuzz.json",
                               &err);
    ds_fuzz_check_verdict(rc, err);
    return 0;
}
