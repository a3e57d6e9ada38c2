/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/sync.c: the sync run: for each host, under the lab's lock, revert
 * what an interrupted run left, collect the lab, snapshot it, apply the
 * plan step by step (journalled), collect it again and compare with prod;
 * on failure revert and verify (or keep, when asked); then one store
 * commit for the labs that synced, their domain metadata and retention. */
#include <config.h>

#include <stdarg.h>
#include <string.h>

#include "drivers/libvirt.h"
#include "drivers/transport-agent.h"
#include "manifests/diff.h"
#include "manifests/error.h"
#include "snapshots/snapshot.h"
#include "sync/collect.h"
#include "sync/sync.h"

#define SYNC_AGENT_MS (180 * 1000)
#define SYNC_COMMAND_MS (30 * 60 * 1000)
#define SYNC_REBOOT_MS (10 * 60 * 1000)
#define SYNC_STORE_LOCK_MS (60 * 1000)

static const char *const status_names[] = {
    [DS_SYNC_SYNCED] = "synced",     [DS_SYNC_IN_SYNC] = "in-sync",
    [DS_SYNC_PLANNED] = "planned",   [DS_SYNC_REVERTED] = "reverted",
    [DS_SYNC_KEPT] = "kept",         [DS_SYNC_FAILED] = "failed",
};

const char *ds_sync_status_name(ds_sync_status s)
{
    if ((int)s < 0 || (gsize)s >= G_N_ELEMENTS(status_names))
        return "unknown";
    return status_names[s];
}

void ds_sync_result_free(ds_sync_result *r)
{
    if (!r)
        return;
    g_free(r->host);
    g_free(r->domain);
    g_free(r->snapshot);
    g_free(r->reason);
    ds_step_failure_free(r->failure);
    if (r->residue)
        g_ptr_array_unref(r->residue);
    g_free(r->recovered_run);
    g_free(r->recovered_snapshot);
    ds_plan_free(r->plan);
    ds_manifest_free(r->lab_after);
    if (r->pruned)
        g_ptr_array_unref(r->pruned);
    if (r->step_seconds)
        g_array_unref(r->step_seconds);
    g_free(r);
}

/* One host's run. */
typedef struct host_run {
    const ds_config *cfg;
    ds_store *st;
    const ds_sync_options *opts;
    const char *run_id;
    const char *head; /* the store commit the run starts from */
    GMutex *store_mutex; /* serialises reads of st between hosts */
    const ds_host_config *hc;
    ds_sync_result *r;
    ds_lab *lab;
    virDomainPtr dom;
    ds_sync_lock *lock;
    ds_journal *journal;
    char *journal_path;
    char *before_path;
    ds_manifest *before; /* the lab as collected before the run */
    bool pending;        /* synced, to be recorded */
} host_run;

static void set_note(ds_journal *j, const char *text)
{
    g_free(j->note);
    j->note = g_strdup(text);
}

