/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/known-hosts.h: is this SSH host key the one an OpenSSH
 * known_hosts file holds for this host?  For connections that do not go
 * through the OpenSSH client (libgit2's libssh2 transport of the store's
 * remote), checked the way ssh(1) checks them. */
#pragma once

#include <glib.h>

/* Look up host (port 22 is written "host", any other "[host]:port") in
 * the known_hosts file at path: plain and hashed ("|1|SALT|HASH") names,
 * comma lists, '*' and '?' patterns, '!' negations; @revoked keys are
 * refused, @cert-authority lines are not host keys and are skipped.  key
 * is the host key blob as the server sent it (what the file holds in
 * base64).  0: the file lists this key for the host.  DS_ECONFLICT: the
 * file lists the host with other keys only, or the key is revoked (a
 * possible man-in-the-middle).  DS_ENOTFOUND: the file does not list the
 * host (or does not exist).  The message names the host, not the key. */
int ds_known_hosts_check(const char *path, const char *host, int port,
                         const void *key, gsize len, GError **err);
