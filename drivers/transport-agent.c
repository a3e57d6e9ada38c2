/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/transport-agent.c: the "agent:DOMAIN" transport: run commands
 * and read or write files in a libvirt guest through qemu-guest-agent
 * (guest-exec, guest-file-*), with no network and no shell in between. */
#include <config.h>

#include <string.h>

#include "drivers/libvirt.h"
#include "drivers/transport-agent.h"
#include "drivers/transport-agent-reply.h"
#include "manifests/util/autoptr.h"
#include "manifests/util/error.h"

#define AGENT_DEFAULT_URI "qemu:///system"
#define AGENT_CALL_MS (30 * 1000) /* one agent round trip */
#define AGENT_CHUNK (48 * 1024)   /* guest-file-read/write, raw bytes */
/* libvirt carries an agent command and its reply as one RPC string of at
 * most 4 MiB; keep stdin well below that once base64-encoded. */
#define AGENT_MAX_STDIN (2 * 1024 * 1024)

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ds_agent_exec_reply,
                                 ds_agent_exec_reply_clear)

typedef struct agent_state {
    ds_lab *lab;
    virDomainPtr dom;
    char *host;       /* for messages: opts->host or the domain name */
    int timeout_ms;   /* per command */
    gsize max_output; /* per stream / per file */
} agent_state;

static void agent_close(void *state)
{
    agent_state *st = state;

    if (!st)
        return;
    if (st->dom)
        virDomainFree(st->dom);
    ds_lab_free(st->lab);
    g_free(st->host);
    g_free(st);
}

