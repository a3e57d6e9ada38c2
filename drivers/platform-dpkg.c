/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform-dpkg.c: the dpkg/apt platform: collect a Debian or
 * Ubuntu host's packages, sources, kernel, services and os-release into a
 * manifest in two transport round-trips: the facts script
 * (platform-dpkg-facts.c), then the files script (platform-dpkg-files.c).
 *
 * Every command is a fixed argv or a fixed `sh -c` script; host data
 * (paths) only ever arrives as separate arguments ("$@"), never as code.
 * For a "local:/ROOT" transport commands run on this machine against the
 * tree under ROOT (dpkg-query --admindir, ROOT-prefixed paths), while
 * os-release, apt sources and passwd/group are read through the transport,
 * which keeps symlinks inside ROOT. */
#include <config.h>

#include <string.h>

#include "drivers/platform-dpkg.h"
#include "manifests/util/error.h"
#include "manifests/version.h"

static int dpkg_detect(ds_transport *t, GError **err)
{
    ds_dpkg_ctx c = {.t = t}; /* no host name: the caller prefixes it */
    const char *root = ds_transport_root(t);
    g_autofree char *status = NULL;
    g_autoptr(GBytes) out = NULL;
    GError *local = NULL;
    int st = -1, rc;

    if (root && *root && strcmp(root, "/") != 0)
        c.root = (char *)root;
    status = ds_dpkg_cmd_path(&c, "/var/lib/dpkg/status");
    const char *argv[] = {"test", "-f", status, NULL};
    rc = ds_dpkg_run(&out, &st, &c, argv, 1, &local);
    if (rc == DS_EUNSUPPORTED) {
        g_clear_error(&local);
        return DS_ENOTFOUND;
    }
    if (rc < 0) {
        g_propagate_error(err, local);
        return rc;
    }
    return st == 0 ? 0 : DS_ENOTFOUND;
}

static gboolean is_release(const char *s)
{
    if (!g_ascii_isdigit(*s))
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_isalnum(*s) && !strchr("._+~-", *s))
            return FALSE;
    return TRUE;
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static gint cmp_release(gconstpointer a, gconstpointer b)
{
    return ds_version_compare(*(char *const *)a, *(char *const *)b);
}

/* What one `find` tells about the host layout: sources files, kernels in
 * /boot, whether systemd runs, whether a reboot was requested, and the
 * systemd unit files with their enablement links. */
typedef struct probe {
    GPtrArray *sources; /* host paths */
    GPtrArray *kernels; /* release strings */
    gboolean systemd;
    gboolean reboot_flag;
    GHashTable *units;  /* unit name -> "unknown" | "masked" | "alias" */
    GHashTable *wanted; /* unit names linked from /etc's .wants/.requires
                         * (a template for its instances) */
    GHashTable *links;  /* the names of those links (foo@bar.service) */
    GHashTable *home;   /* unit name -> the directory of the file that
                         * counts (/etc before /lib before /usr/lib) */
} probe;

static const char *const unit_dirs[] = {"/etc/systemd/system",
                                        "/lib/systemd/system",
                                        "/usr/lib/systemd/system"};

