/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/secret-content.c: credential formats recognised in a file's
 * content: fixed markers of text keys, line patterns of password files
 * and logins, and the binary shapes of DER keys, PKCS#12, Java key
 * stores, Kerberos keytabs and OpenPGP secret keys. */
#include <config.h>

#include <string.h>

#include "drivers/secret.h"

/* Text keys, by a fixed string each; also what the files script greps
 * for in files too big to be read (keep one per line). */
static const char markers[] =
    "PRIVATE KEY-----\n"      /* PEM: RSA, EC, DSA, OpenSSH, PKCS#8 */
    "PRIVATE KEY ----\n"      /* SSH2 (RFC 4716 style) private keys */
    "PGP PRIVATE KEY BLOCK\n" /* OpenPGP, armoured */
    "PuTTY-User-Key-File-\n"  /* PuTTY .ppk */
    "OpenVPN Static key\n"    /* OpenVPN secret / tls-auth keys */
    "AGE-SECRET-KEY-1\n"      /* age */
    "aws_secret_access_key\n" /* AWS credentials and config */
    "aws_session_token\n"
    "client-key-data:\n"      /* kubeconfig */
    "protected-private-key\n" /* GnuPG private-keys-v1.d */
    "(11:private-key\n"
    "minisign encrypted secret key\n"
    "signify secret key\n"
    "-secret: type0 ==\n"; /* Tor onion service keys */

/* Line patterns (PCRE, multi-line, bytes), each run only on content
 * that holds one of its needles: most files hold none. */
typedef struct line_rule {
    const char *needles[16];
    const char *pattern;
} line_rule;

static const line_rule line_rules[] = {
    /* WireGuard (wg-quick, systemd-networkd): PrivateKey= PresharedKey= */
    {{"PrivateKey", "PresharedKey", "privatekey", "presharedkey"},
     "^[ \\t]*(?i:(private|preshared)key)[ \\t]*=[ \\t]*[A-Za-z0-9+/]{20}"},
    /* password hashes: shadow, passwd, htpasswd */
    {{":$1$", ":$2a$", ":$2b$", ":$2x$", ":$2y$", ":$5$", ":$6$", ":$7$",
      ":$y$", ":$gy$", ":$md5", ":$sha1$", ":$apr1$", ":$argon2"},
     "^[^:\\s#]+:\\$(1|2[abxy]|5|6|7|y|gy|md5|sha1|apr1|argon2(id|i|d))\\$"},
    {{":{SHA", ":{SSHA", ":{SMD5}", ":{MD5}", ":{CRYPT}", ":{PBKDF2"},
     "^[^:\\s#]+:\\{(SHA|SSHA|SMD5|MD5|CRYPT|SHA256|SHA512|SSHA256|SSHA512"
     "|PBKDF2)[^}]*\\}"},
    /* smbpasswd (its lines end with the last change time, LCT-) */
    {{":LCT-"}, "^[^:\\s#]+:[0-9]+:([0-9A-F]{32}|X{32}):[0-9A-F]{32}:"},
    /* netrc, apt auth.conf: machine HOST [login USER] password PASS */
    {{"password"},
     "(?<!\\S)(machine\\s+\\S+|default)(\\s+(login|account|port|protocol)"
     "\\s+\\S+)*\\s+password\\s+\\S"},
    /* docker and podman logins */
    {{"\"auth\"", "token\""},
     "\"(auth|identitytoken|registrytoken)\"\\s*:\\s*\"[^\"]+\""},
    /* wpa_supplicant, NetworkManager */
    {{"psk"}, "^[ \\t]*psk[ \\t]*=[ \\t]*\\S"},
};

const char *ds_secret_grep_markers(void)
{
    static gsize once;
    static char *lines;

    /* Without the last newline: grep -F would take the empty line after
     * it as a pattern that matches everything. */
    if (g_once_init_enter(&once)) {
        lines = g_strndup(markers, strlen(markers) - 1);
        g_once_init_leave(&once, 1);
    }
    return lines;
}

