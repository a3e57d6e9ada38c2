/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/transport-ssh-check.c: what the ssh transport accepts, checked
 * without running anything: the ssh:// URI, the paths handed to ssh, and
 * the allow-list of extra -o options (none of which can run a command),
 * so that a configuration is refused when it is read, not host by host. */
#include <config.h>

#include <string.h>

#include "drivers/transport-private.h"
#include "manifests/util/error.h"

static gboolean valid_user(const char *s)
{
    if (!*s || *s == '-')
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_isalnum(*s) && !strchr("._-", *s))
            return FALSE;
    return TRUE;
}

static gboolean valid_hostname(const char *s)
{
    if (!*s || *s == '-' || *s == '.')
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_isalnum(*s) && !strchr(".-_", *s))
            return FALSE;
    return TRUE;
}

static gboolean valid_ipv6(const char *s)
{
    if (!*s)
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_isxdigit(*s) && *s != ':' && *s != '.')
            return FALSE;
    return TRUE;
}

void ds_ssh_target_clear(ds_ssh_target *t)
{
    g_clear_pointer(&t->user, g_free);
    g_clear_pointer(&t->hostname, g_free);
    g_clear_pointer(&t->port, g_free);
}

/* [USER@]HOST[:PORT], HOST a name or a bracketed IPv6 address. */
static int parse_authority(ds_ssh_target *t, const char *hostport,
                           const char *shown, GError **err)
{
    const char *at = strrchr(hostport, '@'), *p, *colon;

    if (at) {
        t->user = g_strndup(hostport, (gsize)(at - hostport));
        if (!valid_user(t->user))
            return ds_error_set(err, DS_EINVALID, "'%s': unsafe ssh user name",
                                shown);
        p = at + 1;
    } else {
        p = hostport;
    }
    if (*p == '[') {
        const char *close = strchr(p, ']');

        if (!close)
            goto bad;
        t->hostname = g_strndup(p + 1, (gsize)(close - p - 1));
        if (!valid_ipv6(t->hostname))
            goto bad_host;
        colon = close[1] == ':' ? close + 1 : NULL;
        if (close[1] && !colon)
            goto bad;
    } else {
        colon = strchr(p, ':');
        t->hostname = colon ? g_strndup(p, (gsize)(colon - p)) : g_strdup(p);
        if (!valid_hostname(t->hostname))
            goto bad_host;
    }
    if (colon) {
        guint64 port = 0;

        if (!g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &port, NULL))
            return ds_error_set(err, DS_EINVALID, "'%s': bad ssh port", shown);
        t->port = g_strdup_printf("%u", (unsigned)port);
    } else {
        t->port = g_strdup("22");
    }
    return 0;
bad_host:
    return ds_error_set(err, DS_EINVALID, "'%s': unsafe ssh host name", shown);
bad:
    return ds_error_set(err, DS_EINVALID,
                        "'%s' is not ssh://[USER@]HOST[:PORT]", shown);
}

int ds_ssh_parse_uri(ds_ssh_target *t, const char *uri, GError **err)
{
    const char *p, *end;
    g_autofree char *hostport = NULL;
    int rc;

    memset(t, 0, sizeof(*t));
    if (!uri || g_ascii_strncasecmp(uri, "ssh://", 6) != 0)
        return ds_error_set(err, DS_EINVALID,
                            "'%s' is not ssh://[USER@]HOST[:PORT]",
                            uri ? uri : "");
    p = uri + strlen("ssh://");
    end = p + strcspn(p, "/?#");
    if (*end && strcmp(end, "/") != 0)
        return ds_error_set(
            err, DS_EINVALID,
            "'%s' is not ssh://[USER@]HOST[:PORT] (no path, query or fragment)",
            uri);
    hostport = g_strndup(p, (gsize)(end - p));
    if ((rc = parse_authority(t, hostport, uri, err)) < 0)
        ds_ssh_target_clear(t);
    return rc;
}

