/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/output/report-html-changes.c: a drifted host's differences in the
 * report page, one <details> per category (folded; no script), each
 * change with its lab and prod values ("0600 -> 0644") and a changed
 * file's content diff folded below it, and the colour of each category
 * shared with the drift matrix.  Secret content has no value in the
 * document: the page says only that it differs. */
#include <config.h>

#include <stdbool.h>
#include <string.h>

#include "sync/output/report-html-private.h"

/* One colour per category, in the matrix and on the details. */
static const struct {
    const char *category, *colour;
} category_colours[] = {
    {"packages", "#fde2c8"}, {"sources", "#e6d8f5"}, {"files", "#cfe3f7"},
    {"services", "#cdeee6"}, {"kernel", "#f7d0e2"},
};

void ds_report_html_category_css(GString *o)
{
    for (gsize i = 0; i < G_N_ELEMENTS(category_colours); i++)
        g_string_append_printf(
            o,
            ".c-%s{background:%s}details.c-%s{background:none;"
            "border-left:.5em solid %s;padding-left:.5em}",
            category_colours[i].category, category_colours[i].colour,
            category_colours[i].category, category_colours[i].colour);
}

void ds_report_html_category_class(GString *o, const char *category)
{
    g_string_append(o, "c-");
    ds_report_html_esc(o, category);
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* '+' what a sync would add to the lab, '-' remove, '~' change. */
static char marker(const char *kind)
{
    if (!kind)
        return '~';
    if (g_str_has_suffix(kind, "-installed") ||
        g_str_has_suffix(kind, "-added"))
        return '+';
    if (g_str_has_suffix(kind, "-removed"))
        return '-';
    return '~';
}

/* "<del>OLD</del> → <ins>NEW</ins>", "(none)" for a side without it. */
static void old_new(GString *o, const char *old_value, const char *new_value)
{
    g_string_append(o, "<del>");
    ds_report_html_esc(o, old_value ? old_value : "(none)");
    g_string_append(o, "</del> → <ins>");
    ds_report_html_esc(o, new_value ? new_value : "(none)");
    g_string_append(o, "</ins>");
}

/* The values of one change, lab first: each field of a file or package
 * (content by name only), else the change's own old and new. */
static void change_values(GString *o, json_t *c)
{
    json_t *fields = json_object_get(c, "fields"), *f;
    const char *name;
    bool first = true;

    if (!fields) {
        if (!json_is_string(json_object_get(c, "old")) &&
            !json_is_string(json_object_get(c, "new")))
            return;
        g_string_append(o, "<span class=\"ov\">lab ");
        old_new(o, str(c, "old"), str(c, "new"));
        g_string_append(o, " prod</span>");
        return;
    }
    g_string_append(o, "<span class=\"ov\">");
    json_object_foreach(fields, name, f) {
        g_string_append(o, first ? "" : "; ");
        first = false;
        ds_report_html_esc(o, name);
        if (!strcmp(name, "content")) {
            g_string_append(o, json_is_true(json_object_get(c, "secret"))
                                   ? " differs (secret: not shown)"
                                   : " differs");
            continue;
        }
        g_string_append_c(o, ' ');
        old_new(o, str(f, "old"), str(f, "new"));
    }
    g_string_append(o, "</span>");
}

/* Lines of a content diff shown at most, per file (the page stays small;
 * `driftsync diff -p HOST` has them all). */
#define PATCH_MAX_LINES 400

/* What a content diff that has no lines says instead. */
static const char *patch_note(const char *kind)
{
    if (!g_strcmp0(kind, "binary"))
        return "binary content differs";
    if (!g_strcmp0(kind, "too-large"))
        return "too large to diff";
    if (!g_strcmp0(kind, "secret"))
        return "secret file: its content is never stored or shown; its "
               "fingerprint changed";
    if (!g_strcmp0(kind, "not-stored"))
        return "content not stored (not captured with `files`, or too large "
               "to capture)";
    return "no content diff";
}

/* A line of a file, escaped for HTML, its control characters shown
 * ("\x1b"): never played by a terminal, and the page stays XML. */
static void esc_line(GString *o, const char *line)
{
    for (const char *p = line ? line : ""; *p; p++) {
        unsigned char ch = (unsigned char)*p;

        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
            g_string_append_printf(o, "\\x%02x", ch);
        } else {
            char one[2] = {*p, 0};

            ds_report_html_esc(o, one);
        }
    }
}

