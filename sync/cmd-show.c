/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cmd-show.c: (to be written) */
