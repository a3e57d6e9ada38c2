/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform-dpkg-policy.c: parsers of apt's own answers (apt-cache
 * policy without arguments: the package files and their Release fields;
 * apt-cache policy PKG...: installed and candidate versions and where each
 * version comes from), strict and bounded, and what follows from them:
 * the pending updates, the held-back ones and each installed package's
 * origin.  No resolver of our own: the candidate is apt's. */
#include <config.h>

#include <string.h>

#include "drivers/platform-dpkg.h"
#include "manifests/util/error.h"
#include "manifests/version.h"

/* A line of apt's output longer than this is not apt's. */
#define MAX_LINE 4096
/* Versions of one package in its version table. */
#define MAX_VERSIONS 4096

typedef struct release {
    char *origin;   /* o= */
    char *label;    /* l= */
    char *archive;  /* a= (Suite) */
    char *codename; /* n= */
    bool status;    /* a=now: dpkg's status file */
} release;

typedef struct version_entry {
    char *version;
    GPtrArray *files; /* char *: package file descriptions, apt's order */
} version_entry;

typedef struct pkg_policy {
    char *installed; /* NULL: (none) */
    char *candidate; /* NULL: (none) */
    GPtrArray *versions; /* version_entry * */
} pkg_policy;

struct ds_apt_policy {
    GHashTable *files;    /* description -> release * */
    GHashTable *packages; /* name -> pkg_policy * */
};

static void release_free(gpointer p)
{
    release *r = p;

    g_free(r->origin);
    g_free(r->label);
    g_free(r->archive);
    g_free(r->codename);
    g_free(r);
}

static void version_entry_free(gpointer p)
{
    version_entry *v = p;

    g_free(v->version);
    g_ptr_array_unref(v->files);
    g_free(v);
}

static void pkg_policy_free(gpointer p)
{
    pkg_policy *pp = p;

    g_free(pp->installed);
    g_free(pp->candidate);
    g_ptr_array_unref(pp->versions);
    g_free(pp);
}

void ds_apt_policy_free(ds_apt_policy *p)
{
    if (!p)
        return;
    g_hash_table_unref(p->files);
    g_hash_table_unref(p->packages);
    g_free(p);
}

/* Walks the lines of one output, for messages naming the line. */
typedef struct lines {
    const char *p, *end;
    const char *what; /* "apt-cache policy" */
    const char *host;
    guint n;
    char *line; /* the current line, owned */
} lines;

static int lines_fail(lines *l, GError **err, const char *why)
{
    g_autofree char *show = ds_dpkg_show(l->line, strlen(l->line));

    return ds_error_set(err, DS_EINVALID, "%s: %s output line %u: %s: %s",
                        l->host, l->what, l->n, why, show);
}

/* The next line; 0 at the end, 1 with l->line set, <0 on a bad line. */
static int lines_next(lines *l, GError **err)
{
    const char *nl;
    gsize len;

    g_clear_pointer(&l->line, g_free);
    if (l->p >= l->end)
        return 0;
    nl = memchr(l->p, '\n', (gsize)(l->end - l->p));
    len = nl ? (gsize)(nl - l->p) : (gsize)(l->end - l->p);
    l->n++;
    l->line = g_strndup(l->p, MIN(len, MAX_LINE + 1));
    l->p = nl ? nl + 1 : l->end;
    if (len > MAX_LINE)
        return lines_fail(l, err, "line longer than 4096 bytes");
    if (memchr(l->line, '\0', len) || strlen(l->line) != len)
        return lines_fail(l, err, "contains a NUL byte");
    for (gsize i = 0; i < len; i++)
        if ((guchar)l->line[i] < 0x20 || l->line[i] == 0x7f)
            return lines_fail(l, err, "contains a control character");
    if (!g_utf8_validate(l->line, (gssize)len, NULL))
        return lines_fail(l, err, "not valid UTF-8");
    return 1;
}

static gsize indent(const char *s)
{
    return strspn(s, " ");
}

