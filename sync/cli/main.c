/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/main.c: driftsync's entry point: global options, then the verb. */
#include <config.h>

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sync/cli/cmd.h"

static const ds_cmd_entry *const commands[] = {
    &ds_cmd_init_entry, &ds_cmd_record_entry, &ds_cmd_show_entry,
    &ds_cmd_diff_entry, &ds_cmd_log_entry, &ds_cmd_snapshot_entry,
    &ds_cmd_plan_entry, &ds_cmd_trial_entry, &ds_cmd_sync_entry,
    &ds_cmd_mirror_entry, &ds_cmd_audit_entry, &ds_cmd_report_entry,
    &ds_cmd_bundle_entry,
    &ds_cmd_patches_entry,
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: driftsync [--config FILE] [--store DIR] [-v|-q] "
               "[--json] VERB [ARGS...]\n\n"
               "Keep a test lab a faithful mirror of production.\n\n"
               "Verbs:\n");
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(f, "  %s%s%s\n      %s\n", commands[i]->name,
                *commands[i]->args ? " " : "", commands[i]->args,
                commands[i]->summary);
    fprintf(f, "\nGlobal options:\n"
               "  -c, --config FILE  configuration file "
               "(default " DS_DEFAULT_CONFIG ")\n"
               "  -s, --store DIR    the store (overrides [store] path)\n"
               "  -v, --verbose      more detail (repeat for more)\n"
               "  -q, --quiet        errors only\n"
               "      --json         machine-readable output\n"
               "      --color WHEN   auto (on a terminal, unless NO_COLOR "
               "is set), always, never\n"
               "  -h, --help         this help; `driftsync VERB --help` for "
               "a verb\n"
               "      --version      print the version\n\n"
               "See driftsync(1) and driftsync.conf(5).\n");
}

int main(int argc, char **argv)
{
    ds_cli cli = {.prog = "driftsync"};
    const char *colour = "auto";
    int i;

    setlocale(LC_ALL, "");
    /* A peer that goes away (libvirtd, ssh, a closed pipe) must give a
     * clear error from the failing call, not a silent death. */
    signal(SIGPIPE, SIG_IGN);
    g_set_prgname(cli.prog);
    /* Global options before the verb are parsed by hand so that the
     * verb's own options are left for it; after the verb, ds_cli_parse
     * takes those the verb does not use itself. */
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        const char **slot = NULL;

        if (!strcmp(a, "--")) {
            i++;
            break;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return DS_EXIT_OK;
        } else if (!strcmp(a, "--version")) {
            printf("driftsync %s\n", PACKAGE_VERSION);
            return DS_EXIT_OK;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            cli.verbosity = cli.verbosity < 0 ? 1 : cli.verbosity + 1;
        } else if (!strcmp(a, "-vv")) {
            cli.verbosity = 2;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            cli.verbosity = -1;
        } else if (!strcmp(a, "--json")) {
            cli.json = true;
        } else if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
            slot = &cli.config_file;
            cli.config_given = true;
        } else if (!strncmp(a, "--config=", 9)) {
            cli.config_file = a + 9;
            cli.config_given = true;
        } else if (!strncmp(a, "--color=", 8)) {
            colour = a + 8;
        } else if (!strcmp(a, "--color")) {
            slot = &colour;
        } else if (!strcmp(a, "-s") || !strcmp(a, "--store")) {
            slot = &cli.store_dir;
        } else if (!strncmp(a, "--store=", 8)) {
            cli.store_dir = a + 8;
        } else {
            ds_cli_error(&cli, "unknown option '%s' (see driftsync --help)", a);
            return DS_EXIT_ERROR;
        }
        if (slot) {
            if (i + 1 >= argc) {
                ds_cli_error(&cli, "option '%s' needs a value", a);
                return DS_EXIT_ERROR;
            }
            *slot = argv[++i];
        }
    }
    if (i >= argc) {
        usage(stderr);
        return DS_EXIT_ERROR;
    }
    if (!ds_cli_set_colour(&cli, colour)) {
        ds_cli_error(&cli, "--color: expected auto, always or never, got '%s'", colour);
        return DS_EXIT_ERROR;
    }
    cli.progress = isatty(STDERR_FILENO) && cli.verbosity >= 0;

    for (gsize c = 0; c < G_N_ELEMENTS(commands); c++)
        if (!strcmp(argv[i], commands[c]->name))
            return commands[c]->exec(&cli, argc - i, argv + i);
    ds_cli_error(&cli, "unknown verb '%s' (see driftsync --help)", argv[i]);
    return DS_EXIT_ERROR;
}
