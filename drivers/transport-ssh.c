/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/transport-ssh.c: the "ssh://[user@]host[:port]" transport: the
 * OpenSSH client in batch mode, host keys checked strictly, one master
 * connection reused by every command (ControlMaster), each remote command
 * a single line of arguments quoted by ds_shell_join; for a user other
 * than root that may become root, each command behind `sudo -n --`. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "drivers/scripts.h"
#include "drivers/transport-private.h"
#include "manifests/util/error.h"

#define SSH_DEFAULT_CONNECT_TIMEOUT_MS (10 * 1000)
#define SSH_CLOSE_TIMEOUT_MS (5 * 1000)
/* A server that stops answering in the middle of a stream (hung, stopped,
 * a dead link that drops packets) is given up after this many keepalives
 * of ServerAliveInterval seconds with no reply, whatever the command's own
 * timeout (minutes for a package transaction). */
#define SSH_ALIVE_INTERVAL_S "10"
#define SSH_ALIVE_COUNT_MAX "3"
/* sun_path holds 108 bytes; ssh adds "/" + 40 (%C) + 17 (temporary). */
#define SSH_CONTROL_DIR_MAX 48

typedef struct ssh_state {
    char *host;     /* for messages */
    char *user;     /* NULL: ssh's default */
    char *hostname; /* validated, brackets removed for IPv6 */
    char *port;     /* validated digits, "22" by default */
    char *dest;     /* "user@host" or "host" */
    char *where;    /* "host:port" for messages */
    char *control_dir;
    gboolean own_control_dir; /* created here, removed at close */
    gboolean used;            /* a master may be running */
    gboolean sudo;            /* commands run through `sudo -n --` */
    gboolean sudo_checked;    /* sudo ran `true` without a password */
    GPtrArray *base_argv;     /* "ssh" and options up to the destination */
    char **extras;            /* the allow-listed ssh_options */
    ds_transport_options opts;
} ssh_state;

static int parse_uri(ssh_state *s, const char *uri, GError **err)
{
    ds_ssh_target t;
    int rc;

    if ((rc = ds_ssh_parse_uri(&t, uri, err)) < 0)
        return ds_error_prefix(err, rc, "%s: ", s->host);
    s->user = g_steal_pointer(&t.user);
    s->hostname = g_steal_pointer(&t.hostname);
    s->port = g_steal_pointer(&t.port);
    s->dest = s->user ? g_strdup_printf("%s@%s", s->user, s->hostname)
                      : g_strdup(s->hostname);
    s->where = g_strdup_printf(strchr(s->hostname, ':') ? "[%s]:%s" : "%s:%s",
                               s->hostname, s->port);
    return 0;
}

static void add(GPtrArray *a, const char *s)
{
    g_ptr_array_add(a, g_strdup(s));
}

static void add_option(GPtrArray *a, const char *key, const char *value)
{
    add(a, "-o");
    g_ptr_array_add(a, g_strdup_printf("%s=%s", key, value));
}

static void add_extras(GPtrArray *a, const char *const *extras)
{
    for (gsize i = 0; extras && extras[i]; i++) {
        add(a, "-o");
        add(a, extras[i]);
    }
}

/* `ssh -O VERB` to the master connection (check, exit); its exit status,
 * or -1 when it could not be run. */
static int control(ssh_state *s, const char *verb)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    ds_transport_options o = s->opts;
    ds_run_result res = {.status = -1};
    g_autofree char *cp =
        g_strdup_printf("ControlPath=%s/%%C", s->control_dir);
    int status;

    add(argv, "ssh");
    add_extras(argv, (const char *const *)s->extras);
    add(argv, "-o");
    add(argv, cp);
    add(argv, "-O");
    add(argv, verb);
    add(argv, "-p");
    add(argv, s->port);
    add(argv, "--");
    add(argv, s->dest);
    g_ptr_array_add(argv, NULL);
    o.timeout_ms = SSH_CLOSE_TIMEOUT_MS;
    if (ds_transport_spawn((const char *const *)argv->pdata, NULL, &o, &res,
                           NULL) < 0)
        status = -1;
    else
        status = res.status;
    ds_run_result_clear(&res);
    return status;
}