static void note(host_run *h, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void note(host_run *h, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    if (!h->opts->note)
        return;
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    h->opts->note(h->r->host, msg, h->opts->payload);
}

static bool cancelled(const host_run *h)
{
    return h->opts->cancel && *h->opts->cancel;
}

static int ms_or(int v, int dflt)
{
    return v > 0 ? v : dflt;
}

static const char *lab_uri(const host_run *h)
{
    return h->hc->lab_uri ? h->hc->lab_uri : h->cfg->lab_uri;
}

static char *lab_source(const ds_host_config *hc)
{
    if (!hc->lab_access || !strcmp(hc->lab_access, "agent"))
        return g_strdup_printf("agent:%s", hc->lab);
    return g_strdup(hc->lab_access);
}

static bool via_agent(const ds_host_config *hc)
{
    return !hc->lab_access || !strcmp(hc->lab_access, "agent");
}

/* A failure before anything was touched. */
static void set_failed(host_run *h, GError *e)
{
    h->r->status = DS_SYNC_FAILED;
    g_free(h->r->reason);
    h->r->reason = g_strdup(e ? e->message : "unknown error");
}

/* The store is one libgit2 repository shared by the hosts of a batch,
 * which may run in threads of their own: one reader at a time. */
static int read_manifest(ds_manifest **out, host_run *h, ds_role role,
                         GError **err)
{
    int rc;

    g_mutex_lock(h->store_mutex);
    rc = ds_store_read(out, h->st, h->head, role, h->r->host, err);
    g_mutex_unlock(h->store_mutex);

    if (rc != DS_ENOTFOUND)
        return rc;
    g_clear_error(err);
    if (role == DS_ROLE_PROD)
        return ds_error_set(err, DS_ENOTFOUND,
                            "%s: no prod manifest in the store; run "
                            "`driftsync record %s` first",
                            h->r->host, h->r->host);
    return ds_error_set(err, DS_ENOTFOUND,
                        "%s: no lab manifest in the store; record the lab "
                        "first (`driftsync record --lab %s`)",
                        h->r->host, h->r->host);
}

/* The lab must run (and its agent answer) to be collected or changed. */
static int ensure_running(host_run *h, GError **err)
{
    int rc;

    if (virDomainIsActive(h->dom) == 0) {
        note(h, "lab %s is shut off: starting it", h->hc->lab);
        if ((rc = ds_lab_start(h->lab, h->dom, err)) < 0)
            return rc;
    }
    if (via_agent(h->hc) &&
        (rc = ds_lab_wait_agent(h->lab, h->dom,
                                ms_or(h->opts->agent_timeout_ms,
                                      SYNC_AGENT_MS),
                                err)) < 0)
        return rc;
    return 0;
}

static int collect_lab(ds_manifest **out, host_run *h, GError **err)
{
    g_autofree char *source = lab_source(h->hc);
    int rc;

    if ((rc = ensure_running(h, err)) < 0 ||
        (rc = ds_collect_one(out, h->cfg, h->hc, source, DS_ROLE_LAB, err)) < 0)
        return rc;
    return 0;
}

static int journal_save(host_run *h, ds_journal_state state, GError **err)
{
    h->journal->state = state;
    return ds_journal_write(h->journal_path, h->journal, err);
}

/* Revert to snapshot name, start the lab, collect it again and compare
 * with `before` (when known).  *verified tells. */
static int revert_verify(host_run *h, const char *name,
                         const ds_manifest *before, bool *verified,
                         GPtrArray **residue, GError **err)
{
    g_autoptr(ds_manifest) after = NULL;
    g_autoptr(GPtrArray) changes = NULL;
    int rc;

    *verified = false;
    if ((rc = ds_snapshot_revert(h->dom, name, err)) < 0)
        return rc;
    if (!before)
        return 0;
    if ((rc = collect_lab(&after, h, err)) < 0)
        return ds_error_prefix(err, rc, "after reverting to %s: ", name);
    if ((rc = ds_manifest_diff(&changes, before, after, h->cfg->ignore,
                               err)) < 0)
        return rc;
    *verified = changes->len == 0;
    if (residue)
        *residue = g_steal_pointer(&changes);
    return 0;
}

static char *describe_changes(GPtrArray *changes, guint max)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < changes->len && i < max; i++) {
        g_autofree char *d = ds_change_describe(changes->pdata[i]);

        g_string_append_printf(s, "%s%s", i ? ", " : "", d);
    }
    if (changes->len > max)
        g_string_append_printf(s, ", and %u more", changes->len - max);
    return g_string_free(s, FALSE);
}

