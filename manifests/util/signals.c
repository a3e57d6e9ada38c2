/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/signals.c: the handlers behind driftsync's one signal
 * policy (count, first message, leave at the third with a hint). */
#include <config.h>

#include <string.h>
#include <unistd.h>

#include "manifests/util/signals.h"

#define HINT_MAX 1024

volatile sig_atomic_t ds_signals_caught;
static volatile sig_atomic_t last_signal;
static const char *first_message;
static size_t first_length;
static char hint[HINT_MAX];
static volatile sig_atomic_t hint_length;
static const int caught[] = {SIGINT, SIGTERM, SIGHUP};
static struct sigaction previous[G_N_ELEMENTS(caught)];

static void say(const char *text, size_t len)
{
    if (len && write(STDERR_FILENO, text, len) < 0) {
        /* nothing to do in a signal handler */
    }
}

static void on_signal(int sig)
{
    last_signal = sig;
    ds_signals_caught = ds_signals_caught + 1;
    if (ds_signals_caught == 1)
        say(first_message, first_length);
    if (ds_signals_caught >= DS_SIGNALS_LEAVE_AT) {
        say(hint, (size_t)hint_length);
        _exit(DS_SIGNALS_EXIT_STATUS);
    }
}

void ds_signals_catch(const char *message)
{
    struct sigaction sa;

    first_message = message;
    first_length = message ? strlen(message) : 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (gsize i = 0; i < G_N_ELEMENTS(caught); i++)
        sigaction(caught[i], &sa, &previous[i]);
}

void ds_signals_restore(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(caught); i++)
        sigaction(caught[i], &previous[i], NULL);
}

const char *ds_signals_last_name(void)
{
    switch (last_signal) {
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    case SIGHUP:
        return "SIGHUP";
    default:
        return "a signal";
    }
}

void ds_signals_set_hint(const char *line)
{
    size_t n = line ? strlen(line) : 0;

    hint_length = 0;
    if (n >= sizeof hint - 1)
        n = sizeof hint - 2;
    if (n)
        memcpy(hint, line, n);
    if (n && hint[n - 1] != '\n')
        hint[n++] = '\n';
    hint_length = (sig_atomic_t)n;
}
