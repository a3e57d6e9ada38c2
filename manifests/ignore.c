/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/ignore.c: ignore rules, fnmatch(3) globs per category, checked
 * when added so that a mistyped pattern is an error and not a silent
 * non-match. */
#include <config.h>

#include <fnmatch.h>
#include <string.h>

#include "manifests/util/error.h"
#include "manifests/ignore.h"

/* Longest pattern accepted, in bytes. */
#define DS_IGNORE_MAX_PATTERN 1024

static const char *const category_names[DS_CAT_COUNT] = {
    [DS_CAT_PACKAGES] = "packages", [DS_CAT_SOURCES] = "sources",
    [DS_CAT_FILES] = "files",       [DS_CAT_SERVICES] = "services",
    [DS_CAT_KERNEL] = "kernel",
};

typedef struct {
    char *glob;  /* as given, or without its trailing '/' */
    char *below; /* the directory pattern plus "*", or NULL */
} ds_pattern;

struct ds_ignore {
    GArray *pats[DS_CAT_COUNT]; /* ds_pattern */
};

const char *ds_category_name(ds_category cat)
{
    if ((int)cat < 0 || cat >= DS_CAT_COUNT)
        return "unknown";
    return category_names[cat];
}

int ds_category_from_name(const char *name)
{
    for (int i = 0; name && i < DS_CAT_COUNT; i++)
        if (strcmp(name, category_names[i]) == 0)
            return i;
    return -1;
}

static void pattern_clear(gpointer p)
{
    ds_pattern *pat = p;

    g_free(pat->glob);
    g_free(pat->below);
}

ds_ignore *ds_ignore_new(void)
{
    ds_ignore *ig = g_new0(ds_ignore, 1);

    for (int i = 0; i < DS_CAT_COUNT; i++) {
        ig->pats[i] = g_array_new(FALSE, FALSE, sizeof(ds_pattern));
        g_array_set_clear_func(ig->pats[i], pattern_clear);
    }
    return ig;
}

void ds_ignore_free(ds_ignore *ig)
{
    if (!ig)
        return;
    for (int i = 0; i < DS_CAT_COUNT; i++)
        g_array_unref(ig->pats[i]);
    g_free(ig);
}

/* Check one pattern's syntax; on error set *why (static text). */
static bool pattern_is_valid(const char *p, size_t len, ds_category cat,
                             const char **why)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];

        if (c < 0x20 || c == 0x7f) {
            *why = "contains a control character";
            return false;
        }
        if (c == '\\') {
            if (++i == len) {
                *why = "ends with a lone backslash";
                return false;
            }
        } else if (c == '[') {
            /* A bracket expression: [!...] or [^...], a leading ']' is
             * literal, [:class:] inside, up to the closing ']'. */
            size_t j = i + 1;
            if (j < len && (p[j] == '!' || p[j] == '^'))
                j++;
            if (j < len && p[j] == ']')
                j++;
            while (j < len && p[j] != ']') {
                if (p[j] == '[' && j + 1 < len && p[j + 1] == ':') {
                    const char *end =
                        g_strstr_len(p + j + 2, (gssize)(len - j - 2), ":]");
                    if (!end)
                        break;
                    j = (size_t)(end - p) + 2;
                    continue;
                }
                if (p[j] == '\\' && j + 1 < len)
                    j++;
                j++;
            }
            if (j >= len) {
                *why = "has a '[' without its closing ']'";
                return false;
            }
            i = j;
        } else if (c == '/' &&
                   (cat == DS_CAT_PACKAGES || cat == DS_CAT_SERVICES)) {
            *why = cat == DS_CAT_PACKAGES
                       ? "contains '/', which no package name has"
                       : "contains '/', which no unit name has";
            return false;
        }
    }
    if (cat == DS_CAT_FILES && !strchr("/*?[", p[0])) {
        *why = "is not an absolute path (start it with '/' or '*')";
        return false;
    }
    return true;
}