static void probe_unit(probe *pr, const char *dir, const char *base,
                       char type, const char *target)
{
    const char *at;

    if (!g_str_has_suffix(base, ".service") || !ds_name_is_safe_service(base))
        return;
    for (gsize i = 0; type == 'l' && i < G_N_ELEMENTS(unit_dirs); i++) {
        const char *slash = strrchr(target, '/');
        const char *state = NULL;

        if (strcmp(dir, unit_dirs[i]) != 0)
            continue;
        if (strcmp(target, "/dev/null") == 0 || !*target)
            state = "masked";
        else if (strcmp(slash ? slash + 1 : target, base) != 0)
            state = "alias";
        if (!state)
            break;
        /* the first directory that has the unit decides */
        if (!g_hash_table_contains(pr->units, base))
            g_hash_table_insert(pr->units, g_strdup(base), (char *)state);
        return;
    }
    if (g_str_has_prefix(dir, "/etc/systemd/system/") &&
        !strchr(dir + 20, '/') &&
        (g_str_has_suffix(dir, ".wants") || g_str_has_suffix(dir, ".requires"))) {
        /* foo@bar.service enables the template foo@.service */
        at = strchr(base, '@');
        g_hash_table_add(pr->links, g_strdup(base));
        g_hash_table_add(pr->wanted,
                         at ? g_strdup_printf("%.*s.service",
                                              (int)(at - base + 1), base)
                            : g_strdup(base));
        return;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(unit_dirs); i++)
        if (strcmp(dir, unit_dirs[i]) == 0 && (type == 'f' || type == 'l') &&
            !g_hash_table_contains(pr->units, base)) {
            g_hash_table_insert(pr->units, g_strdup(base), "unknown");
            g_hash_table_insert(pr->home, g_strdup(base), g_strdup(dir));
        }
}

/* What a unit file (the one that counts) says in its [Install] section. */
typedef struct install_info {
    gboolean rules;         /* WantedBy=, RequiredBy=, UpheldBy=, Alias= */
    gboolean also;          /* Also= */
    char *default_instance; /* DefaultInstance= */
} install_info;

static void install_info_free(gpointer p)
{
    install_info *i = p;

    g_free(i->default_instance);
    g_free(i);
}

/* The install section: "PATH\0LINE\n" per matching line.  Unit name ->
 * install_info, or NULL when the host did not say (no section). */
static GHashTable *install_infos(ds_dpkg_ctx *c, probe *pr,
                                 ds_dpkg_facts *facts)
{
    GBytes *b = ds_dpkg_facts_get(facts, "install");
    GHashTable *out;
    const char *p, *end;
    gsize len;

    if (!b)
        return NULL;
    out = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                install_info_free);
    p = g_bytes_get_data(b, &len);
    end = p + len;
    while (p < end) {
        const char *z = memchr(p, '\0', (gsize)(end - p));
        const char *nl = z ? memchr(z, '\n', (gsize)(end - z)) : NULL;
        g_autofree char *dir = NULL;
        g_autofree char *key = NULL;
        const char *path, *base, *eq;
        install_info *info;

        if (!nl)
            break;
        path = ds_dpkg_host_path(c, p);
        eq = memchr(z + 1, '=', (gsize)(nl - z - 1));
        p = nl + 1;
        if (!path || !eq || !(base = strrchr(path, '/')))
            continue;
        dir = g_path_get_dirname(path);
        if (g_strcmp0(g_hash_table_lookup(pr->home, base + 1), dir) != 0)
            continue;
        if (!(info = g_hash_table_lookup(out, base + 1))) {
            info = g_new0(install_info, 1);
            g_hash_table_insert(out, g_strdup(base + 1), info);
        }
        key = g_strstrip(g_strndup(z + 1, (gsize)(eq - z - 1)));
        if (strcmp(key, "Also") == 0)
            info->also = TRUE;
        else if (strcmp(key, "DefaultInstance") == 0) {
            g_free(info->default_instance);
            info->default_instance =
                g_strstrip(g_strndup(eq + 1, (gsize)(nl - eq - 1)));
        } else
            info->rules = TRUE;
    }
    return out;
}

