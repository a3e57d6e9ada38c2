/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/manifest.c: the in-memory manifest model: construction,
 * normalisation, look-ups, equality and the safe-name rules. */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "manifests/manifest-private.h"
#include "manifests/version.h"

const char *ds_role_name(ds_role role)
{
    return role == DS_ROLE_LAB ? "lab" : "prod";
}

ds_manifest *ds_manifest_new(const char *host, ds_role role)
{
    ds_manifest *m = g_new0(ds_manifest, 1);

    m->host = g_strdup(host);
    m->role = role;
    m->kernel.installed = g_ptr_array_new_with_free_func(g_free);
    m->packages =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_package_free);
    m->sources = g_ptr_array_new_with_free_func(g_free);
    m->files = g_ptr_array_new_with_free_func((GDestroyNotify)ds_file_free);
    m->services =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_service_free);
    return m;
}

void ds_manifest_free(ds_manifest *m)
{
    if (!m)
        return;
    g_free(m->host);
    g_free(m->platform);
    g_free(m->collected_at);
    g_free(m->os.id);
    g_free(m->os.version);
    g_free(m->os.name);
    g_free(m->kernel.running);
    if (m->kernel.installed)
        g_ptr_array_unref(m->kernel.installed);
    if (m->packages)
        g_ptr_array_unref(m->packages);
    if (m->sources)
        g_ptr_array_unref(m->sources);
    if (m->files)
        g_ptr_array_unref(m->files);
    if (m->services)
        g_ptr_array_unref(m->services);
    ds_manifest_free_selection(m);
    g_free(m->collector.version);
    g_free(m->collector.transport);
    g_free(m);
}

ds_package *ds_package_new(const char *name, const char *version,
                           const char *arch, const char *source)
{
    ds_package *p = g_new0(ds_package, 1);

    p->name = g_strdup(name);
    p->version = g_strdup(version);
    p->arch = g_strdup(arch);
    p->source = g_strdup(source);
    return p;
}

void ds_package_free(ds_package *p)
{
    if (!p)
        return;
    g_free(p->name);
    g_free(p->version);
    g_free(p->arch);
    g_free(p->source);
    if (p->other_versions)
        g_ptr_array_unref(p->other_versions);
    g_free(p);
}

ds_file *ds_file_new(const char *path)
{
    ds_file *f = g_new0(ds_file, 1);

    f->path = g_strdup(path);
    f->type = DS_FILE_REGULAR;
    return f;
}

void ds_file_free(ds_file *f)
{
    if (!f)
        return;
    g_free(f->path);
    g_free(f->sha256);
    g_free(f->hmac);
    g_free(f->owner);
    g_free(f->group);
    g_free(f->target);
    g_free(f->content_ref);
    if (f->content)
        g_bytes_unref(f->content);
    g_free(f);
}

ds_service *ds_service_new(const char *name, const char *enabled,
                           const char *active)
{
    ds_service *s = g_new0(ds_service, 1);

    s->name = g_strdup(name);
    s->enabled = g_strdup(enabled);
    s->active = g_strdup(active);
    return s;
}

void ds_service_free(ds_service *s)
{
    if (!s)
        return;
    g_free(s->name);
    g_free(s->enabled);
    g_free(s->active);
    g_free(s);
}

/* ---- comparison and equality ------------------------------------------ */

/* strcmp that orders NULL first. */
static int cmp_str(const char *a, const char *b)
{
    if (a == b)
        return 0;
    if (!a)
        return -1;
    if (!b)
        return 1;
    return strcmp(a, b);
}

static bool eq_str(const char *a, const char *b)
{
    return cmp_str(a, b) == 0;
}

int ds_manifest_cmp_package(gconstpointer a, gconstpointer b)
{
    const ds_package *pa = *(ds_package *const *)a;
    const ds_package *pb = *(ds_package *const *)b;
    return cmp_str(pa->name, pb->name);
}

int ds_manifest_cmp_file(gconstpointer a, gconstpointer b)
{
    const ds_file *fa = *(ds_file *const *)a;
    const ds_file *fb = *(ds_file *const *)b;
    return cmp_str(fa->path, fb->path);
}

