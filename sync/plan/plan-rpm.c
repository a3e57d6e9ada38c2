/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/plan/plan-rpm.c: an rpm host's plan: its repositories, holds and
 * one dnf transaction, then files, services and reboot as for dpkg.
 *
 * Choices made here (see also doc/driftsync.1, PLAN):
 * - Repositories: the manifest keeps one normalised line per enabled
 *   repository ("repo ID KEY=VALUE ...", credentials stripped).  When the
 *   sets differ, prod's repositories (and the lab's that ignore rules
 *   keep) are written to one managed file, DS_PLAN_REPOS_FILE, and the
 *   lab's other /etc/yum.repos.d/ *.repo files are renamed with
 *   DS_PLAN_SOURCES_OFF, which dnf does not read.  A repository that
 *   needs credentials gets none this way (they are never recorded).
 * - Keys prod's repositories name (gpgkey=file:///path) that are
 *   recorded files are written first, in the sources phase.
 * - Packages: ONE `dnf shell` transaction from a file: every version of
 *   a NAME.ARCH prod has and the lab lacks, every one the lab has and
 *   prod lacks.  One version on each side: "upgrade" or "downgrade" to
 *   prod's exact NEVRA (an epoch always written, so a downgrade across
 *   an epoch is exact); more (install-only packages such as kernels):
 *   "install" each missing version, "remove" each extra one; a package
 *   prod lacks: "remove NAME.ARCH".  The driver checks the versions are
 *   in the lab's repositories before, and rpm -qa after
 *   (drivers/platform-rpm-apply.c).
 * - Holds (when collected): `dnf versionlock delete NAME` before the
 *   transaction for a hold prod does not have or a held package the
 *   transaction touches, `dnf versionlock add NEVRA` (prod's version)
 *   after; a lab without the plugin is refused when the step runs. */
#include <config.h>

#include <string.h>

#include "drivers/platform-rpm-apply.h"
#include "manifests/diff.h"
#include "manifests/util/error.h"
#include "manifests/version.h"
#include "sync/plan/plan-private.h"

/* ---- repositories ---- */

/* A repository line is one line without control characters. */
static bool repo_line_is_safe(const char *s)
{
    if (!s || !g_str_has_prefix(s, "repo ") || strlen(s) > 8192)
        return false;
    for (; *s; s++)
        if ((guchar)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

/* "KEY=" at the start of a token: a new key of the line. */
static bool starts_key(const char *tok)
{
    const char *eq = strchr(tok, '=');

    if (!eq || eq == tok)
        return false;
    for (const char *p = tok; p < eq; p++)
        if (!g_ascii_islower(*p) && *p != '_')
            return false;
    return true;
}

/* One repository line back as a .repo section. */
static void render_repo(GString *out, const char *line)
{
    g_auto(GStrv) toks = g_strsplit(line + strlen("repo "), " ", -1);

    g_string_append_printf(out, "\n[%s]\nname=%s\nenabled=1", toks[0],
                           toks[0]);
    for (guint i = 1; toks[i]; i++) {
        if (!*toks[i])
            continue;
        g_string_append_printf(out, "%s%s", starts_key(toks[i]) ? "\n" : " ",
                               toks[i]);
    }
    g_string_append_c(out, '\n');
}

static int plan_repos(plan_ctx *ctx, GPtrArray *changes)
{
    g_autoptr(GPtrArray) lines = g_ptr_array_new();
    g_autoptr(GString) text = NULL;
    guint added = 0, removed = 0;
    int rc;

    for (guint i = 0; i < changes->len; i++) {
        const ds_change *c = g_ptr_array_index(changes, i);

        added += c->kind == DS_CHANGE_SOURCE_ADDED;
        removed += c->kind == DS_CHANGE_SOURCE_REMOVED;
    }
    if (!added && !removed)
        return 0;
    rc = ds_plan_source_lines(ctx, lines, repo_line_is_safe,
                              "repository line");
    if (rc < 0)
        return rc;
    text = g_string_new("# Managed by driftsync: the enabled repositories of "
                        "the production host.\n");
    for (guint i = 0; i < lines->len; i++)
        if (i == 0 || strcmp(lines->pdata[i], lines->pdata[i - 1]))
            render_repo(text, lines->pdata[i]);
    ds_plan_sources_write(
        ctx,
        g_strdup_printf(
            "write prod's %u repositor%s to %s (%u added, %u removed)",
            lines->len, lines->len == 1 ? "y" : "ies", DS_PLAN_REPOS_FILE,
            added, removed),
        DS_PLAN_REPOS_FILE, lines, text);
    ds_plan_add(ctx, DS_PHASE_SOURCES, DS_ACTION_SOURCES_DISABLE,
                g_strdup("set the lab's other repository files aside (renamed *" DS_PLAN_SOURCES_OFF ")"),
                (const char *const[]){"find", "/etc/yum.repos.d", "-maxdepth",
                                      "1", "-type", "f", "-name", "*.repo",
                                      "!", "-path", DS_PLAN_REPOS_FILE,
                                      "-exec", "mv", "-f", "--", "{}",
                                      "{}" DS_PLAN_SOURCES_OFF, ";", NULL});
    return 0;
}

/* The local paths of prod's repositories' gpgkey=file:// keys. */
static GHashTable *gpgkey_paths(const ds_manifest *m)
{
    GHashTable *keys =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; m->sources && i < m->sources->len; i++) {
        g_auto(GStrv) toks = g_strsplit(m->sources->pdata[i], " ", -1);

        for (guint j = 0; toks[j]; j++) {
            g_auto(GStrv) uris = NULL;

            if (!g_str_has_prefix(toks[j], "gpgkey="))
                continue;
            uris = g_strsplit(toks[j] + strlen("gpgkey="), ",", -1);
            for (guint k = 0; uris[k]; k++)
                if (g_str_has_prefix(uris[k], "file:///"))
                    g_hash_table_add(keys,
                                     g_strdup(uris[k] + strlen("file://")));
        }
    }
    return keys;
}

/* ---- the transaction ---- */

/* The EVRs of a package (its version and other_versions), a zero epoch
 * dropped so that "0:1-1" and "1-1" are one. */
static GPtrArray *evr_set(const ds_package *p)
{
    GPtrArray *a = g_ptr_array_new();

    if (!p)
        return a;
    g_ptr_array_add(a, p->version);
    for (guint i = 0; p->other_versions && i < p->other_versions->len; i++)
        g_ptr_array_add(a, p->other_versions->pdata[i]);
    return a;
}

static const char *plain(const char *evr)
{
    return g_str_has_prefix(evr, "0:") ? evr + 2 : evr;
}

static bool evr_in(GPtrArray *set, const char *evr)
{
    for (guint i = 0; i < set->len; i++)
        if (!strcmp(plain(set->pdata[i]), plain(evr)))
            return true;
    return false;
}

typedef enum { RX_INSTALL, RX_UPGRADE, RX_DOWNGRADE, RX_REMOVE, RX_KINDS } rx;

typedef struct rpm_tx {
    GPtrArray *lines;   /* "install NEVRA", ... */
    GPtrArray *details; /* one human line each */
    guint n[RX_KINDS];
} rpm_tx;

static int tx_line(plan_ctx *ctx, rpm_tx *tx, rx kind, const char *key,
                   const char *evr, const char *from)
{
    static const char *const verbs[] = {"install", "upgrade", "downgrade",
                                        "remove"};
    g_autofree char *spec = evr ? ds_rpm_nevra(key, evr) : g_strdup(key);
    char *line;

    if (!spec) {
        g_autofree char *label = g_strdup_printf("the version of %s", key);

        return ds_plan_refuse(ctx, label, evr);
    }
    line = g_strdup_printf("%s %s", verbs[kind], spec);
    if (!ds_rpm_tx_line_is_safe(line)) {
        g_free(line);
        return ds_plan_refuse(ctx, "package", spec);
    }
    g_ptr_array_add(tx->lines, line);
    if (from)
        g_ptr_array_add(tx->details,
                        g_strdup_printf("%s %s %s -> %s", verbs[kind], key,
                                        from, evr));
    else
        g_ptr_array_add(tx->details,
                        g_strdup_printf("%s %s%s%s", verbs[kind], key,
                                        evr ? " " : "", evr ? evr : ""));
    tx->n[kind]++;
    return 0;
}

/* One package's part: the versions prod has that the lab lacks and the
 * other way round. */
static int tx_package(plan_ctx *ctx, rpm_tx *tx, const ds_change *c)
{
    const ds_package *p = ds_manifest_find_package(ctx->prod, c->name);
    const ds_package *l = ds_manifest_find_package(ctx->lab, c->name);
    g_autoptr(GPtrArray) want = evr_set(p);
    g_autoptr(GPtrArray) have = evr_set(l);
    int rc;

    if (!ds_name_is_safe_rpm_package(c->name))
        return ds_plan_refuse(ctx, "package name", c->name);
    if (!want->len) {
        if ((rc = tx_line(ctx, tx, RX_REMOVE, c->name, NULL, NULL)) < 0)
            return rc;
        /* the detail names the versions removed */
        g_free(tx->details->pdata[tx->details->len - 1]);
        tx->details->pdata[tx->details->len - 1] =
            g_strdup_printf("remove %s %s", c->name, l ? l->version : "");
        return 0;
    }
    if (want->len == 1 && have->len == 1 && !evr_in(have, p->version))
        return tx_line(ctx, tx,
                       ds_rpm_evr_compare(p->version, l->version) > 0
                           ? RX_UPGRADE
                           : RX_DOWNGRADE,
                       c->name, p->version, l->version);
    for (guint i = 0; i < want->len; i++)
        if (!evr_in(have, want->pdata[i]) &&
            (rc = tx_line(ctx, tx, RX_INSTALL, c->name, want->pdata[i],
                          NULL)) < 0)
            return rc;
    for (guint i = 0; i < have->len; i++)
        if (!evr_in(want, have->pdata[i]) &&
            (rc = tx_line(ctx, tx, RX_REMOVE, c->name, have->pdata[i],
                          NULL)) < 0)
            return rc;
    return 0;
}

static bool is_package_change(const ds_change *c)
{
    return c->kind == DS_CHANGE_PACKAGE_INSTALLED ||
           c->kind == DS_CHANGE_PACKAGE_UPGRADED ||
           c->kind == DS_CHANGE_PACKAGE_DOWNGRADED ||
           c->kind == DS_CHANGE_PACKAGE_REMOVED ||
           c->kind == DS_CHANGE_PACKAGE_CHANGED;
}

static int plan_transaction(plan_ctx *ctx, GPtrArray *changes)
{
    static const char *const labels[RX_KINDS] = {"install", "upgrade",
                                                 "downgrade", "removal"};
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) details = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) what = g_string_new("one dnf transaction:");
    g_auto(GStrv) argv = ds_rpm_tx_argv(NULL);
    rpm_tx tx = {.lines = lines, .details = details};
    ds_action *a;
    int rc;

    for (guint i = 0; i < changes->len; i++)
        if (is_package_change(changes->pdata[i]) &&
            (rc = tx_package(ctx, &tx, changes->pdata[i])) < 0)
            return rc;
    if (!lines->len)
        return 0;
    for (int i = 0; i < RX_KINDS; i++)
        if (tx.n[i])
            g_string_append_printf(what, "%s %u %s%s",
                                   what->str[what->len - 1] == ':' ? "" : ",",
                                   tx.n[i], labels[i], tx.n[i] == 1 ? "" : "s");
    a = ds_plan_add(ctx, DS_PHASE_PACKAGES, DS_ACTION_PACKAGES,
                    g_string_free(g_steal_pointer(&what), FALSE),
                    (const char *const *)argv);
    g_ptr_array_add(lines, NULL);
    a->items = (char **)g_ptr_array_free(g_steal_pointer(&lines), FALSE);
    g_ptr_array_add(details, NULL);
    a->details = (char **)g_ptr_array_free(g_steal_pointer(&details), FALSE);
    return 0;
}

