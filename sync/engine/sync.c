/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/engine/sync.c: one host's sync: under the lab's lock, revert what an
 * interrupted run left (sync-revert.c), collect the lab, snapshot it,
 * apply the plan step by step (journalled), collect it again and compare
 * with prod; on failure revert and verify, or keep when asked
 * (sync-revert.c); after the batch's store commit (sync-batch.c), the
 * domain metadata and retention. */
#include <config.h>

#include <stdarg.h>
#include <string.h>

#include "drivers/libvirt.h"
#include "manifests/diff.h"
#include "manifests/util/error.h"
#include "manifests/util/file.h"
#include "snapshots/snapshot.h"
#include "sync/jobs/collect.h"
#include "sync/engine/sync-host.h"

#define SYNC_AGENT_MS (180 * 1000)
#define SYNC_COMMAND_MS (30 * 60 * 1000)
#define SYNC_REBOOT_MS (10 * 60 * 1000)

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

void ds_sync_host_set_note(ds_journal *j, const char *text)
{
    g_free(j->note);
    j->note = g_strdup(text);
}

void ds_sync_host_note(host_run *h, const char *fmt, ...)
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
    return ds_config_lab_uri(h->cfg, h->hc);
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
                            "%s: no prod manifest in the store; run `driftsync record %s` first",
                            h->r->host, h->r->host);
    return ds_error_set(err, DS_ENOTFOUND,
                        "%s: no lab manifest in the store; record the lab first (`driftsync record --lab %s`)",
                        h->r->host, h->r->host);
}

/* The lab must run (and its agent answer) to be collected or changed. */
static int ensure_running(host_run *h, GError **err)
{
    int rc;

    if (virDomainIsActive(h->dom) == 0) {
        ds_sync_host_note(h, "lab %s is shut off: starting it", h->hc->lab);
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

int ds_sync_host_collect_lab(ds_manifest **out, host_run *h, GError **err)
{
    g_autofree char *source = ds_config_lab_source(h->hc);
    int rc;

    if ((rc = ensure_running(h, err)) < 0 ||
        (rc = ds_collect_one(out, h->cfg, h->hc, source, DS_ROLE_LAB, err)) < 0)
        return rc;
    return 0;
}

int ds_sync_host_journal_save(host_run *h, ds_journal_state state, GError **err)
{
    h->journal->state = state;
    return ds_journal_write(h->journal_path, h->journal, err);
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
    g_autofree char *source = ds_config_lab_source(h->hc);
    g_autoptr(ds_transport) t = NULL;
    g_autoptr(ds_manifest) after = NULL;
    g_autoptr(GPtrArray) residue = NULL;
    g_autoptr(GError) e = NULL;
    ds_transport_options topts;

    ds_collect_transport_options(&topts, h->cfg, h->hc, r->host, DS_ROLE_LAB);
    topts.timeout_ms = ms_or(h->opts->command_timeout_ms, SYNC_COMMAND_MS);
    if (ds_transport_open(&t, source, &topts, &e) < 0) {
        ds_sync_host_fail(
            h, g_strdup_printf("opening %s: %s", source, e->message));
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
            ds_sync_host_fail(
                h, g_strdup_printf("interrupted by a signal before step %u/%u",
                                   i + 1, plan->actions->len));
            return false;
        }
        ds_journal_step_begin(h->journal, i + 1, ds_action_kind_name(a->kind),
                              a->description);
        if (ds_sync_host_journal_save(h, DS_JOURNAL_APPLYING, &e) < 0) {
            ds_sync_host_fail(h, g_strdup(e->message));
            return false;
        }
        /* after the journal: what the note says has begun is on disk */
        ds_sync_host_note(h, "step %u/%u: %s", i + 1, plan->actions->len,
                          a->description);
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
            ds_sync_host_fail(h, failure_reason(f, plan->actions->len, e));
            return false;
        }
        r->steps_done++;
        ds_sync_host_journal_save(h, DS_JOURNAL_APPLYING, NULL);
    }
    g_clear_pointer(&t, ds_transport_free);
    if (cancelled(h)) {
        ds_sync_host_fail(h,
                          g_strdup("interrupted by a signal before the lab was verified"));
        return false;
    }
    ds_sync_host_journal_save(h, DS_JOURNAL_VERIFYING, NULL);
    ds_sync_host_note(h, "collecting lab %s again", h->hc->lab);
    if (ds_sync_host_collect_lab(&after, h, &e) < 0 ||
        ds_manifest_diff(&residue, after, prod, h->cfg->ignore, &e) < 0) {
        ds_sync_host_fail(h,
                          g_strdup_printf("verifying the lab: %s", e->message));
        return false;
    }
    if (residue->len) {
        g_autofree char *d = ds_sync_describe_changes(residue, 3);

        r->residue = g_steal_pointer(&residue);
        ds_sync_host_fail(
            h, g_strdup_printf("the lab still differs from prod after the %u steps: %s",
                               plan->actions->len, d));
        return false;
    }
    r->lab_after = g_steal_pointer(&after);
    ds_sync_host_journal_save(h, DS_JOURNAL_RECORDING, NULL);
    return true;
}

