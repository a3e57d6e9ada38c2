/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/tools/agent-tool.c: a thin command-line front to the agent:DOMAIN
 * transport and drivers/libvirt.c, so the end-to-end shell tests drive
 * the real code against a real guest.
 *
 *   agent-tool [-c URI] [-t MS] [-m BYTES] [-i FILE] DOMAIN VERB ARGS...
 *     run ARGV...         run in the guest; stdout/stderr passed through,
 *                         exit status is the command's
 *     read PATH           file content to stdout
 *     write PATH MODE     stdin to the file (MODE octal)
 *     collect [PATH...]   the dpkg platform's manifest (canonical JSON),
 *                         capturing PATHs, collected through the agent
 *     start | wait MS | reboot MS | shutdown MS
 *
 * Errors: one line on stderr "agent-tool: CODE: message", exit 100 - CODE
 * (so DS_EINTERRUPTED = -5 exits 105, DS_ENOTFOUND = -2 exits 102). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "drivers/libvirt.h"
#include "drivers/platform.h"
#include "drivers/transport.h"
#include "manifests/util/error.h"

static int fail(int rc, GError *err)
{
    fprintf(stderr, "agent-tool: %d: %s\n", rc,
            err ? err->message : "unknown error");
    return 100 - rc;
}

static void write_all(FILE *f, GBytes *b)
{
    gsize len;
    const void *d = b ? g_bytes_get_data(b, &len) : NULL;

    if (d && len)
        fwrite(d, 1, len, f);
    fflush(f);
}

static int power(const char *uri, const char *domain, const char *verb,
                 int ms)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_lab) lab = NULL;
    virDomainPtr dom = NULL;
    int rc;

    if ((rc = ds_lab_open(&lab, uri, &err)) < 0 ||
        (rc = ds_lab_domain(&dom, lab, domain, &err)) < 0)
        return fail(rc, err);
    if (g_str_equal(verb, "start"))
        rc = ds_lab_start(lab, dom, &err);
    else if (g_str_equal(verb, "wait"))
        rc = ds_lab_wait_agent(lab, dom, ms, &err);
    else if (g_str_equal(verb, "reboot"))
        rc = ds_lab_reboot(lab, dom, ms, &err);
    else
        rc = ds_lab_shutdown(lab, dom, ms, &err);
    virDomainFree(dom);
    return rc < 0 ? fail(rc, err) : 0;
}

int main(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *uri = NULL;
    g_autofree char *input = NULL;
    g_autofree char *target = NULL;
    g_autoptr(GBytes) in = NULL;
    int timeout = 0;
    gint64 max_output = 0;
    GOptionEntry entries[] = {
        {"connect", 'c', 0, G_OPTION_ARG_STRING, &uri, "libvirt URI", "URI"},
        {"timeout", 't', 0, G_OPTION_ARG_INT, &timeout, "per command", "MS"},
        {"max-output", 'm', 0, G_OPTION_ARG_INT64, &max_output, "limit",
         "BYTES"},
        {"input", 'i', 0, G_OPTION_ARG_FILENAME, &input, "stdin for run",
         "FILE"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("DOMAIN run|read|write|start|wait|reboot|"
                             "shutdown ...");
    ds_transport_options opts = {0};
    g_autoptr(ds_transport) t = NULL;
    const char *verb;
    int rc;

    g_option_context_add_main_entries(ctx, entries, NULL);
    /* everything after VERB belongs to the guest command */
    g_option_context_set_strict_posix(ctx, TRUE);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "agent-tool: %s\n", err->message);
        return 2;
    }
    if (argc < 3) {
        fprintf(stderr, "agent-tool: usage: DOMAIN VERB ARGS...\n");
        return 2;
    }
    verb = argv[2];
    if (g_str_equal(verb, "start") || g_str_equal(verb, "wait") ||
        g_str_equal(verb, "reboot") || g_str_equal(verb, "shutdown"))
        return power(uri, argv[1], verb, argc > 3 ? atoi(argv[3]) : 60000);

    opts.libvirt_uri = uri;
    opts.timeout_ms = timeout;
    opts.max_output = (gsize)max_output;
    target = g_strdup_printf("agent:%s", argv[1]);
    /* through the registry, as the program opens it */
    if ((rc = ds_transport_open(&t, target, &opts, &err)) < 0)
        return fail(rc, err);

    if (g_str_equal(verb, "run") && argc > 3) {
        ds_run_result r = {.status = -1};

        if (input) {
            char *data;
            gsize len;
            if (!g_file_get_contents(input, &data, &len, &err))
                return fail(DS_EGENERIC, err);
            in = g_bytes_new_take(data, len);
        }
        rc = ds_transport_run(t, (const char *const *)argv + 3, in, &r,
                              &err);
        if (rc == 0) {
            write_all(stdout, r.out);
            write_all(stderr, r.err);
            rc = r.status;
        } else {
            rc = fail(rc, err);
        }
        ds_run_result_clear(&r);
    } else if (g_str_equal(verb, "collect")) {
        g_autoptr(ds_manifest) m = NULL;
        g_autoptr(GBytes) json = NULL;
        g_autoptr(GBytes) key = g_bytes_new_static("e2e-hmac-key", 12);
        ds_collect_options co = {
            .host = argv[1],
            .role = DS_ROLE_PROD,
            .files = (const char *const *)argv + 3,
            .hmac_key = key,
        };

        if ((rc = ds_platform_collect(&m, t, &co, &err)) < 0 ||
            (rc = ds_manifest_normalise(m, &err)) < 0 ||
            (rc = ds_manifest_serialise(&json, m, &err)) < 0)
            rc = fail(rc, err);
        else
            write_all(stdout, json);
    } else if (g_str_equal(verb, "read") && argc == 4) {
        g_autoptr(GBytes) out = NULL;

        rc = ds_transport_read_file(t, argv[3], &out, &err);
        if (rc == 0)
            write_all(stdout, out);
        else
            rc = fail(rc, err);
    } else if (g_str_equal(verb, "write") && argc == 5) {
        g_autoptr(GIOChannel) ch = g_io_channel_unix_new(STDIN_FILENO);
        g_autofree char *data = NULL;
        gsize len = 0;

        g_io_channel_set_encoding(ch, NULL, NULL);
        if (g_io_channel_read_to_end(ch, &data, &len, &err) !=
            G_IO_STATUS_NORMAL)
            rc = fail(DS_EGENERIC, err);
        else {
            g_autoptr(GBytes) b = g_bytes_new(data, len);
            rc = ds_transport_write_file(t, argv[3], b,
                                         (guint)strtoul(argv[4], NULL, 8),
                                         &err);
            if (rc < 0)
                rc = fail(rc, err);
        }
    } else {
        fprintf(stderr, "agent-tool: bad verb or arguments: %s\n", verb);
        rc = 2;
    }
    return rc;
}
