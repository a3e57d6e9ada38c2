/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/version-rpm.c: rpm version order, by librpm itself (rpmvercmp,
 * rpmverCmp) when configure found it; the EVR syntax check needs no
 * library. */
#include <config.h>

#include <glib.h>
#include <string.h>

#include "manifests/version.h"

#ifdef HAVE_RPM
#include <rpm/rpmver.h>
#endif

/* At most this many epoch digits (rpm keeps the epoch in 32 bits). */
#define RPM_EPOCH_MAX_DIGITS 9

static bool is_vr_part(const char *s, gsize n)
{
    if (n == 0)
        return false;
    for (gsize i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!g_ascii_isalnum(c) && !strchr("._+~^", c))
            return false;
    }
    return true;
}

bool ds_rpm_evr_is_valid(const char *s)
{
    const char *colon, *dash, *v;

    if (!s || !*s)
        return false;
    colon = strchr(s, ':');
    v = s;
    if (colon) {
        gsize n = (gsize)(colon - s);
        if (n == 0 || n > RPM_EPOCH_MAX_DIGITS)
            return false;
        for (gsize i = 0; i < n; i++)
            if (!g_ascii_isdigit(s[i]))
                return false;
        v = colon + 1;
    }
    dash = strchr(v, '-');
    if (!dash || strchr(dash + 1, '-') || strchr(v, ':'))
        return false;
    return is_vr_part(v, (gsize)(dash - v)) &&
           is_vr_part(dash + 1, strlen(dash + 1));
}

#ifdef HAVE_RPM
bool ds_rpm_vercmp_available(void)
{
    return true;
}

int ds_rpm_vercmp(const char *a, const char *b)
{
    return rpmvercmp(a, b);
}

int ds_rpm_evr_compare(const char *a, const char *b)
{
    rpmver va, vb;
    int rc;

    if (strcmp(a, b) == 0)
        return 0;
    va = rpmverParse(a);
    vb = rpmverParse(b);
    rc = va && vb ? rpmverCmp(va, vb) : strcmp(a, b);
    rpmverFree(va);
    rpmverFree(vb);
    return rc;
}
#else
bool ds_rpm_vercmp_available(void)
{
    return false;
}

int ds_rpm_vercmp(const char *a, const char *b)
{
    return strcmp(a, b);
}

int ds_rpm_evr_compare(const char *a, const char *b)
{
    return strcmp(a, b);
}
#endif
