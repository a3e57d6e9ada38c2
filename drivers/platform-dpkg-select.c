/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform-dpkg-select.c: a dpkg host's package selection state
 * from the facts script's sections: holds (dpkg's "hold" selection),
 * automatic marks (apt-mark showauto), pending and held-back updates and
 * the installed packages' origins (apt-cache policy), and when the apt
 * lists were last updated (their modification times). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/platform-dpkg.h"
#include "manifests/util/error.h"

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Installed packages whose dpkg selection is "hold" (Status-Abbrev "h?"). */
static void collect_holds(ds_manifest *m, ds_dpkg_facts *facts)
{
    GBytes *q = ds_dpkg_facts_get(facts, "dpkg");
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    gsize len = 0;
    const char *d = q ? g_bytes_get_data(q, &len) : "";

    m->holds = g_ptr_array_new_with_free_func(g_free);
    text = g_strndup(d, len);
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        g_auto(GStrv) f = NULL;

        if (lines[i][0] == ' ' || !lines[i][0])
            continue;
        f = g_strsplit(lines[i], "\t", 5);
        /* the lines were checked by ds_dpkg_parse_query */
        if (g_strv_length(f) == 4 && f[3][0] == 'h' &&
            ds_manifest_find_package(m, f[0]))
            g_ptr_array_add(m->holds, g_strdup(f[0]));
    }
    g_ptr_array_sort(m->holds, cmp_str);
}

int ds_apt_parse_names(GPtrArray *out, const ds_manifest *m,
                       const char *native, const char *host,
                       const char *what, const char *data, gsize len,
                       GError **err)
{
    const char *p = data, *end = data + len;
    guint n = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (gsize)(end - p));
        gsize l = nl ? (gsize)(nl - p) : (gsize)(end - p);
        g_autofree char *name = g_strndup(p, MIN(l, 300));

        n++;
        p = nl ? nl + 1 : end;
        if (!l)
            continue;
        if (l > 256 || strlen(name) != l || !ds_name_is_safe_package(name)) {
            g_autofree char *show = ds_dpkg_show(name, strlen(name));
            return ds_error_set(err, DS_EINVALID,
                                "%s: %s output line %u: not a package name: "
                                "%s",
                                host, what, n, show);
        }
        if (ds_manifest_find_package(m, name)) {
            g_ptr_array_add(out, g_steal_pointer(&name));
        } else if (native && !strchr(name, ':')) {
            char *full = g_strdup_printf("%s:%s", name, native);
            if (ds_manifest_find_package(m, full))
                g_ptr_array_add(out, full);
            else
                g_free(full);
        }
    }
    return 0;
}

int ds_apt_parse_mtimes(char **out, const char *host, const char *data,
                        gsize len, GError **err)
{
    const char *p = data, *end = data + len;
    gint64 newest = -1;
    guint n = 0;

    *out = NULL;
    while (p < end) {
        const char *nl = memchr(p, '\n', (gsize)(end - p));
        gsize l = nl ? (gsize)(nl - p) : (gsize)(end - p);
        g_autofree char *line = g_strndup(p, MIN(l, 64));
        gsize digits = strspn(line, "0123456789");

        n++;
        p = nl ? nl + 1 : end;
        if (!l)
            continue;
        if (l > 40 || digits == 0 || digits > 12 ||
            (line[digits] && (line[digits] != '.' ||
                              strspn(line + digits + 1, "0123456789") !=
                                  strlen(line + digits + 1)))) {
            g_autofree char *show = ds_dpkg_show(line, strlen(line));
            return ds_error_set(err, DS_EINVALID,
                                "%s: apt lists times line %u: not a time in "
                                "seconds: %s",
                                host, n, show);
        }
        newest = MAX(newest, g_ascii_strtoll(line, NULL, 10));
    }
    if (newest >= 0) {
        g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(newest);
        if (t)
            *out = g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
    }
    return 0;
}

