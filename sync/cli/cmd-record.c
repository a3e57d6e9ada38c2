/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/cmd-record.c: `driftsync record`: put manifests into the store as
 * one commit.  Hosts are collected through their transports (all
 * configured production hosts, the named ones, the lab VMs with --lab, or
 * this machine with --local); `--from FILE...` imports manifests produced
 * elsewhere (staged by record-stage.c).  Then the package cache is filled
 * with the versions that changed, and the summary printed. */
#include <config.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "manifests/diff.h"
#include "manifests/util/error.h"
#include "manifests/util/run-id.h"
#include "manifests/store.h"
#include "drivers/pkgcache.h"
#include "sync/jobs/cache.h"
#include "sync/cli/cmd.h"
#include "sync/jobs/collect.h"
#include "sync/jobs/record-stage.h"

/* The progress line stops naming running hosts at this width. */
#define PROGRESS_LINE_MAX 70

#define RECORD_LOCK_TIMEOUT_MS 30000
#define RECORD_SUMMARY_ITEMS 3

static void record_host_clear(record_host *h)
{
    g_free(h->host);
    if (h->changes)
        g_ptr_array_unref(h->changes);
}

static void print_host_line(ds_cli *cli, const record_host *h)
{
    ds_cli_printf(cli, "%s%s%s (%s): ", ds_cli_colour(cli, "bold"), h->host,
                  ds_cli_colour(cli, "reset"), ds_role_name(h->role));
    if (h->is_new) {
        ds_cli_printf(
            cli, "new host: %u packages, %u sources, %u files, %u services\n",
            h->npackages, h->nsources, h->nfiles, h->nservices);
        return;
    }
    ds_cli_printf(cli, "%u change%s: ", h->changes->len,
                  h->changes->len == 1 ? "" : "s");
    for (guint i = 0; i < h->changes->len && i < RECORD_SUMMARY_ITEMS; i++) {
        g_autofree char *d =
            ds_change_describe(g_ptr_array_index(h->changes, i));

        ds_cli_printf(cli, "%s%s", i ? "; " : "", d);
    }
    if (h->changes->len > RECORD_SUMMARY_ITEMS)
        ds_cli_printf(cli, " (and %u more)",
                      h->changes->len - RECORD_SUMMARY_ITEMS);
    putchar('\n');
}

static json_t *host_json(const record_host *h)
{
    const char *status = h->is_new                        ? "new"
                         : h->changes && h->changes->len ? "changed"
                                                          : "unchanged";

    return json_pack("{s:s, s:s, s:s, s:o}", "host", h->host, "role",
                     ds_role_name(h->role), "status", status, "changes",
                     ds_cli_changes_json(h->changes));
}


/* A warning of the package cache: on stderr, or in the JSON report. */
static void cache_warn(ds_cli *cli, json_t *warned, const char *msg)
{
    if (!cli->json)
        ds_cli_error(cli, "warning: %s", msg);
    json_array_append_new(warned, json_string(msg));
}

/* With [packages] cache: cache the package versions that changed on the
 * production hosts just recorded (a new host: nothing, its packages did
 * not change).  The repository is asked first, then the host's apt cache
 * through its source (local_uri for --local; none for --from).  What
 * cannot be cached is a warning, never a failure of the record. */
