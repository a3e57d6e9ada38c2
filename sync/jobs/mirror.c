/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/mirror.c: the nightly job: record every prod host in one commit,
 * compare each with its stored lab manifest, sync the labs that drifted
 * through the sync engine (one commit for them) -- each libvirt daemon's
 * labs by workers of its own, at most `parallel` at a time, through one
 * connection -- and describe the run in a JSON report. */
#include <config.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/libvirt.h"
#include "manifests/diff.h"
#include "manifests/util/error.h"
#include "manifests/util/parallel.h"
#include "manifests/util/run-id.h"
#include "snapshots/snapshot.h"
#include "sync/jobs/cache.h"
#include "sync/jobs/mirror.h"
#include "sync/jobs/record-stage.h"

#define MIRROR_STORE_LOCK_MS (60 * 1000)

static const char *const status_names[] = {
    [DS_MIRROR_SYNCED] = "synced",     [DS_MIRROR_IN_SYNC] = "in_sync",
    [DS_MIRROR_PLANNED] = "planned",   [DS_MIRROR_REVERTED] = "reverted",
    [DS_MIRROR_KEPT] = "kept",         [DS_MIRROR_FAILED] = "failed",
    [DS_MIRROR_SKIPPED] = "skipped",
};

const char *ds_mirror_status_name(ds_mirror_status s)
{
    if ((int)s < 0 || s >= DS_MIRROR_STATUS_COUNT)
        return "unknown";
    return status_names[s];
}

static void lab_free(ds_mirror_lab *l)
{
    if (!l)
        return;
    g_free(l->host);
    g_free(l->domain);
    g_free(l->uri);
    g_free(l->reason);
    g_free(l->snapshot);
    ds_step_failure_free(l->failure);
    g_free(l);
}

static void daemon_free(ds_mirror_daemon *d)
{
    if (!d)
        return;
    g_free(d->uri);
    g_free(d->error);
    g_free(d);
}

static void record_failure_free(ds_mirror_record_failure *f)
{
    if (!f)
        return;
    g_free(f->host);
    g_free(f->reason);
    g_free(f);
}

ds_mirror_report *ds_mirror_report_new(void)
{
    ds_mirror_report *r = g_new0(ds_mirror_report, 1);

    r->groups = g_ptr_array_new_with_free_func(g_free);
    r->named = g_ptr_array_new_with_free_func(g_free);
    r->recorded = g_ptr_array_new_with_free_func(g_free);
    r->record_failed = g_ptr_array_new_with_free_func(
        (GDestroyNotify)record_failure_free);
    r->labs = g_ptr_array_new_with_free_func((GDestroyNotify)lab_free);
    r->daemons =
        g_ptr_array_new_with_free_func((GDestroyNotify)daemon_free);
    return r;
}

void ds_mirror_report_free(ds_mirror_report *r)
{
    if (!r)
        return;
    g_free(r->run_id);
    g_free(r->started);
    g_free(r->finished);
    if (r->groups)
        g_ptr_array_unref(r->groups);
    if (r->named)
        g_ptr_array_unref(r->named);
    if (r->recorded)
        g_ptr_array_unref(r->recorded);
    g_free(r->record_commit);
    if (r->cache_warnings)
        g_ptr_array_unref(r->cache_warnings);
    if (r->record_failed)
        g_ptr_array_unref(r->record_failed);
    g_free(r->sync_commit);
    if (r->labs)
        g_ptr_array_unref(r->labs);
    if (r->daemons)
        g_ptr_array_unref(r->daemons);
    json_decref(r->notify);
    if (r->patches)
        g_ptr_array_unref(r->patches);
    g_free(r);
}

static char *now_rfc3339(void)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();

    return g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
}

/* A message without its leading "HOST: " (the report names the host). */
static char *bare(const char *host, const char *msg)
{
    gsize n = strlen(host);

    if (!msg)
        return NULL;
    while (!strncmp(msg, host, n) && !strncmp(msg + n, ": ", 2))
        msg += n + 2;
    return g_strdup(msg);
}

/* ---- recording prod ---- */

