/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/signals.h: driftsync's one signal policy, for every run
 * that changes a lab (sync, mirror, trial).  SIGINT, SIGTERM and SIGHUP
 * ask the run to stop: the first writes the run's message (if any) to
 * stderr, and the run stops after its current step and reverts what it
 * changed; a second is only counted (work still running in a guest is
 * abandoned, the revert goes on); a third writes the run's hint (if any:
 * what is left to do by hand) and leaves at once with exit status
 * DS_SIGNALS_EXIT_STATUS. */
#pragma once

#include <glib.h>
#include <signal.h>

#define DS_SIGNALS_EXIT_STATUS 2 /* the program's "error" exit status */
#define DS_SIGNALS_LEAVE_AT 3    /* the signal that leaves at once */

/* How many of those signals came since ds_signals_catch; a run polls it
 * (or hands its address to the engine as a cancel flag). */
extern volatile sig_atomic_t ds_signals_caught;

/* Catch the signals until ds_signals_restore.  message (a string
 * constant, NULL for none) is written when the first one comes. */
void ds_signals_catch(const char *message);
/* Give the signals back to their previous handlers. */
void ds_signals_restore(void);
/* The last signal's name: "SIGINT", "SIGTERM", "SIGHUP". */
const char *ds_signals_last_name(void);
/* The line the leaving signal prints (copied; NULL clears it). */
void ds_signals_set_hint(const char *line);
