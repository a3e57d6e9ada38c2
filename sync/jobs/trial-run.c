/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/trial-run.c: one trial run on a lab VM: snapshot, copy and install
 * the candidate packages, run the change and the checks in the guest,
 * revert, verify the revert by collecting the lab again.  Ctrl-C or a
 * guest that stops answering still ends in a revert. */
#include <config.h>

#include <string.h>

#include "manifests/diff.h"
#include "manifests/util/error.h"
#include "manifests/util/shell.h"
#include "manifests/util/signals.h"
#include "sync/jobs/collect.h"
#include "sync/jobs/trial-guard.h"
#include "sync/jobs/trial.h"

#define TRIAL_AGENT_WAIT_MS (180 * 1000)
/* How long a guest whose agent went silent may take to show as stopped. */
#define SETTLE_POLLS 30
#define SETTLE_POLL_US (100 * 1000)

void ds_trial_step_free(ds_trial_step *s)
{
    if (!s)
        return;
    g_free(s->what);
    g_free(s->command);
    g_strfreev(s->argv);
    g_free(s->out);
    g_free(s->err);
    g_free(s);
}

void ds_trial_deb_free(ds_trial_deb *d)
{
    if (!d)
        return;
    g_free(d->path);
    g_free(d->guest);
    if (d->data)
        g_bytes_unref(d->data);
    g_free(d);
}

char *ds_trial_revert_advice(const ds_trial *tr)
{
    return g_strdup_printf("revert it with `driftsync snapshot revert %s %s`", tr->host, tr->snapshot);
}

/* ---- work done in the guest, in the guard's worker thread ---- */

typedef enum { JOB_COLLECT, JOB_OPEN, JOB_WRITE, JOB_EXEC, JOB_WAIT } job_kind;

typedef struct guest_job {
    job_kind kind;
    const ds_config *cfg;      /* COLLECT */
    const ds_host_config *hc;  /* COLLECT */
    char *source;              /* COLLECT, OPEN */
    char *uri, *domain, *host; /* OPEN, WAIT */
    int timeout_ms;            /* OPEN (per command), WAIT */
    ds_transport *t;           /* WRITE, EXEC: borrowed; OPEN: made */
    char *path;                /* WRITE */
    GBytes *data;              /* WRITE */
    const char *const *argv;   /* EXEC: borrowed from the step */
    ds_manifest *manifest;     /* COLLECT: made */
    ds_run_result result;      /* EXEC */
} guest_job;

static void guest_job_free(guest_job *j)
{
    g_free(j->source);
    g_free(j->uri);
    g_free(j->domain);
    g_free(j->host);
    g_free(j->path);
    if (j->data)
        g_bytes_unref(j->data);
    if (j->kind == JOB_OPEN)
        ds_transport_free(j->t);
    ds_manifest_free(j->manifest);
    ds_run_result_clear(&j->result);
    g_free(j);
}

static int job_wait(guest_job *j, GError **err)
{
    g_autoptr(ds_lab) lab = NULL;
    virDomainPtr dom = NULL;
    int rc;

    if ((rc = ds_lab_open(&lab, j->uri, err)) == 0 &&
        (rc = ds_lab_domain(&dom, lab, j->domain, err)) == 0)
        rc = ds_lab_wait_agent(lab, dom, j->timeout_ms, err);
    if (dom)
        virDomainFree(dom);
    return rc;
}

static int job_fn(void *data, GError **err)
{
    guest_job *j = data;
    ds_transport_options o = {.host = j->host,
                              .libvirt_uri = j->uri,
                              .timeout_ms = j->timeout_ms};

    switch (j->kind) {
    case JOB_COLLECT:
        return ds_collect_one(&j->manifest, j->cfg, j->hc, j->source,
                              DS_ROLE_LAB, err);
    case JOB_OPEN:
        return ds_transport_open(&j->t, j->source, &o, err);
    case JOB_WRITE:
        return ds_transport_write_file(j->t, j->path, j->data, 0600, err);
    case JOB_EXEC:
        j->result.status = -1;
        return ds_transport_run(j->t, j->argv, NULL, &j->result, err);
    case JOB_WAIT:
        return job_wait(j, err);
    }
    return ds_error_set(err, DS_EINVALID, "unknown trial job");
}