/* The refresh section: "STATUS\nSTDERR...". */
static int check_refresh(ds_dpkg_ctx *c, ds_dpkg_facts *facts, GError **err)
{
    GBytes *b = ds_dpkg_facts_get(facts, "refresh");
    g_autofree char *text = NULL;
    g_autoptr(GBytes) rest = NULL;
    g_autofree char *why = NULL;
    const char *nl;
    gsize len;
    const char *d;

    if (!c->opts || !c->opts->refresh_lists)
        return 0;
    if (!b)
        return ds_error_set(err, DS_EUNSUPPORTED,
                            "%s: cannot refresh the package lists: apt is "
                            "not installed",
                            c->host);
    d = g_bytes_get_data(b, &len);
    text = g_strndup(d, len);
    if (atoi(text) == 0 && text[0] == '0' && text[1] == '\n')
        return 0;
    nl = strchr(text, '\n');
    rest = g_bytes_new(nl ? nl + 1 : "", nl ? strlen(nl + 1) : 0);
    why = ds_dpkg_fold_stderr(rest);
    return ds_error_set(err, DS_EGENERIC,
                        "%s: apt-get update failed (exit status %d)%s%s",
                        c->host, atoi(text), why ? ": " : "",
                        why ? why : "");
}

int ds_dpkg_collect_selection(ds_manifest *m, ds_dpkg_ctx *c,
                              ds_dpkg_facts *facts, GError **err)
{
    g_autoptr(ds_apt_policy) policy = NULL;
    g_autofree char *native = NULL;
    const char *files, *pkgs, *d;
    gsize flen, plen, len;
    int a = -1, b = -1, m_st = -1, rc;

    collect_holds(m, facts);
    if ((rc = check_refresh(c, facts, err)) < 0)
        return rc;
    if (!(d = ds_dpkg_facts_text(facts, "apt-status", &len)))
        return 0; /* no apt on this host: holds only */
    {
        g_autofree char *st = g_strndup(d, len);
        if (sscanf(st, "%d %d %d", &a, &b, &m_st) != 3)
            a = -1;
    }
    /* apt refusing its own configuration (two Signed-By for one source,
     * a broken list) must not stop the recording of the host: the
     * selection state apt would tell stays "not collected".  xargs says
     * 123 when one of its apt-cache runs failed. */
    if (a != 0 || b != 0)
        return 0;
    if ((d = ds_dpkg_facts_text(facts, "arch", &len))) {
        native = g_strstrip(g_strndup(d, MIN(len, 64)));
        if (!*native || strspn(native, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
                            strlen(native))
            g_clear_pointer(&native, g_free);
    }
    files = ds_dpkg_facts_text(facts, "apt-files", &flen);
    pkgs = ds_dpkg_facts_text(facts, "apt-policy", &plen);
    if ((rc = ds_apt_policy_parse(&policy, c->host, files ? files : "", flen,
                                  pkgs ? pkgs : "", plen, err)) < 0 ||
        (rc = ds_apt_policy_apply(m, policy, native,
                                  c->opts ? c->opts->security_origins : NULL,
                                  c->opts ? c->opts->security_suites : NULL,
                                  err)) < 0)
        return rc;
    /* marks only from a successful apt-mark: none would read as "all
     * manual" */
    d = m_st == 0 ? ds_dpkg_facts_text(facts, "apt-auto", &len) : NULL;
    if (d)
        m->auto_marks = g_ptr_array_new_with_free_func(g_free);
    if (d && (rc = ds_apt_parse_names(m->auto_marks, m, native, c->host,
                                      "apt-mark showauto", d, len, err)) < 0)
        return rc;
    d = ds_dpkg_facts_text(facts, "apt-lists", &len);
    if (d && (rc = ds_apt_parse_mtimes(&m->lists_updated_at, c->host, d, len,
                                       err)) < 0)
        return rc;
    return 0;
}