/* An earlier run that was killed: revert the lab to its snapshot. */
static int recover(host_run *h, GError **err)
{
    g_autoptr(ds_journal) j = NULL;
    g_autoptr(ds_manifest) before = NULL;
    g_autoptr(ds_snapshot) snap = NULL;
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) residue = NULL;
    bool verified = false;
    int rc = ds_journal_read(&j, h->journal_path, &e);

    if (rc == DS_ENOTFOUND)
        return 0;
    if (rc < 0) {
        g_propagate_error(err, g_steal_pointer(&e));
        return ds_error_prefix(err, rc, "%s: ", h->r->host);
    }
    if (j->state == DS_JOURNAL_KEPT)
        note(h, "the last run (%s) failed and kept the lab as it was; "
                "syncing from there (its snapshot %s remains)",
             j->run_id, j->snapshot);
    if (!ds_journal_is_open(j))
        return 0;
    if (g_strcmp0(j->domain, h->hc->lab) != 0)
        return ds_error_set(err, DS_ECONFLICT,
                            "%s: the journal of interrupted run %s names lab "
                            "%s, not %s; see %s",
                            h->r->host, j->run_id, j->domain, h->hc->lab,
                            h->journal_path);
    h->r->recovered_run = g_strdup(j->run_id);
    h->r->recovered_snapshot = g_strdup(j->snapshot);
    rc = ds_snapshot_find(&snap, h->dom, j->snapshot, &e);
    if (rc == DS_ENOTFOUND && j->state == DS_JOURNAL_STARTED) {
        /* Killed before its snapshot existed: nothing was applied. */
        note(h, "found interrupted run %s: it stopped before taking its "
                "snapshot; nothing to revert",
             j->run_id);
        j->state = DS_JOURNAL_RECOVERED;
        g_free(j->note);
        j->note = g_strdup_printf("interrupted before its snapshot; found "
                                  "by run %s", h->run_id);
        return ds_journal_write(h->journal_path, j, err);
    }
    if (rc < 0) {
        g_propagate_error(err, g_steal_pointer(&e));
        return ds_error_prefix(err, rc,
                               "%s: interrupted run %s (%s) cannot be "
                               "reverted: ",
                               h->r->host, j->run_id,
                               ds_journal_state_name(j->state));
    }
    note(h, "found interrupted run %s (%s, %u of %u steps started): "
            "reverting lab %s to %s",
         j->run_id, ds_journal_state_name(j->state), j->steps->len, j->total,
         j->domain, j->snapshot);
    if (ds_manifest_load(&before, h->before_path, NULL) < 0)
        before = NULL;
    if ((rc = revert_verify(h, j->snapshot, before, &verified, &residue,
                            err)) < 0)
        return ds_error_prefix(err, rc, "%s: reverting interrupted run %s: ",
                               h->r->host, j->run_id);
    if (before && !verified) {
        g_autofree char *d = describe_changes(residue, 3);

        return ds_error_set(err, DS_ECONFLICT,
                            "%s: reverted to %s after interrupted run %s, "
                            "but the lab still differs from before it: %s",
                            h->r->host, j->snapshot, j->run_id, d);
    }
    note(h, "lab %s reverted to %s%s", j->domain, j->snapshot,
         before ? " and verified" : " (no earlier manifest to verify it by)");
    if ((rc = ds_snapshot_delete(h->dom, j->snapshot, err)) < 0)
        return ds_error_prefix(err, rc, "%s: ", h->r->host);
    j->state = DS_JOURNAL_RECOVERED;
    g_free(j->note);
    j->note = g_strdup_printf("interrupted; reverted to %s by run %s",
                              j->snapshot, h->run_id);
    return ds_journal_write(h->journal_path, j, err);
}

/* A step failed, the lab drifts still, or we were stopped: revert (or
 * keep) and say why. */
static void fail_run(host_run *h, char *reason)
{
    ds_sync_result *r = h->r;
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) residue = NULL;
    bool verified = false;

    r->reason = reason;
    if (h->opts->keep_on_failure ||
        g_strcmp0(h->cfg->on_failure, "keep") == 0) {
        r->status = DS_SYNC_KEPT;
        set_note(h->journal, reason);
        journal_save(h, DS_JOURNAL_KEPT, NULL);
        note(h, "lab %s kept as the failed run left it; revert it with "
                "`driftsync snapshot revert %s %s`",
             h->hc->lab, r->host, r->snapshot);
        return;
    }
    journal_save(h, DS_JOURNAL_REVERTING, NULL);
    note(h, "failed: reverting lab %s to %s", h->hc->lab, r->snapshot);
    if (revert_verify(h, r->snapshot, h->before, &verified, &residue, &e) <
        0) {
        /* The journal stays open: the next run reverts again. */
        r->status = DS_SYNC_FAILED;
        r->reason = g_strdup_printf("%s; the revert to %s failed: %s", reason,
                                    r->snapshot, e->message);
        g_free(reason);
        return;
    }
    if (!verified) {
        g_autofree char *d = describe_changes(residue, 3);

        r->status = DS_SYNC_FAILED;
        r->reason = g_strdup_printf("%s; reverted to %s but the lab still "
                                    "differs from before the sync: %s",
                                    reason, r->snapshot, d);
        g_free(reason);
        set_note(h->journal, r->reason);
        journal_save(h, DS_JOURNAL_REVERTED, NULL);
        return;
    }
    r->revert_verified = true;
    r->status = DS_SYNC_REVERTED;
    set_note(h->journal, reason);
    journal_save(h, DS_JOURNAL_REVERTED, NULL);
    if (ds_snapshot_delete(h->dom, r->snapshot, &e) < 0)
        note(h, "could not delete snapshot %s: %s", r->snapshot, e->message);
    else
        g_clear_pointer(&r->snapshot, g_free);
}

