/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cmd-record.c: (to be written) */
