/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/secret.h: what is secret on a host, so that it is never stored:
 * known credential files and their backups, credential formats found in a
 * file's content, files others may not read, and credentials in URIs. */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* Why a file is secret (the first rule that says so, in this order). */
typedef enum ds_secret_why {
    DS_SECRET_NO = 0,
    DS_SECRET_NAME,    /* a known credential file, a backup of one, or a
                        * [secrets] files pattern */
    DS_SECRET_CONTENT, /* its content holds a credential format */
    DS_SECRET_MODE,    /* others may not read it (no o+r) */
} ds_secret_why;

/* The configured part of the rules; both lists may be NULL. */
typedef struct ds_secret_rules {
    const char *const *patterns;    /* [secrets] files: secret by name */
    const char *const *mode_exempt; /* [secrets] mode-exempt: not secret
                                     * by their mode alone */
} ds_secret_rules;

/* Whether path is a known credential file (/etc/shadow, ssh host keys,
 * ~/.netrc...), a backup of one (shadow-, shadow.bak, .shadow.swp...), or
 * matches one of patterns (fnmatch(3) globs without FNM_PATHNAME). */
bool ds_secret_by_name(const char *path, const char *const *patterns);

/* Whether data holds a credential format: PEM, PGP, PuTTY, SSH2, OpenVPN,
 * age and WireGuard keys, DER keys and PKCS#12, Java key stores, Kerberos
 * keytabs, password hashes (shadow, htpasswd, smbpasswd), netrc and
 * docker logins, AWS keys, credentials inside URIs. */
bool ds_secret_by_content(const void *data, gsize len);

/* Whether a regular file of this mode is secret because others may not
 * read it, unless path matches one of exempt. */
bool ds_secret_by_mode(const char *path, guint mode, const char *const *exempt);

/* All three rules on one regular file; content may be NULL (not read). */
ds_secret_why ds_secret_classify(const ds_secret_rules *rules, const char *path,
                                 guint mode, GBytes *content);

/* The fixed strings that mark a text credential, one per line (no
 * newline after the last), for `grep -F -e` on files too big to be read (binary
 * formats are small and are found by ds_secret_by_content). */
const char *ds_secret_grep_markers(void);

/* uri without the user:password@ of its authority ("https://u:p@h/x" ->
 * "https://h/x"); a copy of uri when it has none. */
char *ds_secret_strip_uri(const char *uri);

/* Strip credentials from every URI in one-line apt source entries
 * ("deb [opts] URI suite comps"), in place. */
void ds_secret_scrub_sources(GPtrArray *sources);