static json_t *record_fill_cache(ds_cli *cli, const ds_config *cfg,
                                 ds_store *st, const char *oid,
                                 GPtrArray *manifests, const record_host *hosts,
                                 guint n, const char *local_uri)
{
    json_t *warned = json_array();
    g_autoptr(ds_pkgcache) cache = NULL;
    g_autoptr(GError) err = NULL;
    guint total = 0;

    if (ds_pkgcache_open(&cache, cfg->package_cache, &err) < 0) {
        g_autofree char *msg =
            g_strdup_printf("package cache not filled: %s", err->message);

        cache_warn(cli, warned, msg);
        n = 0;
    }
    for (guint i = 0; i < n; i++) {
        const record_host *h = &hosts[i];
        g_autoptr(ds_manifest) stored = NULL;
        g_autoptr(GPtrArray) pkgs = NULL;
        g_autoptr(GPtrArray) warnings = NULL;
        const ds_manifest *m = manifests ? manifests->pdata[i] : NULL;
        const ds_host_config *hc = ds_config_find_host(cfg, h->host);
        const char *source = NULL;
        guint cached = 0;

        if (h->role != DS_ROLE_PROD || h->is_new || h->same || !h->changes ||
            !h->changes->len)
            continue;
        if (!m) {
            g_clear_error(&err);
            if (ds_store_read(&stored, st, oid, DS_ROLE_PROD, h->host, &err) <
                0) {
                g_autofree char *msg = g_strdup_printf(
                    "%s: package cache not filled: %s", h->host, err->message);

                cache_warn(cli, warned, msg);
                continue;
            }
            m = stored;
        }
        pkgs = ds_cache_changed_packages(m, h->changes, cfg->ignore);
        if (!pkgs->len)
            continue;
        if (local_uri)
            source = local_uri;
        else if (manifests && hc)
            source = hc->source;
        ds_cache_fill(&warnings, &cached, cache, cfg, hc, h->host, source,
                      ds_manifest_is_rpm(m), pkgs);
        total += cached;
        ds_cli_verbose(cli, "%s: %u package file%s in the cache", h->host,
                       cached, cached == 1 ? "" : "s");
        for (guint j = 0; j < warnings->len; j++)
            cache_warn(cli, warned, warnings->pdata[j]);
    }
    return json_pack("{s:i, s:o}", "cached", (int)total, "warnings", warned);
}

/* Stage the manifests (collected ones, ds_manifest * already valid, or
 * the files of --from), commit them in one commit and print one line per
 * changed host.  Returns the exit code. */
static int record_commit(ds_cli *cli, const ds_config *cfg,
                         GPtrArray *manifests, char **files, int nfiles,
                         GPtrArray *failures, const char *local_uri)
{
    json_t *cache_report = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(ds_store_txn) txn = NULL;
    g_autoptr(record_check) chk = NULL;
    g_autoptr(GError) err = NULL;
    ds_log log = ds_cli_log(cli);
    g_autofree char *oid = NULL;
    g_autofree char *run_id = ds_run_id_new();
    guint n = manifests ? manifests->len : (guint)nfiles;
    g_autofree record_host *hosts = g_new0(record_host, n + 1);
    guint changed = 0;
    int code;

    if ((code = ds_cli_open_store(&st, cli, cfg)) != DS_EXIT_OK)
        return code;
    /* The inputs are read and checked before the lock: a file that blocks
     * or fails holds up no other writer. */
    if (!manifests &&
        ds_record_check_files(&chk, &log, st, files, nfiles, &err) < 0)
        goto fail;
    if (ds_store_lock(st, RECORD_LOCK_TIMEOUT_MS, &err) < 0 ||
        ds_store_txn_begin(&txn, st, &err) < 0)
        goto fail;
    if (!manifests) {
        if (ds_record_stage_files(&log, st, txn, chk, hosts, &err) < 0)
            goto fail;
    }
    if (manifests &&
        ds_record_stage_hosts(hosts, st, txn, manifests, &err) < 0)
        goto fail;
    for (guint i = 0; i < n; i++)
        if (hosts[i].is_new || hosts[i].changes->len)
            changed++;
    if (ds_store_txn_commit(&oid, txn, "record", run_id, cfg->ignore, &err) < 0)
        goto fail;
    g_clear_pointer(&txn, ds_store_txn_free);
    ds_store_unlock(st);
    if (oid && cfg->package_cache)
        cache_report = record_fill_cache(cli, cfg, st, oid, manifests, hosts, n,
                                         local_uri);

    if (cli->json) {
        json_t *o = json_object();
        json_t *a = json_array();

        if (cache_report)
            json_object_set_new(o, "package_cache",
                                g_steal_pointer(&cache_report));
        json_object_set_new(o, "commit", oid ? json_string(oid) : json_null());
        json_object_set_new(o, "run", json_string(run_id));
        for (guint i = 0; i < n; i++)
            json_array_append_new(a, host_json(&hosts[i]));
        json_object_set_new(o, "hosts", a);
        a = json_array();
        for (guint i = 0; failures && i < failures->len; i++) {
            const ds_collect_result *r = g_ptr_array_index(failures, i);

            json_array_append_new(a, json_pack("{s:s, s:s}", "host", r->host,
                                               "error", r->error->message));
        }
        json_object_set_new(o, "failed", a);
        ds_cli_print_json(o);
        json_decref(o);
    } else if (!oid) {
        if (cli->verbosity >= 0 && n)
            ds_cli_printf(cli, "no changes\n");
    } else if (!changed) {
        ds_cli_printf(
            cli, "no semantic changes (metadata only), commit %.12s\n", oid);
    } else {
        for (guint i = 0; i < n; i++)
            if (hosts[i].is_new || hosts[i].changes->len)
                print_host_line(cli, &hosts[i]);
    }
    if (oid)
        ds_cli_verbose(cli, "committed %.12s (run %s)", oid, run_id);
    code = failures && failures->len ? DS_EXIT_PARTIAL : DS_EXIT_OK;
    goto done;

fail:
    ds_cli_error_gerror(cli, err);
    code = DS_EXIT_ERROR;
done:
    for (guint i = 0; i < n; i++)
        record_host_clear(&hosts[i]);
    json_decref(cache_report);
    return code;
}