static int parse_probe(probe *pr, ds_dpkg_ctx *c, GBytes *out,
                       GError **err)
{
    const char *p, *end;
    gsize len;

    if (!out) /* the script always prints it: its output was cut */
        return ds_error_set(err, DS_EINVALID,
                            "%s: the collection script's output has no probe section", c->host);
    p = g_bytes_get_data(out, &len);
    end = p + len;
    while (p < end) {
        const char *z = memchr(p, '\0', (gsize)(end - p));
        const char *z2 = z ? memchr(z + 1, '\0', (gsize)(end - z - 1)) : NULL;
        g_autofree char *dir = NULL;
        const char *path, *base, *target;
        char type;

        if (!z2 || z - p < 3 || p[1] != ' ')
            return ds_error_set(err, DS_EINVALID,
                                "%s: find output: malformed record", c->host);
        type = p[0];
        path = ds_dpkg_host_path(c, p + 2);
        target = z + 1;
        p = z2 + 1;
        if (!path || !g_utf8_validate(path, -1, NULL))
            continue;
        dir = g_path_get_dirname(path);
        base = strrchr(path, '/') + 1;
        if (strcmp(path, "/run/systemd/system") == 0 && type == 'd')
            pr->systemd = !c->root;
        else if (strcmp(path, "/run/reboot-required") == 0)
            pr->reboot_flag = TRUE;
        else if (strcmp(path, "/etc/apt/sources.list") == 0 &&
                 (type == 'f' || type == 'l'))
            g_ptr_array_add(pr->sources, g_strdup(path));
        else if (strcmp(dir, "/etc/apt/sources.list.d") == 0 &&
                 (type == 'f' || type == 'l') &&
                 (g_str_has_suffix(base, ".list") ||
                  g_str_has_suffix(base, ".sources")) &&
                 strspn(base, "abcdefghijklmnopqrstuvwxyz"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
                     strlen(base))
            g_ptr_array_add(pr->sources, g_strdup(path));
        else if (strcmp(dir, "/boot") == 0 &&
                 g_str_has_prefix(base, "vmlinuz-") && is_release(base + 8))
            g_ptr_array_add(pr->kernels, g_strdup(base + 8));
        else if (g_str_has_prefix(path, "/etc/systemd/system/") ||
                 g_str_has_prefix(path, "/lib/systemd/system/") ||
                 g_str_has_prefix(path, "/usr/lib/systemd/system/"))
            probe_unit(pr, dir, base, type, target);
    }
    g_ptr_array_sort(pr->sources, cmp_str);
    return 0;
}

static int collect_kernel(ds_manifest *m, ds_dpkg_ctx *c, probe *pr,
                          ds_dpkg_facts *facts, GError **err)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    const char *newest = NULL;

    /* Installed kernels: /boot/vmlinuz-RELEASE and linux-image-RELEASE
     * packages (the meta packages like linux-image-amd64 are no release). */
    for (guint i = 0; i < m->packages->len; i++) {
        ds_package *p = m->packages->pdata[i];
        if (g_str_has_prefix(p->name, "linux-image-") &&
            is_release(p->name + 12))
            g_ptr_array_add(pr->kernels, g_strdup(p->name + 12));
    }
    g_ptr_array_sort(pr->kernels, cmp_release);
    for (guint i = 0; i < pr->kernels->len; i++) {
        char *k = pr->kernels->pdata[i];
        if (g_hash_table_add(seen, k))
            g_ptr_array_add(m->kernel.installed, g_strdup(k));
        newest = k;
    }
    if (c->root) {
        /* An image under a root runs nothing: its newest installed kernel
         * stands in for the running one. */
        m->kernel.running = g_strdup(newest ? newest : "unknown");
    } else {
        GBytes *out = ds_dpkg_facts_get(facts, "uname");
        g_autofree char *rel = NULL;
        gsize len;
        const char *d;

        if (!out)
            return ds_error_set(err, DS_EINVALID, "%s: no uname -r output",
                                c->host);
        d = g_bytes_get_data(out, &len);
        rel = g_strstrip(g_strndup(len ? d : "", len));
        if (!is_release(rel) || strlen(rel) != len - (len && d[len - 1] == '\n')) {
            g_autofree char *show = ds_dpkg_show(d, len);
            return ds_error_set(err, DS_EINVALID,
                                "%s: uname -r output %s is not a kernel release",
                                c->host, show);
        }
        m->kernel.running = g_steal_pointer(&rel);
    }
    m->reboot_required =
        pr->reboot_flag ||
        (newest && ds_version_compare(newest, m->kernel.running) > 0);
    return 0;
}

