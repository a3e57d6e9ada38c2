/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cmd-init.c: (to be written) */