static int build_plan(host_run *h, const ds_manifest *lab,
                      const ds_manifest *prod, GError **err)
{
    ds_plan_options po = {.ignore = h->cfg->ignore,
                          .package_cache = h->cfg->package_cache};
    int rc;

    if ((rc = ds_plan_build(&h->r->plan, lab, prod, &po, err)) < 0)
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
    return ds_file_write_atomic(h->before_path, data, len, 0600,
                                DS_FILE_MKDIR, err);
}

/* Ends the run here with a reason; false, for `return fail(...)`. */
static bool fail(host_run *h, GError *e)
{
    set_failed(h, e);
    return false;
}

/* The host's configuration and its recorded states; false when the run
 * ends here (r says why). */
static bool host_load(host_run *h, ds_manifest **prod,
                      ds_manifest **stored_lab)
{
    ds_sync_result *r = h->r;
    g_autoptr(GError) e = NULL;

    if (!ds_name_is_safe_host(r->host)) {
        g_autofree char *shown = g_strescape(r->host, NULL);

        r->status = DS_SYNC_FAILED;
        r->reason = g_strdup_printf("'%s' is not a valid host name", shown);
        return false;
    }
    if (ds_config_find_lab(&h->hc, h->cfg, r->host, &e) < 0)
        return fail(h, e);
    r->domain = g_strdup(h->hc->lab);
    if (!h->head) {
        r->status = DS_SYNC_FAILED;
        r->reason = g_strdup_printf("%s: no such host (nothing recorded yet)",
                                    r->host);
        return false;
    }
    if (read_manifest(prod, h, DS_ROLE_PROD, &e) < 0)
        return fail(h, e);
    /* A lab never recorded: a dry run cannot plan without it; a real run
     * collects the lab as it is and starts from there. */
    if (read_manifest(stored_lab, h, DS_ROLE_LAB, &e) == DS_ENOTFOUND &&
        !h->opts->dry_run)
        g_clear_error(&e);
    return e ? fail(h, e) : true;
}

/* "HOST: before the sync: CAUSE", the cause without a "HOST: " of its own
 * (the collection names the host already). */
static void before_the_sync(GError *e, const char *host)
{
    gsize n = strlen(host);
    const char *cause = e->message;
    char *msg;

    if (!strncmp(cause, host, n) && cause[n] == ':' && cause[n + 1] == ' ')
        cause += n + 2;
    msg = g_strdup_printf("%s: before the sync: %s", host, cause);
    g_free(e->message);
    e->message = msg;
}

/* The lab: its domain, its lock, what an earlier run left; then the lab
 * as it really is (h->before) and the plan that takes it to prod. */
