/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/cmd-log.c: `driftsync log HOST`: the commits that changed a host,
 * newest first, each with its semantic changes (after ignore rules) and,
 * with -p, the content diffs of its changed files. */
#include <config.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "manifests/content-diff.h"
#include "manifests/diff.h"
#include "manifests/util/error.h"
#include "manifests/store.h"
#include "sync/cli/cmd.h"

/* "2026-11-01", "2026-11-01T12:00:00[Z|+01:00]" (no zone: local time, as
 * the store's date revisions) or "@SECONDS". */
static int parse_since(gint64 *out, const char *s, GError **err)
{
    g_autoptr(GDateTime) dt = NULL;
    g_autoptr(GTimeZone) local = g_time_zone_new_local();
    guint64 n;

    if (s[0] == '@' &&
        g_ascii_string_to_unsigned(s + 1, 10, 0, G_MAXINT64, &n, NULL)) {
        *out = (gint64)n;
        return 0;
    }
    if (strlen(s) == 10) {
        g_autofree char *full = g_strdup_printf("%sT00:00:00", s);

        dt = g_date_time_new_from_iso8601(full, local);
    } else {
        dt = g_date_time_new_from_iso8601(s, local);
    }
    if (!dt)
        return ds_error_set(err, DS_EINVALID,
                            "--since: '%s' is not a date (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z], or @SECONDS)",
                            s);
    *out = g_date_time_to_unix(dt);
    return 0;
}

static char *format_time(gint64 t, const char *fmt)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(t);

    return dt ? g_date_time_format(dt, fmt) : g_strdup("?");
}

/* Whether the host had no manifest before this commit. */
static bool is_first_record(ds_store *st, const ds_history_entry *e,
                            ds_role role, const char *host)
{
    g_autofree char *parent = g_strdup_printf("%s~1", e->oid);
    g_autofree char *poid = NULL;
    g_autoptr(ds_manifest) m = NULL;

    if (ds_store_resolve(&poid, st, parent, NULL) < 0)
        return true;
    return ds_store_read(&m, st, poid, role, host, NULL) == DS_ENOTFOUND;
}

/* With -p, an entry's content diffs: its commit's manifest against its
 * parent's (the changes were computed between the same two).  *parent
 * gets the parent's id, NULL for the first commit. */
typedef struct entry_patch {
    GHashTable *patches; /* ds_change * -> ds_content_diff *, or NULL */
    char *old_label, *new_label;
} entry_patch;

static void entry_patch_clear(entry_patch *ep)
{
    g_clear_pointer(&ep->patches, g_hash_table_unref);
    g_clear_pointer(&ep->old_label, g_free);
    g_clear_pointer(&ep->new_label, g_free);
}

static int entry_patches(entry_patch *ep, ds_store *st,
                         const ds_history_entry *e, ds_role role,
                         const char *host, const ds_cli_patch *p,
                         GError **err)
{
    g_autofree char *parent_rev = g_strdup_printf("%s~1", e->oid);
    g_autofree char *parent = NULL;
    g_autoptr(ds_manifest) old_m = NULL;
    g_autoptr(ds_manifest) new_m = NULL;
    ds_content_diff_options o = ds_cli_patch_options(p);
    int rc;

    *ep = (entry_patch){0};
    if (!p->patch || !e->changes->len)
        return 0;
    if ((rc = ds_store_read(&new_m, st, e->oid, role, host, err)) < 0 &&
        rc != DS_ENOTFOUND)
        return rc;
    g_clear_error(err);
    if (ds_store_resolve(&parent, st, parent_rev, NULL) == 0 &&
        (rc = ds_store_read(&old_m, st, parent, role, host, err)) < 0 &&
        rc != DS_ENOTFOUND)
        return rc;
    g_clear_error(err);
    ep->old_label = g_strdup_printf("%s@%.12s", host, parent ? parent : "0");
    ep->new_label = g_strdup_printf("%s@%.12s", host, e->oid);
    return ds_content_diff_changes(&ep->patches, st,
                                   &(ds_content_side){parent, old_m},
                                   &(ds_content_side){e->oid, new_m},
                                   e->changes, &o, err);
}

static void print_entry(ds_cli *cli, ds_store *st, const ds_history_entry *e,
                        ds_role role, const char *host, bool oldest,
                        const entry_patch *ep)
{
    g_autofree char *when = format_time(e->time, "%Y-%m-%d %H:%M %z");

    ds_cli_printf(cli, "%s%.12s%s  %s  %s\n", ds_cli_colour(cli, "yellow"),
                  e->oid, ds_cli_colour(cli, "reset"), when,
                  e->summary ? e->summary : "");
    if (oldest && cli->verbosity < 1 && e->changes->len > 10 &&
        is_first_record(st, e, role, host)) {
        guint n[DS_CAT_COUNT] = {0};

        for (guint i = 0; i < e->changes->len; i++) {
            const ds_change *c = g_ptr_array_index(e->changes, i);

            if (c->category < DS_CAT_COUNT)
                n[c->category]++;
        }
        ds_cli_printf(cli,
                      "    first record: %u packages, %u sources, %u files, %u "
                      "services (-v lists them)\n",
                      n[DS_CAT_PACKAGES], n[DS_CAT_SOURCES], n[DS_CAT_FILES],
                      n[DS_CAT_SERVICES]);
        return;
    }
    if (!e->changes->len)
        ds_cli_printf(cli, "    (no changes after ignore rules)\n");
    for (guint i = 0; i < e->changes->len; i++)
        ds_cli_print_change_patched(
            cli, g_ptr_array_index(e->changes, i), ep->patches,
            &(ds_cli_patch_labels){ep->old_label, ep->new_label}, "    ");
}

