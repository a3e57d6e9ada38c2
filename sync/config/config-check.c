/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/config/config-check.c: the checks of driftsync.conf that belong to
 * the transports and to libvirt (a source's or lab-access's URI, ssh's
 * paths and options, libvirt URIs), run when the file is read so that a
 * bad value is refused with its line before anything is done, not host
 * by host later.  The key table (config-table.c) names them. */
#include <config.h>

#include <string.h>

#include "drivers/transport.h"
#include "manifests/util/error.h"
#include "sync/config/config-file.h"
#include "sync/config/config-private.h"

/* The message of a transport's check, or NULL when it passes. */
static char *transport_says(const char *uri, const ds_transport_options *opts)
{
    g_autoptr(GError) e = NULL;

    if (ds_transport_check(uri, opts, &e) < 0)
        return g_strdup(e->message);
    return NULL;
}

char *ds_config_check_lab_access(const char *v)
{
    static const ds_transport_options none;

    if (!strcmp(v, "agent"))
        return NULL;
    if (!g_str_has_prefix(v, "ssh://") || !ds_config_url_has_host(v, "ssh://"))
        return g_strdup_printf("expected agent or ssh://[USER@]HOST[:PORT], got '%s'", v);
    return transport_says(v, &none);
}

char *ds_config_check_ssh_path(const char *v)
{
    g_autoptr(GError) e = NULL;

    if (ds_transport_ssh_check_path(v, &e) < 0)
        return g_strdup(e->message);
    return NULL;
}

char *ds_config_check_ssh_option(const char *v)
{
    g_autoptr(GError) e = NULL;

    if (ds_transport_ssh_check_option(v, &e) < 0)
        return g_strdup(e->message);
    return NULL;
}

/* libvirt parses it when it connects, host by host: parse it now. */
char *ds_config_check_libvirt_uri(const char *v)
{
    if (g_uri_is_valid(v, G_URI_FLAGS_NONE, NULL) && !strpbrk(v, " \t"))
        return NULL;
    return g_strdup_printf("'%s' is not a libvirt URI (DRIVER[+TRANSPORT]://[USER@][HOST][:PORT]/PATH)", v);
}

int ds_config_check_host_source(const ds_config_reader *r,
                                const ds_host_config *h, const char *group,
                                GError **err)
{
    const char *key = "source";
    ds_transport_options opts = {
        .identity_file = h->identity_file,
        .known_hosts = h->known_hosts,
        .ssh_options = (const char *const *)h->ssh_options,
        .ca_file = h->ca_file,
        .auth_file = h->auth_file,
        .allow_http = h->allow_http,
    };
    g_autofree char *why = transport_says(h->source, &opts);

    if (why)
        return BAD_VALUE("%s", why);
    return 0;
}
