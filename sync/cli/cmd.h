/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/cmd.h: the command table and what every verb gets from main(). */
#pragma once

#include <glib.h>
#include <signal.h>
#include <stdbool.h>

#include "manifests/manifest.h"
#include "manifests/util/log.h"
#include "sync/config/config-file.h"

/* Exit codes shared by all verbs (a verb may add 1 and 3, see DESIGN.md). */
enum { DS_EXIT_OK = 0, DS_EXIT_DIFF = 1, DS_EXIT_ERROR = 2, DS_EXIT_PARTIAL = 3 };

typedef struct ds_cli {
    const char *config_file; /* --config, or NULL for the default */
    bool config_given;       /* --config was on the command line */
    const char *store_dir;   /* --store, overrides [store] path */
    int verbosity;           /* -q: -1, default 0, -v: 1, -vv: 2 */
    bool json;               /* --json */
    bool colour;             /* stdout is a terminal and NO_COLOR unset */
    bool progress;           /* stderr is a terminal and not -q */
    const char *prog;        /* "driftsync" */
} ds_cli;

typedef struct ds_cmd_entry {
    const char *name;
    const char *args;    /* "[HOST...]" */
    const char *summary; /* one line for `driftsync --help` */
    /* argv[0] is the verb; returns the exit code. */
    int (*exec)(ds_cli *cli, int argc, char **argv);
} ds_cmd_entry;

/* Load the config: --config if given (must exist), else the default file
 * if it exists, else defaults.  --store overrides the store path.  Prints
 * the error and returns NULL on failure. */
ds_config *ds_cli_config(ds_cli *cli);

/* Every human message and line of output goes through one function,
 * ds_cli_escape (sync/cli-text.c): control characters (ESC, CR, C1,
 * bidirectional overrides) and bytes that are not UTF-8 are shown
 * escaped ("\e", "\r", "\x9b", "\u202e"), so that a host name, a path or
 * a line of a file cannot move the cursor, recolour or hide text.  Tabs
 * are kept; newlines only in output (a message is one line); colour only
 * as the exact sequences ds_cli_colour gives, and only when it is on. */