int ds_manifest_cmp_service(gconstpointer a, gconstpointer b)
{
    const ds_service *sa = *(ds_service *const *)a;
    const ds_service *sb = *(ds_service *const *)b;
    return cmp_str(sa->name, sb->name);
}

int ds_manifest_cmp_string(gconstpointer a, gconstpointer b)
{
    return cmp_str(*(char *const *)a, *(char *const *)b);
}

static bool strings_equal(GPtrArray *a, GPtrArray *b)
{
    guint la = a ? a->len : 0, lb = b ? b->len : 0;

    if (la != lb)
        return false;
    for (guint i = 0; i < la; i++)
        if (!eq_str(a->pdata[i], b->pdata[i]))
            return false;
    return true;
}

static bool package_equal(const ds_package *a, const ds_package *b)
{
    return eq_str(a->name, b->name) && eq_str(a->version, b->version) &&
           eq_str(a->arch, b->arch) && eq_str(a->source, b->source) &&
           strings_equal(a->other_versions, b->other_versions);
}

bool ds_manifest_is_rpm(const ds_manifest *m)
{
    return m && m->platform && strcmp(m->platform, DS_PLATFORM_RPM) == 0;
}

int ds_manifest_version_compare(const ds_manifest *m, const char *a,
                                const char *b)
{
    return ds_manifest_is_rpm(m) ? ds_rpm_evr_compare(a, b)
                                 : ds_version_compare(a, b);
}

static bool file_equal(const ds_file *a, const ds_file *b)
{
    return eq_str(a->path, b->path) && a->type == b->type &&
           eq_str(a->sha256, b->sha256) && eq_str(a->hmac, b->hmac) &&
           a->secret == b->secret && a->mode == b->mode &&
           eq_str(a->owner, b->owner) && eq_str(a->group, b->group) &&
           eq_str(a->target, b->target) &&
           eq_str(a->content_ref, b->content_ref);
}

static bool service_equal(const ds_service *a, const ds_service *b)
{
    return eq_str(a->name, b->name) && eq_str(a->enabled, b->enabled) &&
           eq_str(a->active, b->active);
}

static bool string_equal(const char *a, const char *b)
{
    return eq_str(a, b);
}

typedef ds_manifest_eq_fn eq_fn;

/* The array itself when already sorted by cmp, else a sorted shallow copy
 * (*tmp receives it, for the caller to unref). */
static GPtrArray *sorted_view(GPtrArray *a, GCompareFunc cmp, GPtrArray **tmp)
{
    *tmp = NULL;
    if (!a)
        return NULL;
    for (guint i = 1; i < a->len; i++) {
        if (cmp(&a->pdata[i - 1], &a->pdata[i]) > 0) {
            *tmp = g_ptr_array_sized_new(a->len);
            for (guint j = 0; j < a->len; j++)
                g_ptr_array_add(*tmp, a->pdata[j]);
            g_ptr_array_sort(*tmp, cmp);
            return *tmp;
        }
    }
    return a;
}

static bool array_equal(GPtrArray *a, GPtrArray *b, GCompareFunc cmp, eq_fn eq)
{
    g_autoptr(GPtrArray) ta = NULL;
    g_autoptr(GPtrArray) tb = NULL;
    guint la = a ? a->len : 0;
    guint lb = b ? b->len : 0;

    if (la != lb)
        return false;
    if (la == 0)
        return true;
    a = sorted_view(a, cmp, &ta);
    b = sorted_view(b, cmp, &tb);
    for (guint i = 0; i < la; i++)
        if (!eq(a->pdata[i], b->pdata[i]))
            return false;
    return true;
}

bool ds_manifest_equal(const ds_manifest *a, const ds_manifest *b)
{
    return ds_manifest_same_state(a, b) &&
           (a == b || eq_str(a->collected_at, b->collected_at));
}