static int record_commit(char **commit, ds_store *st, GPtrArray *manifests,
                         const ds_config *cfg, const char *run_id,
                         GError **err)
{
    g_autoptr(ds_store_txn) txn = NULL;
    record_host *hosts = g_new0(record_host, manifests->len + 1);
    int rc;

    *commit = NULL;
    if ((rc = ds_store_lock(st, MIRROR_STORE_LOCK_MS, err)) < 0) {
        ds_record_hosts_free(hosts, manifests->len);
        return rc;
    }
    if ((rc = ds_store_txn_begin(&txn, st, err)) < 0)
        goto done;
    /* The stored state again is not staged (the same blob, or the same
     * state by meaning, collected later). */
    rc = ds_record_stage_hosts(hosts, st, txn, manifests, err);
    if (rc < 0)
        goto done;
    rc = ds_store_txn_commit(commit, txn, "record", run_id, cfg->ignore, err);
done:
    ds_record_hosts_free(hosts, manifests->len);
    g_clear_pointer(&txn, ds_store_txn_free);
    ds_store_unlock(st);
    if (rc < 0)
        return ds_error_prefix(err, rc, "recording prod: ");
    return rc;
}

/* ---- deciding and syncing the labs ---- */

typedef struct mirror_job {
    const ds_mirror_options *opts;
    ds_sync_batch *batch;
    ds_mirror_lab **labs; /* one per batch host */
    GPtrArray *daemons;   /* mirror_daemon *, one per lab URI */
    int parallel;         /* labs at a time on one daemon */
    GMutex lock;          /* serialises lab_done */
} mirror_job;

/* One daemon's share of the job: the batch indexes of its labs. */
typedef struct mirror_daemon {
    mirror_job *job;
    ds_mirror_daemon *rep;
    GArray *labs; /* guint */
} mirror_daemon;

static void mirror_daemon_free(mirror_daemon *d)
{
    g_array_unref(d->labs);
    g_free(d);
}

static void lab_done(mirror_job *job, const ds_mirror_lab *l)
{
    if (!job->opts->lab_done)
        return;
    g_mutex_lock(&job->lock);
    job->opts->lab_done(l, job->opts->payload);
    g_mutex_unlock(&job->lock);
}

static ds_step_failure *failure_copy(const ds_step_failure *f)
{
    ds_step_failure *c;

    if (!f)
        return NULL;
    c = g_new0(ds_step_failure, 1);
    c->index = f->index;
    c->description = g_strdup(f->description);
    c->command = g_strdup(f->command);
    c->status = f->status;
    c->output = g_strdup(f->output);
    return c;
}

/* Take the engine's word for a lab. */
static void from_result(ds_mirror_lab *l, const ds_sync_result *r)
{
    switch (r->status) {
    case DS_SYNC_SYNCED:
        l->status = DS_MIRROR_SYNCED;
        break;
    case DS_SYNC_IN_SYNC:
        l->status = DS_MIRROR_IN_SYNC;
        break;
    case DS_SYNC_PLANNED:
        l->status = DS_MIRROR_PLANNED;
        break;
    case DS_SYNC_REVERTED:
        l->status = DS_MIRROR_REVERTED;
        break;
    case DS_SYNC_KEPT:
        l->status = DS_MIRROR_KEPT;
        break;
    default:
        l->status = DS_MIRROR_FAILED;
        break;
    }
    g_free(l->reason);
    l->reason = bare(l->host, r->reason);
    g_free(l->snapshot);
    l->snapshot = g_strdup(r->snapshot);
    l->steps = r->steps_done;
    l->plan_steps = r->plan ? r->plan->actions->len : 0;
    ds_step_failure_free(l->failure);
    l->failure = failure_copy(r->failure);
}

static void sync_one(guint i, guint worker, void *payload)
{
    mirror_daemon *d = payload;
    mirror_job *job = d->job;
    guint at = g_array_index(d->labs, guint, i);
    ds_mirror_lab *l = job->labs[at];
    gint64 t0 = g_get_monotonic_time();
    const ds_sync_result *r = ds_sync_batch_run_host(job->batch, at);

    (void)worker;
    l->seconds = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
    from_result(l, r);
    lab_done(job, l);
}

/* A daemon's labs fail, untouched, with the reason it could not be
 * reached (the host, the URI and the cause in each lab's line). */
