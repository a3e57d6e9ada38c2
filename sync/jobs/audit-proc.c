/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/audit-proc.c: what a running host says about reboots and restarts:
 * /run/reboot-required(.pkgs), and the processes still running deleted
 * code, found by one fixed script (sync/jobs/scripts/audit-proc.sh) run
 * through the host's transport. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "manifests/util/error.h"
#include "sync/jobs/audit.h"
#include "sync/jobs/scripts.h"

static const char *const code_dirs[] = {
    "/usr/", "/lib/", "/lib32/", "/lib64/", "/libx32/", "/bin/", "/sbin/"};

bool ds_audit_path_is_code(const char *path)
{
    if (!ds_name_is_safe_path(path))
        return false;
    for (gsize i = 0; i < G_N_ELEMENTS(code_dirs); i++)
        if (g_str_has_prefix(path, code_dirs[i]))
            return true;
    return false;
}

/* The systemd service of a cgroup path under system.slice, or NULL. */
static char *cgroup_unit(const char *cg)
{
    g_auto(GStrv) parts = NULL;
    const char *unit = NULL;

    if (!g_str_has_prefix(cg, "/system.slice/"))
        return NULL;
    parts = g_strsplit(cg + 1, "/", 0);
    for (guint i = 0; parts[i]; i++)
        if (g_str_has_suffix(parts[i], ".service"))
            unit = parts[i];
    return unit && ds_name_is_safe_service(unit) ? g_strdup(unit) : NULL;
}

typedef struct proc_entry {
    gint64 pid;
    char *unit;
    GPtrArray *paths; /* char *: deleted code, exe first, unique */
} proc_entry;

static void proc_entry_free(proc_entry *pe)
{
    g_free(pe->unit);
    g_ptr_array_unref(pe->paths);
    g_free(pe);
}

static proc_entry *proc_get(GHashTable *procs, gint64 pid)
{
    proc_entry *pe = g_hash_table_lookup(procs, &pid);

    if (!pe) {
        pe = g_new0(proc_entry, 1);
        pe->pid = pid;
        pe->paths = g_ptr_array_new_with_free_func(g_free);
        g_hash_table_insert(procs, &pe->pid, pe);
    }
    return pe;
}

static void proc_add_path(proc_entry *pe, char *path, bool first)
{
    for (guint i = 0; i < pe->paths->len; i++)
        if (strcmp(pe->paths->pdata[i], path) == 0) {
            g_free(path);
            return;
        }
    if (first)
        g_ptr_array_insert(pe->paths, 0, path);
    else
        g_ptr_array_add(pe->paths, path);
}

static gint cmp_pid(gconstpointer a, gconstpointer b)
{
    gint64 x = (*(proc_entry *const *)a)->pid;
    gint64 y = (*(proc_entry *const *)b)->pid;
    return x < y ? -1 : x > y;
}

static void add_findings(GPtrArray *findings, GHashTable *procs)
{
    g_autoptr(GPtrArray) list = g_ptr_array_new();
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, procs);
    while (g_hash_table_iter_next(&it, NULL, &v))
        if (((proc_entry *)v)->paths->len)
            g_ptr_array_add(list, v);
    g_ptr_array_sort(list, cmp_pid);
    for (guint i = 0; i < list->len; i++) {
        const proc_entry *pe = list->pdata[i];

        for (guint j = 0; j < pe->paths->len; j++) {
            const char *path = pe->paths->pdata[j];
            g_autofree char *d = g_strdup_printf(
                "pid %" G_GINT64_FORMAT "%s%s%s uses deleted %s", pe->pid,
                pe->unit ? " (" : "", pe->unit ? pe->unit : "",
                pe->unit ? ")" : "", path);
            ds_audit_finding *f = ds_audit_finding_new(DS_AUDIT_RESTART, d);

            f->pid = pe->pid;
            f->unit = g_strdup(pe->unit);
            f->path = g_strdup(path);
            g_ptr_array_add(findings, f);
        }
    }
}