/* " 500 DESCRIPTION" (the number may be negative): the description. */
static const char *after_priority(const char *s)
{
    s += indent(s);
    if (*s == '-')
        s++;
    if (!g_ascii_isdigit(*s))
        return NULL;
    while (g_ascii_isdigit(*s))
        s++;
    if (*s != ' ' || !s[1] || s[1] == ' ')
        return NULL;
    return s + 1;
}

/* "500", "-10": a pin priority. */
static bool is_priority(const char *s)
{
    if (*s == '-')
        s++;
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 6)
        return false;
    return true;
}

/* "release v=12,o=Debian,a=stable-security,n=bookworm-security,..." */
static int parse_release(release *r, lines *l, const char *fields,
                         GError **err)
{
    g_auto(GStrv) kv = g_strsplit(fields, ",", 64);

    for (guint i = 0; kv[i]; i++) {
        char **dst = NULL;
        const char *v = kv[i] + 2;

        if (strlen(kv[i]) < 2 || kv[i][1] != '=')
            return lines_fail(l, err, "expected key=value fields");
        switch (kv[i][0]) {
        case 'o':
            dst = &r->origin;
            break;
        case 'l':
            dst = &r->label;
            break;
        case 'a':
            dst = &r->archive;
            r->status = strcmp(v, "now") == 0;
            break;
        case 'n':
            dst = &r->codename;
            break;
        default:
            continue; /* v= c= b= and whatever apt adds later */
        }
        if (strlen(v) > 256 || (dst != &r->origin && dst != &r->label &&
                                strpbrk(v, " \t")))
            return lines_fail(l, err, "bad release field");
        g_free(*dst);
        *dst = *v ? g_strdup(v) : NULL;
    }
    return 0;
}

/* `apt-cache policy` without arguments: "Package files:", then per file
 * " PRIO DESCRIPTION" with "release ..." and "origin HOST" lines under it,
 * then "Pinned packages:" and its lines. */
static int parse_files(GHashTable *files, const char *host, const char *data,
                       gsize len, GError **err)
{
    lines l = {data, data + len, "apt-cache policy", host, 0, NULL};
    release *cur = NULL;
    bool in_files = false, pinned = false;
    int rc;

    while ((rc = lines_next(&l, err)) > 0) {
        const char *s = l.line, *desc;

        if (!*s)
            continue;
        if (strcmp(s, "Package files:") == 0 && !in_files && !pinned) {
            in_files = true;
        } else if (strcmp(s, "Pinned packages:") == 0 && in_files) {
            pinned = true;
        } else if (pinned) {
            if (indent(s) == 0)
                rc = lines_fail(&l, err, "unexpected line");
        } else if (in_files && indent(s) == 1 && (desc = after_priority(s))) {
            cur = g_new0(release, 1);
            g_hash_table_replace(files, g_strdup(desc), cur);
        } else if (cur && indent(s) == 5 && g_str_has_prefix(s + 5, "release ")) {
            rc = parse_release(cur, &l, s + 13, err);
        } else if (cur && indent(s) == 5 && g_str_has_prefix(s + 5, "origin ")) {
            ; /* the host name of the archive: not needed */
        } else {
            rc = lines_fail(&l, err, "unexpected line");
        }
        if (rc < 0)
            break;
    }
    g_free(l.line);
    if (rc == 0 && !in_files)
        return ds_error_set(err, DS_EINVALID,
                            "%s: apt-cache policy output has no package files",
                            host);
    return rc;
}

static char *version_or_none(lines *l, const char *v, GError **err, int *rc)
{
    *rc = 0;
    if (strcmp(v, "(none)") == 0)
        return NULL;
    if (!ds_version_is_valid(v)) {
        *rc = lines_fail(l, err, "not a valid Debian version");
        return NULL;
    }
    return g_strdup(v);
}