int ds_ignore_add(ds_ignore *ig, ds_category cat, const char *patterns,
                  GError **err)
{
    const char *cname = ds_category_name(cat);
    g_autoptr(GArray) add = NULL;
    const char *p = patterns;

    if (!ig)
        return ds_error_set(err, DS_EINVALID, "ignore %s: no rule set", cname);
    if ((int)cat < 0 || cat >= DS_CAT_COUNT)
        return ds_error_set(err, DS_EINVALID, "ignore: no category %d",
                            (int)cat);
    add = g_array_new(FALSE, FALSE, sizeof(ds_pattern));
    g_array_set_clear_func(add, pattern_clear);
    while (p && *p) {
        const char *start, *why = NULL;
        size_t len;
        ds_pattern pat = {NULL, NULL};

        while (g_ascii_isspace(*p))
            p++;
        if (!*p)
            break;
        start = p;
        while (*p && !g_ascii_isspace(*p)) {
            if (*p == '\\' && p[1] && !g_ascii_iscntrl(p[1]))
                p++; /* "\ " keeps a blank inside the pattern */
            p++;
        }
        len = (size_t)(p - start);
        if (len > DS_IGNORE_MAX_PATTERN)
            return ds_error_set(err, DS_EINVALID,
                                "ignore %s: pattern '%.40s...' is too long (%zu bytes, at most %d)",
                                cname, start, len, DS_IGNORE_MAX_PATTERN);
        if (!pattern_is_valid(start, len, cat, &why))
            return ds_error_set(err, DS_EINVALID,
                                "ignore %s: pattern '%.*s' %s", cname, (int)len,
                                start, why);
        if (cat == DS_CAT_FILES && start[len - 1] == '/' &&
            (len < 2 || start[len - 2] != '\\')) {
            pat.glob = g_strndup(start, len - 1);
            pat.below = g_strdup_printf("%.*s*", (int)len, start);
        } else {
            pat.glob = g_strndup(start, len);
        }
        g_array_append_val(add, pat);
    }
    if (add->len == 0)
        return ds_error_set(err, DS_EINVALID,
                            "ignore %s: empty value, no pattern given", cname);
    /* All or nothing: only a fully valid value is added. */
    g_array_append_vals(ig->pats[cat], add->data, add->len);
    g_array_set_clear_func(add, NULL);
    return 0;
}

static bool match_any(const GArray *pats, const char *name)
{
    for (guint i = 0; i < pats->len; i++) {
        const ds_pattern *pat = &g_array_index(pats, ds_pattern, i);

        if (fnmatch(pat->glob, name, 0) == 0)
            return true;
        if (pat->below && fnmatch(pat->below, name, 0) == 0)
            return true;
    }
    return false;
}

/* Match name, and also a shorter form of it: a package without its
 * ":arch" qualifier, a service without ".service". */
static bool match_with_short(const GArray *pats, const char *name,
                             size_t short_len)
{
    char buf[256];
    g_autofree char *heap = NULL;
    char *s = buf;

    if (match_any(pats, name))
        return true;
    if (short_len == 0 || short_len == strlen(name))
        return false;
    if (short_len >= sizeof(buf))
        s = heap = g_malloc(short_len + 1);
    memcpy(s, name, short_len);
    s[short_len] = '\0';
    return match_any(pats, s);
}

bool ds_ignore_match(const ds_ignore *ig, ds_category cat, const char *name)
{
    const GArray *pats;
    const char *q;

    if (!ig || !name || (int)cat < 0 || cat >= DS_CAT_COUNT)
        return false;
    pats = ig->pats[cat];
    if (pats->len == 0)
        return false;
    switch (cat) {
    case DS_CAT_PACKAGES:
        q = strchr(name, ':');
        return match_with_short(pats, name, q ? (size_t)(q - name) : 0);
    case DS_CAT_SERVICES:
        q = g_str_has_suffix(name, ".service") ? name + strlen(name) - 8 : NULL;
        return match_with_short(pats, name, q ? (size_t)(q - name) : 0);
    default:
        return match_any(pats, name);
    }
}