static int reboot_lab(void *payload, GError **err)
{
    host_run *h = payload;

    return ds_lab_reboot(h->lab, h->dom,
                         ms_or(h->opts->reboot_timeout_ms, SYNC_REBOOT_MS),
                         err);
}

static char *failure_reason(const ds_step_failure *f, guint total,
                            const GError *e)
{
    if (f && f->status >= 0)
        return g_strdup_printf("step %u/%u (%s) failed: `%s` exited %d",
                               f->index, total, f->description, f->command,
                               f->status);
    return g_strdup(e ? e->message : "unknown error");
}

/* Apply the plan, then verify.  Returns false (with the run failed and
 * the lab reverted or kept) when anything went wrong. */
static bool apply_plan(host_run *h, const ds_manifest *prod)
{
    ds_sync_result *r = h->r;
    ds_plan *plan = r->plan;
    g_autofree char *source = lab_source(h->hc);
    g_autoptr(ds_transport) t = NULL;
    g_autoptr(ds_manifest) after = NULL;
    g_autoptr(GPtrArray) residue = NULL;
    g_autoptr(GError) e = NULL;
    ds_transport_options topts = {
        .host = r->host,
        .libvirt_uri = lab_uri(h),
        .timeout_ms = ms_or(h->opts->command_timeout_ms, SYNC_COMMAND_MS),
        .identity_file = h->hc->identity_file,
        .known_hosts = h->hc->known_hosts,
        .ssh_options = (const char *const *)h->hc->ssh_options,
    };

    if (ds_transport_open(&t, source, &topts, &e) < 0) {
        fail_run(h, g_strdup_printf("opening %s: %s", source, e->message));
        return false;
    }
    r->step_seconds = g_array_new(FALSE, FALSE, sizeof(double));
    for (guint i = 0; i < plan->actions->len; i++) {
        const ds_action *a = plan->actions->pdata[i];
        ds_step_failure *f = NULL;
        gint64 t0;
        double seconds;
        int rc;

        if (cancelled(h)) {
            fail_run(h, g_strdup_printf("interrupted by a signal before step "
                                        "%u/%u",
                                        i + 1, plan->actions->len));
            return false;
        }
        note(h, "step %u/%u: %s", i + 1, plan->actions->len, a->description);
        ds_journal_step_begin(h->journal, i + 1, ds_action_kind_name(a->kind),
                              a->description);
        if (journal_save(h, DS_JOURNAL_APPLYING, &e) < 0) {
            fail_run(h, g_strdup(e->message));
            return false;
        }
        t0 = g_get_monotonic_time();
        rc = ds_sync_apply_action(&f, t, a, i + 1, reboot_lab, h, &e);
        seconds = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
        g_array_append_val(r->step_seconds, seconds);
        ds_journal_step_end(h->journal, f ? f->status : rc < 0 ? -1 : 0);
        if (rc < 0) {
            if (!f) {
                f = g_new0(ds_step_failure, 1);
                f->index = i + 1;
                f->description = g_strdup(a->description);
                f->status = -1;
                f->output = g_strdup(e->message);
            }
            r->failure = f;
            fail_run(h, failure_reason(f, plan->actions->len, e));
            return false;
        }
        r->steps_done++;
        journal_save(h, DS_JOURNAL_APPLYING, NULL);
    }
    g_clear_pointer(&t, ds_transport_free);
    if (cancelled(h)) {
        fail_run(h, g_strdup("interrupted by a signal before the lab was "
                             "verified"));
        return false;
    }
    journal_save(h, DS_JOURNAL_VERIFYING, NULL);
    note(h, "collecting lab %s again", h->hc->lab);
    if (collect_lab(&after, h, &e) < 0 ||
        ds_manifest_diff(&residue, after, prod, h->cfg->ignore, &e) < 0) {
        fail_run(h, g_strdup_printf("verifying the lab: %s", e->message));
        return false;
    }
    if (residue->len) {
        g_autofree char *d = describe_changes(residue, 3);

        r->residue = g_steal_pointer(&residue);
        fail_run(h, g_strdup_printf("the lab still differs from prod after "
                                    "the %u steps: %s",
                                    plan->actions->len, d));
        return false;
    }
    r->lab_after = g_steal_pointer(&after);
    journal_save(h, DS_JOURNAL_RECORDING, NULL);
    return true;
}

