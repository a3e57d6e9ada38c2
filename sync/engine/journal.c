/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/engine/journal.c: what a sync run leaves in the state directory: the
 * per-lab lock (flock, naming its holder) and the run's journal (JSON,
 * written atomically at every step) by which the next run finds one that
 * was killed. */
#include <config.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifests/util/error.h"
#include "manifests/util/file.h"
#include "sync/engine/sync.h"

#define JOURNAL_MAX_BYTES (1024 * 1024)

/* ---- the lock ---- */

int ds_sync_lock_take(ds_lock **out, const char *state_dir,
                      const char *domain, GError **err)
{
    g_autofree char *dir = g_build_filename(state_dir, "lock", NULL);
    g_autofree char *name = NULL;
    g_autofree char *path = NULL;
    g_autofree char *who = NULL;
    GError *e = NULL;
    int rc;

    *out = NULL;
    if (!ds_name_is_safe_host(domain))
        return ds_error_set(err, DS_EINVALID, "refusing lab domain name '%s'",
                            domain);
    if (g_mkdir_with_parents(dir, 0700) < 0)
        return ds_error_set(err, DS_EGENERIC, "cannot create %s: %s", dir,
                            g_strerror(errno));
    name = g_strdup_printf("%s.lock", domain);
    path = g_build_filename(dir, name, NULL);
    rc = ds_lock_take(out, &who, path, 0600, 0, &e);
    if (rc == DS_ECONFLICT) {
        g_error_free(e);
        return ds_error_set(err, rc,
                            "lab %s is busy: another run holds its lock (%s)",
                            domain, who);
    }
    if (rc < 0)
        g_propagate_error(err, e);
    return rc;
}

/* ---- the journal ---- */

static const char *const state_names[] = {
    [DS_JOURNAL_STARTED] = "started",
    [DS_JOURNAL_APPLYING] = "applying",
    [DS_JOURNAL_VERIFYING] = "verifying",
    [DS_JOURNAL_RECORDING] = "recording",
    [DS_JOURNAL_REVERTING] = "reverting",
    [DS_JOURNAL_FINISHED] = "finished",
    [DS_JOURNAL_REVERTED] = "reverted",
    [DS_JOURNAL_KEPT] = "kept",
    [DS_JOURNAL_RECOVERED] = "recovered",
};

const char *ds_journal_state_name(ds_journal_state state)
{
    if ((int)state < 0 || state >= DS_JOURNAL_STATE_COUNT)
        return "unknown";
    return state_names[state];
}

bool ds_journal_is_open(const ds_journal *j)
{
    return j && j->state < DS_JOURNAL_FINISHED;
}

static void step_free(ds_journal_step *s)
{
    if (!s)
        return;
    g_free(s->kind);
    g_free(s->description);
    g_free(s->started);
    g_free(s->finished);
    g_free(s);
}

static char *now_text(void)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();

    return g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
}

ds_journal *ds_journal_new(const char *run_id, const char *host,
                           const char *domain, const char *uri,
                           const char *snapshot)
{
    ds_journal *j = g_new0(ds_journal, 1);

    j->run_id = g_strdup(run_id);
    j->host = g_strdup(host);
    j->domain = g_strdup(domain);
    j->uri = g_strdup(uri);
    j->snapshot = g_strdup(snapshot);
    j->state = DS_JOURNAL_STARTED;
    j->pid = (long)getpid();
    j->started = now_text();
    j->steps = g_ptr_array_new_with_free_func((GDestroyNotify)step_free);
    return j;
}

void ds_journal_free(ds_journal *j)
{
    if (!j)
        return;
    g_free(j->run_id);
    g_free(j->host);
    g_free(j->domain);
    g_free(j->uri);
    g_free(j->snapshot);
    g_free(j->note);
    g_free(j->started);
    g_free(j->updated);
    if (j->steps)
        g_ptr_array_unref(j->steps);
    g_free(j);
}

char *ds_journal_path(const char *state_dir, const char *host)
{
    g_autofree char *name = g_strdup_printf("%s.json", host);

    return g_build_filename(state_dir, "journal", name, NULL);
}

char *ds_journal_before_path(const char *state_dir, const char *host)
{
    g_autofree char *name = g_strdup_printf("%s.before.json", host);

    return g_build_filename(state_dir, "journal", name, NULL);
}

void ds_journal_step_begin(ds_journal *j, guint index, const char *kind,
                           const char *description)
{
    ds_journal_step *s = g_new0(ds_journal_step, 1);

    s->index = index;
    s->kind = g_strdup(kind);
    s->description = g_strdup(description);
    s->started = now_text();
    s->status = -1;
    g_ptr_array_add(j->steps, s);
}

void ds_journal_step_end(ds_journal *j, int status)
{
    ds_journal_step *s;

    if (!j->steps->len)
        return;
    s = j->steps->pdata[j->steps->len - 1];
    g_free(s->finished);
    s->finished = now_text();
    s->status = status;
}