static guest_job *job_new(const ds_trial *tr, job_kind kind)
{
    guest_job *j = g_new0(guest_job, 1);

    j->kind = kind;
    j->cfg = tr->cfg;
    j->hc = tr->hc;
    j->source = g_strdup(tr->source);
    j->uri = g_strdup(tr->uri);
    j->domain = g_strdup(tr->hc->lab);
    j->host = g_strdup(tr->host);
    j->timeout_ms = tr->timeout_ms;
    j->result.status = -1;
    return j;
}

/* Run a job under the guard.  When it is abandoned (a signal, or the
 * domain stopped running) the job belongs to the worker: *jp is cleared,
 * and so is *t_alive when the job uses the transport (it must then never
 * be freed nor used again). */
static int guarded(ds_trial *tr, guest_job **jp, bool *t_alive, GError **err)
{
    int rc = 0;
    ds_guard_outcome o;

    if (ds_signals_caught > tr->signals_seen) {
        tr->interrupted = true;
        return ds_error_set(err, DS_EINTERRUPTED, "interrupted (%s)",
                            ds_signals_last_name());
    }
    o = ds_guard_run(&rc, job_fn, *jp, (GDestroyNotify)guest_job_free,
                     tr->dom, err);
    if (o == DS_GUARD_DONE)
        return rc;
    *jp = NULL;
    tr->leak = true;
    if (t_alive)
        *t_alive = false;
    if (o == DS_GUARD_INTERRUPTED)
        tr->interrupted = true;
    else {
        tr->lost = true;
        g_free(tr->lost_why);
        tr->lost_why = g_strdup(err && *err ? (*err)->message : "lost");
    }
    return rc;
}

static char *bytes_text(GBytes *b)
{
    gsize len = 0;
    const char *data = b ? g_bytes_get_data(b, &len) : NULL;

    /* Guest output is shown, never interpreted: make it valid text. */
    return g_utf8_make_valid(data ? data : "", (gssize)len);
}

static ds_trial_step *add_step(ds_trial *tr, const char *what,
                               const char *command, char **argv)
{
    ds_trial_step *s = g_new0(ds_trial_step, 1);

    s->what = g_strdup(what);
    s->command = g_strdup(command);
    s->argv = argv;
    s->status = -1;
    g_ptr_array_add(tr->steps, s);
    return s;
}

/* Run one step in the guest; a non-zero exit is not an error. */
static int run_step(ds_trial *tr, ds_trial_step *s, ds_transport *t,
                    bool *t_alive, GError **err)
{
    guest_job *j = job_new(tr, JOB_EXEC);
    gint64 t0 = g_get_monotonic_time();
    int rc;

    j->t = t;
    j->argv = (const char *const *)s->argv;
    rc = guarded(tr, &j, t_alive, err);
    s->seconds = (double)(g_get_monotonic_time() - t0) / 1e6;
    if (j && rc == 0) {
        s->status = j->result.status;
        s->out = bytes_text(j->result.out);
        s->err = bytes_text(j->result.err);
    }
    if (j)
        guest_job_free(j);
    ds_log_verbose(&tr->log, "%s: %s `%s`: exit %d (%.1f s)", tr->host,
                   s->what, s->command, s->status, s->seconds);
    return rc;
}

static int collect(ds_trial *tr, ds_manifest **out, GError **err)
{
    guest_job *j = job_new(tr, JOB_COLLECT);
    int rc = guarded(tr, &j, NULL, err);

    if (j) {
        *out = g_steal_pointer(&j->manifest);
        guest_job_free(j);
    }
    return rc;
}

/* Copy the package files debs (ds_trial_deb *) into a private directory
 * in the guest. */
