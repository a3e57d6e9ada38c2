/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/curl-lazy.c: the libcurl functions driftsync calls, each
 * loading libcurl on the first call (manifests/util/lazylib.h): only the
 * https transport and notifications use it, and loading it (with its TLS,
 * LDAP and HTTP/2 libraries) was a sixth of every run's start-up. */
#include <config.h>

/* curl_easy_setopt and curl_easy_getinfo are functions here, not the
 * type-checking macros curl.h defines for callers. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <stdarg.h>

#include "manifests/util/lazylib.h"

static ds_lazylib curl = {DS_SONAME_LIBCURL, 0};

/* clang-format off */
DS_LAZY_VOID(curl, curl_easy_cleanup, (CURL *h), (h))
DS_LAZY_FN(curl, CURL *, curl_easy_init, (void), ())
DS_LAZY_FN(curl, CURLcode, curl_easy_perform, (CURL *h), (h))
DS_LAZY_FN(curl, const char *, curl_easy_strerror, (CURLcode code), (code))
DS_LAZY_VOID(curl, curl_free, (void *p), (p))
DS_LAZY_FN(curl, CURLcode, curl_global_init, (long flags), (flags))
DS_LAZY_FN(curl, struct curl_slist *, curl_slist_append, (struct curl_slist *list, const char *data), (list, data))
DS_LAZY_VOID(curl, curl_slist_free_all, (struct curl_slist *list), (list))
DS_LAZY_FN(curl, CURLU *, curl_url, (void), ())
DS_LAZY_VOID(curl, curl_url_cleanup, (CURLU *h), (h))
DS_LAZY_FN(curl, CURLUcode, curl_url_get, (CURLU *h, CURLUPart what, char **part, unsigned int flags), (h, what, part, flags))
DS_LAZY_FN(curl, CURLUcode, curl_url_set, (CURLU *h, CURLUPart what, const char *part, unsigned int flags), (h, what, part, flags))
/* clang-format on */

typedef CURLcode (*setopt_fn)(CURL *, CURLoption, ...);

/* The one argument after the option, fetched by the type the option's
 * number says it has -- as libcurl itself reads it. */
CURLcode curl_easy_setopt(CURL *h, CURLoption option, ...)
{
    static gsize fn;
    setopt_fn f;
    CURLcode rc;
    va_list ap;

    if (g_once_init_enter(&fn))
        g_once_init_leave(&fn, (gsize)ds_lazylib_sym(&curl,
                                                     "curl_easy_setopt"));
    f = (setopt_fn)fn;
    va_start(ap, option);
    if (option < CURLOPTTYPE_OBJECTPOINT)
        rc = f(h, option, va_arg(ap, long));
    else if (option < CURLOPTTYPE_FUNCTIONPOINT)
        rc = f(h, option, va_arg(ap, void *));
    else if (option < CURLOPTTYPE_OFF_T)
        rc = f(h, option, va_arg(ap, void (*)(void)));
    else if (option < CURLOPTTYPE_BLOB)
        rc = f(h, option, va_arg(ap, curl_off_t));
    else
        rc = f(h, option, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

typedef CURLcode (*getinfo_fn)(CURL *, CURLINFO, ...);

/* Every CURLINFO takes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
    static gsize fn;
    CURLcode rc;
    va_list ap;

    if (g_once_init_enter(&fn))
        g_once_init_leave(&fn, (gsize)ds_lazylib_sym(&curl,
                                                     "curl_easy_getinfo"));
    va_start(ap, info);
    rc = ((getinfo_fn)fn)(h, info, va_arg(ap, void *));
    va_end(ap);
    return rc;
}
