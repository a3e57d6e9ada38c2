/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/config/config-values.c: the pre-pass over driftsync.conf (line numbers,
 * trailing comments, duplicates) and the reader of a value of each kind
 * of the key table, its defaults and its release. */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "manifests/manifest.h"
#include "sync/config/config-file.h"
#include "sync/config/config-private.h"

int ds_config_line(const ds_config_reader *r, const char *group,
                   const char *key)
{
    g_autofree char *id =
        key ? g_strdup_printf("%s\n%s", group, key) : g_strdup(group);

    return GPOINTER_TO_INT(g_hash_table_lookup(r->lines, id));
}

int ds_config_fail(const ds_config_reader *r, GError **err, int line,
                   const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (line > 0)
        return ds_error_set(err, DS_EINVALID, "%s:%d: %s", r->filename, line,
                            msg);
    return ds_error_set(err, DS_EINVALID, "%s: %s", r->filename, msg);
}

static bool is_key_char(char c)
{
    return g_ascii_isalnum(c) || c == '-' || c == '_' || c == '.';
}

/* Cut a trailing " ; comment" or " # comment" off a value. */
static void strip_trailing_comment(char *value)
{
    for (char *p = value; *p; p++) {
        if ((*p == ';' || *p == '#') &&
            (p == value || g_ascii_isspace(p[-1]))) {
            *p = '\0';
            return;
        }
    }
}

/* The pre-pass: check each line's shape, record where sections and keys
 * are, refuse duplicates, and build the text GKeyFile will read. */
int ds_config_scan(ds_config_reader *r, const char *text, GError **err)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autofree char *section = NULL;

    for (int i = 0; lines[i]; i++) {
        int n = i + 1;
        char *line = g_strstrip(lines[i]);
        g_autofree char *id = NULL;
        gpointer seen;

        if (!g_utf8_validate(line, -1, NULL))
            return ds_config_fail(r, err, n, "not valid UTF-8");
        if (!*line || *line == '#' || *line == ';') {
            g_string_append_c(r->clean, '\n');
            continue;
        }
        if (*line == '[') {
            char *end = strchr(line, ']');
            g_autofree char *rest = NULL;

            if (!end)
                return ds_config_fail(r, err, n,
                                      "section header '%s' lacks ']'", line);
            rest = g_strdup(end + 1);
            strip_trailing_comment(rest);
            if (*g_strstrip(rest))
                return ds_config_fail(r, err, n, "unexpected '%s' after '%.*s'",
                                      rest, (int)(end - line + 1), line);
            *end = '\0';
            g_free(section);
            section = g_strdup(g_strstrip(line + 1));
            /* "[host  web01]" and "[host web01]" are the same section. */
            if (g_str_has_prefix(section, "host") &&
                g_ascii_isspace(section[4])) {
                char *name = g_strstrip(section + 4);
                char *tmp = g_strdup_printf("host %s", name);

                g_free(section);
                section = tmp;
            }
            if (!*section || strpbrk(section, "[]"))
                return ds_config_fail(r, err, n, "bad section name '[%s]'",
                                      section);
            if (g_hash_table_lookup_extended(r->lines, section, NULL, &seen))
                return ds_config_fail(r, err, n,
                                      "section [%s] appears twice (first on "
                                      "line %d)",
                                      section, GPOINTER_TO_INT(seen));
            g_hash_table_insert(r->lines, g_strdup(section),
                                GINT_TO_POINTER(n));
            g_string_append_printf(r->clean, "[%s]\n", section);
            continue;
        }

        char *eq = strchr(line, '=');
        char *key, *value;

        if (!eq)
            return ds_config_fail(r, err, n,
                                  "expected 'key = value' or '[section]', got "
                                  "'%s'",
                                  line);
        *eq = '\0';
        key = g_strstrip(line);
        value = eq + 1;
        strip_trailing_comment(value);
        value = g_strstrip(value);
        if (!*key)
            return ds_config_fail(r, err, n, "missing key before '='");
        for (const char *p = key; *p; p++)
            if (!is_key_char(*p))
                return ds_config_fail(r, err, n, "bad key name '%s'", key);
        if (!section)
            return ds_config_fail(r, err, n, "key '%s' before any [section]",
                                  key);
        id = g_strdup_printf("%s\n%s", section, key);
        if (g_hash_table_lookup_extended(r->lines, id, NULL, &seen))
            return ds_config_fail(r, err, n,
                                  "[%s] %s: set twice (first on line %d)",
                                  section, key, GPOINTER_TO_INT(seen));
        g_hash_table_insert(r->lines, g_steal_pointer(&id), GINT_TO_POINTER(n));
        g_string_append_printf(r->clean, "%s=%s\n", key, value);
    }
    return 0;
}

