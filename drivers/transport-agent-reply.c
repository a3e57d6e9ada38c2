/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/transport-agent-reply.c: every byte a guest chooses in its
 * answers to the agent transport is read here, apart from the round
 * trips, so that tests and the fuzzer reach it without a guest. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "drivers/transport-agent-reply.h"
#include "manifests/util/error.h"

void ds_agent_exec_reply_clear(ds_agent_exec_reply *r)
{
    g_clear_pointer(&r->out, g_bytes_unref);
    g_clear_pointer(&r->err, g_bytes_unref);
}

/* Decode a base64 member into bytes, refusing more than `limit`. */
static int decode(GBytes **out, json_t *obj, const char *member,
                  gsize limit, const char *host, const char *what,
                  GError **err)
{
    const char *b64 = json_string_value(json_object_get(obj, member));
    guchar *raw;
    gsize len = 0;

    *out = NULL;
    if (!b64 || !*b64) {
        *out = g_bytes_new(NULL, 0);
        return 0;
    }
    /* base64 is 4 characters per 3 bytes: check before decoding */
    if (strlen(b64) / 4 * 3 > limit + 2)
        return ds_error_set(err, DS_EINVALID,
                            "%s: %s: output over %" G_GSIZE_FORMAT " bytes",
                            host, what, limit);
    raw = g_base64_decode(b64, &len);
    if (len > limit) {
        g_free(raw);
        return ds_error_set(err, DS_EINVALID,
                            "%s: %s: output over %" G_GSIZE_FORMAT " bytes",
                            host, what, limit);
    }
    *out = g_bytes_new_take(raw, len);
    return 0;
}

static int status_of(json_t *status)
{
    json_t *code = json_object_get(status, "exitcode");
    json_t *sig = json_object_get(status, "signal");

    if (json_is_integer(sig))
        return 128 + (int)json_integer_value(sig);
    if (json_is_integer(code))
        return (int)json_integer_value(code);
    return -1;
}

/* The wrapper's note "TOKEN WORDS" on stdout, as one line, or NULL. */
static char *wrapper_note(GBytes *out, const char *token)
{
    gsize len, tlen = token ? strlen(token) : 0;
    const char *data = g_bytes_get_data(out, &len);

    if (!token)
        return NULL;
    if (len > tlen && len < 200 && memcmp(data, token, tlen) == 0 &&
        data[tlen] == ' ')
        return g_strndup(data + tlen + 1, len - tlen - 1);
    return NULL;
}

/* A guest command's stderr, for a one-line message. */
static char *show_stderr(GBytes *errb)
{
    gsize n = 0;
    const char *d = errb ? g_bytes_get_data(errb, &n) : NULL;

    return ds_error_text(d, (gssize)n);
}

static int read_note(ds_agent_exec_reply *r, const char *note, GBytes *errb,
                     gsize max_output, const char *host, const char *cmd,
                     GError **err)
{
    int status;

    if (g_str_has_prefix(note, "notfound"))
        return ds_error_set(err, DS_ENOTFOUND,
                            "%s: cannot run %s: no such program in the guest", host, cmd);
    if (g_str_has_prefix(note, "mkdir")) {
        g_autofree char *why = show_stderr(errb);

        return ds_error_set(err, DS_EGENERIC,
                            "%s: %s: cannot make a private directory in the guest's /tmp: %s", host, cmd, why);
    }
    if (sscanf(note, "%d %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, &status,
               &r->out_size, &r->err_size) != 3)
        return ds_error_set(err, DS_EGENERIC,
                            "%s: %s: unreadable reply from the guest", host,
                            cmd);
    if (r->out_size > max_output || r->err_size > max_output)
        return ds_error_set(err, DS_EINVALID,
                            "%s: %s: output over %" G_GSIZE_FORMAT " bytes (%" G_GUINT64_FORMAT " bytes)", host, cmd,
                            max_output, MAX(r->out_size, r->err_size));
    r->spilled = TRUE;
    r->status = status;
    return 0;
}

int ds_agent_parse_exec(ds_agent_exec_reply *out, json_t *status,
                        const char *token, gsize max_output,
                        const char *host, const char *cmd, GError **err)
{
    ds_agent_exec_reply r = {.status = -1};
    g_autofree char *note = NULL;
    int rc;

    *out = (ds_agent_exec_reply){.status = -1};
    if ((rc = decode(&r.out, status, "out-data", max_output, host, cmd,
                     err)) < 0 ||
        (rc = decode(&r.err, status, "err-data", max_output, host, cmd,
                     err)) < 0)
        goto fail;
    if ((note = wrapper_note(r.out, token))) {
        if ((rc = read_note(&r, note, r.err, max_output, host, cmd, err)) < 0)
            goto fail;
        ds_agent_exec_reply_clear(&r);
        *out = r;
        return 0;
    }
    r.status = status_of(status);
    *out = r;
    return 0;
fail:
    ds_agent_exec_reply_clear(&r);
    return rc;
}

int ds_agent_parse_read(GByteArray *buf, gboolean *eof, json_t *chunk,
                        gsize limit, const char *host, const char *path,
                        GError **err)
{
    const char *b64 = json_string_value(json_object_get(chunk, "buf-b64"));

    if (b64 && *b64) {
        gsize len;
        g_autofree guchar *raw = g_base64_decode(b64, &len);

        if (len > limit || buf->len > limit - len)
            return ds_error_set(err, DS_EINVALID,
                                "%s: %s: file over %" G_GSIZE_FORMAT " bytes",
                                host, path, limit);
        g_byte_array_append(buf, raw, len);
    }
    *eof = json_is_true(json_object_get(chunk, "eof")) ||
           json_integer_value(json_object_get(chunk, "count")) == 0;
    return 0;
}
