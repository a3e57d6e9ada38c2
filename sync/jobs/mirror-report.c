/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/mirror-report.c: what a mirror run's report says: the counts,
 * the exit code, and the JSON document (schema driftsync/mirror/v1)
 * written to the state directory. */
#include <config.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "manifests/util/error.h"
#include "manifests/util/file.h"
#include "sync/jobs/mirror.h"
#include "sync/output/patches-report.h"

guint ds_mirror_count(const ds_mirror_report *r, ds_mirror_status s)
{
    guint n = 0;

    for (guint i = 0; i < r->labs->len; i++)
        if (((ds_mirror_lab *)r->labs->pdata[i])->status == s)
            n++;
    return n;
}

guint ds_mirror_count_failed(const ds_mirror_report *r)
{
    return ds_mirror_count(r, DS_MIRROR_FAILED) +
           ds_mirror_count(r, DS_MIRROR_REVERTED) +
           ds_mirror_count(r, DS_MIRROR_KEPT);
}

int ds_mirror_exit_code(const ds_mirror_report *r)
{
    if (!r->recorded->len && r->record_failed->len)
        return 2;
    if (r->record_failed->len || ds_mirror_count_failed(r) ||
        ds_mirror_count(r, DS_MIRROR_PLANNED))
        return 1;
    return 0;
}

static json_t *lab_json(const ds_mirror_lab *l)
{
    json_t *drift;
    json_t *o = json_pack(
        "{s:s, s:s?, s:s?, s:s, s:s?, s:s?, s:f, s:i, s:i, s:i}", "host",
        l->host, "domain", l->domain, "uri", l->uri, "status",
        ds_mirror_status_name(l->status),
        "reason", l->reason, "snapshot", l->snapshot, "duration_s",
        l->seconds, "changes", (int)l->changes, "steps", (int)l->steps,
        "plan_steps", (int)l->plan_steps);

    if (!l->reason)
        json_object_set_new(o, "reason", json_null());
    if (!l->snapshot)
        json_object_set_new(o, "snapshot", json_null());
    if (!l->domain)
        json_object_set_new(o, "domain", json_null());
    if (!l->uri)
        json_object_set_new(o, "uri", json_null());
    drift = json_object();
    for (int c = 0; c < DS_CAT_COUNT; c++)
        json_object_set_new(drift, ds_category_name((ds_category)c),
                            json_integer(l->drift[c]));
    json_object_set_new(o, "drift", drift);
    if (l->failure)
        json_object_set_new(
            o, "failed_step",
            json_pack("{s:i, s:s?, s:s?, s:i, s:s?}", "step",
                      (int)l->failure->index, "description",
                      l->failure->description, "command", l->failure->command,
                      "status", l->failure->status, "output",
                      l->failure->output));
    return o;
}

