/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/shell.c: quoting for a POSIX shell (remote commands over
 * ssh) and the display of a command to people (plan, sync, apply). */
#include <config.h>

#include <stdbool.h>
#include <string.h>

#include "manifests/util/shell.h"

/* Every byte stands for itself inside '...' except ' itself, which ends
 * the quoted part, is written as \' and reopens it: 'it'\''s'.  Nothing
 * else (newline, $, `, \, !, leading '-') is special in single quotes. */
char *ds_shell_quote(const char *arg)
{
    GString *s = g_string_sized_new(strlen(arg) + 2);

    g_string_append_c(s, '\'');
    for (const char *p = arg; *p; p++) {
        if (*p == '\'')
            g_string_append(s, "'\\''");
        else
            g_string_append_c(s, *p);
    }
    g_string_append_c(s, '\'');
    return g_string_free(s, FALSE);
}

char *ds_shell_join(const char *const *argv)
{
    GString *s = g_string_new(NULL);

    for (gsize i = 0; argv && argv[i]; i++) {
        g_autofree char *q = ds_shell_quote(argv[i]);
        if (i)
            g_string_append_c(s, ' ');
        g_string_append(s, q);
    }
    return g_string_free(s, FALSE);
}

/* Whether arg means itself to a shell as it stands.  Letters, digits and
 * _./:=+@%,- never do anything; '~' only expands at the start of a word
 * or after '=' or ':' (bash expands "a=~" even in an argument); a first
 * word with '=' would be an assignment, not the command. */
static bool is_plain(const char *arg, bool first)
{
    if (!*arg)
        return false;
    for (const char *p = arg; *p; p++) {
        if (*p == '~') {
            if (p == arg || p[-1] == '=' || p[-1] == ':')
                return false;
        } else if (*p == '=' && first) {
            return false;
        } else if (!g_ascii_isalnum(*p) && !strchr("_./:=+@%,-", *p)) {
            return false;
        }
    }
    return true;
}

char *ds_shell_display(const char *const *argv)
{
    GString *s = g_string_new(NULL);

    for (gsize i = 0; argv && argv[i]; i++) {
        if (i)
            g_string_append_c(s, ' ');
        if (is_plain(argv[i], i == 0)) {
            g_string_append(s, argv[i]);
        } else {
            g_autofree char *q = ds_shell_quote(argv[i]);

            g_string_append(s, q);
        }
    }
    return g_string_free(s, FALSE);
}
