/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform-rpm-pending.c: an rpm host's pending updates from its
 * own dnf: the candidates (dnf repoquery --upgrades) classified by the
 * repositories' updateinfo advisories (dnf updateinfo list --available):
 * a candidate is a security update when a security advisory names a
 * package of its NAME.ARCH at a version it reaches.  Both outputs are
 * parsed strictly and bounded; no resolver and no advisory logic of our
 * own beyond that match. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "drivers/platform-dpkg.h"
#include "drivers/platform-rpm.h"
#include "manifests/util/error.h"
#include "manifests/version.h"

/* A line of dnf's output longer than this is not dnf's. */
#define MAX_LINE 4096
/* Lines of one answer (candidates, advisories) we read at most. */
#define MAX_LINES 200000
/* An advisory id longer than this is not one. */
#define MAX_ADVISORY_ID 256

void ds_rpm_advisory_free(ds_rpm_advisory *a)
{
    if (!a)
        return;
    g_free(a->id);
    g_free(a->severity);
    g_free(a->key);
    g_free(a->evr);
    g_free(a);
}

static gboolean chars_in(const char *s, const char *extra)
{
    if (!*s)
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_isalnum(*s) && !strchr(extra, *s))
            return FALSE;
    return TRUE;
}

static int bad_line(GError **err, const char *host, const char *what,
                    guint line, const char *why, const char *l, gsize n)
{
    g_autofree char *show = ds_dpkg_show(l, n);

    return ds_error_set(err, DS_EINVALID, "%s: %s output line %u: %s: %s",
                        host, what, line, why, show);
}

/* Split text into lines, refusing what is not dnf's: NUL bytes, invalid
 * UTF-8, too long lines, too many of them. */
static int split_lines(char ***out, const char *host, const char *what,
                       const char *data, gsize len, GError **err)
{
    const char *bad = NULL;
    g_auto(GStrv) lines = NULL;
    g_autofree char *text = NULL;
    guint n;

    *out = NULL;
    if (memchr(data, '\0', len) || !g_utf8_validate(data, (gssize)len, &bad))
        return ds_error_set(err, DS_EINVALID,
                            "%s: %s output is not valid UTF-8 text", host,
                            what);
    text = g_strndup(data, len);
    lines = g_strsplit(text, "\n", -1);
    n = g_strv_length(lines);
    if (n > MAX_LINES)
        return ds_error_set(err, DS_EINVALID,
                            "%s: %s output has more than %u lines", host,
                            what, MAX_LINES);
    for (guint i = 0; i < n; i++)
        if (strlen(lines[i]) > MAX_LINE)
            return bad_line(err, host, what, i + 1, "line too long", lines[i],
                            strlen(lines[i]));
    *out = g_steal_pointer(&lines);
    return 0;
}

/* "E", "V", "R" into "[E:]V-R" (no epoch when it is 0 or empty), or NULL
 * when that is not an rpm EVR. */
static char *make_evr(const char *e, const char *v, const char *r)
{
    g_autofree char *evr = NULL;

    if (strspn(e, "0123456789") != strlen(e) || strlen(e) > 9)
        return NULL;
    if (*e && strspn(e, "0") == strlen(e))
        e = "";
    evr = g_strdup_printf("%s%s%s-%s", e, *e ? ":" : "", v, r);
    return ds_rpm_evr_is_valid(evr) ? g_steal_pointer(&evr) : NULL;
}

