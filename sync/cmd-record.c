/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cmd-record.c: `driftsync record`: put manifests into the store as
 * one commit.  `--from FILE...` imports manifests produced elsewhere;
 * whatever produces the manifests hands them to record_commit(), which
 * checks them, stages them in one transaction and reports per host. */
#include <config.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "manifests/diff.h"
#include "manifests/error.h"
#include "manifests/store.h"
#include "sync/cmd.h"

#define RECORD_LOCK_TIMEOUT_MS 30000
#define RECORD_SUMMARY_ITEMS 3

/* What a host's new manifest changes, for the summary. */
typedef struct record_host {
    const ds_manifest *m;
    bool is_new;
    GPtrArray *changes; /* ds_change *, NULL for a new host */
} record_host;

static void record_host_clear(record_host *h)
{
    if (h->changes)
        g_ptr_array_unref(h->changes);
}

static char *run_id_new(void)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");

    return g_strdup_printf("%s-%08x", stamp, g_random_int());
}

static void print_host_line(ds_cli *cli, const record_host *h)
{
    const ds_manifest *m = h->m;

    printf("%s%s%s (%s): ", ds_cli_colour(cli, "bold"), m->host,
           ds_cli_colour(cli, "reset"), ds_role_name(m->role));
    if (h->is_new) {
        printf("new host: %u packages, %u sources, %u files, %u services\n",
               m->packages->len, m->sources->len, m->files->len,
               m->services->len);
        return;
    }
    printf("%u change%s: ", h->changes->len, h->changes->len == 1 ? "" : "s");
    for (guint i = 0; i < h->changes->len && i < RECORD_SUMMARY_ITEMS; i++) {
        g_autofree char *d =
            ds_change_describe(g_ptr_array_index(h->changes, i));

        printf("%s%s", i ? "; " : "", d);
    }
    if (h->changes->len > RECORD_SUMMARY_ITEMS)
        printf(" (and %u more)", h->changes->len - RECORD_SUMMARY_ITEMS);
    putchar('\n');
}

static json_t *host_json(const record_host *h)
{
    const char *status = h->is_new         ? "new"
                         : h->changes->len ? "changed"
                                           : "unchanged";

    return json_pack("{s:s, s:s, s:s, s:o}", "host", h->m->host, "role",
                     ds_role_name(h->m->role), "status", status, "changes",
                     ds_cli_changes_json(h->changes));
}

/* Commit the manifests (ds_manifest *, already valid) in one commit and
 * print one line per changed host.  Returns the exit code. */
static int record_commit(ds_cli *cli, const ds_config *cfg,
                         GPtrArray *manifests)
{
    g_autoptr(ds_store) st = NULL;
    g_autoptr(ds_store_txn) txn = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *oid = NULL;
    g_autofree char *run_id = run_id_new();
    g_autofree record_host *hosts = g_new0(record_host, manifests->len + 1);
    guint changed = 0;
    int code;

    if ((code = ds_cli_open_store(&st, cli, cfg)) != DS_EXIT_OK)
        return code;
    if (ds_store_lock(st, RECORD_LOCK_TIMEOUT_MS, &err) < 0)
        goto fail;

    for (guint i = 0; i < manifests->len; i++) {
        const ds_manifest *m = g_ptr_array_index(manifests, i);
        g_autoptr(ds_manifest) old = NULL;
        int rc = ds_store_read(&old, st, NULL, m->role, m->host, &err);

        hosts[i].m = m;
        if (rc == DS_ENOTFOUND) {
            g_clear_error(&err);
            hosts[i].is_new = true;
            changed++;
            continue;
        }
        if (rc < 0)
            goto fail;
        if (ds_manifest_diff(&hosts[i].changes, old, m, NULL, &err) < 0)
            goto fail;
        if (hosts[i].changes->len)
            changed++;
    }

    if (ds_store_txn_begin(&txn, st, &err) < 0)
        goto fail;
    for (guint i = 0; i < manifests->len; i++)
        if (ds_store_txn_put(txn, g_ptr_array_index(manifests, i), &err) < 0)
            goto fail;
    if (ds_store_txn_commit(&oid, txn, "record", run_id, cfg->ignore, &err) < 0)
        goto fail;
    ds_store_unlock(st);

    if (cli->json) {
        json_t *o = json_object();
        json_t *a = json_array();

        json_object_set_new(o, "commit", oid ? json_string(oid) : json_null());
        json_object_set_new(o, "run", json_string(run_id));
        for (guint i = 0; i < manifests->len; i++)
            json_array_append_new(a, host_json(&hosts[i]));
        json_object_set_new(o, "hosts", a);
        ds_cli_print_json(o);
        json_decref(o);
    } else if (!oid) {
        if (cli->verbosity >= 0)
            printf("no changes\n");
    } else if (!changed) {
        printf("no semantic changes (metadata only), commit %.12s\n", oid);
    } else {
        for (guint i = 0; i < manifests->len; i++)
            if (hosts[i].is_new || hosts[i].changes->len)
                print_host_line(cli, &hosts[i]);
    }
    if (oid)
        ds_cli_verbose(cli, "committed %.12s (run %s)", oid, run_id);
    code = DS_EXIT_OK;
    goto done;

fail:
    ds_cli_error_gerror(cli, err);
    code = DS_EXIT_ERROR;
done:
    for (guint i = 0; i < manifests->len; i++)
        record_host_clear(&hosts[i]);
    return code;
}

