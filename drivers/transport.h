/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/transport.h: how driftsync reaches a host.  Each transport is a
 * table of operations registered by URI scheme; a NULL slot means the
 * transport does not support that operation (DS_EUNSUPPORTED). */
#pragma once

#include <glib.h>

/* ds_shell_quote and ds_shell_join, for transports that pass through a
 * remote shell. */
#include "manifests/util/shell.h"

/* Options a transport may use; every field may be NULL/0 (defaults). */
typedef struct ds_transport_options {
    const char *host;          /* host name for messages ("web01") */
    const char *identity_file; /* ssh: -i */
    const char *known_hosts;   /* ssh: UserKnownHostsFile */
    const char *const *ssh_options; /* ssh: extra -o values, NULL-terminated */
    const char *control_dir;   /* ssh: where ControlPath sockets live */
    gboolean sudo;             /* ssh: every command through `sudo -n --`
                                * (not for a login as root) */
    const char *ca_file;       /* https: CA bundle */
    const char *auth_file;     /* https: "Bearer TOKEN" or "user:password" */
    gboolean allow_http;       /* https: accept plain http:// */
    const char *libvirt_uri;   /* agent: the libvirt connection URI */
    int connect_timeout_ms;    /* 0: transport default */
    int timeout_ms;            /* per command / request; 0: default */
    gsize max_output;          /* bytes of stdout/stderr or body; 0: default */
} ds_transport_options;

#define DS_TRANSPORT_DEFAULT_MAX_OUTPUT (64u * 1024 * 1024)
#define DS_TRANSPORT_DEFAULT_TIMEOUT_MS (300 * 1000)

typedef struct ds_run_result {
    int status;     /* exit status, or 128+signal; -1 when not run */
    GBytes *out;    /* stdout (never NULL after success) */
    GBytes *err;    /* stderr (never NULL after success) */
} ds_run_result;

void ds_run_result_clear(ds_run_result *r);

typedef struct ds_transport_ops {
    const char *scheme; /* "local", "ssh", "https", "agent" */
    int (*open)(void **state, const char *uri,
                const ds_transport_options *opts, GError **err);
    /* Run argv (never through a local shell; remote shells get every
     * argument quoted by ds_shell_quote).  A non-zero exit status is not
     * an error: it is returned in result->status. */
    int (*run)(void *state, const char *const *argv, GBytes *stdin_data,
               ds_run_result *result, GError **err);
    int (*read_file)(void *state, const char *path, GBytes **out,
                     GError **err);
    int (*write_file)(void *state, const char *path, GBytes *data,
                      guint mode, GError **err);
    /* https only: fetch the manifest document the URI points at. */
    int (*fetch)(void *state, GBytes **out, GError **err);
    void (*close)(void *state);
    /* Optional: the root file system the transport reads ("local:/srv/root"
     * gives "/srv/root"); NULL slot or NULL result: the host itself. */
    const char *(*root)(void *state);
    /* Optional: refuse what open would refuse about the URI and the
     * options, without connecting or running anything (messages name the
     * value, not a host).  NULL slot: nothing to check but the scheme. */
    int (*check)(const char *uri, const ds_transport_options *opts,
                 GError **err);
} ds_transport_ops;

/* Add a transport at run time (the built-in ones, local, ssh, https/http,
 * are listed in transport.c's table; a driver may be added either there or
 * with this call).  DS_ECONFLICT when the scheme is taken, DS_EINVALID for
 * a malformed table.  ops must stay valid for the life of the program. */
int ds_transport_register(const ds_transport_ops *ops);

typedef struct ds_transport ds_transport;

/* Open a transport for a source URI: "local:", "local:/srv/root",
 * "ssh://root@web01:22", "https://inv.example.com/web01.json",
 * "agent:web01-lab".  DS_EINVALID for a malformed URI, DS_EUNSUPPORTED for
 * an unknown scheme. */
int ds_transport_open(ds_transport **out, const char *uri,
                      const ds_transport_options *opts, GError **err);
void ds_transport_free(ds_transport *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_transport, ds_transport_free)

/* Check a URI and its options as ds_transport_open would, connecting to
 * nothing, so that a configuration is refused when it is read: a
 * malformed or hostile URI, a refused ssh option, an unsafe path.
 * DS_EINVALID or DS_EUNSUPPORTED, the message naming the value. */
int ds_transport_check(const char *uri, const ds_transport_options *opts,
                       GError **err);
/* ssh: whether "KEY=VALUE" is an extra ssh -o option a configuration may
 * give: only options that cannot run a command or weaken the checks
 * (Port, ConnectTimeout, Ciphers, ProxyJump to checked host names...);
 * DS_EINVALID naming the option otherwise. */
int ds_transport_ssh_check_option(const char *option, GError **err);
/* ssh: a path handed to ssh (identity file, known hosts): no leading '-',
 * no blanks, quotes, '%' or backslashes. */
int ds_transport_ssh_check_path(const char *path, GError **err);

const char *ds_transport_scheme(const ds_transport *t);
/* The root file system the transport reads ("local:/srv/root" gives
 * "/srv/root", canonical), or NULL for the host itself. */
const char *ds_transport_root(const ds_transport *t);
int ds_transport_run(ds_transport *t, const char *const *argv,
                     GBytes *stdin_data, ds_run_result *result, GError **err);
int ds_transport_read_file(ds_transport *t, const char *path, GBytes **out,
                           GError **err);
int ds_transport_write_file(ds_transport *t, const char *path, GBytes *data,
                            guint mode, GError **err);
int ds_transport_fetch(ds_transport *t, GBytes **out, GError **err);

/* For transport implementations (local, ssh): run argv on this machine
 * (g_spawn, no shell) in its own process group, feeding stdin_data and
 * capturing stdout and stderr.  opts->timeout_ms (default
 * DS_TRANSPORT_DEFAULT_TIMEOUT_MS) bounds the whole run: past it the
 * process group is killed and DS_EINTERRUPTED returned ("command timed out
 * after N s: ARGV0"); stdout or stderr over opts->max_output bytes (default
 * DS_TRANSPORT_DEFAULT_MAX_OUTPUT) kills it too (DS_EINVALID, "output over
 * N bytes").  Messages start with opts->host.  A non-zero exit is not an
 * error: see result->status. */
int ds_transport_spawn(const char *const *argv, GBytes *stdin_data,
                       const ds_transport_options *opts,
                       ds_run_result *result, GError **err);
