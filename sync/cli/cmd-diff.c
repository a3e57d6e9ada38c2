/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/cmd-diff.c: `driftsync diff`: how each host's lab differs from
 * production (what a sync would change), or how a host changed between
 * two revisions, or how two hosts differ; in full (with -p the content
 * diffs of changed files), as counts per host (--stat) or as names for
 * scripts (--name-only); exit 0 none, 1 drift, 2 error, like diff(1). */
#include <config.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "manifests/content-diff.h"
#include "manifests/diff.h"
#include "manifests/drift.h"
#include "manifests/util/error.h"
#include "manifests/store.h"
#include "sync/cli/cmd.h"

typedef enum { DIFF_FULL, DIFF_STAT, DIFF_NAMES } diff_format;

typedef struct diff_opts {
    diff_format format;
    const ds_cli_patch *patch; /* -p, -U N */
} diff_opts;

/* What the hosts of one `diff` came to, for the closing line. */
typedef struct diff_tally {
    guint hosts, drift, same, no_lab, no_prod, error, differences;
} diff_tally;

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

/* "packages 3, files 1": the changes counted by category, in order. */
static char *category_counts(GPtrArray *changes)
{
    guint n[DS_CAT_COUNT] = {0};
    GString *s = g_string_new(NULL);

    for (guint i = 0; changes && i < changes->len; i++) {
        const ds_change *c = g_ptr_array_index(changes, i);

        n[c->category < DS_CAT_COUNT ? c->category : DS_CAT_KERNEL]++;
    }
    for (int c = 0; c < DS_CAT_COUNT; c++)
        if (n[c])
            g_string_append_printf(s, "%s%s %u", s->len ? ", " : "",
                                   ds_category_name(c), n[c]);
    return g_string_free(s, FALSE);
}

/* A name for a script's line: backslash, tab and newline escaped. */
static char *name_field(const char *name)
{
    GString *s = g_string_new(NULL);

    for (const char *p = name ? name : ""; *p; p++) {
        if (*p == '\\')
            g_string_append(s, "\\\\");
        else if (*p == '\t')
            g_string_append(s, "\\t");
        else if (*p == '\n')
            g_string_append(s, "\\n");
        else
            g_string_append_c(s, *p);
    }
    return g_string_free(s, FALSE);
}

/* The changes of one host (or one pair of revisions) in the chosen
 * format: a header and the changes; "HOST: what (counts)"; or one
 * "HOST<TAB>CATEGORY<TAB>NAME" line per change. */
