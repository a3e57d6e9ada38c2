/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store.c: (to be written) */
