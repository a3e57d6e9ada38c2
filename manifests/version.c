/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/version.c: (to be written) */
