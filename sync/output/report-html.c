/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/output/report-html.c: renders a report document (sync/output/report.c) as one
 * self-contained HTML page: inline CSS, inline SVG, no script, no external
 * resource; every value from the data is escaped. */
#include <config.h>

#include <string.h>

#include "sync/output/report-html-private.h"
#include "sync/output/report.h"

#define SVG_W 240
#define SVG_H 36

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1em 2em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "th,td{border:1px solid #ccc;padding:2px 8px;text-align:left}"
    "td.n{text-align:right}td.d{background:#fde2c8}td.z{color:#999}"
    "td.e,.failed,.reverted,.error{background:#f8c8c8}"
    ".synced,.passed{background:#d4f0d4}.kept,.planned{background:#fff0b3}"
    "caption{text-align:left;font-weight:bold}"
    "article{border-top:1px solid #ddd;padding:.3em 0}"
    "h3{margin:.3em 0}h4{margin:.2em 0;font-size:1em}"
    "ul{margin:.2em 0}svg{background:#f6f6f6}svg rect{fill:#c0504d}"
    ".muted{color:#777}code{font-size:.95em}"
    "details{margin:.2em 0}summary{cursor:pointer}summary h4{display:inline}"
    "ul.changes{list-style:none;padding-left:1em}.m{font-family:monospace}"
    ".ov{color:#555;font-size:.9em}del{color:#a33}ins{color:#262;"
    "text-decoration:none}"
    "pre{background:#f8f8f8;padding:.3em;overflow-x:auto;margin:.2em 0}"
    ".la{color:#1a6b1a}.lr{color:#a32020}.hh{color:#2060a0}.pn{color:#777}";

void ds_report_html_esc(GString *o, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            g_string_append(o, "&amp;");
            break;
        case '<':
            g_string_append(o, "&lt;");
            break;
        case '>':
            g_string_append(o, "&gt;");
            break;
        case '"':
            g_string_append(o, "&quot;");
            break;
        case '\'':
            g_string_append(o, "&#39;");
            break;
        default:
            g_string_append_c(o, *s);
        }
    }
}

