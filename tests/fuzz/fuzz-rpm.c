/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/fuzz/fuzz-rpm.c: the rpm platform's parsers of host output: the
 * first byte picks one (rpm -qa, rpm -V, a .repo file, os-release), the
 * rest is its input.  Besides a one-line verdict, what is accepted must
 * be what the manifest accepts: safe NAME.ARCH keys, rpm EVRs, safe
 * paths, one-line repository entries. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "drivers/platform-rpm.h"
#include "manifests/manifest.h"
#include "manifests/version.h"
#include "tests/fuzz/fuzz.h"

static void check_packages(GPtrArray *pkgs)
{
    for (guint i = 0; i < pkgs->len; i++) {
        const ds_package *p = pkgs->pdata[i];

        if (!ds_name_is_safe_rpm_package(p->name) ||
            !ds_rpm_evr_is_valid(p->version))
            abort();
        for (guint j = 0; p->other_versions && j < p->other_versions->len; j++)
            if (!ds_rpm_evr_is_valid(p->other_versions->pdata[j]))
                abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GPtrArray) pkgs =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_package_free);
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    const char *d = (const char *)data + 1;
    int rc = 0;

    if (size < 1)
        return 0;
    switch (data[0] & 3) {
    case 0:
        rc = ds_rpm_parse_query(pkgs, "fuzz", d, size - 1, &err);
        if (rc == 0)
            check_packages(pkgs);
        break;
    case 1:
        rc = ds_rpm_parse_verify(out, "fuzz", d, size - 1, &err);
        for (guint i = 0; rc == 0 && i < out->len; i++)
            if (!ds_name_is_safe_path(out->pdata[i]))
                abort();
        break;
    case 2:
        rc = ds_rpm_parse_repo(out, "fuzz.repo", d, size - 1, &err);
        for (guint i = 0; rc == 0 && i < out->len; i++)
            if (strchr(out->pdata[i], '\n') || strlen(out->pdata[i]) > 4096 ||
                !g_utf8_validate(out->pdata[i], -1, NULL))
                abort();
        break;
    default:
        (void)ds_rpm_os_release_matches(d, size - 1);
        return 0;
    }
    ds_fuzz_check_verdict(rc, err);
    return 0;
}
