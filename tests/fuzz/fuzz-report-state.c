/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/fuzz/fuzz-report-state.c: the state files `driftsync report`
 * reads (the last mirror run, the last audit, a trial result:
 * ds_report_state_parse and the sections built from them) and the page
 * rendered from them (ds_report_html).  A document refused must say why in
 * one line of UTF-8 that the report can carry; the page must stay UTF-8
 * and hold no element but the page's own (every value is escaped). */
#include <config.h>

#include "sync/output/report.h"
#include "tests/fuzz/fuzz.h"

/* The elements ds_report_html writes itself. */
static const char *const page_tags[] = {
    "!DOCTYPE", "html", "head", "meta", "title", "style", "body",
    "header", "h1", "h2", "h3", "h4", "p", "nav", "a", "main", "section",
    "code", "table", "caption", "thead", "tbody", "tr", "th", "td", "ul",
    "li", "strong", "small", "article", "svg", "rect"};

static void check_page(const char *html)
{
    if (!html || !g_utf8_validate(html, -1, NULL))
        abort();
    for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
        const char *name = p + 1 + (p[1] == '/');
        gsize n = strspn(name, "!ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz0123456789");
        bool known = false;

        for (guint i = 0; i < G_N_ELEMENTS(page_tags) && !known; i++)
            known = strlen(page_tags[i]) == n &&
                    strncmp(page_tags[i], name, n) == 0;
        if (!known) {
            fprintf(stderr, "element not the page's own: %.40s\n", p);
            abort();
        }
    }
}

/* The section for one kind of state file: built from the document, or
 * {"error": why} as the report shows a file it cannot use. */
static json_t *section(const uint8_t *data, size_t size, const char *schema,
                       json_t *(*build)(json_t *))
{
    json_t *doc, *out;
    char *why;

    if (ds_report_state_parse(&doc, &why, (const char *)data, size,
                              "state/latest.json", schema) < 0) {
        if (!why || !why[0] || strchr(why, '\n') ||
            !g_utf8_validate(why, -1, NULL))
            abort();
        out = json_pack("{s:s}", "error", why);
        g_free(why);
        if (!out)
            abort();
        return out;
    }
    out = build ? build(doc) : json_incref(doc);
    json_decref(doc);
    if (!out)
        abort();
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GPtrArray) trials =
        g_ptr_array_new_with_free_func((GDestroyNotify)json_decref);
    json_t *mirror, *audit, *trial, *doc;
    g_autofree char *html = NULL;
    char *dump;

    mirror = section(data, size, "driftsync/mirror/v1", ds_report_mirror_json);
    audit = section(data, size, "driftsync/audit/v1", ds_report_audit_json);
    trial = section(data, size, "driftsync/trial/v1", NULL);
    /* A broken trial result is left out; a good one is listed twice
     * (sorting equal dates). */
    if (!json_object_get(trial, "error")) {
        g_ptr_array_add(trials, json_incref(trial));
        g_ptr_array_add(trials, json_incref(trial));
    }
    json_decref(trial);
    doc = json_pack("{s:s, s:s, s:s, s:i, s:s, s:[s, s], s:{s:i, s:i}, "
                    "s:[], s:o, s:o, s:o}",
                    "schema", DS_REPORT_FORMAT, "generated_at",
                    "2026-12-03T00:00:00Z", "store", "/var/lib/driftsync",
                    "days", 7, "first_day", "2026-11-27", "categories",
                    "packages", "files", "totals", "hosts", 0, "drifted", 0,
                    "hosts", "mirror", mirror, "audit", audit, "trials",
                    ds_report_trials_json(trials));
    if (!doc)
        abort();
    html = ds_report_html(doc);
    check_page(html);
    dump = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (!dump)
        abort();
    free(dump);
    json_decref(doc);
    return 0;
}
