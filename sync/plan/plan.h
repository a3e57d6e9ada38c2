/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/plan/plan.h: the ordered actions that bring a lab host to its prod
 * manifest (the semantic diff lab -> prod after ignore rules), each one an
 * exact argv to run on the lab with optional stdin data. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "manifests/ignore.h"
#include "manifests/manifest.h"

/* Phases, in the order they run. */
typedef enum {
    DS_PHASE_SOURCES = 0, /* apt sources, then apt-get update */
    DS_PHASE_PACKAGES,    /* one apt-get transaction */
    DS_PHASE_FILES,       /* configuration files */
    DS_PHASE_SERVICES,    /* systemctl */
    DS_PHASE_REBOOT,      /* the running kernel differs */
    DS_PHASE_COUNT
} ds_plan_phase;

typedef enum {
    DS_ACTION_SOURCES_WRITE,   /* write the managed sources file (data) */
    DS_ACTION_SOURCES_DISABLE, /* move the lab's other sources files aside */
    DS_ACTION_APT_UPDATE,      /* apt-get update */
    DS_ACTION_PACKAGES,        /* the one package transaction */
    DS_ACTION_FILE_WRITE,      /* install content with mode/owner (data) */
    DS_ACTION_FILE_LINK,       /* (re)create a symbolic link */
    DS_ACTION_FILE_ATTR,       /* chmod or chown only, content is equal */
    DS_ACTION_FILE_REMOVE,     /* rm -f */
    DS_ACTION_SERVICE,         /* systemctl VERB -- UNIT */
    DS_ACTION_REBOOT,          /* systemctl reboot: the executor reconnects */
    DS_ACTION_MANUAL,          /* drift that cannot be replayed: no argv */
    DS_ACTION_APT_MARK,        /* apt-mark hold|unhold|auto|manual -- PKG.. */
    DS_ACTION_VERSIONLOCK,     /* rpm: dnf -y versionlock add|delete -- .. */
} ds_action_kind;

/* The managed apt sources file: the whole desired set of prod lines. */
#define DS_PLAN_SOURCES_FILE "/etc/apt/sources.list.d/driftsync.list"
/* Suffix given to the lab's other sources files when they are set aside. */
#define DS_PLAN_SOURCES_OFF ".driftsync-off"
/* rpm hosts: the managed repository file, the whole desired set of
 * prod's enabled repositories (see plan-rpm.c). */
#define DS_PLAN_REPOS_FILE "/etc/yum.repos.d/driftsync.repo"
/* Where package files from the package cache are copied in the lab for
 * the package transaction (root only, removed after it). */
#define DS_PLAN_DEB_DIR "/var/cache/driftsync/debs"

/* A package file from the package cache that stands for one request of
 * the package transaction: copied into the lab before argv runs. */
typedef struct ds_plan_deb {
    char *request;    /* the "name=version" it replaces in argv */
    char *cache_path; /* the file in the cache, on this machine */
    char *sha256;     /* its digest, checked again before the copy */
    char *target;     /* its path in the lab: DS_PLAN_DEB_DIR/STEM.deb
                       * (rpm: DS_RPM_FILE_DIR/STEM.rpm) */
} ds_plan_deb;
void ds_plan_deb_free(ds_plan_deb *d);

typedef struct ds_action {
    ds_action_kind kind;
    ds_plan_phase phase;
    char *description; /* one human line */
    char **argv;       /* the exact command run on the lab; NULL: MANUAL */
    /* stdin for argv: the sources list (SOURCES_WRITE); a file's content
     * (FILE_WRITE) once ds_plan_load_contents has read it, else NULL. */
    GBytes *data;
    /* files (FILE_*, SOURCES_WRITE) */
    char *path;
    guint mode;
    char *owner;
    char *group;
    char *target;      /* FILE_LINK */
    char *content_ref; /* FILE_WRITE: git blob id of prod's content */
    char *store_path;  /* FILE_WRITE: "files/prod/HOST/PATH" in the store */
    /* SOURCES_WRITE: the full desired set of lines; PACKAGES: the
     * requests ("name=version", "name-"; on an rpm host the lines of the
     * dnf transaction: "install NAME-E:V-R.ARCH", "remove NAME.ARCH",
     * ...); NULL-terminated. */
    char **items;
    char **details; /* PACKAGES: one human line per request */
    GPtrArray *debs; /* PACKAGES: ds_plan_deb * from the cache, or NULL */
} ds_action;

typedef struct ds_plan {
    char *host;
    GPtrArray *actions; /* ds_action *, in execution order */
    guint manual;       /* how many actions are MANUAL */
} ds_plan;

void ds_action_free(ds_action *a);
void ds_plan_free(ds_plan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_plan, ds_plan_free)

/* Build the plan that takes `lab` to `prod` (both normalised manifests of
 * the same host, both dpkg or both rpm: an rpm host's plan is built by
 * plan-rpm.c, with a dnf transaction and .repo files).  Every name that reaches an argv is validated again;
 * a hostile package, path, service, version, owner or link target fails
 * the whole plan with DS_EINVALID ("HOST: ...: NAME") before anything can
 * run.  Secret files and files without stored content that differ
 * become MANUAL actions ("cannot be replayed"): still drift, no command.
 * opts may be NULL: no ignore rules, no package cache. */
typedef struct ds_plan_options {
    const ds_ignore *ignore;   /* drift these rules ignore is left alone */
    const char *package_cache; /* take package files from this cache (see
                                * ds_plan_use_package_cache); NULL: none */
} ds_plan_options;

int ds_plan_build(ds_plan **out, const ds_manifest *lab,
                  const ds_manifest *prod, const ds_plan_options *opts,
                  GError **err);

/* Take from the package cache at cache_dir the files of the versions the
 * plan's package transaction installs: each such request is replaced in
 * argv by the file's path in the lab (apt-get installs it in the same
 * transaction and resolves its dependencies), the others stay
 * name=version.  When every installed version comes from the cache and
 * the apt sources do not change, the refresh of the package lists is
 * dropped (a lab without a route to a mirror needs none).  A cache
 * directory that does not exist holds nothing. */
int ds_plan_use_package_cache(ds_plan *plan, const ds_manifest *prod,
                              const char *cache_dir, GError **err);

/* Whether there is anything to do (any action, MANUAL ones included). */
bool ds_plan_is_empty(const ds_plan *plan);

const char *ds_plan_phase_name(ds_plan_phase phase);  /* "sources" ... */
const char *ds_action_kind_name(ds_action_kind kind); /* "file-write" ... */

/* Fill the data of each FILE_WRITE action from the store (prod's content
 * at rev, NULL = HEAD).  A file whose content the store lacks becomes a
 * MANUAL action.  `store` is a struct ds_store *. */
struct ds_store;
int ds_plan_load_contents(ds_plan *plan, struct ds_store *store,
                          const char *rev, GError **err);

/* The plan as JSON (jansson json_t *, new reference):
 * {"host", "actions": [{"step", "phase", "kind", "description",
 *  "applicable", "argv"?, "path"?, "mode"?, ...}], "count", "manual"}. */
struct json_t;
struct json_t *ds_plan_to_json(const ds_plan *plan);
