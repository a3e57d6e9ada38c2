/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform-rpm-parse.c: parsers of what an rpm host says: the
 * installed packages (rpm -qa), modified %config files (rpm -V), .repo
 * files and os-release's family.  All input is hostile until checked. */
#include <config.h>

#include <string.h>

#include "drivers/platform-dpkg.h"
#include "drivers/platform-rpm.h"
#include "drivers/secret.h"
#include "manifests/util/error.h"
#include "manifests/version.h"

/* rpm -V flag columns: size, mode, digest, device, link, user, group,
 * mtime, capabilities. */
#define RPM_VERIFY_FLAGS 9
/* The longest normalised repository line the manifest keeps. */
#define RPM_REPO_LINE_MAX 4096

static gboolean is_text(const char *d, gsize len)
{
    return !memchr(d, '\0', len) && g_utf8_validate(d, (gssize)len, NULL);
}

static gboolean chars_in(const char *s, const char *extra, gboolean alnum)
{
    if (!*s)
        return FALSE;
    for (; *s; s++)
        if (!(alnum && g_ascii_isalnum(*s)) && !strchr(extra, *s))
            return FALSE;
    return TRUE;
}

static int bad_line(GError **err, const char *host, guint line,
                    const char *what, const char *l)
{
    g_autofree char *show = ds_dpkg_show(l, strlen(l));

    return ds_error_set(err, DS_EINVALID, "%s: rpm -qa output line %u: %s: %s",
                        host, line, what, show);
}

/* Add EVR to the package of its NAME.ARCH: the newest is `version`. */
static void add_version(ds_package *p, const char *evr)
{
    const char *keep = evr;

    if (strcmp(p->version, evr) == 0)
        return;
    if (!p->other_versions)
        p->other_versions = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < p->other_versions->len; i++)
        if (strcmp(p->other_versions->pdata[i], evr) == 0)
            return;
    if (ds_rpm_evr_compare(evr, p->version) > 0) {
        keep = p->version;
        p->version = g_strdup(evr);
        g_ptr_array_add(p->other_versions, (char *)keep);
        return;
    }
    g_ptr_array_add(p->other_versions, g_strdup(keep));
}

int ds_rpm_parse_query(GPtrArray *packages, const char *host,
                       const char *data, gsize len, GError **err)
{
    g_autoptr(GHashTable) by_key =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    if (!is_text(data, len))
        return ds_error_set(err, DS_EINVALID,
                            "%s: rpm -qa output is not valid UTF-8 text", host);
    text = g_strndup(data, len);
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        g_auto(GStrv) f = NULL;
        g_autofree char *key = NULL;
        g_autofree char *evr = NULL;
        ds_package *p;

        if (!*lines[i])
            continue;
        f = g_strsplit(lines[i], "\t", -1);
        if (g_strv_length(f) != 5)
            return bad_line(err, host, i + 1, "expected 5 tab-separated fields", lines[i]);
        if (strcmp(f[0], "gpg-pubkey") == 0)
            continue;
        if (!chars_in(f[0], "._+-", TRUE) || f[0][0] == '-' || f[0][0] == '.')
            return bad_line(err, host, i + 1, "not an rpm package name", lines[i]);
        if (*f[1] && !chars_in(f[1], "0123456789", FALSE))
            return bad_line(err, host, i + 1, "epoch is not a number", lines[i]);
        if (!chars_in(f[4], "_", TRUE))
            return bad_line(err, host, i + 1, "not an architecture", lines[i]);
        evr = g_strdup_printf("%s%s%s-%s", f[1], *f[1] ? ":" : "", f[2], f[3]);
        key = g_strdup_printf("%s.%s", f[0], f[4]);
        if (!ds_rpm_evr_is_valid(evr))
            return bad_line(err, host, i + 1, "not an rpm version-release", lines[i]);
        if (!ds_name_is_safe_rpm_package(key))
            return bad_line(err, host, i + 1, "name too long", lines[i]);
        if ((p = g_hash_table_lookup(by_key, key))) {
            add_version(p, evr);
            continue;
        }
        p = ds_package_new(key, evr, f[4], NULL);
        g_ptr_array_add(packages, p);
        g_hash_table_insert(by_key, g_steal_pointer(&key), p);
    }
    return 0;
}

/* "S.5....T." (size, mode, digest, device, link, user, group, mtime,
 * capabilities) or "missing": the first column of rpm -V. */