static int copy_debs(ds_trial *tr, GPtrArray *debs, ds_transport *t,
                     bool *t_alive, GError **err)
{
    g_autofree char *dir = NULL;
    char *mk[] = {"mkdir", "-m", "0700", "-p", NULL, NULL};
    ds_trial_step *s;
    int rc;

    if (!debs->len)
        return 0;
    dir = g_strdup_printf("/var/tmp/driftsync-trial-%s", tr->run_id);
    mk[4] = dir;
    s = add_step(tr, "copy", "mkdir", g_strdupv(mk));
    g_free(s->command);
    s->command = ds_shell_display((const char *const *)mk);
    if ((rc = run_step(tr, s, t, t_alive, err)) < 0)
        return rc;
    if (s->status != 0)
        return ds_error_set(err, DS_EGENERIC,
                            "%s: cannot create %s in the guest: %s",
                            tr->host, dir, s->err ? s->err : "");
    /* Not a step of its own in the result: the install shows the paths. */
    g_ptr_array_remove(tr->steps, s);
    for (guint i = 0; i < debs->len; i++) {
        ds_trial_deb *d = debs->pdata[i];
        guest_job *j = job_new(tr, JOB_WRITE);

        j->t = t;
        j->path = g_strdup(d->guest);
        j->data = g_bytes_ref(d->data);
        rc = guarded(tr, &j, t_alive, err);
        if (j)
            guest_job_free(j);
        if (rc < 0)
            return ds_error_prefix(err, rc, "copying %s into the guest: ",
                                   d->path);
        ds_log_verbose(&tr->log, "%s: copied %s to %s", tr->host, d->path,
                       d->guest);
    }
    return 0;
}

/* One apt transaction: the pinned --install packages (or, when they came
 * from the package cache, their files) and the --deb files (apt resolves
 * their dependencies, and changes nothing when it cannot).  download: only
 * have apt download the pinned packages (--download-only). */
static char **install_argv(const ds_trial *tr, bool download)
{
    GPtrArray *a = g_ptr_array_new();

    g_ptr_array_add(a, g_strdup("env"));
    g_ptr_array_add(a, g_strdup("DEBIAN_FRONTEND=noninteractive"));
    g_ptr_array_add(a, g_strdup("apt-get"));
    g_ptr_array_add(a, g_strdup("install"));
    if (download)
        g_ptr_array_add(a, g_strdup("--download-only"));
    g_ptr_array_add(a, g_strdup("-y"));
    g_ptr_array_add(a, g_strdup("--allow-downgrades"));
    g_ptr_array_add(a, g_strdup("-o"));
    g_ptr_array_add(a, g_strdup("Dpkg::Options::=--force-confdef"));
    g_ptr_array_add(a, g_strdup("-o"));
    g_ptr_array_add(a, g_strdup("Dpkg::Options::=--force-confold"));
    if (tr->cached) {
        /* The lab's sources failed: apt would still take a version they
         * list from them rather than from the file given, so it reads no
         * sources at all (a list that does not exist, and the trial's
         * directory, which holds no *.list nor *.sources). */
        g_autofree char *dir =
            g_strdup_printf("/var/tmp/driftsync-trial-%s", tr->run_id);

        g_ptr_array_add(a, g_strdup("-o"));
        g_ptr_array_add(a, g_strdup_printf("Dir::Etc::SourceList=%s/no-sources.list", dir));
        g_ptr_array_add(a, g_strdup("-o"));
        g_ptr_array_add(a, g_strdup_printf("Dir::Etc::SourceParts=%s", dir));
    }
    g_ptr_array_add(a, g_strdup("--"));
    for (guint i = 0; !tr->cached && i < tr->installs->len; i++)
        g_ptr_array_add(a, g_strdup(tr->installs->pdata[i]));
    for (guint i = 0; tr->cached && i < tr->cached->len; i++)
        g_ptr_array_add(a, g_strdup(((ds_trial_deb *)tr->cached->pdata[i])->guest));
    for (guint i = 0; !download && i < tr->debs->len; i++)
        g_ptr_array_add(a, g_strdup(((ds_trial_deb *)tr->debs->pdata[i])->guest));
    g_ptr_array_add(a, NULL);
    return (char **)g_ptr_array_free(a, FALSE);
}

/* --pending with [packages] cache: the lab's apt downloads prod's
 * candidates first (a "fetch" step, changing nothing but apt's archive
 * cache, behind the snapshot); when it cannot (its sources are out of
 * reach, or its lists lack the version), the versions come from the
 * package cache, copied into the guest and installed from there. */
