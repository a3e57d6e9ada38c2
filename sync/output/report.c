/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/output/report.c: gathers what `driftsync report` shows into one JSON
 * document: the drift matrix (lab -> prod at HEAD, manifests/drift.c),
 * each host's recorded changes over the last days (one walk over the
 * store's history for all hosts), the last mirror run, audit findings and
 * recent trials from the state directory. */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "manifests/content-diff.h"
#include "manifests/diff.h"
#include "manifests/drift.h"
#include "manifests/util/error.h"
#include "manifests/util/file.h"
#include "sync/output/patches-report.h"
#include "sync/output/report.h"

#define SECONDS_PER_DAY 86400

/* The changes counted by category into counts (added to). */
static void count_changes(guint *counts, const GPtrArray *changes)
{
    for (guint i = 0; changes && i < changes->len; i++) {
        const ds_change *c = g_ptr_array_index(changes, i);

        counts[c->category < DS_CAT_COUNT ? c->category : DS_CAT_KERNEL]++;
    }
}

static json_t *counts_json(const guint *counts)
{
    json_t *o = json_object();

    for (int c = 0; c < DS_CAT_COUNT; c++)
        json_object_set_new(o, ds_category_name(c), json_integer(counts[c]));
    return o;
}

/* The first `max` changes as JSON (old and new values, fields), each with
 * its description as `driftsync diff` gives it (the lab against prod) and
 * its content diff when there is one (`patch`, as `diff -p --json`). */
static json_t *changes_json(GPtrArray *changes, GHashTable *patches,
                            guint max)
{
    static const ds_change_sides lab_prod = {"the lab", "prod", 1};
    json_t *a = json_array();

    for (guint i = 0; changes && i < changes->len && i < max; i++) {
        const ds_change *c = g_ptr_array_index(changes, i);
        json_t *o = ds_change_to_json(c);
        g_autofree char *d = ds_change_describe_sides(c, &lab_prod);

        json_object_set_new(o, "category",
                            json_string(ds_category_name(c->category)));
        json_object_set_new(o, "description", json_string(d));
        if (patches && g_hash_table_lookup(patches, c))
            json_object_set_new(
                o, "patch",
                ds_content_diff_to_json(g_hash_table_lookup(patches, c)));
        json_array_append_new(a, o);
    }
    return a;
}

static int strcmp_ptr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every host with a prod or lab manifest at oid, sorted, unique. */
static int all_hosts(GPtrArray **out, ds_store *st, const char *oid,
                     GError **err)
{
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) seen =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, NULL);
    GPtrArray *lists[2] = {NULL, NULL};
    int rc = 0;

    if (oid &&
        ((rc = ds_store_list_hosts(&lists[0], st, oid, DS_ROLE_PROD, err)) <
             0 ||
         (rc = ds_store_list_hosts(&lists[1], st, oid, DS_ROLE_LAB, err)) < 0))
        goto done;
    for (int r = 0; r < 2; r++)
        for (guint i = 0; lists[r] && i < lists[r]->len; i++) {
            char *h = g_strdup(g_ptr_array_index(lists[r], i));

            if (g_hash_table_add(seen, h))
                g_ptr_array_add(all, h);
            else
                g_free(h);
        }
    g_ptr_array_sort(all, strcmp_ptr);
    *out = g_steal_pointer(&all);
done:
    for (int r = 0; r < 2; r++)
        if (lists[r])
            g_ptr_array_unref(lists[r]);
    return rc;
}

/* "2026-11-27" for t (UTC). */
static char *day_name(gint64 t)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);

    return dt ? g_date_time_format(dt, "%Y-%m-%d") : g_strdup("?");
}

static char *iso_utc(gint64 t)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);

    return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("?");
}

/* A host's records over the window: per day with any, [date, commits];
 * the newest commits with what their message says of the host. */
static json_t *timeline_json(GPtrArray *entries, gint64 start, guint days)
{
    json_t *perday = json_array(), *recent = json_array();
    g_autofree guint *commits = g_new0(guint, days);
    guint total = 0;

    for (guint i = 0; entries && i < entries->len; i++) {
        const ds_history_entry *e = g_ptr_array_index(entries, i);
        gint64 d = (e->time - start) / SECONDS_PER_DAY;

        if (d < 0 || d >= (gint64)days)
            continue;
        commits[d]++;
        total++;
        if (json_array_size(recent) < DS_REPORT_MAX_COMMITS) {
            g_autofree char *date = iso_utc(e->time);

            json_array_append_new(recent,
                                  json_pack("{s:s, s:s, s:s, s:s?}", "commit",
                                            e->oid, "date", date, "summary",
                                            e->summary ? e->summary : "",
                                            "changes", e->detail));
        }
    }
    for (guint d = 0; d < days; d++)
        if (commits[d]) {
            g_autofree char *date =
                day_name(start + (gint64)d * SECONDS_PER_DAY);

            json_array_append_new(perday,
                                  json_pack("[s, i]", date, (int)commits[d]));
        }
    return json_pack("{s:i, s:o, s:o}", "commits", (int)total, "days", perday,
                     "recent", recent);
}

