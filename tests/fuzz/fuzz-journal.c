/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/fuzz/fuzz-journal.c: a sync run's journal file (ds_journal_read),
 * which the next run reads to find an interrupted sync. */
#include <config.h>

#include "sync/engine/sync.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(ds_journal) j = NULL;
    g_autoptr(GError) err = NULL;
    const char *path = ds_fuzz_file(data, size, "web01.journal");
    int rc;

    rc = ds_journal_read(&j, path, &err);
    ds_fuzz_check_verdict(rc, err);
    if (rc == 0)
        (void)ds_journal_is_open(j);
    return 0;
}
