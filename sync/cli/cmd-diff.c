/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/cmd-diff.c: `driftsync diff`: how each host's lab differs from
 * production (what a sync would change), or how a host changed between
 * two revisions, with -p the content diffs of changed files; exit 0 none,
 * 1 drift, 2 error, like diff(1). */
#include <config.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "manifests/content-diff.h"
#include "manifests/diff.h"
#include "manifests/util/error.h"
#include "manifests/store.h"
#include "sync/cli/cmd.h"

typedef struct diff_side {
    char *host;
    char *rev; /* as given, or NULL */
    char *oid; /* resolved */
    ds_role role;
    ds_manifest *m;
} diff_side;

static void diff_side_clear(diff_side *s)
{
    g_free(s->host);
    g_free(s->rev);
    g_free(s->oid);
    ds_manifest_free(s->m);
}

static json_t *side_json(const diff_side *s)
{
    return json_pack("{s:s, s:s, s:s?}", "host", s->host, "role",
                     ds_role_name(s->role), "revision", s->oid);
}

static void print_header(ds_cli *cli, const char *host, const char *what)
{
    ds_cli_printf(cli, "%s%s%s: %s\n", ds_cli_colour(cli, "bold"), host,
                  ds_cli_colour(cli, "reset"), what);
}

/* Read one side; ENOTFOUND is not an error here (m stays NULL). */
static int read_side(diff_side *s, ds_store *st, GError **err)
{
    int rc = ds_store_read(&s->m, st, s->oid, s->role, s->host, err);

    if (rc == DS_ENOTFOUND) {
        g_clear_error(err);
        return 0;
    }
    return rc;
}

/* With -p: the content diffs of changes (*out stays NULL without). */
static int content_diffs(GHashTable **out, const ds_cli_patch *p,
                         ds_store *st, const diff_side *from,
                         const diff_side *to, GPtrArray *changes,
                         GError **err)
{
    ds_content_diff_options o = ds_cli_patch_options(p);

    *out = NULL;
    if (!p->patch)
        return 0;
    return ds_content_diff_changes(out, st,
                                   &(ds_content_side){from->oid, from->m},
                                   &(ds_content_side){to->oid, to->m},
                                   changes, &o, err);
}

/* The JSON array of changes, each with its content diff when there is
 * one. */
static json_t *changes_json(GPtrArray *changes, GHashTable *patches)
{
    json_t *a = ds_cli_changes_json(changes);

    if (patches)
        ds_cli_patches_json(a, changes, patches);
    return a;
}

/* Compare two revisions: "diff HOST@REV HOST@REV". */
static int diff_revisions(ds_cli *cli, const ds_config *cfg, ds_store *st,
                          char **refs, const ds_cli_patch *p)
{
    diff_side sides[2] = {{0}};
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) changes = NULL;
    g_autoptr(GHashTable) patches = NULL;
    int code = DS_EXIT_ERROR;

    for (int i = 0; i < 2; i++) {
        diff_side *s = &sides[i];

        s->role = DS_ROLE_PROD;
        if (ds_cli_split_ref(&s->host, &s->rev, &s->role, refs[i], &err) < 0)
            goto fail;
        if (ds_store_resolve(&s->oid, st, s->rev, &err) < 0) {
            ds_error_prefix(&err, DS_ENOTFOUND, "%s: ", s->host);
            goto fail;
        }
        if (read_side(s, st, &err) < 0)
            goto fail;
        if (!s->m) {
            ds_error_set(&err, DS_ENOTFOUND, "%s: no %s manifest at %s (%.12s)",
                         s->host, ds_role_name(s->role), s->rev, s->oid);
            goto fail;
        }
    }
    if (ds_manifest_diff(&changes, sides[0].m, sides[1].m, cfg->ignore, &err) <
            0 ||
        content_diffs(&patches, p, st, &sides[0], &sides[1], changes, &err) <
            0)
        goto fail;

    if (cli->json) {
        json_t *o =
            json_pack("{s:o, s:o, s:b, s:o}", "from", side_json(&sides[0]),
                      "to", side_json(&sides[1]), "drift", changes->len > 0,
                      "changes", changes_json(changes, patches));

        ds_cli_print_json(o);
        json_decref(o);
    } else if (cli->verbosity >= 0 || changes->len) {
        g_autofree char *what = NULL;
        g_autofree char *from = g_strdup_printf(
            "%s%s@%.12s", sides[0].role == DS_ROLE_LAB ? "lab:" : "",
            sides[0].host, sides[0].oid);
        g_autofree char *to = g_strdup_printf(
            "%s%s@%.12s", sides[1].role == DS_ROLE_LAB ? "lab:" : "",
            sides[1].host, sides[1].oid);

        if (changes->len)
            what = g_strdup_printf("%u change%s from %s to %s", changes->len,
                                   changes->len == 1 ? "" : "s", from, to);
        else
            what = g_strdup_printf("no changes from %s to %s", from, to);
        print_header(cli, sides[0].host, what);
        ds_cli_print_changes_patched(cli, changes, patches,
                                     &(ds_cli_patch_labels){from, to}, "  ");
    }
    code = changes->len ? DS_EXIT_DIFF : DS_EXIT_OK;
    goto done;

