/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform-rpm-apply.c: replay package changes onto an rpm host:
 * the sync's one dnf transaction (`dnf shell` reading a transaction file,
 * which dnf resolves and runs as one transaction), checked before (the
 * versions asked of the repositories are there) and after (dnf printed no
 * error, rpm -qa shows the result: `dnf shell` itself exits 0 whatever
 * happened), and `dnf versionlock` for holds.  On a root file system
 * (local:/ROOT) dnf runs with --installroot and rpm with --root. */
#include <config.h>

#include <string.h>

#include "drivers/platform-rpm-apply.h"
#include "manifests/manifest.h"
#include "manifests/util/error.h"
#include "manifests/util/shell.h"
#include "manifests/version.h"

/* The query format of the check after the transaction. */
#define RPM_QA_FORMAT "%{NAME}.%{ARCH} %{EPOCHNUM}:%{VERSION}-%{RELEASE}\\n"
#define REPOQUERY_FORMAT "%{name}.%{arch} %{epoch}:%{version}-%{release}"

void ds_rpm_failure_free(ds_rpm_failure *f)
{
    if (!f)
        return;
    g_free(f->command);
    if (f->out)
        g_bytes_unref(f->out);
    if (f->err)
        g_bytes_unref(f->err);
    g_free(f);
}

/* ---- names ---- */

char *ds_rpm_nevra(const char *key, const char *evr)
{
    const char *dot = key ? strrchr(key, '.') : NULL;

    if (!key || !ds_name_is_safe_rpm_package(key) || !evr ||
        !ds_rpm_evr_is_valid(evr) || strlen(evr) > 256)
        return NULL;
    return g_strdup_printf("%.*s-%s%s.%s", (int)(dot - key), key,
                           strchr(evr, ':') ? "" : "0:", evr, dot + 1);
}

bool ds_rpm_nevra_split(const char *spec, char **key, char **evr)
{
    const char *dot = strrchr(spec, '.');
    const char *colon = strchr(spec, ':');
    const char *dash;
    g_autofree char *name = NULL;
    g_autofree char *e = NULL;
    g_autofree char *k = NULL;

    if (!dot || !colon || colon > dot)
        return false;
    for (dash = colon; dash > spec && dash[-1] != '-'; dash--)
        if (!g_ascii_isdigit(dash[-1]))
            return false;
    if (dash == spec || dash == colon || dash - 1 == spec)
        return false;
    name = g_strndup(spec, (gsize)(dash - 1 - spec));
    e = g_strndup(dash, (gsize)(dot - dash));
    k = g_strdup_printf("%s.%s", name, dot + 1);
    if (!ds_name_is_safe_rpm_package(k) || !ds_rpm_evr_is_valid(e))
        return false;
    if (key)
        *key = g_steal_pointer(&k);
    if (evr)
        *evr = g_steal_pointer(&e);
    return true;
}

/* A package file copied from the cache: DS_RPM_FILE_DIR/NAME.rpm, NAME
 * plain. */
static bool file_spec_ok(const char *s)
{
    const char *base;

    if (!g_str_has_prefix(s, DS_RPM_FILE_DIR "/") ||
        !g_str_has_suffix(s, ".rpm"))
        return false;
    base = s + strlen(DS_RPM_FILE_DIR "/");
    if (!*base || base[0] == '.' || base[0] == '-')
        return false;
    for (const char *p = base; *p; p++)
        if (!g_ascii_isalnum(*p) && !strchr("._+~%-^", *p))
            return false;
    return true;
}

bool ds_rpm_tx_line_is_safe(const char *line)
{
    const char *sp = line ? strchr(line, ' ') : NULL;
    g_autofree char *verb = NULL;
    const char *spec;

    if (!sp || strlen(line) > 1024)
        return false;
    verb = g_strndup(line, (gsize)(sp - line));
    spec = sp + 1;
    if (!strcmp(verb, "remove"))
        return ds_rpm_nevra_split(spec, NULL, NULL) ||
               (ds_name_is_safe_rpm_package(spec) && spec[0] != '-');
    if (strcmp(verb, "install") && strcmp(verb, "upgrade") &&
        strcmp(verb, "downgrade"))
        return false;
    return file_spec_ok(spec) || ds_rpm_nevra_split(spec, NULL, NULL);
}

