/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/cmd-mirror.c: `driftsync mirror`, the nightly job (sync/jobs/mirror.c):
 * one line per lab as it finishes, a summary, the JSON report in the
 * state directory; exit 0 every lab matches prod, 1 some lab failed, 2
 * error. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "manifests/util/error.h"
#include "manifests/patch-history.h"
#include "manifests/util/run-id.h"
#include "manifests/util/signals.h"
#include "sync/cli/cmd.h"
#include "sync/jobs/mirror.h"
#include "sync/output/metrics.h"
#include "sync/output/publish.h"

/* The most labs synced at once that --parallel accepts. */
#define MIRROR_PARALLEL_MAX 1024
/* The progress line stops naming running hosts at this width. */
#define PROGRESS_LINE_MAX 70

typedef struct mirror_cli {
    ds_cli *cli;
    GMutex lock;        /* the engine notes come from worker threads */
    GPtrArray *running; /* hosts being recorded */
    char *tag; /* "driftsync[RUN] " before each event line when stderr is
                  not a terminal (journald), else "" */
} mirror_cli;

static void on_note(const char *host, const char *message, void *payload)
{
    mirror_cli *m = payload;

    g_mutex_lock(&m->lock);
    ds_cli_info(m->cli, "%s%s: %s", m->tag, host, message);
    g_mutex_unlock(&m->lock);
}

static void on_record(const char *host, const ds_collect_result *r,
                      guint done, guint total, void *payload)
{
    mirror_cli *m = payload;
    g_autoptr(GString) line = g_string_new(NULL);

    if (!r)
        g_ptr_array_add(m->running, (gpointer)host);
    else
        g_ptr_array_remove(m->running, (gpointer)host);
    if (r && r->error)
        ds_cli_error_gerror(m->cli, r->error);
    if (!m->cli->progress)
        return;
    g_string_printf(line, "recording [%u/%u]", done, total);
    for (guint i = 0;
         i < m->running->len && line->len < PROGRESS_LINE_MAX; i++)
        g_string_append_printf(line, " %s",
                               (char *)g_ptr_array_index(m->running, i));
    ds_cli_progress(m->cli, line->str);
    if (done == total)
        ds_cli_progress(m->cli, NULL);
    fflush(stderr);
}

static void on_lab(const ds_mirror_lab *l, void *payload)
{
    mirror_cli *m = payload;
    ds_cli *cli = m->cli;
    const char *reset = ds_cli_colour(cli, "reset");

    if (cli->json)
        return;
    g_mutex_lock(&m->lock);
    switch (l->status) {
    case DS_MIRROR_SYNCED:
        ds_cli_printf(cli, "%s: %ssynced%s in %.1f s (%u step%s)\n", l->host,
                      ds_cli_colour(cli, "green"), reset, l->seconds, l->steps,
                      l->steps == 1 ? "" : "s");
        break;
    case DS_MIRROR_IN_SYNC:
        ds_cli_printf(cli, "%s: %sin sync%s\n", l->host,
                      ds_cli_colour(cli, "green"), reset);
        break;
    case DS_MIRROR_PLANNED:
        ds_cli_printf(cli,
                      "%s: would sync lab %s: %u step%s for %u change%s (dry "
                      "run)\n",
                      l->host, l->domain, l->steps, l->steps == 1 ? "" : "s",
                      l->changes, l->changes == 1 ? "" : "s");
        break;
    case DS_MIRROR_SKIPPED:
        ds_cli_printf(cli, "%s: skipped: %s\n", l->host, l->reason);
        break;
    case DS_MIRROR_KEPT:
        ds_cli_printf(cli,
                      "%s: %sfailed, lab kept%s: %s; revert it with `driftsync "
                      "snapshot revert %s %s`\n",
                      l->host, ds_cli_colour(cli, "red"), reset, l->reason,
                      l->host, l->snapshot ? l->snapshot : "SNAPSHOT");
        break;
    default:
        ds_cli_printf(cli, "%s: %s%s%s: %s\n", l->host,
                      ds_cli_colour(cli, l->status == DS_MIRROR_REVERTED
                                             ? "yellow"
                                             : "red"),
                      ds_mirror_status_name(l->status), reset,
                      l->reason ? l->reason : "unknown error");
        break;
    }
    fflush(stdout);
    g_mutex_unlock(&m->lock);
}

