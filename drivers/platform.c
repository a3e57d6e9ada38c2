/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform.c: (to be written) */
