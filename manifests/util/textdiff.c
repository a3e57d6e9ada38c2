/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/textdiff.c: the line diff behind `diff -p`: lines are
 * numbered by content (equal lines share a number), the common head and
 * tail are trimmed, and Myers' divide-and-conquer search for the middle
 * snake marks the lines each side does not share.  Past a cost of about
 * the square root of the lines (at least TEXTDIFF_MIN_COST) the search
 * takes the furthest path found so far instead of the shortest, as git's
 * xdiff does: the diff stays correct, only perhaps not minimal, and two
 * texts with nothing in common take linear time, not quadratic. */
#include <config.h>

#include <string.h>

#include "manifests/util/textdiff.h"

/* The edit cost beyond which the search settles for a good split. */
#define TEXTDIFF_MIN_COST 256

typedef struct tline {
    const char *p;
    gsize len; /* without the '\n' */
    bool nl;   /* ends with '\n' */
} tline;

typedef struct tside {
    tline *lines;
    gssize n;
    guint *cls;  /* equivalence class of each line */
    char *chg;   /* 1: not in the other text */
} tside;

typedef struct search {
    const guint *a, *b;
    char *ca, *cb;
    gssize *kf, *kb; /* furthest reach per diagonal, forward and back */
    gssize max_cost;
} search;

static void split_lines(tside *s, GBytes *text)
{
    gsize len = 0;
    const char *p = text ? g_bytes_get_data(text, &len) : NULL;
    const char *end = p ? p + len : NULL;
    gsize n = 0, cap = 16;

    s->lines = g_new(tline, cap);
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (gsize)(end - p));

        if (n == cap)
            s->lines = g_renew(tline, s->lines, cap *= 2);
        s->lines[n].p = p;
        s->lines[n].len = nl ? (gsize)(nl - p) : (gsize)(end - p);
        s->lines[n].nl = nl != NULL;
        n++;
        p = nl ? nl + 1 : end;
    }
    s->n = (gssize)n;
    s->cls = g_new(guint, MAX(n, 1));
    s->chg = g_new0(char, n + 1);
}

/* FNV-1a over the line's bytes and its newline. */
static guint32 line_hash(const tline *l)
{
    guint32 h = 2166136261u;

    for (gsize i = 0; i < l->len; i++)
        h = (h ^ (guchar)l->p[i]) * 16777619u;
    return (h ^ (l->nl ? 1u : 0u)) * 16777619u;
}

/* Number the lines of both sides by content in one open-addressing
 * table: equal lines (bytes and final newline) get equal numbers. */
static void classify(tside *a, tside *b)
{
    gsize total = (gsize)(a->n + b->n), size = 64;
    const tline **slot;
    guint *slot_cls;
    guint next = 0;

    while (size < total * 2)
        size *= 2;
    slot = g_new0(const tline *, size);
    slot_cls = g_new(guint, size);
    for (int s = 0; s < 2; s++) {
        tside *side = s ? b : a;

        for (gssize i = 0; i < side->n; i++) {
            const tline *l = &side->lines[i];
            gsize k = line_hash(l) & (size - 1);

            while (slot[k] && !(slot[k]->len == l->len &&
                                slot[k]->nl == l->nl &&
                                !memcmp(slot[k]->p, l->p, l->len)))
                k = (k + 1) & (size - 1);
            if (!slot[k]) {
                slot[k] = l;
                slot_cls[k] = next++;
            }
            side->cls[i] = slot_cls[k];
        }
    }
    g_free(slot);
    g_free(slot_cls);
}

typedef struct split_point {
    gssize i1, i2;
    bool min_lo, min_hi;
} split_point;

/* The heuristic split once the cost is too high: the furthest-reaching
 * forward or backward path, whichever got further. */
static void best_split(const search *s, gssize off1, gssize lim1, gssize off2,
                       gssize lim2, gssize fmin, gssize fmax, gssize bmin,
                       gssize bmax, split_point *sp)
{
    gssize fbest = -1, fbest1 = -1, bbest = G_MAXSSIZE, bbest1 = G_MAXSSIZE;

    for (gssize d = fmax; d >= fmin; d -= 2) {
        gssize i1 = MIN(s->kf[d], lim1), i2 = i1 - d;

        if (lim2 < i2) {
            i1 = lim2 + d;
            i2 = lim2;
        }
        if (fbest < i1 + i2) {
            fbest = i1 + i2;
            fbest1 = i1;
        }
    }
    for (gssize d = bmax; d >= bmin; d -= 2) {
        gssize i1 = MAX(off1, s->kb[d]), i2 = i1 - d;

        if (i2 < off2) {
            i1 = off2 + d;
            i2 = off2;
        }
        if (i1 + i2 < bbest) {
            bbest = i1 + i2;
            bbest1 = i1;
        }
    }
    if ((lim1 + lim2) - bbest < fbest - (off1 + off2)) {
        *sp = (split_point){fbest1, fbest - fbest1, true, false};
    } else {
        *sp = (split_point){bbest1, bbest - bbest1, false, true};
    }
}

