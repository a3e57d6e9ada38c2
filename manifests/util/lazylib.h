/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/lazylib.h: a shared library loaded when first called
 * instead of when the program starts.  libvirt (with GnuTLS, libxml2 and
 * some thirty libraries behind it) and libcurl were three quarters of
 * the start-up of every run -- the dynamic loader resolving their
 * symbols, their constructors --, and most runs (record, log, diff,
 * show) call neither.  Their functions are defined once, in
 * drivers/libvirt-lazy.c and drivers/curl-lazy.c, by the macros below:
 * each looks its target up on its first call (thread-safe) and calls it. */
#pragma once

#include <glib.h>

typedef struct ds_lazylib {
    const char *soname; /* what dlopen(3) is given: "libvirt.so.0" */
    gsize handle;       /* set once, by ds_lazylib_sym */
} ds_lazylib;

/* The address of symbol name in lib, lib loaded on the first call.  A
 * library or symbol that cannot be found ends the program with status
 * 127 and one line naming it, as the dynamic loader does for a library
 * linked the usual way: the package depends on these libraries. */
void *ds_lazylib_sym(ds_lazylib *lib, const char *name);

/* ret name params { ... return name args; } through lib. */
#define DS_LAZY_FN(lib, ret, name, params, args)                              \
    ret name params                                                           \
    {                                                                         \
        static gsize fn;                                                      \
        if (g_once_init_enter(&fn))                                           \
            g_once_init_leave(&fn, (gsize)ds_lazylib_sym(&(lib), #name));     \
        return ((__typeof__(&name))fn) args;                                  \
    }

/* The same for a function returning void. */
#define DS_LAZY_VOID(lib, name, params, args)                                 \
    void name params                                                          \
    {                                                                         \
        static gsize fn;                                                      \
        if (g_once_init_enter(&fn))                                           \
            g_once_init_leave(&fn, (gsize)ds_lazylib_sym(&(lib), #name));     \
        ((__typeof__(&name))fn) args;                                         \
    }