static void print_changes_as(ds_cli *cli, diff_format format,
                             const char *host, const char *what,
                             GPtrArray *changes, GHashTable *patches,
                             const ds_cli_patch_labels *labels)
{
    if (format == DIFF_NAMES) {
        for (guint i = 0; i < changes->len; i++) {
            const ds_change *c = g_ptr_array_index(changes, i);
            g_autofree char *name = name_field(c->name);

            ds_cli_printf(cli, "%s\t%s\t%s\n", host,
                          ds_category_name(c->category), name);
        }
        return;
    }
    if (format == DIFF_STAT) {
        g_autofree char *counts = category_counts(changes);

        ds_cli_printf(cli, "%s: %s%s%s\n", host, what, *counts ? ": " : "",
                      counts);
        return;
    }
    print_header(cli, host, what);
    ds_cli_print_changes_patched(cli, changes, patches, labels, "  ");
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

/* "web01@abc123def456", "lab:web01@abc123def456". */
static char *side_label(const diff_side *s, bool with_rev)
{
    return g_strdup_printf("%s%s%s%.12s", s->role == DS_ROLE_LAB ? "lab:" : "",
                           s->host, with_rev ? "@" : "",
                           with_rev ? s->oid : "");
}

/* Which words the changes of two sides take: none (one host at two
 * times: installed, upgraded...), two hosts ("only on db01"), or one
 * host's lab and prod ("the lab lacks"). */
static const char *comparison_of(ds_change_sides *cs, char **labels,
                                 const diff_side *a, const diff_side *b)
{
    if (strcmp(a->host, b->host) != 0) {
        labels[0] = side_label(a, false);
        labels[1] = side_label(b, false);
        *cs = (ds_change_sides){labels[0], labels[1], 0};
        return "hosts";
    }
    if (a->role != b->role) {
        *cs = (ds_change_sides){a->role == DS_ROLE_LAB ? "the lab" : "prod",
                                b->role == DS_ROLE_LAB ? "the lab" : "prod",
                                a->role == DS_ROLE_LAB ? 1 : 2};
        return "lab-prod";
    }
    return "time";
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
                          char **refs, const diff_opts *opts)
{
    diff_side sides[2] = {{0}};
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) changes = NULL;
    g_autoptr(GHashTable) patches = NULL;
    ds_change_sides cs = {0};
    char *labels[2] = {NULL, NULL};
    const char *comparison;
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
        content_diffs(&patches, opts->patch, st, &sides[0], &sides[1], changes,
                      &err) < 0)
        goto fail;
    comparison = comparison_of(&cs, labels, &sides[0], &sides[1]);

    if (cli->json) {
        json_t *o = json_pack("{s:o, s:o, s:s, s:b, s:o}", "from",
                              side_json(&sides[0]), "to", side_json(&sides[1]),
                              "comparison", comparison, "drift",
                              changes->len > 0, "changes",
                              changes_json(changes, patches));

        ds_cli_print_json(o);
        json_decref(o);
    } else if (cli->verbosity >= 0 || changes->len) {
        g_autofree char *what = NULL;
        g_autofree char *from = side_label(&sides[0], true);
        g_autofree char *to = side_label(&sides[1], true);
        bool time = strcmp(comparison, "time") == 0;
        const char *noun = time ? "change" : "difference";

        if (changes->len)
            what = g_strdup_printf("%u %s%s %s %s %s %s", changes->len, noun,
                                   changes->len == 1 ? "" : "s",
                                   time ? "from" : "between", from,
                                   time ? "to" : "and", to);
        else
            what = g_strdup_printf("no %ss %s %s %s %s", noun,
                                   time ? "from" : "between", from,
                                   time ? "to" : "and", to);
        print_changes_as(cli, opts->format, sides[0].host, what, changes, patches,
                         &(ds_cli_patch_labels){from, to, time ? NULL : &cs});
    }
    code = changes->len ? DS_EXIT_DIFF : DS_EXIT_OK;
    goto done;

fail:
    ds_cli_error_gerror(cli, err);
done:
    diff_side_clear(&sides[0]);
    diff_side_clear(&sides[1]);
    g_free(labels[0]);
    g_free(labels[1]);
    return code;
}

/* Lab against prod for one host at HEAD (oid), as ds_drift_hosts found
 * it: printed, counted in tally, and its JSON object added to `out` when
 * given.  Returns the exit code for this host. */