static int build_plan(host_run *h, const ds_manifest *lab,
                      const ds_manifest *prod, GError **err)
{
    int rc;

    if ((rc = ds_plan_build(&h->r->plan, lab, prod, h->cfg->ignore, err)) < 0)
        return rc;
    g_mutex_lock(h->store_mutex);
    rc = ds_plan_load_contents(h->r->plan, h->st, h->head, err);
    g_mutex_unlock(h->store_mutex);
    return rc;
}

static int save_before(host_run *h, GError **err)
{
    g_autoptr(GBytes) bytes = NULL;
    gsize len;
    const void *data;
    int rc;

    if ((rc = ds_manifest_serialise(&bytes, h->before, err)) < 0)
        return rc;
    data = g_bytes_get_data(bytes, &len);
    return ds_sync_write_atomic(h->before_path, data, len, err);
}

static void sync_host(host_run *h)
{
    ds_sync_result *r = h->r;
    g_autoptr(GError) e = NULL;
    g_autoptr(ds_manifest) prod = NULL;
    g_autoptr(ds_manifest) stored_lab = NULL;
    g_autoptr(ds_snapshot) snap = NULL;
    g_autofree char *why = NULL;
    g_autofree char *desc = NULL;
    ds_snapshot_mode mode = DS_SNAPSHOT_AUTO;

    if (!ds_name_is_safe_host(r->host)) {
        g_autofree char *shown = g_strescape(r->host, NULL);

        r->status = DS_SYNC_FAILED;
        r->reason = g_strdup_printf("'%s' is not a valid host name", shown);
        return;
    }
    if (!(h->hc = ds_config_find_host(h->cfg, r->host))) {
        r->status = DS_SYNC_FAILED;
        r->reason = g_strdup_printf("%s: no [host %s] in %s", r->host,
                                    r->host,
                                    h->cfg->filename ? h->cfg->filename
                                                     : "the configuration");
        return;
    }
    if (!h->hc->lab) {
        r->status = DS_SYNC_FAILED;
        r->reason = g_strdup_printf("%s: the host has no lab domain (set lab "
                                    "= DOMAIN in [host %s])",
                                    r->host, r->host);
        return;
    }
    r->domain = g_strdup(h->hc->lab);
    if (!h->head) {
        r->status = DS_SYNC_FAILED;
        r->reason = g_strdup_printf("%s: no such host (nothing recorded yet)",
                                    r->host);
        return;
    }
    if (read_manifest(&prod, h, DS_ROLE_PROD, &e) < 0)
        return set_failed(h, e);
    /* A lab never recorded: a dry run cannot plan without it; a real run
     * collects the lab as it is and starts from there. */
    if (read_manifest(&stored_lab, h, DS_ROLE_LAB, &e) == DS_ENOTFOUND &&
        !h->opts->dry_run)
        g_clear_error(&e);
    if (e)
        return set_failed(h, e);

    if (h->opts->dry_run) {
        if (build_plan(h, stored_lab, prod, &e) < 0)
            return set_failed(h, e);
        r->status = ds_plan_is_empty(r->plan) ? DS_SYNC_IN_SYNC
                                              : DS_SYNC_PLANNED;
        return;
    }

    /* The lab: its domain, its lock, what an earlier run left. */
    if (ds_lab_open(&h->lab, lab_uri(h), &e) < 0 ||
        ds_lab_domain(&h->dom, h->lab, h->hc->lab, &e) < 0 ||
        ds_sync_lock_take(&h->lock, h->cfg->state_dir, h->hc->lab, &e) < 0) {
        if (!g_str_has_prefix(e->message, r->host))
            g_prefix_error(&e, "%s: ", r->host);
        return set_failed(h, e);
    }
    h->journal_path = ds_journal_path(h->cfg->state_dir, r->host);
    h->before_path = ds_journal_before_path(h->cfg->state_dir, r->host);
    if (recover(h, &e) < 0)
        return set_failed(h, e);

    /* The lab as it really is, and what takes it to prod. */
    if (stored_lab)
        note(h, "collecting lab %s", h->hc->lab);
    else
        note(h, "lab %s was never recorded: collecting it as it is",
             h->hc->lab);
    if (collect_lab(&h->before, h, &e) < 0) {
        g_prefix_error(&e, "%s: before the sync: ",  r->host);
        return set_failed(h, e);
    }
    if (stored_lab) {
        g_autoptr(GPtrArray) since = NULL;

        /* what changed in the lab, not a new collected_at */
        if (ds_manifest_diff(&since, stored_lab, h->before, h->cfg->ignore,
                             NULL) == 0 &&
            since->len)
            note(h, "lab %s changed since it was last recorded (%u "
                    "difference%s); planning from what it is now",
                 h->hc->lab, since->len, since->len == 1 ? "" : "s");
    }
    if (build_plan(h, h->before, prod, &e) < 0)
        return set_failed(h, e);
    if (ds_plan_is_empty(r->plan)) {
        g_autoptr(GPtrArray) news = NULL;

        r->status = DS_SYNC_IN_SYNC;
        /* Recorded only when the lab changed since it was recorded (not
         * for a new collected_at alone). */
        if (stored_lab &&
            ds_manifest_diff(&news, stored_lab, h->before, NULL, &e) < 0)
            return set_failed(h, e);
        r->lab_after = g_steal_pointer(&h->before);
        h->pending = !stored_lab || news->len > 0;
        return;
    }
    if (r->plan->manual) {
        for (guint i = 0; i < r->plan->actions->len; i++) {
            const ds_action *a = r->plan->actions->pdata[i];

            if (a->kind != DS_ACTION_MANUAL)
                continue;
            r->status = DS_SYNC_FAILED;
            r->reason = g_strdup_printf("%s: %u step%s cannot be replayed "
                                        "and must be done by hand (%s); the "
                                        "lab was not touched",
                                        r->host, r->plan->manual,
                                        r->plan->manual == 1 ? "" : "s",
                                        a->description);
            return;
        }
    }
    if (cancelled(h)) {
        r->status = DS_SYNC_FAILED;
        r->reason = g_strdup_printf("%s: interrupted before the sync began",
                                    r->host);
        return;
    }

    /* Snapshot, journalled first so that a kill at any point is found. */
    if (ds_snapshot_mode_from_string(&mode, h->cfg->snapshots, &e) < 0 ||
        ds_snapshot_choose_mode(&mode, &why, h->dom, mode, &e) < 0)
        return set_failed(h, e);
    r->snapshot = ds_snapshot_name_for_run(h->run_id);
    h->journal = ds_journal_new(h->run_id, r->host, h->hc->lab, lab_uri(h),
                                r->snapshot);
    h->journal->total = r->plan->actions->len;
    if (save_before(h, &e) < 0 || journal_save(h, DS_JOURNAL_STARTED, &e) < 0)
        return set_failed(h, e);
    desc = g_strdup_printf("driftsync sync of %s at store commit %.7s",
                           r->host, h->head);
    if (ds_snapshot_create(&snap, h->dom, r->snapshot, desc, mode, &e) < 0) {
        g_clear_pointer(&r->snapshot, g_free);
        h->journal->note = g_strdup_printf("no snapshot: %s", e->message);
        journal_save(h, DS_JOURNAL_RECOVERED, NULL);
        g_prefix_error(&e, "%s: ", r->host);
        return set_failed(h, e);
    }
    note(h, "snapshot %s of lab %s (%s: %s)", r->snapshot, h->hc->lab,
         ds_snapshot_mode_to_string(snap->mode), why);
    if (!apply_plan(h, prod))
        return;
    r->status = DS_SYNC_SYNCED;
    h->pending = true;
}

