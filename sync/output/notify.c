/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/output/notify.c: POST a mirror (or audit) run's JSON summary to the
 * [notify] webhook with libcurl: TLS verified (optionally against [notify]
 * ca-file), a timeout per try, a few tries with a doubling delay, only 2xx
 * counts; messages show the webhook's scheme and host only. */
#include <config.h>

#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "manifests/util/error.h"
#include "sync/jobs/audit.h"
#include "sync/output/notify.h"

#define NOTIFY_REASON_MAX 200 /* characters of a reason in `text` */
#define NOTIFY_HOSTS_MAX 10   /* hosts named in one list of `text` */

void ds_notify_options_from_config(ds_notify_options *out, const ds_config *cfg)
{
    memset(out, 0, sizeof *out);
    out->url = cfg->notify_webhook;
    out->ca_file = cfg->notify_ca_file;
    out->timeout = cfg->notify_timeout > 0 ? cfg->notify_timeout : 10;
    out->attempts = cfg->notify_attempts > 0 ? cfg->notify_attempts : 3;
    out->retry_delay =
        cfg->notify_retry_delay >= 0 ? cfg->notify_retry_delay : 1;
}

void ds_notify_result_clear(ds_notify_result *r)
{
    if (!r)
        return;
    g_free(r->error);
    memset(r, 0, sizeof *r);
}

char *ds_notify_redact_url(const char *url)
{
    const char *p, *end, *at;

    if (!url)
        return g_strdup("(none)");
    p = strstr(url, "://");
    if (!p)
        return g_strdup("(a webhook URL)");
    p += 3;
    end = p + strcspn(p, "/?#");
    /* user:password@ goes; the last '@' ends the user info. */
    for (at = end; at > p && at[-1] != '@'; at--)
        ;
    if (at > p)
        p = at;
    return g_strdup_printf("%.*s%.*s/...", (int)(strstr(url, "://") + 3 - url),
                           url, (int)(end - p), p);
}

static size_t discard(char *ptr, size_t size, size_t n, void *payload)
{
    (void)ptr;
    (void)payload;
    return size * n;
}

/* One try: 0 and *status on an HTTP answer, -1 and *why otherwise. */
static int post_once(long *status, char **why, const ds_notify_options *o,
                     const char *body)
{
    CURL *c = curl_easy_init();
    struct curl_slist *headers = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    CURLcode rc;

    *status = 0;
    if (!c) {
        *why = g_strdup("cannot start libcurl");
        return -1;
    }
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, o->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (o->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)o->timeout * 1000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)o->timeout * 1000L);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
    rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    else
        /* curl's messages may quote the URL: name the error only. */
        *why =
            g_strdup(rc == CURLE_OPERATION_TIMEDOUT ? "timed out"
                                                    : curl_easy_strerror(rc));
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? 0 : -1;
}

static bool cancelled(const ds_notify_options *o)
{
    return o->cancel && *o->cancel;
}

int ds_notify_post(ds_notify_result *out, const ds_notify_options *opts,
                   const char *body, GError **err)
{
    g_autofree char *shown = ds_notify_redact_url(opts->url);
    g_autofree char *why = NULL;
    int attempts = opts->attempts > 0 ? opts->attempts : 1;
    gulong delay = opts->retry_delay > 0 ? (gulong)opts->retry_delay : 0;

    memset(out, 0, sizeof *out);
    if (!opts->url || !(g_str_has_prefix(opts->url, "https://") ||
                        g_str_has_prefix(opts->url, "http://"))) {
        out->error = g_strdup("the webhook is not an http(s):// URL");
        return ds_error_set(err, DS_EINVALID, "webhook %s: %s", shown,
                            out->error);
    }
    for (int i = 0; i < attempts && !cancelled(opts); i++) {
        long status = 0;

        if (i > 0 && delay) {
            /* Sleep in short steps so that a signal stops the wait. */
            for (gulong ms = 0; ms < delay * 1000 && !cancelled(opts);
                 ms += 100)
                g_usleep(100 * 1000);
            delay *= 2;
            if (cancelled(opts))
                break;
        }
        out->attempts++;
        g_clear_pointer(&why, g_free);
        if (post_once(&status, &why, opts, body) == 0) {
            out->status = status;
            if (status >= 200 && status < 300) {
                out->sent = true;
                return 0;
            }
            why = g_strdup_printf("HTTP status %ld", status);
        }
    }
    if (!why)
        why = g_strdup("interrupted");
    out->error = g_strdup_printf("%s (after %d attempt%s)", why, out->attempts,
                                 out->attempts == 1 ? "" : "s");
    return ds_error_set(err, DS_EGENERIC, "webhook %s: not notified: %s", shown,
                        out->error);
}