static void ssh_close(void *state)
{
    ssh_state *s = state;

    if (!s)
        return;
    /* Stop the master; quietly, it may have gone already. */
    if (s->used && s->base_argv)
        control(s, "exit");
    if (s->own_control_dir && s->control_dir)
        rmdir(s->control_dir);
    if (s->base_argv)
        g_ptr_array_unref(s->base_argv);
    g_free(s->host);
    g_free(s->user);
    g_free(s->hostname);
    g_free(s->port);
    g_free(s->dest);
    g_free(s->where);
    g_free(s->control_dir);
    g_strfreev(s->extras);
    g_free(s);
}

static int ssh_open(void **state, const char *uri,
                    const ds_transport_options *opts, GError **err)
{
    ssh_state *s = g_new0(ssh_state, 1);
    int connect_ms = opts->connect_timeout_ms > 0
                         ? opts->connect_timeout_ms
                         : SSH_DEFAULT_CONNECT_TIMEOUT_MS;
    g_autofree char *timeout = NULL, *cp = NULL;
    GPtrArray *a;
    int rc;

    s->host = g_strdup(opts->host ? opts->host : "ssh");
    rc = parse_uri(s, uri, err);
    if (rc < 0)
        goto fail;
    if (!opts->host) {
        g_free(s->host);
        s->host = g_strdup(s->hostname);
    }
    /* The same checks as when the configuration was read. */
    if ((rc = ds_ssh_check(uri, opts, err)) < 0) {
        ds_error_prefix(err, rc, "%s: ", s->host);
        goto fail;
    }
    if (opts->control_dir) {
        s->control_dir = g_strdup(opts->control_dir);
    } else {
        /* A private directory; under /tmp when $TMPDIR is too long. */
        const char *tmp = g_get_tmp_dir();
        s->control_dir = g_build_filename(
            strlen(tmp) + 22 <= SSH_CONTROL_DIR_MAX ? tmp : "/tmp",
            "driftsync-ssh-XXXXXX", NULL);
        if (!g_mkdtemp(s->control_dir)) {
            rc = ds_error_set(err, DS_EGENERIC,
                              "%s: ssh control directory %s: %s", s->host,
                              s->control_dir, g_strerror(errno));
            goto fail;
        }
        s->own_control_dir = TRUE;
    }
    if (strlen(s->control_dir) > SSH_CONTROL_DIR_MAX) {
        rc = ds_error_set(err, DS_EINVALID,
                          "%s: ssh control directory %s is too long for a socket path (%d bytes at most)",
                          s->host, s->control_dir, SSH_CONTROL_DIR_MAX);
        goto fail;
    }

    s->extras = g_strdupv((char **)opts->ssh_options);
    a = s->base_argv = g_ptr_array_new_with_free_func(g_free);
    add(a, "ssh");
    /* ssh keeps the first value of each option: the extras come first so
     * that they take effect (ConnectTimeout, Port); being on the
     * allow-list, none can run a command or turn batch mode or host key
     * checks off. */
    add_extras(a, opts->ssh_options);
    add_option(a, "BatchMode", "yes");
    add_option(a, "StrictHostKeyChecking", "yes");
    add_option(a, "ControlMaster", "auto");
    cp = g_strdup_printf("%s/%%C", s->control_dir);
    add_option(a, "ControlPath", cp);
    add_option(a, "ControlPersist", "60");
    timeout = g_strdup_printf("%d", (connect_ms + 999) / 1000);
    add_option(a, "ConnectTimeout", timeout);
    add_option(a, "ServerAliveInterval", SSH_ALIVE_INTERVAL_S);
    add_option(a, "ServerAliveCountMax", SSH_ALIVE_COUNT_MAX);
    if (opts->known_hosts)
        add_option(a, "UserKnownHostsFile", opts->known_hosts);
    if (opts->identity_file) {
        add(a, "-i");
        add(a, opts->identity_file);
        add_option(a, "IdentitiesOnly", "yes");
    }
    add(a, "-p");
    add(a, s->port);
    add(a, s->dest);
    add(a, "--");

    /* A login as root needs no sudo (nor sudo installed). */
    s->sudo = opts->sudo && g_strcmp0(s->user, "root") != 0;
    s->opts.host = s->host;
    s->opts.timeout_ms = opts->timeout_ms;
    s->opts.max_output = opts->max_output;
    *state = s;
    return 0;
fail:
    ssh_close(s);
    return rc;
}