/* ---- commands ---- */

static GPtrArray *dnf_head(const char *root)
{
    GPtrArray *a = g_ptr_array_new_with_free_func(g_free);

    g_ptr_array_add(a, g_strdup("dnf"));
    g_ptr_array_add(a, g_strdup("-y"));
    if (root)
        g_ptr_array_add(a, g_strdup_printf("--installroot=%s", root));
    return a;
}

static char **finish(GPtrArray *a)
{
    g_ptr_array_add(a, NULL);
    return (char **)g_ptr_array_free(a, FALSE);
}

char **ds_rpm_tx_argv(const char *root)
{
    GPtrArray *a = dnf_head(root);

    /* prod's packages are all listed: no weak dependencies pulled in;
     * strict: a request dnf cannot satisfy fails the transaction */
    g_ptr_array_add(a, g_strdup("--setopt=install_weak_deps=False"));
    g_ptr_array_add(a, g_strdup("--setopt=strict=True"));
    g_ptr_array_add(a, g_strdup("shell"));
    g_ptr_array_add(a, g_strdup("--"));
    g_ptr_array_add(a, g_strdup_printf("%s%s", root ? root : "",
                                       DS_RPM_TX_FILE));
    return finish(a);
}

char **ds_rpm_versionlock_argv(const char *root, const char *verb,
                               const char *const *specs)
{
    GPtrArray *a = dnf_head(root);

    g_ptr_array_add(a, g_strdup("versionlock"));
    g_ptr_array_add(a, g_strdup(verb));
    g_ptr_array_add(a, g_strdup("--"));
    for (guint i = 0; specs && specs[i]; i++)
        g_ptr_array_add(a, g_strdup(specs[i]));
    return finish(a);
}

/* Run argv; a failure (non-zero exit) fills *failure and returns
 * DS_EGENERIC with msg (or "`CMD` exited N"). */
static int run(ds_run_result *r, ds_rpm_failure **failure, ds_transport *t,
               const char *const *argv, GError **err)
{
    int rc = ds_transport_run(t, argv, NULL, r, err);

    if (rc == 0 && r->status != 0) {
        ds_rpm_failure *f = g_new0(ds_rpm_failure, 1);

        f->command = ds_shell_display(argv);
        f->status = r->status;
        f->out = r->out ? g_bytes_ref(r->out) : NULL;
        f->err = r->err ? g_bytes_ref(r->err) : NULL;
        *failure = f;
        rc = ds_error_set(err, DS_EGENERIC, "`%s` exited %d", f->command,
                          r->status);
    }
    return rc;
}

/* A check failed after a command that exited 0 (dnf shell always does):
 * no exit status to blame (-1), the command's output plus the reason as
 * the last line. */
static int check_failed(ds_rpm_failure **failure, const char *const *argv,
                        const ds_run_result *r, const char *why, GError **err)
{
    ds_rpm_failure *f = g_new0(ds_rpm_failure, 1);
    g_autofree char *line = g_strdup_printf("driftsync: %s\n", why);

    f->command = ds_shell_display(argv);
    f->status = -1;
    f->out = r && r->out ? g_bytes_ref(r->out) : NULL;
    {
        g_autoptr(GString) e = g_string_new(NULL);
        gsize len = 0;
        const char *d = r && r->err ? g_bytes_get_data(r->err, &len) : NULL;

        if (len) {
            g_string_append_len(e, d, (gssize)len);
            if (e->str[e->len - 1] != '\n')
                g_string_append_c(e, '\n');
        }
        g_string_append(e, line);
        f->err = g_bytes_new(e->str, e->len);
    }
    *failure = f;
    return ds_error_set(err, DS_EGENERIC, "%s", why);
}

/* ---- the checks ---- */

