/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/transport-agent-reply.h: reading what a guest answers to the
 * agent transport (guest-exec-status records, the command wrapper's
 * notes, guest-file-read chunks); not a public API. */
#pragma once

#include <glib.h>
#include <jansson.h>

/* What a guest-exec-status record of the wrapped command says. */
typedef struct ds_agent_exec_reply {
    GBytes *out, *err; /* the streams returned inline */
    int status;        /* exit status, 128+signal, or -1 */
    /* the output was too large and left in the guest's directory: */
    gboolean spilled;
    guint64 out_size, err_size;
} ds_agent_exec_reply;
void ds_agent_exec_reply_clear(ds_agent_exec_reply *r);

/* Read a finished guest-exec-status record of a command run under the
 * wrapper whose note lines start with TOKEN (NULL: not wrapped).  Streams over max_output
 * bytes are refused (DS_EINVALID); the wrapper's notes become
 * DS_ENOTFOUND (no such program), DS_EGENERIC (no private directory, or
 * an unreadable note).  Messages start "HOST: CMD: ". */
int ds_agent_parse_exec(ds_agent_exec_reply *out, json_t *status,
                        const char *token, gsize max_output,
                        const char *host, const char *cmd, GError **err);

/* Append a guest-file-read reply's bytes to buf, refusing to grow it past
 * limit (DS_EINVALID, naming HOST and PATH); *eof when the file ended. */
int ds_agent_parse_read(GByteArray *buf, gboolean *eof, json_t *chunk,
                        gsize limit, const char *host, const char *path,
                        GError **err);

