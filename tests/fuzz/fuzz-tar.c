/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/fuzz/fuzz-tar.c: the tar stream a host sends with the captured
 * files (ds_tar_parse). */
#include <config.h>

#include "drivers/platform-dpkg.h"
#include "tests/fuzz/fuzz.h"

static int member(const char *name, char type, const char *target,
                  GBytes *content, void *payload, GError **err)
{
    gsize *count = payload;

    /* what a member hands on must be whole strings and real bytes */
    if (!name || strlen(name) > 1 << 20 || (type == 'l' && !target) ||
        (type != 'l' && type != 'f'))
        abort();
    if (content)
        (void)g_bytes_get_size(content);
    (*count)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GBytes) archive = g_bytes_new(data, size);
    g_autoptr(GError) err = NULL;
    gsize count = 0;
    int rc;

    rc = ds_tar_parse(archive, member, &count, "fuzz.tar", &err);
    ds_fuzz_check_verdict(rc, err);
    return 0;
}