static gboolean is_flags(const char *l, gsize n)
{
    if (n == 7 && strncmp(l, "missing", 7) == 0)
        return TRUE;
    if (n != RPM_VERIFY_FLAGS)
        return FALSE;
    for (gsize i = 0; i < n; i++)
        if (!strchr("SM5DLUGTP.?", l[i]))
            return FALSE;
    return TRUE;
}

/* One line: FLAGS, blanks, an optional attribute letter (c d g l r a)
 * and a blank, then the path.  *path NULL when the line is malformed. */
static void verify_line(const char *l, const char **path, char *attr)
{
    gsize n = strcspn(l, " ");
    const char *p = l + n;

    *path = NULL;
    *attr = ' ';
    if (!is_flags(l, n) || *p != ' ')
        return;
    while (*p == ' ')
        p++;
    if (*p && *p != '/' && p[1] == ' ') {
        *attr = *p;
        p += 2;
    }
    if (*p == '/')
        *path = p;
}

int ds_rpm_parse_verify(GPtrArray *out, const char *host, const char *data,
                        gsize len, GError **err)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    if (!is_text(data, len))
        return ds_error_set(err, DS_EINVALID,
                            "%s: rpm -V output is not valid UTF-8 text", host);
    text = g_strndup(data, len);
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        const char *l = lines[i], *path;
        char attr;

        if (!*l)
            continue;
        verify_line(l, &path, &attr);
        if (!path) {
            g_autofree char *show = ds_dpkg_show(l, strlen(l));
            return ds_error_set(err, DS_EINVALID,
                                "%s: rpm -V output line %u is not FLAGS ATTR PATH: %s",
                                host, i + 1, show);
        }
        if (attr != 'c' || g_str_has_prefix(l, "missing"))
            continue;
        if (!memchr(l, 'S', RPM_VERIFY_FLAGS) &&
            !memchr(l, '5', RPM_VERIFY_FLAGS))
            continue; /* only its metadata changed */
        if (!ds_name_is_safe_path(path)) {
            g_autofree char *show = ds_dpkg_show(path, strlen(path));
            return ds_error_set(err, DS_EINVALID,
                                "%s: rpm -V output line %u: %s is not a safe path",
                                host, i + 1, show);
        }
        g_ptr_array_add(out, g_strdup(path));
    }
    return 0;
}

/* Keys of a repository kept in the manifest: where packages come from
 * and how they are checked.  Everything else (name, username, password,
 * sslclientkey, sslclientcert, proxy and its credentials, ...) is left
 * out, so no credential of a .repo file is ever stored. */
static const char *const repo_keys[] = {
    "baseurl",  "cost",          "exclude",         "excludepkgs",
    "gpgcheck", "gpgkey",        "includepkgs",     "metalink",
    "mirrorlist", "module_hotfixes", "priority",    "repo_gpgcheck",
    "skip_if_unavailable", "sslverify", "type",
};
/* Keys whose values are URIs (lists of them: space or comma separated). */
static const char *const uri_keys[] = {"baseurl", "gpgkey", "metalink",
                                       "mirrorlist"};

static gboolean in_list(const char *k, const char *const *list, gsize n)
{
    for (gsize i = 0; i < n; i++)
        if (strcmp(k, list[i]) == 0)
            return TRUE;
    return FALSE;
}

/* A value as one line: URIs without credentials joined by ",", other
 * values with runs of blanks made one space. */
static char *repo_value(const char *key, const char *v)
{
    gboolean uri = in_list(key, uri_keys, G_N_ELEMENTS(uri_keys));
    g_auto(GStrv) parts = g_strsplit_set(v, uri ? " \t\n," : " \t\n", -1);
    g_autoptr(GString) g = g_string_new(NULL);

    for (guint i = 0; parts[i]; i++) {
        g_autofree char *clean = NULL;

        if (!*parts[i])
            continue;
        clean = uri ? ds_secret_strip_uri(parts[i]) : g_strdup(parts[i]);
        if (g->len)
            g_string_append_c(g, uri ? ',' : ' ');
        g_string_append(g, clean);
    }
    return g_string_free(g_steal_pointer(&g), FALSE);
}

static gboolean truthy(const char *v, gboolean dflt)
{
    if (!v)
        return dflt;
    return g_ascii_strcasecmp(v, "1") == 0 ||
           g_ascii_strcasecmp(v, "yes") == 0 ||
           g_ascii_strcasecmp(v, "true") == 0 ||
           g_ascii_strcasecmp(v, "on") == 0;
}

