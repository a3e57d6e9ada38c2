/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/config/config-private.h: what sync/config/config-file.c and
 * sync/config/config-values.c share: the pre-pass over driftsync.conf and the
 * reader of a value of each kind in the key table, each error "FILE:LINE:
 * [section] key: what is wrong". */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "sync/config/config-table.h"

/* What the pre-pass learnt: the cleaned text and where things are. */
typedef struct ds_config_reader {
    const char *filename;
    GString *clean;    /* text for GKeyFile */
    GHashTable *lines; /* "section" or "section\nkey" -> line (int) */
} ds_config_reader;

/* The line of a section (key NULL) or of a key; 0 when unknown. */
int ds_config_line(const ds_config_reader *r, const char *group,
                   const char *key);
/* Set a DS_EINVALID error "FILE:LINE: MESSAGE" and return DS_EINVALID. */
int ds_config_fail(const ds_config_reader *r, GError **err, int line,
                   const char *fmt, ...) G_GNUC_PRINTF(4, 5);

/* The pre-pass: check each line's shape, record where sections and keys
 * are, refuse duplicates, strip trailing comments, fill r->clean. */
int ds_config_scan(ds_config_reader *r, const char *text, GError **err);

/* Refuse a key the table does not have for the section (SECTION is
 * "host" for [host NAME], GROUP the section as written), suggesting a
 * near one. */
int ds_config_check_known(const ds_config_reader *r, const char *group,
                          const char *section, const char *key, GError **err);

/* "[group] key: MESSAGE" at the key's line; needs r, err, group, key. */
#define BAD_VALUE(what, ...)                                                   \
    ds_config_fail(r, err, ds_config_line(r, group, key), "[%s] %s: " what,    \
                   group, key, __VA_ARGS__)

/* The raw value (comments stripped, no escapes interpreted). */
char *ds_config_get_value(GKeyFile *kf, const char *group, const char *key);

/* Read key K of GROUP into its field in BASE (the ds_config, or the
 * ds_host_config for a host key): the kind's checks, then the key's own;
 * the field changes only on success.  Not for DS_CONFIG_IGNORE. */
int ds_config_read_value(void *base, const ds_config_key *k,
                         const ds_config_reader *r, GKeyFile *kf,
                         const char *group, GError **err);
/* Give K's field in BASE its default (none: left as it is). */
void ds_config_set_default(void *base, const ds_config_key *k);
/* Free what K's field in BASE holds. */
void ds_config_clear_value(void *base, const ds_config_key *k);

/* The transports' and libvirt's own checks (config-check.c), for the key
 * table: NULL when the value is good, else what is wrong. */
char *ds_config_check_lab_access(const char *v);
char *ds_config_check_ssh_path(const char *v);   /* identity-file ... */
char *ds_config_check_ssh_option(const char *v); /* each ssh-options word */
char *ds_config_check_libvirt_uri(const char *v);
/* A host's source as its transport would check it when it opens, with
 * the host's other keys (ssh paths and options, https auth): an error at
 * the source's line. */
struct ds_host_config;
int ds_config_check_host_source(const ds_config_reader *r,
                                const struct ds_host_config *h,
                                const char *group, GError **err);

/* "scheme://" followed by a host part. */
bool ds_config_url_has_host(const char *v, const char *scheme);
/* A [host] source URI; *why says what is expected when it is not. */
bool ds_config_source_is_valid(const char *v, const char **why);
