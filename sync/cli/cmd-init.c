/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/cmd-init.c: `driftsync init`: create the store (a bare git
 * repository) at [store] path or --store. */
#include <config.h>

#include <jansson.h>
#include <stdio.h>

#include "manifests/util/error.h"
#include "manifests/store.h"
#include "manifests/store-remote.h"
#include "sync/cli/cmd.h"

static int cmd_init(ds_cli *cli, int argc, char **argv)
{
    g_autoptr(ds_config) cfg = NULL;
    g_autoptr(GError) err = NULL;
    int code = DS_EXIT_OK;
    g_autofree char *from = NULL;
    GOptionEntry entries[] = {
        {"from", 0, 0, G_OPTION_ARG_STRING, &from,
         "Make the store from the git remote URL (its commits fetched; "
         "credentials, known hosts and CA from [store] remote-*)",
         "URL"},
        {NULL}};
    int rc;

    if (!ds_cli_parse(cli, &ds_cmd_init_entry, entries, &argc, &argv, &code))
        return code;
    if (argc > 1) {
        ds_cli_error(cli,
                     "init: unexpected argument '%s' (the store path comes from --store or [store] path)",
                     argv[1]);
        return DS_EXIT_ERROR;
    }
    if (!(cfg = ds_cli_config(cli)))
        return DS_EXIT_ERROR;

    if (from) {
        ds_store_remote r = {from, cfg->store_remote_credentials,
                             cfg->store_remote_known_hosts,
                             cfg->store_remote_ca_file};

        rc = ds_store_init_from(cfg->store_path, &r, &err);
    } else {
        rc = ds_store_init(cfg->store_path, &err);
    }
    if (rc == 0 && cfg->store_group)
        rc = ds_store_share(cfg->store_path, cfg->store_group, &err);
    if (rc == DS_ECONFLICT) {
        /* "a store already exists there" only when one does. */
        ds_cli_error(cli, "%s; nothing done", err->message);
        return DS_EXIT_ERROR;
    }
    if (rc < 0) {
        ds_cli_error_gerror(cli, err);
        return DS_EXIT_ERROR;
    }
    if (cli->json) {
        json_t *o = json_pack("{s:s, s:b, s:s?}", "store", cfg->store_path,
                              "created", 1, "from", from);

        ds_cli_print_json(o);
        json_decref(o);
    } else if (cli->verbosity >= 0) {
        if (from)
            ds_cli_printf(cli, "Created the store %s from %s\n",
                          cfg->store_path, from);
        else
            ds_cli_printf(cli, "Created an empty store in %s\n",
                          cfg->store_path);
    }
    return DS_EXIT_OK;
}

const ds_cmd_entry ds_cmd_init_entry = {
    .name = "init",
    .args = "[--from URL]",
    .summary = "Create the store (a git repository) at [store] path or "
               "--store.",
    .exec = cmd_init,
};