/* Progress on a terminal: how many hosts are done, which are running. */
typedef struct {
    ds_cli *cli;
    GPtrArray *running; /* host names being collected */
} record_progress;

static void on_progress(const char *host, const ds_collect_result *r,
                        guint done, guint total, void *payload)
{
    record_progress *p = payload;
    g_autoptr(GString) line = g_string_new(NULL);

    if (!r) {
        g_ptr_array_add(p->running, (gpointer)host);
    } else {
        g_ptr_array_remove(p->running, (gpointer)host);
        if (r->error)
            ds_cli_verbose(p->cli, "%s: failed after %.1f s", host,
                           r->seconds);
        else
            ds_cli_verbose(p->cli, "%s: collected in %.1f s", host,
                           r->seconds);
    }
    if (!p->cli->progress)
        return;
    g_string_printf(line, "[%u/%u]", done, total);
    for (guint i = 0;
         i < p->running->len && line->len < PROGRESS_LINE_MAX; i++)
        g_string_append_printf(line, " %s",
                               (char *)g_ptr_array_index(p->running, i));
    ds_cli_progress(p->cli, line->str);
    if (done == total)
        ds_cli_progress(p->cli, NULL);
    fflush(stderr);
}

/* Collect hosts (configured ones, or this machine with --local), report
 * the ones that failed, and commit the others. */
static int record_collect(ds_cli *cli, ds_config *cfg, char **names,
                          gboolean local, const char *local_name,
                          const char *root, gboolean lab)
{
    g_autoptr(GPtrArray) results = NULL;
    g_autoptr(GPtrArray) manifests = g_ptr_array_new();
    g_autoptr(GPtrArray) failures = g_ptr_array_new();
    g_autoptr(GError) err = NULL;
    record_progress progress = {cli, g_ptr_array_new()};
    g_autofree char *local_uri = NULL;
    int rc;

    if (local) {
        g_autofree char *name = g_strdup(local_name);
        g_autofree char *uri = NULL;
        ds_host_config fallback = {0};
        const ds_host_config *h;
        ds_collect_result *r = g_new0(ds_collect_result, 1);

        if (!name && ds_collect_local_hostname(&name, &err) < 0) {
            ds_cli_error_gerror(cli, err);
            g_free(r);
            g_ptr_array_unref(progress.running);
            return DS_EXIT_ERROR;
        }
        if (!ds_name_is_safe_host(name)) {
            ds_cli_error(cli, "record: '%s' is not a valid host name", name);
            g_free(r);
            g_ptr_array_unref(progress.running);
            return DS_EXIT_ERROR;
        }
        /* The host's own section, when the config has one, gives the
         * files to capture. */
        h = ds_config_find_host(cfg, name);
        if (!h) {
            fallback.name = name;
            h = &fallback;
        }
        uri = root ? g_strconcat("local:", root, NULL) : g_strdup("local:");
        r->host = g_strdup(name);
        ds_collect_one(&r->manifest, cfg, h, uri, DS_ROLE_PROD, &r->error);
        local_uri = g_strdup(uri);
        results = g_ptr_array_new_with_free_func(
            (GDestroyNotify)ds_collect_result_free);
        g_ptr_array_add(results, r);
    } else {
        if (cfg->hosts->len == 0) {
            ds_cli_error(cli, "record: no hosts in %s; add [host NAME] sections, or use --local or --from",
                         cfg->filename ? cfg->filename : "the configuration");
            g_ptr_array_unref(progress.running);
            return DS_EXIT_ERROR;
        }
        rc = ds_collect_hosts(&results, cfg, (const char *const *)names,
                              lab ? DS_ROLE_LAB : DS_ROLE_PROD,
                              lab ? cfg->lab_parallel : cfg->record_parallel,
                              on_progress, &progress, &err);
        if (rc < 0) {
            ds_cli_error_gerror(cli, err);
            g_ptr_array_unref(progress.running);
            return DS_EXIT_ERROR;
        }
    }
    g_ptr_array_unref(progress.running);
    for (guint i = 0; i < results->len; i++) {
        ds_collect_result *r = g_ptr_array_index(results, i);

        if (r->manifest) {
            g_ptr_array_add(manifests, r->manifest);
        } else {
            g_ptr_array_add(failures, r);
            if (!cli->json)
                ds_cli_error_gerror(cli, r->error);
        }
    }
    if (!manifests->len) {
        if (cli->json)
            return record_commit(cli, cfg, manifests, NULL, 0, failures,
                                 local_uri) == DS_EXIT_ERROR
                       ? DS_EXIT_ERROR
                       : DS_EXIT_PARTIAL;
        ds_cli_error(cli, "record: no host could be collected; the store is unchanged");
        return DS_EXIT_PARTIAL;
    }
    return record_commit(cli, cfg, manifests, NULL, 0, failures, local_uri);
}