enum { DS_CLI_KEEP_NEWLINES = 1 << 0, DS_CLI_KEEP_COLOUR = 1 << 1 };
char *ds_cli_escape(const char *text, int flags);
/* printf to stdout, escaped (newlines kept, our colours kept when on). */
void ds_cli_printf(ds_cli *cli, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* A progress line on stderr ("\r", clear the line, TEXT escaped); NULL
 * clears it. */
void ds_cli_progress(ds_cli *cli, const char *text);

/* Print "driftsync: MESSAGE" on stderr (one line). */
void ds_cli_error(ds_cli *cli, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void ds_cli_error_gerror(ds_cli *cli, const GError *err);
/* Informational line on stderr unless -q; verbose only with -v. */
void ds_cli_info(ds_cli *cli, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void ds_cli_verbose(ds_cli *cli, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* The library's progress lines (manifests/util/log.h) rendered as
 * ds_cli_info and ds_cli_verbose do, warnings as "driftsync: warning: "
 * lines. */
ds_log ds_cli_log(ds_cli *cli);

/* Colour helpers: return the escape sequence, or "" when colour is off. */
const char *ds_cli_colour(const ds_cli *cli, const char *which); /* "red" "green" "yellow" "cyan" "bold" "dim" "reset" */

/* Parse a verb's options with GOptionContext; handles --help (prints and
 * returns 0 in *exit_code) and errors (prints, exit 2).  Returns true
 * when the verb should go on. */
bool ds_cli_parse(ds_cli *cli, const ds_cmd_entry *cmd, GOptionEntry *entries,
                  int *argc, char ***argv, int *exit_code);

/* Print a jansson value to stdout, indented, with a newline. */
struct json_t;
void ds_cli_print_json(struct json_t *value);

/* Helpers shared by the verbs that read the store (sync/cli/cli.c). */
struct ds_store;
struct ds_change;
/* Open the configured store; prints the error and returns DS_EXIT_ERROR,
 * or DS_EXIT_OK with *out set. */
int ds_cli_open_store(struct ds_store **out, ds_cli *cli, const ds_config *cfg);
/* A reader's --fetch: bring [store] remote's commits into st first
 * (ds_store_fetch); prints the error (verb names the command) and returns
 * DS_EXIT_ERROR, or DS_EXIT_OK. */
int ds_cli_fetch_store(ds_cli *cli, const char *verb, const ds_config *cfg,
                       struct ds_store *st);

/* Split "[prod:|lab:]HOST[@REV]" into its parts (*rev NULL when absent;
 * *role left alone without a prefix).  The host name is validated. */
int ds_cli_split_ref(char **host, char **rev, ds_role *role, const char *arg,
                     GError **err);

/* '+' (only in the newer / prod side), '-' (only in the older / lab
 * side) or '~' (different) for a change. */
char ds_cli_change_marker(const struct ds_change *c);
/* Print one change as "INDENT+ description" (coloured on a terminal). */
void ds_cli_print_change(ds_cli *cli, const struct ds_change *c,
                         const char *indent);
/* Print changes grouped by category under "INDENTcategory:" headings. */
void ds_cli_print_changes(ds_cli *cli, GPtrArray *changes,
                          const char *indent);
/* The same for a comparison of two sides (two hosts, a lab and prod):
 * "+ the lab lacks nginx 1.22.1-9" (manifests/diff.h: ds_change_sides);
 * sides NULL: the words of a change in time. */
struct ds_change_sides;
void ds_cli_print_change_sides(ds_cli *cli, const struct ds_change *c,
                               const struct ds_change_sides *sides,
                               const char *indent);
void ds_cli_print_changes_sides(ds_cli *cli, GPtrArray *changes,
                                const struct ds_change_sides *sides,
                                const char *indent);
/* The same, calling after(cli, change, INDENT of the change's line,
 * payload) below each change's line when after is not NULL. */
typedef void (*ds_cli_change_fn)(ds_cli *cli, const struct ds_change *c,
                                 const char *indent, void *payload);
void ds_cli_print_changes_each(ds_cli *cli, GPtrArray *changes,
                               const struct ds_change_sides *sides,
                               const char *indent, ds_cli_change_fn after,
                               void *payload);
/* JSON array of the changes (new reference). */
struct json_t *ds_cli_changes_json(GPtrArray *changes);

/* Content diffs (sync/cli/cli-patch.c): -p/--patch and -U/--unified N,
 * shared by diff and log. */
typedef struct ds_cli_patch {
    gboolean patch; /* -p */
    int context;    /* -U N; -1 when not given (3 lines) */
} ds_cli_patch;
#define DS_CLI_PATCH_INIT {.patch = FALSE, .context = -1}
#define DS_CLI_PATCH_ENTRIES(p)                                              \
    {"patch", 'p', 0, G_OPTION_ARG_NONE, &(p)->patch,                        \
     "Show the content diff of each changed file whose content is stored",   \
     NULL},                                                                  \
    {"unified", 'U', 0, G_OPTION_ARG_INT, &(p)->context,                     \
     "N lines of context around each change (default 3; implies -p)", "N"}
/* Before parsing: "-U5" as "-U 5" (GOption takes no value glued to a
 * short option; diff and git users type it so). */
void ds_cli_patch_argv(int *argc, char ***argv);
/* After parsing: refuses a bad -U (prints the error, returns false); -U
 * turns -p on. */
bool ds_cli_patch_check(ds_cli *cli, ds_cli_patch *p, const char *verb);
struct ds_content_diff_options ds_cli_patch_options(const ds_cli_patch *p);
/* The two sides' names in "--- OLD/PATH" and "+++ NEW/PATH", and in each
 * change's phrase when they are two hosts or a lab and prod (sides; NULL:
 * the words of a change in time). */
typedef struct ds_cli_patch_labels {
    const char *old_label, *new_label;
    const struct ds_change_sides *sides;
} ds_cli_patch_labels;
struct ds_content_diff;
/* The content diff of path, each line prefixed with indent. */
void ds_cli_print_patch(ds_cli *cli, const struct ds_content_diff *d,
                        const char *path, const ds_cli_patch_labels *labels,
                        const char *indent);
/* ds_cli_print_changes / ds_cli_print_change, each file change followed
 * by its content diff from patches (ds_change * -> ds_content_diff *, as
 * ds_content_diff_changes gives; NULL: none). */
void ds_cli_print_changes_patched(ds_cli *cli, GPtrArray *changes,
                                  GHashTable *patches,
                                  const ds_cli_patch_labels *labels,
                                  const char *indent);
void ds_cli_print_change_patched(ds_cli *cli, const struct ds_change *c,
                                 GHashTable *patches,
                                 const ds_cli_patch_labels *labels,
                                 const char *indent);
/* Set "patch" on each object of changes_json (ds_cli_changes_json of
 * changes) whose change has a content diff in patches. */
void ds_cli_patches_json(struct json_t *changes_json, GPtrArray *changes,
                         GHashTable *patches);

/* --color=WHEN: "always", "never" or "auto" (stdout a terminal, NO_COLOR
 * unset, TERM not dumb).  False for another value. */
bool ds_cli_set_colour(ds_cli *cli, const char *when);

/* The verbs (one file each: sync/cli/cmd-NAME.c). */
extern const ds_cmd_entry ds_cmd_init_entry;
extern const ds_cmd_entry ds_cmd_record_entry;
extern const ds_cmd_entry ds_cmd_show_entry;
extern const ds_cmd_entry ds_cmd_diff_entry;
extern const ds_cmd_entry ds_cmd_log_entry;
extern const ds_cmd_entry ds_cmd_snapshot_entry;
extern const ds_cmd_entry ds_cmd_plan_entry;
extern const ds_cmd_entry ds_cmd_trial_entry;
extern const ds_cmd_entry ds_cmd_sync_entry;
extern const ds_cmd_entry ds_cmd_mirror_entry;
extern const ds_cmd_entry ds_cmd_audit_entry;
extern const ds_cmd_entry ds_cmd_report_entry;
extern const ds_cmd_entry ds_cmd_bundle_entry;
extern const ds_cmd_entry ds_cmd_patches_entry;
