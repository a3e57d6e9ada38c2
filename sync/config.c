/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/config.c: read driftsync.conf: a light pre-pass locates every
 * section and key by line and strips trailing comments, GKeyFile reads
 * the cleaned text, then each value is checked against the schema, with
 * errors as "FILE:LINE: [section] key: what is wrong". */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "manifests/error.h"
#include "manifests/manifest.h"
#include "sync/config.h"

#define DS_CONFIG_MAX_BYTES (1024 * 1024)

/* What the pre-pass learnt: the cleaned text and where things are. */
typedef struct cfg_reader {
    const char *filename;
    GString *clean;    /* text for GKeyFile */
    GHashTable *lines; /* "section" or "section\nkey" -> line (int) */
} cfg_reader;

static int reader_line(const cfg_reader *r, const char *group, const char *key)
{
    g_autofree char *id =
        key ? g_strdup_printf("%s\n%s", group, key) : g_strdup(group);

    return GPOINTER_TO_INT(g_hash_table_lookup(r->lines, id));
}

static int reader_fail(const cfg_reader *r, GError **err, int line,
                       const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static int reader_fail(const cfg_reader *r, GError **err, int line,
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
static int reader_scan(cfg_reader *r, const char *text, GError **err)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autofree char *section = NULL;

    for (int i = 0; lines[i]; i++) {
        int n = i + 1;
        char *line = g_strstrip(lines[i]);
        g_autofree char *id = NULL;
        gpointer seen;

        if (!g_utf8_validate(line, -1, NULL))
            return reader_fail(r, err, n, "not valid UTF-8");
        if (!*line || *line == '#' || *line == ';') {
            g_string_append_c(r->clean, '\n');
            continue;
        }
        if (*line == '[') {
            char *end = strchr(line, ']');
            g_autofree char *rest = NULL;

            if (!end)
                return reader_fail(r, err, n, "section header '%s' lacks ']'",
                                   line);
            rest = g_strdup(end + 1);
            strip_trailing_comment(rest);
            if (*g_strstrip(rest))
                return reader_fail(r, err, n, "unexpected '%s' after '%.*s'",
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
                return reader_fail(r, err, n, "bad section name '[%s]'",
                                   section);
            if (g_hash_table_lookup_extended(r->lines, section, NULL, &seen))
                return reader_fail(r, err, n,
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
            return reader_fail(r, err, n,
                               "expected 'key = value' or '[section]', got "
                               "'%s'",
                               line);
        *eq = '\0';
        key = g_strstrip(line);
        value = eq + 1;
        strip_trailing_comment(value);
        value = g_strstrip(value);
        if (!*key)
            return reader_fail(r, err, n, "missing key before '='");
        for (const char *p = key; *p; p++)
            if (!is_key_char(*p))
                return reader_fail(r, err, n, "bad key name '%s'", key);
        if (!section)
            return reader_fail(r, err, n, "key '%s' before any [section]", key);
        id = g_strdup_printf("%s\n%s", section, key);
        if (g_hash_table_lookup_extended(r->lines, id, NULL, &seen))
            return reader_fail(r, err, n,
                               "[%s] %s: set twice (first on line %d)", section,
                               key, GPOINTER_TO_INT(seen));
        g_hash_table_insert(r->lines, g_steal_pointer(&id), GINT_TO_POINTER(n));
        g_string_append_printf(r->clean, "%s=%s\n", key, value);
    }
    return 0;
}

/* ---- value checks ---------------------------------------------------- */

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

/* Refuse a key the section does not know, suggesting a near one. */
static int check_known(const cfg_reader *r, const char *group, const char *key,
                       const char *const *known, GError **err)
{
    const char *near = NULL;

    if (g_strv_contains(known, key))
        return 0;
    for (int i = 0; known[i]; i++)
        if (edit_distance(key, known[i]) <= 2) {
            near = known[i];
            break;
        }
    if (near)
        return reader_fail(r, err, reader_line(r, group, key),
                           "[%s] unknown key '%s' (did you mean '%s'?)", group,
                           key, near);
    return reader_fail(r, err, reader_line(r, group, key),
                       "[%s] unknown key '%s'", group, key);
}

/* The raw value (comments stripped, no escapes interpreted). */
static char *get_value(GKeyFile *kf, const char *group, const char *key)
{
    char *v = g_key_file_get_value(kf, group, key, NULL);

    return v ? g_strstrip(v) : g_strdup("");
}

#define BAD_VALUE(what, ...)                                                   \
    reader_fail(r, err, reader_line(r, group, key), "[%s] %s: " what, group,   \
                key, __VA_ARGS__)

static int get_string(char **out, const cfg_reader *r, GKeyFile *kf,
                      const char *group, const char *key, GError **err)
{
    g_autofree char *v = get_value(kf, group, key);

    if (!*v)
        return reader_fail(r, err, reader_line(r, group, key),
                           "[%s] %s: expected a value, got nothing", group,
                           key);
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\t')
            return BAD_VALUE("control character in '%s'", v);
    g_free(*out);
    *out = g_steal_pointer(&v);
    return 0;
}

static int get_int(int *out, const cfg_reader *r, GKeyFile *kf,
                   const char *group, const char *key, int min, GError **err)
{
    g_autofree char *v = get_value(kf, group, key);
    gint64 n;

    if (!g_ascii_string_to_signed(v, 10, min, 4096, &n, NULL))
        return BAD_VALUE("expected a %s integer, got '%s'",
                         min > 0 ? "positive" : "non-negative", v);
    *out = (int)n;
    return 0;
}

static int get_bool(gboolean *out, const cfg_reader *r, GKeyFile *kf,
                    const char *group, const char *key, GError **err)
{
    g_autofree char *v = get_value(kf, group, key);
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

static int get_choice(char **out, const cfg_reader *r, GKeyFile *kf,
                      const char *group, const char *key,
                      const char *const *choices, GError **err)
{
    g_autofree char *v = get_value(kf, group, key);
    g_autofree char *list = NULL;

    if (!g_strv_contains(choices, v)) {
        list = g_strjoinv(" | ", (char **)choices);
        return BAD_VALUE("expected %s, got '%s'", list, v);
    }
    g_free(*out);
    *out = g_steal_pointer(&v);
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

enum { LIST_ANY, LIST_PATHS, LIST_NAMES };

static int get_list(char ***out, const cfg_reader *r, GKeyFile *kf,
                    const char *group, const char *key, int kind, GError **err)
{
    g_autofree char *v = get_value(kf, group, key);
    g_auto(GStrv) items = split_list(v);

    for (int i = 0; items[i]; i++) {
        /* A directory ("/etc/nginx/") is checked without its last '/'. */
        g_autofree char *path = g_strdup(items[i]);
        gsize len = strlen(path);

        if (len > 1 && path[len - 1] == '/')
            path[len - 1] = '\0';
        if (kind == LIST_PATHS && !ds_name_is_safe_path(path))
            return BAD_VALUE("'%s' is not an absolute path (no '..', no "
                             "control characters)",
                             items[i]);
        if (kind == LIST_NAMES && !ds_name_is_safe_host(items[i]))
            return BAD_VALUE("'%s' is not a valid name (letters, digits, "
                             "'.', '_', '-')",
                             items[i]);
    }
    g_strfreev(*out);
    *out = g_steal_pointer(&items);
    return 0;
}

/* The part of an URL after "scheme://": non-empty authority without
 * whitespace. */
static bool url_has_host(const char *v, const char *scheme)
{
    const char *rest = v + strlen(scheme);

    return *rest && *rest != '/' && !strpbrk(rest, " \t");
}

static bool source_is_valid(const char *v, const char **why)
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
        return url_has_host(v, "ssh://");
    if (g_str_has_prefix(v, "https://"))
        return url_has_host(v, "https://");
    if (g_str_has_prefix(v, "http://"))
        return url_has_host(v, "http://");
    if (g_str_has_prefix(v, "agent:"))
        return ds_name_is_safe_host(v + 6);
    return false;
}

/* ---- sections -------------------------------------------------------- */

static int read_store(ds_config *cfg, const cfg_reader *r, GKeyFile *kf,
                      const char *group, const char *key, GError **err)
{
    static const char *const known[] = {"path", "remote", "state", "parallel",
                                        NULL};

    if (check_known(r, group, key, known, err) < 0)
        return DS_EINVALID;
    if (!strcmp(key, "path"))
        return get_string(&cfg->store_path, r, kf, group, key, err);
    if (!strcmp(key, "remote"))
        return get_string(&cfg->store_remote, r, kf, group, key, err);
    if (!strcmp(key, "state"))
        return get_string(&cfg->state_dir, r, kf, group, key, err);
    return get_int(&cfg->record_parallel, r, kf, group, key, 1, err);
}

static int read_lab(ds_config *cfg, const cfg_reader *r, GKeyFile *kf,
                    const char *group, const char *key, GError **err)
{
    static const char *const known[] = {
        "uri", "snapshots", "on-failure", "parallel", "keep-snapshots", NULL};
    static const char *const snapshots[] = {"internal", "overlay", "auto",
                                            NULL};
    static const char *const on_failure[] = {"revert", "keep", NULL};

    if (check_known(r, group, key, known, err) < 0)
        return DS_EINVALID;
    if (!strcmp(key, "uri"))
        return get_string(&cfg->lab_uri, r, kf, group, key, err);
    if (!strcmp(key, "snapshots"))
        return get_choice(&cfg->snapshots, r, kf, group, key, snapshots, err);
    if (!strcmp(key, "on-failure"))
        return get_choice(&cfg->on_failure, r, kf, group, key, on_failure, err);
    if (!strcmp(key, "parallel"))
        return get_int(&cfg->lab_parallel, r, kf, group, key, 1, err);
    return get_int(&cfg->keep_snapshots, r, kf, group, key, 0, err);
}

static int read_host_key(ds_host_config *h, const cfg_reader *r, GKeyFile *kf,
                         const char *group, const char *key, GError **err)
{
    static const char *const known[] = {
        "source",    "lab",           "lab-access",  "lab-uri",     "files",
        "groups",    "identity-file", "known-hosts", "ssh-options", "ca-file",
        "auth-file", "allow-http",    NULL};
    const char *why;
    int rc;

    if (check_known(r, group, key, known, err) < 0)
        return DS_EINVALID;
    if (!strcmp(key, "source")) {
        if ((rc = get_string(&h->source, r, kf, group, key, err)) < 0)
            return rc;
        if (!source_is_valid(h->source, &why))
            return BAD_VALUE("%s, got '%s'", why, h->source);
        return 0;
    }
    if (!strcmp(key, "lab")) {
        if ((rc = get_string(&h->lab, r, kf, group, key, err)) < 0)
            return rc;
        if (!ds_name_is_safe_host(h->lab))
            return BAD_VALUE("'%s' is not a valid domain name (letters, "
                             "digits, '.', '_', '-')",
                             h->lab);
        return 0;
    }
    if (!strcmp(key, "lab-access")) {
        if ((rc = get_string(&h->lab_access, r, kf, group, key, err)) < 0)
            return rc;
        if (strcmp(h->lab_access, "agent") &&
            !(g_str_has_prefix(h->lab_access, "ssh://") &&
              url_has_host(h->lab_access, "ssh://")))
            return BAD_VALUE("expected agent or ssh://[USER@]HOST[:PORT], "
                             "got '%s'",
                             h->lab_access);
        return 0;
    }
    if (!strcmp(key, "lab-uri"))
        return get_string(&h->lab_uri, r, kf, group, key, err);
    if (!strcmp(key, "files"))
        return get_list(&h->files, r, kf, group, key, LIST_PATHS, err);
    if (!strcmp(key, "groups"))
        return get_list(&h->groups, r, kf, group, key, LIST_NAMES, err);
    if (!strcmp(key, "identity-file"))
        return get_string(&h->identity_file, r, kf, group, key, err);
    if (!strcmp(key, "known-hosts"))
        return get_string(&h->known_hosts, r, kf, group, key, err);
    if (!strcmp(key, "ssh-options"))
        return get_list(&h->ssh_options, r, kf, group, key, LIST_ANY, err);
    if (!strcmp(key, "ca-file"))
        return get_string(&h->ca_file, r, kf, group, key, err);
    if (!strcmp(key, "auth-file"))
        return get_string(&h->auth_file, r, kf, group, key, err);
    return get_bool(&h->allow_http, r, kf, group, key, err);
}

static void host_config_free(ds_host_config *h)
{
    if (!h)
        return;
    g_free(h->name);
    g_free(h->source);
    g_free(h->lab);
    g_free(h->lab_access);
    g_free(h->lab_uri);
    g_strfreev(h->files);
    g_strfreev(h->groups);
    g_free(h->identity_file);
    g_free(h->known_hosts);
    g_strfreev(h->ssh_options);
    g_free(h->ca_file);
    g_free(h->auth_file);
    g_free(h);
}

static int read_host(ds_config *cfg, const cfg_reader *r, GKeyFile *kf,
                     const char *group, GError **err)
{
    const char *name = group + 5;
    int line = reader_line(r, group, NULL);
    g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
    ds_host_config *h;

    if (!ds_name_is_safe_host(name))
        return reader_fail(r, err, line,
                           "[%s]: '%s' is not a valid host name (letters, "
                           "digits, '.', '_', '-'; no '..')",
                           group, name);
    h = g_new0(ds_host_config, 1);
    h->name = g_strdup(name);
    h->lab_access = g_strdup("agent");
    g_ptr_array_add(cfg->hosts, h);
    for (int i = 0; keys && keys[i]; i++)
        if (read_host_key(h, r, kf, group, keys[i], err) < 0)
            return DS_EINVALID;
    if (!h->source)
        return reader_fail(r, err, line,
                           "[%s] needs a source (local:, ssh://, https:// "
                           "or agent:)",
                           group);
    if (g_str_has_prefix(h->source, "http://") && !h->allow_http)
        return reader_fail(r, err, reader_line(r, group, "source"),
                           "[%s] source: plain http:// needs "
                           "'allow-http = true'",
                           group);
    if (!h->files)
        h->files = g_new0(char *, 1);
    if (!h->groups)
        h->groups = g_new0(char *, 1);
    return 0;
}

static int read_ignore(ds_config *cfg, const cfg_reader *r, GKeyFile *kf,
                       const char *group, const char *key, GError **err)
{
    static const char *const known[] = {"packages", "sources", "files",
                                        "services", NULL};
    g_autofree char *v = NULL;
    int cat;

    if (check_known(r, group, key, known, err) < 0)
        return DS_EINVALID;
    cat = ds_category_from_name(key);
    if (cat < 0)
        return BAD_VALUE("unknown category%s", "");
    v = get_value(kf, group, key);
    if (!*v)
        return 0;
    if (ds_ignore_add(cfg->ignore, (ds_category)cat, v, err) < 0)
        return ds_error_prefix(err, DS_EINVALID,
                               "%s:%d: [%s] %s: ", r->filename,
                               reader_line(r, group, key), group, key);
    return 0;
}

static int read_other(ds_config *cfg, const cfg_reader *r, GKeyFile *kf,
                      const char *group, const char *key, GError **err)
{
    static const char *const secrets[] = {"files", NULL};
    static const char *const packages[] = {"cache", "repository", NULL};
    static const char *const notify[] = {"webhook", NULL};

    if (!strcmp(group, "secrets")) {
        if (check_known(r, group, key, secrets, err) < 0)
            return DS_EINVALID;
        return get_list(&cfg->secret_patterns, r, kf, group, key, LIST_ANY,
                        err);
    }
    if (!strcmp(group, "packages")) {
        if (check_known(r, group, key, packages, err) < 0)
            return DS_EINVALID;
        if (!strcmp(key, "cache"))
            return get_string(&cfg->package_cache, r, kf, group, key, err);
        return get_string(&cfg->package_repository, r, kf, group, key, err);
    }
    /* notify */
    if (check_known(r, group, key, notify, err) < 0)
        return DS_EINVALID;
    if (get_string(&cfg->notify_webhook, r, kf, group, key, err) < 0)
        return DS_EINVALID;
    if (!(g_str_has_prefix(cfg->notify_webhook, "https://") &&
          url_has_host(cfg->notify_webhook, "https://")) &&
        !(g_str_has_prefix(cfg->notify_webhook, "http://") &&
          url_has_host(cfg->notify_webhook, "http://")))
        return BAD_VALUE("expected an https:// or http:// URL, got '%s'",
                         cfg->notify_webhook);
    return 0;
}

static int read_group(ds_config *cfg, const cfg_reader *r, GKeyFile *kf,
                      const char *group, GError **err)
{
    static const char *const simple[] = {
        "store", "lab", "ignore", "secrets", "packages", "notify", NULL};
    g_auto(GStrv) keys = NULL;

    if (g_str_has_prefix(group, "host "))
        return read_host(cfg, r, kf, group, err);
    if (!g_strv_contains(simple, group)) {
        if (!strcmp(group, "host"))
            return reader_fail(r, err, reader_line(r, group, NULL),
                               "[host] needs a name: [host NAME]");
        return reader_fail(r, err, reader_line(r, group, NULL),
                           "unknown section [%s] (known: [store] [lab] "
                           "[host NAME] [ignore] [secrets] [packages] "
                           "[notify])",
                           group);
    }
    keys = g_key_file_get_keys(kf, group, NULL, NULL);
    for (int i = 0; keys && keys[i]; i++) {
        const char *key = keys[i];
        int rc;

        if (!strcmp(group, "store"))
            rc = read_store(cfg, r, kf, group, key, err);
        else if (!strcmp(group, "lab"))
            rc = read_lab(cfg, r, kf, group, key, err);
        else if (!strcmp(group, "ignore"))
            rc = read_ignore(cfg, r, kf, group, key, err);
        else
            rc = read_other(cfg, r, kf, group, key, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- public ---------------------------------------------------------- */

ds_config *ds_config_new_default(void)
{
    ds_config *cfg = g_new0(ds_config, 1);

    cfg->store_path = g_strdup(DS_DEFAULT_STORE);
    cfg->state_dir = g_strdup(DS_LOCALSTATEDIR "/lib/driftsync/state");
    cfg->record_parallel = 8;
    cfg->lab_uri = g_strdup("qemu:///system");
    cfg->snapshots = g_strdup("auto");
    cfg->on_failure = g_strdup("revert");
    cfg->lab_parallel = 2;
    cfg->keep_snapshots = 5;
    cfg->secret_patterns = g_new0(char *, 1);
    cfg->hosts =
        g_ptr_array_new_with_free_func((GDestroyNotify)host_config_free);
    cfg->ignore = ds_ignore_new();
    return cfg;
}

void ds_config_free(ds_config *cfg)
{
    if (!cfg)
        return;
    g_free(cfg->filename);
    g_free(cfg->store_path);
    g_free(cfg->store_remote);
    g_free(cfg->state_dir);
    g_free(cfg->lab_uri);
    g_free(cfg->snapshots);
    g_free(cfg->on_failure);
    g_strfreev(cfg->secret_patterns);
    g_free(cfg->package_cache);
    g_free(cfg->package_repository);
    g_free(cfg->notify_webhook);
    if (cfg->hosts)
        g_ptr_array_unref(cfg->hosts);
    ds_ignore_free(cfg->ignore);
    g_free(cfg);
}

int ds_config_load(ds_config **out, const char *filename, GError **err)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    g_autoptr(GError) ioerr = NULL;
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) kferr = NULL;
    g_autoptr(ds_config) cfg = NULL;
    g_auto(GStrv) groups = NULL;
    cfg_reader r = {.filename = filename};
    int rc = 0;

    *out = NULL;
    if (!g_file_get_contents(filename, &text, &len, &ioerr)) {
        if (g_error_matches(ioerr, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return ds_error_set(err, DS_ENOTFOUND, "%s: no such file",
                                filename);
        return ds_error_set(err, DS_EGENERIC, "%s", ioerr->message);
    }
    if (len > DS_CONFIG_MAX_BYTES)
        return ds_error_set(err, DS_EINVALID, "%s: too big (%zu bytes)",
                            filename, len);
    if (memchr(text, '\0', len))
        return ds_error_set(err, DS_EINVALID, "%s: contains a NUL byte",
                            filename);

    r.clean = g_string_new(NULL);
    r.lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    if ((rc = reader_scan(&r, text, err)) < 0)
        goto done;
    if (!g_key_file_load_from_data(kf, r.clean->str, r.clean->len,
                                   G_KEY_FILE_NONE, &kferr)) {
        rc = ds_error_set(err, DS_EINVALID, "%s: %s", filename, kferr->message);
        goto done;
    }

    cfg = ds_config_new_default();
    cfg->filename = g_strdup(filename);
    groups = g_key_file_get_groups(kf, NULL);
    for (int i = 0; groups[i]; i++)
        if ((rc = read_group(cfg, &r, kf, groups[i], err)) < 0)
            goto done;
    *out = g_steal_pointer(&cfg);

done:
    g_string_free(r.clean, TRUE);
    g_hash_table_unref(r.lines);
    return rc;
}

const ds_host_config *ds_config_find_host(const ds_config *cfg,
                                          const char *name)
{
    if (!cfg || !name)
        return NULL;
    for (guint i = 0; i < cfg->hosts->len; i++) {
        const ds_host_config *h = g_ptr_array_index(cfg->hosts, i);

        if (!strcmp(h->name, name))
            return h;
    }
    return NULL;
}
