/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform-dpkg-apt.c: apt sources in both formats (one-line
 * sources.list and deb822 *.sources) normalised to one-line entries:
 * "deb [arch=amd64 signed-by=/k.gpg] http://deb.debian.org/debian bookworm
 * main contrib" with options sorted, components in their given order,
 * comments dropped and disabled deb822 stanzas skipped.  A URI's
 * user:password@ is dropped: credentials belong in auth.conf.d, which is
 * secret, never in what is stored. */
#include <config.h>

#include <string.h>

#include "drivers/platform-dpkg.h"
#include "drivers/secret.h"
#include "manifests/util/error.h"

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A token of a sources entry: printable, no blanks, no brackets. */
static gboolean is_token(const char *s)
{
    if (!*s)
        return FALSE;
    for (; *s; s++)
        if ((guchar)*s <= 0x20 || *s == 0x7f || *s == '[' || *s == ']')
            return FALSE;
    return TRUE;
}

static char *join_entry(const char *type, GPtrArray *opts, const char *uri,
                        const char *suite, const char *const *comps)
{
    g_autoptr(GString) g = g_string_new(type);
    g_autofree char *bare = ds_secret_strip_uri(uri);

    if (opts && opts->len) {
        g_ptr_array_sort(opts, cmp_str);
        g_string_append(g, " [");
        for (guint i = 0; i < opts->len; i++)
            g_string_append_printf(g, "%s%s", i ? " " : "",
                                   (char *)opts->pdata[i]);
        g_string_append_c(g, ']');
    }
    g_string_append_printf(g, " %s %s", bare, suite);
    for (guint i = 0; comps && comps[i]; i++)
        g_string_append_printf(g, " %s", comps[i]);
    return g_string_free(g_steal_pointer(&g), FALSE);
}

static char **words(const char *s)
{
    g_auto(GStrv) parts = g_strsplit_set(s, " \t\n", -1);
    GPtrArray *w = g_ptr_array_new();

    for (guint i = 0; parts[i]; i++)
        if (*parts[i])
            g_ptr_array_add(w, g_strdup(parts[i]));
    g_ptr_array_add(w, NULL);
    return (char **)g_ptr_array_free(w, FALSE);
}

static int parse_line(GPtrArray *out, const char *origin, guint lineno,
                      char *line, GError **err)
{
    g_autoptr(GPtrArray) opts = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) w = NULL;
    g_autofree char *type = NULL;
    char *hash = strchr(line, '#'), *p;
    gsize n;

    if (hash)
        *hash = '\0';
    p = g_strstrip(line);
    if (!*p)
        return 0;
    /* "deb [opts] ..." or "deb[opts] ...": the type ends at a blank or '[' */
    n = strcspn(p, " \t[");
    type = g_strndup(p, n);
    p += n;
    if (strcmp(type, "deb") != 0 && strcmp(type, "deb-src") != 0)
        return ds_error_set(err, DS_EINVALID,
                            "%s: line %u: type '%s' is not deb or deb-src",
                            origin, lineno, type);
    p += strspn(p, " \t");
    if (*p == '[') {
        char *close = strchr(p, ']');
        g_auto(GStrv) ow = NULL;

        if (!close)
            return ds_error_set(err, DS_EINVALID,
                                "%s: line %u: unterminated '[' options",
                                origin, lineno);
        *close = '\0';
        ow = words(p + 1);
        for (guint i = 0; ow[i]; i++) {
            if (!is_token(ow[i]) || !strchr(ow[i], '=') || ow[i][0] == '=')
                return ds_error_set(err, DS_EINVALID,
                                    "%s: line %u: option '%s' is not key=value",
                                    origin, lineno, ow[i]);
            g_ptr_array_add(opts, g_strdup(ow[i]));
        }
        p = close + 1;
    }
    w = words(p);
    for (guint i = 0; w[i]; i++)
        if (!is_token(w[i]))
            return ds_error_set(err, DS_EINVALID,
                                "%s: line %u: malformed entry", origin,
                                lineno);
    if (g_strv_length(w) < 2 ||
        (g_strv_length(w) == 2 && !g_str_has_suffix(w[1], "/")))
        return ds_error_set(err, DS_EINVALID,
                            "%s: line %u: expected URI, suite and components",
                            origin, lineno);
    g_ptr_array_add(out, join_entry(type, opts, w[0], w[1],
                                    (const char *const *)w + 2));
    return 0;
}