/* After the commit: domain metadata, retention, the journal closed. */
static void finish_host(host_run *h, const char *commit)
{
    ds_sync_result *r = h->r;
    g_autoptr(GError) e = NULL;
    g_autoptr(ds_snapshot_meta) meta = NULL;
    const char *result = NULL;
    const char *at = commit;

    if (!h->dom || r->status == DS_SYNC_PLANNED)
        return;
    switch (r->status) {
    case DS_SYNC_SYNCED:
        result = "synced";
        break;
    case DS_SYNC_IN_SYNC:
        result = "in-sync";
        break;
    case DS_SYNC_REVERTED:
        result = "reverted";
        break;
    case DS_SYNC_KEPT:
        result = "kept";
        break;
    default:
        result = "failed";
        break;
    }
    if (r->status != DS_SYNC_SYNCED && r->status != DS_SYNC_IN_SYNC) {
        /* Still the commit it mirrored before. */
        if (ds_snapshot_meta_read(&meta, h->dom, NULL) == 0 && meta->commit)
            at = meta->commit;
        else
            at = NULL;
    }
    if (r->status == DS_SYNC_FAILED && !h->journal)
        return; /* never started: the lab is as it was */
    if (ds_snapshot_meta_record_sync(h->dom, r->host, at, result, &e) < 0) {
        note(h, "could not update the domain's metadata: %s", e->message);
        g_clear_error(&e);
    }
    if (r->status != DS_SYNC_SYNCED)
        return;
    if (ds_snapshot_prune(&r->pruned, h->dom, h->cfg->keep_snapshots, &e) < 0)
        note(h, "could not prune old snapshots: %s", e->message);
    for (guint i = 0; r->pruned && i < r->pruned->len; i++)
        note(h, "pruned old snapshot %s", (char *)r->pruned->pdata[i]);
    if (h->journal) {
        h->journal->note = g_strdup_printf("recorded as store commit %s",
                                           at ? at : "(unchanged)");
        journal_save(h, DS_JOURNAL_FINISHED, NULL);
    }
}

