/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/config-check.c: the checks of driftsync.conf that belong to the
 * transports (a source's URI, ssh's paths and options), run when the file
 * is read so that a bad value is refused with its line before anything
 * is done, not host by host later. */
#include <config.h>

#include <string.h>

#include "drivers/transport.h"
#include "manifests/error.h"
#include "sync/config-private.h"
#include "sync/config.h"

int ds_config_check_transport(const ds_config_reader *r, const char *group,
                              const char *key, const char *uri,
                              const ds_host_config *h, GError **err)
{
    g_autoptr(GError) e = NULL;
    ds_transport_options opts = {0};

    if (h) {
        opts.identity_file = h->identity_file;
        opts.known_hosts = h->known_hosts;
        opts.ssh_options = (const char *const *)h->ssh_options;
        opts.ca_file = h->ca_file;
        opts.auth_file = h->auth_file;
        opts.allow_http = h->allow_http;
    }
    if (ds_transport_check(uri, &opts, &e) < 0)
        return BAD_VALUE("%s", e->message);
    return 0;
}

int ds_config_get_ssh_path(char **out, const ds_config_reader *r, GKeyFile *kf,
                           const char *group, const char *key, GError **err)
{
    g_autoptr(GError) e = NULL;
    int rc;

    if ((rc = ds_config_get_string(out, r, kf, group, key, err)) < 0)
        return rc;
    if (ds_transport_ssh_check_path(*out, &e) < 0)
        return BAD_VALUE("%s", e->message);
    return 0;
}

int ds_config_check_ssh_option(const ds_config_reader *r, const char *group,
                               const char *key, const char *option,
                               GError **err)
{
    g_autoptr(GError) e = NULL;

    if (ds_transport_ssh_check_option(option, &e) < 0)
        return BAD_VALUE("%s", e->message);
    return 0;
}

int ds_config_get_libvirt_uri(char **out, const ds_config_reader *r,
                              GKeyFile *kf, const char *group, const char *key,
                              GError **err)
{
    g_autoptr(GError) e = NULL;
    int rc;

    if ((rc = ds_config_get_string(out, r, kf, group, key, err)) < 0)
        return rc;
    /* libvirt parses it when it connects, host by host: parse it now. */
    if (!g_uri_is_valid(*out, G_URI_FLAGS_NONE, &e) || strpbrk(*out, " \t"))
        return BAD_VALUE("'%s' is not a libvirt URI "
                         "(DRIVER[+TRANSPORT]://[USER@][HOST][:PORT]/PATH)",
                         *out);
    return 0;
}