static int collect_os(ds_manifest *m, ds_dpkg_ctx *c, ds_dpkg_facts *facts,
                      GError **err)
{
    static const char *const paths[] = {"/etc/os-release",
                                        "/usr/lib/os-release"};
    GBytes *os = ds_dpkg_facts_get(facts, "os-release");

    if (!c->root) {
        g_autofree char *origin = g_strdup_printf("%s: os-release", c->host);
        gsize len = 0;
        const char *d = os ? g_bytes_get_data(os, &len) : "";
        return ds_dpkg_parse_os_release(&m->os.id, &m->os.version,
                                        &m->os.name, origin, d, len, err);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
        g_autoptr(GBytes) data = NULL;
        g_autofree char *origin = NULL;
        GError *local = NULL;
        gsize len;
        const char *d;
        int rc = ds_transport_read_file(c->t, paths[i], &data, &local);

        if (rc == DS_ENOTFOUND && i + 1 < G_N_ELEMENTS(paths)) {
            g_clear_error(&local);
            continue;
        }
        if (rc < 0) {
            g_propagate_error(err, local);
            return ds_dpkg_name_host(err, rc, c->host);
        }
        d = g_bytes_get_data(data, &len);
        origin = g_strdup_printf("%s: %s", c->host, paths[i]);
        return ds_dpkg_parse_os_release(&m->os.id, &m->os.version,
                                        &m->os.name, origin, d, len, err);
    }
    return 0;
}