int ds_transport_ssh_check_path(const char *path, GError **err)
{
    /* ssh splits option values on blanks and expands %-tokens in them. */
    if (!path || !*path || *path == '-' || strpbrk(path, " \t\r\n\"'%\\"))
        return ds_error_set(
            err, DS_EINVALID,
            "'%s': a path handed to ssh must not start with '-' nor contain blanks, quotes, '%%' or '\\'",
            path ? path : "");
    return 0;
}

/* ---- the allow-list of extra ssh options --------------------------- */

typedef enum {
    V_UINT,   /* a count or a number of seconds */
    V_PORT,   /* 1..65535 */
    V_YESNO,  /* yes | no */
    V_ALGOS,  /* [+-^]NAME[,NAME...]: ciphers, MACs, key exchange... */
    V_WORDS,  /* WORD[,WORD...]: authentication methods, QoS classes */
    V_FAMILY, /* any | inet | inet6 */
    V_SIZE,   /* RekeyLimit: default | N[K|M|G] */
    V_HOST,   /* a host name (HostKeyAlias) */
    V_JUMP,   /* none | [USER@]HOST[:PORT][,...] */
} value_kind;

static const struct {
    const char *name;
    value_kind kind;
} allowed[] = {
    {"Port", V_PORT},
    {"ConnectTimeout", V_UINT},
    {"ConnectionAttempts", V_UINT},
    {"ServerAliveInterval", V_UINT},
    {"ServerAliveCountMax", V_UINT},
    {"TCPKeepAlive", V_YESNO},
    {"Compression", V_YESNO},
    {"CheckHostIP", V_YESNO},
    {"GSSAPIAuthentication", V_YESNO},
    {"Ciphers", V_ALGOS},
    {"MACs", V_ALGOS},
    {"KexAlgorithms", V_ALGOS},
    {"HostKeyAlgorithms", V_ALGOS},
    {"PubkeyAcceptedAlgorithms", V_ALGOS},
    {"PubkeyAcceptedKeyTypes", V_ALGOS},
    {"CASignatureAlgorithms", V_ALGOS},
    {"PreferredAuthentications", V_WORDS},
    {"IPQoS", V_WORDS},
    {"AddressFamily", V_FAMILY},
    {"RekeyLimit", V_SIZE},
    {"HostKeyAlias", V_HOST},
    {"ProxyJump", V_JUMP},
};

static gboolean is_number(const char *v, gsize max_digits)
{
    gsize n = 0;

    for (; v[n]; n++)
        if (!g_ascii_isdigit(v[n]))
            return FALSE;
    return n > 0 && n <= max_digits;
}

/* NAME[,NAME...] with NAME of [A-Za-z0-9] and `extra`. */
static gboolean is_list(const char *v, const char *extra)
{
    gboolean want_item = TRUE;

    for (; *v; v++) {
        if (*v == ',') {
            if (want_item)
                return FALSE;
            want_item = TRUE;
        } else if (g_ascii_isalnum(*v) || strchr(extra, *v)) {
            want_item = FALSE;
        } else {
            return FALSE;
        }
    }
    return !want_item;
}

static gboolean is_jump_list(const char *v)
{
    g_auto(GStrv) hops = NULL;

    if (!strcmp(v, "none"))
        return TRUE;
    hops = g_strsplit(v, ",", -1);
    for (gsize i = 0; hops[i]; i++) {
        ds_ssh_target t = {0};
        gboolean ok;

        /* ssh -J also takes ssh://[USER@]HOST[:PORT]. */
        if (g_ascii_strncasecmp(hops[i], "ssh://", 6) == 0)
            ok = ds_ssh_parse_uri(&t, hops[i], NULL) == 0;
        else
            ok = parse_authority(&t, hops[i], hops[i], NULL) == 0;
        ds_ssh_target_clear(&t);
        if (!ok)
            return FALSE;
    }
    return hops[0] != NULL;
}

