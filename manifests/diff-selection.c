/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/diff-selection.c: the package selection part of the semantic
 * diff: holds (apt-mark hold) and automatic/manual marks.  Both are
 * compared only when both manifests have them (an older manifest, another
 * platform: not known, never a change), for the packages `to` has
 * installed.  A package `from` lacks is compared as unheld and manual:
 * what installing it leaves (apt-get install marks it manual).  Pending
 * and held-back updates are not compared: they follow each host's lists. */
#include <config.h>

#include "manifests/diff-private.h"

static void add(GPtrArray *out, ds_change_kind kind, const char *name,
                const char *old_value, const char *new_value)
{
    ds_change *c = g_new0(ds_change, 1);

    c->kind = kind;
    c->category = DS_CAT_PACKAGES;
    c->name = g_strdup(name);
    c->old_value = g_strdup(old_value);
    c->new_value = g_strdup(new_value);
    g_ptr_array_add(out, c);
}

void ds_diff_selection(GPtrArray *out, const ds_manifest *from,
                       const ds_manifest *to, const ds_ignore *ignore)
{
    bool holds = from->holds && to->holds;
    bool marks = from->auto_marks && to->auto_marks;

    if (!to->packages || (!holds && !marks))
        return;
    /* in name order, holds before marks for one package */
    for (guint i = 0; i < to->packages->len; i++) {
        const char *name = ((const ds_package *)to->packages->pdata[i])->name;
        bool h_from, h_to, a_from, a_to;

        if (ds_ignore_match(ignore, DS_CAT_PACKAGES, name))
            continue;
        h_from = ds_manifest_is_held(from, name);
        h_to = ds_manifest_is_held(to, name);
        a_from = ds_manifest_is_auto(from, name);
        a_to = ds_manifest_is_auto(to, name);
        if (holds && h_from != h_to)
            add(out, DS_CHANGE_HOLD_CHANGED, name,
                h_from ? "held" : "unheld", h_to ? "held" : "unheld");
        if (marks && a_from != a_to)
            add(out, DS_CHANGE_MARK_CHANGED, name,
                a_from ? "auto" : "manual", a_to ? "auto" : "manual");
    }
}