static int collect_sources(ds_manifest *m, ds_dpkg_ctx *c, probe *pr,
                           ds_dpkg_facts *facts, GError **err)
{
    if (!c->root) {
        for (guint i = 0; i < facts->sources->len; i++) {
            ds_dpkg_source *src = facts->sources->pdata[i];
            g_autofree char *origin = NULL;
            const char *d;
            gsize len;
            int rc;

            if (!ds_name_is_safe_path(src->path))
                return ds_error_set(err, DS_EINVALID,
                                    "%s: apt sources file name is not a safe path",
                                    c->host);
            origin = g_strdup_printf("%s: %s", c->host, src->path);
            d = g_bytes_get_data(src->data, &len);
            rc = ds_apt_parse_sources(m->sources, origin, d, len,
                                      g_str_has_suffix(src->path, ".sources"),
                                      err);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    /* Under a root, files are read by the transport (it keeps symlinks
     * inside the root). */
    for (guint i = 0; i < pr->sources->len; i++) {
        const char *path = pr->sources->pdata[i];
        g_autoptr(GBytes) data = NULL;
        g_autofree char *origin = g_strdup_printf("%s: %s", c->host, path);
        GError *local = NULL;
        const char *d;
        gsize len;
        int rc = ds_transport_read_file(c->t, path, &data, &local);

        if (rc < 0) {
            g_propagate_error(err, local);
            return ds_dpkg_name_host(err, rc, c->host);
        }
        d = g_bytes_get_data(data, &len);
        rc = ds_apt_parse_sources(m->sources, origin, d, len,
                                  g_str_has_suffix(path, ".sources"), err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static gboolean is_state(const char *s)
{
    if (!*s)
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_islower(*s) && *s != '-')
            return FALSE;
    return TRUE;
}

/* Parse systemctl listing lines: column 0 the unit, column `col` a state.
 * Fills `map` (unit -> state); `skip_col`/`skip` drops e.g. not-found. */
static int parse_units(GHashTable *map, ds_dpkg_ctx *c, GBytes *out,
                       guint col, guint skip_col, const char *skip,
                       const char *what, GError **err)
{
    gsize len;
    const char *d = g_bytes_get_data(out, &len);
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    if (memchr(d, '\0', len) || !g_utf8_validate(d, (gssize)len, NULL))
        return ds_error_set(err, DS_EINVALID,
                            "%s: %s output is not valid UTF-8", c->host, what);
    text = g_strndup(d, len);
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        g_auto(GStrv) f = NULL;

        if (!*g_strstrip(lines[i]))
            continue;
        f = g_strsplit_set(lines[i], " \t", -1);
        /* g_strsplit_set leaves empty fields between runs of blanks. */
        guint n = 0;
        for (guint j = 0; f[j]; j++)
            if (*f[j])
                f[n++] = f[j];
            else
                g_free(f[j]);
        f[n] = NULL;
        if (n <= col || n <= skip_col)
            return ds_error_set(err, DS_EINVALID,
                                "%s: %s output line %u: too few columns",
                                c->host, what, i + 1);
        if (!g_str_has_suffix(f[0], ".service"))
            continue;
        if (!ds_name_is_safe_service(f[0]) || !is_state(f[col])) {
            g_autofree char *show = ds_dpkg_show(lines[i], strlen(lines[i]));
            return ds_error_set(err, DS_EINVALID,
                                "%s: %s output line %u: %s is not a valid unit name and state",
                                c->host, what, i + 1, show);
        }
        if (skip && strcmp(f[skip_col], skip) == 0)
            continue;
        g_hash_table_replace(map, g_strdup(f[0]), g_strdup(f[col]));
    }
    return 0;
}

/* A template linked through instances is "enabled" when its
 * DefaultInstance= is one of them, otherwise "indirect" (as systemctl
 * says). */
static const char *template_state(probe *pr, const install_info *info,
                                  const char *unit)
{
    g_autofree char *link = NULL;

    if (g_hash_table_contains(pr->links, unit))
        return "enabled"; /* the template itself is linked */
    if (!info || !info->default_instance)
        return "indirect";
    link = g_strdup_printf("%.*s%s.service",
                           (int)(strlen(unit) - strlen(".service")), unit,
                           info->default_instance);
    return g_hash_table_contains(pr->links, link) ? "enabled" : "indirect";
}

/* Services.  Where systemd runs: enablement from list-unit-files and
 * activity from list-units.  Where it does not (a container, a guest with
 * another init, an image under local:/ROOT) nothing can say what is
 * active, so activity is "unknown", and enablement is read from the unit
 * files as systemctl would: "masked" (linked to /dev/null), "alias" (a
 * link to another unit), "enabled" (linked from a .wants/.requires
 * directory in /etc), "disabled" (its [Install] section has WantedBy=,
 * RequiredBy=, UpheldBy= or Alias=), "indirect" (only Also=), otherwise
 * "static".  That is one grep over the unit files; `systemctl
 * list-unit-files` without a manager costs seconds on a small guest. */
static int collect_services(ds_manifest *m, ds_dpkg_ctx *c, probe *pr,
                            ds_dpkg_facts *facts, GError **err)
{
    g_autoptr(GHashTable) enabled =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GHashTable) active =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GBytes *out;
    GHashTableIter it;
    gpointer k, v;
    int rc;

    if (!pr->systemd) {
        g_autoptr(GHashTable) infos = install_infos(c, pr, facts);

        g_hash_table_iter_init(&it, pr->units);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            const install_info *info =
                infos ? g_hash_table_lookup(infos, k) : NULL;
            const char *state = v;

            if (strcmp(state, "unknown") != 0)
                ;
            else if (g_hash_table_contains(pr->wanted, k))
                state = infos && g_str_has_suffix(k, "@.service")
                            ? template_state(pr, info, k)
                            : "enabled";
            else if (infos)
                state = info && info->rules  ? "disabled"
                        : info && info->also ? "indirect"
                                             : "static";
            g_ptr_array_add(m->services, ds_service_new(k, state, "unknown"));
        }
        return 0;
    }
    out = ds_dpkg_facts_get(facts, "unit-files");
    if (!out || (rc = parse_units(enabled, c, out, 1, 0, NULL,
                                  "systemctl list-unit-files", err)) < 0)
        return out ? rc
                   : ds_error_set(err, DS_EINVALID,
                                  "%s: no systemctl list-unit-files output",
                                  c->host);
    out = ds_dpkg_facts_get(facts, "units");
    if (!out || (rc = parse_units(active, c, out, 2, 1, "not-found",
                                  "systemctl list-units", err)) < 0)
        return out ? rc
                   : ds_error_set(err, DS_EINVALID,
                                  "%s: no systemctl list-units output",
                                  c->host);
    g_hash_table_iter_init(&it, enabled);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const char *a = g_hash_table_lookup(active, k);
        g_ptr_array_add(m->services,
                        ds_service_new(k, v, a ? a : "inactive"));
    }
    /* Loaded units without a unit file of their own (generated, transient). */
    g_hash_table_iter_init(&it, active);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (!g_hash_table_contains(enabled, k))
            g_ptr_array_add(m->services, ds_service_new(k, "unknown", v));
    return 0;
}

