/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/jobs/trial.c: a trial before and after its run: the change checked
 * (package requests, package files read), the host's lab found and opened,
 * and the result as a document kept in the state directory. */
#include <config.h>

#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "manifests/diff.h"
#include "manifests/util/error.h"
#include "manifests/util/file.h"
#include "manifests/util/run-id.h"
#include "manifests/version.h"
#include "sync/jobs/trial.h"

/* The largest package file a trial copies into the guest. */
#define TRIAL_DEB_MAX (256u * 1024 * 1024)
/* The longest package version accepted in --install. */
#define TRIAL_VERSION_MAX 256
/* A package file's name: "x.deb" at least, and not much more than dpkg's
 * NAME_VERSION_ARCH.deb. */
#define DEB_NAME_MIN 5
#define DEB_NAME_MAX 200
/* A .deb is an ar archive whose first member is debian-binary; anything
 * shorter than the ar magic (8 bytes), one member header (60) and a
 * little more is not one. */
#define DEB_MAGIC "!<arch>\ndebian-binary"
#define DEB_MIN_BYTES (8 + 60 + 14)

/* PKG=VERSION: a Debian package name and a version, nothing else. */
static bool install_is_valid(const char *spec, char **why)
{
    const char *eq = strchr(spec, '=');
    g_autofree char *name = eq ? g_strndup(spec, (gsize)(eq - spec)) : NULL;

    if (!eq) {
        *why = g_strdup("expected PKG=VERSION");
        return false;
    }
    if (!ds_name_is_safe_package(name)) {
        *why = g_strdup_printf("%s is not a package name", name);
        return false;
    }
    if (!ds_version_is_valid(eq + 1) || eq[1] == '-' ||
        strlen(eq + 1) > TRIAL_VERSION_MAX) {
        *why = g_strdup_printf("%s is not a Debian version", eq + 1);
        return false;
    }
    return true;
}

/* A file name that can go into the guest as it is. */
static bool deb_name_is_safe(const char *base)
{
    size_t n = strlen(base);

    if (n < DEB_NAME_MIN || n > DEB_NAME_MAX ||
        !g_str_has_suffix(base, ".deb") || base[0] == '.' || base[0] == '-')
        return false;
    for (const char *p = base; *p; p++)
        if (!g_ascii_isalnum(*p) && !strchr("._+~-", *p))
            return false;
    return true;
}

static ds_trial_deb *deb_load(const ds_trial *tr, const char *path,
                              GError **err)
{
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *data = NULL;
    gsize len = 0;
    ds_trial_deb *d;

    if (!deb_name_is_safe(base)) {
        ds_error_set(
            err, DS_EINVALID,
            "--deb %s: the file name must end in .deb and use only letters, digits and ._+~- (rename it)",
            path);
        return NULL;
    }
    if (!g_file_get_contents(path, &data, &len, err)) {
        g_prefix_error(err, "--deb: ");
        return NULL;
    }
    if (len > TRIAL_DEB_MAX || len < DEB_MIN_BYTES ||
        memcmp(data, DEB_MAGIC, sizeof(DEB_MAGIC) - 1)) {
        ds_error_set(err, DS_EINVALID,
                     "--deb %s: not a Debian package (.deb) file", path);
        return NULL;
    }
    d = g_new0(ds_trial_deb, 1);
    d->path = g_filename_display_name(path); /* shown, and in JSON */
    d->guest =
        g_strdup_printf("/var/tmp/driftsync-trial-%s/%s", tr->run_id, base);
    d->data = g_bytes_new_take(g_steal_pointer(&data), len);
    return d;
}

static json_t *step_json(const ds_trial_step *s)
{
    json_t *argv = json_array();

    for (int i = 0; s->argv && s->argv[i]; i++)
        json_array_append_new(argv, json_string(s->argv[i]));
    return json_pack("{s:s, s:s, s:o, s:i, s:b, s:s?, s:s?, s:f}", "step",
                     s->what, "command", s->command, "argv", argv, "status",
                     s->status, "ran", s->status >= 0, "stdout", s->out,
                     "stderr", s->err, "seconds", s->seconds);
}

static char *iso_time(gint64 us)
{
    g_autoptr(GDateTime) dt =
        g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);

    return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("?");
}

static json_t *strings_json(GPtrArray *a, bool debs)
{
    json_t *arr = json_array();

    for (guint i = 0; a && i < a->len; i++)
        json_array_append_new(
            arr, json_string(debs ? ((ds_trial_deb *)a->pdata[i])->path
                                  : (const char *)a->pdata[i]));
    return arr;
}