/* The libvirt daemons the sync phase used. */
static json_t *daemons_json(const ds_mirror_report *r)
{
    json_t *a = json_array();

    for (guint i = 0; r->daemons && i < r->daemons->len; i++) {
        const ds_mirror_daemon *d = r->daemons->pdata[i];
        json_t *o = json_pack("{s:s, s:i, s:i, s:f}", "uri", d->uri, "labs",
                              (int)d->labs, "connections",
                              (int)d->connections, "duration_s", d->seconds);

        json_object_set_new(o, "error", d->error ? json_string(d->error)
                                                 : json_null());
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *strings_json(const GPtrArray *a)
{
    json_t *o = json_array();

    for (guint i = 0; a && i < a->len; i++)
        json_array_append_new(o, json_string(a->pdata[i]));
    return o;
}

/* Which hosts the run covered: every configured host, or those named and
 * those of the groups named (each runner of a shared fleet its own). */
static json_t *scope_json(const ds_mirror_report *r)
{
    json_t *covered = json_array();

    for (guint i = 0; i < r->labs->len; i++)
        json_array_append_new(
            covered, json_string(((ds_mirror_lab *)r->labs->pdata[i])->host));
    return json_pack("{s:b, s:o, s:o, s:o}", "all",
                     (!r->groups || !r->groups->len) && (!r->named || !r->named->len), "groups",
                     strings_json(r->groups), "hosts", strings_json(r->named),
                     "covered", covered);
}

json_t *ds_mirror_report_json(const ds_mirror_report *r)
{
    json_t *hosts = json_array();
    json_t *failed = json_array();
    json_t *labs = json_array();
    json_t *summary = json_object();
    json_t *doc;

    for (guint i = 0; i < r->recorded->len; i++)
        json_array_append_new(hosts, json_string(r->recorded->pdata[i]));
    for (guint i = 0; i < r->record_failed->len; i++) {
        const ds_mirror_record_failure *f = r->record_failed->pdata[i];

        json_array_append_new(failed, json_pack("{s:s, s:s}", "host",
                                                f->host, "reason",
                                                f->reason));
    }
    for (guint i = 0; i < r->labs->len; i++)
        json_array_append_new(labs, lab_json(r->labs->pdata[i]));
    json_object_set_new(summary, "hosts", json_integer(r->labs->len));
    json_object_set_new(summary, "recorded",
                        json_integer(r->recorded->len));
    json_object_set_new(summary, "record_failed",
                        json_integer(r->record_failed->len));
    json_object_set_new(summary, "packages_cached", json_integer(r->cached));
    if (r->cache_warnings && r->cache_warnings->len) {
        json_t *w = json_array();

        for (guint i = 0; i < r->cache_warnings->len; i++)
            json_array_append_new(
                w, json_string(r->cache_warnings->pdata[i]));
        json_object_set_new(summary, "cache_warnings", w);
    }
    for (int s = 0; s < DS_MIRROR_STATUS_COUNT; s++)
        json_object_set_new(summary, ds_mirror_status_name(s),
                            json_integer(ds_mirror_count(r, s)));
    doc = json_pack("{s:s, s:s, s:s, s:s?, s:f, s:i, s:b, "
                     "s:{s:o, s:o, s:o}, s:o, s:o, s:o, s:i}",
                     "format", DS_MIRROR_FORMAT, "run_id", r->run_id,
                     "started", r->started, "finished", r->finished,
                     "duration_s", r->seconds, "parallel", r->parallel,
                     "dry_run", r->dry_run, "recorded", "hosts", hosts,
                     "commit",
                     r->record_commit ? json_string(r->record_commit)
                                      : json_null(),
                     "failed", failed, "sync_commit",
                     r->sync_commit ? json_string(r->sync_commit)
                                    : json_null(),
                     "labs", labs, "summary", summary, "exit",
                     ds_mirror_exit_code(r));
    if (doc) {
        json_object_set_new(doc, "scope", scope_json(r));
        json_object_set_new(doc, "daemons", daemons_json(r));
    }
    if (doc && r->notify)
        json_object_set(doc, "notify", r->notify);
    if (doc && r->patches)
        json_object_set_new(
            doc, "patches",
            ds_patches_summary_json(r->patches,
                                    (const char *const *)r->recorded->pdata,
                                    r->recorded->len, r->patches_now,
                                    r->patches_sla));
    return doc;
}

char *ds_mirror_report_dumps(const ds_mirror_report *r)
{
    json_t *doc = ds_mirror_report_json(r);
    char *dump = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS |
                                     JSON_REAL_PRECISION(6));
    char *text = dump ? g_strconcat(dump, "\n", NULL) : NULL;

    free(dump);
    json_decref(doc);
    return text;
}

int ds_mirror_report_write(char **path, const ds_mirror_report *r,
                           const char *state_dir, GError **err)
{
    g_autofree char *name = g_strdup_printf("mirror-%s.json", r->run_id);
    g_autofree char *file = g_build_filename(state_dir, "reports", name, NULL);
    g_autofree char *latest =
        g_build_filename(state_dir, "reports", "latest.json", NULL);
    g_autofree char *text = ds_mirror_report_dumps(r);
    int rc;

    *path = NULL;
    if (!text)
        return ds_error_set(err, DS_EGENERIC,
                            "the mirror report could not be serialised");
    if ((rc = ds_file_write_atomic(file, text, strlen(text), 0600,
                                   DS_FILE_MKDIR, err)) < 0 ||
        (rc = ds_file_write_atomic(latest, text, strlen(text), 0600,
                                   DS_FILE_MKDIR, err)) < 0)
        return ds_error_prefix(err, rc, "the mirror report: ");
    *path = g_steal_pointer(&file);
    return 0;
}
