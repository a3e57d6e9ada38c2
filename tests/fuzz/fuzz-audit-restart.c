/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/fuzz/fuzz-audit-restart.c: the process list a host sends for the
 * audit's restart check (ds_audit_parse_restart). */
#include <config.h>

#include "sync/jobs/audit.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GPtrArray) findings = g_ptr_array_new_with_free_func(
        (GDestroyNotify)ds_audit_finding_free);
    g_autoptr(GError) err = NULL;
    int rc;

    rc = ds_audit_parse_restart(findings, (const char *)data, size, "fuzz",
                                &err);
    ds_fuzz_check_verdict(rc, err);
    return 0;
}
