/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/cmd-bundle.c: `driftsync bundle list|show`: the tested patch
 * bundles kept in the store (bundles/NAME.json), and with --trials every
 * trial of a pending set, failed ones too (trials/HOST/RUN.json). */
#include <config.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "manifests/util/error.h"
#include "manifests/store-bundle.h"
#include "sync/cli/cmd.h"

#define BUNDLE_USAGE                                                         \
    "list [--trials] | show NAME [--format lines|json|apt] [--rev REV]"

/* The bundle as its stored document (a new reference). */
static json_t *bundle_json(const ds_bundle *b)
{
    g_autofree char *text = NULL;

    if (ds_bundle_format(&text, b, "json", NULL) < 0)
        return json_null();
    return json_loads(text, 0, NULL);
}

static guint checks_failed(const ds_bundle *b)
{
    guint n = 0;

    for (guint i = 0; i < b->checks->len; i++)
        n += ((ds_bundle_check *)b->checks->pdata[i])->status != 0;
    return n;
}

static int do_list(ds_cli *cli, ds_store *st, const char *rev, bool trials)
{
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(GError) err = NULL;

    if (ds_store_bundle_list(&all, st, rev, trials, &err) < 0) {
        ds_cli_error(cli, "bundle list: %s", err->message);
        return DS_EXIT_ERROR;
    }
    if (cli->json) {
        json_t *arr = json_array();

        for (guint i = 0; i < all->len; i++)
            json_array_append_new(arr, bundle_json(all->pdata[i]));
        json_t *doc = json_pack("{s:o}", trials ? "trials" : "bundles", arr);
        ds_cli_print_json(doc);
        json_decref(doc);
        return DS_EXIT_OK;
    }
    if (all->len == 0)
        ds_cli_info(cli, "no %s in the store", trials ? "trial" : "bundle");
    for (guint i = 0; i < all->len; i++) {
        const ds_bundle *b = all->pdata[i];
        guint n = g_hash_table_size(b->packages), failed = checks_failed(b);

        printf("%s%-24s%s %-16s %s  %3u package%s  %s%s%s%s\n",
               ds_cli_colour(cli, "bold"), trials ? b->run : b->name,
               ds_cli_colour(cli, "reset"), b->host, b->tested_at, n,
               n == 1 ? " " : "s",
               ds_cli_colour(cli, b->passed ? "green" : "red"),
               b->passed ? "passed" : "FAILED", ds_cli_colour(cli, "reset"),
               b->security_only ? "  security" : "");
        if (!b->passed && failed)
            printf("  %u check%s failed\n", failed, failed == 1 ? "" : "s");
        if (!b->passed && b->error)
            printf("  %s\n", b->error);
    }
    return DS_EXIT_OK;
}

static void print_human(ds_cli *cli, const ds_bundle *b)
{
    g_autoptr(GPtrArray) names = ds_bundle_package_names(b);

    printf("%sbundle %s%s: %s\n", ds_cli_colour(cli, "bold"), b->name,
           ds_cli_colour(cli, "reset"), b->passed ? "passed" : "FAILED");
    printf("  host %s, lab %s, tested %s (run %s)\n", b->host,
           b->lab ? b->lab : "?", b->tested_at, b->run ? b->run : "?");
    if (b->prod_revision)
        printf("  mirrors prod at %.12s\n", b->prod_revision);
    printf("  %u package%s%s:\n", names->len, names->len == 1 ? "" : "s",
           b->security_only ? " (security updates)" : "");
    for (guint i = 0; i < names->len; i++)
        printf("    %s=%s\n", (char *)names->pdata[i],
               (char *)g_hash_table_lookup(b->packages, names->pdata[i]));
    printf("  checks:\n");
    for (guint i = 0; i < b->checks->len; i++) {
        const ds_bundle_check *c = b->checks->pdata[i];
        printf("    %s%-4s%s %s\n", ds_cli_colour(cli, c->status ? "red" : "green"),
               c->status == 0 ? "ok" : c->status < 0 ? "-" : "FAIL",
               ds_cli_colour(cli, "reset"), c->command);
    }
}

static int do_show(ds_cli *cli, ds_store *st, const char *rev,
                   const char *name, const char *format)
{
    g_autoptr(ds_bundle) b = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *text = NULL;

    if (ds_store_bundle_read(&b, st, rev, name, &err) < 0) {
        ds_cli_error(cli, "bundle show: %s", err->message);
        return DS_EXIT_ERROR;
    }
    if (!format && !cli->json) {
        print_human(cli, b);
        return DS_EXIT_OK;
    }
    if (ds_bundle_format(&text, b, format ? format : "json", &err) < 0) {
        ds_cli_error(cli, "bundle show: %s", err->message);
        return DS_EXIT_ERROR;
    }
    fputs(text, stdout);
    return DS_EXIT_OK;
}

static int exec_bundle(ds_cli *cli, int argc, char **argv)
{
    g_autofree char *format = NULL, *rev = NULL;
    gboolean trials = FALSE;
    GOptionEntry entries[] = {
        {"format", 'f', 0, G_OPTION_ARG_STRING, &format,
         "show: lines (name=version), json (the stored document) or apt "
         "(the apt-get install line)", "FORMAT"},
        {"trials", 't', 0, G_OPTION_ARG_NONE, &trials,
         "list: every trial of a pending set, failed ones too", NULL},
        {"rev", 0, 0, G_OPTION_ARG_STRING, &rev,
         "the store revision to read (HEAD)", "REV"},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    g_autoptr(ds_config) cfg = NULL;
    g_autoptr(ds_store) st = NULL;
    int code = DS_EXIT_OK;
    bool list;

    if (!ds_cli_parse(cli, &ds_cmd_bundle_entry, entries, &argc, &argv, &code))
        return code;
    list = argc >= 2 && strcmp(argv[1], "list") == 0;
    if (argc < 2 || (list && argc != 2) ||
        (!list && (strcmp(argv[1], "show") || argc != 3))) {
        ds_cli_error(cli, "bundle: usage: driftsync bundle " BUNDLE_USAGE);
        return DS_EXIT_ERROR;
    }
    if ((list && format) || (!list && trials)) {
        ds_cli_error(cli, "bundle: --format is for show, --trials for list");
        return DS_EXIT_ERROR;
    }
    if (format && strcmp(format, "lines") && strcmp(format, "json") &&
        strcmp(format, "apt")) {
        ds_cli_error(cli, "bundle show: --format %s: expected lines, json or "
                          "apt", format);
        return DS_EXIT_ERROR;
    }
    if (!list && !ds_name_is_safe_host(argv[2])) {
        ds_cli_error(cli, "bundle show: '%s' is not a bundle name (letters, "
                          "digits, '.', '_', '-')", argv[2]);
        return DS_EXIT_ERROR;
    }
    if (!(cfg = ds_cli_config(cli)) ||
        ds_cli_open_store(&st, cli, cfg) != DS_EXIT_OK)
        return DS_EXIT_ERROR;
    return list ? do_list(cli, st, rev, trials)
                : do_show(cli, st, rev, argv[2], format);
}

const ds_cmd_entry ds_cmd_bundle_entry = {
    .name = "bundle",
    .args = BUNDLE_USAGE,
    .summary = "List the tested patch bundles kept in the store, or show one "
               "(as name=version lines, JSON, or the apt-get install line).",
    .exec = exec_bundle,
};