/* The last non-empty line of stderr, without "ssh: " and CR. */
static char *last_line(GBytes *err)
{
    gsize len = 0;
    const char *data = err ? g_bytes_get_data(err, &len) : NULL;
    g_autofree char *text = g_strndup(data ? data : "", len);
    g_auto(GStrv) lines = NULL;
    const char *found = "";

    g_strdelimit(text, "\r", '\n');
    lines = g_strsplit(text, "\n", -1);
    for (gsize i = 0; lines[i]; i++)
        if (*g_strstrip(lines[i]))
            found = lines[i];
    if (g_str_has_prefix(found, "ssh: "))
        found += 5;
    return g_strdup(found);
}

static gboolean err_has(GBytes *err, const char *what)
{
    gsize len = 0;
    const char *data = err ? g_bytes_get_data(err, &len) : NULL;

    return data && memmem(data, len, what, strlen(what)) != NULL;
}

/* Exit status 255 is ssh's own failure when stderr says so (a remote
 * command may exit 255 too; then it is passed on as a status). */
static int ssh_failure(ssh_state *s, const char *what, ds_run_result *res,
                       GError **err)
{
    static const char *const ssh_says[] = {
        "ssh: ",
        "Host key verification failed",
        "Permission denied (",
        "Connection closed",
        "Connection reset",
        "Connection timed out",
        "kex_exchange_identification",
        "Control socket",
        "mux_client",
        "Could not resolve",
        "Broken pipe",
    };
    g_autofree char *line = NULL;
    gboolean is_ssh = FALSE;

    if (res->status != 255)
        return 0;
    for (gsize i = 0; i < G_N_ELEMENTS(ssh_says); i++)
        is_ssh = is_ssh || err_has(res->err, ssh_says[i]);
    /* A master that dies under a command (the server stopped answering
     * its keepalives, or closed the connection) leaves the command's ssh
     * with status 255 and nothing on stderr; a command of the host's own
     * that exits 255 leaves the master alive. */
    if (!is_ssh && control(s, "check") != 0)
        return ds_error_set(err, DS_EINTERRUPTED,
                            "%s: ssh: connection to %s lost in the middle of `%s`: the server stopped answering ssh's keepalives or closed the connection",
                            s->host, s->where, what);
    if (!is_ssh)
        return 0;
    if (err_has(res->err, "REMOTE HOST IDENTIFICATION HAS CHANGED"))
        return ds_error_set(err, DS_EGENERIC,
                            "%s: ssh host key for %s does not match known_hosts (possible man-in-the-middle); refusing",
                            s->host, s->where);
    if (err_has(res->err, "Host key verification failed"))
        return ds_error_set(err, DS_EGENERIC,
                            "%s: ssh host key for %s is not in known_hosts; refusing",
                            s->host, s->where);
    line = last_line(res->err);
    return ds_error_set(
        err,
        strstr(line, "timed out") || strstr(line, "Connection closed") ||
                strstr(line, "Connection reset") || strstr(line, "Broken pipe")
            ? DS_EINTERRUPTED
            : DS_EGENERIC,
        "%s: ssh: %s", s->host, *line ? line : "connection failed");
}