/* deb822 field names that are options, and their one-line spelling; the
 * rest of apt's options are the field name in lower case. */
static const char *const option_fields[] = {
    "Architectures", "arch",   "Languages",  "lang",
    "Targets",       "target", "Signed-By",  "signed-by",
    "PDiffs",        NULL,     "By-Hash",    NULL,
    "Allow-Insecure", NULL,    "Allow-Weak", NULL,
    "Allow-Downgrade-To-Insecure", NULL, "Trusted", NULL,
    "Check-Valid-Until", NULL, "Valid-Until-Min", NULL,
    "Valid-Until-Max", NULL,   "Check-Date", NULL,
    "Date-Max-Future", NULL,   "InRelease-Path", NULL,
    "Snapshot",      NULL,
};

/* The one-line option for a deb822 field, or NULL if it is none. */
static char *option_name(const char *field)
{
    for (gsize i = 0; i < G_N_ELEMENTS(option_fields); i += 2) {
        const char *f = option_fields[i];
        gsize n = strlen(f);
        const char *suffix = "";

        if (g_ascii_strncasecmp(field, f, n) != 0)
            continue;
        if (g_ascii_strcasecmp(field + n, "-Add") == 0)
            suffix = "+";
        else if (g_ascii_strcasecmp(field + n, "-Remove") == 0)
            suffix = "-";
        else if (field[n])
            continue;
        g_autofree char *base = option_fields[i + 1]
                                    ? g_strdup(option_fields[i + 1])
                                    : g_ascii_strdown(f, -1);
        return g_strconcat(base, suffix, NULL);
    }
    return NULL;
}

static int flush_stanza(GPtrArray *out, const char *origin, guint lineno,
                        GHashTable *fields, GError **err)
{
    g_autoptr(GPtrArray) opts = g_ptr_array_new_with_free_func(g_free);
    const char *types, *uris, *suites, *comps, *enabled;
    g_auto(GStrv) tw = NULL, uw = NULL, sw = NULL, cw = NULL;
    GHashTableIter it;
    gpointer k, v;

    if (g_hash_table_size(fields) == 0)
        return 0;
    enabled = g_hash_table_lookup(fields, "enabled");
    if (enabled && g_ascii_strcasecmp(enabled, "no") == 0)
        return 0;
    types = g_hash_table_lookup(fields, "types");
    uris = g_hash_table_lookup(fields, "uris");
    suites = g_hash_table_lookup(fields, "suites");
    comps = g_hash_table_lookup(fields, "components");
    if (!types || !uris || !suites)
        return ds_error_set(err, DS_EINVALID,
                            "%s: stanza ending at line %u: Types, URIs and Suites are required",
                            origin, lineno);
    tw = words(types);
    uw = words(uris);
    sw = words(suites);
    cw = words(comps ? comps : "");
    g_hash_table_iter_init(&it, fields);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        g_autofree char *name = option_name(k);
        g_autofree char *val = NULL;

        if (!name)
            continue;
        if (strchr(g_strstrip((char *)v), '\n')) {
            /* An embedded key (Signed-By: -----BEGIN PGP ...) has no
             * one-line spelling: it is named by its digest. */
            g_autofree char *sum =
                g_compute_checksum_for_string(G_CHECKSUM_SHA256, v, -1);
            val = g_strconcat("sha256:", sum, NULL);
        } else {
            g_auto(GStrv) vw = g_strsplit_set(v, " \t,", -1);
            g_autoptr(GPtrArray) parts = g_ptr_array_new();
            for (guint i = 0; vw[i]; i++)
                if (*vw[i])
                    g_ptr_array_add(parts, vw[i]);
            g_ptr_array_add(parts, NULL);
            val = g_strjoinv(",", (char **)parts->pdata);
        }
        g_autofree char *opt = g_strconcat(name, "=", val, NULL);
        if (!is_token(opt))
            return ds_error_set(err, DS_EINVALID,
                                "%s: stanza ending at line %u: field %s: malformed value",
                                origin, lineno, (char *)k);
        g_ptr_array_add(opts, g_steal_pointer(&opt));
    }
    for (guint t = 0; tw[t]; t++) {
        if (strcmp(tw[t], "deb") != 0 && strcmp(tw[t], "deb-src") != 0)
            return ds_error_set(err, DS_EINVALID,
                                "%s: stanza ending at line %u: type '%s' is not deb or deb-src",
                                origin, lineno, tw[t]);
        for (guint u = 0; uw[u]; u++)
            for (guint s = 0; sw[s]; s++) {
                if (!is_token(uw[u]) || !is_token(sw[s]) ||
                    (!cw[0] && !g_str_has_suffix(sw[s], "/")))
                    return ds_error_set(err, DS_EINVALID,
                                        "%s: stanza ending at line %u: malformed URI, suite or components",
                                        origin, lineno);
                for (guint i = 0; cw[i]; i++)
                    if (!is_token(cw[i]))
                        return ds_error_set(err, DS_EINVALID,
                                            "%s: stanza ending at line %u: malformed component",
                                            origin, lineno);
                g_autoptr(GPtrArray) o =
                    g_ptr_array_new_with_free_func(g_free);
                for (guint i = 0; i < opts->len; i++)
                    g_ptr_array_add(o, g_strdup(opts->pdata[i]));
                g_ptr_array_add(out, join_entry(tw[t], o, uw[u], sw[s],
                                                (const char *const *)cw));
            }
    }
    return 0;
}