bool ds_manifest_same_state(const ds_manifest *a, const ds_manifest *b)
{
    if (a == b)
        return true;
    if (!a || !b)
        return false;
    return eq_str(a->host, b->host) && a->role == b->role &&
           eq_str(a->platform, b->platform) &&
           eq_str(a->os.id, b->os.id) && eq_str(a->os.version, b->os.version) &&
           eq_str(a->os.name, b->os.name) &&
           eq_str(a->kernel.running, b->kernel.running) &&
           a->reboot_required == b->reboot_required &&
           eq_str(a->collector.version, b->collector.version) &&
           eq_str(a->collector.transport, b->collector.transport) &&
           array_equal(a->kernel.installed, b->kernel.installed,
                       ds_manifest_cmp_string, (eq_fn)string_equal) &&
           array_equal(a->sources, b->sources, ds_manifest_cmp_string,
                       (eq_fn)string_equal) &&
           array_equal(a->packages, b->packages, ds_manifest_cmp_package,
                       (eq_fn)package_equal) &&
           array_equal(a->files, b->files, ds_manifest_cmp_file,
                       (eq_fn)file_equal) &&
           array_equal(a->services, b->services, ds_manifest_cmp_service,
                       (eq_fn)service_equal) &&
           ds_manifest_selection_equal(a, b);
}

/* ---- normalisation ------------------------------------------------------ */

/* Sort `a` by cmp and drop entries equal (eq) to their predecessor; two
 * entries with the same key (cmp == 0) but different values are an error
 * naming the key. */
int ds_manifest_sort_unique(GPtrArray *a, GCompareFunc cmp, eq_fn eq,
                            const char *(*key)(const void *),
                            const char *host, const char *section,
                            GError **err)
{
    guint out = 0;

    if (!a || a->len == 0)
        return 0;
    for (guint i = 0; i < a->len; i++) {
        if (!a->pdata[i] || !key(a->pdata[i]))
            return ds_error_set(err, DS_EINVALID,
                                "%s: %s: entry %u has no name", host, section,
                                i);
    }
    for (guint i = 1; i < a->len; i++) {
        if (cmp(&a->pdata[i - 1], &a->pdata[i]) >= 0) {
            g_ptr_array_sort(a, cmp);
            break;
        }
    }
    for (guint i = 1; i < a->len; i++) {
        void *prev = a->pdata[out];
        void *cur = a->pdata[i];
        if (cmp(&prev, &cur) == 0) {
            if (!eq(prev, cur)) {
                g_autoptr(GString) path = g_string_new(section);
                const char *k = key(cur);
                ds_manifest_path_key(path, k, strlen(k));
                return ds_error_set(err, DS_EINVALID,
                                    "%s: %s: two entries with different values",
                                    host, path->str);
            }
            continue; /* exact duplicate: left behind, removed below */
        }
        out++;
        if (out != i) {
            /* keep cur; the duplicate at `out` moves back to i */
            a->pdata[i] = a->pdata[out];
            a->pdata[out] = cur;
        }
    }
    if (out + 1 < a->len)
        g_ptr_array_remove_range(a, out + 1, a->len - out - 1);
    return 0;
}

static const char *key_string(const void *s)
{
    return s;
}

static const char *key_package(const void *p)
{
    return ((const ds_package *)p)->name;
}

static const char *key_file(const void *f)
{
    return ((const ds_file *)f)->path;
}

static const char *key_service(const void *s)
{
    return ((const ds_service *)s)->name;
}

