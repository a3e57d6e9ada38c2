/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/config/config-file.c: read driftsync.conf: a light pre-pass locates every
 * section and key by line and strips trailing comments (config-values.c),
 * GKeyFile reads the cleaned text, then each section is checked against
 * the schema here, with errors as "FILE:LINE: [section] key: ...". */
#include <config.h>

#include <grp.h>
#include <string.h>

#include "manifests/util/error.h"
#include "manifests/manifest.h"
#include "sync/config/config-private.h"
#include "sync/config/config-file.h"

#define DS_CONFIG_MAX_BYTES (1024 * 1024)

/* ---- sections -------------------------------------------------------- */

static int read_store(ds_config *cfg, const ds_config_reader *r, GKeyFile *kf,
                      const char *group, const char *key, GError **err)
{
    static const char *const known[] = {"path",     "remote", "state",
                                        "parallel", "group",  NULL};

    if (ds_config_check_known(r, group, key, known, err) < 0)
        return DS_EINVALID;
    if (!strcmp(key, "group")) {
        if (ds_config_get_string(&cfg->store_group, r, kf, group, key, err) < 0)
            return DS_EINVALID;
        if (!getgrnam(cfg->store_group))
            return BAD_VALUE("no group '%s' on this machine",
                             cfg->store_group);
        return 0;
    }
    if (!strcmp(key, "path"))
        return ds_config_get_string(&cfg->store_path, r, kf, group, key, err);
    if (!strcmp(key, "remote"))
        return ds_config_get_string(&cfg->store_remote, r, kf, group, key, err);
    if (!strcmp(key, "state"))
        return ds_config_get_string(&cfg->state_dir, r, kf, group, key, err);
    return ds_config_get_int(&cfg->record_parallel, r, kf, group, key, 1, err);
}

static int read_lab(ds_config *cfg, const ds_config_reader *r, GKeyFile *kf,
                    const char *group, const char *key, GError **err)
{
    static const char *const known[] = {
        "uri", "snapshots", "on-failure", "parallel", "keep-snapshots", NULL};
    static const char *const snapshots[] = {"internal", "overlay", "auto",
                                            NULL};
    static const char *const on_failure[] = {"revert", "keep", NULL};

    if (ds_config_check_known(r, group, key, known, err) < 0)
        return DS_EINVALID;
    if (!strcmp(key, "uri"))
        return ds_config_get_string(&cfg->lab_uri, r, kf, group, key, err);
    if (!strcmp(key, "snapshots"))
        return ds_config_get_choice(&cfg->snapshots, r, kf, group, key,
                                    snapshots, err);
    if (!strcmp(key, "on-failure"))
        return ds_config_get_choice(&cfg->on_failure, r, kf, group, key,
                                    on_failure, err);
    if (!strcmp(key, "parallel"))
        return ds_config_get_int(&cfg->lab_parallel, r, kf, group, key, 1, err);
    return ds_config_get_int(&cfg->keep_snapshots, r, kf, group, key, 0, err);
}