static void daemon_unreachable(mirror_daemon *d, const GError *e)
{
    mirror_job *job = d->job;
    g_autofree char *why = g_strdup_printf(
        "the lab's libvirt daemon cannot be reached: %s", e->message);

    d->rep->error = g_strdup(e->message);
    for (guint i = 0; i < d->labs->len; i++) {
        guint at = g_array_index(d->labs, guint, i);
        ds_mirror_lab *l = job->labs[at];

        ds_sync_batch_fail_host(job->batch, at, why);
        l->status = DS_MIRROR_FAILED;
        g_free(l->reason);
        l->reason = g_strdup(why);
        lab_done(job, l);
    }
}

/* One daemon: its connection opened once and held while its labs are
 * synced, `parallel` at a time (the engine's opens of the same URI share
 * it); a daemon that cannot be reached fails only its own labs. */
static void sync_daemon(guint i, guint worker, void *payload)
{
    mirror_job *job = payload;
    mirror_daemon *d = job->daemons->pdata[i];
    g_autoptr(ds_lab) lab = NULL;
    g_autoptr(GError) e = NULL;
    gint64 t0 = g_get_monotonic_time();
    guint opened = ds_lab_opened(d->rep->uri);

    (void)worker;
    if (job->opts->cancel && *job->opts->cancel) {
        /* the engine says "not started: interrupted" */
        ds_parallel_for(d->labs->len, 1, sync_one, d);
        return;
    }
    if (ds_lab_open(&lab, d->rep->uri, &e) < 0) {
        daemon_unreachable(d, e);
    } else {
        ds_parallel_for(d->labs->len, (guint)MAX(job->parallel, 1), sync_one,
                        d);
    }
    d->rep->connections = ds_lab_opened(d->rep->uri) - opened;
    d->rep->seconds = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
}

/* The labs of `todo` grouped by their libvirt URI, in the order of each
 * daemon's first lab. */
static GPtrArray *group_by_daemon(mirror_job *job, ds_mirror_report *rep,
                                  GPtrArray *todo)
{
    GPtrArray *daemons =
        g_ptr_array_new_with_free_func((GDestroyNotify)mirror_daemon_free);
    g_autoptr(GHashTable) by_uri = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < todo->len; i++) {
        const ds_mirror_lab *l = todo->pdata[i];
        mirror_daemon *d = g_hash_table_lookup(by_uri, l->uri);

        if (!d) {
            d = g_new0(mirror_daemon, 1);
            d->job = job;
            d->labs = g_array_new(FALSE, FALSE, sizeof(guint));
            d->rep = g_new0(ds_mirror_daemon, 1);
            d->rep->uri = g_strdup(l->uri);
            g_ptr_array_add(rep->daemons, d->rep);
            g_ptr_array_add(daemons, d);
            g_hash_table_insert(by_uri, d->rep->uri, d);
        }
        g_array_append_val(d->labs, i);
        d->rep->labs++;
    }
    return daemons;
}

/* Sync the labs in `todo` (ds_mirror_lab *, status not yet known): every
 * daemon at once, each `parallel` labs at a time. */
static int sync_labs(ds_mirror_report *rep, GPtrArray *todo,
                     const ds_config *cfg, ds_store *st,
                     const ds_mirror_options *opts, GError **err)
{
    g_autoptr(ds_sync_batch) batch = NULL;
    g_autoptr(GPtrArray) results = NULL;
    g_autoptr(GPtrArray) hosts = g_ptr_array_new();
    g_autoptr(GPtrArray) daemons = NULL;
    mirror_job job = {.opts = opts,
                      .labs = (ds_mirror_lab **)todo->pdata,
                      .parallel = rep->parallel};
    ds_sync_options so = {
        .keep_on_failure = opts->keep_on_failure,
        .run_id = rep->run_id,
        .note = opts->note,
        .payload = opts->payload,
        .cancel = opts->cancel,
    };
    int rc;

    for (guint i = 0; i < todo->len; i++)
        g_ptr_array_add(hosts, ((ds_mirror_lab *)todo->pdata[i])->host);
    g_ptr_array_add(hosts, NULL);
    if ((rc = ds_sync_batch_new(&batch, cfg, st,
                                (const char *const *)hosts->pdata, &so,
                                err)) < 0)
        return rc;
    job.batch = batch;
    job.daemons = daemons = group_by_daemon(&job, rep, todo);
    g_mutex_init(&job.lock);
    /* Every lab is handed out: a cancelled run starts none of those left
     * (the engine says "not started: interrupted"). */
    ds_parallel_for(daemons->len, daemons->len, sync_daemon, &job);
    rc = ds_sync_batch_finish(&results, &rep->sync_commit, batch, err);
    /* The commit may change a lab's fate (a failed commit reverts it). */
    for (guint i = 0; rc == 0 && i < results->len; i++) {
        ds_mirror_status before = job.labs[i]->status;

        from_result(job.labs[i], results->pdata[i]);
        if (job.labs[i]->status != before)
            lab_done(&job, job.labs[i]);
    }
    g_mutex_clear(&job.lock);
    return rc;
}