int ds_audit_parse_restart(GPtrArray *findings, const char *data, gsize len,
                           const char *host, GError **err)
{
    g_autoptr(GHashTable) procs = g_hash_table_new_full(
        g_int64_hash, g_int64_equal, NULL, (GDestroyNotify)proc_entry_free);
    const char *p = data, *end = data + len;
    guint lineno = 0;
    bool ended = false;

    if (len > DS_AUDIT_MAX_PROC_BYTES)
        return ds_error_set(err, DS_EINVALID, "%s: process list over %u bytes",
                            host, DS_AUDIT_MAX_PROC_BYTES);
    while (p < end && !ended) {
        const char *nl = memchr(p, '\n', (gsize)(end - p));
        g_autofree char *line = NULL;
        char tag, *e, *rest;
        gint64 pid;
        gsize llen;

        if (!nl)
            break;
        llen = (gsize)(nl - p);
        line = g_strndup(p, llen);
        p = nl + 1;
        if (++lineno > DS_AUDIT_MAX_PROC_LINES)
            return ds_error_set(err, DS_EINVALID,
                                "%s: process list over %u lines", host,
                                DS_AUDIT_MAX_PROC_LINES);
        if (strcmp(line, "END") == 0) {
            ended = true;
            continue;
        }
        /* "T PID REST": a known tag, a decimal pid, text without NUL */
        if (strlen(line) != llen || llen < 5 || line[1] != ' ' ||
            !strchr("MEC", line[0]) || !g_ascii_isdigit(line[2]))
            goto bad;
        tag = line[0];
        pid = g_ascii_strtoll(line + 2, &e, 10);
        if (*e != ' ' || pid <= 0 || pid > G_MAXINT32)
            goto bad;
        rest = e + 1;
        if (!g_utf8_validate(rest, -1, NULL))
            goto bad;
        if (tag == 'C') {
            g_autofree char *unit = cgroup_unit(rest);
            if (unit) {
                proc_entry *pe = proc_get(procs, pid);
                g_free(pe->unit);
                pe->unit = g_steal_pointer(&unit);
            }
            continue;
        }
        if (tag == 'E') {
            gsize n = strlen(rest);
            if (n <= 10 || strcmp(rest + n - 10, " (deleted)") != 0)
                goto bad;
            rest[n - 10] = '\0';
        }
        if (ds_audit_path_is_code(rest))
            proc_add_path(proc_get(procs, pid), g_strdup(rest), tag == 'E');
        continue;
    bad:
        return ds_error_set(err, DS_EINVALID,
                            "%s: process list line %u is malformed", host,
                            lineno);
    }
    if (!ended || p != end)
        return ds_error_set(err, DS_EINVALID,
                            "%s: the process list is truncated or malformed",
                            host);
    add_findings(findings, procs);
    return 0;
}

int ds_audit_check_restart(GPtrArray *findings, ds_transport *t,
                           const char *host, GError **err)
{
    const char *const argv[] = {"sh", "-c", ds_script_audit_proc, "sh", NULL};
    ds_run_result r = {0};
    const char *d;
    gsize len;
    int rc;

    rc = ds_transport_run(t, argv, NULL, &r, err);
    if (rc < 0)
        return rc;
    if (r.status != 0) {
        g_autofree char *msg = g_strndup(g_bytes_get_data(r.err, NULL),
                                         MIN(g_bytes_get_size(r.err), 200));
        rc = ds_error_set(err, DS_EGENERIC,
                          "%s: listing processes failed (exit %d): %s", host,
                          r.status, g_strstrip(msg));
        ds_run_result_clear(&r);
        return rc;
    }
    d = g_bytes_get_data(r.out, &len);
    rc = ds_audit_parse_restart(findings, d ? d : "", len, host, err);
    ds_run_result_clear(&r);
    return rc;
}

int ds_audit_check_reboot_flag(GPtrArray *findings, ds_transport *t,
                               const char *host, GError **err)
{
    static const char flag[] = "/run/reboot-required";
    g_autoptr(GBytes) data = NULL;
    g_autoptr(GBytes) pkgs = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) detail = g_string_new(flag);
    ds_audit_finding *f;
    int rc;

    rc = ds_transport_read_file(t, flag, &data, err);
    if (rc == DS_ENOTFOUND) {
        g_clear_error(err);
        return 0;
    }
    if (rc < 0)
        return rc;
    rc = ds_transport_read_file(t, "/run/reboot-required.pkgs", &pkgs, err);
    if (rc == DS_ENOTFOUND)
        g_clear_error(err);
    else if (rc < 0)
        return rc;
    if (pkgs) {
        gsize len;
        const char *p = g_bytes_get_data(pkgs, &len), *end = p + len;

        if (len > DS_AUDIT_MAX_PKGS_BYTES)
            return ds_error_set(err, DS_EINVALID, "%s: %s.pkgs: over %u bytes",
                                host, flag, DS_AUDIT_MAX_PKGS_BYTES);
        while (p && p < end) {
            const char *nl = memchr(p, '\n', (gsize)(end - p));
            g_autofree char *name =
                g_strstrip(g_strndup(p, (gsize)((nl ? nl : end) - p)));

            p = nl ? nl + 1 : end;
            if (!*name)
                continue;
            if (!ds_name_is_safe_package(name))
                return ds_error_set(err, DS_EINVALID,
                                    "%s: %s.pkgs: a line is not a package name",
                                    host, flag);
            bool seen = false;
            for (guint i = 0; i < names->len; i++)
                seen = seen || strcmp(names->pdata[i], name) == 0;
            if (!seen)
                g_ptr_array_add(names, g_steal_pointer(&name));
        }
    }
    g_string_append(detail, " exists");
    for (guint i = 0; i < names->len; i++)
        g_string_append_printf(
            detail, "%s%s", i ? ", " : " (packages: ", (char *)names->pdata[i]);
    if (names->len)
        g_string_append_c(detail, ')');
    f = ds_audit_finding_new(DS_AUDIT_REBOOT, detail->str);
    f->path = g_strdup(flag);
    f->packages = g_steal_pointer(&names);
    g_ptr_array_add(findings, f);
    return 0;
}