static void host_run_clear(host_run *h)
{
    if (h->dom)
        virDomainFree(h->dom);
    ds_lab_free(h->lab);
    ds_sync_lock_release(h->lock);
    ds_journal_free(h->journal);
    g_free(h->journal_path);
    g_free(h->before_path);
    ds_manifest_free(h->before);
}

/* One commit for every lab that synced. */
static int record(char **commit, host_run *runs, guint n,
                  const ds_config *cfg, ds_store *st, const char *run_id,
                  GError **err)
{
    g_autoptr(ds_store_txn) txn = NULL;
    int rc;

    *commit = NULL;
    if ((rc = ds_store_lock(st, SYNC_STORE_LOCK_MS, err)) < 0)
        return rc;
    if ((rc = ds_store_txn_begin(&txn, st, err)) < 0)
        goto done;
    for (guint i = 0; i < n; i++)
        if (runs[i].pending &&
            (rc = ds_store_txn_put(txn, runs[i].r->lab_after, err)) < 0)
            goto done;
    rc = ds_store_txn_commit(commit, txn, "sync", run_id, cfg->ignore, err);
done:
    ds_store_unlock(st);
    return rc;
}

/* ---- a batch: the run in three parts ---- */

struct ds_sync_batch {
    const ds_config *cfg;
    ds_store *st;
    ds_sync_options opts;
    char *run_id;
    char *head;
    GMutex store_mutex;
    guint n;
    host_run *runs;
    GPtrArray *results; /* ds_sync_result *, one per host */
};

void ds_sync_batch_free(ds_sync_batch *b)
{
    if (!b)
        return;
    for (guint i = 0; i < b->n; i++)
        host_run_clear(&b->runs[i]);
    g_free(b->runs);
    if (b->results)
        g_ptr_array_unref(b->results);
    g_mutex_clear(&b->store_mutex);
    g_free(b->run_id);
    g_free(b->head);
    g_free(b);
}