/* An earlier run on the host's lab was interrupted (its journal is
 * open): the lab may be half-changed whatever the store says, and the
 * engine reverts it first. */
static bool interrupted(const ds_config *cfg, const char *host)
{
    g_autofree char *path = ds_journal_path(cfg->state_dir, host);
    g_autoptr(ds_journal) j = NULL;

    if (ds_journal_read(&j, path, NULL) == DS_ENOTFOUND)
        return false;
    /* An unreadable journal: the engine says what is wrong with it. */
    return !j || ds_journal_is_open(j);
}

/* Decide one lab: skipped, in sync, or drifted (left FAILED with no
 * reason, for the engine to decide). */
static void decide(ds_mirror_lab *l, const ds_config *cfg, ds_store *st,
                   const ds_manifest *collected, GHashTable *not_recorded,
                   bool dry_run)
{
    g_autoptr(ds_manifest) prod = NULL;
    g_autoptr(ds_manifest) lab = NULL;
    g_autoptr(GPtrArray) changes = NULL;
    g_autoptr(ds_plan) plan = NULL;
    g_autoptr(GError) e = NULL;
    const char *why;
    int rc;

    if (!l->domain) {
        l->status = DS_MIRROR_SKIPPED;
        l->reason = g_strdup("no lab domain (lab = DOMAIN in its [host])");
        return;
    }
    if ((why = g_hash_table_lookup(not_recorded, l->host))) {
        l->status = DS_MIRROR_SKIPPED;
        l->reason = g_strdup_printf("prod not recorded: %s", why);
        return;
    }
    rc = ds_store_read(&lab, st, NULL, DS_ROLE_LAB, l->host, &e);
    if (rc == DS_ENOTFOUND) {
        /* Never recorded: the engine collects the lab as it is and
         * syncs from there (a dry run cannot know what it would do). */
        if (dry_run) {
            l->status = DS_MIRROR_PLANNED;
            l->reason = g_strdup("no lab manifest in the store yet: the lab is collected when it is synced");
        } else {
            l->status = DS_MIRROR_FAILED; /* until the engine says */
        }
        return;
    }
    if (rc == 0 && !dry_run)
        rc = ds_store_read(&prod, st, NULL, DS_ROLE_PROD, l->host, &e);
    if (rc < 0 || ds_manifest_diff(&changes, lab, dry_run ? collected : prod,
                                   cfg->ignore, &e) < 0) {
        l->status = DS_MIRROR_FAILED;
        l->reason = bare(l->host, e->message);
        return;
    }
    l->changes = changes->len;
    for (guint i = 0; i < changes->len; i++) {
        const ds_change *c = changes->pdata[i];

        if ((int)c->category >= 0 && c->category < DS_CAT_COUNT)
            l->drift[c->category]++;
    }
    if (!changes->len && !(!dry_run && interrupted(cfg, l->host))) {
        l->status = DS_MIRROR_IN_SYNC;
        return;
    }
    if (dry_run) {
        ds_plan_options po = {.ignore = cfg->ignore,
                              .package_cache = cfg->package_cache};

        if (ds_plan_build(&plan, lab, collected, &po, &e) < 0) {
            l->status = DS_MIRROR_FAILED;
            l->reason = bare(l->host, e->message);
            return;
        }
        l->status = DS_MIRROR_PLANNED;
        l->steps = l->plan_steps = plan->actions->len;
        return;
    }
    l->status = DS_MIRROR_FAILED; /* until the engine says */
}

