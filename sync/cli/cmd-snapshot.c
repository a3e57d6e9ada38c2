/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/cmd-snapshot.c: `driftsync snapshot list|create|revert|delete HOST
 * [NAME]`: the lab VM's snapshots, by hand. */
#include <config.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "drivers/libvirt.h"
#include "manifests/util/error.h"
#include "manifests/util/run-id.h"
#include "snapshots/snapshot.h"
#include "sync/cli/cmd.h"


/* The lab domain of HOST, opened. */
typedef struct lab_target {
    ds_lab *lab;
    virDomainPtr dom;
    const char *domain;
} lab_target;

static int open_target(lab_target *t, ds_cli *cli, const ds_config *cfg,
                       const char *host)
{
    const ds_host_config *hc = NULL;
    g_autoptr(GError) err = NULL;

    if (ds_config_find_lab(&hc, cfg, host, &err) < 0) {
        ds_cli_error_gerror(cli, err);
        return -1;
    }
    t->domain = hc->lab;
    if (ds_lab_open(&t->lab, ds_config_lab_uri(cfg, hc), &err) < 0 ||
        ds_lab_domain(&t->dom, t->lab, hc->lab, &err) < 0) {
        ds_cli_error(cli, "%s: %s", host, err->message);
        return -1;
    }
    return 0;
}

static void close_target(lab_target *t)
{
    if (t->dom)
        virDomainFree(t->dom);
    ds_lab_free(t->lab);
}

static char *format_time(gint64 t)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);

    return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("?");
}

static json_t *snapshot_json(const ds_snapshot *s)
{
    g_autofree char *created = format_time(s->created);

    return json_pack("{s:s, s:s, s:s, s:s?, s:b, s:b, s:s?}", "name", s->name,
                     "mode", ds_snapshot_mode_to_string(s->mode), "created",
                     created, "state", s->state, "driftsync", s->ours,
                     "current", s->current, "description", s->description);
}

static int do_list(ds_cli *cli, const char *host, lab_target *t)
{
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(ds_snapshot_meta) meta = NULL;
    g_autoptr(GError) err = NULL;

    if (ds_snapshot_list(&list, t->dom, &err) < 0 ||
        ds_snapshot_meta_read(&meta, t->dom, &err) < 0) {
        ds_cli_error(cli, "%s: %s", host, err->message);
        return DS_EXIT_ERROR;
    }
    if (cli->json) {
        json_t *arr = json_array();
        json_t *doc;

        for (guint i = 0; i < list->len; i++)
            json_array_append_new(arr, snapshot_json(list->pdata[i]));
        doc = json_pack("{s:s, s:s, s:o, s:{s:s?, s:s?, s:s?, s:s?}}", "host",
                        host, "domain", t->domain, "snapshots", arr,
                        "mirror", "host", meta->host, "commit", meta->commit,
                        "synced_at", meta->synced_at, "result", meta->result);
        ds_cli_print_json(doc);
        json_decref(doc);
        return DS_EXIT_OK;
    }
    if (meta->commit)
        ds_cli_info(cli, "%s: lab %s mirrors %s at store commit %s (%s, %s)",
                    host, t->domain, meta->host ? meta->host : "?",
                    meta->commit, meta->synced_at ? meta->synced_at : "?",
                    meta->result ? meta->result : "?");
    if (list->len == 0) {
        ds_cli_info(cli, "%s: lab %s has no snapshots", host, t->domain);
        return DS_EXIT_OK;
    }
    ds_cli_printf(cli, "%s  %-36s %-8s %-20s %-8s %-9s %s\n", " ", "NAME",
                  "MODE", "CREATED", "STATE", "OWNER", "DESCRIPTION");
    for (guint i = 0; i < list->len; i++) {
        const ds_snapshot *s = list->pdata[i];
        g_autofree char *created = format_time(s->created);

        ds_cli_printf(
            cli, "%s%s %-36s %-8s %-20s %-8s %-9s %s%s\n",
            s->ours ? ds_cli_colour(cli, "bold") : "", s->current ? "*" : " ",
            s->name, ds_snapshot_mode_to_string(s->mode), created,
            s->state ? s->state : "-", s->ours ? "driftsync" : "other",
            s->description ? s->description : "",
            s->ours ? ds_cli_colour(cli, "reset") : "");
    }
    return DS_EXIT_OK;
}

