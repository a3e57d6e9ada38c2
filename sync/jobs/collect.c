/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/collect.c: collect many hosts in parallel through their transports
 * and platforms; one host's failure never stops the others. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "drivers/platform.h"
#include "drivers/secret.h"
#include "drivers/transport.h"
#include "manifests/util/error.h"
#include "manifests/util/parallel.h"
#include "sync/jobs/collect.h"

void ds_collect_result_free(ds_collect_result *r)
{
    if (!r)
        return;
    g_free(r->host);
    ds_manifest_free(r->manifest);
    g_clear_error(&r->error);
    g_free(r);
}

int ds_collect_local_hostname(char **out, GError **err)
{
    char buf[256] = "";
    char *dot;

    if (gethostname(buf, sizeof(buf) - 1) < 0 || !buf[0])
        return ds_error_set(err, DS_EGENERIC,
                            "cannot read this machine's host name");
    dot = strchr(buf, '.');
    if (dot)
        *dot = '\0';
    if (!ds_name_is_safe_host(buf))
        return ds_error_set(err, DS_EINVALID,
                            "this machine's host name is not usable as a store name; give one with --host");
    *out = g_strdup(buf);
    return 0;
}

void ds_collect_transport_options(ds_transport_options *o, const ds_config *cfg,
                                  const ds_host_config *h, const char *name,
                                  ds_role role)
{
    memset(o, 0, sizeof(*o));
    o->host = name;
    o->libvirt_uri = cfg->lab_uri;
    if (!h)
        return;
    o->identity_file = h->identity_file;
    o->known_hosts = h->known_hosts;
    o->ssh_options = (const char *const *)h->ssh_options;
    o->sudo = g_strcmp0(h->become, "sudo") == 0;
    o->ca_file = h->ca_file;
    o->auth_file = h->auth_file;
    o->allow_http = h->allow_http;
    if (h->lab_uri && role == DS_ROLE_LAB)
        o->libvirt_uri = h->lab_uri;
}

static int load_hmac_key(GBytes **out, const ds_config *cfg, GError **err)
{
    g_autofree char *path = NULL;
    const char *dir = cfg->state_dir ? cfg->state_dir
                                     : DS_LOCALSTATEDIR "/lib/driftsync";

    if (g_mkdir_with_parents(dir, 0700) < 0)
        return ds_error_set(err, DS_EGENERIC,
                            "cannot create the state directory %s: %s", dir,
                            g_strerror(errno));
    path = g_build_filename(dir, "hmac.key", NULL);
    return ds_hmac_key_load(out, path, err);
}

/* "NAME: " before a message that does not start with it already: the
 * transports, platforms and the manifest model name the host themselves,
 * and one host name per message is enough. */
static int name_host(GError **err, int rc, const char *name)
{
    const char *msg = err && *err ? (*err)->message : NULL;
    gsize n = name ? strlen(name) : 0;

    if (msg && n && !(strncmp(msg, name, n) == 0 && msg[n] == ':'))
        ds_error_prefix(err, rc, "%s: ", name);
    return rc;
}

/* pending_only: what `patches` needs (ds_collect_options). */
static int collect_with_key(ds_manifest **out, const ds_config *cfg,
                            const ds_host_config *h, const char *name,
                            const char *uri, ds_role role, GBytes *key,
                            bool pending_only, GError **err)
{
    ds_transport_options topts;
    ds_collect_options copts = {0};
    g_autoptr(ds_transport) t = NULL;
    g_autoptr(ds_manifest) m = NULL;
    int rc;

    ds_collect_transport_options(&topts, cfg, h, name, role);
    rc = ds_transport_open(&t, uri, &topts, err);
    if (rc < 0)
        return name_host(err, rc, name);
    if (g_str_equal(ds_transport_scheme(t), "https")) {
        /* A manifest produced elsewhere: validated like any other. */
        g_autoptr(GBytes) body = NULL;
        gsize len;
        const char *data;

        rc = ds_transport_fetch(t, &body, err);
        if (rc < 0)
            return rc;
        data = g_bytes_get_data(body, &len);
        rc = ds_manifest_parse(&m, data, len, uri, err);
        if (rc < 0)
            return name_host(err, rc, name);
        if (strcmp(m->host, name) != 0)
            return ds_error_set(err, DS_EINVALID,
                                "%s: %s describes host '%s', not '%s'", name,
                                uri, m->host, name);
        m->role = role;
        ds_secret_scrub_sources(m->sources); /* made elsewhere: no creds */
    } else {
        copts.host = name;
        copts.role = role;
        copts.files = h ? (const char *const *)h->files : NULL;
        copts.secret_patterns = (const char *const *)cfg->secret_patterns;
        copts.mode_exempt = (const char *const *)cfg->secret_mode_exempt;
        copts.hmac_key = key;
        copts.security_origins = (const char *const *)cfg->security_origins;
        copts.security_suites = (const char *const *)cfg->security_suites;
        /* apt-get update only on production, and only when asked */
        copts.refresh_lists = role == DS_ROLE_PROD &&
                              (cfg->refresh_lists || (h && h->refresh_lists));
        copts.pending_only = pending_only;
        rc = ds_platform_collect(&m, t, &copts, err);
        if (rc < 0)
            return name_host(err, rc, name);
    }
    rc = ds_manifest_normalise(m, err);
    if (rc < 0)
        return name_host(err, rc, name);
    *out = g_steal_pointer(&m);
    return 0;
}