static int agent_open(void **state, const char *uri,
                      const ds_transport_options *opts, GError **err)
{
    const char *name;
    const char *lab_uri;
    agent_state *st;
    int rc;

    *state = NULL;
    if (!uri || !g_str_has_prefix(uri, "agent:"))
        return ds_error_set(err, DS_EINVALID,
                            "%s: not an agent:DOMAIN URI", uri ? uri : "");
    name = uri + strlen("agent:");
    if (g_str_has_prefix(name, "//"))
        name += 2; /* agent://DOMAIN reads the same */
    lab_uri = opts && opts->libvirt_uri ? opts->libvirt_uri
                                        : AGENT_DEFAULT_URI;

    st = g_new0(agent_state, 1);
    st->host = g_strdup(opts && opts->host ? opts->host : name);
    st->timeout_ms = opts && opts->timeout_ms > 0
                         ? opts->timeout_ms
                         : DS_TRANSPORT_DEFAULT_TIMEOUT_MS;
    st->max_output = opts && opts->max_output > 0
                         ? opts->max_output
                         : DS_TRANSPORT_DEFAULT_MAX_OUTPUT;
    if ((rc = ds_lab_open(&st->lab, lab_uri, err)) < 0 ||
        (rc = ds_lab_domain(&st->dom, st->lab, name, err)) < 0) {
        agent_close(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* After the libvirt connection was reopened (by a call that found it
 * lost): this domain handle moved onto the new connection. */
static void agent_refresh(agent_state *st)
{
    if (virDomainGetConnect(st->dom) != ds_lab_conn(st->lab))
        ds_lab_revive(st->lab, &st->dom, 0, NULL);
}

/* One agent command built with json_pack's format; returns "return". */
static int agent_call(agent_state *st, json_t **out, int timeout_ms,
                      GError **err, json_t *cmd)
{
    int rc;

    *out = NULL;
    if (!cmd)
        return ds_error_set(err, DS_EINVALID,
                            "%s: cannot build agent command", st->host);
    agent_refresh(st);
    rc = ds_lab_agent(out, st->lab, st->dom, cmd, timeout_ms, err);
    json_decref(cmd);
    return rc;
}

static gboolean agent_path_is_safe(const char *path)
{
    if (!path || path[0] != '/' || strlen(path) > 4000)
        return FALSE;
    for (const char *p = path; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return FALSE;
    }
    /* no ".." component */
    for (const char *p = strstr(path, ".."); p; p = strstr(p + 1, "..")) {
        if (p[-1] == '/' && (p[2] == '/' || p[2] == '\0'))
            return FALSE;
    }
    return TRUE;
}

/* Kill a guest process that ran out of time and collect its record so the
 * agent forgets it. */
static void agent_kill(agent_state *st, json_int_t pid)
{
    g_autofree char *spid = g_strdup_printf("%" JSON_INTEGER_FORMAT, pid);
    g_autoptr(json_t) ret = NULL, status = NULL;
    json_int_t kpid;

    /* minbase has no kill(1): the shell's builtin, the pid as argv */
    if (agent_call(st, &ret, AGENT_CALL_MS, NULL,
                   json_pack("{s:s,s:{s:s,s:[s,s,s,s]}}", "execute",
                             "guest-exec", "arguments", "path", "/bin/sh",
                             "arg", "-c", "kill -KILL \"$1\"", "sh",
                             spid)) < 0)
        return;
    kpid = json_integer_value(json_object_get(ret, "pid"));
    for (int i = 0; i < 50; i++) {
        g_clear_pointer(&status, json_decref);
        if (agent_call(st, &status, AGENT_CALL_MS, NULL,
                       json_pack("{s:s,s:{s:I}}", "execute",
                                 "guest-exec-status", "arguments", "pid",
                                 kpid)) < 0 ||
            json_is_true(json_object_get(status, "exited")))
            break;
        g_usleep(20 * 1000);
    }
    for (int i = 0; i < 50; i++) {
        g_clear_pointer(&status, json_decref);
        if (agent_call(st, &status, AGENT_CALL_MS, NULL,
                       json_pack("{s:s,s:{s:I}}", "execute",
                                 "guest-exec-status", "arguments", "pid",
                                 pid)) < 0 ||
            json_is_true(json_object_get(status, "exited")))
            break;
        g_usleep(20 * 1000);
    }
}

/* guest-exec argv, wait until it exits (at most timeout_ms; then it is
 * killed and *timed_out set), return the final guest-exec-status object.
 * `label` names the command in messages (argv[0] when NULL). */
static int agent_exec(json_t **out, agent_state *st, const char *label,
                      const char *const *argv, GBytes *stdin_data,
                      int timeout_ms, gboolean *timed_out, GError **err)
{
    g_autoptr(json_t) args = json_array();
    g_autoptr(json_t) cmd = NULL;
    g_autoptr(json_t) ret = NULL;
    gint64 deadline;
    json_int_t pid;
    gulong sleep_us = 2000;
    int rc;

    *out = NULL;
    if (timed_out)
        *timed_out = FALSE;
    if (!argv || !argv[0] || !*argv[0])
        return ds_error_set(err, DS_EINVALID, "%s: empty command",
                            st->host);
    if (!label)
        label = argv[0];
    for (int i = 0; argv[i]; i++) {
        if (!g_utf8_validate(argv[i], -1, NULL))
            return ds_error_set(err, DS_EINVALID,
                                "%s: %s: an argument is not UTF-8 (the guest agent speaks JSON)", st->host,
                                g_utf8_validate(label, -1, NULL) ? label
                                                                 : "command");
        if (i > 0)
            json_array_append_new(args, json_string(argv[i]));
    }
    cmd = json_pack("{s:s,s:{s:s,s:O,s:b}}", "execute", "guest-exec",
                    "arguments", "path", argv[0], "arg", args,
                    "capture-output", TRUE);
    if (stdin_data && g_bytes_get_size(stdin_data) > 0) {
        gsize len;
        const guchar *d = g_bytes_get_data(stdin_data, &len);
        g_autofree char *b64 = NULL;

        if (len > AGENT_MAX_STDIN)
            return ds_error_set(err, DS_EINVALID,
                                "%s: %s: %" G_GSIZE_FORMAT " bytes of input exceed the agent transport's limit of %d",
                                st->host, label, len, AGENT_MAX_STDIN);
        b64 = g_base64_encode(d, len);
        json_object_set_new(json_object_get(cmd, "arguments"), "input-data",
                            json_string(b64));
    }
    deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    agent_refresh(st);
    if ((rc = ds_lab_agent(&ret, st->lab, st->dom, cmd, AGENT_CALL_MS,
                           err)) < 0) {
        /* qemu-ga could not spawn it: g_spawn's text says why */
        if (err && *err &&
            strstr((*err)->message, "No such file or directory")) {
            g_clear_error(err);
            return ds_error_set(err, DS_ENOTFOUND,
                                "%s: %s: no such program in the guest",
                                st->host, label);
        }
        return ds_error_prefix(err, rc, "%s: running %s: ", st->host, label);
    }
    pid = json_integer_value(json_object_get(ret, "pid"));

    for (;;) {
        g_autoptr(json_t) status = NULL;

        rc = agent_call(st, &status, AGENT_CALL_MS, err,
                        json_pack("{s:s,s:{s:I}}", "execute",
                                  "guest-exec-status", "arguments", "pid",
                                  pid));
        if (rc < 0)
            return ds_error_prefix(err, rc, "%s: waiting for %s: ",
                                   st->host, label);
        if (json_is_true(json_object_get(status, "exited"))) {
            *out = g_steal_pointer(&status);
            return 0;
        }
        if (g_get_monotonic_time() >= deadline) {
            agent_kill(st, pid);
            if (timed_out)
                *timed_out = TRUE;
            return ds_error_set(err, DS_EINTERRUPTED,
                                "%s: %s did not finish within %d ms (killed)", st->host, label, timeout_ms);
        }
        /* short commands answer within a few ms; back off for long ones */
        g_usleep(sleep_us);
        sleep_us = MIN(sleep_us * 2, 100 * 1000);
    }
}

static int agent_file_close(agent_state *st, json_t *handle, GError **err)
{
    g_autoptr(json_t) ret = NULL;

    return agent_call(st, &ret, AGENT_CALL_MS, err,
                      json_pack("{s:s,s:{s:O}}", "execute", "guest-file-close",
                                "arguments", "handle", handle));
}

/* guest-file-open errors carry the guest's strerror text. */
static int agent_file_error(GError **err, int rc, agent_state *st,
                            const char *path)
{
    if (err && *err && strstr((*err)->message, "No such file or directory")) {
        g_clear_error(err);
        return ds_error_set(err, DS_ENOTFOUND, "%s: %s: no such file",
                            st->host, path);
    }
    return ds_error_prefix(err, rc, "%s: %s: ", st->host, path);
}

/* Read a guest file in chunks, refusing more than `limit` bytes. */
static int agent_read(agent_state *st, const char *path, gsize limit,
                      GBytes **out, GError **err)
{
    g_autoptr(json_t) handle = NULL;
    g_autoptr(GByteArray) buf = g_byte_array_new();
    int rc;

    *out = NULL;
    rc = agent_call(st, &handle, AGENT_CALL_MS, err,
                    json_pack("{s:s,s:{s:s,s:s}}", "execute",
                              "guest-file-open", "arguments", "path", path,
                              "mode", "r"));
    if (rc < 0)
        return agent_file_error(err, rc, st, path);

    for (;;) {
        g_autoptr(json_t) chunk = NULL;
        gboolean eof = FALSE;

        rc = agent_call(st, &chunk, AGENT_CALL_MS, err,
                        json_pack("{s:s,s:{s:O,s:i}}", "execute",
                                  "guest-file-read", "arguments", "handle",
                                  handle, "count", AGENT_CHUNK));
        if (rc < 0)
            break;
        rc = ds_agent_parse_read(buf, &eof, chunk, limit, st->host, path,
                                 err);
        if (rc < 0 || eof)
            break;
    }
    /* always close, also after an error (keep the first error) */
    agent_file_close(st, handle, rc < 0 ? NULL : err);
    if (rc < 0)
        return ds_error_prefix(err, rc, "%s: reading %s: ", st->host, path);
    *out = g_byte_array_free_to_bytes(g_steal_pointer(&buf));
    return 0;
}

static int agent_read_file(void *state, const char *path, GBytes **out,
                           GError **err)
{
    agent_state *st = state;

    *out = NULL;
    if (!agent_path_is_safe(path))
        return ds_error_set(err, DS_EINVALID, "%s: refusing unsafe path",
                            st->host);
    return agent_read(st, path, st->max_output, out, err);
}

/* Every command runs under this fixed script; the command itself is
 * "$@", argv passed as positional parameters, never parsed by a shell.
 * Why not guest-exec's capture alone: libvirt gives up on an agent reply
 * over 10 MiB and then declares the domain's agent broken until the guest
 * reopens its port, and its RPC refuses strings over 4 MiB.  So output
 * goes to files in a fresh private directory; up to INLINE bytes per
 * stream come back in the guest-exec-status reply, anything larger is
 * left there and read with guest-file-read, within max_output.  The pid
 * is kept so a timeout can kill the command itself.
 *   $1 DIR  $2 TOKEN  $3 INLINE  $4 STDIN(0|1)  $5... the command */
static const char agent_wrapper[] =
    "d=$1 t=$2 l=$3 i=$4; shift 4\n"
    "command -v \"$1\" >/dev/null || { echo \"$t notfound\"; exit 127; }\n"
    "mkdir -m 700 \"$d\" || { echo \"$t mkdir\"; exit 125; }\n"
    "if [ \"$i\" = 1 ]; then exec 3<&0; else exec 3</dev/null; fi\n"
    "\"$@\" <&3 >\"$d/o\" 2>\"$d/e\" &\n"
    "echo $! >\"$d/p\"\n"
    "wait $!; r=$?\n"
    "exec 3<&-\n"
    "set -- $(stat -c %s \"$d/o\" \"$d/e\")\n"
    "if [ \"$1\" -le \"$l\" ] && [ \"$2\" -le \"$l\" ]; then\n"
    "  cat \"$d/o\"; cat \"$d/e\" >&2; rm -rf \"$d\"; exit \"$r\"\n"
    "fi\n"
    "echo \"$t $r $1 $2\"\n";

/* Largest output per stream returned inline (base64 of both streams
 * stays well under libvirt's 4 MiB string limit). */
#define AGENT_INLINE (1024 * 1024)

/* Remove the command's directory, killing the command if it still runs
 * (after a timeout only the wrapper was killed). */
static void agent_cleanup(agent_state *st, const char *dir)
{
    const char *kill_argv[] = {
        "/bin/sh", "-c",
        "[ -s \"$1/p\" ] && kill -KILL \"$(cat \"$1/p\")\" 2>/dev/null; "
        "rm -rf \"$1\"",
        "sh", dir, NULL};
    g_autoptr(json_t) status = NULL;

    agent_exec(&status, st, "cleanup", kill_argv, NULL, AGENT_CALL_MS, NULL,
               NULL);
}

/* The wrapper left large output in DIR: fetch it within the limit. */
static int agent_spilled(agent_state *st, const char *cmd, const char *dir,
                         const ds_agent_exec_reply *rep,
                         ds_run_result *result, GError **err)
{
    g_autofree char *o = g_build_filename(dir, "o", NULL);
    g_autofree char *e = g_build_filename(dir, "e", NULL);
    int rc;

    if ((rc = agent_read(st, o, st->max_output, &result->out, err)) < 0 ||
        (rc = agent_read(st, e, st->max_output, &result->err, err)) < 0)
        return ds_error_prefix(err, rc, "%s: output: ", cmd);
    result->status = rep->status;
    return 0;
}

static int agent_run(void *state, const char *const *argv,
                     GBytes *stdin_data, ds_run_result *result, GError **err)
{
    agent_state *st = state;
    g_autoptr(json_t) status = NULL;
    g_autoptr(GPtrArray) wargv = g_ptr_array_new();
    g_autofree char *dir = NULL, *token = NULL, *inline_max = NULL;
    g_auto(ds_agent_exec_reply) rep = {.status = -1};
    gboolean has_stdin = stdin_data && g_bytes_get_size(stdin_data) > 0;
    gboolean timed_out = FALSE;
    int rc = 0;

    result->status = -1;
    result->out = result->err = NULL;
    if (!argv || !argv[0] || !*argv[0])
        return ds_error_set(err, DS_EINVALID, "%s: empty command",
                            st->host);
    dir = g_strdup_printf("/tmp/.driftsync-%08x%08x%08x", g_random_int(),
                          g_random_int(), g_random_int());
    token = g_strdup_printf("driftsync-%08x%08x%08x%08x", g_random_int(),
                            g_random_int(), g_random_int(), g_random_int());
    inline_max = g_strdup_printf("%" G_GSIZE_FORMAT,
                                 MIN((gsize)AGENT_INLINE, st->max_output));
    g_ptr_array_add(wargv, (char *)"/bin/sh");
    g_ptr_array_add(wargv, (char *)"-c");
    g_ptr_array_add(wargv, (char *)agent_wrapper);
    g_ptr_array_add(wargv, (char *)"driftsync");
    g_ptr_array_add(wargv, dir);
    g_ptr_array_add(wargv, token);
    g_ptr_array_add(wargv, inline_max);
    g_ptr_array_add(wargv, (char *)(has_stdin ? "1" : "0"));
    for (int i = 0; argv[i]; i++)
        g_ptr_array_add(wargv, (char *)argv[i]);
    g_ptr_array_add(wargv, NULL);

    rc = agent_exec(&status, st, argv[0], (const char *const *)wargv->pdata,
                    stdin_data, st->timeout_ms, &timed_out, err);
    if (timed_out) /* only the wrapper was killed: now the command */
        agent_cleanup(st, dir);
    if (rc < 0)
        return rc;
    rc = ds_agent_parse_exec(&rep, status, token, st->max_output, st->host,
                             argv[0], err);
    if (rc < 0) {
        if (rc != DS_ENOTFOUND) /* no such program: no directory made */
            agent_cleanup(st, dir);
        return rc;
    }
    if (rep.spilled) {
        rc = agent_spilled(st, argv[0], dir, &rep, result, err);
        agent_cleanup(st, dir);
        if (rc < 0)
            ds_run_result_clear(result);
        return rc;
    }
    result->out = g_steal_pointer(&rep.out);
    result->err = g_steal_pointer(&rep.err);
    result->status = rep.status;
    return 0;
}

/* Run a helper in the guest (chmod, mv, rm) and insist on success. */
static int agent_helper(agent_state *st, const char *const *argv,
                        GError **err)
{
    g_autoptr(json_t) status = NULL;
    g_auto(ds_agent_exec_reply) rep = {.status = -1};
    int rc;

    if ((rc = agent_exec(&status, st, NULL, argv, NULL, AGENT_CALL_MS, NULL,
                         err)) < 0)
        return rc;
    if ((rc = ds_agent_parse_exec(&rep, status, NULL, st->max_output,
                                  st->host, argv[0], err)) < 0)
        return rc;
    if (rep.status != 0) {
        gsize n = 0;
        const char *d = rep.err ? g_bytes_get_data(rep.err, &n) : NULL;
        g_autofree char *msg = ds_error_text(d, (gssize)n);

        return ds_error_set(err, DS_EGENERIC, "%s: %s exited with %d: %s",
                            st->host, argv[0], rep.status, msg);
    }
    return 0;
}

static int agent_write_chunks(agent_state *st, json_t *handle, GBytes *data,
                              GError **err)
{
    gsize len;
    const guchar *d = g_bytes_get_data(data, &len);

    for (gsize off = 0; off < len; off += AGENT_CHUNK) {
        gsize n = MIN(AGENT_CHUNK, len - off);
        g_autofree char *b64 = g_base64_encode(d + off, n);
        g_autoptr(json_t) ret = NULL;
        int rc;

        rc = agent_call(st, &ret, AGENT_CALL_MS, err,
                        json_pack("{s:s,s:{s:O,s:s,s:I}}", "execute",
                                  "guest-file-write", "arguments", "handle",
                                  handle, "buf-b64", b64, "count",
                                  (json_int_t)n));
        if (rc < 0)
            return rc;
        if ((gsize)json_integer_value(json_object_get(ret, "count")) != n)
            return ds_error_set(err, DS_EGENERIC, "short write in the guest");
    }
    return 0;
}

static int agent_write_file(void *state, const char *path, GBytes *data,
                            guint mode, GError **err)
{
    agent_state *st = state;
    g_autoptr(json_t) handle = NULL;
    g_autofree char *tmp = NULL;
    g_autofree char *smode = g_strdup_printf("%o", mode & 07777);
    g_autoptr(GBytes) empty = NULL;
    int rc;

    if (!agent_path_is_safe(path) || g_str_has_suffix(path, "/"))
        return ds_error_set(err, DS_EINVALID, "%s: refusing unsafe path",
                            st->host);
    if (!data)
        data = empty = g_bytes_new(NULL, 0);
    /* a temporary file next to the target, renamed over it at the end, so
     * the target is never half-written */
    tmp = g_strdup_printf("%s.driftsync-%08x%08x", path, g_random_int(),
                          g_random_int());
    rc = agent_call(st, &handle, AGENT_CALL_MS, err,
                    json_pack("{s:s,s:{s:s,s:s}}", "execute",
                              "guest-file-open", "arguments", "path", tmp,
                              "mode", "w"));
    if (rc < 0)
        return agent_file_error(err, rc, st, path);
    rc = agent_write_chunks(st, handle, data, err);
    if (agent_file_close(st, handle, rc < 0 ? NULL : err) < 0 && rc == 0)
        rc = DS_EGENERIC;
    if (rc == 0) {
        const char *chmod_argv[] = {"chmod", smode, "--", tmp, NULL};
        const char *mv_argv[] = {"mv", "-f", "-T", "--", tmp, path, NULL};

        rc = agent_helper(st, chmod_argv, err);
        if (rc == 0)
            rc = agent_helper(st, mv_argv, err);
    }
    if (rc < 0) {
        const char *rm_argv[] = {"rm", "-f", "--", tmp, NULL};

        agent_helper(st, rm_argv, NULL);
        return ds_error_prefix(err, rc, "%s: writing %s: ", st->host, path);
    }
    return 0;
}

const ds_transport_ops ds_transport_agent_ops = {
    .scheme = "agent",
    .open = agent_open,
    .run = agent_run,
    .read_file = agent_read_file,
    .write_file = agent_write_file,
    .fetch = NULL,
    .close = agent_close,
};