static int diff_host(ds_cli *cli, const char *oid, const ds_drift *d,
                     const diff_opts *opts, diff_tally *tally, json_t *out)
{
    static const ds_change_sides lab_prod = {"the lab", "prod", 1};
    const char *host = d->host;
    diff_side lab = {.host = (char *)host, .oid = (char *)oid,
                     .role = DS_ROLE_LAB};
    diff_side prod = {.host = (char *)host, .oid = (char *)oid,
                      .role = DS_ROLE_PROD};
    diff_format format = opts->format;
    bool text = !cli->json && format != DIFF_NAMES;
    guint n = d->changes ? d->changes->len : 0;

    tally->hosts++;
    switch (d->status) {
    case DS_DRIFT_ERROR:
        tally->error++;
        ds_cli_error_gerror(cli, d->error);
        if (out)
            json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "host",
                                                 host, "status", "error",
                                                 "error", d->error->message));
        return DS_EXIT_ERROR;
    case DS_DRIFT_NO_LAB:
    case DS_DRIFT_NO_PROD: {
        bool has_prod = d->status == DS_DRIFT_NO_LAB;

        if (has_prod)
            tally->no_lab++;
        else
            tally->no_prod++;
        if (text && cli->verbosity >= 0)
            print_header(cli, host,
                         format == DIFF_STAT
                             ? (has_prod ? "no lab manifest" : "no prod manifest")
                         : has_prod ? "no lab manifest yet (nothing to compare; "
                                      "`driftsync sync` records one)"
                                    : "no prod manifest (only a lab one)");
        break;
    }
    case DS_DRIFT_SAME:
        tally->same++;
        if (text && cli->verbosity >= 0)
            print_header(cli, host, "lab matches prod");
        break;
    case DS_DRIFT_DIFFERS: {
        g_autofree char *what = g_strdup_printf(
            "%u difference%s%s", n, n == 1 ? "" : "s",
            format == DIFF_STAT ? "" : " (lab -> prod)");
        g_autofree char *lab_label = g_strconcat("lab/", host, NULL);
        g_autofree char *prod_label = g_strconcat("prod/", host, NULL);

        tally->differences += n;
        tally->drift++;
        if (!cli->json)
            print_changes_as(
                cli, format, host, what, d->changes, d->patches,
                &(ds_cli_patch_labels){lab_label, prod_label, &lab_prod});
        break;
    }
    }
    if (out) {
        g_autoptr(GPtrArray) none = g_ptr_array_new();

        json_array_append_new(
            out, json_pack("{s:s, s:s, s:o, s:o, s:o}", "host", host, "status",
                           ds_drift_status_name(d->status), "from",
                           side_json(&lab), "to", side_json(&prod), "changes",
                           changes_json(d->changes ? d->changes : none,
                                        d->patches)));
    }
    return n ? DS_EXIT_DIFF : DS_EXIT_OK;
}

typedef struct {
    ds_cli *cli;
    const char *oid;
    const diff_opts *opts;
    diff_tally *tally;
    json_t *out;
    bool *drift;
    int code;
} hosts_ctx;

static void host_done(const ds_drift *r, void *data)
{
    hosts_ctx *c = data;
    int code = diff_host(c->cli, c->oid, r, c->opts, c->tally, c->out);

    *c->drift |= code == DS_EXIT_DIFF;
    c->code = MAX(c->code, code);
}

/* Every host of `hosts`: their drift, printed in order as it comes. */
static int diff_hosts(ds_cli *cli, const ds_config *cfg, ds_store *st,
                      const char *oid, GPtrArray *hosts, const diff_opts *opts,
                      diff_tally *tally, json_t *out, bool *drift)
{
    ds_content_diff_options content = ds_cli_patch_options(opts->patch);
    ds_drift_options dopts = {cfg->ignore,
                              opts->patch->patch ? &content : NULL, true};
    hosts_ctx c = {cli, oid, opts, tally, out, drift, DS_EXIT_OK};

    ds_drift_each(st, oid, (char *const *)hosts->pdata, hosts->len, &dopts,
                  host_done, &c);
    return c.code;
}

/* The closing line of `diff` over every host: "4 hosts: 2 drifted (7
 * differences), 1 in sync, 1 without a lab manifest". */
static void print_tally(ds_cli *cli, const diff_tally *t)
{
    g_autoptr(GString) s = g_string_new(NULL);

    g_string_printf(s, "%u host%s: %u drifted (%u difference%s), %u in sync",
                    t->hosts, t->hosts == 1 ? "" : "s", t->drift,
                    t->differences, t->differences == 1 ? "" : "s", t->same);
    if (t->no_lab)
        g_string_append_printf(s, ", %u without a lab manifest", t->no_lab);
    if (t->no_prod)
        g_string_append_printf(s, ", %u without a prod manifest", t->no_prod);
    if (t->error)
        g_string_append_printf(s, ", %u error%s", t->error,
                               t->error == 1 ? "" : "s");
    ds_cli_printf(cli, "%s\n", s->str);
}