int ds_sync_batch_new(ds_sync_batch **out, const ds_config *cfg,
                      ds_store *st, const char *const *hosts,
                      const ds_sync_options *opts, GError **err)
{
    g_autoptr(ds_sync_batch) b = g_new0(ds_sync_batch, 1);
    g_autoptr(GError) e = NULL;
    int rc;

    *out = NULL;
    b->cfg = cfg;
    b->st = st;
    b->opts = *opts;
    b->run_id =
        opts->run_id ? g_strdup(opts->run_id) : ds_snapshot_run_id_new();
    b->opts.run_id = b->run_id;
    g_mutex_init(&b->store_mutex);
    b->results =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_sync_result_free);
    rc = ds_store_resolve(&b->head, st, "HEAD", &e);
    if (rc < 0 && rc != DS_ENOTFOUND) {
        g_propagate_error(err, g_steal_pointer(&e));
        return rc;
    }
    /* The lab is reached through the guest agent by default. */
    ds_transport_register(&ds_transport_agent_ops);
    b->n = hosts ? g_strv_length((char **)hosts) : 0;
    b->runs = g_new0(host_run, b->n ? b->n : 1);
    for (guint i = 0; i < b->n; i++) {
        ds_sync_result *r = g_new0(ds_sync_result, 1);

        r->host = g_strdup(hosts[i]);
        g_ptr_array_add(b->results, r);
        b->runs[i] = (host_run){.cfg = cfg, .st = st, .opts = &b->opts,
                                .run_id = b->run_id, .head = b->head,
                                .store_mutex = &b->store_mutex, .r = r};
    }
    *out = g_steal_pointer(&b);
    return 0;
}

guint ds_sync_batch_size(const ds_sync_batch *b)
{
    return b->n;
}

const char *ds_sync_batch_run_id(const ds_sync_batch *b)
{
    return b->run_id;
}

const ds_sync_result *ds_sync_batch_run_host(ds_sync_batch *b, guint i)
{
    host_run *h;

    g_return_val_if_fail(i < b->n, NULL);
    h = &b->runs[i];
    if (b->opts.cancel && *b->opts.cancel) {
        h->r->status = DS_SYNC_FAILED;
        h->r->reason = g_strdup_printf("%s: not started: interrupted",
                                       h->r->host);
        return h->r;
    }
    sync_host(h);
    return h->r;
}

int ds_sync_batch_finish(GPtrArray **out, char **commit, ds_sync_batch *b,
                         GError **err)
{
    g_autoptr(GError) e = NULL;
    host_run *runs = b->runs;
    guint n = b->n;
    bool any = false;

    (void)err;
    *out = NULL;
    *commit = NULL;
    for (guint i = 0; i < n; i++)
        any |= runs[i].pending;
    if (any && record(commit, runs, n, b->cfg, b->st, b->run_id, &e) < 0) {
        /* The store does not know the labs' new state: take it back. */
        for (guint i = 0; i < n; i++) {
            host_run *h = &runs[i];

            if (!h->pending)
                continue;
            h->pending = false;
            if (!h->journal) {
                h->r->status = DS_SYNC_FAILED;
                h->r->reason = g_strdup_printf("%s: recording the lab: %s",
                                               h->r->host, e->message);
                continue;
            }
            g_clear_pointer(&h->r->lab_after, ds_manifest_free);
            fail_run(h, g_strdup_printf("recording the lab in the store: %s",
                                        e->message));
        }
    }
    for (guint i = 0; i < n; i++) {
        finish_host(&runs[i], *commit ? *commit : b->head);
        host_run_clear(&runs[i]);
    }
    b->n = 0;
    *out = g_steal_pointer(&b->results);
    return 0;
}

int ds_sync_run(GPtrArray **out, char **commit, const ds_config *cfg,
                ds_store *st, const char *const *hosts,
                const ds_sync_options *opts, GError **err)
{
    g_autoptr(ds_sync_batch) b = NULL;
    int rc;

    *out = NULL;
    *commit = NULL;
    if ((rc = ds_sync_batch_new(&b, cfg, st, hosts, opts, err)) < 0)
        return rc;
    for (guint i = 0; i < b->n; i++)
        ds_sync_batch_run_host(b, i);
    return ds_sync_batch_finish(out, commit, b, err);
}