static int upgrade_line(GHashTable *by_key, const char *host, guint n,
                        const char *line, GError **err)
{
    const char *what = "dnf repoquery --upgrades";
    g_auto(GStrv) f = g_strsplit(line, "\t", -1);
    g_autofree char *key = NULL;
    g_autofree char *evr = NULL;
    ds_pending *old;

    if (g_strv_length(f) != 6)
        return bad_line(err, host, what, n, "expected 6 tab-separated fields",
                        line, strlen(line));
    if (!chars_in(f[0], "._+-") || f[0][0] == '-' || f[0][0] == '.')
        return bad_line(err, host, what, n, "not an rpm package name", line,
                        strlen(line));
    if (!chars_in(f[4], "_"))
        return bad_line(err, host, what, n, "not an architecture", line,
                        strlen(line));
    if (!(evr = make_evr(f[1], f[2], f[3])))
        return bad_line(err, host, what, n, "not an rpm epoch, version and release", line, strlen(line));
    if (!chars_in(f[5], "-_.:") || strlen(f[5]) > 256)
        return bad_line(err, host, what, n, "not a repository id", line,
                        strlen(line));
    key = g_strdup_printf("%s.%s", f[0], f[4]);
    if (!ds_name_is_safe_rpm_package(key))
        return bad_line(err, host, what, n, "name too long", line,
                        strlen(line));
    /* one candidate per NAME.ARCH: the newest */
    old = g_hash_table_lookup(by_key, key);
    if (old && ds_rpm_evr_compare(old->version, evr) >= 0)
        return 0;
    g_hash_table_replace(by_key, g_strdup(key),
                         ds_pending_new(key, evr, f[5], NULL, false));
    return 0;
}

int ds_rpm_parse_upgrades(GPtrArray *out, const char *host, const char *data,
                          gsize len, GError **err)
{
    g_autoptr(GHashTable) by_key = g_hash_table_new_full(
        g_str_hash, g_str_equal, g_free, (GDestroyNotify)ds_pending_free);
    g_auto(GStrv) lines = NULL;
    GHashTableIter it;
    gpointer k, v;
    int rc;

    if ((rc = split_lines(&lines, host, "dnf repoquery --upgrades", data, len,
                          err)) < 0)
        return rc;
    for (guint i = 0; lines[i]; i++)
        if (*lines[i] &&
            (rc = upgrade_line(by_key, host, i + 1, lines[i], err)) < 0)
            return rc;
    g_hash_table_iter_init(&it, by_key);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        g_ptr_array_add(out, v);
        g_hash_table_iter_steal(&it); /* the value is out's now; the key */
        g_free(k);                    /* is not anyone's */
    }
    return 0;
}

/* dnf's labels of the advisory kinds (LC_ALL=C) in `updateinfo list`:
 * security ones carry their severity, "Unknown" when updateinfo names
 * none that dnf knows. */
static const char *const security_labels[] = {
    "Critical/Sec.", "Important/Sec.", "Moderate/Sec.", "Low/Sec.",
    "Unknown/Sec.",
};
static const char *const other_labels[] = {"bugfix", "enhancement",
                                           "security", "unknown",
                                           "newpackage"};

/* NAME-[E:]V-R.ARCH into "NAME.ARCH" and "[E:]V-R"; FALSE when it is
 * not one. */
static gboolean split_nevra(char **key, char **evr, const char *s)
{
    g_autofree char *t = g_strdup(s);
    char *arch = strrchr(t, '.'), *rel, *ver, *colon;
    g_autofree char *e = NULL;

    *key = *evr = NULL;
    if (!arch)
        return FALSE;
    *arch++ = '\0';
    if (!(rel = strrchr(t, '-')))
        return FALSE;
    *rel++ = '\0';
    if (!(ver = strrchr(t, '-')))
        return FALSE;
    *ver++ = '\0';
    colon = strchr(ver, ':');
    if (colon) {
        e = g_strndup(ver, (gsize)(colon - ver));
        ver = colon + 1;
    }
    if (!chars_in(t, "._+-") || t[0] == '-' || t[0] == '.' ||
        !chars_in(arch, "_"))
        return FALSE;
    *evr = make_evr(e ? e : "", ver, rel);
    if (*evr && e && !*e)
        g_clear_pointer(evr, g_free);
    if (!*evr)
        return FALSE;
    *key = g_strdup_printf("%s.%s", t, arch);
    if (!ds_name_is_safe_rpm_package(*key)) {
        g_clear_pointer(key, g_free);
        g_clear_pointer(evr, g_free);
        return FALSE;
    }
    return TRUE;
}

