/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/output/notify.h: the webhook that hears about each `driftsync mirror` run
 * (and, with [notify] audit, each `driftsync audit`): a JSON summary
 * POSTed with libcurl (TLS verified, bounded in time, retried with
 * backoff); the URL is a secret and never shown whole. */
#pragma once

#include <glib.h>
#include <signal.h>
#include <stdbool.h>

#include "sync/config/config-file.h"
#include "sync/jobs/mirror.h"

typedef struct ds_notify_options {
    const char *url;     /* http:// or https:// */
    const char *ca_file; /* CA bundle for https, or NULL: the system's */
    int timeout;         /* seconds per try (connect and whole request) */
    int attempts;        /* tries in all, >= 1 */
    int retry_delay;     /* seconds before the 2nd try, doubled after */
    volatile sig_atomic_t *cancel; /* stop retrying when set */
} ds_notify_options;

/* The options of [notify] in cfg (url NULL when there is no webhook). */
void ds_notify_options_from_config(ds_notify_options *out,
                                   const ds_config *cfg);

typedef struct ds_notify_result {
    bool sent;    /* a 2xx answer */
    int attempts; /* tries made */
    long status;  /* the last HTTP status, 0 when none */
    char *error;  /* why it was not sent (no secret in it), or NULL */
} ds_notify_result;

void ds_notify_result_clear(ds_notify_result *r);

/* "scheme://host[:port]/..." with user info, path, query and fragment
 * cut: what a message may show of a webhook URL. */
char *ds_notify_redact_url(const char *url);

/* POST `body` (JSON) to the webhook: up to `attempts` tries, waiting
 * retry_delay, 2 * retry_delay, ... seconds between them; only a 2xx
 * answer is success.  *out says what happened.  Returns 0 when sent,
 * DS_EGENERIC (message in err, naming the redacted URL) when not. */
int ds_notify_post(ds_notify_result *out, const ds_notify_options *opts,
                   const char *body, GError **err);

/* The mirror run's notification: {text, run_id, started, finished,
 * duration_s, dry_run, exit, summary{...}, labs[{host, domain, status,
 * reason}], record_failed[{host, reason}]}; `text` is one line for
 * Slack/Mattermost ("driftsync mirror: 2 synced, 1 failed (web01: ...)").
 * A new JSON reference. */
struct json_t *ds_notify_mirror_payload(const ds_mirror_report *r);

/* An audit run's notification, built from its driftsync/audit/v1
 * document (hosts[{host, findings[{kind, ...}], error?}]): {text, format,
 * kind: "audit", run_id, generated, source, role, hosts[{host, role,
 * findings: N, kinds{KIND: N}, error?}], summary{hosts, clean,
 * with_findings, errors}, exit}.  A host that has an error counts as an
 * error whatever it found.  `text` is one line for Slack/Mattermost
 * ("driftsync audit: 3 hosts, 1 with findings (web1: 2 missing, 1
 * reboot), 0 errors").  A new JSON reference; NULL when `audit` has no
 * hosts array. */
struct json_t *ds_notify_audit_payload(const struct json_t *audit,
                                       const char *role, int exit_code);

/* Serialise `payload` and ds_notify_post() it. */
int ds_notify_post_json(ds_notify_result *out, const ds_notify_options *opts,
                        const struct json_t *payload, GError **err);

/* notify: {sent, attempts, status, error} for the report (new ref). */
struct json_t *ds_notify_result_json(const ds_notify_result *r);