int ds_report_state_parse(json_t **out, char **why, const char *data,
                          gsize len, const char *origin, const char *schema)
{
    json_error_t jerr;
    json_t *doc;
    const char *s;

    *out = NULL;
    *why = NULL;
    if (!(doc = json_loadb(data, len, 0, &jerr))) {
        g_autofree char *text = ds_error_text(jerr.text, -1);
        *why = g_strdup_printf("%s: %s", origin, text);
        return -1;
    }
    s = json_string_value(json_object_get(doc, "schema"));
    if (!s)
        s = json_string_value(json_object_get(doc, "format"));
    if (!json_is_object(doc) || g_strcmp0(s, schema)) {
        json_decref(doc);
        *why = g_strdup_printf("%s: not a %s document", origin, schema);
        return -1;
    }
    *out = doc;
    return 0;
}

/* A JSON file of the state directory whose "schema" (or "format") is
 * `schema`: 0 and *out set; 1 when it does not exist; -1 when it cannot
 * be read or is something else (*why says so). */
static int read_state_json(json_t **out, char **why, const char *path,
                           const char *schema)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *data = NULL;
    gsize len;

    *out = NULL;
    *why = NULL;
    if (!g_file_test(path, G_FILE_TEST_EXISTS))
        return 1;
    if (!g_file_get_contents(path, &data, &len, &err)) {
        *why = g_strdup(err->message);
        return -1;
    }
    return ds_report_state_parse(out, why, data, len, path, schema);
}

/* {"error": why} for a state file that is not what it should be. */
static json_t *state_error(char *why)
{
    json_t *o = json_pack("{s:s}", "error", why);

    g_free(why);
    return o;
}

/* The last mirror run: its summary, the labs not in sync (with reasons)
 * and the hosts that could not be recorded. */
json_t *ds_report_mirror_json(json_t *doc)
{
    json_t *labs, *lab;
    size_t i;
    guint listed = 0;

    labs = json_array();
    json_array_foreach(json_object_get(doc, "labs"), i, lab)
    {
        const char *status = json_string_value(json_object_get(lab, "status"));

        /* A lab the run synced is in sync as much as one it left alone:
         * neither is "not in sync". */
        if (!status || !strcmp(status, "in_sync") ||
            !strcmp(status, "synced") || listed++ >= DS_REPORT_MAX_LABS)
            continue;
        json_array_append_new(
            labs, json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}", "host",
                            json_object_get(lab, "host"), "status",
                            json_object_get(lab, "status"), "reason",
                            json_object_get(lab, "reason"), "changes",
                            json_object_get(lab, "changes"), "snapshot",
                            json_object_get(lab, "snapshot")));
    }
    return json_pack(
        "{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:o, s:i}",
        "scope", json_object_get(doc, "scope"), "run_id",
        json_object_get(doc, "run_id"), "started",
        json_object_get(doc, "started"), "finished",
        json_object_get(doc, "finished"), "dry_run",
        json_object_get(doc, "dry_run"), "exit", json_object_get(doc, "exit"),
        "summary", json_object_get(doc, "summary"), "record_failed",
        json_object_get(json_object_get(doc, "recorded"), "failed"), "labs",
        labs, "labs_not_listed",
        listed > DS_REPORT_MAX_LABS ? (int)(listed - DS_REPORT_MAX_LABS) : 0);
}

/* One state section: STATE_DIR/DIR/latest.json of the given schema, made
 * into the report's section by build; NULL when the file is absent, an
 * error object when it cannot be read. */
static json_t *state_section(const char *state_dir, const char *dir,
                             const char *schema, json_t *(*build)(json_t *))
{
    g_autofree char *path =
        g_build_filename(state_dir, dir, "latest.json", NULL);
    json_t *doc, *out;
    char *why;
    int rc = read_state_json(&doc, &why, path, schema);

    if (rc)
        return rc < 0 ? state_error(why) : NULL;
    out = build(doc);
    json_decref(doc);
    return out;
}

