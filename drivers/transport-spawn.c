/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/transport-spawn.c: the process runner the local and ssh
 * transports share: argv without a shell, stdin fed, stdout and stderr
 * captured up to a limit, the whole process group killed on timeout. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drivers/transport.h"
#include "manifests/util/error.h"

static void child_setup(gpointer data)
{
    (void)data;
    setpgid(0, 0); /* own process group: a timeout kills all of it */
}

static void kill_group(GPid pid)
{
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
}

/* Read what is available from *fd into buf; close it at end of file. */
static int drain(int *fd, GByteArray *buf, gsize limit)
{
    guint8 chunk[65536];

    for (;;) {
        ssize_t n = read(*fd, chunk, sizeof(chunk));
        if (n > 0) {
            g_byte_array_append(buf, chunk, (guint)n);
            if (buf->len > limit)
                return -1;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        close(*fd); /* end of file or error */
        *fd = -1;
        return 0;
    }
}

static gint64 remaining_ms(gint64 deadline)
{
    gint64 left = (deadline - g_get_monotonic_time()) / 1000;
    return left < 0 ? 0 : left;
}

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* One child's pipes and what came out of them. */
typedef struct spawn_io {
    int in_fd, out_fd, err_fd;
    const guint8 *in_buf;
    gsize in_len, in_off;
    GByteArray *out, *errb;
    gsize limit;
} spawn_io;

/* Feed stdin, read stdout and stderr until both close or the deadline:
 * 0, DS_EINTERRUPTED (timed out), DS_EINVALID (output over the limit), or
 * an error set. */
static int pump(spawn_io *io, gint64 deadline, const char *host,
                const char *cmd, GError **err)
{
    while (io->out_fd >= 0 || io->err_fd >= 0) {
        struct pollfd p[3];
        int np = 0, ipo = -1, ipe = -1, ipi = -1;
        gint64 left = remaining_ms(deadline);

        if (left == 0)
            return DS_EINTERRUPTED;
        if (io->out_fd >= 0) {
            ipo = np;
            p[np++] = (struct pollfd){.fd = io->out_fd, .events = POLLIN};
        }
        if (io->err_fd >= 0) {
            ipe = np;
            p[np++] = (struct pollfd){.fd = io->err_fd, .events = POLLIN};
        }
        if (io->in_fd >= 0) {
            ipi = np;
            p[np++] = (struct pollfd){.fd = io->in_fd, .events = POLLOUT};
        }
        if (poll(p, np, (int)MIN(left, G_MAXINT)) < 0) {
            if (errno == EINTR)
                continue;
            return ds_error_set(err, DS_EGENERIC, "%s: %s: poll: %s", host,
                                cmd, g_strerror(errno));
        }
        if (ipi >= 0 && p[ipi].revents) {
            ssize_t n = write(io->in_fd, io->in_buf + io->in_off,
                              MIN(io->in_len - io->in_off, 65536));
            if (n > 0)
                io->in_off += (gsize)n;
            if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
                io->in_off == io->in_len) {
                close(io->in_fd); /* done, or the child closed its end */
                io->in_fd = -1;
            }
        }
        if (ipo >= 0 && p[ipo].revents &&
            drain(&io->out_fd, io->out, io->limit) < 0)
            return DS_EINVALID;
        if (ipe >= 0 && p[ipe].revents &&
            drain(&io->err_fd, io->errb, io->limit) < 0)
            return DS_EINVALID;
    }
    return 0;
}

/* Output is complete: wait for the exit, still within the deadline; past
 * it, or after an error (rc < 0), the whole group is killed. */
static int reap(GPid pid, int *wstatus, int rc, gint64 deadline,
                const char *host, const char *cmd, GError **err)
{
    gboolean reaped = FALSE;

    for (gulong nap = 1000; rc == 0 && !reaped;) {
        pid_t w = waitpid(pid, wstatus, WNOHANG);
        if (w == pid) {
            reaped = TRUE;
        } else if (w < 0 && errno != EINTR) {
            rc = ds_error_set(err, DS_EGENERIC, "%s: %s: waitpid: %s", host,
                              cmd, g_strerror(errno));
        } else if (remaining_ms(deadline) == 0) {
            rc = DS_EINTERRUPTED;
        } else {
            g_usleep(MIN(nap, (gulong)remaining_ms(deadline) * 1000 + 1));
            nap = MIN(nap * 2, 50000);
        }
    }
    if (!reaped) {
        kill_group(pid);
        while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
            ;
    }
    return rc;
}