/* ---- holds ---- */

/* The name of a NAME.ARCH key (versionlock matches names). */
static char *key_name(const char *key)
{
    const char *dot = strrchr(key, '.');

    return g_strndup(key, dot ? (gsize)(dot - key) : strlen(key));
}

static int add_lock(plan_ctx *ctx, const char *verb, GPtrArray *specs,
                    const char *what)
{
    g_auto(GStrv) argv = NULL;
    g_autoptr(GString) desc = g_string_new(what);

    if (!specs->len)
        return 0;
    g_ptr_array_sort(specs, ds_plan_cmp_str);
    for (guint i = 0; i < specs->len; i++)
        g_string_append_printf(desc, " %s", (char *)specs->pdata[i]);
    g_ptr_array_add(specs, NULL);
    argv = ds_rpm_versionlock_argv(NULL, verb,
                                   (const char *const *)specs->pdata);
    g_ptr_array_remove_index(specs, specs->len - 1);
    ds_plan_add(ctx, DS_PHASE_PACKAGES, DS_ACTION_VERSIONLOCK,
                g_string_free(g_steal_pointer(&desc), FALSE),
                (const char *const *)argv);
    return 0;
}

/* versionlock delete before the transaction, add after (when holds
 * were collected on both sides). */
static int plan_locks(plan_ctx *ctx, GPtrArray *changes, bool after)
{
    g_autoptr(GPtrArray) specs = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < changes->len; i++) {
        const ds_change *c = changes->pdata[i];
        bool held_lab = ds_manifest_is_held(ctx->lab, c->name);
        bool held_prod = ds_manifest_is_held(ctx->prod, c->name);
        const ds_package *p = ds_manifest_find_package(ctx->prod, c->name);
        bool hold_change = c->kind == DS_CHANGE_HOLD_CHANGED;

        if (!hold_change && !is_package_change(c))
            continue;
        if (!ds_name_is_safe_rpm_package(c->name))
            return ds_plan_refuse(ctx, "package name", c->name);
        if (!after && held_lab && (hold_change || is_package_change(c)))
            g_ptr_array_add(specs, key_name(c->name));
        else if (after && held_prod && p &&
                 (hold_change || held_lab)) {
            char *nevra = ds_rpm_nevra(c->name, p->version);

            if (!nevra)
                return ds_plan_refuse(ctx, "version", p->version);
            g_ptr_array_add(specs, nevra);
        }
    }
    return after ? add_lock(ctx, "add", specs, "hold as on prod (versionlock):")
                 : add_lock(ctx, "delete", specs,
                            "release holds (versionlock):");
}

/* ---- the whole plan ---- */

int ds_plan_rpm_walk(plan_ctx *ctx, GPtrArray *changes)
{
    g_autoptr(GHashTable) keys = gpgkey_paths(ctx->prod);
    int rc;

    /* Keys prod's repositories name go before the repositories. */
    if ((rc = ds_plan_key_files(ctx, changes, keys)) < 0 ||
        (rc = plan_repos(ctx, changes)) < 0)
        return rc;
    ds_plan_os_manual(ctx, changes);
    if ((rc = plan_locks(ctx, changes, false)) < 0 ||
        (rc = plan_transaction(ctx, changes)) < 0 ||
        (rc = plan_locks(ctx, changes, true)) < 0)
        return rc;
    return ds_plan_tail(ctx, changes, keys);
}