int ds_mirror_run(ds_mirror_report **out, const ds_config *cfg, ds_store *st,
                  const ds_mirror_options *opts, GError **err)
{
    g_autoptr(ds_mirror_report) rep = ds_mirror_report_new();
    g_autoptr(GPtrArray) results = NULL;
    g_autoptr(GPtrArray) manifests = g_ptr_array_new();
    g_autoptr(GPtrArray) todo = g_ptr_array_new();
    g_autoptr(GPtrArray) chosen = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    g_autoptr(GHashTable) not_recorded =
        g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) collected =
        g_hash_table_new(g_str_hash, g_str_equal);
    gint64 t0 = g_get_monotonic_time();
    int rc;

    *out = NULL;
    if (!cfg->hosts->len)
        return ds_error_set(err, DS_EINVALID,
                            "no hosts in %s; add [host NAME] sections",
                            cfg->filename ? cfg->filename
                                          : "the configuration");
    if ((rc = ds_config_choose_hosts(&chosen, cfg, opts->hosts, opts->groups,
                                     false, err)) < 0)
        return rc;
    for (gsize i = 0; opts->hosts && opts->hosts[i]; i++)
        g_ptr_array_add(rep->named, g_strdup(opts->hosts[i]));
    for (gsize i = 0; opts->groups && opts->groups[i]; i++)
        g_ptr_array_add(rep->groups, g_strdup(opts->groups[i]));
    for (guint i = 0; i < chosen->len; i++)
        g_ptr_array_add(names, ((ds_host_config *)chosen->pdata[i])->name);
    g_ptr_array_add(names, NULL);
    rep->run_id = opts->run_id ? g_strdup(opts->run_id)
                               : ds_run_id_new();
    rep->started = now_rfc3339();
    rep->dry_run = opts->dry_run;
    rep->parallel = opts->parallel > 0 ? opts->parallel : cfg->lab_parallel;
    if (rep->parallel <= 0)
        rep->parallel = 1;

    /* 1. Record every prod host it covers. */
    if ((rc = ds_collect_hosts(&results, cfg,
                               (const char *const *)names->pdata, DS_ROLE_PROD,
                               cfg->record_parallel, opts->record_progress,
                               opts->payload, err)) < 0)
        return rc;
    for (guint i = 0; i < results->len; i++) {
        ds_collect_result *r = results->pdata[i];

        if (r->manifest) {
            g_ptr_array_add(rep->recorded, g_strdup(r->host));
            g_ptr_array_add(manifests, r->manifest);
            g_hash_table_insert(collected, r->host, r->manifest);
        } else {
            ds_mirror_record_failure *f = g_new0(ds_mirror_record_failure, 1);

            f->host = g_strdup(r->host);
            f->reason = bare(r->host, r->error ? r->error->message
                                               : "unknown error");
            g_ptr_array_add(rep->record_failed, f);
            g_hash_table_insert(not_recorded, r->host, f->reason);
        }
    }
    if (!opts->dry_run && manifests->len &&
        (rc = record_commit(&rep->record_commit, st, manifests, cfg,
                            rep->run_id, err)) < 0)
        return rc;
    /* The versions prod just changed to, into the package cache, so that
     * the labs can be given them even when no mirror has them any more. */
    if (rep->record_commit && cfg->package_cache)
        ds_cache_fill_commit(&rep->cache_warnings, &rep->cached, cfg, st,
                             rep->record_commit, manifests);

    /* 2. Which labs drifted. */
    for (guint i = 0; i < chosen->len; i++) {
        const ds_host_config *hc = chosen->pdata[i];
        ds_mirror_lab *l = g_new0(ds_mirror_lab, 1);

        l->host = g_strdup(hc->name);
        l->domain = g_strdup(hc->lab);
        if (hc->lab) {
            const char *uri = ds_config_lab_uri(cfg, hc);

            l->uri = g_strdup(uri && *uri ? uri : DS_LAB_DEFAULT_URI);
        }
        g_ptr_array_add(rep->labs, l);
        decide(l, cfg, st, g_hash_table_lookup(collected, hc->name),
               not_recorded, opts->dry_run);
        if (l->status == DS_MIRROR_FAILED && !l->reason)
            g_ptr_array_add(todo, l);
        else if (opts->lab_done)
            opts->lab_done(l, opts->payload);
    }

    /* 3. Sync them, `parallel` at a time on each libvirt daemon. */
    if (todo->len &&
        (rc = sync_labs(rep, todo, cfg, st, opts, err)) < 0)
        return rc;

    rep->finished = now_rfc3339();
    rep->seconds = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
    *out = g_steal_pointer(&rep);
    return 0;
}