static void esc(GString *o, const char *s)
{
    ds_report_html_esc(o, s);
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static json_int_t num(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

/* "groups a, b; hosts c" out of a JSON array of strings, comma-separated. */
static void names(GString *o, const char *one, const char *many, json_t *a)
{
    json_t *v;
    size_t i;

    if (!json_array_size(a))
        return;
    g_string_append_printf(o, "%s ", json_array_size(a) == 1 ? one : many);
    json_array_foreach(a, i, v)
    {
        if (i)
            g_string_append(o, ", ");
        esc(o, json_string_value(v));
    }
}

/* Which hosts the run covered: all, or the groups and hosts it was
 * limited to (a runner sharing the fleet with others). */
static void mirror_scope(GString *o, json_t *m)
{
    json_t *scope = json_object_get(m, "scope");
    json_t *groups = json_object_get(scope, "groups");
    json_t *hosts = json_object_get(scope, "hosts");

    if (!json_is_object(scope) || json_is_true(json_object_get(scope, "all")))
        return;
    g_string_append(o, "<p id=\"mirror-scope\">Covered only ");
    names(o, "group", "groups", groups);
    if (json_array_size(groups) && json_array_size(hosts))
        g_string_append(o, "; ");
    names(o, "host", "hosts", hosts);
    g_string_append_printf(
        o, " (%zu host%s); the other hosts were not part of this run.</p>",
        json_array_size(json_object_get(scope, "covered")),
        json_array_size(json_object_get(scope, "covered")) == 1 ? "" : "s");
}

static void mirror_section(GString *o, json_t *m)
{
    static const char *const counted[] = {"synced",  "in_sync",      "reverted",
                                          "failed",  "kept",         "planned",
                                          "skipped", "record_failed"};
    json_t *sum;
    size_t i;

    g_string_append(o, "<section id=\"mirror\" aria-labelledby=\"mirror-h\">"
                       "<h2 id=\"mirror-h\">Last mirror run</h2>");
    if (!json_is_object(m)) {
        g_string_append(o, "<p class=\"muted\">no mirror run in this "
                           "state directory yet (each runner keeps its own "
                           "runs)</p></section>");
        return;
    }
    if (str(m, "error")) {
        g_string_append(o, "<p class=\"error\">");
        esc(o, str(m, "error"));
        g_string_append(o, "</p></section>");
        return;
    }
    g_string_append(o, "<p>Run <code>");
    esc(o, str(m, "run_id"));
    g_string_append(o, "</code>, ");
    esc(o, str(m, "started"));
    g_string_append(o, " to ");
    esc(o, str(m, "finished"));
    g_string_append_printf(
        o, ", exit %d%s.</p>", (int)num(m, "exit"),
        json_is_true(json_object_get(m, "dry_run")) ? " (dry run)" : "");
    mirror_scope(o, m);
    sum = json_object_get(m, "summary");
    g_string_append(o, "<table id=\"mirror-summary\"><caption>Labs by "
                       "outcome</caption><thead><tr>");
    for (i = 0; i < G_N_ELEMENTS(counted); i++)
        g_string_append_printf(o, "<th scope=\"col\">%s</th>", counted[i]);
    g_string_append(o, "</tr></thead><tbody><tr>");
    for (i = 0; i < G_N_ELEMENTS(counted); i++)
        g_string_append_printf(o, "<td class=\"n\">%d</td>",
                               (int)num(sum, counted[i]));
    g_string_append(o, "</tr></tbody></table>");

    g_string_append(o, "<p><a href=\"#mirror-details\">Labs not in sync and "
                       "hosts not recorded</a></p></section>");
}

/* The labs of the last mirror run that are not in sync, with reasons,
 * and the hosts it could not record (after the matrix: long lists). */
static void mirror_details(GString *o, json_t *m)
{
    json_t *l, *labs, *failed;
    size_t i;

    if (!json_is_object(m) || str(m, "error"))
        return;
    g_string_append(o, "<section id=\"mirror-details\" aria-labelledby=\""
                       "mirror-details-h\"><h2 id=\"mirror-details-h\">"
                       "Last mirror run: labs not in sync</h2>");
    labs = json_object_get(m, "labs");
    if (!json_array_size(labs))
        g_string_append(o, "<p>Every lab is in sync.</p>");
    if (json_array_size(labs)) {
        g_string_append(o, "<table id=\"mirror-labs\"><caption>Labs not in "
                           "sync</caption><thead><tr><th scope=\"col\">Host"
                           "</th><th scope=\"col\">Outcome</th><th scope="
                           "\"col\">Changes</th><th scope=\"col\">Reason</th>"
                           "</tr></thead><tbody>");
        json_array_foreach(labs, i, l)
        {
            g_string_append(o, "<tr><th scope=\"row\">");
            esc(o, str(l, "host"));
            g_string_append(o, "</th><td class=\"");
            esc(o, str(l, "status"));
            g_string_append(o, "\">");
            esc(o, str(l, "status"));
            g_string_append_printf(o, "</td><td class=\"n\">%d</td><td>",
                                   (int)num(l, "changes"));
            esc(o, str(l, "reason"));
            g_string_append(o, "</td></tr>");
        }
        g_string_append(o, "</tbody></table>");
        if (num(m, "labs_not_listed"))
            g_string_append_printf(o, "<p class=\"muted\">and %d more</p>",
                                   (int)num(m, "labs_not_listed"));
    }
    failed = json_object_get(m, "record_failed");
    if (json_array_size(failed)) {
        g_string_append(o, "<h3>Hosts not recorded</h3><ul id=\"mirror-"
                           "record-failed\">");
        json_array_foreach(failed, i, l)
        {
            g_string_append(o, "<li><strong>");
            esc(o, str(l, "host"));
            g_string_append(o, "</strong>: ");
            esc(o, str(l, "reason"));
            g_string_append(o, "</li>");
        }
        g_string_append(o, "</ul>");
    }
    g_string_append(o, "</section>");
}

static void matrix_section(GString *o, json_t *doc)
{
    json_t *cats = json_object_get(doc, "categories");
    json_t *hosts = json_object_get(doc, "hosts"), *h, *c;
    json_t *totals = json_object_get(doc, "totals");
    size_t i, j;

    g_string_append(o, "<section id=\"drift\" aria-labelledby=\"drift-h\">"
                       "<h2 id=\"drift-h\">Drift matrix</h2>");
    g_string_append_printf(
        o, "<p>%d of %d hosts differ between lab and production.</p>",
        (int)num(totals, "drifted"), (int)num(totals, "hosts"));
    g_string_append(o, "<table id=\"matrix\"><caption>Differences, lab to "
                       "production, by category</caption><thead><tr>"
                       "<th scope=\"col\">Host</th><th scope=\"col\">Status"
                       "</th>");
    json_array_foreach(cats, j, c)
    {
        g_string_append(o, "<th scope=\"col\" class=\"");
        ds_report_html_category_class(o, json_string_value(c));
        g_string_append(o, "\">");
        esc(o, json_string_value(c));
        g_string_append(o, "</th>");
    }
    g_string_append(o, "</tr></thead><tbody>");
    json_array_foreach(hosts, i, h)
    {
        const char *host = str(h, "host");
        json_t *drift = json_object_get(h, "drift");

        g_string_append(o, "<tr><th scope=\"row\"><a href=\"#h-");
        esc(o, host);
        g_string_append(o, "\">");
        esc(o, host);
        g_string_append(o, "</a></th><td>");
        esc(o, str(h, "status"));
        g_string_append(o, "</td>");
        json_array_foreach(cats, j, c)
        {
            const char *cat = json_string_value(c);
            int n = (int)num(drift, cat);

            if (!n) {
                g_string_append(o, "<td class=\"n z\">0</td>");
                continue;
            }
            g_string_append(o, "<td class=\"n d ");
            ds_report_html_category_class(o, cat);
            g_string_append(o, "\"><a href=\"#h-");
            esc(o, host);
            g_string_append_c(o, '-');
            esc(o, cat);
            g_string_append_printf(o, "\">%d</a></td>", n);
        }
        g_string_append(o, "</tr>");
    }
    g_string_append(o, "</tbody></table></section>");
}

static void audit_section(GString *o, json_t *a)
{
    json_t *hosts, *h, *f;
    size_t i, j;

    g_string_append(o, "<section id=\"audit\" aria-labelledby=\"audit-h\">"
                       "<h2 id=\"audit-h\">Audit findings</h2>");
    if (!json_is_object(a)) {
        g_string_append(o, "<p class=\"muted\">no audit yet</p></section>");
        return;
    }
    if (str(a, "error")) {
        g_string_append(o, "<p class=\"error\">");
        esc(o, str(a, "error"));
        g_string_append(o, "</p></section>");
        return;
    }
    hosts = json_object_get(a, "hosts");
    if (!json_array_size(hosts))
        g_string_append(o, "<p>No findings.</p>");
    json_array_foreach(hosts, i, h)
    {
        g_string_append(o, "<h3>");
        esc(o, str(h, "host"));
        g_string_append_printf(o, " (%d)</h3><ul>", (int)num(h, "count"));
        json_array_foreach(json_object_get(h, "findings"), j, f)
        {
            g_string_append(o, "<li><strong>");
            esc(o, str(f, "kind"));
            g_string_append(o, "</strong>: ");
            esc(o, str(f, "detail"));
            g_string_append(o, "</li>");
        }
        g_string_append(o, "</ul>");
    }
    g_string_append(o, "</section>");
}

static void trials_section(GString *o, json_t *trials)
{
    json_t *t;
    size_t i;

    g_string_append(o, "<section id=\"trials\" aria-labelledby=\"trials-h\">"
                       "<h2 id=\"trials-h\">Recent trials</h2>");
    if (!json_array_size(trials)) {
        g_string_append(o, "<p class=\"muted\">no trial yet</p></section>");
        return;
    }
    g_string_append(o, "<table id=\"trials-table\"><caption>Newest first"
                       "</caption><thead><tr><th scope=\"col\">Started</th>"
                       "<th scope=\"col\">Host</th><th scope=\"col\">Run</th>"
                       "<th scope=\"col\">Result</th><th scope=\"col\">Error"
                       "</th></tr></thead><tbody>");
    json_array_foreach(trials, i, t)
    {
        bool passed = json_is_true(json_object_get(t, "passed"));

        g_string_append(o, "<tr><td>");
        esc(o, str(t, "started_at"));
        g_string_append(o, "</td><th scope=\"row\">");
        esc(o, str(t, "host"));
        g_string_append(o, "</th><td><code>");
        esc(o, str(t, "run"));
        g_string_append_printf(o, "</code></td><td class=\"%s\">%s</td><td>",
                               passed ? "passed" : "failed",
                               passed ? "passed" : "failed");
        esc(o, str(t, "error"));
        g_string_append(o, "</td></tr>");
    }
    g_string_append(o, "</tbody></table></section>");
}

static void age_cell(GString *o, json_int_t s)
{
    if (s >= 86400)
        g_string_append_printf(o, "%" JSON_INTEGER_FORMAT "d %"
                               JSON_INTEGER_FORMAT "h", s / 86400,
                               s % 86400 / 3600);
    else
        g_string_append_printf(o, "%" JSON_INTEGER_FORMAT "h %"
                               JSON_INTEGER_FORMAT "m", s / 3600,
                               s % 3600 / 60);
}

/* Per host: what is pending and for how long; the bundles and where they
 * are deployed; time-to-patch over the period. */
static void patches_section(GString *o, json_t *p)
{
    json_t *hosts = json_object_get(p, "hosts"), *lat, *v, *b;
    const char *host;
    size_t i;

    g_string_append(o, "<section id=\"patches\" aria-labelledby=\"patches-h\">"
                       "<h2 id=\"patches-h\">Patches</h2>");
    if (!p) {
        g_string_append(o, "<p class=\"muted\">no patch history</p></section>");
        return;
    }
    lat = json_object_get(p, "latency");
    g_string_append_printf(
        o, "<p id=\"patch-latency\">Time to patch over the period: %"
           JSON_INTEGER_FORMAT " installed, median ",
        json_integer_value(json_object_get(lat, "count")));
    age_cell(o, json_integer_value(json_object_get(lat, "median_s")));
    g_string_append(o, ", worst ");
    age_cell(o, json_integer_value(json_object_get(lat, "worst_s")));
    g_string_append(o, ".</p><table id=\"patches-table\"><thead><tr>"
                       "<th scope=\"col\">Host</th><th scope=\"col\">Security"
                       "</th><th scope=\"col\">Other</th><th scope=\"col\">"
                       "Oldest</th><th scope=\"col\">Overdue</th></tr></thead>"
                       "<tbody>");
    json_object_foreach(hosts, host, v)
    {
        json_int_t over = json_integer_value(json_object_get(v, "overdue"));

        g_string_append(o, "<tr><th scope=\"row\">");
        esc(o, host);
        g_string_append_printf(
            o, "</th><td class=\"n\">%" JSON_INTEGER_FORMAT "</td><td "
               "class=\"n\">%" JSON_INTEGER_FORMAT "</td><td>",
            json_integer_value(json_object_get(v, "security")),
            json_integer_value(json_object_get(v, "other")));
        age_cell(o, json_integer_value(json_object_get(v, "oldest_pending_s")));
        g_string_append_printf(o, "</td><td class=\"n%s\">%" JSON_INTEGER_FORMAT
                               "</td></tr>", over ? " e" : "", over);
    }
    g_string_append(o, "</tbody></table><table id=\"bundles-table\"><caption>"
                       "Bundles</caption><thead><tr><th scope=\"col\">Bundle"
                       "</th><th scope=\"col\">Host</th><th scope=\"col\">"
                       "Tested</th><th scope=\"col\">Deployed on</th></tr>"
                       "</thead><tbody>");
    json_array_foreach(json_object_get(p, "bundles"), i, b)
    {
        json_t *d;
        size_t k;

        g_string_append(o, "<tr><th scope=\"row\">");
        esc(o, str(b, "name"));
        g_string_append(o, "</th><td>");
        esc(o, str(b, "host"));
        g_string_append(o, "</td><td>");
        esc(o, str(b, "tested_at"));
        g_string_append(o, "</td><td>");
        json_array_foreach(json_object_get(b, "deployed_on"), k, d)
        {
            g_string_append(o, k ? ", " : "");
            esc(o, json_string_value(d));
        }
        g_string_append(o, "</td></tr>");
    }
    g_string_append(o, "</tbody></table></section>");
}

/* Bars of changes per day over the window (only days with changes). */
static void timeline_svg(GString *o, json_t *hist, guint days,
                         const char *first_day)
{
    GDate start;
    json_t *perday = json_object_get(hist, "days"), *d;
    double bw = (double)SVG_W / (days ? days : 1);
    json_int_t max = 1;
    size_t i;

    g_date_clear(&start, 1);
    g_date_set_parse(&start, first_day ? first_day : "");
    json_array_foreach(perday, i, d) max =
        MAX(max, json_integer_value(json_array_get(d, 1)));
    g_string_append_printf(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" "
        "width=\"%d\" height=\"%d\" viewBox=\"0 0 "
        "%d %d\" role=\"img\" aria-label=\"%d records changed it in "
        "%u days\">",
        SVG_W, SVG_H, SVG_W, SVG_H, (int)num(hist, "commits"), days);
    json_array_foreach(perday, i, d)
    {
        const char *date = json_string_value(json_array_get(d, 0));
        json_int_t n = json_integer_value(json_array_get(d, 1));
        double h = 2 + (SVG_H - 2) * (double)n / (double)max;
        GDate day;
        gint64 idx = 0;

        g_date_clear(&day, 1);
        g_date_set_parse(&day, date ? date : "");
        if (g_date_valid(&day) && g_date_valid(&start))
            idx = g_date_days_between(&start, &day);
        g_string_append_printf(o,
                               "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                               "height=\"%.1f\"><title>",
                               idx * bw, SVG_H - h, MAX(bw - 0.5, 1.0), h);
        esc(o, date);
        g_string_append_printf(o, ": %d</title></rect>", (int)n);
    }
    g_string_append(o, "</svg>");
}

static void host_article(GString *o, json_t *h, json_t *cats, guint days,
                         const char *first_day)
{
    const char *host = str(h, "host");
    json_t *hist = json_object_get(h, "history");
    json_t *e;
    size_t i;

    g_string_append(o, "<article id=\"h-");
    esc(o, host);
    g_string_append(o, "\"><h3>");
    esc(o, host);
    g_string_append(o, " <small class=\"muted\">");
    esc(o, str(h, "status"));
    g_string_append(o, "</small></h3>");
    if (str(h, "error")) {
        g_string_append(o, "<p class=\"error\">");
        esc(o, str(h, "error"));
        g_string_append(o, "</p>");
    }
    ds_report_html_changes(o, h, cats);
    if (num(h, "differences_not_listed")) {
        g_string_append_printf(o,
                               "<p class=\"muted\">%d more: <code>driftsync "
                               "diff ",
                               (int)num(h, "differences_not_listed"));
        esc(o, host);
        g_string_append(o, "</code></p>");
    }
    g_string_append(o, "<p>Records that changed it, per day: ");
    timeline_svg(o, hist, days, first_day);
    g_string_append(o, "</p>");
    if (json_array_size(json_object_get(hist, "recent"))) {
        g_string_append(o, "<ul class=\"commits\">");
        json_array_foreach(json_object_get(hist, "recent"), i, e)
        {
            g_string_append(o, "<li><code>");
            g_string_append_len(o, str(e, "commit") ? str(e, "commit") : "",
                                MIN(12, strlen(str(e, "commit") ?: "")));
            g_string_append(o, "</code> ");
            esc(o, str(e, "date"));
            if (str(e, "changes")) {
                g_string_append(o, ": ");
                esc(o, str(e, "changes"));
            } else {
                g_string_append(o, " ");
                esc(o, str(e, "summary"));
            }
            g_string_append(o, "</li>");
        }
        g_string_append(o, "</ul>");
    }
    g_string_append(o, "</article>");
}

char *ds_report_html(json_t *doc)
{
    GString *o = g_string_sized_new(1 << 20);
    json_t *cats = json_object_get(doc, "categories"), *h;
    guint days = (guint)num(doc, "days");
    size_t i;

    g_string_append_printf(
        o,
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" "
        "lang=\"en\"><head>"
        "<meta charset=\"utf-8\"/><meta name=\"viewport\" "
        "content=\"width=device-width\"/>"
        "<title>driftsync report</title><style>%s",
        css);
    ds_report_html_category_css(o);
    g_string_append(o, "</style></head><body>"
                       "<header><h1>driftsync report</h1><p>Generated ");
    esc(o, str(doc, "generated_at"));
    g_string_append(o, " from the store <code>");
    esc(o, str(doc, "store"));
    g_string_append(o, "</code> at <code>");
    esc(o, str(doc, "head") ? str(doc, "head") : "(empty)");
    g_string_append_printf(
        o,
        "</code>; history over %u days.</p><nav><a href=\"#mirror\">Mirror"
        "</a> · <a href=\"#drift\">Drift</a> · <a href=\"#audit\">Audit"
        "</a> · <a href=\"#trials\">Trials</a> · <a href=\"#patches\">"
        "Patches</a> · <a href=\"#hosts\">Hosts"
        "</a></nav></header><main>",
        days);
    mirror_section(o, json_object_get(doc, "mirror"));
    matrix_section(o, doc);
    mirror_details(o, json_object_get(doc, "mirror"));
    audit_section(o, json_object_get(doc, "audit"));
    trials_section(o, json_object_get(doc, "trials"));
    patches_section(o, json_object_get(doc, "patches"));
    g_string_append(o, "<section id=\"hosts\" aria-labelledby=\"hosts-h\">"
                       "<h2 id=\"hosts-h\">Hosts</h2>");
    json_array_foreach(json_object_get(doc, "hosts"), i, h)
        host_article(o, h, cats, days, str(doc, "first_day"));
    g_string_append(o, "</section></main></body></html>\n");
    return g_string_free(o, FALSE);
}