int ds_manifest_normalise(ds_manifest *m, GError **err)
{
    const char *host;
    int rc;

    g_return_val_if_fail(m != NULL, DS_EINVALID);
    host = m->host && ds_name_is_safe_host(m->host) ? m->host : "manifest";
    if (!m->kernel.installed)
        m->kernel.installed = g_ptr_array_new_with_free_func(g_free);
    if (!m->sources)
        m->sources = g_ptr_array_new_with_free_func(g_free);
    if (!m->packages)
        m->packages =
            g_ptr_array_new_with_free_func((GDestroyNotify)ds_package_free);
    if (!m->files)
        m->files = g_ptr_array_new_with_free_func((GDestroyNotify)ds_file_free);
    if (!m->services)
        m->services =
            g_ptr_array_new_with_free_func((GDestroyNotify)ds_service_free);

    if ((rc = ds_manifest_sort_unique(m->kernel.installed, ds_manifest_cmp_string,
                          (eq_fn)string_equal, key_string, host,
                          "kernel.installed", err)) < 0 ||
        (rc = ds_manifest_sort_unique(m->sources, ds_manifest_cmp_string,
                          (eq_fn)string_equal, key_string, host, "sources",
                          err)) < 0 ||
        (rc = ds_manifest_sort_unique(m->packages, ds_manifest_cmp_package,
                          (eq_fn)package_equal, key_package, host, "packages",
                          err)) < 0 ||
        (rc = ds_manifest_sort_unique(m->files, ds_manifest_cmp_file, (eq_fn)file_equal,
                          key_file, host, "files", err)) < 0 ||
        (rc = ds_manifest_sort_unique(m->services, ds_manifest_cmp_service,
                          (eq_fn)service_equal, key_service, host, "services",
                          err)) < 0)
        return rc;
    for (guint i = 0; i < m->packages->len; i++) {
        ds_package *p = m->packages->pdata[i];
        if (p->other_versions && p->other_versions->len == 0)
            g_clear_pointer(&p->other_versions, g_ptr_array_unref);
        if (p->other_versions &&
            (rc = ds_manifest_sort_unique(p->other_versions,
                                          ds_manifest_cmp_string,
                                          (eq_fn)string_equal, key_string,
                                          host, "other_versions", err)) < 0)
            return rc;
    }
    return ds_manifest_normalise_selection(m, host, err);
}

/* ---- look-ups ----------------------------------------------------------- */

