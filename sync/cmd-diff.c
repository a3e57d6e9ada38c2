/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cmd-diff.c: (to be written) */