/* Run argv remotely as it is.  Timeouts and the output limit are
 * reported about the file being read or written, or the command NAME,
 * not about "ssh" or "sudo". */
static int ssh_spawn(ssh_state *s, const char *const *argv, GBytes *stdin_data,
                     const char *file, const char *name,
                     ds_run_result *result, GError **err)
{
    const char *what = file ? file : name;
    g_autoptr(GPtrArray) full = g_ptr_array_new();
    g_autofree char *line = ds_shell_join(argv);
    g_autoptr(GError) e = NULL;
    int timeout_ms = s->opts.timeout_ms > 0 ? s->opts.timeout_ms
                                            : DS_TRANSPORT_DEFAULT_TIMEOUT_MS;
    gsize limit = s->opts.max_output ? s->opts.max_output
                                     : DS_TRANSPORT_DEFAULT_MAX_OUTPUT;
    int rc;

    for (guint i = 0; i < s->base_argv->len; i++)
        g_ptr_array_add(full, g_ptr_array_index(s->base_argv, i));
    g_ptr_array_add(full, line);
    g_ptr_array_add(full, NULL);
    s->used = TRUE;
    rc = ds_transport_spawn((const char *const *)full->pdata, stdin_data,
                            &s->opts, result, &e);
    if (rc == DS_EINTERRUPTED)
        return ds_error_set(err, rc, "%s: command timed out after %g s: %s",
                            s->host, timeout_ms / 1000.0, what);
    if (rc == DS_EINVALID)
        return ds_error_set(err, rc,
                            "%s: %s: %s over %" G_GSIZE_FORMAT " bytes",
                            s->host, what, file ? "file" : "output", limit);
    if (rc < 0) {
        g_propagate_error(err, g_steal_pointer(&e));
        return rc;
    }
    rc = ssh_failure(s, what, result, err);
    if (rc < 0)
        ds_run_result_clear(result);
    return rc;
}

/* Whether sudo runs a command for this user without asking for a
 * password: `sudo -n -- true` once, before the first command, so that a
 * refusal is told as what it is, not as the failure of whatever command
 * came first.  Its messages in English (LC_ALL=C) to be recognised. */
static int sudo_check(ssh_state *s, GError **err)
{
    static const char *const argv[] = {"env", "LC_ALL=C", "sudo", "-n",
                                       "--",  "true",     NULL};
    ds_run_result res = {.status = -1};
    g_autofree char *line = NULL;
    const char *user = s->user ? s->user : "the ssh user";
    int rc;

    if ((rc = ssh_spawn(s, argv, NULL, NULL, "sudo", &res, err)) < 0)
        return rc;
    if (res.status == 0) {
        s->sudo_checked = TRUE;
        ds_run_result_clear(&res);
        return 0;
    }
    line = last_line(res.err);
    if (res.status == 127)
        rc = ds_error_set(err, DS_EGENERIC,
                          "%s: become = sudo, but sudo is not installed on %s (%s)",
                          s->host, s->where, *line ? line : "not found");
    else if (err_has(res.err, "password is required") ||
             err_has(res.err, "terminal is required"))
        rc = ds_error_set(err, DS_EGENERIC,
                          "%s: sudo on %s wants a password for %s; become = sudo needs a NOPASSWD rule for that user in the host's sudoers",
                          s->host, s->where, user);
    else
        rc = ds_error_set(err, DS_EGENERIC,
                          "%s: sudo on %s refused to run commands for %s: %s",
                          s->host, s->where, user,
                          *line ? line : "no reason given");
    ds_run_result_clear(&res);
    return rc;
}

