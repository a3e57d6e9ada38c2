/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform-rpm.c: the rpm platform (RHEL, Rocky, Alma, CentOS,
 * Fedora): collect an rpm host's packages (several versions of one name
 * included), enabled repositories, kernel, services, os-release, and the
 * configured and modified %config files, and the pending updates dnf
 * offers (platform-rpm-pending.c) and its holds (dnf's versionlock,
 * platform-rpm-lock.c) into a manifest.  One round-trip for
 * the facts (drivers/scripts/rpm-facts.sh), one for the files (the dpkg
 * platform's files script, shared).  The replay is in
 * platform-rpm-apply.c (the plan in sync/plan/plan-rpm.c).  Needs librpm
 * for the version order; a build without it refuses rpm hosts by name. */
#include <config.h>

#include <string.h>

#include "drivers/platform-dpkg.h"
#include "drivers/platform-rpm.h"
#include "drivers/scripts.h"
#include "manifests/util/error.h"
#include "manifests/version.h"

static const char *const os_release_paths[] = {"/etc/os-release",
                                               "/usr/lib/os-release"};

/* os-release through the transport (it keeps symlinks inside a root);
 * *out NULL when the host has none. */
static int read_os_release(GBytes **out, const char **path, ds_transport *t,
                           GError **err)
{
    *out = NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(os_release_paths); i++) {
        GError *local = NULL;
        int rc = ds_transport_read_file(t, os_release_paths[i], out, &local);

        if (rc == DS_ENOTFOUND || rc == DS_EUNSUPPORTED) {
            g_clear_error(&local);
            if (rc == DS_EUNSUPPORTED)
                return 0;
            continue;
        }
        if (rc < 0) {
            g_propagate_error(err, local);
            return rc;
        }
        *path = os_release_paths[i];
        return 0;
    }
    return 0;
}

static int rpm_detect(ds_transport *t, GError **err)
{
    g_autoptr(GBytes) os = NULL;
    const char *path = NULL;
    gsize len;
    const char *d;
    int rc = read_os_release(&os, &path, t, err);

    if (rc < 0)
        return rc;
    if (!os)
        return DS_ENOTFOUND;
    d = g_bytes_get_data(os, &len);
    return ds_rpm_os_release_matches(d, len) ? 0 : DS_ENOTFOUND;
}

static int collect_os(ds_manifest *m, ds_dpkg_ctx *c, ds_dpkg_facts *facts,
                      GError **err)
{
    g_autoptr(GBytes) os = NULL;
    g_autofree char *origin = NULL;
    const char *path = "os-release";
    const char *d;
    gsize len = 0;
    int rc;

    if (!c->root) {
        GBytes *b = ds_dpkg_facts_get(facts, "os-release");
        os = b ? g_bytes_ref(b) : NULL;
    } else if ((rc = read_os_release(&os, &path, c->t, err)) < 0)
        return ds_dpkg_name_host(err, rc, c->host);
    d = os ? g_bytes_get_data(os, &len) : "";
    origin = g_strdup_printf("%s: %s", c->host, path);
    return ds_dpkg_parse_os_release(&m->os.id, &m->os.version, &m->os.name,
                                    origin, d, len, err);
}

/* "VERSION-RELEASE.ARCH" (as uname -r says) of an EVR without its epoch. */
static char *kernel_release(const char *evr, const char *arch)
{
    const char *colon = strchr(evr, ':');

    return g_strdup_printf("%s.%s", colon ? colon + 1 : evr, arch);
}

/* The part of a kernel release rpm orders: without ".ARCH". */
static char *release_vr(const char *rel)
{
    const char *dot = strrchr(rel, '.');

    return dot ? g_strndup(rel, (gsize)(dot - rel)) : g_strdup(rel);
}

/* Installed kernels from kernel-core (else kernel) packages, the running
 * one from uname -r (under a root: the newest), and whether the newest
 * installed one is newer than the running one. */