static guint edit_distance(const char *a, const char *b)
{
    gsize la = strlen(a), lb = strlen(b);
    g_autofree guint *row = g_new(guint, lb + 1);

    for (gsize j = 0; j <= lb; j++)
        row[j] = (guint)j;
    for (gsize i = 1; i <= la; i++) {
        guint diag = row[0];

        row[0] = (guint)i;
        for (gsize j = 1; j <= lb; j++) {
            guint up = row[j];
            guint best = diag + (a[i - 1] != b[j - 1]);

            best = MIN(best, up + 1);
            best = MIN(best, row[j - 1] + 1);
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* Refuse a key the table does not have for the section, suggesting the
 * first near one in table order. */
int ds_config_check_known(const ds_config_reader *r, const char *group,
                          const char *section, const char *key, GError **err)
{
    const char *near = NULL;

    if (ds_config_key_find(section, key))
        return 0;
    for (const ds_config_key *k = ds_config_table; k->name && !near; k++)
        if (!strcmp(k->section, section) && edit_distance(key, k->name) <= 2)
            near = k->name;
    if (near)
        return ds_config_fail(r, err, ds_config_line(r, group, key),
                              "[%s] unknown key '%s' (did you mean '%s'?)",
                              group, key, near);
    return ds_config_fail(r, err, ds_config_line(r, group, key),
                          "[%s] unknown key '%s'", group, key);
}

/* The raw value (comments stripped, no escapes interpreted). */
char *ds_config_get_value(GKeyFile *kf, const char *group, const char *key)
{
    char *v = g_key_file_get_value(kf, group, key, NULL);

    return v ? g_strstrip(v) : g_strdup("");
}

/* The field of K in BASE. */
#define FIELD_OF(type, base, k) ((type *)((char *)(base) + (k)->offset))

static int read_string(char **out, const ds_config_reader *r, const char *v,
                       const char *group, const char *key, GError **err)
{
    if (!*v)
        return ds_config_fail(r, err, ds_config_line(r, group, key),
                              "[%s] %s: expected a value, got nothing", group,
                              key);
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\t')
            return BAD_VALUE("control character in '%s'", v);
    *out = g_strdup(v);
    return 0;
}

static int read_int(int *out, const ds_config_key *k, const ds_config_reader *r,
                    const char *v, const char *group, const char *key,
                    GError **err)
{
    gint64 n;

    if (!g_ascii_string_to_signed(v, 10, k->min, k->max, &n, NULL))
        return BAD_VALUE("expected a %s integer, got '%s'",
                         k->min > 0 ? "positive" : "non-negative", v);
    *out = (int)n;
    return 0;
}

static int read_bool(gboolean *out, const ds_config_reader *r, const char *v,
                     const char *group, const char *key, GError **err)
{
    static const char *const yes[] = {"true", "yes", "on", "1", NULL};
    static const char *const no[] = {"false", "no", "off", "0", NULL};

    if (g_strv_contains(yes, v))
        *out = TRUE;
    else if (g_strv_contains(no, v))
        *out = FALSE;
    else
        return BAD_VALUE("expected true or false, got '%s'", v);
    return 0;
}

static int read_choice(char **out, const ds_config_key *k,
                       const ds_config_reader *r, const char *v,
                       const char *group, const char *key, GError **err)
{
    g_autofree char *list = NULL;

    if (!g_strv_contains(k->choices, v)) {
        list = g_strjoinv(" | ", (char **)k->choices);
        return BAD_VALUE("expected %s, got '%s'", list, v);
    }
    *out = g_strdup(v);
    return 0;
}

int ds_config_parse_duration(gint64 *out, const char *v)
{
    static const struct {
        char unit;
        gint64 seconds;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
    gsize n = strspn(v, "0123456789");

    if (n == 0 || n > 9 || strlen(v) != n + 1)
        return DS_EINVALID;
    for (gsize i = 0; i < G_N_ELEMENTS(units); i++)
        if (v[n] == units[i].unit) {
            *out = g_ascii_strtoll(v, NULL, 10) * units[i].seconds;
            return 0;
        }
    return DS_EINVALID;
}

static int read_duration(gint64 *out, const ds_config_reader *r,
                         const char *v, const char *group, const char *key,
                         GError **err)
{
    if (ds_config_parse_duration(out, v) < 0)
        return BAD_VALUE("expected a duration such as 30m, 12h, 7d or 2w, "
                         "got '%s'",
                         v);
    return 0;
}

/* A whitespace-separated list. */
static char **split_list(const char *v)
{
    g_auto(GStrv) parts = g_strsplit_set(v, " \t", -1);
    GPtrArray *a = g_ptr_array_new();

    for (int i = 0; parts[i]; i++)
        if (*parts[i])
            g_ptr_array_add(a, g_strdup(parts[i]));
    g_ptr_array_add(a, NULL);
    return (char **)g_ptr_array_free(a, FALSE);
}

/* The key's own check, of the value or of each word of a list. */
static int check_value(const ds_config_key *k, const ds_config_reader *r,
                       const char *v, const char *const *words,
                       const char *group, GError **err)
{
    const char *key = k->name;
    const char *const one[] = {v, NULL};

    if (!k->check)
        return 0;
    for (const char *const *w = words ? words : one; *w; w++) {
        g_autofree char *why = k->check(*w);

        if (why)
            return BAD_VALUE("%s", why);
    }
    return 0;
}

int ds_config_read_value(void *base, const ds_config_key *k,
                         const ds_config_reader *r, GKeyFile *kf,
                         const char *group, GError **err)
{
    g_autofree char *v = ds_config_get_value(kf, group, k->name);
    g_autofree char *text = NULL;
    g_auto(GStrv) words = NULL;
    int n = 0, rc = 0;
    gint64 seconds = 0;
    gboolean yes = FALSE;

    switch (k->kind) {
    case DS_CONFIG_STRING:
        rc = read_string(&text, r, v, group, k->name, err);
        break;
    case DS_CONFIG_CHOICE:
        rc = read_choice(&text, k, r, v, group, k->name, err);
        break;
    case DS_CONFIG_INT:
        rc = read_int(&n, k, r, v, group, k->name, err);
        break;
    case DS_CONFIG_BOOL:
        rc = read_bool(&yes, r, v, group, k->name, err);
        break;
    case DS_CONFIG_LIST:
        words = split_list(v);
        break;
    case DS_CONFIG_DURATION:
        rc = read_duration(&seconds, r, v, group, k->name, err);
        break;
    case DS_CONFIG_IGNORE:
        g_assert_not_reached();
    }
    if (rc < 0 ||
        (rc = check_value(k, r, v, (const char *const *)words, group, err)) < 0)
        return rc;
    ds_config_clear_value(base, k);
    if (k->kind == DS_CONFIG_INT)
        *FIELD_OF(int, base, k) = n;
    else if (k->kind == DS_CONFIG_BOOL)
        *FIELD_OF(gboolean, base, k) = yes;
    else if (k->kind == DS_CONFIG_LIST)
        *FIELD_OF(char **, base, k) = g_steal_pointer(&words);
    else if (k->kind == DS_CONFIG_DURATION)
        *FIELD_OF(gint64, base, k) = seconds;
    else
        *FIELD_OF(char *, base, k) = g_steal_pointer(&text);
    return 0;
}

void ds_config_set_default(void *base, const ds_config_key *k)
{
    if (!k->def)
        return;
    ds_config_clear_value(base, k);
    switch (k->kind) {
    case DS_CONFIG_STRING:
    case DS_CONFIG_CHOICE:
        *FIELD_OF(char *, base, k) = g_strdup(k->def);
        break;
    case DS_CONFIG_INT:
        *FIELD_OF(int, base, k) = (int)g_ascii_strtoll(k->def, NULL, 10);
        break;
    case DS_CONFIG_BOOL:
        *FIELD_OF(gboolean, base, k) = !strcmp(k->def, "true");
        break;
    case DS_CONFIG_LIST:
        *FIELD_OF(char **, base, k) = split_list(k->def);
        break;
    case DS_CONFIG_DURATION:
        ds_config_parse_duration(FIELD_OF(gint64, base, k), k->def);
        break;
    case DS_CONFIG_IGNORE:
        break;
    }
}

void ds_config_clear_value(void *base, const ds_config_key *k)
{
    switch (k->kind) {
    case DS_CONFIG_STRING:
    case DS_CONFIG_CHOICE:
        g_clear_pointer(FIELD_OF(char *, base, k), g_free);
        break;
    case DS_CONFIG_LIST:
        g_clear_pointer(FIELD_OF(char **, base, k), g_strfreev);
        break;
    case DS_CONFIG_INT:
    case DS_CONFIG_BOOL:
    case DS_CONFIG_DURATION:
    case DS_CONFIG_IGNORE:
        break;
    }
}

/* The part of an URL after "scheme://": non-empty authority without
 * whitespace. */
bool ds_config_url_has_host(const char *v, const char *scheme)
{
    const char *rest = v + strlen(scheme);

    return *rest && *rest != '/' && !strpbrk(rest, " \t");
}

bool ds_config_source_is_valid(const char *v, const char **why)
{
    *why = "expected local:[/ROOT], ssh://[USER@]HOST[:PORT], https://URL, "
           "http://URL or agent:DOMAIN";
    if (g_str_has_prefix(v, "local:")) {
        const char *root = v + 6;

        if (*root && !ds_name_is_safe_path(root)) {
            *why = "local: takes an absolute root directory (local:/srv/root)";
            return false;
        }
        return true;
    }
    if (g_str_has_prefix(v, "ssh://"))
        return ds_config_url_has_host(v, "ssh://");
    if (g_str_has_prefix(v, "https://"))
        return ds_config_url_has_host(v, "https://");
    if (g_str_has_prefix(v, "http://"))
        return ds_config_url_has_host(v, "http://");
    if (g_str_has_prefix(v, "agent:"))
        return ds_name_is_safe_host(v + 6);
    return false;
}
