/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/config/config-file.c: read driftsync.conf: a light pre-pass locates every
 * section and key by line and strips trailing comments (config-values.c),
 * GKeyFile reads the cleaned text, then each key is read as the key table
 * says (config-table.c), with errors as "FILE:LINE: [section] key: ...". */
#include <config.h>

#include <stdbool.h>
#include <string.h>

#include "manifests/util/error.h"
#include "manifests/manifest.h"
#include "sync/config/config-private.h"
#include "sync/config/config-file.h"
#include "sync/config/config-table.h"

#define DS_CONFIG_MAX_BYTES (1024 * 1024)

/* ---- sections -------------------------------------------------------- */

/* [defaults] holds keys of [host NAME]: what every host starts from. */
#define DEFAULTS "defaults"

/* The section of the table GROUP belongs to: "host" for [host NAME] and
 * for [defaults]. */
static const char *table_section(const char *group)
{
    return g_str_has_prefix(group, "host ") || !strcmp(group, DEFAULTS)
               ? "host"
               : group;
}

/* [ignore]: each key is a category, its value patterns (maybe none). */
static int read_ignore(ds_config *cfg, const ds_config_reader *r, GKeyFile *kf,
                       const char *group, const char *key, GError **err)
{
    g_autofree char *v = NULL;
    int cat = ds_category_from_name(key);

    if (cat < 0)
        return BAD_VALUE("unknown category%s", "");
    v = ds_config_get_value(kf, group, key);
    if (!*v)
        return 0;
    if (ds_ignore_add(cfg->ignore, (ds_category)cat, v, err) < 0)
        return ds_error_prefix(err, DS_EINVALID,
                               "%s:%d: [%s] %s: ", r->filename,
                               ds_config_line(r, group, key), group, key);
    return 0;
}

