/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/util/known-hosts.c: an SSH host key looked up in an OpenSSH
 * known_hosts file (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"). */
#include <config.h>

#include <stdbool.h>
#include <string.h>

#include "manifests/util/error.h"
#include "manifests/util/known-hosts.h"

#define SSH_DEFAULT_PORT 22
#define SHA1_LEN 20

/* "|1|SALT|HASH": HASH is HMAC-SHA1(SALT, name), both base64. */
static bool hashed_match(const char *entry, const char *name)
{
    g_auto(GStrv) parts = g_strsplit(entry + 3, "|", 2);
    g_autofree guchar *salt = NULL, *want = NULL;
    gsize salt_len = 0, want_len = 0, got_len = SHA1_LEN;
    guint8 got[SHA1_LEN];
    g_autoptr(GHmac) hmac = NULL;

    if (!parts[0] || !parts[1])
        return false;
    salt = g_base64_decode(parts[0], &salt_len);
    want = g_base64_decode(parts[1], &want_len);
    if (!salt_len || want_len != SHA1_LEN)
        return false;
    hmac = g_hmac_new(G_CHECKSUM_SHA1, salt, salt_len);
    g_hmac_update(hmac, (const guchar *)name, (gssize)strlen(name));
    g_hmac_get_digest(hmac, got, &got_len);
    return got_len == SHA1_LEN && memcmp(got, want, SHA1_LEN) == 0;
}

/* Whether a comma list of patterns names name: one pattern matches and
 * no negated one does. */
static bool names_match(const char *list, const char *name)
{
    g_auto(GStrv) pats = g_strsplit(list, ",", -1);
    bool hit = false;

    for (char **p = pats; *p; p++) {
        const char *pat = *p;
        bool neg = pat[0] == '!';
        bool m;

        if (neg)
            pat++;
        if (g_str_has_prefix(pat, "|1|")) {
            m = hashed_match(pat, name);
        } else {
            g_autofree char *low = g_ascii_strdown(pat, -1);

            m = g_pattern_match_simple(low, name);
        }
        if (m && neg)
            return false;
        hit = hit || m;
    }
    return hit;
}

typedef struct {
    bool named;   /* a host key line names the host */
    bool match;   /* ... with this key */
    bool revoked; /* an @revoked line holds this key */
} lookup;

/* One line of the file, split on blanks. */
static void check_line(lookup *l, char *line, const char *name,
                       const void *key, gsize len)
{
    g_auto(GStrv) f = NULL;
    g_autofree guchar *blob = NULL;
    const char *marker = NULL;
    gsize blob_len = 0;
    guint i = 0;

    g_strstrip(line);
    if (!*line || *line == '#')
        return;
    f = g_regex_split_simple("[ \t]+", line, 0, 0);
    if (f[0] && f[0][0] == '@')
        marker = f[i++];
    if (!f[i] || !f[i + 1] || !f[i + 2] || !names_match(f[i], name))
        return;
    if (marker && strcmp(marker, "@revoked") != 0)
        return; /* @cert-authority: not a host key */
    blob = g_base64_decode(f[i + 2], &blob_len);
    bool same = blob_len == len && memcmp(blob, key, len) == 0;

    if (marker) {
        l->revoked = l->revoked || same;
        return;
    }
    l->named = true;
    l->match = l->match || same;
}

int ds_known_hosts_check(const char *path, const char *host, int port,
                         const void *key, gsize len, GError **err)
{
    g_autofree char *text = NULL;
    g_autofree char *low = g_ascii_strdown(host, -1);
    g_autofree char *name = NULL;
    g_auto(GStrv) lines = NULL;
    lookup l = {0};

    name = port > 0 && port != SSH_DEFAULT_PORT
               ? g_strdup_printf("[%s]:%d", low, port)
               : g_strdup(low);
    if (!path || !g_file_get_contents(path, &text, NULL, NULL))
        return ds_error_set(err, DS_ENOTFOUND,
                            "ssh host key for %s is not known (no known_hosts file %s); refusing",
                            name, path ? path : "given");
    lines = g_strsplit(text, "\n", -1);
    for (char **p = lines; *p; p++)
        check_line(&l, *p, name, key, len);
    if (l.revoked)
        return ds_error_set(err, DS_ECONFLICT,
                            "ssh host key for %s is revoked in %s; refusing",
                            name, path);
    if (l.match)
        return 0;
    if (l.named)
        return ds_error_set(err, DS_ECONFLICT,
                            "ssh host key for %s does not match %s (possible man-in-the-middle); refusing",
                            name, path);
    return ds_error_set(err, DS_ENOTFOUND,
                        "ssh host key for %s is not in %s; refusing", name,
                        path);
}