/* Myers' middle snake of a[off1..lim1) and b[off2..lim2), both non-empty
 * and differing at both ends.  kf and kb are indexed by diagonal
 * i1 - i2 (the arrays are offset by the caller). */
static void middle_snake(const search *s, gssize off1, gssize lim1,
                         gssize off2, gssize lim2, bool need_min,
                         split_point *sp)
{
    gssize dmin = off1 - lim2, dmax = lim1 - off2;
    gssize fmid = off1 - off2, bmid = lim1 - lim2;
    bool odd = (fmid - bmid) & 1;
    gssize fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;

    s->kf[fmid] = off1;
    s->kb[bmid] = lim1;
    for (gssize ec = 1;; ec++) {
        if (fmin > dmin)
            s->kf[--fmin - 1] = -1;
        else
            ++fmin;
        if (fmax < dmax)
            s->kf[++fmax + 1] = -1;
        else
            --fmax;
        for (gssize d = fmax; d >= fmin; d -= 2) {
            gssize i1 = s->kf[d - 1] >= s->kf[d + 1] ? s->kf[d - 1] + 1
                                                     : s->kf[d + 1];
            gssize i2 = i1 - d;

            while (i1 < lim1 && i2 < lim2 && s->a[i1] == s->b[i2])
                i1++, i2++;
            s->kf[d] = i1;
            if (odd && bmin <= d && d <= bmax && s->kb[d] <= i1) {
                *sp = (split_point){i1, i2, true, true};
                return;
            }
        }
        if (bmin > dmin)
            s->kb[--bmin - 1] = G_MAXSSIZE;
        else
            ++bmin;
        if (bmax < dmax)
            s->kb[++bmax + 1] = G_MAXSSIZE;
        else
            --bmax;
        for (gssize d = bmax; d >= bmin; d -= 2) {
            gssize i1 = s->kb[d - 1] < s->kb[d + 1] ? s->kb[d - 1]
                                                    : s->kb[d + 1] - 1;
            gssize i2 = i1 - d;

            while (i1 > off1 && i2 > off2 && s->a[i1 - 1] == s->b[i2 - 1])
                i1--, i2--;
            s->kb[d] = i1;
            if (!odd && fmin <= d && d <= fmax && i1 <= s->kf[d]) {
                *sp = (split_point){i1, i2, true, true};
                return;
            }
        }
        if (!need_min && ec >= s->max_cost) {
            best_split(s, off1, lim1, off2, lim2, fmin, fmax, bmin, bmax, sp);
            return;
        }
    }
}

/* Mark what a[off1..lim1) and b[off2..lim2) do not share.  The second
 * half is handled by the loop, not a call, so that the depth of the
 * recursion follows only the first halves. */
static void compare(const search *s, gssize off1, gssize lim1, gssize off2,
                    gssize lim2, bool need_min)
{
    for (;;) {
        split_point sp;

        while (off1 < lim1 && off2 < lim2 && s->a[off1] == s->b[off2])
            off1++, off2++;
        while (off1 < lim1 && off2 < lim2 &&
               s->a[lim1 - 1] == s->b[lim2 - 1])
            lim1--, lim2--;
        if (off1 == lim1) {
            memset(s->cb + off2, 1, (gsize)(lim2 - off2));
            return;
        }
        if (off2 == lim2) {
            memset(s->ca + off1, 1, (gsize)(lim1 - off1));
            return;
        }
        middle_snake(s, off1, lim1, off2, lim2, need_min, &sp);
        compare(s, off1, sp.i1, off2, sp.i2, sp.min_lo);
        off1 = sp.i1;
        off2 = sp.i2;
        need_min = sp.min_hi;
    }
}

static void mark_changes(tside *a, tside *b)
{
    gsize diags = (gsize)(a->n + b->n + 3);
    g_autofree gssize *kf = g_new(gssize, diags);
    g_autofree gssize *kb = g_new(gssize, diags);
    gssize cost = TEXTDIFF_MIN_COST;
    search s = {
        .a = a->cls, .b = b->cls, .ca = a->chg, .cb = b->chg,
        .kf = kf + b->n + 1, .kb = kb + b->n + 1};

    while ((gsize)cost * (gsize)cost < diags)
        cost *= 2;
    s.max_cost = cost;
    compare(&s, 0, a->n, 0, b->n, false);
}

static void add_line(ds_textdiff_hunk *h, char op, const tline *l)
{
    ds_textdiff_line dl = {
        .op = op, .text = l->p, .len = l->len, .no_newline = !l->nl};

    g_array_append_val(h->lines, dl);
}

