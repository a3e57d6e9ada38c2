/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/engine/sync-revert.c: going back.  A run that an earlier, killed one left
 * open is found by its journal and its lab reverted to that run's
 * snapshot; a run that fails is reverted to its own snapshot (or kept as
 * it is, when asked); each revert is verified by collecting the lab again
 * and comparing with the manifest taken before the run. */
#include <config.h>

#include <string.h>

#include "manifests/diff.h"
#include "manifests/util/error.h"
#include "snapshots/snapshot.h"
#include "sync/engine/sync-host.h"

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
    /* The run may have failed because the libvirt daemon went away. */
    if ((rc = ds_lab_revive(h->lab, &h->dom, DS_LAB_REOPEN_MS, err)) < 0 ||
        (rc = ds_snapshot_revert(h->dom, name, err)) < 0)
        return rc;
    if (!before)
        return 0;
    if ((rc = ds_sync_host_collect_lab(&after, h, err)) < 0)
        return ds_error_prefix(err, rc, "after reverting to %s: ", name);
    if ((rc = ds_manifest_diff(&changes, before, after, h->cfg->ignore, err)) <
        0)
        return rc;
    *verified = changes->len == 0;
    if (residue)
        *residue = g_steal_pointer(&changes);
    return 0;
}

char *ds_sync_describe_changes(GPtrArray *changes, guint max)
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

/* The snapshot of an interrupted run that a later run reverted, when a
 * kill left it behind: deleted; failing that, said. */
static int drop_leftover(host_run *h, const ds_journal *j)
{
    g_autoptr(ds_snapshot) snap = NULL;
    g_autoptr(GError) e = NULL;

    if (!j->snapshot || ds_snapshot_find(&snap, h->dom, j->snapshot, NULL) < 0)
        return 0;
    if (ds_snapshot_delete(h->dom, j->snapshot, &e) < 0)
        ds_sync_host_note(h, "could not delete snapshot %s of interrupted run %s: %s", j->snapshot, j->run_id, e->message);
    else
        ds_sync_host_note(h, "deleted snapshot %s left by interrupted run %s",
                          j->snapshot, j->run_id);
    return 0;
}

/* An earlier run that was killed: revert the lab to its snapshot. */
int ds_sync_host_recover(host_run *h, GError **err)
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
        ds_sync_host_note(
            h,
            "the last run (%s) failed and kept the lab as it was; "
            "syncing from there (its snapshot %s remains)",
            j->run_id, j->snapshot);
    if (j->state == DS_JOURNAL_RECOVERED)
        return drop_leftover(h, j);
    if (!ds_journal_is_open(j))
        return 0;
    if (g_strcmp0(j->domain, h->hc->lab) != 0)
        return ds_error_set(err, DS_ECONFLICT,
                            "%s: the journal of interrupted run %s names lab %s, not %s; see %s",
                            h->r->host, j->run_id, j->domain, h->hc->lab,
                            h->journal_path);
    h->r->recovered_run = g_strdup(j->run_id);
    h->r->recovered_snapshot = g_strdup(j->snapshot);
    rc = ds_snapshot_find(&snap, h->dom, j->snapshot, &e);
    if (rc == DS_ENOTFOUND && j->state == DS_JOURNAL_STARTED) {
        /* Killed before its snapshot existed: nothing was applied. */
        ds_sync_host_note(
            h,
            "found interrupted run %s: it stopped before taking its "
            "snapshot; nothing to revert",
            j->run_id);
        j->state = DS_JOURNAL_RECOVERED;
        g_free(j->note);
        j->note = g_strdup_printf("interrupted before its snapshot; found by run %s",
                                  h->run_id);
        return ds_journal_write(h->journal_path, j, err);
    }
    if (rc < 0) {
        g_propagate_error(err, g_steal_pointer(&e));
        return ds_error_prefix(err, rc,
                               "%s: interrupted run %s (%s) cannot be reverted: ",
                               h->r->host, j->run_id,
                               ds_journal_state_name(j->state));
    }
    ds_sync_host_note(h,
                      "found interrupted run %s (%s, %u of %u steps started): "
                      "reverting lab %s to %s",
                      j->run_id, ds_journal_state_name(j->state), j->steps->len,
                      j->total, j->domain, j->snapshot);
    if (ds_manifest_load(&before, h->before_path, NULL) < 0)
        before = NULL;
    if ((rc = revert_verify(h, j->snapshot, before, &verified, &residue, err)) <
        0)
        return ds_error_prefix(err, rc,
                               "%s: reverting interrupted run %s: ", h->r->host,
                               j->run_id);
    if (before && !verified) {
        g_autofree char *d = ds_sync_describe_changes(residue, 3);

        return ds_error_set(err, DS_ECONFLICT,
                            "%s: reverted to %s after interrupted run %s, but the lab still differs from before it: %s",
                            h->r->host, j->snapshot, j->run_id, d);
    }
    /* The journal closed before the snapshot goes: killed in between, the
     * next run finds a closed journal and a snapshot to drop, never an
     * open journal whose snapshot is gone. */
    j->state = DS_JOURNAL_RECOVERED;
    g_free(j->note);
    j->note = g_strdup_printf("interrupted; reverted to %s by run %s",
                              j->snapshot, h->run_id);
    if ((rc = ds_journal_write(h->journal_path, j, err)) < 0)
        return rc;
    ds_sync_host_note(h, "lab %s reverted to %s%s", j->domain, j->snapshot,
                      before ? " and verified"
                             : " (no earlier manifest to verify it by)");
    if (ds_snapshot_delete(h->dom, j->snapshot, &e) < 0)
        ds_sync_host_note(h, "could not delete snapshot %s: %s", j->snapshot,
                          e->message);
    return 0;
}

