/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/rpm-lazy.c: the librpmio functions driftsync calls (rpm
 * version order), each loading librpmio on the first call
 * (manifests/util/lazylib.h): only rpm hosts' versions need it, and it
 * brings Lua, libgcrypt and five compression and option libraries. */
#include <config.h>

#ifdef HAVE_RPM
#include <rpm/rpmver.h>

#include "manifests/util/lazylib.h"

static ds_lazylib rpmio = {DS_SONAME_LIBRPMIO, 0};

/* clang-format off */
DS_LAZY_FN(rpmio, int, rpmvercmp, (const char *a, const char *b), (a, b))
DS_LAZY_FN(rpmio, rpmver, rpmverParse, (const char *evr), (evr))
DS_LAZY_FN(rpmio, int, rpmverCmp, (rpmver v1, rpmver v2), (v1, v2))
DS_LAZY_FN(rpmio, rpmver, rpmverFree, (rpmver rv), (rv))
/* clang-format on */
#endif