/* A version line of the table: " *** VERSION PRIO" or "     VERSION PRIO". */
static int parse_version_line(pkg_policy *pp, lines *l, GError **err)
{
    const char *s = l->line + 5;
    const char *sp = strrchr(s, ' ');
    g_autofree char *v = NULL;
    version_entry *e;

    if (!sp || sp == s || !is_priority(sp + 1))
        return lines_fail(l, err, "expected a version and a priority");
    v = g_strndup(s, (gsize)(sp - s));
    if (!ds_version_is_valid(v))
        return lines_fail(l, err, "not a valid Debian version");
    if (pp->versions->len >= MAX_VERSIONS)
        return lines_fail(l, err, "too many versions");
    e = g_new0(version_entry, 1);
    e->version = g_steal_pointer(&v);
    e->files = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(pp->versions, e);
    return 0;
}

static int parse_package_line(pkg_policy **cur, GHashTable *pkgs, lines *l,
                              GError **err)
{
    const char *s = l->line;
    g_autofree char *name = NULL;
    gsize n = strlen(s);

    if (n < 2 || s[n - 1] != ':')
        return lines_fail(l, err, "expected a package name");
    name = g_strndup(s, n - 1);
    if (!ds_name_is_safe_package(name))
        return lines_fail(l, err, "not a valid package name");
    if (g_hash_table_contains(pkgs, name))
        return lines_fail(l, err, "package listed twice");
    *cur = g_new0(pkg_policy, 1);
    (*cur)->versions = g_ptr_array_new_with_free_func(version_entry_free);
    g_hash_table_insert(pkgs, g_steal_pointer(&name), *cur);
    return 0;
}

/* `apt-cache policy PKG...`: per package "NAME:", "  Installed: V",
 * "  Candidate: V", optionally "  Package pin: V", "  Version table:",
 * then versions (" *** V PRIO" / "     V PRIO") each with its files
 * ("        PRIO DESCRIPTION"). */
static int parse_packages(GHashTable *pkgs, const char *host,
                          const char *data, gsize len, GError **err)
{
    lines l = {data, data + len, "apt-cache policy", host, 0, NULL};
    pkg_policy *cur = NULL;
    int rc;

    while ((rc = lines_next(&l, err)) > 0) {
        const char *s = l.line, *desc;
        gsize in = indent(s);
        version_entry *last;

        if (!*s)
            continue;
        if (in == 0) {
            rc = parse_package_line(&cur, pkgs, &l, err);
        } else if (!cur) {
            rc = lines_fail(&l, err, "unexpected line");
        } else if (in == 2 && g_str_has_prefix(s, "  Installed: ")) {
            g_free(cur->installed);
            cur->installed = version_or_none(&l, s + 13, err, &rc);
        } else if (in == 2 && g_str_has_prefix(s, "  Candidate: ")) {
            g_free(cur->candidate);
            cur->candidate = version_or_none(&l, s + 13, err, &rc);
        } else if (in == 2 && (g_str_has_prefix(s, "  Package pin: ") ||
                               strcmp(s, "  Version table:") == 0)) {
            ;
        } else if ((in == 1 && g_str_has_prefix(s, " *** ")) || in == 5) {
            rc = parse_version_line(cur, &l, err);
        } else if (in == 8 && cur->versions->len &&
                   (desc = after_priority(s))) {
            last = g_ptr_array_index(cur->versions, cur->versions->len - 1);
            if (last->files->len < 256)
                g_ptr_array_add(last->files, g_strdup(desc));
        } else {
            rc = lines_fail(&l, err, "unexpected line");
        }
        if (rc < 0)
            break;
    }
    g_free(l.line);
    return rc;
}

