/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform-dpkg.h: internals shared by the dpkg platform's files
 * (collection context, parsers of collector output); not a public API. */
#pragma once

#include <glib.h>

#include "drivers/platform.h"

extern const ds_platform_ops ds_platform_dpkg_ops;

/* One collection run against one host. */
typedef struct ds_dpkg_ctx {
    ds_transport *t;
    const ds_collect_options *opts;
    const char *host; /* for messages */
    char *root;       /* local:/ROOT without a trailing '/', or NULL */
    GHashTable *uids; /* root only: uid string -> user name */
    GHashTable *gids; /* root only: gid string -> group name */
} ds_dpkg_ctx;

/* A path of the host as given to a command (ROOT prefixed). */
char *ds_dpkg_cmd_path(const ds_dpkg_ctx *c, const char *path);
/* The host path of a command path, or NULL when outside the root. */
const char *ds_dpkg_host_path(const ds_dpkg_ctx *c, const char *cmd_path);

/* Run argv; *out gets stdout.  Exit statuses up to max_ok are accepted
 * (find and tar report missing files with 1 or 2); anything else is an
 * error naming the host, the command and its first line of stderr. */
int ds_dpkg_run(GBytes **out, int *status, ds_dpkg_ctx *c,
                const char *const *argv, int max_ok, GError **err);
/* The same, also handing back stderr. */
int ds_dpkg_run_full(GBytes **out, GBytes **errout, int *status,
                     ds_dpkg_ctx *c, const char *const *argv, int max_ok,
                     GError **err);
/* Prefix *err with "HOST: " unless its message already starts so (the
 * transports name the host themselves); returns rc. */
int ds_dpkg_name_host(GError **err, int rc, const char *host);
/* The end of a collection: *m normalised and moved to *out, or the error
 * naming the host. */
int ds_dpkg_finish(ds_manifest **out, ds_manifest **m, const char *host,
                   GError **err);
/* A command's stderr as one printable line (NULL when empty). */
char *ds_dpkg_fold_stderr(GBytes *err);

/* What the one-round-trip collection script reported (platform-dpkg-facts.c):
 * sections "uname", "probe", "dpkg", "md5", and for the host itself
 * "os-release", "unit-files", "units"; apt sources files in order. */
typedef struct ds_dpkg_source {
    char *path;
    GBytes *data;
} ds_dpkg_source;
typedef struct ds_dpkg_facts {
    GHashTable *sections; /* name -> GBytes */
    GPtrArray *sources;   /* ds_dpkg_source * */
    int dpkg_status;      /* dpkg-query's exit status */
    GBytes *err;          /* the script's stderr */
} ds_dpkg_facts;
ds_dpkg_facts *ds_dpkg_facts_new(void);
void ds_dpkg_facts_free(ds_dpkg_facts *f);
GBytes *ds_dpkg_facts_get(const ds_dpkg_facts *f, const char *name);
/* A section's bytes and length: NULL (len 0) when the script printed no
 * such section, "" when it printed it empty. */
const char *ds_dpkg_facts_text(const ds_dpkg_facts *f, const char *name,
                               gsize *len);
/* Split the script's output at "\nMARKER NAME\n" lines; DS_EINVALID
 * unless it ends with the "end" section. */
int ds_dpkg_facts_split(ds_dpkg_facts *f, const char *marker, GBytes *out,
                        const char *host, GError **err);
/* A fresh unpredictable section marker "DS-<32 hex>". */
void ds_dpkg_marker(char marker[40]);
int ds_dpkg_facts_collect(ds_dpkg_facts **out, ds_dpkg_ctx *c, GError **err);

/* "HEX  PATH\0" records (md5sum -z, sha256sum -z) into payload, a
 * GHashTable host path -> lowercase hex. */
int ds_dpkg_parse_sums(ds_dpkg_ctx *c, GBytes *out, void *payload,
                       GError **err);

/* Quote a hostile string for an error message (escaped, truncated). */
char *ds_dpkg_show(const char *s, gsize len);

/* A conffile dpkg knows about: path and packaged md5. */
typedef struct ds_conffile {
    char *path;
    char *md5;
} ds_conffile;
void ds_conffile_free(ds_conffile *cf);