/* Every needle (the markers, the line rules' needles, "://") is looked
 * for in one pass over the content: a table of the needles each byte can
 * start, then a compare (a memmem per needle was 25 passes). */
#define MAX_NEEDLES 64
typedef struct needle_set {
    const char *needle[MAX_NEEDLES];
    gsize len[MAX_NEEDLES];
    guint64 first[256]; /* byte -> the needles starting with it */
    guint64 markers;    /* the needles that are markers */
    guint64 rule[G_N_ELEMENTS(line_rules)];
    guint64 uri;
    guint n;
    GRegex *re[G_N_ELEMENTS(line_rules)];
} needle_set;

static guint64 add_needle(needle_set *ns, const char *s, gsize len)
{
    guint64 bit = G_GUINT64_CONSTANT(1) << ns->n;

    g_assert(ns->n < MAX_NEEDLES && len > 0);
    ns->needle[ns->n] = s;
    ns->len[ns->n] = len;
    ns->first[(guchar)s[0]] |= bit;
    ns->n++;
    return bit;
}

static const needle_set *needles(void)
{
    static gsize once;
    static needle_set ns;

    if (g_once_init_enter(&once)) {
        for (const char *m = markers; *m;) {
            const char *nl = strchr(m, '\n');
            ns.markers |= add_needle(&ns, m, (gsize)(nl - m));
            m = nl + 1;
        }
        for (gsize i = 0; i < G_N_ELEMENTS(line_rules); i++) {
            const line_rule *r = &line_rules[i];
            for (gsize j = 0; j < G_N_ELEMENTS(r->needles) && r->needles[j];
                 j++)
                ns.rule[i] |=
                    add_needle(&ns, r->needles[j], strlen(r->needles[j]));
            ns.re[i] = g_regex_new(
                r->pattern, G_REGEX_MULTILINE | G_REGEX_RAW | G_REGEX_OPTIMIZE,
                0, NULL);
            g_assert(ns.re[i]); /* fixed patterns */
        }
        ns.uri = add_needle(&ns, "://", 3);
        g_once_init_leave(&once, 1);
    }
    return &ns;
}

/* Which needles occur in d; stops at the first marker. */
static guint64 find_needles(const needle_set *ns, const char *d, gsize len)
{
    guint64 found = 0;

    for (gsize i = 0; i < len; i++) {
        guint64 cand = ns->first[(guchar)d[i]] & ~found;

        while (cand) {
            guint k = (guint)__builtin_ctzll(cand);

            cand &= cand - 1;
            if (ns->len[k] <= len - i &&
                (ns->len[k] == 1 || d[i + 1] == ns->needle[k][1]) &&
                memcmp(d + i, ns->needle[k], ns->len[k]) == 0)
                found |= G_GUINT64_CONSTANT(1) << k;
        }
        if (found & ns->markers)
            break;
    }
    return found;
}

/* Credentials inside a URI: scheme://user:password@host, found from each
 * "://" (a pattern would start again at every letter of the file). */
static bool has_uri_password(const char *d, gsize len)
{
    const char *end = d + len, *p = d;

    while ((p = memmem(p, (gsize)(end - p), "://", 3))) {
        const char *a = p + 3, *colon = NULL, *q;

        if (p > d && g_ascii_isalnum(p[-1])) {
            for (q = a; q < end && *q != '/' && *q != '@' &&
                        !g_ascii_isspace(*q) && *q != '"' && *q != '\'';
                 q++)
                if (*q == ':' && !colon)
                    colon = q;
            if (q < end && *q == '@' && colon && colon > a && q > colon + 1 &&
                q + 1 < end && !g_ascii_isspace(q[1]) && q[1] != '/' &&
                q[1] != '@')
                return true;
        }
        p += 3;
    }
    return false;
}