static bool parse_parallel(int *out, const char *s)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || *end || errno || v < 1 || v > MIRROR_PARALLEL_MAX)
        return false;
    *out = (int)v;
    return true;
}

/* The command line's checks: --parallel N, --metrics FILE; each failure
 * said on stderr. */
static bool usage_ok(ds_cli *cli, const char *parallel, int *out_parallel,
                     const char *metrics)
{
    if (parallel && !parse_parallel(out_parallel, parallel)) {
        g_autofree char *shown = g_strescape(parallel, NULL);

        ds_cli_error(cli, "mirror: --parallel: expected a positive integer, got '%s'",
                     shown);
        return false;
    }
    if (metrics && !*metrics) {
        ds_cli_error(cli, "mirror: --metrics: expected a file name");
        return false;
    }
    return true;
}

/* The HOSTs and --group NAMEs name configured hosts and groups: checked
 * before anything is opened or collected. */
static bool scope_ok(ds_cli *cli, const ds_config *cfg,
                     const ds_mirror_options *opts)
{
    g_autoptr(GPtrArray) chosen = NULL;
    g_autoptr(GError) err = NULL;

    for (gsize i = 0; opts->hosts[i]; i++)
        if (!ds_name_is_safe_host(opts->hosts[i])) {
            ds_cli_error(cli, "mirror: '%s' is not a host name",
                         opts->hosts[i]);
            return false;
        }
    if (ds_config_choose_hosts(&chosen, cfg, opts->hosts, opts->groups, false,
                               &err) < 0) {
        ds_cli_error(cli, "mirror: %s", err->message);
        return false;
    }
    return true;
}

static void print_summary(ds_cli *cli, const ds_mirror_report *r,
                          const char *path)
{
    guint failed = ds_mirror_count_failed(r);
    g_autoptr(GString) s = g_string_new(NULL);

    g_string_assign(s, "mirror");
    /* A run limited to groups or hosts says so (several runners' logs). */
    for (guint i = 0; i < r->groups->len; i++)
        g_string_append_printf(s, "%s%s", i ? ", " : " (group ",
                               (char *)r->groups->pdata[i]);
    for (guint i = 0; i < r->named->len; i++)
        g_string_append_printf(s, "%s%s",
                               i ? ", " : r->groups->len ? "; host " : " (host ",
                               (char *)r->named->pdata[i]);
    if (r->groups->len || r->named->len)
        g_string_append_c(s, ')');
    g_string_append_printf(s, ": %u host%s recorded", r->recorded->len,
                           r->recorded->len == 1 ? "" : "s");
    if (r->record_failed->len)
        g_string_append_printf(s, " (%u failed)", r->record_failed->len);
    if (r->dry_run)
        g_string_append_printf(s, ", %u would be synced",
                               ds_mirror_count(r, DS_MIRROR_PLANNED));
    else
        g_string_append_printf(s, ", %u synced",
                               ds_mirror_count(r, DS_MIRROR_SYNCED));
    g_string_append_printf(s, ", %u in sync, %u failed",
                           ds_mirror_count(r, DS_MIRROR_IN_SYNC), failed);
    if (ds_mirror_count(r, DS_MIRROR_SKIPPED))
        g_string_append_printf(s, ", %u skipped",
                               ds_mirror_count(r, DS_MIRROR_SKIPPED));
    if (path)
        g_string_append_printf(s, "; report in %s", path);
    else
        g_string_append(s, " (dry run: nothing recorded, no report)");
    (void)cli;
    ds_cli_printf(cli, "%s\n", s->str);
}

/* The library's lines, each tagged with the run when not on a terminal. */
static void on_log(ds_log_level level, const char *message, void *payload)
{
    mirror_cli *m = payload;

    if (level == DS_LOG_WARNING)
        ds_cli_error(m->cli, "%swarning: %s", m->tag, message);
    else if (level == DS_LOG_VERBOSE)
        ds_cli_verbose(m->cli, "%s%s", m->tag, message);
    else
        ds_cli_info(m->cli, "%s%s", m->tag, message);
}

/* The patch history after the run, for the summary, the webhook and the
 * metrics; a failure to read it is one warning. */