/* Parse `dpkg-query -W -f DS_DPKG_QUERY_FORMAT` output: installed
 * packages into `packages` (ds_package *), their live conffiles into
 * `conffiles` (ds_conffile *).  Every name, version and path validated. */
#define DS_DPKG_QUERY_FORMAT                                                \
    "${binary:Package}\\t${Version}\\t${Architecture}\\t"                   \
    "${db:Status-Abbrev}\n${Conffiles}\n"
/* The same without the conffiles (a pending-only collection). */
#define DS_DPKG_QUERY_FORMAT_PACKAGES                                       \
    "${binary:Package}\\t${Version}\\t${Architecture}\\t"                   \
    "${db:Status-Abbrev}\n"
int ds_dpkg_parse_query(GPtrArray *packages, GPtrArray *conffiles,
                        const char *host, const char *data, gsize len,
                        GError **err);

/* apt's answers (platform-dpkg-policy.c): `apt-cache policy` without
 * arguments (files) and with the installed packages' names (packages). */
typedef struct ds_apt_policy ds_apt_policy;
int ds_apt_policy_parse(ds_apt_policy **out, const char *host,
                        const char *files, gsize files_len,
                        const char *packages, gsize packages_len,
                        GError **err);
void ds_apt_policy_free(ds_apt_policy *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ds_apt_policy, ds_apt_policy_free)
/* Whether a Release (any field NULL) is a security archive by the rule
 * of ds_collect_options (NULL lists: the defaults). */
bool ds_apt_is_security(const char *origin, const char *label,
                        const char *archive, const char *codename,
                        const char *const *origins,
                        const char *const *suites);
/* m->pending and m->held_back from apt's candidates (m->holds sorted
 * first), and the packages' source ("ORIGIN:CODENAME") where unset.
 * `native`: dpkg's architecture (apt omits it from names), or NULL. */
int ds_apt_policy_apply(ds_manifest *m, const ds_apt_policy *p,
                        const char *native,
                        const char *const *security_origins,
                        const char *const *security_suites, GError **err);
/* The selection state from the facts (platform-dpkg-select.c): holds from
 * dpkg, automatic marks, pending updates and the lists' age from apt. */
int ds_dpkg_collect_selection(ds_manifest *m, ds_dpkg_ctx *c,
                              ds_dpkg_facts *facts, GError **err);
/* "PKG\n" lines (apt-mark showauto) into names, validated; only names in
 * m->packages are kept (a bare name may be NAME:native there). */
int ds_apt_parse_names(GPtrArray *out, const ds_manifest *m,
                       const char *native, const char *host,
                       const char *what, const char *data, gsize len,
                       GError **err);
/* The newest of "SECONDS[.FRACTION]\n" mtimes, as RFC 3339 UTC; NULL when
 * there is none. */
int ds_apt_parse_mtimes(char **out, const char *host, const char *data,
                        gsize len, GError **err);

/* Parse os-release (shell-style KEY=value lines). */
int ds_dpkg_parse_os_release(char **id, char **version, char **name,
                             const char *origin, const char *data, gsize len,
                             GError **err);

/* Parse an apt sources file into normalised one-line entries (char *).
 * deb822 for *.sources, one-line format otherwise. */
int ds_apt_parse_sources(GPtrArray *out, const char *origin,
                         const char *data, gsize len, gboolean deb822,
                         GError **err);

/* Services from the facts' probe, unit-files, units and install sections
 * (shared with the rpm platform, whose script prints them alike). */
int ds_systemd_collect_services(ds_manifest *m, ds_dpkg_ctx *c,
                                ds_dpkg_facts *facts, GError **err);
/* Under a root: c->uids and c->gids from the root's passwd and group. */
void ds_dpkg_load_root_ids(ds_dpkg_ctx *c);

/* Collect files: the configured paths plus modified conffiles. */
int ds_dpkg_collect_files(GPtrArray *files, ds_dpkg_ctx *c,
                          GPtrArray *conffiles, GHashTable *md5s,
                          GError **err);

/* Parse a GNU/ustar tar stream: calls fn for every regular file and
 * symlink member.  DS_EINVALID on a malformed archive. */
typedef int (*ds_tar_member_fn)(const char *name, char type,
                                const char *target, GBytes *content,
                                void *payload, GError **err);
int ds_tar_parse(GBytes *archive, ds_tar_member_fn fn, void *payload,
                 const char *origin, GError **err);