static json_t *tally_json(const diff_tally *t)
{
    return json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "hosts",
                     (int)t->hosts, "drift", (int)t->drift, "same",
                     (int)t->same, "no_lab", (int)t->no_lab, "no_prod",
                     (int)t->no_prod, "error", (int)t->error, "differences",
                     (int)t->differences);
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

/* --stat and --name-only: one of them, and not with --json (which has
 * everything).  DIFF_FULL, DIFF_STAT or DIFF_NAMES, or -1 (printed). */
static int format_of(ds_cli *cli, gboolean stat, gboolean names,
                     const ds_cli_patch *patch)
{
    if ((stat || names) && patch->patch) {
        ds_cli_error(cli, "diff: -p shows changes in full; it does not go with --%s", stat ? "stat" : "name-only");
        return -1;
    }
    if (stat && names) {
        ds_cli_error(cli, "diff: --stat and --name-only do not go together");
        return -1;
    }
    if ((stat || names) && cli->json) {
        ds_cli_error(cli, "diff: --%s is for text output; --json gives every change with its values", stat ? "stat" : "name-only");
        return -1;
    }
    return stat ? DIFF_STAT : names ? DIFF_NAMES : DIFF_FULL;
}

static int cmd_diff(ds_cli *cli, int argc, char **argv)
{
    gboolean stat = FALSE, names = FALSE, fetch = FALSE;
    ds_cli_patch patch = DS_CLI_PATCH_INIT;
    GOptionEntry entries[] = {
        DS_CLI_PATCH_ENTRIES(&patch),
        {"stat", 0, 0, G_OPTION_ARG_NONE, &stat,
         "One line per host: the differences counted by category", NULL},
        {"name-only", 0, 0, G_OPTION_ARG_NONE, &names,
         "One line per difference for scripts: HOST, category and name, "
         "tab-separated",
         NULL},
        {"fetch", 0, 0, G_OPTION_ARG_NONE, &fetch,
         "Bring [store] remote's commits into the store first", NULL},
        {NULL}};
    g_autoptr(ds_config) cfg = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) hosts = NULL;
    g_autofree char *oid = NULL;
    json_t *out = NULL;
    diff_tally tally = {0};
    int code = DS_EXIT_OK, format;
    diff_opts opts;
    bool named, drift = false;

    ds_cli_patch_argv(&argc, &argv);
    if (!ds_cli_parse(cli, &ds_cmd_diff_entry, entries, &argc, &argv, &code))
        return code;
    if (!ds_cli_patch_check(cli, &patch, "diff") ||
        (format = format_of(cli, stat, names, &patch)) < 0)
        return DS_EXIT_ERROR;
    opts = (diff_opts){(diff_format)format, &patch};
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
        return diff_revisions(cli, cfg, st, argv + 1, &opts);
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
    code = diff_hosts(cli, cfg, st, oid, hosts, &opts, &tally, out, &drift);
    if (!cli->json && !hosts->len && cli->verbosity >= 0 &&
        format != DIFF_NAMES)
        ds_cli_printf(cli, "no hosts in the store\n");
    else if (!cli->json && !named && cli->verbosity >= 0 &&
             format != DIFF_NAMES)
        print_tally(cli, &tally);
    if (cli->json) {
        json_t *o = json_pack("{s:s?, s:b, s:o, s:o}", "revision", oid,
                              "drift", drift, "summary", tally_json(&tally),
                              "hosts", out);

        ds_cli_print_json(o);
        json_decref(o);
    }
    return code;
}

const ds_cmd_entry ds_cmd_diff_entry = {
    .name = "diff",
    .args = "[-p [-U N]|--stat|--name-only] [HOST...] | HOST@REV HOST@REV",
    .summary = "Show how each lab differs from production (exit 1 on "
               "drift), or how a host changed between two revisions, or how "
               "two hosts differ.",
    .exec = cmd_diff,
};
