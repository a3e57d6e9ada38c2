/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/scripts.h: the shell scripts the jobs run on hosts, kept as
 * sync/jobs/scripts/NAME.sh and built into the library as ds_script_NAME
 * (sync/jobs/local.mk), each a NUL-terminated string for "sh -c". */
#pragma once

extern const char ds_script_audit_proc[]; /* audit-proc.c */
