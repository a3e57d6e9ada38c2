/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/run-id.h: the id of a driftsync run (record, sync,
 * mirror, trial, audit): in commit trailers, journals, snapshot names and
 * the names of state files. */
#pragma once

#include <glib.h>

/* A new run id: the UTC time and 32 random bits,
 * "20261127T120000Z-1a2b3c4d".  Ids are opaque once made: nothing parses
 * them, so ids of older runs ("20261127T120000Z-1a2b", 16 bits) stay
 * valid wherever they were written. */
char *ds_run_id_new(void);