static int fetch_or_cache(ds_trial *tr, ds_transport *t, bool *t_alive,
                          GError **err)
{
    g_autoptr(GPtrArray) debs = NULL;
    char **argv;
    g_autofree char *shown = NULL;
    ds_trial_step *s;
    int rc;

    if (!tr->cache_fallback || !tr->installs->len)
        return 0;
    argv = install_argv(tr, true);
    shown = ds_shell_join((const char *const *)argv);
    s = add_step(tr, "fetch", shown, argv);
    if ((rc = run_step(tr, s, t, t_alive, err)) < 0 || s->status == 0)
        return rc;
    ds_log_info(&tr->log, "%s: lab %s cannot download prod's candidates from its apt sources (exit %d): installing them from the package cache", tr->host,
                tr->hc->lab, s->status);
    if ((rc = ds_trial_cache_debs(&debs, tr, err)) < 0)
        return ds_error_prefix(err, rc, "the lab cannot download prod's candidates from its apt sources (exit %d), nor could the package cache supply them: ", s->status);
    if ((rc = copy_debs(tr, debs, t, t_alive, err)) < 0)
        return rc;
    tr->cached = g_steal_pointer(&debs);
    return 0;
}

/* The candidate change (install, then each --run; the first failure
 * stops it), then every check.  A transport error ends the trial. */
static int apply_and_check(ds_trial *tr, char **runs, char **checks,
                           GError **err)
{
    guest_job *open = job_new(tr, JOB_OPEN);
    ds_transport *t = NULL;
    bool t_alive = true;
    int rc;

    if ((rc = guarded(tr, &open, &t_alive, err)) < 0) {
        if (open)
            guest_job_free(open);
        return rc;
    }
    t = g_steal_pointer(&open->t);
    guest_job_free(open);

    tr->change_ok = true;
    if ((rc = copy_debs(tr, tr->debs, t, &t_alive, err)) < 0 ||
        (rc = fetch_or_cache(tr, t, &t_alive, err)) < 0)
        goto done;
    if (tr->installs->len || tr->debs->len) {
        char **argv = install_argv(tr, false);
        g_autofree char *shown = ds_shell_join((const char *const *)argv);
        ds_trial_step *s = add_step(tr, "install", shown, argv);

        if ((rc = run_step(tr, s, t, &t_alive, err)) < 0)
            goto done;
        tr->change_ok = s->status == 0;
    }
    for (int i = 0; runs && runs[i] && tr->change_ok; i++) {
        /* The admin's own command line, run by the guest's shell. */
        char *argv[] = {"/bin/sh", "-c", runs[i], NULL};
        ds_trial_step *s = add_step(tr, "run", runs[i], g_strdupv(argv));

        if ((rc = run_step(tr, s, t, &t_alive, err)) < 0)
            goto done;
        tr->change_ok = s->status == 0;
    }
    tr->passed = tr->change_ok;
    for (int i = 0; checks[i]; i++) {
        char *argv[] = {"/bin/sh", "-c", checks[i], NULL};
        ds_trial_step *s = add_step(tr, "check", checks[i], g_strdupv(argv));

        if (!tr->change_ok)
            continue; /* recorded as not run */
        if ((rc = run_step(tr, s, t, &t_alive, err)) < 0)
            goto done;
        tr->passed = tr->passed && s->status == 0;
    }
    if (tr->keep && (tr->debs->len || tr->cached)) {
        /* The package files are not part of the kept change. */
        g_autofree char *dir =
            g_strdup_printf("/var/tmp/driftsync-trial-%s", tr->run_id);
        const char *rm[] = {"rm", "-rf", "--", dir, NULL};
        ds_run_result r = {.status = -1};

        ds_transport_run(t, rm, NULL, &r, NULL);
        ds_run_result_clear(&r);
    }
done:
    if (rc < 0)
        tr->passed = false;
    if (t_alive)
        ds_transport_free(t);
    return rc;
}

/* Wait for the guest after the revert, collect it again, compare. */
static int verify(ds_trial *tr, const ds_manifest *before, GError **err)
{
    g_autoptr(ds_manifest) after = NULL;
    int rc;

    if (virDomainIsActive(tr->dom) == 1) {
        guest_job *j = job_new(tr, JOB_WAIT);

        j->timeout_ms = TRIAL_AGENT_WAIT_MS;
        rc = guarded(tr, &j, NULL, err);
        if (j)
            guest_job_free(j);
        if (rc < 0)
            return rc;
    }
    if ((rc = collect(tr, &after, err)) < 0)
        return rc;
    if ((rc = ds_manifest_diff(&tr->residue, before, after, tr->cfg->ignore,
                               err)) < 0)
        return rc;
    tr->verified = tr->residue->len == 0;
    return 0;
}

static void set_error(ds_trial *tr, char *msg)
{
    g_free(tr->error);
    tr->error = msg;
}