/* Each key of GROUP into its field in BASE, as the table says. */
static int read_keys(ds_config *cfg, void *base, const ds_config_reader *r,
                     GKeyFile *kf, const char *group, GError **err)
{
    const char *section = table_section(group);
    g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);

    for (int i = 0; keys && keys[i]; i++) {
        const ds_config_key *k;
        int rc;

        if (ds_config_check_known(r, group, section, keys[i], err) < 0)
            return DS_EINVALID;
        k = ds_config_key_find(section, keys[i]);
        if (k->kind == DS_CONFIG_IGNORE)
            rc = read_ignore(cfg, r, kf, group, k->name, err);
        else
            rc = ds_config_read_value(base, k, r, kf, group, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The keys of [host NAME] fill a ds_host_config, the others the
 * ds_config: give those of one kind of BASE their defaults ... */
static void set_defaults(void *base, bool host)
{
    for (const ds_config_key *k = ds_config_table; k->name; k++)
        if (!strcmp(k->section, "host") == host)
            ds_config_set_default(base, k);
}

/* ... and free them. */
static void clear_fields(void *base, bool host)
{
    for (const ds_config_key *k = ds_config_table; k->name; k++)
        if (!strcmp(k->section, "host") == host)
            ds_config_clear_value(base, k);
}

static void host_config_free(ds_host_config *h)
{
    if (!h)
        return;
    g_free(h->name);
    clear_fields(h, true);
    g_free(h);
}

/* [defaults] into H, a host given its table defaults: every key of
 * [host NAME] but those that name one machine. */
static int read_defaults(ds_config *cfg, ds_host_config *h,
                         const ds_config_reader *r, GKeyFile *kf,
                         GError **err)
{
    static const char *const own[] = {"source", "lab", NULL};
    g_auto(GStrv) keys = NULL;

    if (!g_key_file_has_group(kf, DEFAULTS))
        return 0;
    keys = g_key_file_get_keys(kf, DEFAULTS, NULL, NULL);
    for (int i = 0; keys && keys[i]; i++)
        if (g_strv_contains(own, keys[i]))
            return ds_config_fail(r, err, ds_config_line(r, DEFAULTS, keys[i]),
                                  "[%s] %s: names one machine: set it in each [host NAME]",
                                  DEFAULTS, keys[i]);
    return read_keys(cfg, h, r, kf, DEFAULTS, err);
}

/* [defaults] alone, so that its errors are told even without hosts. */
static int check_defaults(ds_config *cfg, const ds_config_reader *r,
                          GKeyFile *kf, GError **err)
{
    ds_host_config *h = g_new0(ds_host_config, 1);
    int rc;

    set_defaults(h, true);
    rc = read_defaults(cfg, h, r, kf, err);
    host_config_free(h);
    return rc;
}

static int read_host(ds_config *cfg, const ds_config_reader *r, GKeyFile *kf,
                     const char *group, GError **err)
{
    const char *name = group + 5;
    int line = ds_config_line(r, group, NULL);
    ds_host_config *h;

    if (!ds_name_is_safe_host(name))
        return ds_config_fail(r, err, line,
                              "[%s]: '%s' is not a valid host name (letters, "
                              "digits, '.', '_', '-'; no '..')",
                              group, name);
    h = g_new0(ds_host_config, 1);
    h->name = g_strdup(name);
    set_defaults(h, true);
    g_ptr_array_add(cfg->hosts, h);
    if (read_defaults(cfg, h, r, kf, err) < 0 ||
        read_keys(cfg, h, r, kf, group, err) < 0)
        return DS_EINVALID;
    if (!h->source)
        return ds_config_fail(r, err, line,
                              "[%s] needs a source (local:, ssh://, https:// "
                              "or agent:)",
                              group);
    if (g_str_has_prefix(h->source, "http://") && !h->allow_http)
        return ds_config_fail(r, err, ds_config_line(r, group, "source"),
                              "[%s] source: plain http:// needs "
                              "'allow-http = true'",
                              group);
    /* What the transport would refuse when it opens, refused now. */
    return ds_config_check_host_source(r, h, group, err);
}

/* "[store] [lab] [host NAME] ...": the sections of the table, in order. */
static char *known_sections(void)
{
    GString *s = g_string_new(NULL);
    const char *last = "";

    for (const ds_config_key *k = ds_config_table; k->name; k++) {
        g_autofree char *title = NULL;

        if (!strcmp(k->section, last))
            continue;
        last = k->section;
        title = ds_config_section_title(k->section);
        g_string_append_printf(s, "%s%s", s->len ? " " : "", title);
        if (!strcmp(k->section, "host"))
            g_string_append(s, " [" DEFAULTS "]");
    }
    return g_string_free(s, FALSE);
}

static bool section_is_known(const char *group)
{
    for (const ds_config_key *k = ds_config_table; k->name; k++)
        if (strcmp(k->section, "host") && !strcmp(k->section, group))
            return true;
    return false;
}

static int read_group(ds_config *cfg, const ds_config_reader *r, GKeyFile *kf,
                      const char *group, GError **err)
{
    g_autofree char *known = NULL;

    if (g_str_has_prefix(group, "host "))
        return read_host(cfg, r, kf, group, err);
    if (!strcmp(group, DEFAULTS))
        return check_defaults(cfg, r, kf, err);
    if (section_is_known(group))
        return read_keys(cfg, cfg, r, kf, group, err);
    if (!strcmp(group, "host"))
        return ds_config_fail(r, err, ds_config_line(r, group, NULL),
                              "[host] needs a name: [host NAME]");
    known = known_sections();
    return ds_config_fail(r, err, ds_config_line(r, group, NULL),
                          "unknown section [%s] (known: %s)", group, known);
}

/* ---- public ---------------------------------------------------------- */

ds_config *ds_config_new_default(void)
{
    ds_config *cfg = g_new0(ds_config, 1);

    set_defaults(cfg, false);
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
    clear_fields(cfg, false);
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
    ds_config_reader r = {.filename = filename};
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
    if ((rc = ds_config_scan(&r, text, err)) < 0)
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

int ds_config_find_lab(const ds_host_config **out, const ds_config *cfg,
                       const char *name, GError **err)
{
    const ds_host_config *hc = ds_config_find_host(cfg, name);

    *out = NULL;
    if (!hc)
        return ds_error_set(err, DS_ENOTFOUND, "%s: no [host %s] in %s", name,
                            name,
                            cfg && cfg->filename ? cfg->filename
                                                 : "the configuration");
    if (!hc->lab)
        return ds_error_set(err, DS_EINVALID, "%s: the host has no lab domain (set lab = DOMAIN in [host %s])", name, name);
    *out = hc;
    return 0;
}

const char *ds_config_lab_uri(const ds_config *cfg, const ds_host_config *hc)
{
    return hc->lab_uri ? hc->lab_uri : cfg->lab_uri;
}

char *ds_config_lab_source(const ds_host_config *hc)
{
    if (!hc->lab_access || !strcmp(hc->lab_access, "agent"))
        return g_strdup_printf("agent:%s", hc->lab);
    return g_strdup(hc->lab_access);
}