/* key -> GHashTable of "E:V-R", from `KEY E:V-R` lines. */
static GHashTable *versions_by_key(GBytes *out)
{
    GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify)g_hash_table_unref);
    gsize len = 0;
    const char *d = out ? g_bytes_get_data(out, &len) : "";
    g_autofree char *text = g_strndup(d, len);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    for (guint i = 0; lines[i]; i++) {
        char *sp = strchr(lines[i], ' ');
        GHashTable *set;

        if (!sp)
            continue;
        *sp = '\0';
        if (!(set = g_hash_table_lookup(h, lines[i]))) {
            set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
            g_hash_table_insert(h, g_strdup(lines[i]), set);
        }
        g_hash_table_add(set, g_strdup(g_strstrip(sp + 1)));
    }
    return h;
}

static bool has(GHashTable *h, const char *key, const char *evr)
{
    GHashTable *set = g_hash_table_lookup(h, key);

    return set && (!evr || g_hash_table_contains(set, evr));
}

/* The versions asked of the repositories (requests not served by a
 * file) must be there: dnf repoquery --refresh, before anything runs. */
static int precheck(ds_rpm_failure **failure, ds_transport *t,
                    const char *root, const char *const *requests,
                    const char *const *lines, GError **err)
{
    g_autoptr(GPtrArray) argv = dnf_head(root);
    g_autoptr(GString) missing = g_string_new(NULL);
    g_autoptr(GHashTable) found = NULL;
    ds_run_result r = {.status = -1};
    guint head, n = 0;
    int rc;

    g_ptr_array_remove_index(argv, 1); /* no -y: a query */
    g_ptr_array_add(argv, g_strdup("-q"));
    g_ptr_array_add(argv, g_strdup("--refresh"));
    g_ptr_array_add(argv, g_strdup("repoquery"));
    g_ptr_array_add(argv, g_strdup("--qf"));
    g_ptr_array_add(argv, g_strdup(REPOQUERY_FORMAT));
    g_ptr_array_add(argv, g_strdup("--"));
    head = argv->len;
    for (guint i = 0; requests[i]; i++) {
        const char *spec = strchr(requests[i], ' ') + 1;

        if (g_str_has_prefix(requests[i], "remove ") ||
            strcmp(requests[i], lines[i]) != 0)
            continue;
        g_ptr_array_add(argv, g_strdup(spec));
        n++;
    }
    if (!n)
        return 0;
    g_ptr_array_add(argv, NULL);
    if ((rc = run(&r, failure, t, (const char *const *)argv->pdata, err)) < 0)
        goto done;
    found = versions_by_key(r.out);
    for (guint i = head; argv->pdata[i]; i++) {
        g_autofree char *key = NULL;
        g_autofree char *evr = NULL;

        if (!ds_rpm_nevra_split(argv->pdata[i], &key, &evr) || !has(found, key, evr))
            g_string_append_printf(missing, "%s%s", missing->len ? ", " : "",
                                   (char *)argv->pdata[i]);
    }
    if (missing->len) {
        g_autofree char *why = g_strdup_printf(
            "not in the lab's enabled repositories: %s (nothing was changed)",
            missing->str);

        rc = check_failed(failure, (const char *const *)argv->pdata, &r, why,
                          err);
    }
done:
    ds_run_result_clear(&r);
    return rc;
}

/* The first line of dnf's output that says a request was refused
 * ("Error: ...") or a scriptlet failed ("Error in POSTIN scriptlet in
 * rpm package ..."), or NULL; "Errors during downloading metadata" of
 * a repository dnf may skip is not one. */
static char *error_line(const ds_run_result *r)
{
    GBytes *parts[2] = {r->out, r->err};

    for (int p = 0; p < 2; p++) {
        gsize len = 0;
        const char *d = parts[p] ? g_bytes_get_data(parts[p], &len) : NULL;
        g_autofree char *text = d ? g_strndup(d, len) : NULL;
        g_auto(GStrv) lines = text ? g_strsplit(text, "\n", -1) : NULL;

        for (guint i = 0; lines && lines[i]; i++)
            if (g_str_has_prefix(g_strchug(lines[i]), "Error:") ||
                g_str_has_prefix(lines[i], "Error in "))
                return g_utf8_make_valid(lines[i], -1);
    }
    return NULL;
}