/* Revert, verify, drop the snapshot; say what became of the lab. */
static int finish(ds_trial *tr, const ds_manifest *before, const char *cause)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *advice = ds_trial_revert_advice(tr);
    const char *sep = cause ? "; " : "";
    int rc;

    if (cause)
        ds_log_info(&tr->log, "%s: %s: reverting lab %s to %s", tr->host,
                    cause, tr->hc->lab, tr->snapshot);
    /* The trial may have failed because the libvirt daemon went away. */
    if ((rc = ds_lab_revive(tr->lab, &tr->dom, DS_LAB_REOPEN_MS, &err)) < 0 ||
        (rc = ds_snapshot_revert(tr->dom, tr->snapshot, &err)) < 0) {
        set_error(tr, g_strdup_printf("%s%scould not revert (%s): the lab may keep the trial's changes; %s",
                                      cause ? cause : "", sep, err->message,
                                      advice));
        return rc;
    }
    tr->reverted = true;
    tr->signals_seen = ds_signals_caught;
    /* A second signal from here on does not stop the verification: the
     * guard's worker is simply abandoned and the lab stays reverted. */
    if ((rc = verify(tr, before, &err)) < 0) {
        set_error(tr, g_strdup_printf("%s%slab %s reverted to %s, but not verified (%s); check it, or %s",
                                      cause ? cause : "", sep, tr->hc->lab,
                                      tr->snapshot, err->message, advice));
        return rc;
    }
    if (!tr->verified) {
        set_error(tr, g_strdup_printf("%s%sthe lab still differs after reverting to %s (snapshot kept; %s again)",
                                      cause ? cause : "", sep, tr->snapshot,
                                      advice));
        return DS_ECONFLICT;
    }
    if (ds_snapshot_delete(tr->dom, tr->snapshot, &err) < 0)
        ds_log_info(&tr->log, "%s: lab %s reverted and verified, but its snapshot %s stays: %s", tr->host, tr->hc->lab,
                    tr->snapshot, err->message);
    else
        tr->deleted = true;
    if (cause) {
        set_error(tr, g_strdup_printf("%s; lab %s reverted to %s and verified", cause, tr->hc->lab,
                                      tr->snapshot));
        return DS_EINTERRUPTED;
    }
    return 0;
}

/* --pending: the lab must be what prod was, or the trial would test
 * something else; refused before the snapshot. */
static int check_match(ds_trial *tr, const ds_manifest *lab, GError **err)
{
    g_autofree char *first = NULL;
    int rc;

    if ((rc = ds_manifest_diff(&tr->drift, lab, tr->must_match,
                               tr->cfg->ignore, err)) < 0) {
        set_error(tr, g_strdup_printf("comparing the lab with prod: %s",
                                      (*err)->message));
        return rc;
    }
    if (tr->drift->len == 0)
        return 0;
    first = ds_change_describe(tr->drift->pdata[0]);
    set_error(tr, g_strdup_printf(
                      "lab %s does not match prod (%u difference%s, first: "
                      "%s): sync it first (`driftsync sync %s`) or add "
                      "--sync-first; nothing changed",
                      tr->hc->lab, tr->drift->len,
                      tr->drift->len == 1 ? "" : "s", first, tr->host));
    return DS_ECONFLICT;
}

static const char *state_of(virDomainPtr dom)
{
    int state = -1;

    if (virDomainGetState(dom, &state, NULL, 0) < 0)
        return "unknown";
    return state == VIR_DOMAIN_RUNNING    ? NULL
           : state == VIR_DOMAIN_PAUSED   ? "paused"
           : state == VIR_DOMAIN_SHUTOFF  ? "shut off"
           : state == VIR_DOMAIN_CRASHED  ? "crashed"
                                          : "not running";
}

/* The guest's state after the agent stopped answering: a guest being
 * destroyed closes the agent's channel before libvirt reports it shut off,
 * so look again for a moment before calling it a silent guest. */
static const char *settled_state_of(virDomainPtr dom, const GError *err)
{
    const char *state = state_of(dom);

    for (int i = 0; !state && ds_error_code_of(err) == DS_EINTERRUPTED &&
                    i < SETTLE_POLLS;
         i++) {
        g_usleep(SETTLE_POLL_US);
        state = state_of(dom);
    }
    return state;
}

