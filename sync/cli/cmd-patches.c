/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/cmd-patches.c: `driftsync patches [--security] [--stored]
 * [HOST...]`: the updates pending on each production host from its own
 * repositories, security first, with their age, the held-back ones and
 * the age of the host's package lists; exit 1 when something is pending. */
#include <config.h>

#include <jansson.h>

#include "manifests/store.h"
#include "manifests/util/error.h"
#include "sync/cli/cmd.h"
#include "sync/jobs/patches.h"

/* "45 s", "12 min", "5 h", "3 d". */
static char *age(gint64 s)
{
    if (s < 0)
        return g_strdup("?");
    if (s < 120)
        return g_strdup_printf("%" G_GINT64_FORMAT " s", s);
    if (s < 2 * 3600)
        return g_strdup_printf("%" G_GINT64_FORMAT " min", s / 60);
    if (s < 2 * 86400)
        return g_strdup_printf("%" G_GINT64_FORMAT " h", s / 3600);
    return g_strdup_printf("%" G_GINT64_FORMAT " d", s / 86400);
}

static void print_patch(ds_cli *cli, const ds_patch *p, bool held,
                        gint64 now)
{
    g_autofree char *a = age(now - p->since);
    g_autofree char *from = NULL;
    g_autofree char *adv = NULL;

    if (p->severity || p->advisories) {
        g_autoptr(GString) g = g_string_new("  [");
        if (p->severity)
            g_string_append(g, p->severity);
        for (guint i = 0; p->advisories && i < p->advisories->len; i++)
            g_string_append_printf(g, "%s%s", g->len > 3 ? " " : "",
                                   (char *)p->advisories->pdata[i]);
        g_string_append_c(g, ']');
        adv = g_string_free(g_steal_pointer(&g), FALSE);
    }
    if (p->origin || p->suite)
        from = g_strdup_printf("  %s%s%s", p->origin ? p->origin : "",
                               p->origin && p->suite ? ":" : "",
                               p->suite ? p->suite : "");
    printf("  %s%-8s%s %s %s -> %s%s%s", ds_cli_colour(cli, held ? "yellow"
                                                       : p->security ? "red"
                                                                     : "bold"),
           held ? "held" : p->security ? "security" : "update",
           ds_cli_colour(cli, "reset"), p->name,
           p->installed ? p->installed : "?", p->version, from ? from : "",
           adv ? adv : "");
    if (held)
        printf("  (on hold: apt leaves it)\n");
    else
        printf("  pending for %s\n", a);
}

static void print_host(ds_cli *cli, const ds_patches_host *h,
                       const ds_config *cfg, gint64 now)
{
    g_autofree char *lists = age(h->lists_age);
    guint sec = 0;

    if (h->error) {
        ds_cli_error_gerror(cli, h->error);
        return;
    }
    for (guint i = 0; i < h->pending->len; i++)
        sec += ((ds_patch *)h->pending->pdata[i])->security;
    printf("%s%s%s: ", ds_cli_colour(cli, "bold"), h->host,
           ds_cli_colour(cli, "reset"));
    if (!h->known)
        printf("pending updates not known (the manifest has none: recorded "
               "before they were collected, or apt or dnf could not be asked)\n");
    else if (!h->pending->len)
        printf("nothing pending");
    else
        printf("%u pending (%u security)", h->pending->len, sec);
    if (h->known)
        printf(", %u held back; lists updated %s%s\n", h->held_back->len,
               h->lists_updated_at ? lists : "never",
               h->lists_updated_at ? " ago" : "");
    for (guint i = 0; i < h->pending->len; i++)
        print_patch(cli, h->pending->pdata[i], false, now);
    for (guint i = 0; i < h->held_back->len; i++)
        print_patch(cli, h->held_back->pdata[i], true, now);
    if (h->lists_stale) {
        g_autofree char *max = age(cfg->max_list_age);
        printf("  %sfinding%s: the package lists are %s old, older than "
               "[patches] max-list-age (%s): what is pending may be "
               "incomplete\n",
               ds_cli_colour(cli, "yellow"), ds_cli_colour(cli, "reset"),
               lists, max);
    }
}

static int cmd_patches(ds_cli *cli, int argc, char **argv)
{
    gboolean security = FALSE, stored = FALSE;
    GOptionEntry entries[] = {
        {"security", 's', 0, G_OPTION_ARG_NONE, &security,
         "Only security updates", NULL},
        {"stored", 0, 0, G_OPTION_ARG_NONE, &stored,
         "Read the store's production manifests instead of collecting the "
         "hosts",
         NULL},
        {NULL}};
    g_autoptr(ds_config) cfg = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(GPtrArray) hosts = NULL;
    g_autoptr(GError) err = NULL;
    ds_patches_options opts = {0};
    int code = DS_EXIT_OK;

    if (!ds_cli_parse(cli, &ds_cmd_patches_entry, entries, &argc, &argv,
                      &code))
        return code;
    for (int i = 1; i < argc; i++)
        if (!ds_name_is_safe_host(argv[i])) {
            ds_cli_error(cli, "patches: '%s' is not a host name", argv[i]);
            return DS_EXIT_ERROR;
        }
    if (!(cfg = ds_cli_config(cli)))
        return DS_EXIT_ERROR;
    opts.security_only = security;
    opts.stored = stored;
    opts.now = g_get_real_time() / G_USEC_PER_SEC;
    if (stored) {
        if ((code = ds_cli_open_store(&st, cli, cfg)) != DS_EXIT_OK)
            return code;
    } else if (ds_store_open(&st, cfg->store_path, &err) < 0) {
        /* live: without a store the ages start now */
        ds_cli_verbose(cli, "patches: no ages from the store: %s",
                       err->message);
        g_clear_error(&err);
    }
    if (ds_patches_run(&hosts, cfg, st, (const char *const *)argv + 1, &opts,
                       &err) < 0) {
        ds_cli_error(cli, "patches: %s", err->message);
        return DS_EXIT_ERROR;
    }
    code = ds_patches_exit(hosts);
    if (cli->json) {
        json_t *doc = ds_patches_to_json(hosts, opts.now);
        json_object_set_new(doc, "exit", json_integer(code));
        json_object_set_new(doc, "source",
                            json_string(stored ? "store" : "live"));
        ds_cli_print_json(doc);
        json_decref(doc);
        for (guint i = 0; i < hosts->len; i++) {
            const ds_patches_host *h = hosts->pdata[i];
            if (h->error)
                ds_cli_error_gerror(cli, h->error);
        }
        return code;
    }
    for (guint i = 0; i < hosts->len; i++)
        print_host(cli, hosts->pdata[i], cfg, opts.now);
    return code;
}

const ds_cmd_entry ds_cmd_patches_entry = {
    .name = "patches",
    .args = "[--security] [--stored] [HOST...]",
    .summary = "Updates pending on production hosts from their own "
               "repositories, security first, with their age",
    .exec = cmd_patches,
};