static int read_host_key(ds_host_config *h, const ds_config_reader *r,
                         GKeyFile *kf, const char *group, const char *key,
                         GError **err)
{
    static const char *const known[] = {
        "source",    "lab",           "lab-access",  "lab-uri",     "files",
        "groups",    "identity-file", "known-hosts", "ssh-options", "ca-file",
        "auth-file", "allow-http",    NULL};
    const char *why;
    int rc;

    if (ds_config_check_known(r, group, key, known, err) < 0)
        return DS_EINVALID;
    if (!strcmp(key, "source")) {
        if ((rc = ds_config_get_string(&h->source, r, kf, group, key, err)) < 0)
            return rc;
        if (!ds_config_source_is_valid(h->source, &why))
            return BAD_VALUE("%s, got '%s'", why, h->source);
        return 0;
    }
    if (!strcmp(key, "lab")) {
        if ((rc = ds_config_get_string(&h->lab, r, kf, group, key, err)) < 0)
            return rc;
        if (!ds_name_is_safe_host(h->lab))
            return BAD_VALUE("'%s' is not a valid domain name (letters, "
                             "digits, '.', '_', '-')",
                             h->lab);
        return 0;
    }
    if (!strcmp(key, "lab-access")) {
        if ((rc = ds_config_get_string(&h->lab_access, r, kf, group, key,
                                       err)) < 0)
            return rc;
        if (strcmp(h->lab_access, "agent") &&
            !(g_str_has_prefix(h->lab_access, "ssh://") &&
              ds_config_url_has_host(h->lab_access, "ssh://")))
            return BAD_VALUE("expected agent or ssh://[USER@]HOST[:PORT], "
                             "got '%s'",
                             h->lab_access);
        return 0;
    }
    if (!strcmp(key, "lab-uri"))
        return ds_config_get_string(&h->lab_uri, r, kf, group, key, err);
    if (!strcmp(key, "files"))
        return ds_config_get_list(&h->files, r, kf, group, key,
                                  DS_CONFIG_LIST_PATHS, err);
    if (!strcmp(key, "groups"))
        return ds_config_get_list(&h->groups, r, kf, group, key,
                                  DS_CONFIG_LIST_NAMES, err);
    if (!strcmp(key, "identity-file"))
        return ds_config_get_string(&h->identity_file, r, kf, group, key, err);
    if (!strcmp(key, "known-hosts"))
        return ds_config_get_string(&h->known_hosts, r, kf, group, key, err);
    if (!strcmp(key, "ssh-options"))
        return ds_config_get_list(&h->ssh_options, r, kf, group, key,
                                  DS_CONFIG_LIST_ANY, err);
    if (!strcmp(key, "ca-file"))
        return ds_config_get_string(&h->ca_file, r, kf, group, key, err);
    if (!strcmp(key, "auth-file"))
        return ds_config_get_string(&h->auth_file, r, kf, group, key, err);
    return ds_config_get_bool(&h->allow_http, r, kf, group, key, err);
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

static int read_host(ds_config *cfg, const ds_config_reader *r, GKeyFile *kf,
                     const char *group, GError **err)
{
    const char *name = group + 5;
    int line = ds_config_line(r, group, NULL);
    g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
    ds_host_config *h;

    if (!ds_name_is_safe_host(name))
        return ds_config_fail(r, err, line,
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
        return ds_config_fail(r, err, line,
                              "[%s] needs a source (local:, ssh://, https:// "
                              "or agent:)",
                              group);
    if (g_str_has_prefix(h->source, "http://") && !h->allow_http)
        return ds_config_fail(r, err, ds_config_line(r, group, "source"),
                              "[%s] source: plain http:// needs "
                              "'allow-http = true'",
                              group);
    if (!h->files)
        h->files = g_new0(char *, 1);
    if (!h->groups)
        h->groups = g_new0(char *, 1);
    return 0;
}

static int read_ignore(ds_config *cfg, const ds_config_reader *r, GKeyFile *kf,
                       const char *group, const char *key, GError **err)
{
    static const char *const known[] = {"packages", "sources", "files",
                                        "services", NULL};
    g_autofree char *v = NULL;
    int cat;

    if (ds_config_check_known(r, group, key, known, err) < 0)
        return DS_EINVALID;
    cat = ds_category_from_name(key);
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

static int read_other(ds_config *cfg, const ds_config_reader *r, GKeyFile *kf,
                      const char *group, const char *key, GError **err)
{
    static const char *const secrets[] = {"files", "mode-exempt", NULL};
    static const char *const packages[] = {"cache", "repository", "ca-file",
                                           NULL};
    static const char *const notify[] = {"webhook",  "ca-file",     "timeout",
                                         "attempts", "retry-delay", "audit",
                                         NULL};

    if (!strcmp(group, "secrets")) {
        if (ds_config_check_known(r, group, key, secrets, err) < 0)
            return DS_EINVALID;
        return ds_config_get_list(!strcmp(key, "files")
                                      ? &cfg->secret_patterns
                                      : &cfg->secret_mode_exempt,
                                  r, kf, group, key, DS_CONFIG_LIST_ANY, err);
    }
    if (!strcmp(group, "packages")) {
        if (ds_config_check_known(r, group, key, packages, err) < 0)
            return DS_EINVALID;
        if (!strcmp(key, "cache"))
            return ds_config_get_string(&cfg->package_cache, r, kf, group, key,
                                        err);
        if (!strcmp(key, "ca-file"))
            return ds_config_get_string(&cfg->package_ca_file, r, kf, group,
                                        key, err);
        if (ds_config_get_string(&cfg->package_repository, r, kf, group, key,
                                 err) < 0)
            return DS_EINVALID;
        if (!(g_str_has_prefix(cfg->package_repository, "https://") &&
              ds_config_url_has_host(cfg->package_repository, "https://")) &&
            !g_str_has_prefix(cfg->package_repository, "file:///") &&
            cfg->package_repository[0] != '/')
            return BAD_VALUE("expected an https:// or file:/// URL or an "
                             "absolute directory, got '%s'",
                             cfg->package_repository);
        return 0;
    }
    /* notify */
    if (ds_config_check_known(r, group, key, notify, err) < 0)
        return DS_EINVALID;
    if (!strcmp(key, "ca-file"))
        return ds_config_get_string(&cfg->notify_ca_file, r, kf, group, key,
                                    err);
    if (!strcmp(key, "timeout"))
        return ds_config_get_int(&cfg->notify_timeout, r, kf, group, key, 1,
                                 err);
    if (!strcmp(key, "attempts"))
        return ds_config_get_int(&cfg->notify_attempts, r, kf, group, key, 1,
                                 err);
    if (!strcmp(key, "retry-delay"))
        return ds_config_get_int(&cfg->notify_retry_delay, r, kf, group, key,
                                 0, err);
    if (!strcmp(key, "audit"))
        return ds_config_get_bool(&cfg->notify_audit, r, kf, group, key, err);
    if (ds_config_get_string(&cfg->notify_webhook, r, kf, group, key, err) < 0)
        return DS_EINVALID;
    if (!(g_str_has_prefix(cfg->notify_webhook, "https://") &&
          ds_config_url_has_host(cfg->notify_webhook, "https://")) &&
        !(g_str_has_prefix(cfg->notify_webhook, "http://") &&
          ds_config_url_has_host(cfg->notify_webhook, "http://")))
        return BAD_VALUE("expected an https:// or http:// URL (%s)",
                         "the value is a secret: not shown");
    return 0;
}

static int read_group(ds_config *cfg, const ds_config_reader *r, GKeyFile *kf,
                      const char *group, GError **err)
{
    static const char *const simple[] = {
        "store", "lab", "ignore", "secrets", "packages", "notify", NULL};
    g_auto(GStrv) keys = NULL;

    if (g_str_has_prefix(group, "host "))
        return read_host(cfg, r, kf, group, err);
    if (!g_strv_contains(simple, group)) {
        if (!strcmp(group, "host"))
            return ds_config_fail(r, err, ds_config_line(r, group, NULL),
                                  "[host] needs a name: [host NAME]");
        return ds_config_fail(r, err, ds_config_line(r, group, NULL),
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
    cfg->notify_timeout = 10;
    cfg->notify_attempts = 3;
    cfg->notify_retry_delay = 1;
    cfg->secret_patterns = g_new0(char *, 1);
    cfg->secret_mode_exempt = g_new0(char *, 1);
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
    g_free(cfg->store_group);
    g_free(cfg->state_dir);
    g_free(cfg->lab_uri);
    g_free(cfg->snapshots);
    g_free(cfg->on_failure);
    g_strfreev(cfg->secret_patterns);
    g_strfreev(cfg->secret_mode_exempt);
    g_free(cfg->package_cache);
    g_free(cfg->package_repository);
    g_free(cfg->package_ca_file);
    g_free(cfg->notify_webhook);
    g_free(cfg->notify_ca_file);
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