static int cmd_record(ds_cli *cli, int argc, char **argv)
{
    gboolean from = FALSE, local = FALSE, lab = FALSE, refresh = FALSE;
    g_autofree char *local_name = NULL;
    g_autofree char *root = NULL;
    GOptionEntry entries[] = {
        {"from", 'f', 0, G_OPTION_ARG_NONE, &from,
         "Import the manifest files given as arguments instead of "
         "collecting hosts",
         NULL},
        {"local", 'l', 0, G_OPTION_ARG_NONE, &local,
         "Record this machine (no configuration needed; for package "
         "manager hooks)",
         NULL},
        {"host", 0, 0, G_OPTION_ARG_STRING, &local_name,
         "With --local: the name to record this machine as (default: its "
         "short host name)",
         "NAME"},
        {"root", 0, 0, G_OPTION_ARG_FILENAME, &root,
         "With --local: read the unpacked root file system at DIR", "DIR"},
        {"lab", 0, 0, G_OPTION_ARG_NONE, &lab,
         "Collect the hosts' lab VMs (lab-access) instead of production",
         NULL},
        {"refresh-lists", 0, 0, G_OPTION_ARG_NONE, &refresh,
         "Run apt-get update (dnf makecache) on each production host before collecting it",
         NULL},
        {NULL}};
    g_autoptr(ds_config) cfg = NULL;
    int code = DS_EXIT_OK;

    if (!ds_cli_parse(cli, &ds_cmd_record_entry, entries, &argc, &argv, &code))
        return code;
    if (from + local + lab > 1) {
        ds_cli_error(cli, "record: --from, --local and --lab exclude each other");
        return DS_EXIT_ERROR;
    }
    if ((local_name || root) && !local) {
        ds_cli_error(cli, "record: --host and --root go with --local");
        return DS_EXIT_ERROR;
    }
    if (local && argc > 1) {
        ds_cli_error(cli, "record: --local takes no host names");
        return DS_EXIT_ERROR;
    }
    if (refresh && (from || lab)) {
        ds_cli_error(cli, "record: --refresh-lists goes with production "
                     "hosts, not --from or --lab");
        return DS_EXIT_ERROR;
    }
    if (from && argc < 2) {
        ds_cli_error(cli, "record: --from needs at least one manifest file");
        return DS_EXIT_ERROR;
    }
    if (!(cfg = ds_cli_config(cli)))
        return DS_EXIT_ERROR;
    cfg->refresh_lists = refresh;
    if (!from)
        return record_collect(cli, cfg, argv + 1, local, local_name, root,
                              lab);
    return record_commit(cli, cfg, NULL, argv + 1, argc - 1, NULL, NULL);
}

const ds_cmd_entry ds_cmd_record_entry = {
    .name = "record",
    .args = "[HOST...] | --local | --from FILE...",
    .summary = "Collect production hosts (all by default) and commit what "
               "changed; exit 3 when some hosts failed.",
    .exec = cmd_record,
};
