/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cmd-log.c: (to be written) */