int ds_trial_run(ds_trial *tr, char **runs, char **checks)
{
    g_autoptr(ds_manifest) before = NULL;
    g_autoptr(ds_snapshot) snap = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *desc = NULL;
    g_autofree char *hint = NULL;
    g_autofree char *cause = NULL;
    ds_snapshot_mode wanted;
    const char *state;
    int rc;

    /* Everything that can be refused is refused before the lab changes. */
    if ((rc = ds_snapshot_mode_from_string(&wanted, tr->cfg->snapshots,
                                           &err)) < 0 ||
        (rc = ds_snapshot_choose_mode(&tr->mode, &tr->mode_why, tr->dom,
                                      wanted, &err)) < 0 ||
        (rc = ds_snapshot_check_mode(tr->dom, tr->mode, &err)) < 0) {
        set_error(tr, g_strdup(err->message));
        return rc;
    }
    if ((state = state_of(tr->dom))) {
        set_error(tr, g_strdup_printf("lab %s is %s: a trial needs its guest running (start it with `virsh start %s`)", tr->hc->lab, state,
                                      tr->hc->lab));
        return DS_ECONFLICT;
    }
    if ((rc = collect(tr, &before, &err)) < 0) {
        set_error(tr, g_strdup_printf("before the trial (nothing changed): %s", err->message));
        return rc;
    }
    /* its package steps are apt's and dpkg's */
    if (ds_manifest_is_rpm(before)) {
        set_error(tr, g_strdup_printf("lab %s is an rpm host: trial installs packages with apt and dpkg only (nothing changed)", tr->hc->lab));
        return DS_EUNSUPPORTED;
    }
    if (tr->must_match && (rc = check_match(tr, before, &err)) < 0)
        return rc;
    if (ds_signals_caught > tr->signals_seen) {
        tr->interrupted = true;
        set_error(tr, g_strdup_printf("interrupted (%s) before the trial changed anything",
                                      ds_signals_last_name()));
        return DS_EINTERRUPTED;
    }

    tr->snapshot = ds_snapshot_name_for_run(tr->run_id);
    desc = g_strdup_printf("driftsync trial on %s (run %s)", tr->host,
                           tr->run_id);
    hint = g_strdup_printf("driftsync: %s: stopped during the trial: the lab may keep its changes; revert it with `driftsync snapshot revert %s %s`", tr->host,
                           tr->host, tr->snapshot);
    ds_signals_set_hint(hint);
    if ((rc = ds_snapshot_create(&snap, tr->dom, tr->snapshot, desc,
                                 tr->mode, &err)) < 0) {
        g_clear_pointer(&tr->snapshot, g_free);
        ds_signals_set_hint(NULL);
        set_error(tr, g_strdup(err->message));
        return rc;
    }
    ds_log_info(&tr->log, "%s: snapshot %s of lab %s (%s: %s)", tr->host,
                tr->snapshot, tr->hc->lab,
                ds_snapshot_mode_to_string(tr->mode), tr->mode_why);

    rc = apply_and_check(tr, runs, checks, &err);
    if (rc < 0 && !tr->interrupted && !tr->lost &&
        (state = settled_state_of(tr->dom, err))) {
        /* The guest went away faster than the guard looked. */
        tr->lost = true;
        tr->lost_why = g_strdup(err->message);
        g_clear_error(&err);
        ds_error_set(&err, DS_EINTERRUPTED, "the lab domain %s is %s",
                     tr->hc->lab, state);
    }
    if (rc < 0 && tr->interrupted)
        cause = g_strdup(err->message);
    else if (rc < 0 && tr->lost)
        cause = g_strdup_printf("the guest was lost during the trial: %s",
                                err->message);
    else if (rc < 0 && ds_error_code_of(err) == DS_EINTERRUPTED) {
        tr->lost = true;
        tr->lost_why = g_strdup(err->message);
        cause = g_strdup_printf("the guest stopped answering during the trial: %s", err->message);
    } else if (rc < 0)
        cause = g_strdup(err->message);
    else if (ds_signals_caught > tr->signals_seen) {
        tr->interrupted = true;
        cause = g_strdup_printf("interrupted (%s)", ds_signals_last_name());
    }

    if (tr->keep && !cause) {
        tr->kept = true;
        ds_signals_set_hint(NULL);
        return 0;
    }
    rc = finish(tr, before, cause);
    ds_signals_set_hint(NULL);
    return rc;
}