json_t *ds_trial_to_json(const ds_trial *tr, char **runs, char **checks)
{
    json_t *steps = json_array(), *residue = json_array();
    json_t *jruns = json_array(), *jchecks = json_array();
    g_autofree char *started = iso_time(tr->started);
    g_autofree char *finished = iso_time(tr->finished);
    g_autofree char *advice = NULL;

    for (guint i = 0; i < tr->steps->len; i++)
        json_array_append_new(steps, step_json(tr->steps->pdata[i]));
    for (guint i = 0; tr->residue && i < tr->residue->len; i++)
        json_array_append_new(residue,
                              ds_change_to_json(tr->residue->pdata[i]));
    for (int i = 0; runs && runs[i]; i++)
        json_array_append_new(jruns, json_string(runs[i]));
    for (int i = 0; checks && checks[i]; i++)
        json_array_append_new(jchecks, json_string(checks[i]));
    if (tr->snapshot && !tr->deleted && (tr->kept || !tr->verified))
        advice = g_strdup_printf("driftsync snapshot revert %s %s", tr->host,
                                 tr->snapshot);
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:f,"
        " s:{s:o, s:o, s:o}, s:o, s:o, s:b, s:b, s:b, s:b, s:b, s:b, s:b,"
        " s:b, s:s?, s:o, s:s?, s:s?, s:o?}",
        "schema", "driftsync/trial/v1", "run", tr->run_id, "host", tr->host,
        "domain", tr->hc->lab, "uri", tr->uri, "snapshot", tr->snapshot, "mode",
        ds_snapshot_mode_to_string(tr->mode), "started_at", started,
        "finished_at", finished, "seconds",
        (double)(tr->finished - tr->started) / 1e6, "change", "install",
        strings_json(tr->installs, false), "deb", strings_json(tr->debs, true),
        "run", jruns, "checks", jchecks, "steps", steps, "passed", tr->passed,
        "change_ok", tr->change_ok, "reverted", tr->reverted, "verified",
        tr->verified, "kept", tr->kept, "snapshot_deleted", tr->deleted,
        "interrupted", tr->interrupted, "guest_lost", tr->lost, "lost_why",
        tr->lost_why, "residue", residue, "error", tr->error, "revert_with",
        advice, "from_cache",
        tr->cached ? strings_json(tr->cached, true) : NULL);
}

int ds_trial_save(char **path, const ds_trial *tr, json_t *doc, GError **err)
{
    g_autofree char *dir = g_build_filename(tr->cfg->state_dir, "trials", NULL);
    g_autofree char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
    g_autofree char *body = g_strconcat(text ? text : "{}", "\n", NULL);
    int rc;

    *path = g_strdup_printf("%s/%s.json", dir, tr->run_id);
    if ((rc = ds_file_write_atomic(*path, body, strlen(body), 0600,
                                   DS_FILE_MKDIR, err)) < 0)
        return ds_error_prefix(err, rc, "trial result: ");
    return 0;
}

void ds_trial_clear(ds_trial *tr)
{
    g_free(tr->run_id);
    g_free(tr->uri);
    g_free(tr->source);
    g_free(tr->snapshot);
    g_free(tr->mode_why);
    g_free(tr->lost_why);
    g_free(tr->error);
    if (tr->installs)
        g_ptr_array_unref(tr->installs);
    if (tr->debs)
        g_ptr_array_unref(tr->debs);
    if (tr->steps)
        g_ptr_array_unref(tr->steps);
    if (tr->residue)
        g_ptr_array_unref(tr->residue);
    if (tr->drift)
        g_ptr_array_unref(tr->drift);
    if (tr->cached)
        g_ptr_array_unref(tr->cached);
    if (tr->dom)
        virDomainFree(tr->dom);
    ds_lab_free(tr->lab);
}

int ds_trial_prepare(ds_trial *tr, const ds_trial_options *opts, GError **err)
{
    tr->host = opts->host;
    tr->run_id = ds_run_id_new();
    tr->keep = opts->keep;
    tr->timeout_ms = opts->timeout_s * 1000;
    tr->installs = g_ptr_array_new_with_free_func(g_free);
    tr->debs =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_trial_deb_free);
    tr->steps =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_trial_step_free);
    for (int i = 0; opts->installs && opts->installs[i]; i++) {
        g_autofree char *why = NULL;

        if (!install_is_valid(opts->installs[i], &why))
            return ds_error_set(err, DS_EINVALID, "%s: --install %s: %s",
                                tr->host, opts->installs[i], why);
        g_ptr_array_add(tr->installs, g_strdup(opts->installs[i]));
    }
    for (int i = 0; opts->debs && opts->debs[i]; i++) {
        ds_trial_deb *d = deb_load(tr, opts->debs[i], err);

        if (!d)
            return ds_error_prefix(err, DS_EINVALID, "%s: ", tr->host);
        g_ptr_array_add(tr->debs, d);
    }
    return 0;
}

int ds_trial_open_lab(ds_trial *tr, const ds_config *cfg, GError **err)
{
    int rc;

    tr->cfg = cfg;
    if ((rc = ds_config_find_lab(&tr->hc, cfg, tr->host, err)) < 0)
        return rc;
    if (tr->hc->lab_access && strcmp(tr->hc->lab_access, "agent"))
        return ds_error_set(
            err, DS_EUNSUPPORTED,
            "%s: a trial reaches its lab through the guest agent; lab-access = %s is not supported",
            tr->host, tr->hc->lab_access);
    tr->uri = g_strdup(ds_config_lab_uri(cfg, tr->hc));
    tr->source = ds_config_lab_source(tr->hc);
    if ((rc = ds_lab_open(&tr->lab, tr->uri, err)) < 0 ||
        (rc = ds_lab_domain(&tr->dom, tr->lab, tr->hc->lab, err)) < 0)
        return ds_error_prefix(err, rc, "%s: ", tr->host);
    return 0;
}
