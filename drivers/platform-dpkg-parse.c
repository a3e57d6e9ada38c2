/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform-dpkg-parse.c: parsers of what a dpkg host tells the
 * collector (dpkg-query output, os-release), strict about hostile input,
 * and the helpers every part of the dpkg platform shares. */
#include <config.h>

#include <string.h>

#include "drivers/platform-dpkg.h"
#include "manifests/util/error.h"
#include "manifests/version.h"

char *ds_dpkg_cmd_path(const ds_dpkg_ctx *c, const char *path)
{
    return c->root ? g_strconcat(c->root, path, NULL) : g_strdup(path);
}

const char *ds_dpkg_host_path(const ds_dpkg_ctx *c, const char *cmd_path)
{
    gsize n;

    if (!c->root) /* host paths are absolute: "x" is no path of the host */
        return cmd_path[0] == '/' ? cmd_path : NULL;
    n = strlen(c->root);
    if (strncmp(cmd_path, c->root, n) != 0 || cmd_path[n] != '/')
        return NULL;
    return cmd_path + n;
}

char *ds_dpkg_show(const char *s, gsize len)
{
    g_autoptr(GString) g = g_string_new("'");
    gsize max = MIN(len, 300);

    for (gsize i = 0; i < max; i++) {
        guchar ch = (guchar)s[i];
        if (ch == '\'' || ch == '\\')
            g_string_append_printf(g, "\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7f)
            g_string_append_printf(g, "\\x%02x", ch);
        else
            g_string_append_c(g, (char)ch);
    }
    g_string_append(g, len > max ? "'..." : "'");
    return g_string_free(g_steal_pointer(&g), FALSE);
}

/* Whether stderr only reports files that do not exist (or changed while
 * read): the answers a tolerated non-zero exit status may carry.  Anything
 * else (permission denied, a usage error) is a failure, not an absence. */
static gboolean only_vanished(GBytes *err)
{
    static const char *const ok[] = {
        "No such file or directory", "file changed as we read it",
        "file removed before we read it",
        "Exiting with failure status due to previous errors"};
    gsize n = 0;
    const char *e = err ? g_bytes_get_data(err, &n) : NULL;
    g_autofree char *text = e ? g_strndup(e, n) : NULL;
    g_auto(GStrv) lines = text ? g_strsplit(text, "\n", -1) : NULL;

    for (guint i = 0; lines && lines[i]; i++) {
        gboolean fine = !*lines[i];
        for (gsize j = 0; j < G_N_ELEMENTS(ok) && !fine; j++)
            fine = strstr(lines[i], ok[j]) != NULL;
        if (!fine)
            return FALSE;
    }
    return TRUE;
}

char *ds_dpkg_fold_stderr(GBytes *err)
{
    gsize n = 0;
    const char *e = err ? g_bytes_get_data(err, &n) : NULL;
    g_autoptr(GString) msg = g_string_new(NULL);

    /* blanks folded into spaces, other control and non-ASCII bytes
     * escaped */
    for (gsize i = 0; e && i < n && msg->len < 300; i++) {
        guchar ch = (guchar)e[i];
        if (g_ascii_isspace(ch)) {
            if (msg->len && msg->str[msg->len - 1] != ' ')
                g_string_append_c(msg, ' ');
        } else if (ch < 0x20 || ch >= 0x7f) {
            g_string_append_printf(msg, "\\x%02x", ch);
        } else {
            g_string_append_c(msg, (char)ch);
        }
    }
    g_strchomp(msg->str);
    return *msg->str ? g_strdup(msg->str) : NULL;
}

int ds_dpkg_name_host(GError **err, int rc, const char *host)
{
    const char *msg = err && *err ? (*err)->message : NULL;
    gsize n = host ? strlen(host) : 0;

    if (msg && n && !(strncmp(msg, host, n) == 0 && msg[n] == ':'))
        ds_error_prefix(err, rc, "%s: ", host);
    return rc;
}

int ds_dpkg_finish(ds_manifest **out, ds_manifest **m, const char *host,
                   GError **err)
{
    int rc = ds_manifest_normalise(*m, err);

    if (rc < 0)
        return ds_dpkg_name_host(err, rc, host);
    *out = g_steal_pointer(m);
    return 0;
}

int ds_dpkg_run_full(GBytes **out, GBytes **errout, int *status,
                     ds_dpkg_ctx *c, const char *const *argv, int max_ok,
                     GError **err)
{
    ds_run_result res = {.status = -1};
    GError *local = NULL;
    int rc;

    *out = NULL;
    rc = ds_transport_run(c->t, argv, NULL, &res, &local);
    if (rc < 0) {
        /* The transport's message names the host and the cause (and the
         * command where it matters, as for a timeout). */
        g_propagate_error(err, local);
        ds_run_result_clear(&res);
        return ds_dpkg_name_host(err, rc, c->host);
    }
    if (status)
        *status = res.status;
    if (res.status < 0 || res.status > max_ok ||
        (res.status > 0 && !only_vanished(res.err))) {
        g_autofree char *first = ds_dpkg_fold_stderr(res.err);

        rc = ds_error_set(err, res.status == 127 ? DS_ENOTFOUND : DS_EGENERIC,
                          "%s%s%s failed (exit status %d)%s%s",
                          c->host ? c->host : "", c->host ? ": " : "",
                          argv[0], res.status, first ? ": " : "",
                          first ? first : "");
        ds_run_result_clear(&res);
        return rc;
    }
    *out = res.out ? g_bytes_ref(res.out) : g_bytes_new(NULL, 0);
    if (errout)
        *errout = res.err ? g_bytes_ref(res.err) : g_bytes_new(NULL, 0);
    ds_run_result_clear(&res);
    return 0;
}

int ds_dpkg_run(GBytes **out, int *status, ds_dpkg_ctx *c,
                const char *const *argv, int max_ok, GError **err)
{
    return ds_dpkg_run_full(out, NULL, status, c, argv, max_ok, err);
}

void ds_conffile_free(ds_conffile *cf)
{
    if (!cf)
        return;
    g_free(cf->path);
    g_free(cf->md5);
    g_free(cf);
}

static gboolean is_hex(const char *s, gsize len)
{
    if (strlen(s) != len)
        return FALSE;
    for (gsize i = 0; i < len; i++)
        if (!g_ascii_isxdigit(s[i]))
            return FALSE;
    return TRUE;
}

static gboolean is_arch(const char *s)
{
    if (!*s)
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_islower(*s) && !g_ascii_isdigit(*s) && *s != '-')
            return FALSE;
    return TRUE;
}

