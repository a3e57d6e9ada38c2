/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/lazylib.c: loading a library on its first call. */
#include <config.h>

#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

#include "manifests/util/lazylib.h"

/* Like the dynamic loader's "error while loading shared libraries": the
 * installation is broken, not the input; nothing is half-written, since a
 * library is loaded before the work that needs it starts. */
G_GNUC_NORETURN static void fail(const char *what)
{
    fprintf(stderr, "driftsync: error while loading shared libraries: %s\n",
            what ? what : "(unknown)");
    fflush(stderr);
    _exit(127);
}

void *ds_lazylib_sym(ds_lazylib *lib, const char *name)
{
    void *sym;

    if (g_once_init_enter(&lib->handle)) {
        void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);

        if (!h)
            fail(dlerror());
        g_once_init_leave(&lib->handle, (gsize)h);
    }
    dlerror();
    sym = dlsym((void *)lib->handle, name);
    if (!sym)
        fail(dlerror());
    return sym;
}
