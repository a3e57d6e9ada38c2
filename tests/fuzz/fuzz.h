/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/fuzz/fuzz.h: what every libFuzzer target shares: the entry
 * point, GLib warnings made fatal, the rule every parser's verdict must
 * follow, and a private file for parsers that read one. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A g_return_if_fail or a g_warning on hostile input is a bug too: abort
 * (which libFuzzer reports with a stack and keeps the input). */
static void ds_fuzz_log(const gchar *domain, GLogLevelFlags level,
                        const gchar *message, gpointer payload)
{
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL |
                 G_LOG_LEVEL_WARNING)) {
        fprintf(stderr, "%s: %s\n", domain ? domain : "log", message);
        abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    g_log_set_default_handler(ds_fuzz_log, NULL);
    return 0;
}

/* 0 with no error, or a negative DS_E* code with one non-empty line of
 * valid UTF-8 (what the program prints): anything else aborts. */
static inline void ds_fuzz_check_verdict(int rc, const GError *err)
{
    if (rc == 0 && err == NULL)
        return;
    if (rc < 0 && err && err->message[0] && !strchr(err->message, '\n') &&
        g_utf8_validate(err->message, -1, NULL))
        return;
    fprintf(stderr, "bad verdict: rc %d, error %s\n", rc,
            err ? err->message : "(none)");
    abort();
}

/* Write the input to a file in a private directory made once; returns its
 * path (owned here). */
static inline const char *ds_fuzz_file(const uint8_t *data, size_t size,
                                       const char *name)
{
    static char *dir, *path;
    FILE *fp;

    if (!dir) {
        dir = g_dir_make_tmp("ds-fuzz-XXXXXX", NULL);
        if (!dir)
            abort();
        path = g_build_filename(dir, name, NULL);
    }
    fp = fopen(path, "wb");
    if (!fp || (size && fwrite(data, 1, size, fp) != size) || fclose(fp))
        abort();
    return path;
}
