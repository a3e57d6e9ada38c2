/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/output/publish.c: a finished run's report kept and its summary
 * posted to the webhook, a failed post a warning in the log. */
#include <config.h>

#include "manifests/util/error.h"
#include "sync/output/notify.h"
#include "sync/output/publish.h"

/* POST payload (taken) to the webhook; the outcome as JSON. */
static json_t *post(const ds_config *cfg, json_t *payload,
                    volatile sig_atomic_t *cancel, const ds_log *log,
                    const char *what)
{
    ds_notify_options o;
    ds_notify_result res = {0};
    g_autoptr(GError) err = NULL;
    json_t *out;

    ds_notify_options_from_config(&o, cfg);
    o.cancel = cancel;
    if (ds_notify_post_json(&res, &o, payload, &err) < 0)
        ds_log_emit(log, DS_LOG_WARNING, "%s", err->message);
    else
        ds_log_verbose(log, "%snotified the webhook (%d attempt%s)", what,
                       res.attempts, res.attempts == 1 ? "" : "s");
    json_decref(payload);
    out = ds_notify_result_json(&res);
    ds_notify_result_clear(&res);
    return out;
}

int ds_publish_mirror(char **path, ds_mirror_report *rep, const ds_config *cfg,
                      volatile sig_atomic_t *cancel, const ds_log *log,
                      GError **err)
{
    int rc = ds_mirror_report_write(path, rep, cfg->state_dir, err);

    if (!cfg->notify_webhook)
        return rc;
    rep->notify = post(cfg, ds_notify_mirror_payload(rep), cancel, log, "");
    if (rep->notify && *path) {
        /* Again, with the webhook's outcome. */
        g_clear_pointer(path, g_free);
        rc = ds_mirror_report_write(path, rep, cfg->state_dir, err);
    }
    return rc;
}

json_t *ds_publish_audit(const ds_config *cfg, ds_role role, const json_t *doc,
                         int exit_code, volatile sig_atomic_t *cancel,
                         const ds_log *log)
{
    if (!cfg->notify_audit || !cfg->notify_webhook ||
        !json_array_size(json_object_get(doc, "hosts")))
        return NULL;
    return post(cfg,
                ds_notify_audit_payload(doc, ds_role_name(role), exit_code),
                cancel, log, "audit: ");
}