/* After the transaction: what rpm -qa shows must be what was asked. */
static int postcheck(ds_rpm_failure **failure, ds_transport *t,
                     const char *root, const char *const *requests,
                     GError **err)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) wrong = g_string_new(NULL);
    g_autoptr(GHashTable) have = NULL;
    ds_run_result r = {.status = -1};
    int rc;

    g_ptr_array_add(argv, g_strdup("rpm"));
    if (root) {
        g_ptr_array_add(argv, g_strdup("--root"));
        g_ptr_array_add(argv, g_strdup(root));
    }
    g_ptr_array_add(argv, g_strdup("-qa"));
    g_ptr_array_add(argv, g_strdup("--qf"));
    g_ptr_array_add(argv, g_strdup(RPM_QA_FORMAT));
    g_ptr_array_add(argv, NULL);
    if ((rc = run(&r, failure, t, (const char *const *)argv->pdata, err)) < 0)
        goto done;
    have = versions_by_key(r.out);
    for (guint i = 0; requests[i]; i++) {
        const char *spec = strchr(requests[i], ' ') + 1;
        bool removal = g_str_has_prefix(requests[i], "remove ");
        g_autofree char *key = NULL;
        g_autofree char *evr = NULL;
        bool ok;

        if (!ds_rpm_nevra_split(spec, &key, &evr))
            ok = removal && !has(have, spec, NULL); /* remove NAME.ARCH */
        else
            ok = removal != has(have, key, evr);
        if (!ok)
            g_string_append_printf(wrong, "%s%s %s", wrong->len ? ", " : "",
                                   spec,
                                   removal ? "still installed" : "not installed");
    }
    if (wrong->len) {
        g_autofree char *why =
            g_strdup_printf("after the transaction: %s", wrong->str);

        rc = check_failed(failure, (const char *const *)argv->pdata, NULL, why,
                          err);
    }
done:
    ds_run_result_clear(&r);
    return rc;
}

/* ---- the transaction ---- */

/* The lab path as this machine reaches it (under the root). */
static char *in_root(const char *root, const char *path)
{
    return g_strdup_printf("%s%s", root ? root : "", path);
}

static int write_inputs(ds_rpm_failure **failure, ds_transport *t,
                        const char *root, const char *const *lines,
                        const ds_rpm_file *files, guint n, GError **err)
{
    g_autofree char *dir = in_root(root, DS_RPM_FILE_DIR);
    g_autoptr(GString) script = g_string_new(NULL);
    g_autoptr(GBytes) data = NULL;
    ds_run_result r = {.status = -1};
    int rc;

    rc = run(&r, failure, t,
             (const char *const[]){"install", "-d", "-m", "0700", "--", dir,
                                   NULL},
             err);
    ds_run_result_clear(&r);
    if (rc < 0)
        return rc;
    for (guint i = 0; i < n; i++)
        if ((rc = ds_transport_write_file(t, files[i].target, files[i].data,
                                          0600, err)) < 0)
            return ds_error_prefix(err, rc, "copying %s: ", files[i].target);
    /* dnf takes package files in one command before any other job
     * ("Cannot add local packages, because transaction job already
     * exists"): all of them in one `install` first, which upgrades,
     * downgrades or installs each to the file's version. */
    for (guint i = 0; lines[i]; i++) {
        const char *spec = strchr(lines[i], ' ') + 1;

        if (spec[0] != '/')
            continue;
        if (!script->len)
            g_string_append(script, "install");
        /* dnf reads the file from this machine's side of a root */
        g_string_append_printf(script, " %s%s", root ? root : "", spec);
    }
    if (script->len)
        g_string_append_c(script, '\n');
    for (guint i = 0; lines[i]; i++)
        if (strchr(lines[i], ' ')[1] != '/')
            g_string_append_printf(script, "%s\n", lines[i]);
    g_string_append(script, "run\n");
    data = g_bytes_new(script->str, script->len);
    if ((rc = ds_transport_write_file(t, DS_RPM_TX_FILE, data, 0600, err)) < 0)
        return ds_error_prefix(err, rc, "writing %s: ", DS_RPM_TX_FILE);
    return 0;
}