/* One [section] of a parsed file into out, when enabled. */
static int repo_line(GPtrArray *out, const char *origin, GKeyFile *kf,
                     const char *id, GError **err)
{
    g_autofree char *enabled = g_key_file_get_value(kf, id, "enabled", NULL);
    g_autoptr(GString) g = NULL;

    if (!truthy(enabled ? g_strstrip(enabled) : NULL, TRUE))
        return 0;
    if (!chars_in(id, "._:-", TRUE)) {
        g_autofree char *show = ds_dpkg_show(id, strlen(id));
        return ds_error_set(err, DS_EINVALID,
                            "%s: repository id %s: letters, digits and ._:- only",
                            origin, show);
    }
    g = g_string_new("repo ");
    g_string_append(g, id);
    for (gsize i = 0; i < G_N_ELEMENTS(repo_keys); i++) {
        g_autofree char *v = g_key_file_get_value(kf, id, repo_keys[i], NULL);
        g_autofree char *norm = NULL;

        if (!v)
            continue;
        norm = repo_value(repo_keys[i], v);
        for (char *c = norm; *c; c++)
            if ((guchar)*c < 0x20 || *c == 0x7f)
                *c = ' ';
        g_string_append_printf(g, " %s=%s", repo_keys[i], norm);
    }
    if (g->len > RPM_REPO_LINE_MAX)
        return ds_error_set(err, DS_EINVALID,
                            "%s: repository %s: longer than %d bytes once normalised",
                            origin, id, RPM_REPO_LINE_MAX);
    g_ptr_array_add(out, g_string_free(g_steal_pointer(&g), FALSE));
    return 0;
}

/* What dnf reads as INI, as GKeyFile reads it: ';' comments made '#',
 * indented continuation lines of a value joined to it with a space. */
static char *repo_text(const char *data, gsize len)
{
    g_autofree char *text = g_strndup(data, len);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    GString *g = g_string_sized_new(len + 1);
    gboolean in_value = FALSE;

    for (guint i = 0; lines[i]; i++) {
        char *l = lines[i], *s = l;

        g_strchomp(l);
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == ';' || *s == '#' || !*s) {
            in_value = in_value && *s; /* a blank line ends a value */
            if (*s)
                g_string_append_printf(g, "#%s\n", s + 1);
            continue;
        }
        if (s != l && in_value) {
            /* replace the newline just written by a space */
            g_string_truncate(g, g->len - 1);
            g_string_append_printf(g, " %s\n", s);
            continue;
        }
        in_value = *s != '[' && strchr(s, '=') != NULL;
        g_string_append_printf(g, "%s\n", s);
    }
    return g_string_free(g, FALSE);
}

int ds_rpm_parse_repo(GPtrArray *out, const char *origin, const char *data,
                      gsize len, GError **err)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) local = NULL;
    g_auto(GStrv) groups = NULL;
    g_autofree char *text = NULL;
    int rc;

    if (!is_text(data, len))
        return ds_error_set(err, DS_EINVALID, "%s: not valid UTF-8 text",
                            origin);
    text = repo_text(data, len);
    if (!g_key_file_load_from_data(kf, text, strlen(text), G_KEY_FILE_NONE,
                                   &local)) {
        g_autofree char *show = ds_dpkg_show(local->message,
                                             strlen(local->message));
        return ds_error_set(err, DS_EINVALID, "%s: not a .repo file: %s",
                            origin, show);
    }
    groups = g_key_file_get_groups(kf, NULL);
    for (guint i = 0; groups[i]; i++)
        if ((rc = repo_line(out, origin, kf, groups[i], err)) < 0)
            return rc;
    return 0;
}

static const char *const rpm_families[] = {"rhel", "fedora", "centos",
                                           "rocky", "almalinux"};

bool ds_rpm_os_release_matches(const char *data, gsize len)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    if (!is_text(data, len))
        return false;
    text = g_strndup(data, len);
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        char *l = g_strstrip(lines[i]);
        g_auto(GStrv) words = NULL;
        char *v;

        if (g_str_has_prefix(l, "ID="))
            v = l + 3;
        else if (g_str_has_prefix(l, "ID_LIKE="))
            v = l + 8;
        else
            continue;
        if (*v == '"' || *v == '\'') {
            char q = *v++;
            char *end = strchr(v, q);
            if (end)
                *end = '\0';
        }
        words = g_strsplit(v, " ", -1);
        for (guint w = 0; words[w]; w++)
            for (gsize k = 0; k < G_N_ELEMENTS(rpm_families); k++)
                if (strcmp(words[w], rpm_families[k]) == 0)
                    return true;
    }
    return false;
}
