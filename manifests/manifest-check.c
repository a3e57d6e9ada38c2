/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/manifest-check.c: the field rules of driftsync/manifest/v1,
 * applied to the in-memory model by both the parser and the serialiser so
 * that nothing unsafe is read from or written to a document. */
#include <config.h>

#include <stdarg.h>
#include <string.h>

#include "manifests/util/error.h"
#include "manifests/manifest-private.h"
#include "manifests/version.h"

/* "ORIGIN: SECTION[.KEY][.FIELD]: message" */
int ds_manifest_bad(GError **err, const char *origin, const char *section,
                    const char *key, const char *field, const char *fmt, ...)
{
    g_autoptr(GString) path = g_string_new(section);
    g_autofree char *msg = NULL;
    va_list ap;

    if (key)
        ds_manifest_path_key(path, key, strlen(key));
    if (field)
        g_string_append_printf(path, ".%s", field);
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return ds_error_set(err, DS_EINVALID, "%s: %s: %s", origin, path->str, msg);
}

/* NULL when s is a token: 1..256 printable ASCII characters, no spaces. */
const char *ds_manifest_token_problem(const char *s)
{
    gsize n;

    if (!s[0])
        return "must not be empty";
    for (n = 0; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (c < 0x20 || c == 0x7f)
            return "contains a control character";
        if (c == ' ')
            return "contains whitespace";
        if (c > 0x7e)
            return "contains a non-ASCII character";
    }
    if (n > DS_MANIFEST_MAX_TOKEN)
        return "is longer than 256 bytes";
    return NULL;
}

/* NULL when s is one line of UTF-8 text without control characters
 * (C0, DEL, C1), 1..max bytes. */
const char *ds_manifest_text_problem(const char *s, gsize max)
{
    gsize n;

    if (!s[0])
        return "must not be empty";
    for (n = 0; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (c == '\n' || c == '\r')
            return "contains a line break";
        if (c < 0x20 || c == 0x7f)
            return "contains a control character";
        if (c == 0xc2 && (unsigned char)s[n + 1] >= 0x80 &&
            (unsigned char)s[n + 1] <= 0x9f)
            return "contains a control character";
    }
    if (n > max)
        return "is too long";
    if (!g_utf8_validate(s, (gssize)n, NULL))
        return "is not valid UTF-8";
    return NULL;
}

const char *ds_manifest_version_problem(const char *s)
{
    const char *why = ds_manifest_token_problem(s);

    if (why)
        return why;
    if (!ds_version_is_valid(s))
        return "not a Debian version ([EPOCH:]UPSTREAM[-REVISION]: the upstream part starts with a digit; letters, digits and . + ~ - : only)";
    return NULL;
}