static bool lab_plan(host_run *h, const ds_manifest *prod,
                     const ds_manifest *stored_lab)
{
    ds_sync_result *r = h->r;
    g_autoptr(GError) e = NULL;

    if (ds_lab_open(&h->lab, lab_uri(h), &e) < 0 ||
        ds_lab_domain(&h->dom, h->lab, h->hc->lab, &e) < 0 ||
        ds_sync_lock_take(&h->lock, h->cfg->state_dir, h->hc->lab, &e) < 0) {
        if (!g_str_has_prefix(e->message, r->host))
            g_prefix_error(&e, "%s: ", r->host);
        return fail(h, e);
    }
    h->journal_path = ds_journal_path(h->cfg->state_dir, r->host);
    h->before_path = ds_journal_before_path(h->cfg->state_dir, r->host);
    if (ds_sync_host_recover(h, &e) < 0)
        return fail(h, e);

    if (stored_lab)
        ds_sync_host_note(h, "collecting lab %s", h->hc->lab);
    else
        ds_sync_host_note(
            h, "lab %s was never recorded: collecting it as it is", h->hc->lab);
    if (ds_sync_host_collect_lab(&h->before, h, &e) < 0) {
        before_the_sync(e, r->host);
        return fail(h, e);
    }
    if (stored_lab) {
        g_autoptr(GPtrArray) since = NULL;

        /* what changed in the lab, not a new collected_at */
        if (ds_manifest_diff(&since, stored_lab, h->before, h->cfg->ignore,
                             NULL) == 0 &&
            since->len)
            ds_sync_host_note(h,
                              "lab %s changed since it was last recorded (%u "
                              "difference%s); planning from what it is now",
                              h->hc->lab, since->len,
                              since->len == 1 ? "" : "s");
    }
    if (build_plan(h, h->before, prod, &e) < 0)
        return fail(h, e);
    return true;
}

/* Nothing to do: the lab is in sync, and is recorded only when it changed
 * since it was recorded (not for a new collected_at alone). */
static void in_sync(host_run *h, const ds_manifest *stored_lab)
{
    ds_sync_result *r = h->r;
    g_autoptr(GPtrArray) news = NULL;
    g_autoptr(GError) e = NULL;

    r->status = DS_SYNC_IN_SYNC;
    if (stored_lab &&
        ds_manifest_diff(&news, stored_lab, h->before, NULL, &e) < 0)
        return set_failed(h, e);
    r->lab_after = g_steal_pointer(&h->before);
    h->pending = !stored_lab || news->len > 0;
}

/* Whether the plan may start: no step left to be done by hand, no
 * signal yet.  The lab has not been touched. */
static bool plan_may_start(host_run *h)
{
    ds_sync_result *r = h->r;

    for (guint i = 0; r->plan->manual && i < r->plan->actions->len; i++) {
        const ds_action *a = r->plan->actions->pdata[i];

        if (a->kind != DS_ACTION_MANUAL)
            continue;
        r->status = DS_SYNC_FAILED;
        r->reason = g_strdup_printf("%s: %u step%s cannot be replayed and must be done by hand (%s); the lab was not touched",
                                    r->host, r->plan->manual,
                                    r->plan->manual == 1 ? "" : "s",
                                    a->description);
        return false;
    }
    if (cancelled(h)) {
        r->status = DS_SYNC_FAILED;
        r->reason = g_strdup_printf("%s: interrupted before the sync began",
                                    r->host);
        return false;
    }
    return true;
}

/* The snapshot, journalled first so that a kill at any point is found;
 * then the plan. */