static void hunk_free(gpointer p)
{
    ds_textdiff_hunk *h = p;

    if (h) {
        g_array_unref(h->lines);
        g_free(h);
    }
}

/* One hunk from line i of a and j of b (0-based) up to the end of the
 * last change that lies within 2 * context lines of the one before;
 * returns with *pi, *pj past the hunk's trailing context. */
static ds_textdiff_hunk *build_hunk(ds_textdiff *d, const tside *a,
                                    const tside *b, gssize *pi, gssize *pj,
                                    guint context)
{
    ds_textdiff_hunk *h = g_new0(ds_textdiff_hunk, 1);
    gssize i = *pi, j = *pj, lead = MIN((gssize)context, i);
    gssize equal_run = 0;

    h->lines = g_array_new(FALSE, FALSE, sizeof(ds_textdiff_line));
    i -= lead;
    j -= lead;
    h->old_start = (guint)i;
    h->new_start = (guint)j;
    for (gssize k = 0; k < lead; k++, i++, j++)
        add_line(h, ' ', &a->lines[i]);
    for (;;) {
        while (i < a->n && a->chg[i]) {
            add_line(h, '-', &a->lines[i++]);
            d->removed++;
        }
        while (j < b->n && b->chg[j]) {
            add_line(h, '+', &b->lines[j++]);
            d->added++;
        }
        /* the equal lines that follow, up to the next change */
        equal_run = 0;
        while (i + equal_run < a->n && !a->chg[i + equal_run] &&
               j + equal_run < b->n && !b->chg[j + equal_run])
            equal_run++;
        if ((i + equal_run >= a->n && j + equal_run >= b->n) ||
            equal_run > 2 * (gssize)context) {
            gssize tail = MIN(equal_run, (gssize)context);

            for (gssize k = 0; k < tail; k++)
                add_line(h, ' ', &a->lines[i + k]);
            *pi = i + equal_run;
            *pj = j + equal_run;
            break;
        }
        for (gssize k = 0; k < equal_run; k++, i++, j++)
            add_line(h, ' ', &a->lines[i]);
    }
    for (guint k = 0; k < h->lines->len; k++) {
        char op = g_array_index(h->lines, ds_textdiff_line, k).op;

        h->old_lines += op != '+';
        h->new_lines += op != '-';
    }
    /* 1-based, and the line before when the range is empty */
    h->old_start += h->old_lines ? 1 : 0;
    h->new_start += h->new_lines ? 1 : 0;
    return h;
}

static void build_hunks(ds_textdiff *d, const tside *a, const tside *b,
                        guint context)
{
    gssize i = 0, j = 0;

    while (i < a->n || j < b->n) {
        if ((i < a->n && a->chg[i]) || (j < b->n && b->chg[j])) {
            g_ptr_array_add(d->hunks, build_hunk(d, a, b, &i, &j, context));
            continue;
        }
        i++;
        j++;
    }
}

ds_textdiff *ds_textdiff_new(GBytes *old_text, GBytes *new_text,
                             guint context)
{
    ds_textdiff *d = g_new0(ds_textdiff, 1);
    tside a = {0}, b = {0};

    d->old_text = old_text ? g_bytes_ref(old_text) : NULL;
    d->new_text = new_text ? g_bytes_ref(new_text) : NULL;
    d->hunks = g_ptr_array_new_with_free_func(hunk_free);
    split_lines(&a, old_text);
    split_lines(&b, new_text);
    classify(&a, &b);
    mark_changes(&a, &b);
    build_hunks(d, &a, &b, context);
    g_free(a.lines);
    g_free(a.cls);
    g_free(a.chg);
    g_free(b.lines);
    g_free(b.cls);
    g_free(b.chg);
    return d;
}

void ds_textdiff_free(ds_textdiff *d)
{
    if (!d)
        return;
    g_clear_pointer(&d->old_text, g_bytes_unref);
    g_clear_pointer(&d->new_text, g_bytes_unref);
    g_ptr_array_unref(d->hunks);
    g_free(d);
}

bool ds_textdiff_is_binary(GBytes *data)
{
    gsize len = 0;
    const char *p = data ? g_bytes_get_data(data, &len) : NULL;

    return p && memchr(p, '\0', MIN(len, DS_TEXTDIFF_BINARY_PROBE)) != NULL;
}

/* "START" or "START,COUNT" (COUNT 1 left out). */
static void append_range(GString *s, guint start, guint count)
{
    g_string_append_printf(s, "%u", start);
    if (count != 1)
        g_string_append_printf(s, ",%u", count);
}

char *ds_textdiff_hunk_header(const ds_textdiff_hunk *h)
{
    GString *s = g_string_new("@@ -");

    append_range(s, h->old_start, h->old_lines);
    g_string_append(s, " +");
    append_range(s, h->new_start, h->new_lines);
    g_string_append(s, " @@");
    return g_string_free(s, FALSE);
}