/* ---- binary formats ----------------------------------------------------- */

static guint be16(const guchar *p)
{
    return ((guint)p[0] << 8) | p[1];
}

static guint32 be32(const guchar *p)
{
    return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) |
           ((guint32)p[2] << 8) | p[3];
}

typedef struct der {
    const guchar *p, *end;
} der;

/* The next DER element of d: its tag and body; definite lengths only. */
static bool der_next(der *d, guchar *tag, der *body)
{
    gsize n, len = 0;

    if (d->end - d->p < 2)
        return false;
    *tag = d->p[0];
    n = d->p[1];
    d->p += 2;
    if (n & 0x80) {
        n &= 0x7f;
        if (n == 0 || n > 4 || (gsize)(d->end - d->p) < n)
            return false;
        for (gsize i = 0; i < n; i++)
            len = (len << 8) | *d->p++;
    } else {
        len = n;
    }
    if ((gsize)(d->end - d->p) < len)
        return false;
    body->p = d->p;
    body->end = d->p + len;
    d->p += len;
    return true;
}

/* Whether an OBJECT IDENTIFIER's body starts with prefix. */
static bool oid_under(der oid, const char *prefix, gsize n)
{
    return (gsize)(oid.end - oid.p) >= n && memcmp(oid.p, prefix, n) == 0;
}

#define OID_PKCS5 "\x2a\x86\x48\x86\xf7\x0d\x01\x05"  /* 1.2.840.113549.1.5 */
#define OID_PKCS7 "\x2a\x86\x48\x86\xf7\x0d\x01\x07"  /* .1.7 */
#define OID_PKCS12 "\x2a\x86\x48\x86\xf7\x0d\x01\x0c" /* .1.12 */

/* EncryptedPrivateKeyInfo: SEQUENCE { AlgorithmIdentifier (a PKCS#5 or
 * PKCS#12 scheme), OCTET STRING }; alg is the first element's body. */
static bool der_encrypted(der alg, der rest)
{
    der oid, el;
    guchar tag;

    if (!der_next(&alg, &tag, &oid) || tag != 0x06 ||
        !(oid_under(oid, OID_PKCS5, 8) || oid_under(oid, OID_PKCS12, 8)))
        return false;
    return der_next(&rest, &tag, &el) && tag == 0x04 && rest.p == rest.end;
}

/* A whole file that is one DER private key: PKCS#8 (plain or encrypted),
 * PKCS#1 RSA, DSA, SEC1 EC, or a PKCS#12 bundle. */
static bool is_der_key(const guchar *data, gsize len)
{
    der all = {data, data + len}, top, el, ci, oid;
    guchar tag;
    guint version, ints = 1;

    if (!der_next(&all, &tag, &top) || tag != 0x30 || all.p != all.end ||
        !der_next(&top, &tag, &el))
        return false;
    if (tag == 0x30)
        return der_encrypted(el, top);
    if (tag != 0x02 || el.end - el.p != 1)
        return false;
    version = el.p[0];
    if (!der_next(&top, &tag, &el))
        return false;
    if (version <= 1 && tag == 0x30) /* PKCS#8 v1/v2 */
        return der_next(&top, &tag, &el) && tag == 0x04;
    if (version == 0 && tag == 0x02) { /* RSA: 8 integers, DSA: 5 */
        while (top.p < top.end && der_next(&top, &tag, &el) && tag == 0x02)
            ints++;
        return ints >= 5 && top.p == top.end;
    }
    if (version == 1 && tag == 0x04) /* SEC1 EC */
        return el.end - el.p >= 16;
    if (version == 3 && tag == 0x30) { /* PKCS#12 PFX */
        ci = el;
        return der_next(&ci, &tag, &oid) && tag == 0x06 &&
               oid_under(oid, OID_PKCS7, 8);
    }
    return false;
}

