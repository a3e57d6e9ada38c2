/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/tools/apply-tool.c: a small program the tests use to build the plan
 * from a lab and a prod manifest and run its package steps (the package
 * transaction, holds) through a transport, as sync does for each step:
 * with local:/ROOT the rpm platform's steps run on that root (dnf
 * --installroot), which sync, that needs a libvirt lab, cannot reach.
 *
 *   apply-tool [--cache DIR] LAB.json PROD.json URI
 *
 * Prints "step N: DESCRIPTION" per step run; a failed step prints its
 * command, exit status and output on stderr and exits 1.  Steps of the
 * other phases are listed as "skipped N: ..." (they act on the host's
 * own paths, not the root's).  Errors: "apply-tool: MESSAGE", exit
 * 100 - DS_E* code. */
#include <config.h>

#include <stdio.h>

#include "manifests/util/error.h"
#include "sync/engine/sync.h"
#include "sync/plan/plan.h"

static int fail(GError *error, int rc)
{
    fprintf(stderr, "apply-tool: %s\n", error ? error->message : "failed");
    return 100 - rc;
}

static bool is_package_step(const ds_action *a)
{
    return a->kind == DS_ACTION_PACKAGES || a->kind == DS_ACTION_VERSIONLOCK;
}

int main(int argc, char **argv)
{
    g_autofree char *cache = NULL;
    GOptionEntry entries[] = {
        {"cache", 0, 0, G_OPTION_ARG_FILENAME, &cache, "package cache",
         "DIR"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("LAB.json PROD.json URI");
    g_autoptr(ds_manifest) lab = NULL, prod = NULL;
    g_autoptr(ds_plan) plan = NULL;
    g_autoptr(ds_transport) t = NULL;
    g_autoptr(GError) error = NULL;
    ds_transport_options topts = {.host = "lab"};
    ds_plan_options popts = {0};
    int rc;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc != 4) {
        fprintf(stderr, "usage: apply-tool [--cache DIR] LAB.json PROD.json URI%s%s\n",
                error ? ": " : "", error ? error->message : "");
        return 2;
    }
    popts.package_cache = cache;
    if ((rc = ds_manifest_load(&lab, argv[1], &error)) < 0 ||
        (rc = ds_manifest_load(&prod, argv[2], &error)) < 0 ||
        (rc = ds_plan_build(&plan, lab, prod, &popts, &error)) < 0 ||
        (rc = ds_transport_open(&t, argv[3], &topts, &error)) < 0)
        return fail(error, rc);
    for (guint i = 0; i < plan->actions->len; i++) {
        const ds_action *a = plan->actions->pdata[i];
        ds_step_failure *f = NULL;

        if (!is_package_step(a)) {
            printf("skipped %u: %s\n", i + 1, a->description);
            continue;
        }
        printf("step %u: %s\n", i + 1, a->description);
        fflush(stdout);
        rc = ds_sync_apply_action(&f, t, a, i + 1, NULL, NULL, &error);
        if (f) {
            fprintf(stderr, "command: %s\nstatus: %d\n%s\n", f->command,
                    f->status, f->output ? f->output : "");
            ds_step_failure_free(f);
        }
        if (rc < 0) {
            fprintf(stderr, "apply-tool: %s\n", error->message);
            return 1;
        }
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
