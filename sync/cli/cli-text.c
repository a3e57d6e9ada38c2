/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli-text.c: the one place where text meets the terminal: every
 * human message and line of output goes through ds_cli_escape, which shows
 * control characters (ESC, CR, C1 controls, bidirectional overrides) and
 * bytes that are not UTF-8 escaped, keeping only driftsync's own colours. */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sync/cli/cmd.h"

static const struct {
    const char *name, *seq;
} colours[] = {{"red", "\033[31m"},    {"green", "\033[32m"},
               {"yellow", "\033[33m"}, {"bold", "\033[1m"},
               {"cyan", "\033[36m"},   {"dim", "\033[2m"},
               {"reset", "\033[0m"}};

const char *ds_cli_colour(const ds_cli *cli, const char *which)
{
    if (!cli->colour)
        return "";
    for (gsize i = 0; i < G_N_ELEMENTS(colours); i++)
        if (!strcmp(which, colours[i].name))
            return colours[i].seq;
    return "";
}

bool ds_cli_set_colour(ds_cli *cli, const char *when)
{
    if (!strcmp(when, "always"))
        cli->colour = true;
    else if (!strcmp(when, "never"))
        cli->colour = false;
    else if (!strcmp(when, "auto"))
        cli->colour = isatty(STDOUT_FILENO) && !g_getenv("NO_COLOR") &&
                      g_strcmp0(g_getenv("TERM"), "dumb") != 0;
    else
        return false;
    return true;
}

/* The length of one of our colour sequences at p, or 0. */
static gsize colour_at(const char *p)
{
    for (gsize i = 0; i < G_N_ELEMENTS(colours); i++) {
        gsize n = strlen(colours[i].seq);

        if (!strncmp(p, colours[i].seq, n))
            return n;
    }
    return 0;
}

/* Characters that change how the rest of a line is shown: C1 controls,
 * bidirectional marks, embeddings, overrides and isolates. */
static gboolean is_hidden_control(gunichar u)
{
    return (u >= 0x80 && u <= 0x9f) || u == 0x061c || u == 0x200e ||
           u == 0x200f || (u >= 0x202a && u <= 0x202e) ||
           (u >= 0x2066 && u <= 0x2069);
}

/* "\e", "\r" and the like for the usual ones, "\xNN" for the others. */
static void escape_byte(GString *out, unsigned char c)
{
    static const char controls[] = "\a\b\n\v\f\r\033";
    static const char letters[] = "abnvfre";
    const char *known = c ? strchr(controls, (char)c) : NULL;

    if (known)
        g_string_append_printf(out, "\\%c", letters[known - controls]);
    else
        g_string_append_printf(out, "\\x%02x", c);
}

char *ds_cli_escape(const char *text, int flags)
{
    GString *out = g_string_sized_new(text ? strlen(text) : 0);
    const char *p = text ? text : "";

    while (*p) {
        const char *run = p;
        unsigned char c;
        gunichar u;
        gsize n;

        /* printable ASCII (most text) is copied a run at a time */
        while ((*p >= 0x20 && *p < 0x7f) || *p == '\t' ||
               (*p == '\n' && (flags & DS_CLI_KEEP_NEWLINES)))
            p++;
        if (p > run) {
            g_string_append_len(out, run, p - run);
            continue;
        }
        c = (unsigned char)*p;
        if (c == 0x1b && (flags & DS_CLI_KEEP_COLOUR) && (n = colour_at(p))) {
            g_string_append_len(out, p, (gssize)n);
            p += n;
        } else if (c == '\t' || (c == '\n' && (flags & DS_CLI_KEEP_NEWLINES))) {
            g_string_append_c(out, (char)c);
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            escape_byte(out, c);
            p++;
        } else if (c < 0x80) {
            g_string_append_c(out, (char)c);
            p++;
        } else if ((u = g_utf8_get_char_validated(p, -1)) == (gunichar)-1 ||
                   u == (gunichar)-2) {
            escape_byte(out, c);
            p++;
        } else {
            const char *next = g_utf8_next_char(p);

            if (is_hidden_control(u))
                g_string_append_printf(out, "\\u%04x", u);
            else
                g_string_append_len(out, p, next - p);
            p = next;
        }
    }
    return g_string_free(out, FALSE);
}

void ds_cli_printf(ds_cli *cli, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *text = NULL;
    g_autofree char *shown = NULL;

    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    shown = ds_cli_escape(text, DS_CLI_KEEP_NEWLINES |
                                    (cli->colour ? DS_CLI_KEEP_COLOUR : 0));
    fputs(shown, stdout);
}

/* One line on stderr: "PREFIX" then the message, escaped. */
static void message(const char *prefix, const char *fmt, va_list ap)
    G_GNUC_PRINTF(2, 0);
static void message(const char *prefix, const char *fmt, va_list ap)
{
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    g_autofree char *shown = ds_cli_escape(text, 0);

    fprintf(stderr, "%s%s\n", prefix, shown);
}

void ds_cli_error(ds_cli *cli, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *prefix = g_strdup_printf("%s: ", cli->prog);

    va_start(ap, fmt);
    message(prefix, fmt, ap);
    va_end(ap);
}

void ds_cli_error_gerror(ds_cli *cli, const GError *err)
{
    ds_cli_error(cli, "%s", err ? err->message : "unknown error");
}

void ds_cli_info(ds_cli *cli, const char *fmt, ...)
{
    va_list ap;

    if (cli->verbosity < 0)
        return;
    va_start(ap, fmt);
    message("", fmt, ap);
    va_end(ap);
}

void ds_cli_verbose(ds_cli *cli, const char *fmt, ...)
{
    va_list ap;

    if (cli->verbosity < 1)
        return;
    va_start(ap, fmt);
    message("", fmt, ap);
    va_end(ap);
}

void ds_cli_progress(ds_cli *cli, const char *text)
{
    g_autofree char *shown = NULL;

    (void)cli;
    if (!text) {
        fputs("\r\033[K", stderr);
        return;
    }
    shown = ds_cli_escape(text, 0);
    fprintf(stderr, "\r\033[K%s", shown);
}
