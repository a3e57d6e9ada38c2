/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-notify.c: the pure parts of notify and metrics: the
 * webhook URL as messages show it, label escaping, the metrics text of a
 * report built by hand, the audit payload of an audit document, the
 * [notify] keys of the configuration. */
#include <config.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>

#include "manifests/patch-history.h"
#include "manifests/util/error.h"
#include "sync/config/config-file.h"
#include "sync/output/metrics.h"
#include "sync/output/notify.h"
#include "tests/unit/testutil.h"

static void test_redact(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"https://chat.example.com/hooks/abc", "https://chat.example.com/..."},
        {"https://u:p@chat.example.com:8443/h?t=1#f",
         "https://chat.example.com:8443/..."},
        {"http://a@b@127.0.0.1:9/x", "http://127.0.0.1:9/..."},
        {"http://host?token=x", "http://host/..."},
        {"http://[::1]:80/secret", "http://[::1]:80/..."},
        {"no-scheme/secret", "(a webhook URL)"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *r = ds_notify_redact_url(cases[i].in);

        g_assert_cmpstr(r, ==, cases[i].out);
    }
}

static void test_escape(void)
{
    g_autofree char *a = ds_metrics_escape("a\"b\\c\nd");
    g_autofree char *b = ds_metrics_escape("plain");
    g_autofree char *c = ds_metrics_escape(NULL);

    g_assert_cmpstr(a, ==, "a\\\"b\\\\c\\nd");
    g_assert_cmpstr(b, ==, "plain");
    g_assert_cmpstr(c, ==, "");
}

static ds_mirror_report *report_new(void)
{
    ds_mirror_report *r = ds_mirror_report_new();
    ds_mirror_lab *l = g_new0(ds_mirror_lab, 1);

    r->run_id = g_strdup("20261127T020000Z-abcd");
    g_ptr_array_add(r->recorded, g_strdup("web01"));
    l->host = g_strdup("web01");
    l->domain = g_strdup("dom\"ain");
    l->status = DS_MIRROR_SYNCED;
    l->seconds = 1.5;
    l->drift[DS_CAT_PACKAGES] = 3;
    l->drift[DS_CAT_FILES] = 1;
    g_ptr_array_add(r->labs, l);
    return r;
}

static void test_metrics_text(void)
{
    g_autoptr(ds_mirror_report) r = report_new();
    g_autofree char *t = ds_metrics_mirror_text(r, 0, 2.25, 1700000000);
    g_autofree char *none = ds_metrics_mirror_text(NULL, 2, 0.5, 1700000000);

    g_assert_nonnull(
        strstr(t, "# HELP driftsync_mirror_last_run_timestamp_seconds "));
    g_assert_nonnull(strstr(
        t, "\ndriftsync_mirror_last_run_timestamp_seconds 1700000000\n"));
    g_assert_nonnull(strstr(t, "\ndriftsync_mirror_duration_seconds 2.25\n"));
    g_assert_nonnull(strstr(t, "\ndriftsync_mirror_last_run_success 1\n"));
    g_assert_nonnull(strstr(t, "\ndriftsync_lab_status{host=\"web01\","
                               "domain=\"dom\\\"ain\",status=\"synced\"} 1\n"));
    g_assert_nonnull(strstr(t, "\ndriftsync_lab_drift{host=\"web01\","
                               "category=\"packages\"} 3\n"));
    g_assert_nonnull(strstr(t, "\ndriftsync_lab_drift{host=\"web01\","
                               "category=\"kernel\"} 0\n"));
    g_assert_nonnull(
        strstr(t, "\ndriftsync_mirror_labs{status=\"synced\"} 1\n"));
    g_assert_null(strstr(none, "driftsync_lab_status"));
    g_assert_nonnull(strstr(none, "\ndriftsync_mirror_exit_code 2\n"));
}

static void test_metrics_write(void)
{
    g_autofree char *dir = ds_test_tmpdir("ds-metrics-XXXXXX");
    g_autofree char *path = g_build_filename(dir, "m.prom", NULL);
    g_autofree char *bad = g_build_filename(dir, "no", "m.prom", NULL);
    g_autofree char *back = NULL;
    g_autoptr(GError) err = NULL;
    GStatBuf st;

    g_assert_cmpint(ds_metrics_write(path, "a 1\n", &err), ==, 0);
    g_assert_cmpint(ds_metrics_write(path, "b 2\n", &err), ==, 0);
    g_assert_true(g_file_get_contents(path, &back, NULL, NULL));
    g_assert_cmpstr(back, ==, "b 2\n");
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0644);
    g_assert_cmpint(ds_metrics_write(bad, "x\n", &err), <, 0);
    g_assert_nonnull(strstr(err->message, "--metrics: cannot create"));
    g_unlink(path);
    g_rmdir(dir);
}