static const char *check_value(value_kind kind, const char *v)
{
    switch (kind) {
    case V_UINT:
        return is_number(v, 9) ? NULL : "expected a number";
    case V_PORT: {
        guint64 port;

        return g_ascii_string_to_unsigned(v, 10, 1, 65535, &port, NULL)
                   ? NULL
                   : "expected a port number (1-65535)";
    }
    case V_YESNO:
        return !strcmp(v, "yes") || !strcmp(v, "no") ? NULL
                                                     : "expected yes or no";
    case V_ALGOS:
        if (*v == '+' || *v == '-' || *v == '^')
            v++;
        return is_list(v, ".-_@")
                   ? NULL
                   : "expected a comma-separated list of algorithm names";
    case V_WORDS:
        return is_list(v, "-_") ? NULL
                                : "expected a comma-separated list of words";
    case V_FAMILY:
        return !strcmp(v, "any") || !strcmp(v, "inet") || !strcmp(v, "inet6")
                   ? NULL
                   : "expected any, inet or inet6";
    case V_SIZE: {
        gsize n = strlen(v);

        if (!strcmp(v, "default"))
            return NULL;
        if (n > 1 && strchr("KMG", v[n - 1]))
            n--;
        return n > 0 && n <= 12 && strspn(v, "0123456789") == n
                   ? NULL
                   : "expected default or a size (N, NK, NM or NG)";
    }
    case V_HOST:
        return valid_hostname(v) ? NULL : "expected a host name";
    case V_JUMP:
        return is_jump_list(v)
                   ? NULL
                   : "expected none or [USER@]HOST[:PORT] jump hosts separated by commas (names of letters, digits, '.', '_', '-')";
    }
    return "unknown";
}

int ds_transport_ssh_check_option(const char *option, GError **err)
{
    const char *eq = option ? strchr(option, '=') : NULL;
    g_autofree char *key = NULL;
    g_autoptr(GString) names = g_string_new(NULL);
    const char *why;

    if (!eq || eq == option)
        return ds_error_set(err, DS_EINVALID,
                            "'%s' is not an ssh option (KEY=VALUE)",
                            option ? option : "");
    key = g_strndup(option, (gsize)(eq - option));
    for (gsize i = 0; i < G_N_ELEMENTS(allowed); i++) {
        if (g_ascii_strcasecmp(key, allowed[i].name) != 0)
            continue;
        if (!eq[1])
            why = "expected a value";
        else
            why = check_value(allowed[i].kind, eq + 1);
        if (why)
            return ds_error_set(err, DS_EINVALID, "'%s': %s", option, why);
        return 0;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(allowed); i++)
        g_string_append_printf(names, "%s%s", i ? " " : "", allowed[i].name);
    return ds_error_set(err, DS_EINVALID,
                        "ssh option '%s' is not allowed (allowed: %s)", key,
                        names->str);
}

/* The transport's check: the URI, the paths and the extra options. */
int ds_ssh_check(const char *uri, const ds_transport_options *opts,
                 GError **err)
{
    ds_ssh_target t;
    int rc;

    if ((rc = ds_ssh_parse_uri(&t, uri, err)) < 0)
        return rc;
    ds_ssh_target_clear(&t);
    if ((opts->identity_file &&
         (rc = ds_transport_ssh_check_path(opts->identity_file, err)) < 0) ||
        (opts->known_hosts &&
         (rc = ds_transport_ssh_check_path(opts->known_hosts, err)) < 0) ||
        (opts->control_dir &&
         (rc = ds_transport_ssh_check_path(opts->control_dir, err)) < 0))
        return rc;
    for (gsize i = 0; opts->ssh_options && opts->ssh_options[i]; i++)
        if ((rc = ds_transport_ssh_check_option(opts->ssh_options[i], err)) < 0)
            return rc;
    return 0;
}