static int do_create(ds_cli *cli, const ds_config *cfg, const char *host,
                     lab_target *t, const char *given, const char *mode_opt,
                     const char *description)
{
    g_autoptr(ds_snapshot) snap = NULL;
    g_autoptr(GPtrArray) pruned = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *name = NULL;
    g_autofree char *desc = NULL;
    g_autofree char *why = NULL;
    ds_snapshot_mode mode;
    int keep;

    if (ds_snapshot_mode_from_string(&mode,
                                     mode_opt ? mode_opt : cfg->snapshots,
                                     &err) < 0) {
        ds_cli_error(cli, "%s: %s", host, err->message);
        return DS_EXIT_ERROR;
    }
    if (!given) {
        g_autofree char *run = ds_run_id_new();

        name = ds_snapshot_name_for_run(run);
    } else if (ds_snapshot_name_is_ours(given)) {
        name = g_strdup(given);
    } else {
        /* driftsync's snapshots carry its prefix. */
        name = g_strconcat(DS_SNAPSHOT_PREFIX, given, NULL);
    }
    desc = description ? g_strdup(description)
                       : g_strdup_printf("driftsync snapshot of %s, taken by hand", host);
    if (ds_snapshot_choose_mode(&mode, &why, t->dom, mode, &err) < 0 ||
        ds_snapshot_create(&snap, t->dom, name, desc, mode, &err) < 0) {
        ds_cli_error(cli, "%s: %s", host, err->message);
        return DS_EXIT_ERROR;
    }
    ds_cli_info(cli, "%s: snapshot %s of lab %s taken (%s: %s)", host,
                snap->name, t->domain, ds_snapshot_mode_to_string(snap->mode),
                why);
    /* Retention; the new snapshot always stays. */
    keep = cfg->keep_snapshots;
    if (keep >= 0 &&
        ds_snapshot_prune(&pruned, t->dom, keep > 0 ? keep : 1, &err) < 0) {
        ds_cli_error(cli, "%s: %s", host, err->message);
        return DS_EXIT_ERROR;
    }
    for (guint i = 0; pruned && i < pruned->len; i++)
        ds_cli_info(cli, "%s: deleted old snapshot %s (keep-snapshots = %d)",
                    host, (char *)pruned->pdata[i], keep);
    if (cli->json) {
        json_t *doc = snapshot_json(snap);
        json_t *gone = json_array();

        for (guint i = 0; pruned && i < pruned->len; i++)
            json_array_append_new(gone, json_string(pruned->pdata[i]));
        json_object_set_new(doc, "pruned", gone);
        json_object_set_new(doc, "mode_reason", json_string(why));
        ds_cli_print_json(doc);
        json_decref(doc);
    } else {
        ds_cli_printf(cli, "%s\n", snap->name);
    }
    return DS_EXIT_OK;
}

static int do_revert_delete(ds_cli *cli, const char *host, lab_target *t,
                            const char *name, bool revert)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_snapshot) found = NULL;
    int rc;

    /* NAME as the user gave it to create (driftsync-NAME) or in full. */
    rc = ds_snapshot_find(&found, t->dom, name, &err);
    if (rc == 0) {
        name = found->name;
        rc = revert ? ds_snapshot_revert(t->dom, name, &err)
                    : ds_snapshot_delete(t->dom, name, &err);
    }
    if (rc < 0) {
        ds_cli_error(cli, "%s: %s", host, err->message);
        return DS_EXIT_ERROR;
    }
    if (cli->json) {
        json_t *doc = json_pack("{s:s, s:s, s:s}", "host", host, "snapshot",
                                name, "action",
                                revert ? "reverted" : "deleted");

        ds_cli_print_json(doc);
        json_decref(doc);
    }
    if (revert)
        ds_cli_info(cli, "%s: lab %s reverted to %s; its recorded state is stale until the next sync",
                    host, t->domain, name);
    else
        ds_cli_info(cli, "%s: snapshot %s of lab %s deleted", host, name,
                    t->domain);
    return DS_EXIT_OK;
}

