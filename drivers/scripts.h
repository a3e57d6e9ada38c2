/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/scripts.h: the shell scripts the drivers run on hosts, kept as
 * drivers/scripts/NAME.sh and built into the library as ds_script_NAME
 * (drivers/local.mk), each a NUL-terminated string for "sh -c". */
#pragma once

extern const char ds_script_dpkg_facts[]; /* platform-dpkg-facts.c */
extern const char ds_script_dpkg_files[]; /* platform-dpkg-files.c */
extern const char ds_script_rpm_facts[];  /* platform-rpm.c */
extern const char ds_script_ssh_write[];  /* transport-ssh.c */
