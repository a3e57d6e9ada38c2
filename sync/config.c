/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/config.c: (to be written) */