/* Under a root, owners are names from the root's own passwd and group. */
static void load_ids(GHashTable **map, ds_dpkg_ctx *c, const char *path)
{
    g_autoptr(GBytes) data = NULL;
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    gsize len;
    const char *d;

    *map = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    if (ds_transport_read_file(c->t, path, &data, NULL) < 0)
        return;
    d = g_bytes_get_data(data, &len);
    if (!g_utf8_validate(d, (gssize)len, NULL))
        return;
    text = g_strndup(d, len);
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], ":", 4);
        if (g_strv_length(f) == 4 && *f[0] && *f[2])
            g_hash_table_insert(*map, g_strdup(f[2]), g_strdup(f[0]));
    }
}

/* The configured files must be safe absolute paths (a directory ends
 * with '/'). */
static int check_configured_files(const ds_dpkg_ctx *c, GError **err)
{
    const char *const *files = c->opts->files;

    for (guint i = 0; files && files[i]; i++)
        if (!ds_name_is_safe_path(files[i]) &&
            !(g_str_has_suffix(files[i], "/") && files[i][0] == '/')) {
            g_autofree char *show = ds_dpkg_show(files[i], strlen(files[i]));

            return ds_error_set(err, DS_EINVALID, "%s: configured file %s is not a safe absolute path", c->host, show);
        }
    return 0;
}

/* Whether the host answered as a dpkg host does. */
static int facts_usable(const ds_dpkg_facts *facts, const char *host,
                        GError **err)
{
    g_autofree char *why = NULL;

    if (ds_dpkg_facts_get(facts, "no-dpkg"))
        return ds_error_set(err, DS_EUNSUPPORTED, "%s: unknown platform (no dpkg database in /var/lib/dpkg)", host);
    if (facts->dpkg_status == 0)
        return 0;
    why = ds_dpkg_fold_stderr(facts->err);
    return ds_error_set(err, facts->dpkg_status == 127 ? DS_ENOTFOUND
                                                       : DS_EGENERIC,
                        "%s: dpkg-query failed (exit status %d)%s%s", host,
                        facts->dpkg_status, why ? ": " : "", why ? why : "");
}

