/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/scripted-transport.c: the "scripted:" transport (see the
 * header): a host whose every answer comes from the test's script. */
#include <config.h>

#include <string.h>

#include "drivers/transport.h"
#include "manifests/util/error.h"
#include "tests/unit/scripted-transport.h"

static const char *cur, *cur_end;

void ds_scripted_set(const char *script, gsize len)
{
    cur = script;
    cur_end = script ? script + len : NULL;
}

/* The next piece, or NULL when the script is used up. */
static GBytes *next_answer(const char *marker)
{
    const char *p = cur, *cut, *end, *m;
    GString *s;

    if (!cur)
        return NULL;
    cut = memmem(p, (gsize)(cur_end - p), "\n\f\n", 3);
    end = cut ? cut : cur_end;
    cur = cut ? cut + 3 : NULL;
    s = g_string_new(NULL);
    while (marker && (m = memmem(p, (gsize)(end - p), "@M@", 3))) {
        g_string_append_len(s, p, m - p);
        g_string_append(s, marker);
        p = m + 3;
    }
    g_string_append_len(s, p, end - p);
    return g_string_free_to_bytes(s);
}

static int scripted_open(void **state, const char *uri,
                         const ds_transport_options *opts, GError **err)
{
    *state = GINT_TO_POINTER(1);
    return 0;
}

static int scripted_run(void *state, const char *const *argv,
                        GBytes *stdin_data, ds_run_result *r, GError **err)
{
    const char *marker = NULL;
    int n = 0;

    while (argv[n])
        n++;
    /* sh -c SCRIPT sh MARKER ...: the collectors' section markers */
    if (n > 4 && strcmp(argv[0], "sh") == 0 &&
        g_str_has_prefix(argv[4], "DS-"))
        marker = argv[4];
    r->out = next_answer(marker);
    if (!r->out) {
        r->status = -1;
        return ds_error_set(err, DS_EGENERIC, "scripted: connection lost");
    }
    r->err = g_bytes_new(NULL, 0);
    r->status = 0;
    return 0;
}

static int scripted_read_file(void *state, const char *path, GBytes **out,
                              GError **err)
{
    *out = next_answer(NULL);
    if (!*out)
        return ds_error_set(err, DS_ENOTFOUND, "scripted: %s: no such file",
                            path);
    return 0;
}

static void scripted_close(void *state)
{
}

static const ds_transport_ops scripted_ops = {
    .scheme = "scripted",
    .open = scripted_open,
    .run = scripted_run,
    .read_file = scripted_read_file,
    .close = scripted_close,
};

void ds_scripted_register(void)
{
    static gboolean done;

    if (!done && ds_transport_register(&scripted_ops) < 0)
        g_error("cannot register the scripted transport");
    done = TRUE;
}