static int collect_kernel(ds_manifest *m, ds_dpkg_ctx *c,
                          ds_dpkg_facts *facts, GError **err)
{
    const char *const names[] = {"kernel-core.", "kernel."};
    const char *newest = NULL;

    for (gsize n = 0; n < G_N_ELEMENTS(names) && !m->kernel.installed->len;
         n++)
        for (guint i = 0; i < m->packages->len; i++) {
            ds_package *p = m->packages->pdata[i];

            if (!g_str_has_prefix(p->name, names[n]) ||
                strcmp(p->name + strlen(names[n]), p->arch) != 0)
                continue;
            g_ptr_array_add(m->kernel.installed,
                            kernel_release(p->version, p->arch));
            newest = m->kernel.installed->pdata[m->kernel.installed->len - 1];
            for (guint j = 0; p->other_versions && j < p->other_versions->len;
                 j++)
                g_ptr_array_add(m->kernel.installed,
                                kernel_release(p->other_versions->pdata[j],
                                               p->arch));
        }
    if (c->root) {
        m->kernel.running = g_strdup(newest ? newest : "unknown");
    } else {
        GBytes *out = ds_dpkg_facts_get(facts, "uname");
        gsize len = 0;
        const char *d = out ? g_bytes_get_data(out, &len) : "";
        g_autofree char *rel = g_strstrip(g_strndup(d, len));

        if (!*rel || strchr(rel, ' ') || strchr(rel, '\n')) {
            g_autofree char *show = ds_dpkg_show(d, len);
            return ds_error_set(err, DS_EINVALID,
                                "%s: uname -r output %s is not a kernel release",
                                c->host, show);
        }
        m->kernel.running = g_steal_pointer(&rel);
    }
    if (newest && strcmp(newest, m->kernel.running) != 0) {
        g_autofree char *a = release_vr(newest);
        g_autofree char *b = release_vr(m->kernel.running);

        m->reboot_required = !ds_rpm_evr_is_valid(b) ||
                             ds_rpm_evr_compare(a, b) > 0;
    }
    return 0;
}

/* Under a root, the .repo files the probe found, read through the
 * transport; on the host itself the script printed them. */
static int collect_repos(ds_manifest *m, ds_dpkg_ctx *c, ds_dpkg_facts *facts,
                         GError **err)
{
    GBytes *probe = ds_dpkg_facts_get(facts, "probe");
    const char *p, *end;
    gsize len;
    int rc;

    for (guint i = 0; !c->root && i < facts->sources->len; i++) {
        ds_dpkg_source *src = facts->sources->pdata[i];
        g_autofree char *origin = g_strdup_printf("%s: %s", c->host, src->path);
        const char *d = g_bytes_get_data(src->data, &len);

        if ((rc = ds_rpm_parse_repo(m->sources, origin, d, len, err)) < 0)
            return rc;
    }
    if (!c->root || !probe)
        return 0;
    p = g_bytes_get_data(probe, &len);
    end = p + len;
    while (p < end) {
        const char *z = memchr(p, '\0', (gsize)(end - p));
        const char *z2 = z ? memchr(z + 1, '\0', (gsize)(end - z - 1)) : NULL;
        const char *path = z2 && z - p > 2 ? ds_dpkg_host_path(c, p + 2) : NULL;
        g_autoptr(GBytes) data = NULL;
        g_autofree char *origin = NULL;
        g_autofree char *dir = NULL;
        GError *local = NULL;
        char type = *p;

        if (!z2)
            break;
        p = z2 + 1;
        if (!path || type != 'f' || !g_str_has_suffix(path, ".repo") ||
            !ds_name_is_safe_path(path))
            continue;
        dir = g_path_get_dirname(path);
        if (strcmp(dir, "/etc/yum.repos.d") != 0)
            continue;
        if ((rc = ds_transport_read_file(c->t, path, &data, &local)) < 0) {
            g_propagate_error(err, local);
            return ds_dpkg_name_host(err, rc, c->host);
        }
        origin = g_strdup_printf("%s: %s", c->host, path);
        const char *d = g_bytes_get_data(data, &len);
        if ((rc = ds_rpm_parse_repo(m->sources, origin, d, len, err)) < 0)
            return rc;
    }
    return 0;
}

/* The modified %config files, handed to the shared files collection as
 * "conffiles" whose current checksum differs from the packaged one. */
static int collect_files(ds_manifest *m, ds_dpkg_ctx *c, ds_dpkg_facts *facts,
                         GError **err)
{
    g_autoptr(GPtrArray) modified = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) conffiles =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_conffile_free);
    g_autoptr(GHashTable) sums =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GBytes *v = ds_dpkg_facts_get(facts, "verify");
    gsize len = 0;
    const char *d = v ? g_bytes_get_data(v, &len) : "";
    int rc = ds_rpm_parse_verify(modified, c->host, d, len, err);

    if (rc < 0)
        return rc;
    for (guint i = 0; i < modified->len; i++) {
        ds_conffile *cf = g_new0(ds_conffile, 1);

        cf->path = g_strdup(modified->pdata[i]);
        cf->md5 = g_strdup("packaged");
        g_ptr_array_add(conffiles, cf);
        g_hash_table_replace(sums, g_strdup(cf->path), g_strdup("modified"));
    }
    if (c->root)
        ds_dpkg_load_root_ids(c);
    return ds_dpkg_collect_files(m->files, c, conffiles, sums, err);
}