static void append_reason(GString *s, const char *host, const char *reason)
{
    g_autofree char *r = g_strdup(reason ? reason : "unknown error");

    if (g_utf8_strlen(r, -1) > NOTIFY_REASON_MAX) {
        *g_utf8_offset_to_pointer(r, NOTIFY_REASON_MAX) = '\0';
        g_string_append_printf(s, "%s: %s...", host, r);
    } else {
        g_string_append_printf(s, "%s: %s", host, r);
    }
}

static bool lab_failed(const ds_mirror_lab *l)
{
    return l->status == DS_MIRROR_FAILED || l->status == DS_MIRROR_REVERTED ||
           l->status == DS_MIRROR_KEPT;
}

static char *mirror_text(const ds_mirror_report *r)
{
    GString *s = g_string_new("driftsync mirror: ");
    guint failed = ds_mirror_count_failed(r);
    bool first = true;

    if (r->dry_run)
        g_string_append_printf(s, "%u would be synced",
                               ds_mirror_count(r, DS_MIRROR_PLANNED));
    else
        g_string_append_printf(s, "%u synced",
                               ds_mirror_count(r, DS_MIRROR_SYNCED));
    g_string_append_printf(s, ", %u in sync, %u failed",
                           ds_mirror_count(r, DS_MIRROR_IN_SYNC), failed);
    for (guint i = 0; i < r->labs->len; i++) {
        const ds_mirror_lab *l = r->labs->pdata[i];

        if (!lab_failed(l))
            continue;
        g_string_append(s, first ? " (" : "; ");
        append_reason(s, l->host, l->reason);
        first = false;
    }
    if (!first)
        g_string_append_c(s, ')');
    if (ds_mirror_count(r, DS_MIRROR_SKIPPED))
        g_string_append_printf(s, ", %u skipped",
                               ds_mirror_count(r, DS_MIRROR_SKIPPED));
    if (r->record_failed->len) {
        g_string_append_printf(s, ", %u not recorded (", r->record_failed->len);
        for (guint i = 0; i < r->record_failed->len; i++) {
            const ds_mirror_record_failure *f = r->record_failed->pdata[i];

            if (i)
                g_string_append(s, "; ");
            append_reason(s, f->host, f->reason);
        }
        g_string_append_c(s, ')');
    }
    g_string_append_printf(s, " [run %s]", r->run_id);
    return g_string_free(s, FALSE);
}

json_t *ds_notify_mirror_payload(const ds_mirror_report *r)
{
    json_t *full = ds_mirror_report_json(r);
    json_t *labs = json_array();
    json_t *doc;
    g_autofree char *text = mirror_text(r);

    for (guint i = 0; i < r->labs->len; i++) {
        const ds_mirror_lab *l = r->labs->pdata[i];

        json_array_append_new(
            labs,
            json_pack("{s:s, s:o, s:s, s:o}", "host", l->host, "domain",
                      l->domain ? json_string(l->domain) : json_null(),
                      "status", ds_mirror_status_name(l->status), "reason",
                      l->reason ? json_string(l->reason) : json_null()));
    }
    doc = json_pack("{s:s, s:s, s:s, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, "
                    "s:o}",
                    "text", text, "format", "driftsync/notify/v1", "run_id",
                    r->run_id, "started", json_object_get(full, "started"),
                    "finished", json_object_get(full, "finished"), "duration_s",
                    json_object_get(full, "duration_s"), "dry_run",
                    json_object_get(full, "dry_run"), "summary",
                    json_object_get(full, "summary"), "exit",
                    json_object_get(full, "exit"), "labs", labs);
    if (doc)
        json_object_set(
            doc, "record_failed",
            json_object_get(json_object_get(full, "recorded"), "failed"));
    json_decref(full);
    return doc;
}

int ds_notify_post_json(ds_notify_result *out, const ds_notify_options *opts,
                        const json_t *payload, GError **err)
{
    g_autofree char *shown = ds_notify_redact_url(opts->url);
    char *body = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
    int rc;

    if (!body) {
        memset(out, 0, sizeof *out);
        out->error = g_strdup("the notification could not be serialised");
        return ds_error_set(err, DS_EGENERIC, "webhook %s: %s", shown,
                            out->error);
    }
    rc = ds_notify_post(out, opts, body, err);
    free(body);
    return rc;
}

/* "2 missing, 1 reboot": a host's findings by kind, in the audit's order
 * of kinds (any other kind after them). */
static void append_kinds(GString *s, json_t *kinds)
{
    const char *name;
    json_t *n;
    bool first = true;

    for (int k = DS_AUDIT_MISSING; k <= DS_AUDIT_DRIFT; k++) {
        name = ds_audit_kind_name((ds_audit_kind)k);
        if (!(n = json_object_get(kinds, name)))
            continue;
        g_string_append_printf(s, "%s%" JSON_INTEGER_FORMAT " %s",
                               first ? "" : ", ", json_integer_value(n), name);
        first = false;
    }
    json_object_foreach(kinds, name, n)
    {
        bool known = false;

        for (int k = DS_AUDIT_MISSING; k <= DS_AUDIT_DRIFT && !known; k++)
            known = !strcmp(name, ds_audit_kind_name((ds_audit_kind)k));
        if (known)
            continue;
        g_string_append_printf(s, "%s%" JSON_INTEGER_FORMAT " %s",
                               first ? "" : ", ", json_integer_value(n), name);
        first = false;
    }
}

