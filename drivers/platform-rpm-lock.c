/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform-rpm-lock.c: an rpm host's holds: the lock list of
 * dnf's versionlock plugin (python3-dnf-plugin-versionlock, dnf 4), read
 * as the plugin reads it, turned into the installed packages it holds.
 * `dnf versionlock list` prints the same lines (the file's, without
 * comments); reading the file spares starting dnf on every collection. */
#include <config.h>

#include <fnmatch.h>
#include <string.h>

#include "drivers/platform-rpm.h"
#include "manifests/util/error.h"

/* Longest lock entry accepted (a NEVRA is far shorter). */
#define LOCK_ENTRY_MAX 512
/* Largest lock list read (some ten thousand entries). */
#define LOCK_LIST_MAX (1024u * 1024)

/* One way of reading an entry, as the plugin tries them: NEVRA, NEVR,
 * NEV, NA, NAME (hawkey's forms).  NULL members match anything. */
typedef struct lock_form {
    char *name, *epoch, *version, *release, *arch;
} lock_form;

static void form_clear(lock_form *f)
{
    g_free(f->name);
    g_free(f->epoch);
    g_free(f->version);
    g_free(f->release);
    g_free(f->arch);
    memset(f, 0, sizeof(*f));
}

/* The characters of an rpm name, version or arch, the epoch's colon and
 * glob characters: anything else is not an entry. */
static bool entry_is_safe(const char *s, gsize len)
{
    if (len == 0 || len > LOCK_ENTRY_MAX)
        return false;
    for (gsize i = 0; i < len; i++)
        if (!g_ascii_isalnum(s[i]) && !strchr("._+~^:-*?[]", s[i]))
            return false;
    return true;
}

/* "[EPOCH:]VERSION" into f; false when the epoch is not digits or glob. */
static bool split_ev(lock_form *f, const char *ev)
{
    const char *colon = strchr(ev, ':');

    if (!colon) {
        f->version = g_strdup(ev);
        return *ev != '\0';
    }
    if (colon == ev || !colon[1] || strchr(colon + 1, ':'))
        return false;
    for (const char *p = ev; p < colon; p++)
        if (!g_ascii_isdigit(*p) && !strchr("*?[]", *p))
            return false;
    f->epoch = g_strndup(ev, (gsize)(colon - ev));
    f->version = g_strdup(colon + 1);
    return true;
}

/* NAME-[EPOCH:]VERSION (with_release false) or
 * NAME-[EPOCH:]VERSION-RELEASE into f. */
static bool split_nev(lock_form *f, const char *s, bool with_release)
{
    g_autofree char *rest = g_strdup(s);
    char *dash, *colon;

    if (with_release) {
        if (!(dash = strrchr(rest, '-')) || !dash[1])
            return false;
        f->release = g_strdup(dash + 1);
        *dash = '\0';
    }
    /* an epoch belongs to the version: no colon in the name */
    if (!(dash = strrchr(rest, '-')) || dash == rest ||
        ((colon = strchr(rest, ':')) && colon < dash))
        return false;
    if (!split_ev(f, dash + 1))
        return false;
    f->name = g_strndup(rest, (gsize)(dash - rest));
    return true;
}