static int run_facts(ds_dpkg_facts **out, ds_dpkg_ctx *c, GError **err)
{
    g_autoptr(GBytes) stdout_ = NULL;
    ds_dpkg_facts *f = ds_dpkg_facts_new();
    g_autofree char *why = NULL;
    char marker[40];
    int rc;

    ds_dpkg_marker(marker);
    const char *argv[] = {"sh",
                          "-c",
                          ds_script_rpm_facts,
                          "sh",
                          marker,
                          c->root ? c->root : "",
                          DS_RPM_QUERY_FORMAT,
                          c->opts->refresh_lists ? "refresh" : "",
                          c->opts->pending_only ? "pending" : "",
                          DS_RPM_UPGRADES_FORMAT,
                          NULL};
    rc = ds_dpkg_run_full(&stdout_, &f->err, NULL, c, argv, 0, err);
    if (rc == 0)
        rc = ds_dpkg_facts_split(f, marker, stdout_, c->host, err);
    if (rc == 0 && ds_dpkg_facts_get(f, "no-rpm"))
        rc = ds_error_set(err, DS_EUNSUPPORTED, "%s: unknown platform (an rpm family os-release, but no rpm command or database)", c->host);
    else if (rc == 0 && f->dpkg_status != 0) {
        why = ds_dpkg_fold_stderr(f->err);
        rc = ds_error_set(err, DS_EGENERIC,
                          "%s: rpm -qa failed (exit status %d)%s%s", c->host,
                          f->dpkg_status, why ? ": " : "", why ? why : "");
    }
    if (rc < 0) {
        ds_dpkg_facts_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

static int rpm_collect(ds_manifest **out, ds_transport *t,
                       const ds_collect_options *opts, GError **err)
{
    ds_dpkg_ctx c = {.t = t, .opts = opts};
    const char *root = ds_transport_root(t);
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    ds_dpkg_facts *facts = NULL;
    GBytes *q;
    const char *d;
    gsize len = 0;
    int rc;

    *out = NULL;
    c.host = opts->host ? opts->host : "host";
    if (!ds_rpm_vercmp_available())
        return ds_error_set(err, DS_EUNSUPPORTED, "%s: an rpm host (dnf family), but this driftsync was built without librpm (configure --with-rpm; Debian package librpm-dev)", c.host);
    if (root && *root && strcmp(root, "/") != 0) {
        c.root = g_strdup(root);
        while (g_str_has_suffix(c.root, "/"))
            c.root[strlen(c.root) - 1] = '\0';
    }
    m = ds_manifest_new(c.host, opts->role);
    m->platform = g_strdup(DS_PLATFORM_RPM);
    m->collected_at = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    m->collector.version = g_strdup(PACKAGE_VERSION);
    m->collector.transport = g_strdup(ds_transport_scheme(t));
    if ((rc = run_facts(&facts, &c, err)) < 0)
        goto done;
    q = ds_dpkg_facts_get(facts, "rpm");
    d = q ? g_bytes_get_data(q, &len) : "";
    if ((rc = ds_rpm_parse_query(m->packages, c.host, d, len, err)) < 0 ||
        (rc = ds_manifest_normalise(m, err)) < 0 ||
        (rc = ds_rpm_collect_holds(m, &c, facts, err)) < 0 ||
        (rc = ds_rpm_collect_pending(m, &c, facts, err)) < 0)
        goto done;
    if (opts->pending_only) {
        rc = ds_dpkg_finish(out, &m, c.host, err);
        goto done;
    }
    if ((rc = collect_os(m, &c, facts, err)) < 0 ||
        (rc = collect_kernel(m, &c, facts, err)) < 0 ||
        (rc = collect_repos(m, &c, facts, err)) < 0 ||
        (rc = ds_systemd_collect_services(m, &c, facts, err)) < 0 ||
        (rc = collect_files(m, &c, facts, err)) < 0)
        goto done;
    rc = ds_dpkg_finish(out, &m, c.host, err);
done:
    g_clear_pointer(&c.uids, g_hash_table_unref);
    g_clear_pointer(&c.gids, g_hash_table_unref);
    g_free(c.root);
    ds_dpkg_facts_free(facts);
    return rc;
}

const ds_platform_ops ds_platform_rpm_ops = {
    .name = "rpm",
    .detect = rpm_detect,
    .collect = rpm_collect,
};
