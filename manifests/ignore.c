/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/ignore.c: (to be written) */