static void read_patches(ds_cli *cli, const ds_config *cfg, ds_store *st,
                         ds_mirror_report *rep)
{
    g_autoptr(GError) err = NULL;

    if (ds_patch_history(&rep->patches, st, NULL, 0, &err) < 0) {
        ds_cli_error(cli, "warning: the patch history: %s", err->message);
        return;
    }
    rep->patches_now = g_get_real_time() / G_USEC_PER_SEC;
    rep->patches_sla = cfg->patches_security_sla;
}

/* --metrics FILE: the run in Prometheus text format; a failure to write
 * it is one warning. */
static void write_metrics(ds_cli *cli, const char *file,
                          const ds_mirror_report *rep, int code, gint64 t0)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *text = NULL;
    double seconds;

    if (!file)
        return;
    seconds = rep ? rep->seconds
                  : (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
    text = ds_metrics_mirror_text(rep, code, seconds,
                                  g_get_real_time() / G_USEC_PER_SEC);
    if (ds_metrics_write(file, text, &err) < 0)
        ds_cli_error(cli, "warning: %s", err->message);
}

/* What `driftsync mirror --help` says above the options. */
static const char mirror_help[] =
    "The nightly job, in three phases:\n"
    "  1. record: collect every configured prod host ([store] parallel at "
    "a time)\n"
    "     (only the HOSTs named and the hosts of each --group NAME, when "
    "given)\n"
    "     and commit what changed in one commit;\n"
    "  2. compare: each host's prod manifest with its stored lab manifest "
    "(after\n"
    "     the [ignore] rules); labs that match are not touched;\n"
    "  3. sync: the labs that drifted, N at a time on each libvirt daemon "
    "(labs\n"
    "     on other daemons at the same time, one connection per daemon), "
    "each\n"
    "     behind a snapshot that is reverted on failure, then one commit "
    "for the\n"
    "     labs that synced; a daemon that cannot be reached fails only its "
    "labs.\n"
    "One line per lab as it finishes, a summary, and the run's JSON report "
    "in\n"
    "STATE/reports/mirror-RUN.json (and STATE/reports/latest.json).\n"
    "Then, when [notify] webhook is set, a JSON summary is POSTed to it (a "
    "failure\n"
    "is one warning and does not change the exit status), and with "
    "--metrics FILE\n"
    "the run is written in Prometheus text format for node_exporter.\n\n"
    "Exit status: 0 every lab matches its prod host; 1 some lab failed or "
    "was\n"
    "reverted, or some host was not recorded (the others are still done);\n"
    "2 error (bad usage or configuration, an unknown HOST or group, no "
    "store,\n"
    "nothing recorded).\n\n"
    "Several runners share a fleet by its groups ([host] groups = NAME): "
    "each\n"
    "runs `driftsync mirror --group NAME` on its own; the report says "
    "which hosts\n"
    "the run covered (\"scope\").";

static const ds_cmd_entry mirror_help_entry = {
    .name = "mirror",
    .args = "[--dry-run] [--keep-on-failure] [--parallel N] "
            "[--metrics FILE] [--group NAME]... [HOST...]",
    .summary = mirror_help,
};

