/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/shell.h: the one audited place where data meets a POSIX
 * shell: quoting an argument, joining an argv into a command line, and
 * showing an argv to people. */
#pragma once

#include <glib.h>

/* Quote one argument for a POSIX shell ('...' with ' as '\''). */
char *ds_shell_quote(const char *arg);
/* Join argv into one shell command line, each argument quoted. */
char *ds_shell_join(const char *const *argv);
/* argv for people to read: an argument is quoted only where a shell would
 * need it, so "apt-get install -y nginx=1.22.1-9 vim-tiny-" stays as it
 * is.  The line is still a faithful command: `sh -c LINE` runs argv. */
char *ds_shell_display(const char *const *argv);
