/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/fuzz/fuzz-apt-policy.c: apt's answers for pending updates
 * (ds_apt_policy_parse: `apt-cache policy` without arguments, then with
 * the installed packages' names; the input cut at "\n\f\n"), applied to a
 * host with a few packages (ds_apt_policy_apply). */
#include <config.h>

#include "drivers/platform-dpkg.h"
#include "manifests/manifest.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *d = (const char *)data, *cut;
    g_autoptr(ds_apt_policy) policy = NULL;
    g_autoptr(ds_manifest) m = ds_manifest_new("web01", DS_ROLE_PROD);
    g_autoptr(GError) err = NULL;
    gsize flen;
    int rc;

    cut = memmem(d, size, "\n\f\n", 3);
    flen = cut ? (gsize)(cut - d) : size;
    rc = ds_apt_policy_parse(&policy, "web01", d, flen,
                             cut ? cut + 3 : "", cut ? size - flen - 3 : 0,
                             &err);
    ds_fuzz_check_verdict(rc, err);
    if (rc < 0)
        return 0;
    g_ptr_array_add(m->packages, ds_package_new("libaom3", "3.6.0-1+deb12u1",
                                                "amd64", NULL));
    g_ptr_array_add(m->packages, ds_package_new("libssl3", "3.0.19-1~deb12u2",
                                                "amd64", NULL));
    g_ptr_array_add(m->packages,
                    ds_package_new("libc6:i386", "2.36-9", "i386", NULL));
    rc = ds_apt_policy_apply(m, policy, "amd64", NULL, NULL, &err);
    ds_fuzz_check_verdict(rc, err);
    return 0;
}