/* One conffile line " /etc/x MD5 [obsolete|remove-on-upgrade]". */
static int parse_conffile(GPtrArray *conffiles, const char *host,
                          guint lineno, char *line, GError **err)
{
    char *sp;
    gboolean dead = FALSE;

    g_strstrip(line);
    for (;;) {
        sp = strrchr(line, ' ');
        if (!sp)
            return ds_error_set(err, DS_EINVALID,
                                "%s: dpkg-query output line %u: conffile entry without a checksum",
                                host, lineno);
        if (strcmp(sp + 1, "obsolete") == 0 ||
            strcmp(sp + 1, "remove-on-upgrade") == 0) {
            dead = TRUE;
            *sp = '\0';
            continue;
        }
        break;
    }
    *sp = '\0';
    if (!ds_name_is_safe_path(line)) {
        g_autofree char *show = ds_dpkg_show(line, strlen(line));
        return ds_error_set(err, DS_EINVALID,
                            "%s: dpkg-query output line %u: conffile path %s is not a safe absolute path",
                            host, lineno, show);
    }
    /* "newconffile": dpkg has not recorded a checksum yet. */
    if (dead || !is_hex(sp + 1, 32))
        return 0;
    ds_conffile *cf = g_new0(ds_conffile, 1);
    cf->path = g_strdup(line);
    cf->md5 = g_ascii_strdown(sp + 1, -1);
    g_ptr_array_add(conffiles, cf);
    return 0;
}