static void protect_and_apply(host_run *h, const ds_manifest *prod)
{
    ds_sync_result *r = h->r;
    g_autoptr(GError) e = NULL;
    g_autoptr(ds_snapshot) snap = NULL;
    g_autofree char *why = NULL;
    g_autofree char *desc = NULL;
    ds_snapshot_mode mode = DS_SNAPSHOT_AUTO;

    if (ds_snapshot_mode_from_string(&mode, h->cfg->snapshots, &e) < 0 ||
        ds_snapshot_choose_mode(&mode, &why, h->dom, mode, &e) < 0)
        return set_failed(h, e);
    r->snapshot = ds_snapshot_name_for_run(h->run_id);
    h->journal = ds_journal_new(h->run_id, r->host, h->hc->lab, lab_uri(h),
                                r->snapshot);
    h->journal->total = r->plan->actions->len;
    if (save_before(h, &e) < 0 ||
        ds_sync_host_journal_save(h, DS_JOURNAL_STARTED, &e) < 0)
        return set_failed(h, e);
    desc = g_strdup_printf("driftsync sync of %s at store commit %.7s",
                           r->host, h->head);
    if (ds_snapshot_create(&snap, h->dom, r->snapshot, desc, mode, &e) < 0) {
        g_clear_pointer(&r->snapshot, g_free);
        h->journal->note = g_strdup_printf("no snapshot: %s", e->message);
        ds_sync_host_journal_save(h, DS_JOURNAL_RECOVERED, NULL);
        g_prefix_error(&e, "%s: ", r->host);
        return set_failed(h, e);
    }
    ds_sync_host_note(h, "snapshot %s of lab %s (%s: %s)", r->snapshot,
                      h->hc->lab, ds_snapshot_mode_to_string(snap->mode), why);
    if (!apply_plan(h, prod))
        return;
    r->status = DS_SYNC_SYNCED;
    h->pending = true;
}

void ds_sync_host_run(host_run *h)
{
    ds_sync_result *r = h->r;
    g_autoptr(GError) e = NULL;
    g_autoptr(ds_manifest) prod = NULL;
    g_autoptr(ds_manifest) stored_lab = NULL;

    if (!host_load(h, &prod, &stored_lab))
        return;
    if (h->opts->dry_run) {
        if (build_plan(h, stored_lab, prod, &e) < 0)
            return set_failed(h, e);
        r->status = ds_plan_is_empty(r->plan) ? DS_SYNC_IN_SYNC
                                              : DS_SYNC_PLANNED;
        return;
    }
    if (!lab_plan(h, prod, stored_lab))
        return;
    if (ds_plan_is_empty(r->plan))
        return in_sync(h, stored_lab);
    if (plan_may_start(h))
        protect_and_apply(h, prod);
}

/* After the commit: domain metadata, retention, the journal closed. */
void ds_sync_host_finish(host_run *h, const char *commit)
{
    ds_sync_result *r = h->r;
    g_autoptr(GError) e = NULL;
    g_autoptr(ds_snapshot_meta) meta = NULL;
    const char *result = NULL;
    const char *at = commit;

    if (!h->dom || r->status == DS_SYNC_PLANNED)
        return;
    if (r->status == DS_SYNC_FAILED && !h->journal)
        return; /* never started: the lab is as it was */
    /* The libvirt daemon may have been restarted during the run: the
     * calls below then fail and say so. */
    ds_lab_revive(h->lab, &h->dom, DS_LAB_REOPEN_MS, NULL);
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
    if (ds_snapshot_meta_record_sync(h->dom, r->host, at, result, &e) < 0) {
        ds_sync_host_note(h, "could not update the domain's metadata: %s",
                          e->message);
        g_clear_error(&e);
    }
    if (r->status != DS_SYNC_SYNCED)
        return;
    if (ds_snapshot_prune(&r->pruned, h->dom, h->cfg->keep_snapshots, &e) < 0)
        ds_sync_host_note(h, "could not prune old snapshots: %s", e->message);
    for (guint i = 0; r->pruned && i < r->pruned->len; i++)
        ds_sync_host_note(h, "pruned old snapshot %s",
                          (char *)r->pruned->pdata[i]);
    if (h->journal) {
        h->journal->note = g_strdup_printf("recorded as store commit %s",
                                           at ? at : "(unchanged)");
        ds_sync_host_journal_save(h, DS_JOURNAL_FINISHED, NULL);
    }
}

void ds_sync_host_clear(host_run *h)
{
    if (h->dom)
        virDomainFree(h->dom);
    ds_lab_free(h->lab);
    ds_lock_release(h->lock);
    ds_journal_free(h->journal);
    g_free(h->journal_path);
    g_free(h->before_path);
    ds_manifest_free(h->before);
}
