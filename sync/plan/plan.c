/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/plan/plan.c: turn the semantic diff lab -> prod into ordered actions:
 * apt sources, one package transaction, files, services, reboot (an rpm
 * host's sources and packages: plan-rpm.c).
 *
 * Choices made here (see also doc/driftsync.1, PLAN):
 * - Sources: the manifest keeps source lines, not the files that hold
 *   them.  When the sets differ, the whole desired set (prod's lines, plus
 *   the lab's lines that ignore rules keep) is written to one managed file,
 *   DS_PLAN_SOURCES_FILE, and every other sources file of the lab
 *   (/etc/apt/sources.list, sources.list.d/ *.list and *.sources) is
 *   renamed with DS_PLAN_SOURCES_OFF, which apt does not read.  The lab's
 *   sources then equal prod's whatever file held which line.
 * - Keyrings named by prod's sources (signed-by=/path) are written first,
 *   in the sources phase, so that apt-get update can verify them.
 * - `apt-get update` runs after a sources change, and before any package
 *   transaction that installs something (pinned versions need fresh lists).
 * - Packages: ONE apt-get invocation: name=version for installs, upgrades
 *   and downgrades (--allow-downgrades), name- for removals, so apt solves
 *   it as one transaction.  Recommends are not pulled in: prod's own
 *   packages are all listed already.
 * - Files: content from the store through `install` reading stdin (mode,
 *   owner and group in the same step); chmod/chown when only those differ;
 *   `ln -sfT` for links; `rm -f` for files prod does not have.  Secret
 *   files (only a keyed HMAC is stored) and files whose content was not
 *   captured cannot be replayed: they become MANUAL actions, which count
 *   as drift (the plan is not empty, exit 1) but carry no command.
 * - Services: unmask, enable/disable/mask, then start/stop, per unit.
 *   A unit only the lab has goes with its package: MANUAL note.
 * - Reboot when the running kernels differ.  An os change is MANUAL; a
 *   change of reboot_required alone needs no action. */
#include <config.h>

#include <string.h>

#include "manifests/diff.h"
#include "manifests/util/error.h"
#include "manifests/version.h"
#include "sync/plan/plan-private.h"

static const char *const phase_names[] = {
    [DS_PHASE_SOURCES] = "sources", [DS_PHASE_PACKAGES] = "packages",
    [DS_PHASE_FILES] = "files",     [DS_PHASE_SERVICES] = "services",
    [DS_PHASE_REBOOT] = "reboot",
};

static const char *const kind_names[] = {
    [DS_ACTION_SOURCES_WRITE] = "sources-write",
    [DS_ACTION_SOURCES_DISABLE] = "sources-disable",
    [DS_ACTION_APT_UPDATE] = "apt-update",
    [DS_ACTION_PACKAGES] = "packages",
    [DS_ACTION_FILE_WRITE] = "file-write",
    [DS_ACTION_FILE_LINK] = "file-link",
    [DS_ACTION_FILE_ATTR] = "file-attr",
    [DS_ACTION_FILE_REMOVE] = "file-remove",
    [DS_ACTION_SERVICE] = "service",
    [DS_ACTION_REBOOT] = "reboot",
    [DS_ACTION_MANUAL] = "manual",
    [DS_ACTION_APT_MARK] = "apt-mark",
    [DS_ACTION_VERSIONLOCK] = "versionlock",
};

const char *ds_plan_phase_name(ds_plan_phase phase)
{
    if ((int)phase < 0 || (gsize)phase >= G_N_ELEMENTS(phase_names))
        return "unknown";
    return phase_names[phase];
}

const char *ds_action_kind_name(ds_action_kind kind)
{
    if ((int)kind < 0 || (gsize)kind >= G_N_ELEMENTS(kind_names))
        return "unknown";
    return kind_names[kind];
}

void ds_action_free(ds_action *a)
{
    if (!a)
        return;
    g_free(a->description);
    g_strfreev(a->argv);
    if (a->data)
        g_bytes_unref(a->data);
    g_free(a->path);
    g_free(a->owner);
    g_free(a->group);
    g_free(a->target);
    g_free(a->content_ref);
    g_free(a->store_path);
    g_strfreev(a->items);
    g_strfreev(a->details);
    if (a->debs)
        g_ptr_array_unref(a->debs);
    g_free(a);
}

void ds_plan_free(ds_plan *plan)
{
    if (!plan)
        return;
    g_free(plan->host);
    if (plan->actions)
        g_ptr_array_unref(plan->actions);
    g_free(plan);
}

bool ds_plan_is_empty(const ds_plan *plan)
{
    return !plan || !plan->actions || plan->actions->len == 0;
}

/* ---- building blocks ---- */

/* A new action appended to the plan; argv is a NULL-terminated array
 * (copied), or NULL for a MANUAL action.  Takes the description. */
ds_action *ds_plan_add(plan_ctx *ctx, ds_plan_phase phase, ds_action_kind kind,
                       char *description, const char *const *argv)
{
    ds_action *a = g_new0(ds_action, 1);

    a->phase = phase;
    a->kind = kind;
    a->description = description;
    a->argv = argv ? g_strdupv((char **)argv) : NULL;
    if (kind == DS_ACTION_MANUAL)
        ctx->plan->manual++;
    g_ptr_array_add(ctx->plan->actions, a);
    return a;
}

/* The error for a hostile value; control characters are shown escaped
 * so that the message stays one line. */
int ds_plan_refuse(plan_ctx *ctx, const char *what, const char *name)
{
    g_autofree char *shown = g_strescape(name ? name : "(null)", NULL);

    return ds_error_set(ctx->err, DS_EINVALID,
                        "%s: refusing %s '%s': not a safe name",
                        ctx->plan->host, what, shown);
}

/* One apt source line: no newline or other control character. */
static bool source_line_is_safe(const char *s)
{
    if (!s || !*s || strlen(s) > 4096)
        return false;
    for (; *s; s++)
        if ((guchar)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static bool version_is_safe(const char *v)
{
    return v && ds_version_is_valid(v) && v[0] != '-' && strlen(v) <= 256;
}

/* ---- sources ---- */

gint ds_plan_cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ds_plan_source_lines(plan_ctx *ctx, GPtrArray *lines,
                         bool (*is_safe)(const char *line), const char *what)
{
    /* prod's lines (those not ignored), and the lab's ignored ones: ignore
     * rules mean "leave the lab's alone". */
    const GPtrArray *src[2] = {ctx->prod->sources, ctx->lab->sources};

    for (int s = 0; s < 2; s++) {
        for (guint i = 0; src[s] && i < src[s]->len; i++) {
            char *line = g_ptr_array_index(src[s], i);
            bool ig = ds_ignore_match(ctx->ignore, DS_CAT_SOURCES, line);

            if (ig != (s == 1))
                continue;
            if (!is_safe(line))
                return ds_plan_refuse(ctx, what, line);
            g_ptr_array_add(lines, line);
        }
    }
    g_ptr_array_sort(lines, ds_plan_cmp_str);
    return 0;
}

int ds_plan_key_files(plan_ctx *ctx, GPtrArray *changes, GHashTable *keys)
{
    int rc;

    ctx->file_phase = DS_PHASE_SOURCES;
    for (guint i = 0; i < changes->len; i++) {
        const ds_change *c = changes->pdata[i];

        if (c->category == DS_CAT_FILES &&
            g_hash_table_contains(keys, c->name) &&
            c->kind != DS_CHANGE_FILE_REMOVED &&
            (rc = ds_plan_file(ctx, c)) < 0)
            return rc;
    }
    ctx->file_phase = DS_PHASE_FILES;
    return 0;
}

void ds_plan_sources_write(plan_ctx *ctx, char *description, const char *path,
                           GPtrArray *lines, const GString *text)
{
    ds_action *a = ds_plan_add(
        ctx, DS_PHASE_SOURCES, DS_ACTION_SOURCES_WRITE, description,
        (const char *const[]){"install", "-D", "-m", "0644", "-o", "root", "-g",
                              "root", "-T", "--", "/dev/stdin", path, NULL});

    a->path = g_strdup(path);
    a->mode = 0644;
    a->owner = g_strdup("root");
    a->group = g_strdup("root");
    g_ptr_array_add(lines, NULL);
    a->items = g_strdupv((char **)lines->pdata);
    g_ptr_array_remove_index(lines, lines->len - 1);
    a->data = g_bytes_new(text->str, text->len);
}

static int plan_sources(plan_ctx *ctx, GPtrArray *changes, bool need_update)
{
    g_autoptr(GPtrArray) lines = g_ptr_array_new();
    g_autoptr(GString) text = NULL;
    bool changed = false;
    guint added = 0, removed = 0;

    for (guint i = 0; i < changes->len; i++) {
        const ds_change *c = g_ptr_array_index(changes, i);

        if (c->kind == DS_CHANGE_SOURCE_ADDED)
            added++;
        else if (c->kind == DS_CHANGE_SOURCE_REMOVED)
            removed++;
    }
    changed = added || removed;
    if (changed) {
        int rc = ds_plan_source_lines(ctx, lines, source_line_is_safe,
                                      "apt source line");

        if (rc < 0)
            return rc;
        text = g_string_new("# Managed by driftsync: the apt sources of "
                            "the production host.\n");
        for (guint i = 0; i < lines->len; i++)
            if (i == 0 || strcmp(lines->pdata[i], lines->pdata[i - 1]))
                g_string_append_printf(text, "%s\n", (char *)lines->pdata[i]);

        ds_plan_sources_write(
            ctx,
            g_strdup_printf(
                "write prod's %u apt source line%s to %s (%u added, %u removed)",
                lines->len, lines->len == 1 ? "" : "s", DS_PLAN_SOURCES_FILE,
                added, removed),
            DS_PLAN_SOURCES_FILE, lines, text);

        ds_plan_add(ctx, DS_PHASE_SOURCES, DS_ACTION_SOURCES_DISABLE,
                    g_strdup("set the lab's other apt sources files aside (renamed *" DS_PLAN_SOURCES_OFF ")"),
                    (const char *const[]){"find",
                                          "/etc/apt",
                                          "-maxdepth",
                                          "2",
                                          "-type",
                                          "f",
                                          "(",
                                          "-path",
                                          "/etc/apt/sources.list",
                                          "-o",
                                          "-path",
                                          "/etc/apt/sources.list.d/*.list",
                                          "-o",
                                          "-path",
                                          "/etc/apt/sources.list.d/*.sources",
                                          ")",
                                          "!",
                                          "-path",
                                          DS_PLAN_SOURCES_FILE,
                                          "-exec",
                                          "mv",
                                          "-f",
                                          "--",
                                          "{}",
                                          "{}" DS_PLAN_SOURCES_OFF,
                                          ";",
                                          NULL});
    }
    if (changed || need_update)
        ds_plan_add(ctx, DS_PHASE_SOURCES, DS_ACTION_APT_UPDATE,
                    g_strdup("refresh the package lists"),
                    (const char *const[]){"apt-get", "update", NULL});
    return 0;
}

/* ---- packages ---- */

/* apt's request for prod's package: "name=version", or "name:arch=version"
 * when only the architecture changed. */
static char *package_request(const ds_package *p, bool arch_changed)
{
    if (arch_changed && !strchr(p->name, ':') && p->arch &&
        strcmp(p->arch, "all") != 0 && ds_name_is_safe_package(p->arch))
        return g_strdup_printf("%s:%s=%s", p->name, p->arch, p->version);
    return g_strdup_printf("%s=%s", p->name, p->version);
}

/* The one package transaction being built: its requests, a line each for
 * the reader, and counts by kind. */
typedef enum {
    TX_INSTALL,
    TX_UPGRADE,
    TX_DOWNGRADE,
    TX_REMOVE,
    TX_KINDS
} tx_kind;

typedef struct pkg_tx {
    GPtrArray *reqs;    /* "name=version" / "name-" */
    GPtrArray *details; /* "upgrade foo 1 -> 2" */
    guint n[TX_KINDS];
} pkg_tx;

/* The request and detail line of one installed, upgraded, downgraded or
 * re-architectured package; p is its prod entry. */
static void tx_add(pkg_tx *tx, const ds_change *c, const ds_package *p,
                   bool arch_changed)
{
    g_ptr_array_add(tx->reqs, package_request(p, arch_changed));
    switch (c->kind) {
    case DS_CHANGE_PACKAGE_INSTALLED:
        tx->n[TX_INSTALL]++;
        g_ptr_array_add(tx->details, g_strdup_printf("install %s %s", c->name,
                                                     p->version));
        break;
    case DS_CHANGE_PACKAGE_UPGRADED:
    case DS_CHANGE_PACKAGE_DOWNGRADED: {
        bool up = c->kind == DS_CHANGE_PACKAGE_UPGRADED;

        tx->n[up ? TX_UPGRADE : TX_DOWNGRADE]++;
        g_ptr_array_add(tx->details,
                        g_strdup_printf("%s %s %s -> %s",
                                        up ? "upgrade" : "downgrade", c->name,
                                        c->old_value ? c->old_value : "?",
                                        p->version));
        break;
    }
    default:
        tx->n[TX_INSTALL]++;
        g_ptr_array_add(tx->details,
                        g_strdup_printf("reinstall %s %s as %s", c->name,
                                        p->version, p->arch));
        break;
    }
}

/* One change's part of the transaction, its names and versions checked
 * before they become arguments. */
static int tx_plan_change(plan_ctx *ctx, pkg_tx *tx, const ds_change *c)
{
    const ds_package *p, *l;
    bool arch_changed = false;

    switch (c->kind) {
    case DS_CHANGE_PACKAGE_REMOVED:
        if (!ds_name_is_safe_package(c->name))
            return ds_plan_refuse(ctx, "package name", c->name);
        g_ptr_array_add(tx->reqs, g_strdup_printf("%s-", c->name));
        g_ptr_array_add(tx->details,
                        g_strdup_printf("remove %s %s", c->name,
                                        c->old_value ? c->old_value : ""));
        tx->n[TX_REMOVE]++;
        return 0;
    case DS_CHANGE_PACKAGE_CHANGED:
        p = ds_manifest_find_package(ctx->prod, c->name);
        l = ds_manifest_find_package(ctx->lab, c->name);
        arch_changed = p && l && g_strcmp0(p->arch, l->arch) != 0;
        if (!arch_changed)
            return 0; /* same version from another origin: nothing */
        break;
    case DS_CHANGE_PACKAGE_INSTALLED:
    case DS_CHANGE_PACKAGE_UPGRADED:
    case DS_CHANGE_PACKAGE_DOWNGRADED:
        break;
    default:
        return 0;
    }
    if (!ds_name_is_safe_package(c->name))
        return ds_plan_refuse(ctx, "package name", c->name);
    p = ds_manifest_find_package(ctx->prod, c->name);
    if (!p)
        return ds_error_set(ctx->err, DS_EINVALID,
                            "%s: package %s is not in prod's manifest",
                            ctx->plan->host, c->name);
    if (!version_is_safe(p->version)) {
        g_autofree char *label = g_strdup_printf("the version of %s", c->name);

        return ds_plan_refuse(ctx, label, p->version);
    }
    tx_add(tx, c, p, arch_changed);
    return 0;
}

static int plan_packages(plan_ctx *ctx, GPtrArray *changes)
{
    static const char *const labels[TX_KINDS] = {"install", "upgrade",
                                                 "downgrade", "removal"};
    static const char *const head[] = {"env",
                                       "DEBIAN_FRONTEND=noninteractive",
                                       "apt-get",
                                       "install",
                                       "-y",
                                       "--allow-downgrades",
                                       "--no-install-recommends",
                                       "-o",
                                       "Dpkg::Options::=--force-confdef",
                                       "-o",
                                       "Dpkg::Options::=--force-confold",
                                       "--"};
    g_autoptr(GPtrArray) reqs = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) details = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GString) what = g_string_new("one package transaction:");
    pkg_tx tx = {.reqs = reqs, .details = details};
    ds_action *a;
    int rc;

    for (guint i = 0; i < changes->len; i++)
        if ((rc = tx_plan_change(ctx, &tx, g_ptr_array_index(changes, i))) < 0)
            return rc;
    if (!reqs->len)
        return 0;

    for (int i = 0; i < TX_KINDS; i++)
        if (tx.n[i])
            g_string_append_printf(what, "%s %u %s%s",
                                   what->str[what->len - 1] == ':' ? "" : ",",
                                   tx.n[i], labels[i], tx.n[i] == 1 ? "" : "s");
    for (gsize i = 0; i < G_N_ELEMENTS(head); i++)
        g_ptr_array_add(argv, (gpointer)head[i]);
    for (guint i = 0; i < reqs->len; i++)
        g_ptr_array_add(argv, reqs->pdata[i]);
    g_ptr_array_add(argv, NULL);
    a = ds_plan_add(ctx, DS_PHASE_PACKAGES, DS_ACTION_PACKAGES,
                    g_string_free(g_steal_pointer(&what), FALSE),
                    (const char *const *)argv->pdata);
    g_ptr_array_add(reqs, NULL);
    a->items = (char **)g_ptr_array_free(g_steal_pointer(&reqs), FALSE);
    g_ptr_array_add(details, NULL);
    a->details = (char **)g_ptr_array_free(g_steal_pointer(&details), FALSE);
    return 0;
}

/* ---- the whole plan ---- */

static bool touches_units(const ds_action *a)
{
    return a->phase == DS_PHASE_FILES && a->path &&
           (g_str_has_prefix(a->path, "/etc/systemd/") ||
            g_str_has_prefix(a->path, "/lib/systemd/") ||
            g_str_has_prefix(a->path, "/usr/lib/systemd/"));
}

/* The paths of the signed-by= options of m's source lines. */
static GHashTable *signed_by_paths(const ds_manifest *m)
{
    GHashTable *keys =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; m->sources && i < m->sources->len; i++) {
        const char *line = g_ptr_array_index(m->sources, i);
        const char *open = strchr(line, '['), *close;
        g_auto(GStrv) opts = NULL;
        g_autofree char *inside = NULL;

        if (!open || !(close = strchr(open, ']')))
            continue;
        inside = g_strndup(open + 1, (gsize)(close - open - 1));
        opts = g_strsplit(inside, " ", -1);
        for (guint j = 0; opts[j]; j++)
            if (g_str_has_prefix(opts[j], "signed-by=") && opts[j][10] == '/')
                g_hash_table_add(keys, g_strdup(opts[j] + 10));
    }
    return keys;
}

void ds_plan_os_manual(plan_ctx *ctx, GPtrArray *changes)
{
    for (guint i = 0; i < changes->len; i++) {
        const ds_change *c = changes->pdata[i];

        if (c->kind == DS_CHANGE_OS_CHANGED)
            ds_plan_add(
                ctx, DS_PHASE_PACKAGES, DS_ACTION_MANUAL,
                g_strdup_printf("the os differs (lab %s, prod %s): a release upgrade is not replayed",
                                c->old_value ? c->old_value : "unknown",
                                c->new_value ? c->new_value : "unknown"),
                NULL);
    }
}

int ds_plan_tail(plan_ctx *ctx, GPtrArray *changes, GHashTable *early)
{
    bool reload = false;
    int rc;

    for (guint i = 0; i < changes->len; i++) {
        const ds_change *c = changes->pdata[i];

        if (c->category == DS_CAT_FILES &&
            !(g_hash_table_contains(early, c->name) &&
              c->kind != DS_CHANGE_FILE_REMOVED) &&
            (rc = ds_plan_file(ctx, c)) < 0)
            return rc;
    }
    for (guint i = 0; i < ctx->plan->actions->len; i++)
        reload |= touches_units(ctx->plan->actions->pdata[i]);
    if (reload)
        ds_plan_add(ctx, DS_PHASE_SERVICES, DS_ACTION_SERVICE,
                    g_strdup("reload systemd's unit files"),
                    (const char *const[]){"systemctl", "daemon-reload", NULL});
    for (guint i = 0; i < changes->len; i++) {
        const ds_change *c = changes->pdata[i];

        if (c->category == DS_CAT_SERVICES &&
            (rc = ds_plan_service(ctx, c)) < 0)
            return rc;
    }
    for (guint i = 0; i < changes->len; i++) {
        const ds_change *c = changes->pdata[i];

        if (c->kind == DS_CHANGE_KERNEL_CHANGED && c->new_value)
            ds_plan_add(
                ctx, DS_PHASE_REBOOT, DS_ACTION_REBOOT,
                g_strdup_printf("reboot: prod runs kernel %s, the lab runs %s",
                                c->new_value,
                                c->old_value ? c->old_value : "an unknown one"),
                (const char *const[]){"systemctl", "reboot", NULL});
    }
    return 0;
}

static int plan_walk(plan_ctx *ctx, GPtrArray *changes)
{
    g_autoptr(GHashTable) keys = NULL;
    bool need_update = false;
    int rc;

    for (guint i = 0; i < changes->len; i++) {
        ds_change_kind k = ((ds_change *)changes->pdata[i])->kind;

        need_update |= k == DS_CHANGE_PACKAGE_INSTALLED ||
                       k == DS_CHANGE_PACKAGE_UPGRADED ||
                       k == DS_CHANGE_PACKAGE_DOWNGRADED;
    }
    /* Keyrings prod's sources name (signed-by=) go before the sources,
     * so that apt-get update can check the new repositories. */
    keys = signed_by_paths(ctx->prod);
    if ((rc = ds_plan_key_files(ctx, changes, keys)) < 0 ||
        (rc = plan_sources(ctx, changes, need_update)) < 0)
        return rc;
    ds_plan_os_manual(ctx, changes);
    if ((rc = ds_plan_selection_before(ctx, changes)) < 0 ||
        (rc = plan_packages(ctx, changes)) < 0 ||
        (rc = ds_plan_selection_after(ctx, changes)) < 0)
        return rc;
    return ds_plan_tail(ctx, changes, keys);
}

int ds_plan_build(ds_plan **out, const ds_manifest *lab,
                  const ds_manifest *prod, const ds_plan_options *opts,
                  GError **err)
{
    static const ds_plan_options no_opts;
    const ds_ignore *ignore;
    g_autoptr(ds_plan) plan = NULL;
    g_autoptr(GPtrArray) changes = NULL;
    plan_ctx ctx;
    int rc;

    if (!out)
        return ds_error_set(err, DS_EINVALID, "plan: no place for the result");
    *out = NULL;
    if (!opts)
        opts = &no_opts;
    ignore = opts->ignore;
    if (!lab || !prod)
        return ds_error_set(err, DS_EINVALID,
                            "plan: both a lab and a prod manifest are needed");
    if (!ds_name_is_safe_host(prod->host))
        return ds_error_set(err, DS_EINVALID, "plan: refusing host name '%s'",
                            prod->host ? prod->host : "(null)");
    if (g_strcmp0(lab->host, prod->host) != 0)
        return ds_error_set(err, DS_EINVALID,
                            "%s: the lab manifest is for host '%s'", prod->host,
                            lab->host ? lab->host : "(null)");
    /* A dpkg plan must never run on an rpm host, nor the reverse. */
    if (ds_manifest_is_rpm(prod) != ds_manifest_is_rpm(lab))
        return ds_error_set(err, DS_EINVALID, "%s: the lab is %s host and prod %s one: a plan needs both of one platform", prod->host,
                            ds_manifest_is_rpm(lab) ? "an rpm" : "a dpkg",
                            ds_manifest_is_rpm(prod) ? "an rpm" : "a dpkg");
    plan = g_new0(ds_plan, 1);
    plan->host = g_strdup(prod->host);
    plan->actions =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_action_free);
    if ((rc = ds_manifest_diff(&changes, lab, prod, ignore, err)) < 0)
        return ds_error_prefix(err, rc, "%s: ", prod->host);
    ctx = (plan_ctx){.plan = plan,
                     .lab = lab,
                     .prod = prod,
                     .ignore = ignore,
                     .err = err,
                     .file_phase = DS_PHASE_FILES};
    rc = ds_manifest_is_rpm(prod) ? ds_plan_rpm_walk(&ctx, changes)
                                   : plan_walk(&ctx, changes);
    if (rc < 0)
        return rc;
    if (opts->package_cache &&
        (rc = ds_plan_use_package_cache(plan, prod, opts->package_cache,
                                        err)) < 0)
        return rc;
    *out = g_steal_pointer(&plan);
    return 0;
}