static int advisory_line(GPtrArray *out, const char *host, guint n,
                         const char *line, GError **err)
{
    const char *what = "dnf updateinfo list";
    g_auto(GStrv) f = g_strsplit_set(line, " ", -1);
    g_autoptr(GPtrArray) w = g_ptr_array_new();
    ds_rpm_advisory *a;
    const char *label;
    gsize i;

    for (guint j = 0; f[j]; j++)
        if (*f[j])
            g_ptr_array_add(w, f[j]);
    if (w->len != 3)
        return bad_line(err, host, what, n, "expected ID, KIND and NEVRA", line, strlen(line));
    if (strlen(w->pdata[0]) > MAX_ADVISORY_ID ||
        !chars_in(w->pdata[0], "-_.:+/"))
        return bad_line(err, host, what, n, "not an advisory id", line,
                        strlen(line));
    label = w->pdata[1];
    a = g_new0(ds_rpm_advisory, 1);
    for (i = 0; i < G_N_ELEMENTS(security_labels); i++)
        if (strcmp(label, security_labels[i]) == 0) {
            a->security = true;
            if (i + 1 < G_N_ELEMENTS(security_labels))
                a->severity = g_strndup(label, strcspn(label, "/"));
            break;
        }
    if (!a->security) {
        for (i = 0; i < G_N_ELEMENTS(other_labels); i++)
            if (strcmp(label, other_labels[i]) == 0)
                break;
        if (i == G_N_ELEMENTS(other_labels)) {
            ds_rpm_advisory_free(a);
            return bad_line(err, host, what, n, "unknown advisory kind", line, strlen(line));
        }
    }
    if (!split_nevra(&a->key, &a->evr, w->pdata[2])) {
        ds_rpm_advisory_free(a);
        return bad_line(err, host, what, n, "not a package NAME-[EPOCH:]VERSION-RELEASE.ARCH", line, strlen(line));
    }
    a->id = g_strdup(w->pdata[0]);
    g_ptr_array_add(out, a);
    return 0;
}

