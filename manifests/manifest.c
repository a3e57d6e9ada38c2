/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/manifest.c: (to be written) */