/* One hunk's lines, each in a span by its op ('+', '-', ' ', '\\'). */
static guint patch_hunk(GString *o, json_t *h, guint shown)
{
    json_t *l;
    size_t i;

    g_string_append_printf(
        o, "<span class=\"hh\">@@ -%d,%d +%d,%d @@</span>\n",
        (int)json_integer_value(json_object_get(h, "old_start")),
        (int)json_integer_value(json_object_get(h, "old_lines")),
        (int)json_integer_value(json_object_get(h, "new_start")),
        (int)json_integer_value(json_object_get(h, "new_lines")));
    json_array_foreach(json_object_get(h, "lines"), i, l) {
        const char *line = json_string_value(l);
        char op = line && *line ? *line : ' ';

        if (shown++ >= PATCH_MAX_LINES)
            continue;
        g_string_append_printf(o, "<span class=\"%s\">",
                               op == '+'   ? "la"
                               : op == '-' ? "lr"
                                           : "lc");
        esc_line(o, line);
        g_string_append(o, "</span>\n");
    }
    return shown;
}

/* A file's content diff, folded: "--- lab/HOST/PATH", "+++ prod/...",
 * the hunks; or the one line saying why there are none. */
static void patch_details(GString *o, const char *host, json_t *c)
{
    json_t *p = json_object_get(c, "patch"), *h;
    const char *kind = str(p, "kind");
    guint shown = 0;
    size_t i;

    if (g_strcmp0(kind, "text")) {
        g_string_append(o, "<div class=\"pn\">");
        ds_report_html_esc(o, patch_note(kind));
        g_string_append(o, "</div>");
        return;
    }
    g_string_append_printf(
        o,
        "<details class=\"patch\"><summary>content diff: +%d "
        "−%d</summary><pre>--- lab/",
        (int)json_integer_value(json_object_get(p, "added")),
        (int)json_integer_value(json_object_get(p, "removed")));
    ds_report_html_esc(o, host);
    ds_report_html_esc(o, str(c, "name"));
    g_string_append(o, "\n+++ prod/");
    ds_report_html_esc(o, host);
    ds_report_html_esc(o, str(c, "name"));
    g_string_append_c(o, '\n');
    json_array_foreach(json_object_get(p, "hunks"), i, h)
        shown = patch_hunk(o, h, shown);
    if (shown > PATCH_MAX_LINES) {
        g_string_append_printf(o, "… %u more lines: driftsync diff -p ",
                               shown - PATCH_MAX_LINES);
        ds_report_html_esc(o, host);
        g_string_append_c(o, '\n');
    }
    g_string_append(o, "</pre></details>");
}

static void change_item(GString *o, const char *host, json_t *c)
{
    g_string_append_printf(o, "<li><span class=\"m\">%c</span> ",
                           marker(str(c, "kind")));
    ds_report_html_esc(o, str(c, "description"));
    g_string_append(o, " ");
    change_values(o, c);
    if (json_object_get(c, "patch"))
        patch_details(o, host, c);
    g_string_append(o, "</li>");
}

void ds_report_html_changes(GString *o, json_t *h, json_t *cats)
{
    const char *host = str(h, "host");
    json_t *diffs = json_object_get(h, "differences");
    json_t *drift = json_object_get(h, "drift"), *cat, *c;
    size_t i, j;

    json_array_foreach(cats, j, cat) {
        const char *name = json_string_value(cat);
        int n = (int)json_integer_value(json_object_get(drift, name));

        if (!n)
            continue;
        g_string_append(o, "<details class=\"");
        ds_report_html_category_class(o, name);
        g_string_append(o, "\"><summary><h4 id=\"h-");
        ds_report_html_esc(o, host);
        g_string_append_c(o, '-');
        ds_report_html_esc(o, name);
        g_string_append(o, "\">");
        ds_report_html_esc(o, name);
        g_string_append_printf(o, ": %d</h4></summary><ul class=\"changes\">",
                               n);
        json_array_foreach(diffs, i, c) {
            if (!g_strcmp0(str(c, "category"), name))
                change_item(o, host, c);
        }
        g_string_append(o, "</ul></details>");
    }
}