/* Audit findings, host by host (only hosts with findings). */
json_t *ds_report_audit_json(json_t *doc)
{
    json_t *hosts, *h;
    size_t i;

    hosts = json_array();
    json_array_foreach(json_object_get(doc, "hosts"), i, h)
    {
        json_t *f = json_object_get(h, "findings"), *kept = json_array();
        json_t *one;
        size_t j;

        if (!json_is_string(json_object_get(h, "host")) ||
            !json_array_size(f)) {
            json_decref(kept);
            continue;
        }
        json_array_foreach(f, j, one)
        {
            if (j >= DS_REPORT_MAX_FINDINGS)
                break;
            json_array_append_new(
                kept,
                json_pack(
                    "{s:s, s:s}", "kind",
                    json_string_value(json_object_get(one, "kind")) ?: "?",
                    "detail",
                    json_string_value(json_object_get(one, "detail")) ?: ""));
        }
        json_array_append_new(hosts, json_pack("{s:O, s:i, s:o}", "host",
                                               json_object_get(h, "host"),
                                               "count", (int)json_array_size(f),
                                               "findings", kept));
    }
    /* The audit document says "generated" (ds_audit_run_json). */
    return json_pack("{s:O?, s:O?, s:o}", "generated_at",
                     json_object_get(doc, "generated"), "exit",
                     json_object_get(doc, "exit"), "hosts", hosts);
}

static int trial_newer_first(gconstpointer a, gconstpointer b)
{
    const char *x =
        json_string_value(json_object_get(*(json_t *const *)a, "started_at"));
    const char *y =
        json_string_value(json_object_get(*(json_t *const *)b, "started_at"));

    return -g_strcmp0(x, y);
}

json_t *ds_report_trials_json(GPtrArray *docs)
{
    json_t *out = json_array();

    g_ptr_array_sort(docs, trial_newer_first);
    for (guint i = 0; i < docs->len && i < DS_REPORT_MAX_TRIALS; i++) {
        json_t *t = g_ptr_array_index(docs, i);

        json_array_append_new(
            out, json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "run",
                           json_object_get(t, "run"), "host",
                           json_object_get(t, "host"), "started_at",
                           json_object_get(t, "started_at"), "seconds",
                           json_object_get(t, "seconds"), "passed",
                           json_object_get(t, "passed"), "reverted",
                           json_object_get(t, "reverted"), "error",
                           json_object_get(t, "error")));
    }
    return out;
}

/* The newest trial results (STATE/trials/RUN.json). */
static json_t *trials_json(const char *state_dir)
{
    g_autofree char *dir = g_build_filename(state_dir, "trials", NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) docs =
        g_ptr_array_new_with_free_func((GDestroyNotify)json_decref);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = NULL;
        g_autofree char *why = NULL;
        json_t *doc;

        if (!g_str_has_suffix(name, ".json"))
            continue;
        path = g_build_filename(dir, name, NULL);
        /* A result being written or broken is left out. */
        if (read_state_json(&doc, &why, path, "driftsync/trial/v1") == 0)
            g_ptr_array_add(docs, doc);
    }
    return ds_report_trials_json(docs);
}

typedef struct {
    GHashTable *history; /* host -> its commits, for the timeline */
    gint64 start;
    guint days;
    json_t *hosts;  /* the rows made */
    guint *totals;  /* changes by category, over every host */
    guint *drifted; /* hosts with a change */
} rows_ctx;

/* One host's row of the report, as its drift comes. */
static void host_row(const ds_drift *r, void *data)
{
    const rows_ctx *c = data;
    guint n = r->changes ? r->changes->len : 0;
    guint counts[DS_CAT_COUNT] = {0};
    json_t *h;

    count_changes(counts, r->changes);
    for (int k = 0; k < DS_CAT_COUNT; k++)
        c->totals[k] += counts[k];
    *c->drifted += n > 0;
    h = json_pack("{s:s, s:s, s:o, s:i, s:o, s:i, s:o}", "host", r->host,
                  "status", ds_drift_status_name(r->status), "drift",
                  counts_json(counts), "drift_total", (int)n, "differences",
                  changes_json(r->changes, r->patches, DS_REPORT_MAX_DIFFS),
                  "differences_not_listed",
                  n > DS_REPORT_MAX_DIFFS ? (int)(n - DS_REPORT_MAX_DIFFS) : 0,
                  "history",
                  timeline_json(g_hash_table_lookup(c->history, r->host),
                                c->start, c->days));
    if (r->error)
        json_object_set_new(h, "error", json_string(r->error->message));
    json_array_append_new(c->hosts, h);
}

