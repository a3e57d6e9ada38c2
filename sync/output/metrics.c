/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/output/metrics.c: a mirror run as Prometheus text (exposition format
 * 0.0.4): when it ran, how long, how it ended, each lab's status and the
 * drift it had per category before the sync; written atomically. */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "manifests/util/file.h"
#include "manifests/ignore.h"
#include "manifests/patch-history.h"
#include "sync/output/metrics.h"

char *ds_metrics_escape(const char *value)
{
    GString *s = g_string_new(NULL);

    for (const char *p = value ? value : ""; *p; p++) {
        if (*p == '\\')
            g_string_append(s, "\\\\");
        else if (*p == '"')
            g_string_append(s, "\\\"");
        else if (*p == '\n')
            g_string_append(s, "\\n");
        else
            g_string_append_c(s, *p);
    }
    return g_string_free(s, FALSE);
}

static void head(GString *s, const char *name, const char *type,
                 const char *help)
{
    g_string_append_printf(s, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
                           type);
}

static void sample(GString *s, const char *name, double value,
                   const char *labels)
{
    char num[G_ASCII_DTOSTR_BUF_SIZE];

    g_ascii_formatd(num, sizeof num, "%.17g", value);
    if (labels && *labels)
        g_string_append_printf(s, "%s{%s} %s\n", name, labels, num);
    else
        g_string_append_printf(s, "%s %s\n", name, num);
}

static void lab_samples(GString *s, const ds_mirror_report *r)
{
    head(s, "driftsync_lab_status", "gauge",
         "The lab's status in the last mirror run (1 for its status).");
    for (guint i = 0; i < r->labs->len; i++) {
        const ds_mirror_lab *l = r->labs->pdata[i];
        g_autofree char *h = ds_metrics_escape(l->host);
        g_autofree char *d = ds_metrics_escape(l->domain ? l->domain : "");
        g_autofree char *labels =
            g_strdup_printf("host=\"%s\",domain=\"%s\",status=\"%s\"", h, d,
                            ds_mirror_status_name(l->status));

        sample(s, "driftsync_lab_status", 1, labels);
    }
    head(s, "driftsync_lab_drift", "gauge",
         "Changes between prod and the lab before the sync, by category.");
    for (guint i = 0; i < r->labs->len; i++) {
        const ds_mirror_lab *l = r->labs->pdata[i];
        g_autofree char *h = ds_metrics_escape(l->host);

        for (int c = 0; c < DS_CAT_COUNT; c++) {
            g_autofree char *labels =
                g_strdup_printf("host=\"%s\",category=\"%s\"", h,
                                ds_category_name((ds_category)c));

            sample(s, "driftsync_lab_drift", l->drift[c], labels);
        }
    }
    head(s, "driftsync_lab_sync_duration_seconds", "gauge",
         "Wall time of the lab's sync in the last mirror run.");
    for (guint i = 0; i < r->labs->len; i++) {
        const ds_mirror_lab *l = r->labs->pdata[i];
        g_autofree char *h = ds_metrics_escape(l->host);
        g_autofree char *labels = g_strdup_printf("host=\"%s\"", h);

        sample(s, "driftsync_lab_sync_duration_seconds", l->seconds, labels);
    }
    head(s, "driftsync_mirror_labs", "gauge",
         "Labs per status in the last mirror run.");
    for (int st = 0; st < DS_MIRROR_STATUS_COUNT; st++) {
        g_autofree char *labels =
            g_strdup_printf("status=\"%s\"", ds_mirror_status_name(st));

        sample(s, "driftsync_mirror_labs", ds_mirror_count(r, st), labels);
    }
    head(s, "driftsync_host_recorded", "gauge",
         "1 when the prod host was recorded in the last mirror run, 0 when "
         "recording it failed.");
    for (guint i = 0; i < r->recorded->len; i++) {
        g_autofree char *h = ds_metrics_escape(r->recorded->pdata[i]);
        g_autofree char *labels = g_strdup_printf("host=\"%s\"", h);

        sample(s, "driftsync_host_recorded", 1, labels);
    }
    for (guint i = 0; i < r->record_failed->len; i++) {
        const ds_mirror_record_failure *f = r->record_failed->pdata[i];
        g_autofree char *h = ds_metrics_escape(f->host);
        g_autofree char *labels = g_strdup_printf("host=\"%s\"", h);

        sample(s, "driftsync_host_recorded", 0, labels);
    }
}