static void remove_inputs(ds_transport *t, const char *root,
                          const ds_rpm_file *files, guint n)
{
    g_autoptr(GPtrArray) rm = g_ptr_array_new_with_free_func(g_free);
    ds_run_result r = {.status = -1};

    g_ptr_array_add(rm, g_strdup("rm"));
    g_ptr_array_add(rm, g_strdup("-f"));
    g_ptr_array_add(rm, g_strdup("--"));
    g_ptr_array_add(rm, in_root(root, DS_RPM_TX_FILE));
    for (guint i = 0; i < n; i++)
        g_ptr_array_add(rm, in_root(root, files[i].target));
    g_ptr_array_add(rm, NULL);
    ds_transport_run(t, (const char *const *)rm->pdata, NULL, &r, NULL);
    ds_run_result_clear(&r);
}

int ds_rpm_tx_run(ds_rpm_failure **failure, ds_transport *t,
                  const char *const *requests, const char *const *lines,
                  const ds_rpm_file *files, guint n, GError **err)
{
    const char *root = ds_transport_root(t);
    g_auto(GStrv) argv = NULL;
    g_autofree char *bad = NULL;
    ds_run_result r = {.status = -1};
    int rc;

    *failure = NULL;
    if (root && (!*root || !strcmp(root, "/")))
        root = NULL;
    if (g_strv_length((char **)requests) != g_strv_length((char **)lines))
        return ds_error_set(err, DS_EINVALID,
                            "the transaction's lines do not match its requests");
    for (guint i = 0; requests[i]; i++)
        if (!ds_rpm_tx_line_is_safe(requests[i]) ||
            strchr(requests[i], '/') || !ds_rpm_tx_line_is_safe(lines[i])) {
            g_autofree char *shown = g_strescape(lines[i], NULL);

            return ds_error_set(err, DS_EINVALID,
                                "refusing transaction line '%s'", shown);
        }
    if ((rc = precheck(failure, t, root, requests, lines, err)) < 0)
        return rc;
    if ((rc = write_inputs(failure, t, root, lines, files, n, err)) < 0)
        goto done;
    argv = ds_rpm_tx_argv(root);
    if ((rc = run(&r, failure, t, (const char *const *)argv, err)) < 0)
        goto done;
    if ((bad = error_line(&r))) {
        g_autofree char *why = g_strdup_printf("dnf reported: %s", bad);

        rc = check_failed(failure, (const char *const *)argv, &r, why, err);
        goto done;
    }
    rc = postcheck(failure, t, root, requests, err);
done:
    ds_run_result_clear(&r);
    remove_inputs(t, root, files, n);
    return rc;
}

/* ---- holds ---- */

int ds_rpm_versionlock_run(ds_rpm_failure **failure, ds_transport *t,
                           const char *host, const char *const *argv,
                           GError **err)
{
    const char *root = ds_transport_root(t);
    g_auto(GStrv) probe = NULL;
    g_auto(GStrv) cmd = NULL;
    ds_run_result r = {.status = -1};
    guint argc = argv ? g_strv_length((char **)argv) : 0;
    int rc;

    *failure = NULL;
    if (root && (!*root || !strcmp(root, "/")))
        root = NULL;
    if (argc < 5 || strcmp(argv[0], "dnf") || strcmp(argv[1], "-y") ||
        strcmp(argv[2], "versionlock") || strcmp(argv[4], "--"))
        return ds_error_set(err, DS_EINVALID,
                            "%s: refusing versionlock command", host);
    probe = ds_rpm_versionlock_argv(root, "list", NULL);
    /* "list --": the probe's own argv, without the separator */
    g_free(probe[g_strv_length(probe) - 1]);
    probe[g_strv_length(probe) - 1] = NULL;
    rc = ds_transport_run(t, (const char *const *)probe, NULL, &r, err);
    if (rc == 0 && r.status != 0) {
        g_autofree char *shown = ds_shell_display((const char *const *)probe);

        rc = ds_error_set(err, DS_EUNSUPPORTED,
                          "%s: holds are replayed with dnf's versionlock plugin, which the lab lacks (`%s` exited %d; install python3-dnf-plugin-versionlock)",
                          host, shown, r.status);
    }
    ds_run_result_clear(&r);
    if (rc < 0)
        return rc;
    cmd = ds_rpm_versionlock_argv(root, argv[3], argv + 5);
    rc = run(&r, failure, t, (const char *const *)cmd, err);
    ds_run_result_clear(&r);
    return rc;
}
