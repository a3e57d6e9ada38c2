/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/file.h: the one way driftsync replaces a file on this
 * machine: written whole to a temporary file in the same directory,
 * synced, renamed into place, the directory synced -- a reader sees the
 * old content or the new, never half of it. */
#pragma once

#include <glib.h>

typedef enum {
    DS_FILE_MKDIR = 1 << 0,      /* create the directory (0700) first */
    DS_FILE_NO_REPLACE = 1 << 1, /* an existing file stays: link(2), not
                                  * rename(2); losing that race is not an
                                  * error (the caller reads the winner) */
    DS_FILE_NO_SYNC = 1 << 2,    /* neither the file nor its directory is
                                  * synced: a cache, whose reader checks
                                  * it and can do without it */
} ds_file_flags;

/* Write data to path atomically with the given mode (not subject to the
 * umask).  On failure the old file is untouched and no temporary file is
 * left.  Errors name the file or directory and the cause. */
int ds_file_write_atomic(const char *path, const void *data, gsize len,
                         guint mode, ds_file_flags flags, GError **err);

/* The two halves, for a caller that checks the new file before it takes
 * the place of the old one: write data to a new temporary file next to
 * path (*tmp gets its name) ... */
int ds_file_write_temp(char **tmp, const char *path, const void *data,
                       gsize len, guint mode, GError **err);
/* ... then move tmp to path and sync the directory.  tmp is gone
 * afterwards, whatever the outcome. */
int ds_file_commit_temp(const char *tmp, const char *path, ds_file_flags flags,
                        GError **err);