int ds_apt_policy_parse(ds_apt_policy **out, const char *host,
                        const char *files, gsize files_len,
                        const char *packages, gsize packages_len,
                        GError **err)
{
    ds_apt_policy *p = g_new0(ds_apt_policy, 1);
    int rc;

    *out = NULL;
    p->files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                     release_free);
    p->packages = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        pkg_policy_free);
    if ((rc = parse_files(p->files, host, files, files_len, err)) < 0 ||
        (rc = parse_packages(p->packages, host, packages, packages_len,
                             err)) < 0) {
        ds_apt_policy_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

/* The Release of version v's first archive file (not dpkg's status
 * file); with sec_origins/sec_suites given (want_security), the first
 * security archive that has it instead, when there is one.  NULL: none. */
static const release *release_of(const ds_apt_policy *p, const pkg_policy *pp,
                                 const char *v, bool want_security,
                                 const char *const *sec_origins,
                                 const char *const *sec_suites)
{
    const release *first = NULL;

    for (guint i = 0; v && i < pp->versions->len; i++) {
        const version_entry *e = pp->versions->pdata[i];
        if (strcmp(e->version, v) != 0)
            continue;
        for (guint j = 0; j < e->files->len; j++) {
            const release *r = g_hash_table_lookup(p->files, e->files->pdata[j]);
            if (!r || r->status)
                continue;
            if (!want_security)
                return r;
            if (ds_apt_is_security(r->origin, r->label, r->archive,
                                   r->codename, sec_origins, sec_suites))
                return r;
            if (!first)
                first = r;
        }
    }
    return first;
}

static const char *suite_of(const release *r)
{
    return r->codename ? r->codename : r->archive;
}

static bool matches_any(const char *const *patterns, const char *s)
{
    for (guint i = 0; s && patterns && patterns[i]; i++)
        if (g_pattern_match_simple(patterns[i], s))
            return true;
    return false;
}

bool ds_apt_is_security(const char *origin, const char *label,
                        const char *archive, const char *codename,
                        const char *const *origins, const char *const *suites)
{
    static const char *const default_origins[] = {"Debian-Security", NULL};
    static const char *const default_suites[] = {"*-security", NULL};

    if (!origins)
        origins = default_origins;
    if (!suites)
        suites = default_suites;
    return matches_any(origins, label) || matches_any(origins, origin) ||
           matches_any(suites, codename) || matches_any(suites, archive);
}

/* apt names a package of the native architecture without ":ARCH", while
 * dpkg's binary:Package keeps it for Multi-Arch: same ones. */
static const pkg_policy *policy_of(const ds_apt_policy *p, const char *name,
                                   const char *native)
{
    const pkg_policy *pp = g_hash_table_lookup(p->packages, name);
    const char *colon = strchr(name, ':');
    g_autofree char *bare = NULL;

    if (pp || !colon || !native || strcmp(colon + 1, native) != 0)
        return pp;
    bare = g_strndup(name, (gsize)(colon - name));
    return g_hash_table_lookup(p->packages, bare);
}

int ds_apt_policy_apply(ds_manifest *m, const ds_apt_policy *p,
                        const char *native,
                        const char *const *security_origins,
                        const char *const *security_suites, GError **err)
{
    (void)err;
    if (!m->pending)
        m->pending =
            g_ptr_array_new_with_free_func((GDestroyNotify)ds_pending_free);
    if (!m->held_back)
        m->held_back =
            g_ptr_array_new_with_free_func((GDestroyNotify)ds_pending_free);
    for (guint i = 0; i < m->packages->len; i++) {
        ds_package *pkg = m->packages->pdata[i];
        const pkg_policy *pp = policy_of(p, pkg->name, native);
        const release *r;
        bool security;
        ds_pending *pend;

        if (!pp)
            continue; /* apt does not know it: a local .deb */
        if ((r = release_of(p, pp, pkg->version, false, NULL, NULL)) &&
            r->origin &&
            suite_of(r) && !pkg->source &&
            strlen(r->origin) + strlen(suite_of(r)) < 256)
            pkg->source = g_strdup_printf("%s:%s", r->origin, suite_of(r));
        if (!pp->candidate ||
            ds_version_compare(pp->candidate, pkg->version) <= 0)
            continue;
        r = release_of(p, pp, pp->candidate, true, security_origins,
                       security_suites);
        security = r && ds_apt_is_security(r->origin, r->label, r->archive,
                                           r->codename, security_origins,
                                           security_suites);
        pend = ds_pending_new(pkg->name, pp->candidate, r ? r->origin : NULL,
                              r ? suite_of(r) : NULL, security);
        g_ptr_array_add(ds_manifest_is_held(m, pkg->name) ? m->held_back
                                                          : m->pending,
                        pend);
    }
    return 0;
}
