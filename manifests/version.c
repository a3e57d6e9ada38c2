/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/version.c: Debian version ordering and syntax, following dpkg's
 * parseversion() and verrevcmp() (epoch:upstream-revision). */
#include <config.h>

#include <string.h>

#include "manifests/version.h"

/* A version split into borrowed ranges of the original string. */
typedef struct {
    const char *epoch; /* digits only, leading zeros allowed; len 0: none */
    size_t epoch_len;
    const char *upstream;
    size_t upstream_len;
    const char *revision;
    size_t revision_len;
    bool has_revision; /* a '-' was seen (the revision may be empty) */
} ds_version_parts;

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Split leniently, as dpkg does after trimming blanks: the epoch is what
 * precedes the first ':' when that is a number (otherwise there is no
 * epoch and the whole string is upstream), the revision what follows the
 * last '-'. */
static void split(ds_version_parts *p, const char *s)
{
    const char *end, *colon, *hyphen = NULL;

    memset(p, 0, sizeof(*p));
    if (!s)
        s = "";
    while (is_blank(*s))
        s++;
    end = s + strlen(s);
    while (end > s && is_blank(end[-1]))
        end--;

    colon = memchr(s, ':', (size_t)(end - s));
    if (colon && colon > s) {
        const char *q = s;
        while (q < colon && is_digit(*q))
            q++;
        if (q == colon) {
            p->epoch = s;
            p->epoch_len = (size_t)(colon - s);
            s = colon + 1;
        }
    }
    for (const char *q = s; q < end; q++)
        if (*q == '-')
            hyphen = q;
    p->upstream = s;
    if (hyphen) {
        p->upstream_len = (size_t)(hyphen - s);
        p->revision = hyphen + 1;
        p->revision_len = (size_t)(end - hyphen - 1);
        p->has_revision = true;
    } else {
        p->upstream_len = (size_t)(end - s);
        p->revision = end;
    }
}

/* dpkg's character weight outside digit runs: '~' first, then the end of
 * the part, then letters, then everything else. */
static int order(int c)
{
    if (is_digit((char)c))
        return 0;
    if (is_alpha((char)c))
        return c;
    if (c == '~')
        return -1;
    if (c)
        return c + 256;
    return 0;
}

/* dpkg's verrevcmp over ranges; digit runs are compared as digit strings
 * (leading zeros skipped, then length, then first differing digit), so
 * numbers of any length compare correctly. */
static int verrevcmp(const char *a, size_t alen, const char *b, size_t blen)
{
    const char *ae = a + alen, *be = b + blen;

#define AC (a < ae ? *a : '\0')
#define BC (b < be ? *b : '\0')
    while (a < ae || b < be) {
        int first_diff = 0;

        while ((a < ae && !is_digit(*a)) || (b < be && !is_digit(*b))) {
            int ac = order(AC), bc = order(BC);
            if (ac != bc)
                return ac < bc ? -1 : 1;
            a++;
            b++;
        }
        while (a < ae && *a == '0')
            a++;
        while (b < be && *b == '0')
            b++;
        while (a < ae && is_digit(*a) && b < be && is_digit(*b)) {
            if (!first_diff)
                first_diff = *a - *b;
            a++;
            b++;
        }
        if (a < ae && is_digit(*a))
            return 1;
        if (b < be && is_digit(*b))
            return -1;
        if (first_diff)
            return first_diff < 0 ? -1 : 1;
    }
#undef AC
#undef BC
    return 0;
}

/* Compare two epochs (digit strings, possibly empty = 0) numerically. */
static int epochcmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c;

    while (alen && *a == '0')
        a++, alen--;
    while (blen && *b == '0')
        b++, blen--;
    if (alen != blen)
        return alen < blen ? -1 : 1;
    if (alen == 0)
        return 0;
    c = memcmp(a, b, alen);
    return c < 0 ? -1 : c > 0;
}

int ds_version_compare(const char *a, const char *b)
{
    ds_version_parts pa, pb;
    int rc;

    split(&pa, a);
    split(&pb, b);
    rc = epochcmp(pa.epoch, pa.epoch_len, pb.epoch, pb.epoch_len);
    if (rc)
        return rc;
    rc = verrevcmp(pa.upstream, pa.upstream_len, pb.upstream, pb.upstream_len);
    if (rc)
        return rc;
    return verrevcmp(pa.revision, pa.revision_len, pb.revision,
                     pb.revision_len);
}

/* The rules of dpkg's parseversion(), where warnings count as errors too:
 * an optional epoch of digits (at most INT_MAX) before the first ':',
 * an upstream part that starts with a digit and holds only alphanumerics
 * and ". + ~ - :" ('-' only when there is a revision, ':' only when there
 * is an epoch), and an optional non-empty revision after the last '-' of
 * alphanumerics and ". + ~".  Stricter than dpkg in two corners: no blanks
 * around the version and no sign before the epoch. */
bool ds_version_is_valid(const char *s)
{
    ds_version_parts p;
    const char *colon;

    if (!s || !*s)
        return false;
    for (const char *q = s; *q; q++)
        if (is_blank(*q))
            return false;
    colon = strchr(s, ':');
    split(&p, s);
    if (colon) {
        /* The epoch must be a number that fits an int, and something
         * must follow it. */
        if (!p.epoch || p.epoch_len == 0)
            return false;
        if (epochcmp(p.epoch, p.epoch_len, "2147483647", 10) > 0)
            return false;
    }
    if (p.has_revision && p.revision_len == 0)
        return false; /* "1.0-": empty revision */
    if (p.upstream_len == 0 || !is_digit(p.upstream[0]))
        return false;
    for (size_t i = 1; i < p.upstream_len; i++) {
        char c = p.upstream[i];
        if (!is_digit(c) && !is_alpha(c) && !strchr(".-+~:", c))
            return false;
    }
    for (size_t i = 0; i < p.revision_len; i++) {
        char c = p.revision[i];
        if (!is_digit(c) && !is_alpha(c) && !strchr(".+~", c))
            return false;
    }
    return true;
}