/* A child that exits without reading its stdin must not kill us with
 * SIGPIPE: block it in this thread while the child runs, then swallow
 * the one it raised (unless one was pending before). */
typedef struct pipe_guard {
    sigset_t set, old;
    gboolean was_pending;
} pipe_guard;

static void pipe_guard_on(pipe_guard *g)
{
    sigset_t pending;

    sigemptyset(&g->set);
    sigaddset(&g->set, SIGPIPE);
    sigpending(&pending);
    g->was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &g->set, &g->old);
}

static void pipe_guard_off(pipe_guard *g)
{
    sigset_t pending;

    sigpending(&pending);
    if (!g->was_pending && sigismember(&pending, SIGPIPE)) {
        struct timespec zero = {0, 0};
        sigtimedwait(&g->set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

int ds_transport_spawn(const char *const *argv, GBytes *stdin_data,
                       const ds_transport_options *opts, ds_run_result *result,
                       GError **err)
{
    static const ds_transport_options no_opts;
    const char *host;
    int timeout_ms;
    g_autoptr(GError) spawn_err = NULL;
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(GByteArray) errb = g_byte_array_new();
    spawn_io io = {.in_fd = -1, .out_fd = -1, .err_fd = -1, .out = out,
                   .errb = errb};
    pipe_guard guard;
    int wstatus = 0, rc;
    GPid pid;
    gint64 deadline;

    ds_run_result_clear(result);
    if (!opts)
        opts = &no_opts;
    host = opts->host ? opts->host : "localhost";
    timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms
                                      : DS_TRANSPORT_DEFAULT_TIMEOUT_MS;
    io.limit =
        opts->max_output ? opts->max_output : DS_TRANSPORT_DEFAULT_MAX_OUTPUT;
    if (!argv || !argv[0] || !argv[0][0])
        return ds_error_set(err, DS_EINVALID, "%s: empty command", host);
    if (stdin_data)
        io.in_buf = g_bytes_get_data(stdin_data, &io.in_len);

    if (!g_spawn_async_with_pipes(
            NULL, (char **)argv, NULL,
            G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, child_setup, NULL,
            &pid, io.in_len ? &io.in_fd : NULL, &io.out_fd, &io.err_fd,
            &spawn_err))
        return ds_error_set(
            err,
            g_error_matches(spawn_err, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT)
                ? DS_ENOTFOUND
                : DS_EGENERIC,
            "%s: cannot run %s: %s", host, argv[0], spawn_err->message);
    setpgid(pid, pid); /* also from here, so no kill can race the child */
    deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    pipe_guard_on(&guard);
    if (io.in_fd >= 0)
        set_nonblock(io.in_fd);
    set_nonblock(io.out_fd);
    set_nonblock(io.err_fd);
    rc = pump(&io, deadline, host, argv[0], err);
    if (io.in_fd >= 0)
        close(io.in_fd);
    rc = reap(pid, &wstatus, rc, deadline, host, argv[0], err);
    if (io.out_fd >= 0)
        close(io.out_fd);
    if (io.err_fd >= 0)
        close(io.err_fd);
    g_spawn_close_pid(pid);
    pipe_guard_off(&guard);

    if (rc == DS_EINTERRUPTED)
        return ds_error_set(err, DS_EINTERRUPTED,
                            "%s: command timed out after %g s: %s", host,
                            timeout_ms / 1000.0, argv[0]);
    if (rc == DS_EINVALID)
        return ds_error_set(err, DS_EINVALID,
                            "%s: %s: output over %" G_GSIZE_FORMAT " bytes",
                            host, argv[0], io.limit);
    if (rc < 0)
        return rc;
    if (WIFEXITED(wstatus))
        result->status = WEXITSTATUS(wstatus);
    else if (WIFSIGNALED(wstatus))
        result->status = 128 + WTERMSIG(wstatus);
    else
        result->status = -1;
    result->out = g_byte_array_free_to_bytes(g_steal_pointer(&out));
    result->err = g_byte_array_free_to_bytes(g_steal_pointer(&errb));
    return 0;
}
