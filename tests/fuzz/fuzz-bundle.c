/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/fuzz/fuzz-bundle.c: a patch bundle or trial record
 * (driftsync/bundle/v1, ds_bundle_parse) as read from the store: what it
 * accepts must serialise to bytes it accepts again, unchanged; the forms
 * `bundle show` prints must work; its versions must compare as versions
 * do (the report checks a bundle against each host with them). */
#include <config.h>

#include "manifests/bundle.h"
#include "manifests/version.h"
#include "tests/fuzz/fuzz.h"

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

static void check_versions(const ds_bundle *b)
{
    static const char *const others[] = {"0", "1.0-1", "1:0", "~", "9999"};
    GHashTableIter it;
    gpointer k, v;

    g_hash_table_iter_init(&it, b->packages);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        if (ds_version_compare(v, v) != 0)
            abort();
        for (guint i = 0; i < G_N_ELEMENTS(others); i++)
            if (sign(ds_version_compare(v, others[i])) !=
                -sign(ds_version_compare(others[i], v)))
                abort();
    }
}

static void check_forms(const ds_bundle *b)
{
    static const char *const forms[] = {"lines", "apt", "json"};
    g_autoptr(GError) err = NULL;

    for (guint i = 0; i < G_N_ELEMENTS(forms); i++) {
        g_autofree char *text = NULL;

        if (ds_bundle_format(&text, b, forms[i], &err) < 0 ||
            !g_utf8_validate(text, -1, NULL))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(ds_bundle) b = NULL, again = NULL;
    g_autoptr(GBytes) bytes = NULL, bytes2 = NULL;
    g_autoptr(GError) err = NULL;
    const char *d;
    gsize len;
    int rc;

    (void)ds_bundle_is_document((const char *)data, size);
    rc = ds_bundle_parse(&b, (const char *)data, size, "fuzz.json", &err);
    ds_fuzz_check_verdict(rc, err);
    if (rc < 0)
        return 0;
    if (ds_bundle_serialise(&bytes, b, &err) < 0) {
        fprintf(stderr, "accepted bundle not serialised: %s\n", err->message);
        abort();
    }
    d = g_bytes_get_data(bytes, &len);
    if (!ds_bundle_is_document(d, len))
        abort();
    rc = ds_bundle_parse(&again, d, len, "again.json", &err);
    if (rc < 0) {
        fprintf(stderr, "canonical bytes refused: %s\n", err->message);
        abort();
    }
    if (ds_bundle_serialise(&bytes2, again, &err) < 0 ||
        !g_bytes_equal(bytes, bytes2))
        abort();
    /* The patch history reads the time back (0 when it cannot). */
    {
        g_autoptr(GDateTime) dt =
            g_date_time_new_from_iso8601(b->tested_at, NULL);
        if (!dt) {
            fprintf(stderr, "tested_at accepted, not a time: %s\n",
                    b->tested_at);
            abort();
        }
    }
    check_forms(b);
    check_versions(b);
    return 0;
}