/* An empty probe whose containers own their contents. */
static void probe_init(probe *pr)
{
    pr->sources = g_ptr_array_new_with_free_func(g_free);
    pr->kernels = g_ptr_array_new_with_free_func(g_free);
    pr->units = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    pr->wanted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    pr->home = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    pr->links = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

static int dpkg_collect(ds_manifest **out, ds_transport *t,
                        const ds_collect_options *opts, GError **err)
{
    ds_dpkg_ctx c = {.t = t, .opts = opts};
    const char *root = ds_transport_root(t);
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GPtrArray) conffiles =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_conffile_free);
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autoptr(GHashTable) md5s =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    ds_dpkg_facts *facts = NULL;
    GBytes *q;
    probe pr = {0};
    const char *d;
    gsize len;
    int rc;

    *out = NULL;
    c.host = opts->host ? opts->host : "host";
    if (root && *root && strcmp(root, "/") != 0)
        c.root = g_strdup(root);
    if (c.root)
        while (g_str_has_suffix(c.root, "/"))
            c.root[strlen(c.root) - 1] = '\0';
    probe_init(&pr);
    m = ds_manifest_new(c.host, opts->role);
    m->collected_at = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    m->collector.version = g_strdup(PACKAGE_VERSION);
    m->collector.transport = g_strdup(ds_transport_scheme(t));

    /* Refuse bad configuration before reaching the host; then one
     * round-trip for packages, conffile checksums, kernel, layout,
     * os-release, sources and services (packages and apt's answers only
     * with opts->pending_only, and then no second one for files). */
    if ((rc = check_configured_files(&c, err)) < 0 ||
        (rc = ds_dpkg_facts_collect(&facts, &c, err)) < 0 ||
        (rc = facts_usable(facts, c.host, err)) < 0)
        goto done;
    q = ds_dpkg_facts_get(facts, "dpkg");
    d = q ? g_bytes_get_data(q, &len) : (len = 0, "");
    rc = ds_dpkg_parse_query(m->packages, conffiles, c.host, d, len, err);
    if (rc < 0)
        goto done;
    /* sorted for the look-ups of the selection state */
    if ((rc = ds_manifest_normalise(m, err)) < 0 ||
        (rc = ds_dpkg_collect_selection(m, &c, facts, err)) < 0)
        goto done;
    if (opts->pending_only) {
        rc = ds_dpkg_finish(out, &m, c.host, err);
        goto done;
    }
    q = ds_dpkg_facts_get(facts, "md5");
    if (q && (rc = ds_dpkg_parse_sums(&c, q, md5s, err)) < 0)
        goto done;
    q = ds_dpkg_facts_get(facts, "probe");
    if ((rc = parse_probe(&pr, &c, q, err)) < 0 ||
        (rc = collect_os(m, &c, facts, err)) < 0 ||
        (rc = collect_kernel(m, &c, &pr, facts, err)) < 0 ||
        (rc = collect_sources(m, &c, &pr, facts, err)) < 0 ||
        (rc = collect_services(m, &c, &pr, facts, err)) < 0)
        goto done;
    if (c.root) {
        load_ids(&c.uids, &c, "/etc/passwd");
        load_ids(&c.gids, &c, "/etc/group");
    }
    rc = ds_dpkg_collect_files(m->files, &c, conffiles, md5s, err);
    if (rc < 0)
        goto done;
    rc = ds_dpkg_finish(out, &m, c.host, err);
done:
    g_ptr_array_unref(pr.sources);
    g_ptr_array_unref(pr.kernels);
    g_hash_table_unref(pr.units);
    g_hash_table_unref(pr.wanted);
    g_hash_table_unref(pr.home);
    g_hash_table_unref(pr.links);
    g_clear_pointer(&c.uids, g_hash_table_unref);
    g_clear_pointer(&c.gids, g_hash_table_unref);
    g_free(c.root);
    ds_dpkg_facts_free(facts);
    return rc;
}

/* For the rpm platform: the services from its facts script's probe,
 * unit-files, units and install sections, read as for a dpkg host. */
int ds_systemd_collect_services(ds_manifest *m, ds_dpkg_ctx *c,
                                ds_dpkg_facts *facts, GError **err)
{
    probe pr = {0};
    int rc;

    probe_init(&pr);
    rc = parse_probe(&pr, c, ds_dpkg_facts_get(facts, "probe"), err);
    if (rc == 0)
        rc = collect_services(m, c, &pr, facts, err);
    g_ptr_array_unref(pr.sources);
    g_ptr_array_unref(pr.kernels);
    g_hash_table_unref(pr.units);
    g_hash_table_unref(pr.wanted);
    g_hash_table_unref(pr.home);
    g_hash_table_unref(pr.links);
    return rc;
}

void ds_dpkg_load_root_ids(ds_dpkg_ctx *c)
{
    load_ids(&c->uids, c, "/etc/passwd");
    load_ids(&c->gids, c, "/etc/group");
}

const ds_platform_ops ds_platform_dpkg_ops = {
    .name = "dpkg",
    .detect = dpkg_detect,
    .collect = dpkg_collect,
};
