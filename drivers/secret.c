/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/secret.c: which files are secret by name (known credential
 * files and their backups) or by mode (others may not read them), the
 * three rules together, and credentials stripped from URIs; the content
 * formats are in secret-content.c. */
#include <config.h>

#include <fnmatch.h>
#include <string.h>
#include <sys/stat.h>

#include "drivers/secret.h"

/* fnmatch(3) globs without FNM_PATHNAME: '*' also matches '/', which errs
 * towards secrecy ("/etc/ssl/private/ *" covers subdirectories). */
/* clang-format off */
static const char *const known_files[] = {
    /* accounts */
    "/etc/shadow", "/etc/gshadow", "/etc/security/opasswd",
    "/etc/samba/smbpasswd", "/var/lib/samba/private/*",
    /* host and TLS keys */
    "/etc/ssh/ssh_host_*key", "/etc/ssl/private/*",
    "/etc/pki/tls/private/*", "/etc/letsencrypt/accounts/*",
    /* network and VPN credentials */
    "/etc/ppp/chap-secrets", "/etc/ppp/pap-secrets", "/etc/ppp/srp-secrets",
    "/etc/ipsec.secrets", "/etc/ipsec.d/private/*",
    "/etc/strongswan/ipsec.secrets", "/etc/swanctl/private/*",
    "/etc/wireguard/*", "/etc/openvpn/*.key",
    "/etc/NetworkManager/system-connections/*",
    /* package repositories, mail relays, directories, databases */
    "/etc/apt/auth.conf", "/etc/apt/auth.conf.d/*",
    "/etc/postfix/sasl_passwd", "/etc/exim4/passwd.client", "/etc/*.secret",
    "/etc/mysql/debian.cnf", "/etc/cryptsetup-keys.d/*",
    /* Kerberos */
    "*.keytab", "/etc/krb5kdc/stash", "/etc/krb5kdc/.k5.*",
    "/var/lib/krb5kdc/*",
    /* in any home directory */
    "*/.ssh/id_*", "*/.netrc", "*/.pgpass", "*/.my.cnf",
    "*/.git-credentials", "*/.docker/config.json", "*/.aws/credentials",
    "*/.kube/config", "*/.gnupg/private-keys-v1.d/*", "*/.gnupg/secring.gpg",
    "*/.vault-token", "*/.pypirc", "*/.smbcredentials",
    "*/.config/gcloud/*credentials*",
    /* web server password files */
    "*/.htpasswd", "*/htpasswd", "*.htpasswd",
    NULL,
};

/* What backups and editors append to a name ("shadow.bak", "shadow_old"),
 * after a '.', '_' or '-'. */
static const char *const backup_words[] = {
    "bak",      "backup",    "old",       "orig",      "save",
    "saved",    "sav",       "swp",       "swo",       "swx",
    "tmp",      "dist",      "new",       "prev",      "lock",
    "dpkg-old", "dpkg-dist", "dpkg-new",  "dpkg-bak",  "dpkg-tmp",
    "ucf-old",  "ucf-dist",  "ucf-new",   "rpmsave",   "rpmnew",
    "rpmorig",  NULL,
};
/* clang-format on */

static bool is_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!g_ascii_isdigit(*s))
            return false;
    return true;
}

/* Take one backup decoration off the file name at the end of path, in
 * place: a trailing '~', '-' or '#', a ".bak"-like or numeric suffix, a
 * leading '.' or '#' (vim's .shadow.swp, emacs's #shadow#).  False when
 * there was none. */
static bool strip_backup(char *path)
{
    char *base = strrchr(path, '/');
    gsize n;

    base = base ? base + 1 : path;
    n = strlen(base);
    if (n < 2)
        return false;
    if (strchr("~-#", base[n - 1])) {
        base[n - 1] = '\0';
        return true;
    }
    /* the longest such suffix: ".dpkg-old" rather than "-old" */
    for (char *s = base + 1; *s; s++) {
        if (!strchr("._-", *s))
            continue;
        if (g_strv_contains(backup_words, s + 1) || is_digits(s + 1)) {
            *s = '\0';
            return true;
        }
    }
    if (base[0] == '.' || base[0] == '#') {
        memmove(base, base + 1, n);
        return true;
    }
    return false;
}

static bool match_any(const char *path, const char *const *globs)
{
    for (guint i = 0; globs && globs[i]; i++)
        if (fnmatch(globs[i], path, 0) == 0)
            return true;
    return false;
}

bool ds_secret_by_name(const char *path, const char *const *patterns)
{
    g_autofree char *p = g_strdup(path);
    bool pub = g_str_has_suffix(path, ".pub"); /* a public key */

    /* "shadow.bak.1", ".shadow.swp": a few decorations deep. */
    for (guint i = 0; i < 6; i++) {
        if ((!pub && match_any(p, known_files)) || match_any(p, patterns))
            return true;
        if (!strip_backup(p))
            break;
    }
    return false;
}

bool ds_secret_by_mode(const char *path, guint mode, const char *const *exempt)
{
    return !(mode & S_IROTH) && !match_any(path, exempt);
}

ds_secret_why ds_secret_classify(const ds_secret_rules *rules, const char *path,
                                 guint mode, GBytes *content)
{
    const char *const *patterns = rules ? rules->patterns : NULL;
    const char *const *exempt = rules ? rules->mode_exempt : NULL;
    gsize len;
    const void *data;

    if (ds_secret_by_name(path, patterns))
        return DS_SECRET_NAME;
    if (content) {
        data = g_bytes_get_data(content, &len);
        if (len && ds_secret_by_content(data, len))
            return DS_SECRET_CONTENT;
    }
    if (ds_secret_by_mode(path, mode, exempt))
        return DS_SECRET_MODE;
    return DS_SECRET_NO;
}

/* ---- URIs -------------------------------------------------------------- */

char *ds_secret_strip_uri(const char *uri)
{
    const char *sep = strstr(uri, "://"), *auth, *end, *at;
    g_autofree char *head = NULL;

    if (!sep || sep == uri)
        return g_strdup(uri);
    for (const char *s = uri; s < sep; s++)
        if (!g_ascii_isalnum(*s) && !strchr("+.-", *s))
            return g_strdup(uri);
    auth = sep + 3;
    end = auth + strcspn(auth, "/?#");
    at = g_strrstr_len(auth, end - auth, "@");
    if (!at)
        return g_strdup(uri);
    head = g_strndup(uri, (gsize)(auth - uri));
    return g_strconcat(head, at + 1, NULL);
}

void ds_secret_scrub_sources(GPtrArray *sources)
{
    for (guint i = 0; sources && i < sources->len; i++) {
        g_auto(GStrv) w = g_strsplit(sources->pdata[i], " ", -1);
        bool changed = false;

        for (guint j = 0; w[j]; j++) {
            g_autofree char *s = ds_secret_strip_uri(w[j]);
            if (strcmp(s, w[j]) != 0) {
                g_free(w[j]);
                w[j] = g_steal_pointer(&s);
                changed = true;
            }
        }
        if (changed) {
            g_free(sources->pdata[i]);
            sources->pdata[i] = g_strjoinv(" ", w);
        }
    }
}