static int exec_snapshot(ds_cli *cli, int argc, char **argv)
{
    g_autofree char *mode_opt = NULL;
    g_autofree char *description = NULL;
    GOptionEntry entries[] = {
        {"mode", 'm', 0, G_OPTION_ARG_STRING, &mode_opt,
         "create: internal, overlay or auto (default: [lab] snapshots)",
         "MODE"},
        {"description", 'd', 0, G_OPTION_ARG_STRING, &description,
         "create: the snapshot's description", "TEXT"},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    g_autoptr(ds_config) cfg = NULL;
    lab_target t = {0};
    const char *action, *host, *name;
    int exit_code = DS_EXIT_OK;

    if (!ds_cli_parse(cli, &ds_cmd_snapshot_entry, entries, &argc, &argv,
                      &exit_code))
        return exit_code;
    if (argc < 3 || argc > 4) {
        ds_cli_error(cli, "snapshot: usage: driftsync snapshot list|create|revert|delete HOST [NAME]");
        return DS_EXIT_ERROR;
    }
    action = argv[1];
    host = argv[2];
    name = argc == 4 ? argv[3] : NULL;
    if (strcmp(action, "list") && strcmp(action, "create") &&
        strcmp(action, "revert") && strcmp(action, "delete")) {
        ds_cli_error(cli, "snapshot: unknown action '%s' (list, create, revert or delete)", action);
        return DS_EXIT_ERROR;
    }
    if (!strcmp(action, "list") && name) {
        ds_cli_error(cli, "snapshot list: takes HOST only");
        return DS_EXIT_ERROR;
    }
    if ((!strcmp(action, "revert") || !strcmp(action, "delete")) && !name) {
        ds_cli_error(cli, "snapshot %s: which snapshot? (driftsync snapshot list %s)", action, host);
        return DS_EXIT_ERROR;
    }
    /* Names are checked before anything is opened. */
    if (name && !ds_snapshot_name_is_safe(name)) {
        ds_cli_error(cli, "%s: snapshot name '%s' is not valid (letters, digits, '.', '_', '-'; at most %d characters; not starting with '-' or '.')",
                     host, name, DS_SNAPSHOT_NAME_MAX);
        return DS_EXIT_ERROR;
    }
    if (name && !strcmp(action, "create") && !ds_snapshot_name_is_ours(name) &&
        strlen(name) + strlen(DS_SNAPSHOT_PREFIX) > DS_SNAPSHOT_NAME_MAX) {
        ds_cli_error(cli, "%s: snapshot name '%s' is too long once prefixed with " DS_SNAPSHOT_PREFIX, host, name);
        return DS_EXIT_ERROR;
    }
    if (mode_opt && strcmp(action, "create")) {
        ds_cli_error(cli, "snapshot %s: --mode is for create only", action);
        return DS_EXIT_ERROR;
    }
    if (!(cfg = ds_cli_config(cli)))
        return DS_EXIT_ERROR;
    if (open_target(&t, cli, cfg, host) < 0) {
        close_target(&t);
        return DS_EXIT_ERROR;
    }
    if (!strcmp(action, "list"))
        exit_code = do_list(cli, host, &t);
    else if (!strcmp(action, "create"))
        exit_code = do_create(cli, cfg, host, &t, name, mode_opt, description);
    else
        exit_code = do_revert_delete(cli, host, &t, name,
                                     !strcmp(action, "revert"));
    close_target(&t);
    return exit_code;
}

const ds_cmd_entry ds_cmd_snapshot_entry = {
    .name = "snapshot",
    .args = "list|create|revert|delete HOST [NAME]",
    .summary = "List, take, revert to or delete the lab VM's snapshots.",
    .exec = exec_snapshot,
};