static void test_config_keys(void)
{
    g_autofree char *dir = ds_test_tmpdir("ds-notify-XXXXXX");
    g_autofree char *f = g_build_filename(dir, "c.conf", NULL);
    g_autoptr(ds_config) cfg = NULL;
    g_autoptr(ds_config) def = ds_config_new_default();
    g_autoptr(GError) err = NULL;
    ds_notify_options o;

    g_assert_true(g_file_set_contents(
        f,
        "[notify]\nwebhook = https://h.example/x\nca-file = /tmp/ca.pem\n"
        "timeout = 4\nattempts = 5\nretry-delay = 0\naudit = yes\n",
        -1, NULL));
    g_assert_cmpint(ds_config_load(&cfg, f, &err), ==, 0);
    g_assert_true(cfg->notify_audit);
    g_assert_false(def->notify_audit);
    ds_notify_options_from_config(&o, cfg);
    g_assert_cmpstr(o.url, ==, "https://h.example/x");
    g_assert_cmpstr(o.ca_file, ==, "/tmp/ca.pem");
    g_assert_cmpint(o.timeout, ==, 4);
    g_assert_cmpint(o.attempts, ==, 5);
    g_assert_cmpint(o.retry_delay, ==, 0);
    ds_notify_options_from_config(&o, def);
    g_assert_null(o.url);
    g_assert_cmpint(o.timeout, ==, 10);
    g_assert_cmpint(o.attempts, ==, 3);
    g_assert_cmpint(o.retry_delay, ==, 1);
    g_clear_pointer(&cfg, ds_config_free);
    g_assert_true(g_file_set_contents(f, "[notify]\nattempts = 0\n", -1, NULL));
    g_assert_cmpint(ds_config_load(&cfg, f, &err), <, 0);
    g_assert_nonnull(strstr(err->message, "attempts"));
    g_clear_error(&err);
    g_assert_true(g_file_set_contents(f, "[notify]\nretries = 2\n", -1, NULL));
    g_assert_cmpint(ds_config_load(&cfg, f, &err), <, 0);
    g_assert_nonnull(strstr(err->message, "retries"));
    g_clear_error(&err);
    g_assert_true(g_file_set_contents(f, "[notify]\naudit = off\n", -1, NULL));
    g_assert_cmpint(ds_config_load(&cfg, f, &err), ==, 0);
    g_assert_false(cfg->notify_audit);
    g_clear_pointer(&cfg, ds_config_free);
    g_assert_true(
        g_file_set_contents(f, "[notify]\naudit = maybe\n", -1, NULL));
    g_assert_cmpint(ds_config_load(&cfg, f, &err), <, 0);
    g_assert_nonnull(strstr(err->message, "[notify] audit: expected true"));
    g_unlink(f);
    g_rmdir(dir);
}

/* jq-like check: the payload's member `key` dumps as `want`. */
static void assert_member(json_t *doc, const char *key, const char *want)
{
    g_autofree char *got =
        json_dumps(json_object_get(doc, key), JSON_COMPACT | JSON_ENCODE_ANY);

    g_assert_cmpstr(got, ==, want);
}

