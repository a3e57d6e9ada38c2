/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/config/config-private.h: what sync/config/config-file.c and sync/config/config-values.c
 * share: the pre-pass over driftsync.conf and the typed value readers,
 * each error "FILE:LINE: [section] key: what is wrong". */
#pragma once

#include <glib.h>
#include <stdbool.h>

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

/* Refuse a key the section does not know, suggesting a near one. */
int ds_config_check_known(const ds_config_reader *r, const char *group,
                          const char *key, const char *const *known,
                          GError **err);

/* "[group] key: MESSAGE" at the key's line; needs r, err, group, key. */
#define BAD_VALUE(what, ...)                                                   \
    ds_config_fail(r, err, ds_config_line(r, group, key), "[%s] %s: " what,    \
                   group, key, __VA_ARGS__)

/* Typed values; each replaces *out only on success. */
char *ds_config_get_value(GKeyFile *kf, const char *group, const char *key);
int ds_config_get_string(char **out, const ds_config_reader *r, GKeyFile *kf,
                         const char *group, const char *key, GError **err);
int ds_config_get_int(int *out, const ds_config_reader *r, GKeyFile *kf,
                      const char *group, const char *key, int min,
                      GError **err);
int ds_config_get_bool(gboolean *out, const ds_config_reader *r, GKeyFile *kf,
                       const char *group, const char *key, GError **err);
int ds_config_get_choice(char **out, const ds_config_reader *r, GKeyFile *kf,
                         const char *group, const char *key,
                         const char *const *choices, GError **err);

enum { DS_CONFIG_LIST_ANY, DS_CONFIG_LIST_PATHS, DS_CONFIG_LIST_NAMES };
/* A blank-separated list; paths must be absolute, names safe. */
int ds_config_get_list(char ***out, const ds_config_reader *r, GKeyFile *kf,
                       const char *group, const char *key, int kind,
                       GError **err);

/* "scheme://" followed by a host part. */
bool ds_config_url_has_host(const char *v, const char *scheme);
/* A [host] source URI; *why says what is expected when it is not. */
bool ds_config_source_is_valid(const char *v, const char **why);