/* The forms of entry e, in the plugin's order; returns how many. */
static guint entry_forms(lock_form forms[5], const char *e)
{
    const char *dot = strrchr(e, '.');
    guint n = 0;

    if (dot && dot[1] && dot != e) {
        g_autofree char *nevr = g_strndup(e, (gsize)(dot - e));

        if (split_nev(&forms[n], nevr, true))
            forms[n++].arch = g_strdup(dot + 1);
        else
            form_clear(&forms[n]);
    }
    if (split_nev(&forms[n], e, true))
        n++;
    else
        form_clear(&forms[n]);
    if (split_nev(&forms[n], e, false))
        n++;
    else
        form_clear(&forms[n]);
    if (dot && dot[1] && dot != e && !strchr(e, ':')) {
        forms[n].name = g_strndup(e, (gsize)(dot - e));
        forms[n++].arch = g_strdup(dot + 1);
    }
    if (!strchr(e, ':'))
        forms[n++].name = g_strdup(e);
    return n;
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool glob_ok(const char *pattern, const char *s)
{
    return !pattern || fnmatch(pattern, s, 0) == 0;
}

/* Whether an installed "[EPOCH:]VERSION-RELEASE" matches f's version. */
static bool evr_matches(const lock_form *f, const char *evr)
{
    const char *colon = strchr(evr, ':');
    const char *v = colon ? colon + 1 : evr;
    const char *dash = strrchr(v, '-');
    g_autofree char *epoch =
        colon ? g_strndup(evr, (gsize)(colon - evr)) : g_strdup("0");
    g_autofree char *version =
        dash ? g_strndup(v, (gsize)(dash - v)) : g_strdup(v);

    return glob_ok(f->epoch, epoch) && glob_ok(f->version, version) &&
           glob_ok(f->release, dash ? dash + 1 : "");
}

/* The packages of m form f names (with_version: at an installed
 * version) into hits (keys, not owned); how many. */
static guint form_hits(GPtrArray *hits, const ds_manifest *m,
                       const lock_form *f, bool with_version)
{
    guint n = 0;

    for (guint i = 0; i < m->packages->len; i++) {
        const ds_package *p = m->packages->pdata[i];
        const char *dot = strrchr(p->name, '.');
        g_autofree char *name =
            dot ? g_strndup(p->name, (gsize)(dot - p->name)) : NULL;
        bool v = !with_version;

        if (!name || !glob_ok(f->name, name) || !glob_ok(f->arch, dot + 1))
            continue;
        if (!v)
            v = evr_matches(f, p->version);
        for (guint j = 0; !v && p->other_versions && j < p->other_versions->len;
             j++)
            v = evr_matches(f, p->other_versions->pdata[j]);
        if (v) {
            g_ptr_array_add(hits, p->name);
            n++;
        }
    }
    return n;
}

/* The installed packages entry e holds: the first form naming one at an
 * installed version; else (the lock pins a version not installed) the
 * first versioned form naming one; else none. */
static void entry_holds(GHashTable *held, const ds_manifest *m, const char *e)
{
    lock_form forms[5] = {0};
    g_autoptr(GPtrArray) hits = g_ptr_array_new();
    guint n = entry_forms(forms, e);

    for (guint i = 0; i < n && !hits->len; i++)
        form_hits(hits, m, &forms[i], forms[i].version != NULL);
    for (guint i = 0; i < n && !hits->len; i++)
        if (forms[i].version)
            form_hits(hits, m, &forms[i], false);
    for (guint i = 0; i < hits->len; i++)
        g_hash_table_add(held, hits->pdata[i]);
    for (guint i = 0; i < n; i++)
        form_clear(&forms[i]);
}

int ds_rpm_parse_versionlock(GPtrArray *holds, const ds_manifest *m,
                             const char *origin, const char *data, gsize len,
                             GError **err)
{
    g_autoptr(GHashTable) held = g_hash_table_new(g_str_hash, g_str_equal);
    const char *p = data, *end = data + len;
    GHashTableIter it;
    gpointer key;
    guint lineno = 0;

    if (len > LOCK_LIST_MAX)
        return ds_error_set(err, DS_EINVALID,
                            "%s: over %u bytes: not a versionlock list", origin,
                            LOCK_LIST_MAX);
    while (p < end) {
        const char *nl = memchr(p, '\n', (gsize)(end - p));
        const char *a = p, *b = nl ? nl : end;
        g_autofree char *entry = NULL;
        bool exclude;

        lineno++;
        p = nl ? nl + 1 : end;
        /* the plugin skips lines starting '#' and strips the others */
        if (*a == '#')
            continue;
        while (a < b && (*a == ' ' || *a == '\t' || *a == '\r'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
            b--;
        if (a == b)
            continue;
        exclude = *a == '!';
        if (exclude)
            a++;
        if (!entry_is_safe(a, (gsize)(b - a))) {
            g_autofree char *show = ds_dpkg_show(a, (gsize)(b - a));

            return ds_error_set(
                err, DS_EINVALID,
                "%s line %u: %s is not a versionlock entry (NAME-[EPOCH:]VERSION-RELEASE.ARCH as `dnf versionlock add` writes, or a glob of rpm names and versions)",
                origin, lineno, show);
        }
        /* an exclude rule refuses that version: no hold */
        if (exclude)
            continue;
        entry = g_strndup(a, (gsize)(b - a));
        entry_holds(held, m, entry);
    }
    g_hash_table_iter_init(&it, held);
    while (g_hash_table_iter_next(&it, &key, NULL))
        g_ptr_array_add(holds, g_strdup(key));
    return 0;
}

/* A file of the host: under a root through the transport (which keeps
 * symlinks inside it), on the host itself the facts script's section;
 * *out NULL when there is none. */
static int host_file(GBytes **out, ds_dpkg_ctx *c, ds_dpkg_facts *facts,
                     const char *section, const char *path, GError **err)
{
    GError *local = NULL;
    GBytes *b;
    int rc;

    *out = NULL;
    if (!c->root) {
        b = ds_dpkg_facts_get(facts, section);
        *out = b ? g_bytes_ref(b) : NULL;
        return 0;
    }
    rc = ds_transport_read_file(c->t, path, out, &local);
    if (rc == DS_ENOTFOUND) {
        g_clear_error(&local);
        return 0;
    }
    if (rc < 0) {
        g_propagate_error(err, local);
        return ds_dpkg_name_host(err, rc, c->host);
    }
    return 0;
}

/* The plugin's settings: whether it is enabled, and its list's path (a
 * path of the host; under a root, a path given with the root's prefix,
 * as a root of its own configured for dnf --installroot says, loses
 * it).  *list NULL: no lock applies. */
static int read_conf(char **list, ds_dpkg_ctx *c, GBytes *conf, GError **err)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) local = NULL;
    g_autofree char *enabled = NULL;
    g_autofree char *path = NULL;
    gsize len;
    const char *d = g_bytes_get_data(conf, &len);

    *list = NULL;
    if (!g_key_file_load_from_data(kf, d, len, G_KEY_FILE_NONE, &local))
        return ds_error_set(err, DS_EINVALID, "%s: %s: not an INI file: %s",
                            c->host, DS_RPM_VERSIONLOCK_CONF, local->message);
    enabled = g_key_file_get_value(kf, "main", "enabled", NULL);
    if (!enabled || !(g_ascii_strcasecmp(enabled, "1") == 0 ||
                      g_ascii_strcasecmp(enabled, "yes") == 0 ||
                      g_ascii_strcasecmp(enabled, "true") == 0 ||
                      g_ascii_strcasecmp(enabled, "on") == 0))
        return 0;
    path = g_key_file_get_value(kf, "main", "locklist", NULL);
    if (!path || !*path)
        return 0;
    if (c->root && g_str_has_prefix(path, c->root) &&
        path[strlen(c->root)] == '/')
        memmove(path, path + strlen(c->root),
                strlen(path + strlen(c->root)) + 1);
    if (!ds_name_is_safe_path(path)) {
        g_autofree char *show = ds_dpkg_show(path, strlen(path));

        return ds_error_set(err, DS_EINVALID,
                            "%s: %s: locklist %s is not a safe absolute path",
                            c->host, DS_RPM_VERSIONLOCK_CONF, show);
    }
    *list = g_steal_pointer(&path);
    return 0;
}

int ds_rpm_collect_holds(ds_manifest *m, ds_dpkg_ctx *c, ds_dpkg_facts *facts,
                         GError **err)
{
    g_autoptr(GBytes) conf = NULL;
    g_autoptr(GBytes) list = NULL;
    g_autofree char *path = NULL;
    g_autofree char *origin = NULL;
    const char *d;
    gsize len;
    int rc;

    g_clear_pointer(&m->holds, g_ptr_array_unref);
    m->holds = g_ptr_array_new_with_free_func(g_free);
    if ((rc = host_file(&conf, c, facts, "versionlock-conf",
                        DS_RPM_VERSIONLOCK_CONF, err)) < 0)
        return rc;
    if (!conf || (rc = read_conf(&path, c, conf, err)) < 0 || !path)
        return rc;
    if ((rc = host_file(&list, c, facts, "versionlock", path, err)) < 0 ||
        !list)
        return rc;
    origin = g_strdup_printf("%s: %s", c->host, path);
    d = g_bytes_get_data(list, &len);
    if ((rc = ds_rpm_parse_versionlock(m->holds, m, origin, d ? d : "", len,
                                       err)) < 0)
        return rc;
    g_ptr_array_sort(m->holds, cmp_str);
    return 0;
}
