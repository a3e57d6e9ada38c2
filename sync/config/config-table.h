/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/config/config-table.h: every key driftsync.conf accepts, described
 * once -- section, name, kind, limits, default, one line of help -- for
 * the parser, the defaults, the free function and the man page check. */
#pragma once

#include <glib.h>
#include <stddef.h>

/* What a key holds, and the C type of the field it fills. */
typedef enum ds_config_kind {
    DS_CONFIG_STRING, /* char *: not empty, no control characters */
    DS_CONFIG_CHOICE, /* char *: one of .choices */
    DS_CONFIG_INT,    /* int: from .min to .max */
    DS_CONFIG_BOOL,   /* gboolean: true|false, yes|no, on|off, 1|0 */
    DS_CONFIG_LIST,   /* char **: blank-separated words, maybe none */
    DS_CONFIG_IGNORE, /* no field: patterns of the ignore category .name */
    DS_CONFIG_DURATION, /* gint64 seconds: "90s" "30m" "12h" "7d" "2w" */
} ds_config_kind;

/* The largest value of an integer key. */
#define DS_CONFIG_INT_MAX 4096

/* A check beyond the kind's, of a value or of each word of a list: NULL
 * when it is good, else what is wrong ("'x' is not ..."), to be freed. */
typedef char *(*ds_config_check_fn)(const char *value);

typedef struct ds_config_key {
    const char *section; /* "store", "lab", ...; "host" for [host NAME] */
    const char *name;
    ds_config_kind kind;
    size_t offset; /* of the field in ds_config (ds_host_config for host) */
    int min, max;  /* DS_CONFIG_INT */
    const char *const *choices; /* DS_CONFIG_CHOICE, NULL-terminated */
    ds_config_check_fn check;   /* or NULL */
    const char *def; /* default, as written in the file; NULL: unset */
    const char *doc; /* one line of help */
} ds_config_key;

/* The keys, section by section in the order the man page gives them;
 * the entry after the last has a NULL name. */
extern const ds_config_key ds_config_table[];

/* The key NAME of SECTION ("host" for any [host NAME]), or NULL. */
const ds_config_key *ds_config_key_find(const char *section, const char *name);
/* How the man page and the messages write a section: "[store]",
 * "[host NAME]"; newly allocated. */
char *ds_config_section_title(const char *section);
/* The name of a kind, "string", "integer", ...; for listings. */
const char *ds_config_kind_name(ds_config_kind kind);