static json_t *entry_json(const ds_history_entry *e, const entry_patch *ep)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(e->time);
    g_autofree char *iso =
        dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : NULL;
    json_t *changes = ds_cli_changes_json(e->changes);

    if (ep->patches)
        ds_cli_patches_json(changes, e->changes, ep->patches);
    return json_pack("{s:s, s:s?, s:I, s:s?, s:s?, s:o}", "commit", e->oid,
                     "date", iso, "time", (json_int_t)e->time, "summary",
                     e->summary, "run", e->run_id, "changes", changes);
}

static int cmd_log(ds_cli *cli, int argc, char **argv)
{
    gboolean lab = FALSE;
    char *since_arg = NULL;
    int limit = 0;
    ds_cli_patch patch = DS_CLI_PATCH_INIT;
    GOptionEntry entries[] = {
        DS_CLI_PATCH_ENTRIES(&patch),
        {"lab", 'l', 0, G_OPTION_ARG_NONE, &lab,
         "The lab manifest's history instead of production's", NULL},
        {"since", 0, 0, G_OPTION_ARG_STRING, &since_arg,
         "Only commits at or after DATE (YYYY-MM-DD, ISO 8601, @SECONDS)",
         "DATE"},
        {"limit", 'n', 0, G_OPTION_ARG_INT, &limit, "At most N commits", "N"},
        {NULL}};
    g_autoptr(ds_config) cfg = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) entries_out = NULL;
    g_autofree char *host = NULL;
    g_autofree char *rev = NULL;
    ds_role role;
    gint64 since = 0;
    int code = DS_EXIT_OK;

    if (!ds_cli_parse(cli, &ds_cmd_log_entry, entries, &argc, &argv, &code))
        goto done;
    code = DS_EXIT_ERROR;
    if (!ds_cli_patch_check(cli, &patch, "log"))
        goto done;
    if (argc != 2) {
        ds_cli_error(cli, "log: expected one HOST (see driftsync log --help)");
        goto done;
    }
    if (limit < 0) {
        ds_cli_error(cli, "log: --limit must not be negative");
        goto done;
    }
    role = lab ? DS_ROLE_LAB : DS_ROLE_PROD;
    if (ds_cli_split_ref(&host, &rev, &role, argv[1], &err) < 0 ||
        (since_arg && parse_since(&since, since_arg, &err) < 0)) {
        ds_cli_error_gerror(cli, err);
        goto done;
    }
    if (rev) {
        ds_cli_error(cli, "log: %s: give the host without @REV", host);
        goto done;
    }
    if (!(cfg = ds_cli_config(cli)))
        goto done;
    if ((code = ds_cli_open_store(&st, cli, cfg)) != DS_EXIT_OK)
        goto done;
    code = DS_EXIT_ERROR;
    if (ds_store_history(&entries_out, st, role, host, since, (guint)limit,
                         cfg->ignore, &err) < 0) {
        ds_cli_error_gerror(cli, err);
        goto done;
    }
    if (!entries_out->len && !since) {
        ds_cli_error(cli, "%s: no %s history in the store", host,
                     ds_role_name(role));
        goto done;
    }

    if (cli->json) {
        json_t *a = json_array();
        json_t *o;

        for (guint i = 0; i < entries_out->len; i++) {
            const ds_history_entry *e = g_ptr_array_index(entries_out, i);
            entry_patch ep;

            if (entry_patches(&ep, st, e, role, host, &patch, &err) < 0) {
                ds_cli_error_gerror(cli, err);
                json_decref(a);
                goto done;
            }
            json_array_append_new(a, entry_json(e, &ep));
            entry_patch_clear(&ep);
        }
        o = json_pack("{s:s, s:s, s:o}", "host", host, "role",
                      ds_role_name(role), "commits", a);
        ds_cli_print_json(o);
        json_decref(o);
    } else if (!entries_out->len) {
        if (cli->verbosity >= 0)
            ds_cli_printf(cli, "%s: no changes since %s\n", host, since_arg);
    } else {
        for (guint i = 0; i < entries_out->len; i++) {
            const ds_history_entry *e = g_ptr_array_index(entries_out, i);
            entry_patch ep;

            if (entry_patches(&ep, st, e, role, host, &patch, &err) < 0) {
                ds_cli_error_gerror(cli, err);
                goto done;
            }
            print_entry(cli, st, e, role, host, i + 1 == entries_out->len,
                        &ep);
            entry_patch_clear(&ep);
        }
    }
    code = DS_EXIT_OK;
done:
    g_free(since_arg);
    return code;
}

const ds_cmd_entry ds_cmd_log_entry = {
    .name = "log",
    .args = "[--lab] [--since DATE] [-p [-U N]] HOST",
    .summary = "Show a host's history as semantic changes, newest first.",
    .exec = cmd_log,
};