/* Parse and check every file before anything is written. */
static int load_files(GPtrArray **out, ds_cli *cli, char **files, int n)
{
    g_autoptr(GPtrArray) ms =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_manifest_free);
    g_autoptr(GHashTable) seen =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (int i = 0; i < n; i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(ds_manifest) m = NULL;
        g_autofree char *key = NULL;
        const char *other;

        if (ds_manifest_load(&m, files[i], &err) < 0 ||
            ds_manifest_normalise(m, &err) < 0) {
            /* The parser's message names the file and the JSON path. */
            if (err && !strstr(err->message, files[i]))
                g_prefix_error(&err, "%s: ", files[i]);
            ds_cli_error_gerror(cli, err);
            return DS_EXIT_ERROR;
        }
        if (!ds_name_is_safe_host(m->host)) {
            ds_cli_error(cli, "%s: host: '%s' is not a valid host name",
                         files[i], m->host);
            return DS_EXIT_ERROR;
        }
        key = g_strdup_printf("%s/%s", ds_role_name(m->role), m->host);
        if ((other = g_hash_table_lookup(seen, key))) {
            ds_cli_error(cli, "%s: %s (%s) is also given by %s", files[i],
                         m->host, ds_role_name(m->role), other);
            return DS_EXIT_ERROR;
        }
        g_hash_table_insert(seen, g_steal_pointer(&key), files[i]);
        if (!m->collector.transport)
            m->collector.transport = g_strdup("import");
        ds_cli_verbose(cli, "%s: %s (%s), valid", files[i], m->host,
                       ds_role_name(m->role));
        g_ptr_array_add(ms, g_steal_pointer(&m));
    }
    *out = g_steal_pointer(&ms);
    return DS_EXIT_OK;
}

static int cmd_record(ds_cli *cli, int argc, char **argv)
{
    gboolean from = FALSE;
    GOptionEntry entries[] = {
        {"from", 'f', 0, G_OPTION_ARG_NONE, &from,
         "Import the manifest files given as arguments instead of "
         "collecting hosts",
         NULL},
        {NULL}};
    g_autoptr(ds_config) cfg = NULL;
    g_autoptr(GPtrArray) manifests = NULL;
    int code = DS_EXIT_OK;

    if (!ds_cli_parse(cli, &ds_cmd_record_entry, entries, &argc, &argv, &code))
        return code;
    if (!from) {
        ds_cli_error(cli, "record: collecting hosts is not available in "
                          "this build; import manifests with `driftsync record "
                          "--from FILE...`");
        return DS_EXIT_ERROR;
    }
    if (argc < 2) {
        ds_cli_error(cli, "record: --from needs at least one manifest file");
        return DS_EXIT_ERROR;
    }
    if (!(cfg = ds_cli_config(cli)))
        return DS_EXIT_ERROR;
    if ((code = load_files(&manifests, cli, argv + 1, argc - 1)) != 0)
        return code;
    return record_commit(cli, cfg, manifests);
}

const ds_cmd_entry ds_cmd_record_entry = {
    .name = "record",
    .args = "[--from FILE...]",
    .summary = "Record manifests into the store as one commit (no commit "
               "when nothing changed).",
    .exec = cmd_record,
};