static json_t *journal_json(const ds_journal *j)
{
    json_t *steps = json_array();

    for (guint i = 0; i < j->steps->len; i++) {
        const ds_journal_step *s = j->steps->pdata[i];

        json_array_append_new(
            steps, json_pack("{s:i, s:s?, s:s?, s:s?, s:s?, s:i}", "step",
                             (int)s->index, "kind", s->kind, "description",
                             s->description, "started", s->started,
                             "finished", s->finished, "status", s->status));
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:s?, s:I, s:s?, "
                     "s:s?, s:i, s:o}",
                     "format", "driftsync/journal/v1", "run_id", j->run_id,
                     "host", j->host, "domain", j->domain, "uri", j->uri,
                     "snapshot", j->snapshot, "state",
                     ds_journal_state_name(j->state), "note", j->note, "pid",
                     (json_int_t)j->pid, "started", j->started, "updated",
                     j->updated, "total", (int)j->total, "steps", steps);
}

int ds_journal_write(const char *path, ds_journal *j, GError **err)
{
    g_autofree char *text = NULL;
    json_t *doc;
    int rc;

    g_free(j->updated);
    j->updated = now_text();
    j->pid = (long)getpid();
    if (!(doc = journal_json(j)))
        return ds_error_set(err, DS_EINVALID, "%s: journal: bad values",
                            j->host ? j->host : "?");
    text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(doc);
    if (!text)
        return ds_error_set(err, DS_EGENERIC, "%s: journal: out of memory",
                            j->host);
    {
        g_autofree char *line = g_strconcat(text, "\n", NULL);

        rc = ds_file_write_atomic(path, line, strlen(line), 0600,
                                  DS_FILE_MKDIR, err);
    }
    if (rc < 0)
        return ds_error_prefix(err, rc, "%s: journal: ", j->host);
    return 0;
}

static char *dup_string(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? g_strdup(s) : NULL;
}

int ds_journal_read(ds_journal **out, const char *path, GError **err)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) e = NULL;
    g_autoptr(ds_journal) j = NULL;
    json_error_t jerr;
    json_t *doc, *steps;
    const char *state;
    gsize len = 0;
    int i;

    *out = NULL;
    if (!g_file_get_contents(path, &text, &len, &e)) {
        if (g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return ds_error_set(err, DS_ENOTFOUND, "%s: no journal", path);
        return ds_error_set(err, DS_EGENERIC, "%s", e->message);
    }
    if (len > JOURNAL_MAX_BYTES)
        return ds_error_set(err, DS_EINVALID, "%s: not a journal (too big)",
                            path);
    doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        return ds_error_set(err, DS_EINVALID, "%s: not a journal: line %d: %s",
                            path, jerr.line, jerr.text);
    j = g_new0(ds_journal, 1);
    j->steps = g_ptr_array_new_with_free_func((GDestroyNotify)step_free);
    j->run_id = dup_string(doc, "run_id");
    j->host = dup_string(doc, "host");
    j->domain = dup_string(doc, "domain");
    j->uri = dup_string(doc, "uri");
    j->snapshot = dup_string(doc, "snapshot");
    j->note = dup_string(doc, "note");
    j->started = dup_string(doc, "started");
    j->updated = dup_string(doc, "updated");
    j->pid = (long)json_integer_value(json_object_get(doc, "pid"));
    j->total = (guint)json_integer_value(json_object_get(doc, "total"));
    state = json_string_value(json_object_get(doc, "state"));
    for (i = 0; i < DS_JOURNAL_STATE_COUNT; i++)
        if (state && !strcmp(state, state_names[i]))
            break;
    if (g_strcmp0(json_string_value(json_object_get(doc, "format")),
                  "driftsync/journal/v1") != 0 ||
        !j->run_id || !j->host || !j->domain || !j->snapshot ||
        i == DS_JOURNAL_STATE_COUNT || !ds_name_is_safe_host(j->host) ||
        !ds_name_is_safe_host(j->domain)) {
        json_decref(doc);
        return ds_error_set(err, DS_EINVALID,
                            "%s: not a driftsync journal (format, run_id, host, domain, snapshot or state missing or bad)",
                            path);
    }
    j->state = (ds_journal_state)i;
    steps = json_object_get(doc, "steps");
    for (gsize k = 0; k < json_array_size(steps); k++) {
        json_t *o = json_array_get(steps, k);
        ds_journal_step *s = g_new0(ds_journal_step, 1);
        json_t *st = json_object_get(o, "status");

        s->index = (guint)json_integer_value(json_object_get(o, "step"));
        s->kind = dup_string(o, "kind");
        s->description = dup_string(o, "description");
        s->started = dup_string(o, "started");
        s->finished = dup_string(o, "finished");
        s->status = json_is_integer(st) ? (int)json_integer_value(st) : -1;
        g_ptr_array_add(j->steps, s);
    }
    json_decref(doc);
    *out = g_steal_pointer(&j);
    return 0;
}
