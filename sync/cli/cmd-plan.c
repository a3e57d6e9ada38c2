/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/cmd-plan.c: `driftsync plan HOST`: the ordered actions that would
 * bring the host's lab VM to its prod manifest, numbered and grouped by
 * phase (-v: with the exact command of each), or --json; exit 0 nothing to
 * do, 1 actions, 2 error. */
#include <config.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "manifests/util/error.h"
#include "manifests/util/shell.h"
#include "manifests/store.h"
#include "sync/cli/cmd.h"
#include "sync/plan/plan.h"

/* Read ROLE/HOST at oid, with a message that says how to get one. */
static int read_manifest(ds_manifest **out, ds_store *st, const char *oid,
                         ds_role role, const char *host, GError **err)
{
    int rc = ds_store_read(out, st, oid, role, host, err);

    if (rc != DS_ENOTFOUND)
        return rc;
    g_clear_error(err);
    if (role == DS_ROLE_PROD)
        return ds_error_set(err, DS_ENOTFOUND,
                            "%s: no prod manifest in the store; run `driftsync record %s` first",
                            host, host);
    return ds_error_set(err, DS_ENOTFOUND,
                        "%s: no lab manifest in the store; record the lab first (`driftsync record --lab %s`)",
                        host, host);
}

static void print_plan(ds_cli *cli, const ds_plan *plan)
{
    const char *bold = ds_cli_colour(cli, "bold");
    const char *reset = ds_cli_colour(cli, "reset");
    int phase = -1;
    guint n = plan->actions->len;

    if (!n) {
        if (cli->verbosity >= 0)
            ds_cli_printf(cli, "%s%s%s: nothing to do, the lab matches prod\n",
                          bold, plan->host, reset);
        return;
    }
    ds_cli_printf(cli, "%s%s%s: %u step%s to bring the lab to prod", bold,
                  plan->host, reset, n, n == 1 ? "" : "s");
    if (plan->manual)
        ds_cli_printf(cli, " (%u by hand)", plan->manual);
    ds_cli_printf(cli, "\n");
    for (guint i = 0; i < n; i++) {
        const ds_action *a = g_ptr_array_index(plan->actions, i);
        bool manual = a->kind == DS_ACTION_MANUAL;

        if ((int)a->phase != phase) {
            phase = (int)a->phase;
            ds_cli_printf(cli, "  %s:\n", ds_plan_phase_name(a->phase));
        }
        ds_cli_printf(cli, "  %3u. %s%s%s%s\n", i + 1,
                      manual ? ds_cli_colour(cli, "yellow") : "",
                      manual ? "[by hand] " : "", a->description,
                      manual ? reset : "");
        for (guint j = 0; a->details && a->details[j]; j++)
            ds_cli_printf(cli, "         %s\n", a->details[j]);
        if (cli->verbosity >= 1 && a->argv) {
            g_autofree char *cmd =
                ds_shell_display((const char *const *)a->argv);

            ds_cli_printf(cli, "         $ %s%s\n", cmd,
                          a->data ? " <DATA" : "");
        }
        /* the repositories written, an rpm host's transaction lines */
        if (cli->verbosity >= 1 &&
            (a->kind == DS_ACTION_SOURCES_WRITE ||
             (a->kind == DS_ACTION_PACKAGES && a->argv &&
              !strcmp(a->argv[0], "dnf"))))
            for (guint j = 0; a->items && a->items[j]; j++)
                ds_cli_printf(cli, "           %s\n", a->items[j]);
    }
}

static int cmd_plan(ds_cli *cli, int argc, char **argv)
{
    gboolean verbose = FALSE;
    GOptionEntry entries[] = {{"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
                               "Show the command of each step", NULL},
                              {NULL}};
    g_autoptr(ds_config) cfg = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_manifest) prod = NULL;
    g_autoptr(ds_manifest) lab = NULL;
    g_autoptr(ds_plan) plan = NULL;
    g_autofree char *oid = NULL;
    const char *host;
    int code = DS_EXIT_OK;

    if (!ds_cli_parse(cli, &ds_cmd_plan_entry, entries, &argc, &argv, &code))
        return code;
    if (verbose && cli->verbosity < 1)
        cli->verbosity = 1;
    if (argc != 2) {
        ds_cli_error(cli, "plan: give exactly one HOST (see driftsync plan --help)");
        return DS_EXIT_ERROR;
    }
    host = argv[1];
    if (!ds_name_is_safe_host(host)) {
        ds_cli_error(cli, "'%s' is not a valid host name", host);
        return DS_EXIT_ERROR;
    }
    if (!(cfg = ds_cli_config(cli)))
        return DS_EXIT_ERROR;
    if ((code = ds_cli_open_store(&st, cli, cfg)) != DS_EXIT_OK)
        return code;
    if (ds_store_resolve(&oid, st, "HEAD", &err) < 0) {
        if (ds_error_code_of(err) == DS_ENOTFOUND) {
            ds_cli_error(cli, "%s: no such host (nothing recorded yet)", host);
            return DS_EXIT_ERROR;
        }
        goto fail;
    }
    if (read_manifest(&prod, st, oid, DS_ROLE_PROD, host, &err) < 0 ||
        read_manifest(&lab, st, oid, DS_ROLE_LAB, host, &err) < 0 ||
        ds_plan_build(&plan, lab, prod,
                      &(ds_plan_options){.ignore = cfg->ignore,
                                         .package_cache = cfg->package_cache},
                      &err) < 0 ||
        ds_plan_load_contents(plan, st, oid, &err) < 0)
        goto fail;

    if (cli->json) {
        json_t *o = ds_plan_to_json(plan);

        json_object_set_new(o, "revision", json_string(oid));
        ds_cli_print_json(o);
        json_decref(o);
    } else {
        print_plan(cli, plan);
    }
    return ds_plan_is_empty(plan) ? DS_EXIT_OK : DS_EXIT_DIFF;

fail:
    ds_cli_error_gerror(cli, err);
    return DS_EXIT_ERROR;
}

const ds_cmd_entry ds_cmd_plan_entry = {
    .name = "plan",
    .args = "HOST",
    .summary = "Show the ordered actions that would bring HOST's lab to "
               "production (exit 1 when there are some).",
    .exec = cmd_plan,
};