/* A Kerberos keytab (version 0x502): its first entry must parse. */
static bool is_keytab(const guchar *d, gsize len)
{
    gsize pos = 6, end;
    guint32 size;
    guint n, kl;

    if (len < 8 || d[0] != 0x05 || d[1] != 0x02)
        return false;
    size = be32(d + 2);
    if (size == 0 || size > 0x7fffffff || size > len - 6)
        return false;
    end = 6 + (gsize)size;
    n = be16(d + pos);
    pos += 2;
    if (n == 0 || n > 32)
        return false;
    for (guint i = 0; i <= n; i++) { /* the realm, then n components */
        guint l;

        if (pos + 2 > end)
            return false;
        l = be16(d + pos);
        pos += 2;
        if (l == 0 || pos + l > end)
            return false;
        for (guint j = 0; j < l; j++)
            if (d[pos + j] < 0x20 || d[pos + j] > 0x7e)
                return false;
        pos += l;
    }
    /* name type, timestamp, vno8, key type, then the key's length */
    if (pos + 13 > end)
        return false;
    kl = be16(d + pos + 11);
    return kl > 0 && pos + 13 + kl <= end;
}

/* An OpenPGP secret key packet (tag 5) first: an exported secret key or
 * an old secring. */
static bool is_pgp_secret(const guchar *d, gsize len)
{
    static const guchar algos[] = {1,  2,  3,  16, 17, 18, 19,
                                   20, 22, 25, 26, 27, 28};
    gsize hdr, body;
    guchar v, algo;

    if (len < 16)
        return false;
    if ((d[0] & 0xc0) == 0xc0) { /* new format */
        if ((d[0] & 0x3f) != 5)
            return false;
        if (d[1] < 192)
            hdr = 2, body = d[1];
        else if (d[1] < 224)
            hdr = 3, body = ((gsize)(d[1] - 192) << 8) + d[2] + 192;
        else if (d[1] == 255)
            hdr = 6, body = be32(d + 2);
        else
            return false;
    } else if ((d[0] & 0xc0) == 0x80) { /* old format */
        if (((d[0] >> 2) & 0x0f) != 5)
            return false;
        switch (d[0] & 3) {
        case 0:
            hdr = 2, body = d[1];
            break;
        case 1:
            hdr = 3, body = be16(d + 1);
            break;
        case 2:
            hdr = 5, body = be32(d + 1);
            break;
        default:
            return false;
        }
    } else {
        return false;
    }
    if (body < 12 || hdr + body > len)
        return false;
    v = d[hdr];
    if (v == 3)
        algo = d[hdr + 7];
    else if (v >= 4 && v <= 6)
        algo = d[hdr + 5];
    else
        return false;
    return memchr(algos, algo, sizeof algos) != NULL;
}

/* Java key stores: JKS and JCEKS, versions 1 and 2. */
static bool is_java_keystore(const guchar *d, gsize len)
{
    return len >= 8 &&
           (memcmp(d, "\xfe\xed\xfe\xed", 4) == 0 ||
            memcmp(d, "\xce\xce\xce\xce", 4) == 0) &&
           (be32(d + 4) == 1 || be32(d + 4) == 2);
}

bool ds_secret_by_content(const void *data, gsize len)
{
    const guchar *d = data;

    if (!data || !len)
        return false;
    const needle_set *ns = needles();
    guint64 found;

    if (is_der_key(d, len) || is_keytab(d, len) || is_pgp_secret(d, len) ||
        is_java_keystore(d, len))
        return true;
    found = find_needles(ns, data, len);
    if (found & ns->markers)
        return true;
    for (gsize i = 0; i < G_N_ELEMENTS(line_rules); i++)
        if ((found & ns->rule[i]) &&
            g_regex_match_full(ns->re[i], data, (gssize)len, 0, 0, NULL, NULL))
            return true;
    return (found & ns->uri) && has_uri_password(data, len);
}