int ds_collect_one(ds_manifest **out, const ds_config *cfg,
                   const ds_host_config *host, const char *source_uri,
                   ds_role role, GError **err)
{
    g_autoptr(GBytes) key = NULL;
    int rc = load_hmac_key(&key, cfg, err);

    if (rc < 0)
        return rc;
    return collect_with_key(out, cfg, host, host ? host->name : NULL,
                            source_uri, role, key, false, err);
}

typedef struct {
    const ds_config *cfg;
    ds_role role;
    bool pending_only;
    GBytes *key;
    GMutex lock;
    guint done, total;
    ds_collect_progress_fn progress;
    void *payload;
} collect_job;

typedef struct {
    collect_job *job;
    const ds_host_config *host;
    ds_collect_result *result;
} collect_task;

static void collect_worker(gpointer data, gpointer user_data)
{
    collect_task *task = data;
    collect_job *job = user_data;
    ds_collect_result *r = task->result;
    gint64 t0 = g_get_monotonic_time();
    const char *uri = job->role == DS_ROLE_PROD ? task->host->source : NULL;
    g_autofree char *lab_uri = NULL;

    if (job->progress) {
        g_mutex_lock(&job->lock);
        job->progress(r->host, NULL, job->done, job->total, job->payload);
        g_mutex_unlock(&job->lock);
    }
    /* A lab VM is reached through its lab-access transport. */
    if (job->role == DS_ROLE_LAB)
        uri = lab_uri = ds_config_lab_source(task->host);
    if (!uri)
        ds_error_set(&r->error, DS_EINVALID, "%s: no %s to collect from",
                     r->host, job->role == DS_ROLE_PROD ? "source" : "lab");
    else
        collect_with_key(&r->manifest, job->cfg, task->host, r->host, uri,
                         job->role, job->key, job->pending_only, &r->error);
    r->seconds = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
    g_mutex_lock(&job->lock);
    job->done++;
    if (job->progress)
        job->progress(r->host, r, job->done, job->total, job->payload);
    g_mutex_unlock(&job->lock);
}

static void collect_at(guint i, guint worker, void *payload)
{
    collect_task *tasks = payload;

    (void)worker;
    collect_worker(&tasks[i], tasks[i].job);
}

static int collect_hosts(GPtrArray **out, const ds_config *cfg,
                         const char *const *hosts, ds_role role,
                         bool pending_only, int parallel,
                         ds_collect_progress_fn progress, void *payload,
                         GError **err)
{
    g_autoptr(GPtrArray) results =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_collect_result_free);
    g_autoptr(GPtrArray) chosen = NULL;
    g_autofree collect_task *tasks = NULL;
    collect_job job = {.cfg = cfg, .role = role,
                       .pending_only = pending_only, .progress = progress,
                       .payload = payload};
    int rc;

    if ((rc = ds_config_choose_hosts(&chosen, cfg, hosts, NULL,
                                     role == DS_ROLE_LAB, err)) < 0)
        return rc;
    rc = load_hmac_key(&job.key, cfg, err);
    if (rc < 0)
        return rc;
    g_mutex_init(&job.lock);
    job.total = chosen->len;
    tasks = g_new0(collect_task, chosen->len ? chosen->len : 1);
    for (guint i = 0; i < chosen->len; i++) {
        const ds_host_config *h = chosen->pdata[i];
        ds_collect_result *r = g_new0(ds_collect_result, 1);

        r->host = g_strdup(h->name);
        g_ptr_array_add(results, r);
        tasks[i] = (collect_task){&job, h, r};
    }
    ds_parallel_for(chosen->len, parallel > 0 ? (guint)parallel : 1,
                    collect_at, tasks);
    g_mutex_clear(&job.lock);
    g_bytes_unref(job.key);
    *out = g_steal_pointer(&results);
    return 0;
}

int ds_collect_hosts(GPtrArray **out, const ds_config *cfg,
                     const char *const *hosts, ds_role role, int parallel,
                     ds_collect_progress_fn progress, void *payload,
                     GError **err)
{
    return collect_hosts(out, cfg, hosts, role, false, parallel, progress,
                         payload, err);
}

int ds_collect_hosts_pending(GPtrArray **out, const ds_config *cfg,
                             const char *const *hosts, int parallel,
                             GError **err)
{
    return collect_hosts(out, cfg, hosts, DS_ROLE_PROD, true, parallel, NULL,
                         NULL, err);
}