static int parse_deb822(GPtrArray *out, const char *origin, char **lines,
                        GError **err)
{
    g_autoptr(GHashTable) fields =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    char *last = NULL; /* key of the field continuation lines extend */
    guint i;
    int rc;

    for (i = 0; lines[i]; i++) {
        char *l = lines[i], *colon;

        if (l[0] == '#')
            continue;
        if (!*g_strchomp(l) || strspn(l, " \t") == strlen(l)) {
            rc = flush_stanza(out, origin, i, fields, err);
            if (rc < 0)
                return rc;
            g_hash_table_remove_all(fields);
            last = NULL;
            continue;
        }
        if (l[0] == ' ' || l[0] == '\t') {
            char *old;
            if (!last)
                return ds_error_set(err, DS_EINVALID,
                                    "%s: line %u: continuation line outside a field",
                                    origin, i + 1);
            old = g_hash_table_lookup(fields, last);
            l = g_strstrip(l);
            g_hash_table_insert(
                fields, g_strdup(last),
                g_strconcat(old, "\n", strcmp(l, ".") ? l : "", NULL));
            continue;
        }
        colon = strchr(l, ':');
        if (!colon || colon == l)
            return ds_error_set(err, DS_EINVALID,
                                "%s: line %u: expected 'Field: value'",
                                origin, i + 1);
        *colon = '\0';
        last = g_ascii_strdown(l, -1);
        /* apt field names are case-insensitive: keys are lower case. */
        g_hash_table_replace(fields, last, g_strdup(g_strstrip(colon + 1)));
    }
    return flush_stanza(out, origin, i, fields, err);
}

int ds_apt_parse_sources(GPtrArray *out, const char *origin,
                         const char *data, gsize len, gboolean deb822,
                         GError **err)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    const char *bad = NULL;

    if (!g_utf8_validate(data, (gssize)len, &bad) ||
        memchr(data, '\0', len)) {
        guint at = 1;
        for (const char *q = data; q < (bad ? bad : data + len); q++)
            at += *q == '\n';
        return ds_error_set(err, DS_EINVALID,
                            "%s: line %u: not valid UTF-8 text", origin, at);
    }
    text = g_strndup(data, len);
    for (char *c = text; *c; c++)
        if (*c == '\r' || *c == '\f' || *c == '\v')
            *c = ' ';
    lines = g_strsplit(text, "\n", -1);
    if (deb822)
        return parse_deb822(out, origin, lines, err);
    for (guint i = 0; lines[i]; i++) {
        int rc = parse_line(out, origin, i + 1, lines[i], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}