/* The patch cycle, per recorded host: pending updates by kind, the oldest
 * one's age, the security ones past [patches] security-sla. */
static void patch_samples(GString *s, const ds_mirror_report *r)
{
    static const char *const names[] = {
        "driftsync_patches_pending", "driftsync_patches_oldest_pending_seconds",
        "driftsync_patches_overdue"};
    static const char *const help[] = {
        "Updates pending on the prod host (apt's or dnf's candidates), by kind "
        "(security, other).",
        "Age of the host's oldest pending update (kind security, or all), "
        "from the store's history (0 when none is pending).",
        "Security updates pending longer than [patches] security-sla."};

    for (guint m = 0; m < G_N_ELEMENTS(names); m++) {
        head(s, names[m], "gauge", help[m]);
        for (guint i = 0; i < r->recorded->len; i++) {
            g_autofree char *h = ds_metrics_escape(r->recorded->pdata[i]);
            g_autofree char *l1 = g_strdup_printf(
                "host=\"%s\",kind=\"security\"", h);
            g_autofree char *l2 = g_strdup_printf(
                "host=\"%s\",kind=\"other\"", h);
            g_autofree char *l0 = g_strdup_printf("host=\"%s\"", h);
            ds_patch_summary p;

            ds_patch_history_summary(&p, r->patches, r->recorded->pdata[i],
                                     r->patches_now, r->patches_sla);
            if (m == 0) {
                sample(s, names[m], p.security, l1);
                sample(s, names[m], p.other, l2);
            } else if (m == 1) {
                g_autofree char *la = g_strdup_printf(
                    "host=\"%s\",kind=\"all\"", h);

                sample(s, names[m], (double)p.oldest_security, l1);
                sample(s, names[m], (double)p.oldest, la);
            } else {
                sample(s, names[m], p.overdue, l0);
            }
        }
    }
}

char *ds_metrics_mirror_text(const ds_mirror_report *r, int exit_code,
                             double seconds, gint64 now)
{
    GString *s = g_string_new(NULL);

    head(s, "driftsync_mirror_last_run_timestamp_seconds", "gauge",
         "When the last mirror run finished (seconds since the epoch).");
    sample(s, "driftsync_mirror_last_run_timestamp_seconds", (double)now, NULL);
    head(s, "driftsync_mirror_duration_seconds", "gauge",
         "Wall time of the last mirror run.");
    sample(s, "driftsync_mirror_duration_seconds", seconds, NULL);
    head(s, "driftsync_mirror_exit_code", "gauge",
         "Exit status of the last mirror run (0 all labs match, 1 some "
         "failed, 2 error).");
    sample(s, "driftsync_mirror_exit_code", exit_code, NULL);
    head(s, "driftsync_mirror_last_run_success", "gauge",
         "1 when the last mirror run left every lab matching prod.");
    sample(s, "driftsync_mirror_last_run_success", exit_code == 0, NULL);
    if (r)
        lab_samples(s, r);
    if (r && r->patches)
        patch_samples(s, r);
    return g_string_free(s, FALSE);
}

int ds_metrics_write(const char *path, const char *text, GError **err)
{
    /* node_exporter's collector must read it: 0644 */
    int rc = ds_file_write_atomic(path, text, strlen(text), 0644, 0, err);

    if (rc < 0)
        g_prefix_error(err, "--metrics: ");
    return rc;
}
