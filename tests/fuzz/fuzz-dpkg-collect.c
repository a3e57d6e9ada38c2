/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/fuzz/fuzz-dpkg-collect.c: the whole dpkg collector against a host
 * that answers with the input (the scripted transport): the collection
 * script's sections (dpkg-query, checksums, find, os-release, apt sources,
 * systemctl, unit files), then the file-capture round trips and file
 * reads.  Each answer is the next piece of the input cut at "\n\f\n";
 * "@M@" stands for the random section marker of the script that asked. */
#include <config.h>

#include "drivers/platform-dpkg.h"
#include "drivers/transport.h"
#include "manifests/manifest.h"
#include "tests/fuzz/fuzz.h"
#include "tests/unit/scripted-transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const files[] = {"/etc/", "/srv/app.conf", NULL};
    static const char key[32] = "fuzz-hmac-key";
    g_autoptr(GBytes) hmac = g_bytes_new_static(key, sizeof key);
    ds_collect_options opts = {.host = "web01", .role = DS_ROLE_PROD,
                               .files = files, .hmac_key = hmac};
    g_autoptr(ds_transport) t = NULL;
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GError) err = NULL;
    int rc;

    ds_scripted_register();
    if (ds_transport_open(&t, "scripted:", NULL, &err) < 0) {
        fprintf(stderr, "fuzz transport: %s\n", err->message);
        abort();
    }
    ds_scripted_set((const char *)data, size);
    rc = ds_platform_dpkg_ops.collect(&m, t, &opts, &err);
    ds_fuzz_check_verdict(rc, err);
    ds_scripted_set(NULL, 0);
    return 0;
}