int ds_report_build(json_t **out, ds_store *st, const ds_config *cfg,
                    guint days, gint64 now, GError **err)
{
    g_autoptr(GPtrArray) hosts = NULL;
    g_autoptr(GHashTable) history = NULL;
    g_autofree char *oid = NULL;
    g_autofree char *generated = iso_utc(now);
    g_autofree char *first_day = NULL;
    json_t *jhosts, *cats, *doc, *patches = NULL;
    guint totals[DS_CAT_COUNT] = {0}, drifted = 0;
    gint64 start;
    int rc;

    *out = NULL;
    if ((rc = ds_store_resolve(&oid, st, "HEAD", err)) < 0) {
        if (rc != DS_ENOTFOUND)
            return rc;
        g_clear_error(err);
    }
    if ((rc = all_hosts(&hosts, st, oid, err)) < 0)
        return rc;
    /* Whole days ending with today (UTC). */
    start = (now / SECONDS_PER_DAY - (gint64)days + 1) * SECONDS_PER_DAY;
    first_day = day_name(start);
    /* The commits that changed each host, not their semantic diff: that
     * would parse two manifests per record (the matrix parses two per
     * host already); each commit's message says what changed. */
    if ((rc = ds_store_history_all(&history, st, DS_ROLE_PROD, start, false,
                                   cfg->ignore, err)) < 0)
        return ds_error_prefix(err, rc, "report: history: ");

    jhosts = json_array();
    ds_drift_each(
        st, oid, (char *const *)hosts->pdata, hosts->len,
        &(ds_drift_options){cfg->ignore,
                            &(ds_content_diff_options){DS_TEXTDIFF_CONTEXT, 0},
                            false},
        host_row, &(rows_ctx){history, start, days, jhosts, totals, &drifted});
    cats = json_array();
    for (int c = 0; c < DS_CAT_COUNT; c++)
        json_array_append_new(cats, json_string(ds_category_name(c)));
    doc = json_pack("{s:s, s:s, s:s, s:s?, s:i, s:s, s:o, s:{s:i, s:i, s:o}, "
                    "s:o}",
                    "schema", DS_REPORT_FORMAT, "generated_at", generated,
                    "store", ds_store_path(st), "head", oid, "days", (int)days,
                    "first_day", first_day, "categories", cats, "totals",
                    "hosts", (int)hosts->len, "drifted", (int)drifted,
                    "differences", counts_json(totals), "hosts", jhosts);
    json_object_set_new(doc, "mirror",
                        state_section(cfg->state_dir, "reports",
                                      "driftsync/mirror/v1",
                                      ds_report_mirror_json) ?: json_null());
    json_object_set_new(doc, "audit",
                        state_section(cfg->state_dir, "audit",
                                      "driftsync/audit/v1",
                                      ds_report_audit_json) ?: json_null());
    json_object_set_new(doc, "trials", trials_json(cfg->state_dir));
    if ((rc = ds_patches_report_json(&patches, st, start, now,
                                     cfg->patches_security_sla, err)) < 0) {
        json_decref(doc);
        return ds_error_prefix(err, rc, "report: patches: ");
    }
    json_object_set_new(doc, "patches", patches);
    *out = doc;
    return 0;
}

int ds_report_write(char **html_path, char **json_path, json_t *doc,
                    const char *dir, GError **err)
{
    g_autofree char *html = ds_report_html(doc);
    g_autofree char *dump = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    g_autofree char *text = NULL;
    g_autofree char *hp = g_build_filename(dir, "report.html", NULL);
    g_autofree char *jp = g_build_filename(dir, "report.json", NULL);
    int rc;

    *html_path = *json_path = NULL;
    if (!html || !dump)
        return ds_error_set(err, DS_EGENERIC,
                            "the report could not be serialised");
    text = g_strconcat(dump, "\n", NULL);
    if ((rc = ds_file_write_atomic(jp, text, strlen(text), 0600,
                                   DS_FILE_MKDIR, err)) < 0 ||
        (rc = ds_file_write_atomic(hp, html, strlen(html), 0600,
                                   DS_FILE_MKDIR, err)) < 0)
        return ds_error_prefix(err, rc, "report: ");
    *html_path = g_steal_pointer(&hp);
    *json_path = g_steal_pointer(&jp);
    return 0;
}
