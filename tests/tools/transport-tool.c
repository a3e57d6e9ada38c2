/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/tools/transport-tool.c: a small program the integration tests use
 * to open a transport URI and run, read, write or fetch through it.
 *
 *   transport-tool [OPTION...] URI run ARG...     stdout/stderr passed on,
 *                                                exit with the status
 *   transport-tool [OPTION...] URI read PATH      content on stdout
 *   transport-tool [OPTION...] URI write PATH MODE    data from stdin
 *   transport-tool [OPTION...] URI fetch          body on stdout
 *
 * Errors: "transport-tool: MESSAGE" on stderr, exit 100 - DS_E* code:
 * 101 generic, 102 not found, 103 unsupported, 105 interrupted (timeout),
 * 106 invalid. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "drivers/transport.h"
#include "manifests/util/error.h"

static int fail(GError *error, int rc)
{
    fprintf(stderr, "transport-tool: %s\n", error ? error->message : "failed");
    return 100 - rc;
}

static void write_bytes(FILE *f, GBytes *b)
{
    gsize len = 0;
    const char *data = b ? g_bytes_get_data(b, &len) : NULL;

    if (len)
        fwrite(data, 1, len, f);
    fflush(f);
}

static GBytes *read_stdin(void)
{
    GByteArray *a = g_byte_array_new();
    guint8 buf[65536];
    ssize_t n;

    while ((n = read(0, buf, sizeof(buf))) > 0)
        g_byte_array_append(a, buf, (guint)n);
    return g_byte_array_free_to_bytes(a);
}

int main(int argc, char **argv)
{
    g_autofree char *host = NULL, *identity = NULL, *known_hosts = NULL;
    g_autofree char *control_dir = NULL, *ca_file = NULL;
    g_autofree char *auth_file = NULL, *stdin_file = NULL;
    g_auto(GStrv) ssh_options = NULL;
    gboolean allow_http = FALSE;
    int connect_timeout = 0, timeout = 0, repeat = 1;
    gint64 max_output = 0;
    GOptionEntry entries[] = {
        {"host", 0, 0, G_OPTION_ARG_STRING, &host, "name in messages", "NAME"},
        {"identity", 0, 0, G_OPTION_ARG_FILENAME, &identity, "ssh key", "FILE"},
        {"known-hosts", 0, 0, G_OPTION_ARG_FILENAME, &known_hosts,
         "ssh known_hosts", "FILE"},
        {"control-dir", 0, 0, G_OPTION_ARG_FILENAME, &control_dir,
         "ssh ControlPath directory", "DIR"},
        {"ssh-option", 0, 0, G_OPTION_ARG_STRING_ARRAY, &ssh_options,
         "extra ssh -o", "KEY=VALUE"},
        {"ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file, "CA bundle", "FILE"},
        {"auth-file", 0, 0, G_OPTION_ARG_FILENAME, &auth_file,
         "https credentials", "FILE"},
        {"allow-http", 0, 0, G_OPTION_ARG_NONE, &allow_http, "accept http://",
         NULL},
        {"connect-timeout", 0, 0, G_OPTION_ARG_INT, &connect_timeout,
         "milliseconds", "MS"},
        {"timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "milliseconds", "MS"},
        {"max-output", 0, 0, G_OPTION_ARG_INT64, &max_output, "bytes", "N"},
        {"stdin-file", 0, 0, G_OPTION_ARG_FILENAME, &stdin_file,
         "run: feed this file to the command", "FILE"},
        {"repeat", 0, 0, G_OPTION_ARG_INT, &repeat,
         "run: N times through one transport (times on stderr)", "N"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("URI ACTION ...");
    g_autoptr(ds_transport) t = NULL;
    g_autoptr(GError) error = NULL;
    ds_transport_options opts;
    const char *action;
    int rc;

    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_strict_posix(ctx, TRUE); /* options end at URI */
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc < 3) {
        fprintf(stderr,
                "usage: transport-tool [OPTION...] URI "
                "run|read|write|fetch ...%s%s\n",
                error ? ": " : "", error ? error->message : "");
        return 2;
    }
    opts = (ds_transport_options){
        .host = host,
        .identity_file = identity,
        .known_hosts = known_hosts,
        .ssh_options = (const char *const *)ssh_options,
        .control_dir = control_dir,
        .ca_file = ca_file,
        .auth_file = auth_file,
        .allow_http = allow_http,
        .connect_timeout_ms = connect_timeout,
        .timeout_ms = timeout,
        .max_output = (gsize)max_output,
    };
    rc = ds_transport_open(&t, argv[1], &opts, &error);
    if (rc < 0)
        return fail(error, rc);
    action = argv[2];

    if (g_str_equal(action, "run") && argc > 3) {
        g_autoptr(GBytes) in = NULL;
        ds_run_result res = {.status = -1};
        if (stdin_file) {
            g_autofree char *data = NULL;
            gsize len = 0;
            if (!g_file_get_contents(stdin_file, &data, &len, &error))
                return fail(error, DS_EGENERIC);
            in = g_bytes_new_take(g_steal_pointer(&data), len);
        }
        for (int i = 0; i < repeat; i++) {
            gint64 t0 = g_get_monotonic_time();
            rc = ds_transport_run(t, (const char *const *)argv + 3, in, &res,
                                  &error);
            if (rc < 0)
                return fail(error, rc);
            if (repeat > 1)
                fprintf(stderr, "run %d: %" G_GINT64_FORMAT " ms\n", i + 1,
                        (g_get_monotonic_time() - t0) / 1000);
            write_bytes(stdout, res.out);
            write_bytes(stderr, res.err);
        }
        rc = res.status;
        ds_run_result_clear(&res);
        return rc;
    }
    if (g_str_equal(action, "read") && argc == 4) {
        g_autoptr(GBytes) b = NULL;
        rc = ds_transport_read_file(t, argv[3], &b, &error);
        if (rc < 0)
            return fail(error, rc);
        write_bytes(stdout, b);
        return 0;
    }
    if (g_str_equal(action, "write") && argc == 5) {
        g_autoptr(GBytes) b = read_stdin();
        guint mode = (guint)strtoul(argv[4], NULL, 8);
        rc = ds_transport_write_file(t, argv[3], b, mode, &error);
        return rc < 0 ? fail(error, rc) : 0;
    }
    if (g_str_equal(action, "fetch") && argc == 3) {
        g_autoptr(GBytes) b = NULL;
        rc = ds_transport_fetch(t, &b, &error);
        if (rc < 0)
            return fail(error, rc);
        write_bytes(stdout, b);
        return 0;
    }
    fprintf(stderr, "transport-tool: bad action '%s'\n", action);
    return 2;
}