fail:
    ds_cli_error_gerror(cli, err);
done:
    diff_side_clear(&sides[0]);
    diff_side_clear(&sides[1]);
    return code;
}

/* Lab against prod for one host at HEAD (oid).  Returns the exit code
 * for this host and adds its JSON object to `out` when given. */
static int diff_host(ds_cli *cli, const ds_config *cfg, ds_store *st,
                     const char *oid, const char *host, json_t *out,
                     const ds_cli_patch *p)
{
    diff_side lab = {
        .host = g_strdup(host), .oid = g_strdup(oid), .role = DS_ROLE_LAB};
    diff_side prod = {
        .host = g_strdup(host), .oid = g_strdup(oid), .role = DS_ROLE_PROD};
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) changes = NULL;
    g_autoptr(GHashTable) patches = NULL;
    const char *status;
    int code = DS_EXIT_ERROR;

    /* The bytes first: an identical pair is not parsed. */
    if (ds_store_roles_same_bytes(st, oid, host)) {
        status = "same";
        code = DS_EXIT_OK;
        if (!cli->json && cli->verbosity >= 0)
            print_header(cli, host, "lab matches prod");
        changes = g_ptr_array_new();
        goto report;
    }
    if (read_side(&prod, st, &err) < 0 || read_side(&lab, st, &err) < 0)
        goto fail;
    if (!prod.m && !lab.m) {
        ds_error_set(&err, DS_ENOTFOUND, "%s: no such host in the store", host);
        goto fail;
    }
    if (!prod.m || !lab.m) {
        status = prod.m ? "no-lab" : "no-prod";
        code = DS_EXIT_OK;
        if (!cli->json && cli->verbosity >= 0)
            print_header(cli, host,
                         prod.m ? "no lab manifest yet (nothing to compare; "
                                  "`driftsync sync` records one)"
                                : "no prod manifest (only a lab one)");
    } else {
        if (ds_manifest_diff(&changes, lab.m, prod.m, cfg->ignore, &err) <
                0 ||
            content_diffs(&patches, p, st, &lab, &prod, changes, &err) < 0)
            goto fail;
        status = changes->len ? "drift" : "same";
        code = changes->len ? DS_EXIT_DIFF : DS_EXIT_OK;
        if (!cli->json && changes->len) {
            g_autofree char *what =
                g_strdup_printf("%u difference%s (lab -> prod)", changes->len,
                                changes->len == 1 ? "" : "s");

            g_autofree char *lab_label = g_strconcat("lab/", host, NULL);
            g_autofree char *prod_label = g_strconcat("prod/", host, NULL);

            print_header(cli, host, what);
            ds_cli_print_changes_patched(
                cli, changes, patches,
                &(ds_cli_patch_labels){lab_label, prod_label}, "  ");
        } else if (!cli->json && cli->verbosity >= 0) {
            print_header(cli, host, "lab matches prod");
        }
    }
report:
    if (out)
        json_array_append_new(out, json_pack("{s:s, s:s, s:o, s:o, s:o}",
                                             "host", host, "status", status,
                                             "from", side_json(&lab), "to",
                                             side_json(&prod), "changes",
                                             changes_json(changes, patches)));
    goto done;

fail:
    ds_cli_error_gerror(cli, err);
    if (out)
        json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "host", host,
                                             "status", "error", "error",
                                             err ? err->message : "?"));
done:
    diff_side_clear(&lab);
    diff_side_clear(&prod);
    return code;
}

static int strcmp_ptr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every host with a prod or lab manifest at oid, sorted, unique. */
static int all_hosts(GPtrArray **out, ds_store *st, const char *oid,
                     GError **err)
{
    g_autoptr(GPtrArray) prod = NULL;
    g_autoptr(GPtrArray) lab = NULL;
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    if (ds_store_list_hosts(&prod, st, oid, DS_ROLE_PROD, err) < 0 ||
        ds_store_list_hosts(&lab, st, oid, DS_ROLE_LAB, err) < 0)
        return DS_EGENERIC;
    for (int r = 0; r < 2; r++) {
        GPtrArray *a = r ? lab : prod;

        for (guint i = 0; i < a->len; i++) {
            char *h = g_ptr_array_index(a, i);

            if (g_hash_table_add(seen, h))
                g_ptr_array_add(all, g_strdup(h));
        }
    }
    g_ptr_array_sort(all, strcmp_ptr);
    *out = g_steal_pointer(&all);
    return 0;
}

