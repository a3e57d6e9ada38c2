/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/transport.c: (to be written) */