/* One list of `text`: " (a; b; ...; and N more)", or nothing. */
static void append_list(GString *s, GPtrArray *items)
{
    guint shown = MIN(items->len, NOTIFY_HOSTS_MAX);

    if (!items->len)
        return;
    g_string_append(s, " (");
    for (guint i = 0; i < shown; i++)
        g_string_append_printf(s, "%s%s", i ? "; " : "",
                               (const char *)items->pdata[i]);
    if (items->len > shown)
        g_string_append_printf(s, "; and %u more", items->len - shown);
    g_string_append_c(s, ')');
}

json_t *ds_notify_audit_payload(const json_t *audit, const char *role,
                                int exit_code)
{
    static const char *const from_audit[] = {"run_id", "generated", "source"};
    json_t *in = json_object_get(audit, "hosts");
    json_t *hosts, *h, *summary, *doc;
    g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) failed = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) text = g_string_new("driftsync audit");
    size_t i;
    guint clean = 0;

    if (!json_is_array(in))
        return NULL;
    role = role ? role : "prod";
    hosts = json_array();
    json_array_foreach(in, i, h)
    {
        const char *name = json_string_value(json_object_get(h, "host"));
        json_t *jerror = json_object_get(h, "error");
        const char *error = json_string_value(jerror);
        json_t *fs = json_object_get(h, "findings"), *f;
        json_t *kinds = json_object();
        json_t *o;
        size_t j;

        name = name ? name : "?";
        json_array_foreach(fs, j, f)
        {
            const char *kind = json_string_value(json_object_get(f, "kind"));
            json_int_t n;

            kind = kind ? kind : "unknown";
            n = json_integer_value(json_object_get(kinds, kind));
            json_object_set_new(kinds, kind, json_integer(n + 1));
        }
        if (error) {
            GString *e = g_string_new(NULL);
            size_t n = strlen(name);

            /* The audit's messages start with "HOST: " already. */
            if (!strncmp(error, name, n) && !strncmp(error + n, ": ", 2))
                error += n + 2;
            append_reason(e, name, error);
            g_ptr_array_add(failed, g_string_free(e, FALSE));
        } else if (json_array_size(fs)) {
            GString *k = g_string_new(NULL);

            g_string_append_printf(k, "%s: ", name);
            append_kinds(k, kinds);
            g_ptr_array_add(found, g_string_free(k, FALSE));
        } else {
            clean++;
        }
        o = json_pack("{s:s, s:s, s:I, s:o}", "host", name, "role", role,
                      "findings", (json_int_t)json_array_size(fs), "kinds",
                      kinds);
        if (o && error)
            json_object_set(o, "error", jerror);
        json_array_append_new(hosts, o);
    }
    if (strcmp(role, "prod"))
        g_string_append_printf(text, " (%s)", role);
    g_string_append_printf(text, ": %zu host%s, %u with findings",
                           json_array_size(hosts),
                           json_array_size(hosts) == 1 ? "" : "s", found->len);
    append_list(text, found);
    g_string_append_printf(text, ", %u error%s", failed->len,
                           failed->len == 1 ? "" : "s");
    append_list(text, failed);
    summary = json_pack(
        "{s:I, s:I, s:I, s:I}", "hosts", (json_int_t)json_array_size(hosts),
        "clean", (json_int_t)clean, "with_findings", (json_int_t)found->len,
        "errors", (json_int_t)failed->len);
    doc = json_pack("{s:s, s:s, s:s}", "text", text->str, "format",
                    "driftsync/notify/v1", "kind", "audit");
    if (!doc) {
        json_decref(hosts);
        json_decref(summary);
        return NULL;
    }
    for (i = 0; i < G_N_ELEMENTS(from_audit); i++) {
        json_t *v = json_object_get(audit, from_audit[i]);

        json_object_set_new(doc, from_audit[i],
                            v ? json_incref(v) : json_null());
    }
    json_object_set_new(doc, "role", json_string(role));
    json_object_set_new(doc, "hosts", hosts);
    json_object_set_new(doc, "summary", summary);
    json_object_set_new(doc, "exit", json_integer(exit_code));
    return doc;
}

json_t *ds_notify_result_json(const ds_notify_result *r)
{
    return json_pack("{s:b, s:i, s:I, s:o}", "sent", r->sent, "attempts",
                     r->attempts, "status", (json_int_t)r->status, "error",
                     r->error ? json_string(r->error) : json_null());
}