static bool is_hex(const char *s, gsize len)
{
    gsize n;

    for (n = 0; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return false;
    return n == len;
}

/* Lowercase [a-z][a-z-]*, at most 64: systemctl's state words. */
static bool is_state_word(const char *s)
{
    gsize n;

    if (!(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (n = 1; s[n]; n++)
        if (!((s[n] >= 'a' && s[n] <= 'z') || s[n] == '-'))
            return false;
    return n <= 64;
}

static bool is_arch(const char *s)
{
    gsize n;

    for (n = 0; s[n]; n++)
        if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') ||
              s[n] == '-'))
            return false;
    return n > 0 && n <= 64;
}

static int digits(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* RFC 3339 in UTC: YYYY-MM-DDTHH:MM:SS[.fraction]Z */
bool ds_manifest_is_rfc3339_utc(const char *s)
{
    int y, mo, d, h, mi, sec;
    const char *p;

    if (strlen(s) < 20)
        return false;
    y = digits(s, 4);
    mo = digits(s + 5, 2);
    d = digits(s + 8, 2);
    h = digits(s + 11, 2);
    mi = digits(s + 14, 2);
    sec = digits(s + 17, 2);
    if (y < 1 || mo < 1 || d < 1 || h < 0 || mi < 0 || sec < 0 || s[4] != '-' ||
        s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return false;
    if (mo > 12 || d > g_date_get_days_in_month((GDateMonth)mo, (GDateYear)y) ||
        h > 23 || mi > 59 || sec > 60)
        return false;
    p = s + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return p[0] == 'Z' && p[1] == '\0';
}

#define CHECK_TOKEN(value, section, key, field)                                \
    do {                                                                       \
        const char *why_;                                                      \
        if ((value) && (why_ = ds_manifest_token_problem(value)))                          \
            return ds_manifest_bad(err, origin, section, key, field, "%s", why_);          \
    } while (0)

#define CHECK_TEXT(value, max, section, key, field)                            \
    do {                                                                       \
        const char *why_;                                                      \
        if ((value) && (why_ = ds_manifest_text_problem(value, max)))                      \
            return ds_manifest_bad(err, origin, section, key, field, "%s", why_);          \
    } while (0)

#define REQUIRE(value, section, key, field)                                    \
    do {                                                                       \
        if (!(value))                                                          \
            return ds_manifest_bad(err, origin, section, key, field, "missing");           \
    } while (0)

/* An rpm host's package: NAME.ARCH, EVR versions (also the other
 * installed ones), the arch the key's suffix. */
static int check_rpm_package(const ds_package *p, const char *origin,
                             GError **err)
{
    const char *dot;

    if (!p->name || !ds_name_is_safe_rpm_package(p->name))
        return ds_manifest_bad(err, origin, "packages", p->name ? p->name : "(null)", NULL, "not a safe rpm package key (NAME.ARCH: letters, digits and ._+- in the name, letters, digits and _ in the architecture)");
    REQUIRE(p->version, "packages", p->name, "version");
    if (!ds_rpm_evr_is_valid(p->version))
        return ds_manifest_bad(err, origin, "packages", p->name, "version", "not an rpm version ([EPOCH:]VERSION-RELEASE: letters, digits and ._+~^ in version and release)");
    REQUIRE(p->arch, "packages", p->name, "arch");
    dot = strrchr(p->name, '.');
    if (strcmp(dot + 1, p->arch) != 0)
        return ds_manifest_bad(err, origin, "packages", p->name, "arch",
                   "\"%s\" does not match the key's architecture", p->arch);
    for (guint i = 0; p->other_versions && i < p->other_versions->len; i++) {
        const char *v = p->other_versions->pdata[i];
        if (!v || !ds_rpm_evr_is_valid(v) || strcmp(v, p->version) == 0)
            return ds_manifest_bad(err, origin, "packages", p->name, "other_versions", "entry %u is not an rpm version other than \"version\"", i);
    }
    CHECK_TEXT(p->source, DS_MANIFEST_MAX_TOKEN, "packages", p->name, "source");
    return 0;
}

static int check_package(const ds_package *p, const char *origin, GError **err)
{
    const char *colon, *why;

    if (!p->name || !ds_name_is_safe_package(p->name))
        return ds_manifest_bad(err, origin, "packages", p->name ? p->name : "(null)", NULL,
                   "not a safe package name (Debian package name "
                   "[a-z0-9][a-z0-9+.-]+ with an optional :arch)");
    REQUIRE(p->version, "packages", p->name, "version");
    if ((why = ds_manifest_version_problem(p->version)))
        return ds_manifest_bad(err, origin, "packages", p->name, "version", "%s", why);
    REQUIRE(p->arch, "packages", p->name, "arch");
    if (!is_arch(p->arch))
        return ds_manifest_bad(err, origin, "packages", p->name, "arch",
                   "not an architecture name ([a-z0-9-]+)");
    colon = strchr(p->name, ':');
    if (colon && strcmp(colon + 1, p->arch) != 0)
        return ds_manifest_bad(err, origin, "packages", p->name, "arch",
                   "\"%s\" does not match the name's architecture", p->arch);
    CHECK_TEXT(p->source, DS_MANIFEST_MAX_TOKEN, "packages", p->name, "source");
    return 0;
}

static int check_file(const ds_file *f, const char *origin, GError **err)
{
    const char *k = f->path;

    if (!k || !ds_name_is_safe_path(k))
        return ds_manifest_bad(err, origin, "files", k ? k : "(null)", NULL,
                   "not a safe file path (absolute, no \".\", \"..\" or "
                   "empty components, no control characters)");
    if (f->mode > 07777)
        return ds_manifest_bad(err, origin, "files", k, "mode",
                   "0%o is not a permission mode (at most 07777)", f->mode);
    REQUIRE(f->owner, "files", k, "owner");
    CHECK_TOKEN(f->owner, "files", k, "owner");
    REQUIRE(f->group, "files", k, "group");
    CHECK_TOKEN(f->group, "files", k, "group");
    if (f->sha256 && !is_hex(f->sha256, 64))
        return ds_manifest_bad(err, origin, "files", k, "sha256",
                   "not a SHA-256 digest (64 lowercase hex digits)");
    if (f->hmac && !is_hex(f->hmac, 64))
        return ds_manifest_bad(err, origin, "files", k, "hmac",
                   "not an HMAC-SHA256 (64 lowercase hex digits)");
    if (f->content_ref && !is_hex(f->content_ref, 40) &&
        !is_hex(f->content_ref, 64))
        return ds_manifest_bad(err, origin, "files", k, "content_ref",
                   "not a git object id (40 or 64 lowercase hex digits)");
    if (f->type == DS_FILE_SYMLINK) {
        REQUIRE(f->target, "files", k, "target");
        CHECK_TEXT(f->target, DS_MANIFEST_MAX_PATH, "files", k, "target");
        if (f->sha256 || f->hmac || f->content_ref || f->secret)
            return ds_manifest_bad(err, origin, "files", k, NULL,
                       "a symlink has only a target: no sha256, hmac, "
                       "secret or content_ref");
        return 0;
    }
    if (f->type != DS_FILE_REGULAR)
        return ds_manifest_bad(err, origin, "files", k, "type", "unknown file type %d",
                   (int)f->type);
    if (f->target)
        return ds_manifest_bad(err, origin, "files", k, "target",
                   "only symlinks have a target");
    if (f->secret) {
        REQUIRE(f->hmac, "files", k, "hmac");
        if (f->sha256)
            return ds_manifest_bad(err, origin, "files", k, "sha256",
                       "a secret file has an hmac, never a sha256");
        if (f->content_ref)
            return ds_manifest_bad(err, origin, "files", k, "content_ref",
                       "the content of a secret file is never stored");
    } else {
        REQUIRE(f->sha256, "files", k, "sha256");
        if (f->hmac)
            return ds_manifest_bad(err, origin, "files", k, "hmac",
                       "only secret files have an hmac");
    }
    return 0;
}

static int check_service(const ds_service *s, const char *origin, GError **err)
{
    if (!s->name || !ds_name_is_safe_service(s->name))
        return ds_manifest_bad(err, origin, "services", s->name ? s->name : "(null)", NULL,
                   "not a safe systemd unit name "
                   "([A-Za-z0-9:_.\\@-] with a unit type suffix)");
    REQUIRE(s->enabled, "services", s->name, "enabled");
    if (!is_state_word(s->enabled))
        return ds_manifest_bad(err, origin, "services", s->name, "enabled",
                   "not a unit state word ([a-z][a-z-]*)");
    REQUIRE(s->active, "services", s->name, "active");
    if (!is_state_word(s->active))
        return ds_manifest_bad(err, origin, "services", s->name, "active",
                   "not a unit state word ([a-z][a-z-]*)");
    return 0;
}

int ds_manifest_check(const ds_manifest *m, const char *origin, GError **err)
{
    int rc;

    if (!m->host)
        return ds_error_set(err, DS_EINVALID, "%s: host: missing", origin);
    if (!ds_name_is_safe_host(m->host)) {
        g_autoptr(GString) shown = g_string_new(NULL);
        ds_manifest_path_key(shown, m->host, strlen(m->host));
        return ds_error_set(err, DS_EINVALID,
                            "%s: host: %s is not a safe host name ([A-Za-z0-9][A-Za-z0-9._-]*, no \"..\")",
                            origin, shown->str);
    }
    if (m->role != DS_ROLE_PROD && m->role != DS_ROLE_LAB)
        return ds_manifest_bad(err, origin, "role", NULL, NULL, "unknown role %d",
                   (int)m->role);
    if (m->collected_at && !ds_manifest_is_rfc3339_utc(m->collected_at))
        return ds_manifest_bad(err, origin, "collected_at", NULL, NULL,
                   "not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)");
    CHECK_TOKEN(m->os.id, "os", NULL, "id");
    CHECK_TOKEN(m->os.version, "os", NULL, "version");
    CHECK_TEXT(m->os.name, DS_MANIFEST_MAX_TOKEN, "os", NULL, "name");
    CHECK_TOKEN(m->kernel.running, "kernel", NULL, "running");
    for (guint i = 0; m->kernel.installed && i < m->kernel.installed->len;
         i++) {
        const char *v = m->kernel.installed->pdata[i];
        g_autofree char *sec = g_strdup_printf("kernel.installed[%u]", i);
        REQUIRE(v, sec, NULL, NULL);
        CHECK_TOKEN(v, sec, NULL, NULL);
    }
    for (guint i = 0; m->sources && i < m->sources->len; i++) {
        const char *v = m->sources->pdata[i];
        g_autofree char *sec = g_strdup_printf("sources[%u]", i);
        REQUIRE(v, sec, NULL, NULL);
        CHECK_TEXT(v, DS_MANIFEST_MAX_SOURCE, sec, NULL, NULL);
    }
    if (m->platform && strcmp(m->platform, DS_PLATFORM_RPM) != 0)
        return ds_manifest_bad(err, origin, "platform", NULL, NULL, "unknown platform (expected \"rpm\"; dpkg hosts have none)");
    for (guint i = 0; m->packages && i < m->packages->len; i++) {
        const ds_package *p = m->packages->pdata[i];
        if (!m->platform && p->other_versions)
            return ds_manifest_bad(err, origin, "packages", p->name ? p->name : "(null)", "other_versions", "only rpm hosts have other versions");
        rc = m->platform ? check_rpm_package(p, origin, err)
                         : check_package(p, origin, err);
        if (rc < 0)
            return rc;
    }
    for (guint i = 0; m->files && i < m->files->len; i++)
        if ((rc = check_file(m->files->pdata[i], origin, err)) < 0)
            return rc;
    for (guint i = 0; m->services && i < m->services->len; i++)
        if ((rc = check_service(m->services->pdata[i], origin, err)) < 0)
            return rc;
    CHECK_TOKEN(m->collector.version, "collector", NULL, "version");
    CHECK_TOKEN(m->collector.transport, "collector", NULL, "transport");
    return ds_manifest_check_selection(m, origin, err);
}