static void *bsearch_by(GPtrArray *a, const char *name,
                        const char *(*key)(const void *))
{
    guint lo = 0, hi;

    if (!a || !name)
        return NULL;
    hi = a->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        const char *k = key(a->pdata[mid]);
        int c = k ? strcmp(k, name) : -1;
        if (c == 0)
            return a->pdata[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const ds_package *ds_manifest_find_package(const ds_manifest *m,
                                           const char *name)
{
    return m ? bsearch_by(m->packages, name, key_package) : NULL;
}

const ds_file *ds_manifest_find_file(const ds_manifest *m, const char *path)
{
    return m ? bsearch_by(m->files, path, key_file) : NULL;
}

const ds_service *ds_manifest_find_service(const ds_manifest *m,
                                           const char *name)
{
    return m ? bsearch_by(m->services, name, key_service) : NULL;
}

/* ---- safe names ---------------------------------------------------------- */

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool ds_name_is_safe_host(const char *name)
{
    gsize n;

    if (!name || !is_alnum(name[0]))
        return false;
    for (n = 1; name[n]; n++) {
        char c = name[n];
        if (n >= 253)
            return false;
        if (!is_alnum(c) && c != '.' && c != '_' && c != '-')
            return false;
        if (c == '.' && name[n - 1] == '.')
            return false;
    }
    return true;
}

bool ds_name_is_safe_package(const char *name)
{
    gsize n;

    if (!name || !is_lower_alnum(name[0]))
        return false;
    for (n = 1; name[n] && name[n] != ':'; n++) {
        char c = name[n];
        if (!is_lower_alnum(c) && c != '+' && c != '.' && c != '-')
            return false;
    }
    if (n < 2)
        return false;
    if (name[n] == ':') {
        gsize start = ++n;
        for (; name[n]; n++)
            if (!is_lower_alnum(name[n]) && name[n] != '-')
                return false;
        if (n == start)
            return false;
    }
    return n <= DS_MANIFEST_MAX_TOKEN;
}

/* rpm: NAME.ARCH, NAME of letters, digits and "._+-" not starting with
 * '-' or '.', ARCH (after the last dot) of letters, digits and '_'. */
bool ds_name_is_safe_rpm_package(const char *name)
{
    const char *dot = name ? strrchr(name, '.') : NULL;
    gsize n;

    if (!dot || dot == name || name[0] == '-' || name[0] == '.' || !dot[1])
        return false;
    for (n = 0; name + n < dot; n++)
        if (!g_ascii_isalnum(name[n]) && !strchr("._+-", name[n]))
            return false;
    for (n = 1; dot[n]; n++)
        if (!g_ascii_isalnum(dot[n]) && dot[n] != '_')
            return false;
    return strlen(name) <= DS_MANIFEST_MAX_TOKEN;
}

bool ds_name_is_safe_path(const char *path)
{
    gsize n;

    if (!path || path[0] != '/' || path[1] == '\0')
        return false;
    for (n = 0; path[n]; n++) {
        unsigned char c = (unsigned char)path[n];
        if (n >= DS_MANIFEST_MAX_PATH)
            return false;
        if (c < 0x20 || c == 0x7f)
            return false;
        if (c == '/') {
            const char *comp = path + n + 1;
            /* empty ("//" or trailing "/"), "." and ".." components */
            if (comp[0] == '/' || comp[0] == '\0')
                return false;
            if (comp[0] == '.' &&
                (comp[1] == '/' || comp[1] == '\0' ||
                 (comp[1] == '.' && (comp[2] == '/' || comp[2] == '\0'))))
                return false;
        }
    }
    return g_utf8_validate(path, (gssize)n, NULL);
}

static const char *const unit_types[] = {
    "service", "socket", "device", "mount", "automount", "swap",
    "target",  "path",   "timer",  "slice", "scope",
};

bool ds_name_is_safe_service(const char *name)
{
    const char *dot;
    gsize n;
    int ats = 0;

    if (!name || !name[0] || name[0] == '-' || name[0] == '.' || name[0] == '@')
        return false;
    for (n = 0; name[n]; n++) {
        char c = name[n];
        if (n >= 256)
            return false;
        if (c == '@')
            ats++;
        else if (!is_alnum(c) && c != ':' && c != '_' && c != '.' &&
                 c != '\\' && c != '-')
            return false;
    }
    if (ats > 1)
        return false;
    dot = strrchr(name, '.');
    if (!dot || dot == name)
        return false;
    if (ats && strchr(name, '@') > dot)
        return false;
    for (gsize i = 0; i < G_N_ELEMENTS(unit_types); i++)
        if (strcmp(dot + 1, unit_types[i]) == 0)
            return true;
    return false;
}

/* ---- error paths -------------------------------------------------------- */

void ds_manifest_path_key(GString *path, const char *key, gsize len)
{
    bool plain = len > 0;
    gsize shown = 0;

    for (gsize i = 0; i < len && plain; i++) {
        char c = key[i];
        plain = is_alnum(c) || c == '_' || c == '-' || c == '+' || c == ':';
    }
    if (plain && len <= 80) {
        if (path->len)
            g_string_append_c(path, '.');
        g_string_append_len(path, key, (gssize)len);
        return;
    }
    if (path->len)
        g_string_append_c(path, '.');
    g_string_append_c(path, '"');
    for (gsize i = 0; i < len; i++) {
        unsigned char c = (unsigned char)key[i];
        if (shown >= 80) {
            g_string_append(path, "...");
            break;
        }
        shown++;
        if (c == '"' || c == '\\')
            g_string_append_printf(path, "\\%c", c);
        else if (c == '\n')
            g_string_append(path, "\\n");
        else if (c == '\t')
            g_string_append(path, "\\t");
        else if (c == '\r')
            g_string_append(path, "\\r");
        else if (c < 0x20 || c == 0x7f)
            g_string_append_printf(path, "\\u%04x", c);
        else if (c < 0x80)
            g_string_append_c(path, (char)c);
        else {
            /* a whole UTF-8 sequence when valid, else the byte escaped */
            const char *end = NULL;
            gsize rest = len - i;
            gsize seq = rest < 4 ? rest : 4;
            gsize want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
            if (want <= seq && want > 1 &&
                g_utf8_validate(key + i, (gssize)want, &end)) {
                g_string_append_len(path, key + i, (gssize)want);
                i += want - 1;
            } else {
                g_string_append_printf(path, "\\x%02x", c);
            }
        }
    }
    g_string_append_c(path, '"');
}

gint64 ds_manifest_collected_time(const ds_manifest *m, gint64 fallback)
{
    g_autoptr(GDateTime) t =
        m->collected_at ? g_date_time_new_from_iso8601(m->collected_at, NULL)
                        : NULL;

    return t ? g_date_time_to_unix(t) : fallback;
}
