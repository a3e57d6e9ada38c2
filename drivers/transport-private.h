/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/transport-private.h: what the transport drivers share inside
 * drivers/ (their tables for the registry, helpers the tests reach). */
#pragma once

#include "drivers/transport.h"

extern const ds_transport_ops ds_transport_local_ops;
extern const ds_transport_ops ds_transport_ssh_ops;
extern const ds_transport_ops ds_transport_https_ops;

/* Open PATH (absolute, seen from inside the directory root_fd as if it
 * were "/", like chroot: absolute symlinks and ".." never leave it) with
 * open(2) FLAGS.  Uses openat2(RESOLVE_IN_ROOT) when the kernel has it,
 * else walks the path one component at a time; manual forces the walk.
 * Returns a file descriptor or -errno. */
int ds_local_open_in_root(int root_fd, const char *path, int flags,
                          gboolean manual);

/* ssh: the parts of "ssh://[USER@]HOST[:PORT]" (transport-ssh-check.c). */
typedef struct ds_ssh_target {
    char *user;     /* NULL: ssh's default */
    char *hostname; /* validated, brackets removed for IPv6 */
    char *port;     /* validated digits, "22" by default */
} ds_ssh_target;

/* Parse and validate an ssh:// URI; messages name the URI, not a host. */
int ds_ssh_parse_uri(ds_ssh_target *t, const char *uri, GError **err);
void ds_ssh_target_clear(ds_ssh_target *t);
/* The ssh transport's check slot: URI, paths and extra options. */
int ds_ssh_check(const char *uri, const ds_transport_options *opts,
                 GError **err);
