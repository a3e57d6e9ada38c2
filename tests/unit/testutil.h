/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/testutil.h: what the unit tests share -- temporary
 * directories removed at exit, fixture paths under G_TEST_SRCDIR, and a
 * private copy of a system directory for tests that must write there. */
#pragma once

#include <glib.h>

/* A new directory under $TMPDIR named from tmpl ("ds-foo-XXXXXX"); it and
 * everything in it is removed when the test program exits normally (a
 * failed assertion keeps it, for a look). */
char *ds_test_tmpdir(const char *tmpl);

/* Remove dir and everything below it now, never following symlinks. */
void ds_test_rm_rf(const char *dir);

/* A fixture under tests/data/ (G_TEST_SRCDIR): ds_test_data("good",
 * "web01.json", NULL). */
char *ds_test_data(const char *first, ...) G_GNUC_NULL_TERMINATED;

/* The text of a configuration file written into dir/name; its path.
 * "@DIR@" in text stands for dir, "@DATA@" for tests/data. */
char *ds_test_write_config(const char *dir, const char *name, const char *text);

/* A small Debian root built with real dpkg by tests/data/dpkg/mkroot.sh
 * in dir (dir/root, returned).  NULL, with a test skip, when dpkg-deb is
 * missing. */
char *ds_test_debian_root(const char *dir);

/* Give this process a private, writable copy of the system directory dir
 * (an overlay in a new mount namespace, its changes in memory): what the
 * test writes there never reaches the machine.  Needs root and a process
 * with one thread (call it first thing in a g_test_trap_subprocess child).
 * FALSE, with the reason in *why, when that cannot be had. */
gboolean ds_test_private_dir(const char *dir, char **why);
