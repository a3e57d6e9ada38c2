/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/config/config-table.c: the keys of driftsync.conf as one table
 * (tmux's options-table.c is the model) and the checks some keys need
 * beyond their kind; a new key is a field, one entry, a man page item. */
#include <config.h>

#include <grp.h>
#include <string.h>

#include "manifests/manifest.h"
#include "manifests/store-remote.h"
#include "sync/config/config-file.h"
#include "sync/config/config-private.h"
#include "sync/config/config-table.h"

/* ---- checks beyond the kind ------------------------------------------ */

static char *check_source(const char *v)
{
    const char *why;

    if (ds_config_source_is_valid(v, &why))
        return NULL;
    return g_strdup_printf("%s, got '%s'", why, v);
}

static char *check_domain(const char *v)
{
    if (ds_name_is_safe_host(v))
        return NULL;
    return g_strdup_printf("'%s' is not a valid domain name (letters, digits, '.', '_', '-')", v);
}

/* A directory ("/etc/nginx/") is checked without its last '/'. */
static char *check_path(const char *v)
{
    g_autofree char *path = g_strdup(v);
    gsize len = strlen(path);

    if (len > 1 && path[len - 1] == '/')
        path[len - 1] = '\0';
    if (ds_name_is_safe_path(path))
        return NULL;
    return g_strdup_printf("'%s' is not an absolute path (no '..', no control characters)", v);
}

static char *check_name(const char *v)
{
    if (ds_name_is_safe_host(v))
        return NULL;
    return g_strdup_printf("'%s' is not a valid name (letters, digits, '.', '_', '-')", v);
}

static char *check_repository(const char *v)
{
    if ((g_str_has_prefix(v, "https://") &&
         ds_config_url_has_host(v, "https://")) ||
        g_str_has_prefix(v, "file:///") || v[0] == '/')
        return NULL;
    return g_strdup_printf("expected an https:// or file:/// URL or an absolute directory, got '%s'", v);
}

/* The store's group of readers must exist here (init gives it the store). */
static char *check_group(const char *v)
{
    if (getgrnam(v))
        return NULL;
    return g_strdup_printf("no group '%s' on this machine", v);
}

/* The URL is not shown: a refused one may carry credentials. */
static char *check_remote(const char *v)
{
    const char *why;

    if (ds_store_remote_url_is_valid(v, &why))
        return NULL;
    return g_strdup(why);
}

/* The webhook is a secret: the message does not show it. */
static char *check_webhook(const char *v)
{
    if ((g_str_has_prefix(v, "https://") &&
         ds_config_url_has_host(v, "https://")) ||
        (g_str_has_prefix(v, "http://") &&
         ds_config_url_has_host(v, "http://")))
        return NULL;
    return g_strdup("expected an https:// or http:// URL (the value is a secret: not shown)");
}

/* A glob of a Release field: one line, at most 256 bytes. */
static char *check_glob(const char *v)
{
    if (strlen(v) <= 256)
        return NULL;
    return g_strdup_printf("'%.40s...' is longer than 256 bytes", v);
}

/* ---- the table ------------------------------------------------------- */

static const char *const snapshot_modes[] = {"internal", "overlay", "auto",
                                             NULL};
static const char *const failure_modes[] = {"revert", "keep", NULL};
static const char *const become_modes[] = {"none", "sudo", NULL};

/* The offset of FIELD in TYPE; it does not compile unless the field has
 * the C type CTYPE that the key's kind fills. */
#define FIELD(type, field, ctype)                                              \
    (offsetof(type, field) +                                                   \
     0 * sizeof(char[_Generic(((type *)0)->field, ctype: 1, default: -1)]))

/* One per kind: KIND(struct, field[, limits]). */
#define TEXT(t, f) .kind = DS_CONFIG_STRING, .offset = FIELD(t, f, char *)
#define CHOICE(t, f, list)                                                     \
    .kind = DS_CONFIG_CHOICE, .offset = FIELD(t, f, char *), .choices = list
#define NUMBER(t, f, lowest)                                                   \
    .kind = DS_CONFIG_INT, .offset = FIELD(t, f, int), .min = lowest,          \
    .max = DS_CONFIG_INT_MAX
#define FLAG(t, f) .kind = DS_CONFIG_BOOL, .offset = FIELD(t, f, gboolean)
#define WORDS(t, f) .kind = DS_CONFIG_LIST, .offset = FIELD(t, f, char **)
#define PATTERNS .kind = DS_CONFIG_IGNORE
#define DURATION(t, f) .kind = DS_CONFIG_DURATION, .offset = FIELD(t, f, gint64)

/* Within a section, the first near key is the one an unknown key is
 * said to resemble: keep the order of the man page. */
const ds_config_key ds_config_table[] = {
    {"store", "path", TEXT(ds_config, store_path), .def = DS_DEFAULT_STORE,
     .doc = "the store, a bare git repository made by driftsync init"},
    {"store", "state", TEXT(ds_config, state_dir),
     .def = DS_LOCALSTATEDIR "/lib/driftsync/state",
     .doc = "run journals, reports and the secret files' fingerprint key"},
    {"store", "parallel", NUMBER(ds_config, record_parallel, 1), .def = "8",
     .doc = "hosts that record collects at the same time"},
    {"store", "group", TEXT(ds_config, store_group), .check = check_group,
     .doc = "a group that may read the store (none: its owner only)"},
    {"store", "remote", TEXT(ds_config, store_remote), .check = check_remote,
     .doc = "a git remote every commit is pushed to (ssh://, https://, file://)"},
    {"store", "remote-credentials", TEXT(ds_config, store_remote_credentials),
     .doc = "ssh: the private key file; https: a file holding user:password"},
    {"store", "remote-known-hosts", TEXT(ds_config, store_remote_known_hosts),
     .doc = "known_hosts file that verifies an ssh:// remote's host key"},
    {"store", "remote-ca-file", TEXT(ds_config, store_remote_ca_file),
     .doc = "CA bundle that verifies an https:// remote"},

    {"lab", "uri", TEXT(ds_config, lab_uri), .def = "qemu:///system",
     .check = ds_config_check_libvirt_uri,
     .doc = "the libvirt connection of the lab"},
    {"lab", "snapshots", CHOICE(ds_config, snapshots, snapshot_modes),
     .def = "auto",
     .doc = "how a lab VM is kept safe: internal snapshots or an overlay"},
    {"lab", "on-failure", CHOICE(ds_config, on_failure, failure_modes),
     .def = "revert",
     .doc = "a lab VM whose sync failed: revert it or keep it"},
    {"lab", "parallel", NUMBER(ds_config, lab_parallel, 1), .def = "2",
     .doc = "lab VMs that mirror syncs at the same time"},
    {"lab", "keep-snapshots", NUMBER(ds_config, keep_snapshots, 0), .def = "5",
     .doc = "driftsync's snapshots kept per lab VM"},

    {"host", "source", TEXT(ds_host_config, source), .check = check_source,
     .doc = "how to collect the host: local:, ssh://, https://, agent:"},
    {"host", "lab", TEXT(ds_host_config, lab), .check = check_domain,
     .doc = "the libvirt domain of the host's lab VM"},
    {"host", "lab-access", TEXT(ds_host_config, lab_access),
     .check = ds_config_check_lab_access, .def = "agent",
     .doc = "how to reach the lab VM: agent or ssh://"},
    {"host", "lab-uri", TEXT(ds_host_config, lab_uri),
     .check = ds_config_check_libvirt_uri,
     .doc = "the libvirt connection of this host's lab VM"},
    {"host", "files", WORDS(ds_host_config, files), .check = check_path,
     .def = "", .doc = "files captured with their content (DIR/: below it)"},
    {"host", "groups", WORDS(ds_host_config, groups), .check = check_name,
     .def = "", .doc = "groups the host belongs to (audit --like)"},
    {"host", "identity-file", TEXT(ds_host_config, identity_file),
     .check = ds_config_check_ssh_path,
     .doc = "SSH private key (ssh -i)"},
    {"host", "known-hosts", TEXT(ds_host_config, known_hosts),
     .check = ds_config_check_ssh_path,
     .doc = "SSH known hosts file"},
    {"host", "ssh-options", WORDS(ds_host_config, ssh_options),
     .check = ds_config_check_ssh_option,
     .doc = "extra ssh -o OPTION=VALUE options, from an allow-list"},
    {"host", "become", CHOICE(ds_host_config, become, become_modes),
     .def = "none",
     .doc = "run the ssh user's commands as root through sudo -n"},
    {"host", "ca-file", TEXT(ds_host_config, ca_file),
     .doc = "CA bundle that verifies an https source"},
    {"host", "auth-file", TEXT(ds_host_config, auth_file),
     .doc = "credentials for an https source, read at run time"},
    {"host", "allow-http", FLAG(ds_host_config, allow_http), .def = "false",
     .doc = "accept a plain http:// source"},
    {"host", "refresh-lists", FLAG(ds_host_config, refresh_lists),
     .def = "false",
     .doc = "run apt-get update on the host before collecting it"},

    {"ignore", "packages", PATTERNS, .doc = "package names to ignore"},
    {"ignore", "sources", PATTERNS, .doc = "package source lines to ignore"},
    {"ignore", "files", PATTERNS, .doc = "file paths to ignore"},
    {"ignore", "services", PATTERNS, .doc = "service names to ignore"},

    {"secrets", "files", WORDS(ds_config, secret_patterns), .def = "",
     .doc = "more files whose content is secret (only a fingerprint kept)"},
    {"secrets", "mode-exempt", WORDS(ds_config, secret_mode_exempt),
     .def = "",
     .doc = "files not secret only because others may not read them"},

    {"packages", "cache", TEXT(ds_config, package_cache),
     .doc = "a content-addressed cache of package files"},
    {"packages", "repository", TEXT(ds_config, package_repository),
     .check = check_repository,
     .doc = "a flat repository of the versions production runs"},
    {"packages", "ca-file", TEXT(ds_config, package_ca_file),
     .doc = "CA bundle that verifies an https:// repository"},

    {"notify", "webhook", TEXT(ds_config, notify_webhook),
     .check = check_webhook,
     .doc = "where a JSON summary is posted after a mirror run (a secret)"},
    {"notify", "ca-file", TEXT(ds_config, notify_ca_file),
     .doc = "CA bundle that verifies an https:// webhook"},
    {"notify", "timeout", NUMBER(ds_config, notify_timeout, 1), .def = "10",
     .doc = "seconds one try may take"},
    {"notify", "attempts", NUMBER(ds_config, notify_attempts, 1), .def = "3",
     .doc = "tries in all before giving up"},
    {"notify", "retry-delay", NUMBER(ds_config, notify_retry_delay, 0),
     .def = "1", .doc = "seconds before the second try, doubled after"},
    {"notify", "audit", FLAG(ds_config, notify_audit), .def = "false",
     .doc = "also notify after each audit run"},
    {"patches", "security-origins", WORDS(ds_config, security_origins),
     .check = check_glob, .def = "Debian-Security",
     .doc = "Release labels or origins of security archives (globs)"},
    {"patches", "security-suites", WORDS(ds_config, security_suites),
     .check = check_glob, .def = "*-security",
     .doc = "Release codenames or suites of security archives (globs)"},
    {"patches", "max-list-age", DURATION(ds_config, max_list_age),
     .def = "7d", .doc = "package lists older than this are a finding"},
    {"patches", "security-sla", DURATION(ds_config, patches_security_sla),
     .doc = "how long a security update may stay pending (7d, 36h)"},

    {NULL},
};

/* ---- lookups --------------------------------------------------------- */

const ds_config_key *ds_config_key_find(const char *section, const char *name)
{
    for (const ds_config_key *k = ds_config_table; k->name; k++)
        if (!strcmp(k->section, section) && !strcmp(k->name, name))
            return k;
    return NULL;
}

char *ds_config_section_title(const char *section)
{
    if (!strcmp(section, "host"))
        return g_strdup("[host NAME]");
    return g_strdup_printf("[%s]", section);
}

const char *ds_config_kind_name(ds_config_kind kind)
{
    static const char *const names[] = {
        [DS_CONFIG_STRING] = "string", [DS_CONFIG_CHOICE] = "choice",
        [DS_CONFIG_INT] = "integer",   [DS_CONFIG_BOOL] = "boolean",
        [DS_CONFIG_LIST] = "list",     [DS_CONFIG_IGNORE] = "patterns",
        [DS_CONFIG_DURATION] = "duration",
    };

    return (gsize)kind < G_N_ELEMENTS(names) ? names[kind] : "?";
}