static void test_audit_payload(void)
{
    json_error_t jerr;
    json_t *doc = json_loads(
        "{\"schema\": \"driftsync/audit/v1\", \"run_id\": \"R1\","
        " \"generated\": \"2026-01-02T03:04:05Z\", \"source\": \"store\","
        " \"hosts\": ["
        "  {\"host\": \"web1\", \"role\": \"lab\", \"findings\": ["
        "    {\"kind\": \"reboot\", \"detail\": \"d\"},"
        "    {\"kind\": \"missing\", \"detail\": \"d\"},"
        "    {\"kind\": \"missing\", \"detail\": \"d\"}]},"
        "  {\"host\": \"web2\", \"role\": \"lab\", \"findings\": []},"
        "  {\"host\": \"db1\", \"role\": \"lab\", \"findings\": ["
        "    {\"kind\": \"drift\", \"detail\": \"d\"}],"
        "   \"error\": \"db1: cannot read /proc\"},"
        "  {\"host\": \"db2\", \"role\": \"lab\", \"findings\": [],"
        "   \"error\": \"agent not answering\"}]}",
        0, &jerr);
    json_t *p, *empty;
    GString *many = g_string_new("{\"hosts\": [");

    g_assert_nonnull(doc);
    p = ds_notify_audit_payload(doc, "lab", 2);
    g_assert_nonnull(p);
    assert_member(p, "text",
                  "\"driftsync audit (lab): 4 hosts, 1 with findings (web1: "
                  "2 missing, 1 reboot), 2 errors (db1: cannot read /proc; "
                  "db2: agent not answering)\"");
    assert_member(p, "kind", "\"audit\"");
    assert_member(p, "role", "\"lab\"");
    assert_member(p, "run_id", "\"R1\"");
    assert_member(p, "source", "\"store\"");
    assert_member(p, "exit", "2");
    assert_member(p, "summary",
                  "{\"hosts\":4,\"clean\":1,\"with_findings\":1,\"errors\":2}");
    assert_member(p, "hosts",
                  "[{\"host\":\"web1\",\"role\":\"lab\",\"findings\":3,"
                  "\"kinds\":{\"reboot\":1,\"missing\":2}},"
                  "{\"host\":\"web2\",\"role\":\"lab\",\"findings\":0,"
                  "\"kinds\":{}},"
                  "{\"host\":\"db1\",\"role\":\"lab\",\"findings\":1,"
                  "\"kinds\":{\"drift\":1},"
                  "\"error\":\"db1: cannot read /proc\"},"
                  "{\"host\":\"db2\",\"role\":\"lab\",\"findings\":0,"
                  "\"kinds\":{},\"error\":\"agent not answering\"}]");
    json_decref(p);

    /* No hosts array: no payload. */
    empty = json_object();
    g_assert_null(ds_notify_audit_payload(empty, "prod", 2));
    json_decref(empty);

    /* Many hosts with findings: `text` names ten and counts the rest. */
    for (int i = 0; i < 12; i++)
        g_string_append_printf(many,
                               "%s{\"host\": \"h%02d\", \"findings\": "
                               "[{\"kind\": \"restart\"}]}",
                               i ? "," : "", i);
    g_string_append(many, "]}");
    json_decref(doc);
    doc = json_loads(many->str, 0, &jerr);
    g_string_free(many, TRUE);
    g_assert_nonnull(doc);
    p = ds_notify_audit_payload(doc, "prod", 1);
    g_assert_nonnull(p);
    assert_member(p, "text",
                  "\"driftsync audit: 12 hosts, 12 with findings (h00: 1 "
                  "restart; h01: 1 restart; h02: 1 restart; h03: 1 restart; "
                  "h04: 1 restart; h05: 1 restart; h06: 1 restart; h07: 1 "
                  "restart; h08: 1 restart; h09: 1 restart; and 2 more), 0 "
                  "errors\"");
    assert_member(p, "run_id", "null");
    json_decref(p);
    json_decref(doc);
}

static ds_patch_event *event(const char *name, bool security, gint64 since)
{
    ds_patch_event *e = g_new0(ds_patch_event, 1);

    e->host = g_strdup("web01");
    e->name = g_strdup(name);
    e->version = g_strdup("2.0-1");
    e->security = security;
    e->pending_since = since;
    return e;
}

/* The patch gauges and the webhook's overdue line, from a report whose
 * patch history has one security update 10 days old (SLA 7 days), one
 * ordinary update an hour old and one installed. */
static void test_patches(void)
{
    g_autoptr(ds_mirror_report) r = report_new();
    const gint64 now = 1700000000;
    g_autofree char *t = NULL;
    ds_patch_event *done;
    json_t *p;

    r->patches =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_patch_event_free);
    g_ptr_array_add(r->patches, event("openssl", true, now - 10 * 86400));
    g_ptr_array_add(r->patches, event("curl", false, now - 3600));
    done = event("libc6", true, now - 20 * 86400);
    done->installed = now - 86400;
    g_ptr_array_add(r->patches, done);
    r->patches_now = now;
    r->patches_sla = 7 * 86400;
    t = ds_metrics_mirror_text(r, 0, 1, now);
    g_assert_nonnull(strstr(
        t, "\ndriftsync_patches_pending{host=\"web01\",kind=\"security\"} 1\n"));
    g_assert_nonnull(strstr(
        t, "\ndriftsync_patches_pending{host=\"web01\",kind=\"other\"} 1\n"));
    g_assert_nonnull(strstr(t, "\ndriftsync_patches_oldest_pending_seconds{"
                               "host=\"web01\",kind=\"security\"} 864000\n"));
    g_assert_nonnull(strstr(t, "\ndriftsync_patches_overdue{host=\"web01\"} "
                               "1\n"));
    p = ds_notify_mirror_payload(r);
    g_assert_nonnull(strstr(json_string_value(json_object_get(p, "text")),
                            ", 1 security patch overdue (web01: openssl "
                            "10d 0h) [run "));
    json_decref(p);
    r->patches_sla = 0; /* no SLA: nothing is overdue */
    p = ds_notify_mirror_payload(r);
    g_assert_null(strstr(json_string_value(json_object_get(p, "text")),
                         "overdue"));
    json_decref(p);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/notify/redact", test_redact);
    g_test_add_func("/metrics/escape", test_escape);
    g_test_add_func("/metrics/text", test_metrics_text);
    g_test_add_func("/metrics/write", test_metrics_write);
    g_test_add_func("/notify/config", test_config_keys);
    g_test_add_func("/notify/audit-payload", test_audit_payload);
    g_test_add_func("/notify/patches", test_patches);
    return g_test_run();
}