/* A step failed, the lab drifts still, or we were stopped: revert (or
 * keep) and say why. */
void ds_sync_host_fail(host_run *h, char *reason)
{
    ds_sync_result *r = h->r;
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) residue = NULL;
    bool verified = false;

    r->reason = reason;
    if (h->opts->keep_on_failure ||
        g_strcmp0(h->cfg->on_failure, "keep") == 0) {
        r->status = DS_SYNC_KEPT;
        ds_sync_host_set_note(h->journal, reason);
        ds_sync_host_journal_save(h, DS_JOURNAL_KEPT, NULL);
        ds_sync_host_note(
            h,
            "lab %s kept as the failed run left it; revert it with "
            "`driftsync snapshot revert %s %s`",
            h->hc->lab, r->host, r->snapshot);
        return;
    }
    ds_sync_host_journal_save(h, DS_JOURNAL_REVERTING, NULL);
    ds_sync_host_note(h, "failed: reverting lab %s to %s", h->hc->lab,
                      r->snapshot);
    if (revert_verify(h, r->snapshot, h->before, &verified, &residue, &e) < 0) {
        /* The journal stays open: the next run reverts again. */
        r->status = DS_SYNC_FAILED;
        r->reason = g_strdup_printf("%s; the revert to %s failed: %s; the next `driftsync sync %s` reverts the lab first",
                                    reason, r->snapshot, e->message,
                                    r->host);
        g_free(reason);
        return;
    }
    if (!verified) {
        g_autofree char *d = ds_sync_describe_changes(residue, 3);

        r->status = DS_SYNC_FAILED;
        r->reason = g_strdup_printf("%s; reverted to %s but the lab still differs from before the sync: %s",
                                    reason, r->snapshot, d);
        g_free(reason);
        ds_sync_host_set_note(h->journal, r->reason);
        ds_sync_host_journal_save(h, DS_JOURNAL_REVERTED, NULL);
        return;
    }
    r->revert_verified = true;
    r->status = DS_SYNC_REVERTED;
    ds_sync_host_set_note(h->journal, reason);
    ds_sync_host_journal_save(h, DS_JOURNAL_REVERTED, NULL);
    if (ds_snapshot_delete(h->dom, r->snapshot, &e) < 0)
        ds_sync_host_note(h, "could not delete snapshot %s: %s", r->snapshot,
                          e->message);
    else
        g_clear_pointer(&r->snapshot, g_free);
}