int ds_rpm_parse_advisories(GPtrArray *out, const char *host,
                            const char *data, gsize len, GError **err)
{
    g_auto(GStrv) lines = NULL;
    int rc;

    if ((rc = split_lines(&lines, host, "dnf updateinfo list", data, len,
                          err)) < 0)
        return rc;
    for (guint i = 0; lines[i]; i++)
        if (*lines[i] &&
            (rc = advisory_line(out, host, i + 1, lines[i], err)) < 0)
            return rc;
    return 0;
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Mark p from the security advisories that name its NAME.ARCH at a
 * version no newer than its candidate. */
static void classify(ds_pending *p, const GPtrArray *advisories)
{
    for (guint i = 0; i < advisories->len; i++) {
        const ds_rpm_advisory *a = advisories->pdata[i];

        if (!a->security || strcmp(a->key, p->name) != 0 ||
            ds_rpm_evr_compare(a->evr, p->version) > 0)
            continue;
        p->security = true;
        if (!p->advisories)
            p->advisories = g_ptr_array_new_with_free_func(g_free);
        if (!g_ptr_array_find_with_equal_func(p->advisories, a->id,
                                              g_str_equal, NULL))
            g_ptr_array_add(p->advisories, g_strdup(a->id));
        if (ds_pending_severity_rank(a->severity) >
            ds_pending_severity_rank(p->severity)) {
            g_free(p->severity);
            p->severity = g_strdup(a->severity);
        }
    }
    if (p->advisories)
        g_ptr_array_sort(p->advisories, cmp_str);
}

void ds_rpm_pending_apply(ds_manifest *m, GPtrArray *upgrades,
                          const GPtrArray *advisories)
{
    if (!m->pending)
        m->pending =
            g_ptr_array_new_with_free_func((GDestroyNotify)ds_pending_free);
    for (guint i = 0; i < upgrades->len; i++) {
        ds_pending *p = upgrades->pdata[i];
        const ds_package *have = ds_manifest_find_package(m, p->name);

        /* dnf's candidates are newer than what is installed; one that
         * is not (an obsoleting package of an older version) is no
         * update of this package */
        if (have && ds_rpm_evr_compare(p->version, have->version) <= 0)
            continue;
        classify(p, advisories);
        /* a held package's candidate is held back, as on dpkg hosts */
        if (ds_manifest_is_held(m, p->name)) {
            if (!m->held_back)
                m->held_back = g_ptr_array_new_with_free_func(
                    (GDestroyNotify)ds_pending_free);
            g_ptr_array_add(m->held_back,
                            g_steal_pointer(&upgrades->pdata[i]));
            continue;
        }
        g_ptr_array_add(m->pending, g_steal_pointer(&upgrades->pdata[i]));
    }
}

/* "STATUS\nSTDERR..." sections (refresh): 0, or the error naming the
 * command and dnf's own words. */
static int check_status(ds_dpkg_ctx *c, const char *d, gsize len,
                        const char *what, GError **err)
{
    g_autofree char *text = g_strndup(d, len);
    g_autoptr(GBytes) rest = NULL;
    g_autofree char *why = NULL;
    const char *nl = strchr(text, '\n');
    int st = -1;

    if (sscanf(text, "%d", &st) == 1 && st == 0)
        return 0;
    rest = g_bytes_new(nl ? nl + 1 : "", nl ? strlen(nl + 1) : 0);
    why = ds_dpkg_fold_stderr(rest);
    return ds_error_set(err, DS_EGENERIC, "%s: %s failed (exit status %d)%s%s",
                        c->host, what, st, why ? ": " : "", why ? why : "");
}

int ds_rpm_collect_pending(ds_manifest *m, ds_dpkg_ctx *c,
                           ds_dpkg_facts *facts, GError **err)
{
    g_autoptr(GPtrArray) upgrades =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_pending_free);
    g_autoptr(GPtrArray) advisories =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_rpm_advisory_free);
    bool refresh = c->opts && c->opts->refresh_lists;
    const char *d;
    gsize len;
    int a = -1, b = -1, rc;

    if ((d = ds_dpkg_facts_text(facts, "dnf-dbpath", &len))) {
        g_autofree char *db = g_strstrip(g_strndup(d, MIN(len, 256)));
        g_autofree char *show = ds_dpkg_show(db, strlen(db));

        if (!c->opts || !c->opts->pending_only)
            return 0;
        return ds_error_set(err, DS_EUNSUPPORTED, "%s: dnf would read the rpm database at %s under the root (this machine's %%_dbpath), not the root's own: pending updates are not collected", c->host, show);
    }
    if (!(d = ds_dpkg_facts_text(facts, "dnf-status", &len))) {
        if (refresh)
            return ds_error_set(err, DS_EUNSUPPORTED, "%s: cannot refresh the package metadata: dnf is not installed", c->host);
        return 0; /* no dnf on this host: pending not collected */
    }
    {
        g_autofree char *st = g_strndup(d, MIN(len, 64));
        if (sscanf(st, "%d %d", &a, &b) != 2)
            a = b = -1;
    }
    if (refresh && (d = ds_dpkg_facts_text(facts, "refresh", &len)) &&
        (rc = check_status(c, d, len, "dnf makecache", err)) < 0)
        return rc;
    if (a != 0 || b != 0) {
        /* dnf could not answer (no metadata cached, a repository it
         * cannot read): a record keeps the host with its pending
         * updates not collected; `patches` says why. */
        g_autofree char *all = NULL;

        if (!c->opts || !c->opts->pending_only)
            return 0;
        d = ds_dpkg_facts_text(facts, "dnf-error", &len);
        all = g_strdup_printf("%d\n%.*s", a != 0 ? a : b, (int)len,
                              d ? d : "");
        return check_status(c, all, strlen(all),
                            a != 0 ? "dnf repoquery --upgrades"
                                   : "dnf updateinfo list",
                            err);
    }
    d = ds_dpkg_facts_text(facts, "dnf-upgrades", &len);
    if ((rc = ds_rpm_parse_upgrades(upgrades, c->host, d ? d : "", len,
                                    err)) < 0)
        return rc;
    d = ds_dpkg_facts_text(facts, "dnf-advisories", &len);
    if ((rc = ds_rpm_parse_advisories(advisories, c->host, d ? d : "", len,
                                      err)) < 0)
        return rc;
    ds_rpm_pending_apply(m, upgrades, advisories);
    d = ds_dpkg_facts_text(facts, "dnf-cache", &len);
    if (d && (rc = ds_apt_parse_mtimes(&m->lists_updated_at, c->host, d, len,
                                       err)) < 0)
        return rc;
    return 0;
}
