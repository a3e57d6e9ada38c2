/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/config/config-file.h: driftsync.conf (GKeyFile): store, lab, hosts, ignore
 * rules, notification settings. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "manifests/ignore.h"

#define DS_DEFAULT_CONFIG DS_SYSCONFDIR "/driftsync/driftsync.conf"
#define DS_DEFAULT_STORE DS_LOCALSTATEDIR "/lib/driftsync/store"

typedef struct ds_host_config {
    char *name;       /* [host NAME] */
    char *source;     /* local: | local:/root | ssh://... | https://... */
    char *lab;        /* libvirt domain name of the lab VM, or NULL */
    char *lab_access; /* "agent" | ssh://... (default "agent") */
    char *lab_uri;    /* per-host libvirt URI override, or NULL */
    char **files;     /* paths captured with content (NULL-terminated) */
    char **groups;    /* group names (for audit --like) */
    char *identity_file;
    char *known_hosts;
    char **ssh_options;
    char *become;     /* "none" | "sudo": ssh commands through sudo -n */
    char *ca_file;
    char *auth_file;
    gboolean allow_http;
    gboolean refresh_lists; /* apt-get update before collecting */
} ds_host_config;

typedef struct ds_config {
    char *filename;      /* where it was read from, or NULL (defaults) */
    char *store_path;    /* [store] path */
    char *store_group;   /* [store] group of readers, or NULL (owner only) */
    char *store_remote;  /* [store] remote: a git URL pushed to, or NULL */
    char *store_remote_credentials; /* [store] remote-credentials (a file) */
    char *store_remote_known_hosts; /* [store] remote-known-hosts */
    char *store_remote_ca_file;     /* [store] remote-ca-file */
    char *state_dir;     /* [store] state (journals, reports, hmac key) */
    int record_parallel; /* [store] parallel, default 8 */
    char *lab_uri;       /* [lab] uri, default qemu:///system */
    char *snapshots;     /* [lab] snapshots: internal | overlay | auto */
    char *on_failure;    /* [lab] on-failure: revert | keep */
    int lab_parallel;    /* [lab] parallel, default 2 */
    int keep_snapshots;  /* [lab] keep-snapshots, default 5 */
    char **secret_patterns; /* [secrets] files */
    char **secret_mode_exempt; /* [secrets] mode-exempt */
    char *package_cache;    /* [packages] cache */
    char *package_repository; /* [packages] repository */
    char *package_ca_file;    /* [packages] ca-file (https repository) */
    char *notify_webhook;   /* [notify] webhook */
    char *notify_ca_file;   /* [notify] ca-file (https webhook) */
    int notify_timeout;     /* [notify] timeout, seconds per try (10) */
    int notify_attempts;    /* [notify] attempts, tries in all (3) */
    int notify_retry_delay; /* [notify] retry-delay, seconds (1, doubled) */
    gboolean notify_audit;  /* [notify] audit: notify after audit too (no) */
    gint64 patches_security_sla; /* [patches] security-sla, seconds (0: none) */
    char **security_origins; /* [patches] security-origins (globs) */
    char **security_suites;  /* [patches] security-suites (globs) */
    gint64 max_list_age;     /* [patches] max-list-age, seconds (7d) */
    gboolean refresh_lists;  /* not a key: record --refresh-lists */
    GPtrArray *hosts;    /* ds_host_config *, in file order */
    ds_ignore *ignore;   /* [ignore] */
} ds_config;

/* Read a config file.  Errors name the file and line ("FILE:12: ...").
 * DS_ENOTFOUND when the file does not exist. */
int ds_config_load(ds_config **out, const char *filename, GError **err);
/* A config with defaults only (no hosts). */
ds_config *ds_config_new_default(void);
void ds_config_free(ds_config *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_config, ds_config_free)

/* "30m", "12h", "7d", "2w", "90s" into seconds; DS_EINVALID otherwise. */
int ds_config_parse_duration(gint64 *out, const char *v);

const ds_host_config *ds_config_find_host(const ds_config *cfg,
                                          const char *name);
/* Whether the host's `groups` key names group. */
bool ds_host_in_group(const ds_host_config *hc, const char *group);
/* The hosts a run covers (const ds_host_config *, borrowed from cfg):
 * the hosts named, then those of the groups named that are not named
 * already, each once; with neither, every host (in file order).  With
 * labs_only, only hosts with a lab domain.  DS_ENOTFOUND for an unknown
 * host ("NAME: no such host in FILE") or a group no (lab) host is in;
 * DS_EINVALID for a named host without a lab (labs_only) or a bad group
 * name. */
int ds_config_choose_hosts(GPtrArray **out, const ds_config *cfg,
                           const char *const *names, const char *const *groups,
                           bool labs_only, GError **err);
/* The [host NAME] section of a host whose lab driftsync works on: it must
 * exist (DS_ENOTFOUND, "NAME: no [host NAME] in FILE") and name a lab
 * domain (DS_EINVALID, "NAME: the host has no lab domain ..."). */
int ds_config_find_lab(const ds_host_config **out, const ds_config *cfg,
                       const char *name, GError **err);
/* The libvirt URI of the host's lab: its lab-uri, else [lab] uri. */
const char *ds_config_lab_uri(const ds_config *cfg, const ds_host_config *hc);
/* How the lab VM is reached to collect it: its lab-access URI, or
 * "agent:DOMAIN" (the default, and for lab-access = agent). */
char *ds_config_lab_source(const ds_host_config *hc);