static int exec_mirror(ds_cli *cli, int argc, char **argv)
{
    gboolean dry_run = FALSE, keep = FALSE;
    g_autofree char *parallel = NULL;
    g_autofree char *metrics = NULL;
    g_autofree char *run_id = NULL;
    g_auto(GStrv) groups = NULL;
    gint64 t0 = g_get_monotonic_time();
    GOptionEntry entries[] = {
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
         "collect prod and say which labs would be synced; commit, touch "
         "and write nothing",
         NULL},
        {"keep-on-failure", 'k', 0, G_OPTION_ARG_NONE, &keep,
         "leave a lab whose sync failed as it is (say which snapshot to "
         "revert to)",
         NULL},
        {"parallel", 'j', 0, G_OPTION_ARG_STRING, &parallel,
         "sync at most N labs at a time on each libvirt daemon (default: "
         "[lab] parallel, 2)",
         "N"},
        {"group", 'g', 0, G_OPTION_ARG_STRING_ARRAY, &groups,
         "only the hosts of group NAME ([host] groups = NAME); repeat it "
         "for several groups",
         "NAME"},
        {"metrics", 0, 0, G_OPTION_ARG_FILENAME, &metrics,
         "write the run in Prometheus text format to FILE (atomically; "
         "for node_exporter's textfile collector)",
         "FILE"},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    g_autoptr(ds_config) cfg = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_mirror_report) rep = NULL;
    g_autofree char *path = NULL;
    mirror_cli m = {.cli = cli, .tag = NULL};
    ds_mirror_options opts = {0};
    int code = DS_EXIT_OK;
    int rc;

    if (!ds_cli_parse(cli, &mirror_help_entry, entries, &argc, &argv, &code))
        return code;
    if (dry_run) /* a dry run writes nothing */
        g_clear_pointer(&metrics, g_free);
    if (!usage_ok(cli, parallel, &opts.parallel, metrics))
        return DS_EXIT_ERROR;
    if (!(cfg = ds_cli_config(cli)))
        return DS_EXIT_ERROR;
    opts.hosts = (const char *const *)argv + 1;
    opts.groups = (const char *const *)groups;
    if (!scope_ok(cli, cfg, &opts))
        return DS_EXIT_ERROR;
    if ((code = ds_cli_open_store(&st, cli, cfg)) != DS_EXIT_OK) {
        write_metrics(cli, metrics, NULL, code, t0);
        return code;
    }
    run_id = ds_run_id_new();
    m.tag = isatty(STDERR_FILENO) ? g_strdup("")
                                  : g_strdup_printf("%s[%s] ", cli->prog,
                                                    run_id);
    opts.run_id = run_id;
    opts.dry_run = dry_run;
    opts.keep_on_failure = keep;
    opts.cancel = &ds_signals_caught;
    opts.note = on_note;
    opts.record_progress = on_record;
    opts.lab_done = on_lab;
    opts.payload = &m;
    g_mutex_init(&m.lock);
    m.running = g_ptr_array_new();
    if (!dry_run) {
        ds_signals_catch("\ndriftsync: interrupted: reverting the labs being synced after their current step (a third signal stops at once)\n");
        ds_signals_set_hint("driftsync: stopped at once: the next sync or mirror reverts the labs that were being synced");
    }
    rc = ds_mirror_run(&rep, cfg, st, &opts, &err);
    g_ptr_array_unref(m.running);
    g_mutex_clear(&m.lock);
    if (rc < 0) {
        g_free(m.tag);
        ds_cli_error_gerror(cli, err);
        write_metrics(cli, metrics, NULL, DS_EXIT_ERROR, t0);
        return DS_EXIT_ERROR;
    }
    code = ds_mirror_exit_code(rep);
    if (!dry_run)
        read_patches(cli, cfg, st, rep);
    for (guint i = 0; !cli->json && rep->cache_warnings &&
                      i < rep->cache_warnings->len;
         i++)
        ds_cli_error(cli, "warning: %s",
                     (const char *)rep->cache_warnings->pdata[i]);
    if (!dry_run) {
        ds_log log = {.fn = on_log, .payload = &m};

        if (ds_publish_mirror(&path, rep, cfg, &ds_signals_caught, &log,
                              &err) < 0) {
            ds_cli_error_gerror(cli, err);
            code = DS_EXIT_ERROR;
        }
    }
    g_free(m.tag);
    write_metrics(cli, metrics, rep, code, t0);
    if (cli->json) {
        g_autofree char *text = ds_mirror_report_dumps(rep);

        fputs(text ? text : "null\n", stdout);
    } else {
        print_summary(cli, rep, path);
    }
    if (code == DS_EXIT_ERROR && !rep->recorded->len)
        ds_cli_error(cli, "mirror: no host could be recorded; no lab was synced");
    /* A hypervisor that could not be reached, once (its labs' lines say
     * it too); the other daemons' labs were synced. */
    for (guint i = 0; i < rep->daemons->len; i++) {
        const ds_mirror_daemon *d = rep->daemons->pdata[i];

        if (d->error)
            ds_cli_error(cli, "mirror: libvirt daemon not reached, its %u lab%s not synced: %s",
                         d->labs, d->labs == 1 ? "" : "s", d->error);
    }
    return code;
}

const ds_cmd_entry ds_cmd_mirror_entry = {
    .name = "mirror",
    .args = "[--dry-run] [--keep-on-failure] [--parallel N] "
            "[--metrics FILE] [--group NAME]... [HOST...]",
    .summary = "The nightly job: record every prod host, sync the labs that "
               "drifted, write a report.",
    .exec = exec_mirror,
};
