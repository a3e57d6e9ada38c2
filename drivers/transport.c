/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/transport.c: the transport registry (by URI scheme), the public
 * calls that dispatch to a transport's table (the quoting for a remote
 * shell is the base layer's, manifests/util/shell.c). */
#include <config.h>

#include <string.h>

#include "drivers/transport-agent.h"
#include "drivers/transport-private.h"
#include "drivers/transport.h"
#include "manifests/util/error.h"

/* The built-in transports.  To add a driver: declare its table in a header
 * (as drivers/transport-agent.h does), list it here and add its file to a
 * make fragment.  A driver outside the library may call
 * ds_transport_register() instead, before its first open. */
static const ds_transport_ops *const builtin_transports[] = {
    &ds_transport_local_ops,
    &ds_transport_ssh_ops,
    &ds_transport_https_ops,
    &ds_transport_agent_ops,
};

/* Schemes served by another scheme's driver: "http://" is the https
 * driver's (refused there unless allow_http), so callers see "https". */
static const struct {
    const char *alias, *scheme;
} scheme_aliases[] = {
    {"http", "https"},
};

static GMutex registry_lock;
static GPtrArray *registered; /* const ds_transport_ops *, not owned */

struct ds_transport {
    const ds_transport_ops *ops;
    void *state;
    char *label; /* for messages: opts->host, else the scheme */
};

static const ds_transport_ops *lookup(const char *scheme)
{
    const ds_transport_ops *found = NULL;

    for (gsize i = 0; i < G_N_ELEMENTS(scheme_aliases); i++)
        if (strcmp(scheme_aliases[i].alias, scheme) == 0)
            scheme = scheme_aliases[i].scheme;
    for (gsize i = 0; i < G_N_ELEMENTS(builtin_transports); i++)
        if (strcmp(builtin_transports[i]->scheme, scheme) == 0)
            return builtin_transports[i];
    g_mutex_lock(&registry_lock);
    for (guint i = 0; registered && i < registered->len; i++) {
        const ds_transport_ops *ops = g_ptr_array_index(registered, i);
        if (strcmp(ops->scheme, scheme) == 0) {
            found = ops;
            break;
        }
    }
    g_mutex_unlock(&registry_lock);
    return found;
}

static gboolean scheme_is_valid(const char *s)
{
    if (!s || !g_ascii_isalpha(*s))
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_isalnum(*s) && *s != '+' && *s != '-' && *s != '.')
            return FALSE;
    return TRUE;
}

int ds_transport_register(const ds_transport_ops *ops)
{
    if (!ops || !scheme_is_valid(ops->scheme) || !ops->open)
        return DS_EINVALID;
    if (lookup(ops->scheme))
        return DS_ECONFLICT;
    g_mutex_lock(&registry_lock);
    if (!registered)
        registered = g_ptr_array_new();
    g_ptr_array_add(registered, (gpointer)ops);
    g_mutex_unlock(&registry_lock);
    return 0;
}

/* The driver of uri's scheme, or an error naming the URI. */
static int find_ops(const ds_transport_ops **out, const char *uri,
                    const char *host, GError **err)
{
    g_autofree char *scheme = NULL;
    const char *colon = uri ? strchr(uri, ':') : NULL;

    if (colon)
        scheme = g_ascii_strdown(uri, colon - uri);
    if (!scheme_is_valid(scheme))
        return ds_error_set(
            err, DS_EINVALID,
            "%s%s'%s' is not a transport URI (local:, ssh://HOST, https://URL, agent:DOMAIN)",
            host ? host : "", host ? ": " : "", uri ? uri : "(null)");
    *out = lookup(scheme);
    if (!*out)
        return ds_error_set(
            err, DS_EUNSUPPORTED,
            "%s%sunknown transport '%s:' (local, ssh, https, agent)",
            host ? host : "", host ? ": " : "", scheme);
    return 0;
}

int ds_transport_check(const char *uri, const ds_transport_options *opts,
                       GError **err)
{
    static const ds_transport_options no_opts;
    const ds_transport_ops *ops;
    int rc;

    if (!opts)
        opts = &no_opts;
    if ((rc = find_ops(&ops, uri, NULL, err)) < 0)
        return rc;
    return ops->check ? ops->check(uri, opts, err) : 0;
}

int ds_transport_open(ds_transport **out, const char *uri,
                      const ds_transport_options *opts, GError **err)
{
    static const ds_transport_options no_opts;
    const ds_transport_ops *ops;
    ds_transport *t;
    void *state = NULL;
    int rc;

    *out = NULL;
    if (!opts)
        opts = &no_opts;
    if ((rc = find_ops(&ops, uri, opts->host, err)) < 0)
        return rc;
    rc = ops->open(&state, uri, opts, err);
    if (rc < 0)
        return rc;
    t = g_new0(ds_transport, 1);
    t->ops = ops;
    t->state = state;
    t->label = g_strdup(opts->host ? opts->host : ops->scheme);
    *out = t;
    return 0;
}

void ds_transport_free(ds_transport *t)
{
    if (!t)
        return;
    if (t->ops->close)
        t->ops->close(t->state);
    g_free(t->label);
    g_free(t);
}

const char *ds_transport_scheme(const ds_transport *t)
{
    return t->ops->scheme;
}

const char *ds_transport_root(const ds_transport *t)
{
    return t->ops->root ? t->ops->root(t->state) : NULL;
}

static int unsupported(const ds_transport *t, const char *what, GError **err)
{
    return ds_error_set(err, DS_EUNSUPPORTED, "%s: the %s transport cannot %s",
                        t->label, t->ops->scheme, what);
}

void ds_run_result_clear(ds_run_result *r)
{
    if (!r)
        return;
    g_clear_pointer(&r->out, g_bytes_unref);
    g_clear_pointer(&r->err, g_bytes_unref);
    r->status = -1;
}

int ds_transport_run(ds_transport *t, const char *const *argv,
                     GBytes *stdin_data, ds_run_result *result, GError **err)
{
    ds_run_result_clear(result);
    if (!t->ops->run)
        return unsupported(t, "run commands", err);
    if (!argv || !argv[0] || !argv[0][0])
        return ds_error_set(err, DS_EINVALID, "%s: empty command", t->label);
    return t->ops->run(t->state, argv, stdin_data, result, err);
}

int ds_transport_read_file(ds_transport *t, const char *path, GBytes **out,
                           GError **err)
{
    *out = NULL;
    if (!t->ops->read_file)
        return unsupported(t, "read files", err);
    if (!path || path[0] != '/')
        return ds_error_set(err, DS_EINVALID,
                            "%s: '%s' is not an absolute path",
                            t->label, path ? path : "(null)");
    return t->ops->read_file(t->state, path, out, err);
}

int ds_transport_write_file(ds_transport *t, const char *path, GBytes *data,
                            guint mode, GError **err)
{
    if (!t->ops->write_file)
        return unsupported(t, "write files", err);
    if (!path || path[0] != '/')
        return ds_error_set(err, DS_EINVALID,
                            "%s: '%s' is not an absolute path",
                            t->label, path ? path : "(null)");
    if (mode > 07777)
        return ds_error_set(err, DS_EINVALID, "%s: %s: bad mode %o", t->label,
                            path, mode);
    return t->ops->write_file(t->state, path, data, mode, err);
}

int ds_transport_fetch(ds_transport *t, GBytes **out, GError **err)
{
    *out = NULL;
    if (!t->ops->fetch)
        return unsupported(t, "fetch", err);
    return t->ops->fetch(t->state, out, err);
}