static int cmd_diff(ds_cli *cli, int argc, char **argv)
{
    g_autoptr(ds_config) cfg = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) hosts = NULL;
    g_autofree char *oid = NULL;
    json_t *out = NULL;
    int code = DS_EXIT_OK;
    bool named, drift = false;
    gboolean fetch = FALSE;
    ds_cli_patch patch = DS_CLI_PATCH_INIT;
    GOptionEntry entries[] = {
        DS_CLI_PATCH_ENTRIES(&patch),
        {"fetch", 0, 0, G_OPTION_ARG_NONE, &fetch,
         "Bring [store] remote's commits into the store first", NULL},
        {NULL}};

    ds_cli_patch_argv(&argc, &argv);
    if (!ds_cli_parse(cli, &ds_cmd_diff_entry, entries, &argc, &argv, &code))
        return code;
    if (!ds_cli_patch_check(cli, &patch, "diff"))
        return DS_EXIT_ERROR;
    named = argc > 1;
    for (int i = 1; i < argc; i++) {
        if (strchr(argv[i], '@') && argc != 3) {
            ds_cli_error(cli,
                         "diff: '%s': to compare revisions give two HOST@REV (see driftsync diff --help)",
                         argv[i]);
            return DS_EXIT_ERROR;
        }
    }
    if (!(cfg = ds_cli_config(cli)))
        return DS_EXIT_ERROR;
    if ((code = ds_cli_open_store(&st, cli, cfg)) != DS_EXIT_OK ||
        (fetch && (code = ds_cli_fetch_store(cli, "diff", cfg, st)) !=
                      DS_EXIT_OK))
        return code;
    if (argc == 3 && strchr(argv[1], '@') && strchr(argv[2], '@'))
        return diff_revisions(cli, cfg, st, argv + 1, &patch);
    if (argc == 3 && (strchr(argv[1], '@') || strchr(argv[2], '@'))) {
        ds_cli_error(cli, "diff: to compare revisions give two HOST@REV");
        return DS_EXIT_ERROR;
    }

    if (ds_store_resolve(&oid, st, "HEAD", &err) < 0) {
        if (ds_error_code_of(err) != DS_ENOTFOUND) {
            ds_cli_error_gerror(cli, err);
            return DS_EXIT_ERROR;
        }
        if (named) {
            ds_cli_error(cli, "%s: no such host (nothing recorded yet)",
                         argv[1]);
            return DS_EXIT_ERROR;
        }
        hosts = g_ptr_array_new_with_free_func(g_free);
    } else if (named) {
        hosts = g_ptr_array_new_with_free_func(g_free);
        for (int i = 1; i < argc; i++) {
            if (!ds_name_is_safe_host(argv[i])) {
                ds_cli_error(cli, "'%s' is not a valid host name", argv[i]);
                return DS_EXIT_ERROR;
            }
            g_ptr_array_add(hosts, g_strdup(argv[i]));
        }
    } else if (all_hosts(&hosts, st, oid, &err) < 0) {
        ds_cli_error_gerror(cli, err);
        return DS_EXIT_ERROR;
    }

    if (cli->json)
        out = json_array();
    code = DS_EXIT_OK;
    for (guint i = 0; i < hosts->len; i++) {
        int c = diff_host(cli, cfg, st, oid, g_ptr_array_index(hosts, i), out,
                          &patch);

        drift |= c == DS_EXIT_DIFF;
        code = MAX(code, c);
    }
    if (!cli->json && !hosts->len && cli->verbosity >= 0)
        ds_cli_printf(cli, "no hosts in the store\n");
    if (cli->json) {
        json_t *o = json_pack("{s:s?, s:b, s:o}", "revision", oid, "drift",
                              drift, "hosts", out);

        ds_cli_print_json(o);
        json_decref(o);
    }
    return code;
}

const ds_cmd_entry ds_cmd_diff_entry = {
    .name = "diff",
    .args = "[-p [-U N]] [HOST...] | HOST@REV HOST@REV",
    .summary = "Show how each lab differs from production (exit 1 on "
               "drift), or how a host changed between two revisions.",
    .exec = cmd_diff,
};
