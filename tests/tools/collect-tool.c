/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/tools/collect-tool.c: a small program the integration tests use to
 * collect one host through any transport and print its manifest.
 *
 *   collect-tool [OPTION...] URI     canonical manifest on stdout
 *
 * Errors: "collect-tool: MESSAGE" on stderr, exit 100 - DS_E* code. */
#include <config.h>

#include <stdio.h>

#include "drivers/platform.h"
#include "manifests/util/error.h"

static int fail(GError *error, int rc)
{
    fprintf(stderr, "collect-tool: %s\n", error ? error->message : "failed");
    return 100 - rc;
}

int main(int argc, char **argv)
{
    g_autofree char *host = NULL, *identity = NULL, *known_hosts = NULL;
    g_autofree char *control_dir = NULL, *key_file = NULL;
    g_auto(GStrv) files = NULL, secrets = NULL;
    gint64 max_file_size = 0;
    int timeout = 0, repeat = 1;
    GOptionEntry entries[] = {
        {"host", 0, 0, G_OPTION_ARG_STRING, &host, "manifest host name",
         "NAME"},
        {"identity", 0, 0, G_OPTION_ARG_FILENAME, &identity, "ssh key",
         "FILE"},
        {"known-hosts", 0, 0, G_OPTION_ARG_FILENAME, &known_hosts,
         "ssh known_hosts", "FILE"},
        {"control-dir", 0, 0, G_OPTION_ARG_FILENAME, &control_dir,
         "ssh ControlPath directory", "DIR"},
        {"file", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files,
         "a file or directory to capture", "PATH"},
        {"secret", 0, 0, G_OPTION_ARG_STRING_ARRAY, &secrets,
         "a glob of secret files", "GLOB"},
        {"key", 0, 0, G_OPTION_ARG_FILENAME, &key_file, "HMAC key file",
         "FILE"},
        {"max-file-size", 0, 0, G_OPTION_ARG_INT64, &max_file_size,
         "bytes of content stored per file", "N"},
        {"timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "milliseconds", "MS"},
        {"repeat", 0, 0, G_OPTION_ARG_INT, &repeat,
         "collect N times (times on stderr)", "N"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("URI");
    g_autoptr(ds_transport) t = NULL;
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GBytes) key = NULL, doc = NULL;
    g_autoptr(GError) error = NULL;
    ds_transport_options topts;
    ds_collect_options copts;
    int rc;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc != 2) {
        fprintf(stderr, "usage: collect-tool [OPTION...] URI%s%s\n",
                error ? ": " : "", error ? error->message : "");
        return 2;
    }
    topts = (ds_transport_options){
        .host = host ? host : "web01",
        .identity_file = identity,
        .known_hosts = known_hosts,
        .control_dir = control_dir,
        .connect_timeout_ms = 5000,
        .timeout_ms = timeout,
    };
    if (key_file && (rc = ds_hmac_key_load(&key, key_file, &error)) < 0)
        return fail(error, rc);
    copts = (ds_collect_options){
        .host = host ? host : "web01",
        .role = DS_ROLE_PROD,
        .files = (const char *const *)files,
        .secret_patterns = (const char *const *)secrets,
        .hmac_key = key,
        .max_file_size = (gsize)max_file_size,
    };
    rc = ds_transport_open(&t, argv[1], &topts, &error);
    if (rc < 0)
        return fail(error, rc);
    for (int i = 0; i < repeat; i++) {
        gint64 t0 = g_get_monotonic_time();
        g_clear_pointer(&m, ds_manifest_free);
        rc = ds_platform_collect(&m, t, &copts, &error);
        if (rc < 0)
            return fail(error, rc);
        if (repeat > 1)
            fprintf(stderr, "collect %d: %" G_GINT64_FORMAT " ms\n", i + 1,
                    (g_get_monotonic_time() - t0) / 1000);
    }
    rc = ds_manifest_serialise(&doc, m, &error);
    if (rc < 0)
        return fail(error, rc);
    fwrite(g_bytes_get_data(doc, NULL), 1, g_bytes_get_size(doc), stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}
