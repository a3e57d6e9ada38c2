/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/libvirt.h: reach lab domains: one libvirt connection per URI,
 * domain look-up, power state, and commands to the guest agent. */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <libvirt/libvirt.h>

typedef struct ds_lab ds_lab; /* a libvirt connection */

/* The URI opened when none is given. */
#define DS_LAB_DEFAULT_URI "qemu:///system"

/* Open (or reuse, per URI within this process) a connection.  Errors
 * name the URI and the cause: daemon not running, refused, bad URI. */
int ds_lab_open(ds_lab **out, const char *uri, GError **err);
void ds_lab_free(ds_lab *lab);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_lab, ds_lab_free)

const char *ds_lab_uri(const ds_lab *lab);
/* How many libvirt connections this process has opened to uri (NULL: the
 * default URI) so far, reopened ones included: what "one connection per
 * daemon" can be checked against. */
guint ds_lab_opened(const char *uri);
virConnectPtr ds_lab_conn(ds_lab *lab);

/* How long a lost connection is given to come back (a daemon restart). */
#define DS_LAB_REOPEN_MS (30 * 1000)

/* When the connection is dead (one cheap call tells), open the URI again,
 * waiting up to timeout_ms for a daemon being restarted; then, when *dom
 * (may be NULL) belongs to an older connection, replace it with the same
 * domain on the current one.  0 when nothing was needed.  The agent calls
 * below do this themselves (once) when a connection drops under them;
 * holders of a domain call it before other work after such a failure.
 * DS_EINTERRUPTED names the URI and why it could not be reopened. */
int ds_lab_revive(ds_lab *lab, virDomainPtr *dom, int timeout_ms,
                  GError **err);

/* Look up a domain by name (validated first).  DS_ENOTFOUND names it.
 * The caller frees the result with virDomainFree. */
int ds_lab_domain(virDomainPtr *out, ds_lab *lab, const char *name,
                  GError **err);

/* Start a shut-off domain (no-op when running). */
int ds_lab_start(ds_lab *lab, virDomainPtr dom, GError **err);

/* Wait until the guest agent answers guest-ping, at most timeout_ms. */
int ds_lab_wait_agent(ds_lab *lab, virDomainPtr dom, int timeout_ms,
                      GError **err);

/* Send one guest agent command (a JSON object) and return its "return"
 * member.  DS_EUNSUPPORTED when the driver has no agent; DS_EINTERRUPTED
 * on timeout.  A connection lost during the call is reopened and the
 * command sent again when that is safe (it was not sent, or it only
 * reads); else DS_EINTERRUPTED "connection lost during COMMAND". */
int ds_lab_agent(json_t **out_return, ds_lab *lab, virDomainPtr dom,
                 json_t *command, int timeout_ms, GError **err);
/* The "return" member of an agent's reply text to command WHAT, or the
 * agent's own error; messages start "URI: DOMAIN: ". */
int ds_lab_agent_reply(json_t **out_return, const char *reply,
                       const char *uri, const char *domain, const char *what,
                       GError **err);

/* Reboot through the agent and wait for it to answer again (the boot id
 * changes), or shut down and wait for the domain to be off. */
int ds_lab_reboot(ds_lab *lab, virDomainPtr dom, int timeout_ms,
                  GError **err);
int ds_lab_shutdown(ds_lab *lab, virDomainPtr dom, int timeout_ms,
                    GError **err);
