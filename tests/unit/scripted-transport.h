/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/scripted-transport.h: a "scripted:" transport for tests and
 * fuzz targets whose host answers every command and file read with the
 * next piece of a script, to drive the collectors with answers no real
 * host would give. */
#pragma once

#include <glib.h>

/* Register the "scripted" scheme (once; later calls do nothing). */
void ds_scripted_register(void);

/* The answers from now on: SCRIPT cut at "\n\f\n", one piece per command
 * run or file read, in order; "@M@" in a piece stands for the section
 * marker the asking script was given (its $1).  Past the last piece, a
 * command fails ("connection lost") and a file is missing.  SCRIPT must
 * stay valid while the transport is used. */
void ds_scripted_set(const char *script, gsize len);