int ds_dpkg_parse_query(GPtrArray *packages, GPtrArray *conffiles,
                        const char *host, const char *data, gsize len,
                        GError **err)
{
    const char *end = data + len, *p = data, *bad = NULL;
    gboolean installed = FALSE;
    guint lineno = 0;

    if (!g_utf8_validate(data, (gssize)len, &bad)) {
        guint at = 1;
        for (const char *q = data; q < bad; q++)
            at += *q == '\n';
        return ds_error_set(err, DS_EINVALID,
                            "%s: dpkg-query output line %u: not valid UTF-8",
                            host, at);
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (gsize)(end - p));
        g_autofree char *line = g_strndup(p, nl ? (gsize)(nl - p) : (gsize)(end - p));
        g_auto(GStrv) f = NULL;
        g_autofree char *show = NULL;
        int rc;

        lineno++;
        p = nl ? nl + 1 : end;
        if (!*line)
            continue;
        if (line[0] == ' ') {
            if (installed && conffiles) {
                rc = parse_conffile(conffiles, host, lineno, line, err);
                if (rc < 0)
                    return rc;
            }
            continue;
        }
        f = g_strsplit(line, "\t", -1);
        if (g_strv_length(f) != 4)
            return ds_error_set(err, DS_EINVALID,
                                "%s: dpkg-query output line %u: expected 4 tab-separated fields, got %u",
                                host, lineno, g_strv_length(f));
        if (!ds_name_is_safe_package(f[0])) {
            show = ds_dpkg_show(f[0], strlen(f[0]));
            return ds_error_set(err, DS_EINVALID,
                                "%s: dpkg-query output line %u: package name %s is not a valid Debian package name",
                                host, lineno, show);
        }
        /* Status-Abbrev: want, status, error flag.  Installed means the
         * status is installed, or installed with triggers pending or
         * awaited (still fully unpacked and configured once). */
        installed = strlen(f[3]) >= 2 && strchr("itW", f[3][1]) != NULL;
        if (!installed)
            continue;
        if (!ds_version_is_valid(f[1])) {
            show = ds_dpkg_show(f[1], strlen(f[1]));
            return ds_error_set(err, DS_EINVALID,
                                "%s: dpkg-query output line %u: package %s: version %s is not a valid Debian version",
                                host, lineno, f[0], show);
        }
        if (!is_arch(f[2])) {
            show = ds_dpkg_show(f[2], strlen(f[2]));
            return ds_error_set(err, DS_EINVALID,
                                "%s: dpkg-query output line %u: package %s: architecture %s is not valid",
                                host, lineno, f[0], show);
        }
        g_ptr_array_add(packages, ds_package_new(f[0], f[1], f[2], NULL));
    }
    return 0;
}

/* One shell-style value of os-release: "double", 'single' or bare, with
 * backslash escapes; anything else (an expansion, a second word) is not
 * in the format and is refused. */
static char *os_release_value(const char *v, gboolean *ok)
{
    g_autoptr(GString) g = g_string_new(NULL);
    char q = 0;

    *ok = FALSE;
    for (; *v; v++) {
        if (q == '\'') {
            if (*v == '\'')
                q = 0;
            else
                g_string_append_c(g, *v);
        } else if (q == '"') {
            if (*v == '"')
                q = 0;
            else if (*v == '\\' && v[1] && strchr("\"\\$`", v[1]))
                g_string_append_c(g, *++v);
            else if (*v == '$' || *v == '`')
                return NULL;
            else
                g_string_append_c(g, *v);
        } else if (*v == '"' || *v == '\'') {
            q = *v;
        } else if (*v == '\\' && v[1]) {
            g_string_append_c(g, *++v);
        } else if (strchr(" \t$`;&|<>()", *v)) {
            return NULL;
        } else {
            g_string_append_c(g, *v);
        }
    }
    if (q)
        return NULL;
    *ok = TRUE;
    return g_string_free(g_steal_pointer(&g), FALSE);
}

int ds_dpkg_parse_os_release(char **id, char **version, char **name,
                             const char *origin, const char *data, gsize len,
                             GError **err)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    *id = *version = *name = NULL;
    if (memchr(data, '\0', len) || !g_utf8_validate(data, (gssize)len, NULL))
        return ds_error_set(err, DS_EINVALID, "%s: not valid UTF-8 text",
                            origin);
    text = g_strndup(data, len);
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        char *l = g_strstrip(lines[i]), *eq;
        char **slot = NULL;
        g_autofree char *val = NULL;
        gboolean ok;

        if (!*l || *l == '#' || !(eq = strchr(l, '=')))
            continue;
        *eq = '\0';
        if (strcmp(l, "ID") == 0)
            slot = id;
        else if (strcmp(l, "VERSION_ID") == 0)
            slot = version;
        else if (strcmp(l, "PRETTY_NAME") == 0)
            slot = name;
        else
            continue;
        val = os_release_value(eq + 1, &ok);
        if (!ok) {
            g_autofree char *show = ds_dpkg_show(eq + 1, strlen(eq + 1));
            return ds_error_set(err, DS_EINVALID,
                                "%s: line %u: %s: value %s is not a plain shell-quoted string",
                                origin, i + 1, l, show);
        }
        for (const char *c = val; *c; c++)
            if ((guchar)*c < 0x20 || *c == 0x7f)
                return ds_error_set(err, DS_EINVALID,
                                    "%s: line %u: %s: control character",
                                    origin, i + 1, l);
        g_free(*slot);
        *slot = *val ? g_steal_pointer(&val) : NULL; /* "" says nothing */
    }
    return 0;
}