/* Run argv remotely, behind `sudo -n --` when the host says so. */
static int ssh_exec(ssh_state *s, const char *const *argv, GBytes *stdin_data,
                    const char *file, ds_run_result *result, GError **err)
{
    g_autoptr(GPtrArray) wrapped = NULL;
    int rc;

    if (!s->sudo)
        return ssh_spawn(s, argv, stdin_data, file, argv[0], result, err);
    if (!s->sudo_checked && (rc = sudo_check(s, err)) < 0)
        return rc;
    wrapped = g_ptr_array_new();
    g_ptr_array_add(wrapped, (gpointer) "sudo");
    g_ptr_array_add(wrapped, (gpointer) "-n");
    g_ptr_array_add(wrapped, (gpointer) "--");
    for (gsize i = 0; argv[i]; i++)
        g_ptr_array_add(wrapped, (gpointer)argv[i]);
    g_ptr_array_add(wrapped, NULL);
    return ssh_spawn(s, (const char *const *)wrapped->pdata, stdin_data, file,
                     argv[0], result, err);
}

static int ssh_run(void *state, const char *const *argv, GBytes *stdin_data,
                   ds_run_result *result, GError **err)
{
    return ssh_exec(state, argv, stdin_data, NULL, result, err);
}

static int remote_failure(ssh_state *s, const char *what, const char *path,
                          ds_run_result *res, GError **err)
{
    g_autofree char *line = last_line(res->err);
    const char *cause = line;
    const char *p = g_strrstr(line, ": ");

    if (p && (strstr(line, path) || g_str_has_prefix(line, "cat:")))
        cause = p + 2; /* "cat: /x: No such file" -> "No such file" */
    return ds_error_set(
        err,
        strstr(cause, "No such file") || strstr(cause, "nonexistent")
            ? DS_ENOTFOUND
            : DS_EGENERIC,
        "%s: cannot %s %s: %s", s->host, what, path, *cause ? cause : "failed");
}

static int ssh_read_file(void *state, const char *path, GBytes **out,
                         GError **err)
{
    ssh_state *s = state;
    const char *argv[] = {"env", "LC_ALL=C", "cat", "--", path, NULL};
    ds_run_result res = {.status = -1};
    int rc;

    rc = ssh_exec(s, argv, NULL, path, &res, err);
    if (rc < 0)
        return rc;
    if (res.status != 0)
        rc = remote_failure(s, "read", path, &res, err);
    else
        *out = g_steal_pointer(&res.out);
    ds_run_result_clear(&res);
    return rc;
}

/* The data goes through stdin; the paths and mode are positional
 * arguments of a fixed script (drivers/scripts/ssh-write.sh), quoted like
 * every other argument. */
static int ssh_write_file(void *state, const char *path, GBytes *data,
                          guint mode, GError **err)
{
    ssh_state *s = state;
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *tmp = NULL, *mode_s = g_strdup_printf("%04o", mode);
    g_autoptr(GBytes) empty = g_bytes_new_static("", 0);
    ds_run_result res = {.status = -1};
    const char *argv[] = {"env", "LC_ALL=C", "sh",   "-c", ds_script_ssh_write,
                          "sh",  NULL,       mode_s, path, NULL};
    int rc;

    if (!base[0] || !strcmp(base, ".") || !strcmp(base, "..") ||
        !strcmp(base, "/"))
        return ds_error_set(err, DS_EINVALID, "%s: %s is not a file path",
                            s->host, path);
    tmp = g_strdup_printf("%s%s.%s.ds-%08x", dir,
                          g_str_has_suffix(dir, "/") ? "" : "/", base,
                          g_random_int());
    argv[6] = tmp;
    rc = ssh_exec(s, argv, data ? data : empty, path, &res, err);
    if (rc < 0)
        return rc;
    if (res.status != 0)
        rc = remote_failure(s, "write", path, &res, err);
    ds_run_result_clear(&res);
    return rc;
}

const ds_transport_ops ds_transport_ssh_ops = {
    .scheme = "ssh",
    .open = ssh_open,
    .run = ssh_run,
    .read_file = ssh_read_file,
    .write_file = ssh_write_file,
    .fetch = NULL,
    .close = ssh_close,
    .check = ds_ssh_check,
};
