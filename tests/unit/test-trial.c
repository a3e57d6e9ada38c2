/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-trial.c: the trial engine (sync/jobs/trial.c,
 * trial-run.c) against libvirt's test driver: the change refused before
 * the lab is touched, the host's lab found or refused, a run that cannot
 * reach the guest ending before any snapshot, and the trial's record kept
 * in the state directory.  A trial in a real guest is tests/e2e/trial.sh. */
#include <config.h>

#include <jansson.h>
#include <string.h>

#include "manifests/util/error.h"
#include "sync/config/config-file.h"
#include "sync/jobs/trial.h"
#include "tests/unit/testutil.h"

static const char conf_text[] =
    "[store]\npath = @DIR@/store\nstate = @DIR@/state\n\n"
    "[lab]\nuri = test://@DATA@/snapshot-node.xml\n\n"
    "[host web01]\nsource = local:\nlab = lab-web01\n\n"
    "[host web02]\nsource = local:\nlab = lab-web02\n\n"
    "[host ghost]\nsource = local:\nlab = lab-nosuch\n\n"
    "[host byssh]\nsource = local:\nlab = lab-web02\n"
    "lab-access = ssh://root@127.0.0.1\n\n"
    "[host nolab]\nsource = local:\n";

typedef struct {
    char *dir;
    ds_config *cfg;
    GPtrArray *lines; /* what the trial logged */
} fixture;

static void fx_setup(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *file = NULL;

    (void)data;
    fx->dir = ds_test_tmpdir("ds-trial-XXXXXX");
    file = ds_test_write_config(fx->dir, "ds.conf", conf_text);
    g_assert_cmpint(ds_config_load(&fx->cfg, file, &err), ==, 0);
    g_assert_no_error(err);
    fx->lines = g_ptr_array_new_with_free_func(g_free);
}

static void fx_teardown(fixture *fx, gconstpointer data)
{
    (void)data;
    ds_config_free(fx->cfg);
    g_ptr_array_unref(fx->lines);
    g_free(fx->dir);
}

static void keep_line(ds_log_level level, const char *message, void *payload)
{
    fixture *fx = payload;

    g_ptr_array_add(fx->lines, g_strdup_printf("%d %s", level, message));
}

/* prepare with opts; the error's message (or NULL) and code. */
static int prepare(char **message, const ds_trial_options *opts)
{
    g_autoptr(GError) err = NULL;
    ds_trial tr = {0};
    int rc = ds_trial_prepare(&tr, opts, &err);

    *message = err ? g_strdup(err->message) : NULL;
    if (rc == 0) {
        g_assert_nonnull(tr.run_id);
        g_assert_cmpstr(tr.host, ==, opts->host);
    }
    ds_trial_clear(&tr);
    return rc;
}

static void test_prepare(fixture *fx, gconstpointer data)
{
    char *good[] = {"curl=7.88.1-10+deb12u5", "libssl3=3.0.11-1~deb12u2", NULL};
    char *no_version[] = {"curl", NULL};
    char *shell_name[] = {"curl;reboot=1.0", NULL};
    char *shell_version[] = {"curl=1.0 $(reboot)", NULL};
    char *option_version[] = {"curl=-o", NULL};
    g_autofree char *fake = g_build_filename(fx->dir, "fake_1.0_all.deb", NULL);
    g_autofree char *hostile =
        g_build_filename(fx->dir, "bad name;x.deb", NULL);
    g_autofree char *missing =
        g_build_filename(fx->dir, "nosuch_1.0_all.deb", NULL);
    char *debs[] = {NULL, NULL};
    ds_trial_options o = {.host = "web02", .timeout_s = 5};
    char *msg = NULL;

    (void)data;
    o.installs = good;
    g_assert_cmpint(prepare(&msg, &o), ==, 0);
    g_assert_null(msg);

    o.installs = no_version;
    g_assert_cmpint(prepare(&msg, &o), ==, DS_EINVALID);
    g_assert_cmpstr(msg, ==, "web02: --install curl: expected PKG=VERSION");
    g_clear_pointer(&msg, g_free);
    o.installs = shell_name;
    g_assert_cmpint(prepare(&msg, &o), ==, DS_EINVALID);
    g_assert_nonnull(strstr(msg, "curl;reboot is not a package name"));
    g_clear_pointer(&msg, g_free);
    o.installs = shell_version;
    g_assert_cmpint(prepare(&msg, &o), ==, DS_EINVALID);
    g_assert_nonnull(strstr(msg, "is not a Debian version"));
    g_clear_pointer(&msg, g_free);
    o.installs = option_version;
    g_assert_cmpint(prepare(&msg, &o), ==, DS_EINVALID);
    g_clear_pointer(&msg, g_free);
    o.installs = NULL;

    /* Package files: read whole, refused unless they are packages. */
    o.debs = debs;
    debs[0] = missing;
    g_assert_cmpint(prepare(&msg, &o), <, 0);
    g_assert_true(g_str_has_prefix(msg, "web02: --deb: "));
    g_assert_nonnull(strstr(msg, "nosuch_1.0_all.deb"));
    g_clear_pointer(&msg, g_free);
    g_assert_true(g_file_set_contents(fake, "not a package\n", -1, NULL));
    debs[0] = fake;
    g_assert_cmpint(prepare(&msg, &o), ==, DS_EINVALID);
    g_assert_nonnull(strstr(msg, "fake_1.0_all.deb: not a Debian package"));
    g_clear_pointer(&msg, g_free);
    g_assert_true(g_file_set_contents(hostile, "x", -1, NULL));
    debs[0] = hostile;
    g_assert_cmpint(prepare(&msg, &o), ==, DS_EINVALID);
    g_assert_nonnull(strstr(msg, "the file name must end in .deb"));
    g_clear_pointer(&msg, g_free);
}

/* open_lab for host: its code, and the message in *msg. */
static int open_lab(char **msg, fixture *fx, const char *host)
{
    g_autoptr(GError) err = NULL;
    ds_trial_options o = {.host = host};
    ds_trial tr = {0};
    int rc;

    g_assert_cmpint(ds_trial_prepare(&tr, &o, &err), ==, 0);
    rc = ds_trial_open_lab(&tr, fx->cfg, &err);
    *msg = err ? g_strdup(err->message) : NULL;
    if (rc == 0) {
        g_assert_nonnull(tr.dom);
        g_assert_cmpstr(tr.source, ==, "agent:lab-web02");
    }
    ds_trial_clear(&tr);
    return rc;
}

static void test_open_lab(fixture *fx, gconstpointer data)
{
    g_autofree char *m1 = NULL, *m2 = NULL, *m3 = NULL, *m4 = NULL;
    g_autofree char *m5 = NULL;

    (void)data;
    g_assert_cmpint(open_lab(&m1, fx, "web02"), ==, 0);
    g_assert_cmpint(open_lab(&m2, fx, "nosuch"), ==, DS_ENOTFOUND);
    g_assert_true(g_str_has_prefix(m2, "nosuch: no [host nosuch] in "));
    g_assert_cmpint(open_lab(&m3, fx, "nolab"), ==, DS_EINVALID);
    g_assert_cmpstr(m3, ==,
                    "nolab: the host has no lab domain (set lab = "
                    "DOMAIN in [host nolab])");
    g_assert_cmpint(open_lab(&m4, fx, "byssh"), ==, DS_EUNSUPPORTED);
    g_assert_nonnull(strstr(m4, "lab-access = ssh://root@127.0.0.1 is not "
                                "supported"));
    g_assert_cmpint(open_lab(&m5, fx, "ghost"), <, 0);
    g_assert_true(g_str_has_prefix(m5, "ghost: "));
    g_assert_nonnull(strstr(m5, "lab-nosuch"));
}

/* Run a trial on host; returns ds_trial_run's code, tr for a look. */
static int run(ds_trial *tr, fixture *fx, const char *host)
{
    g_autoptr(GError) err = NULL;
    char *installs[] = {"curl=7.88.1-10", NULL};
    char *runs[] = {NULL};
    char *checks[] = {"true", NULL};
    ds_trial_options o = {.host = host, .installs = installs};

    tr->log = (ds_log){keep_line, fx};
    g_assert_cmpint(ds_trial_prepare(tr, &o, &err), ==, 0);
    g_assert_cmpint(ds_trial_open_lab(tr, fx->cfg, &err), ==, 0);
    return ds_trial_run(tr, runs, checks);
}

/* Labs that cannot take a trial: refused before any snapshot, nothing
 * logged, no step run. */
static void test_run_refused(fixture *fx, gconstpointer data)
{
    ds_trial off = {0}, noagent = {0};

    (void)data;
    g_assert_cmpint(run(&off, fx, "web01"), ==, DS_ECONFLICT);
    g_assert_true(g_str_has_prefix(off.error, "lab lab-web01 is shut off: "
                                              "a trial needs its guest "
                                              "running"));
    g_assert_null(off.snapshot);

    g_assert_cmpint(run(&noagent, fx, "web02"), <, 0);
    g_assert_true(g_str_has_prefix(noagent.error,
                                   "before the trial (nothing changed): "));
    g_assert_null(noagent.snapshot);
    g_assert_false(noagent.passed);
    g_assert_cmpuint(noagent.steps->len, ==, 0);
    g_assert_cmpuint(fx->lines->len, ==, 0);
    ds_trial_clear(&off);
    ds_trial_clear(&noagent);
}

/* The record of a trial that ran and was kept: the steps, the outcome,
 * the advice to revert; saved whole under STATE/trials/RUN.json. */
static void test_record(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *path = NULL;
    g_autofree char *want = NULL;
    g_autofree char *advice = NULL;
    char *installs[] = {"curl=7.88.1-10", NULL};
    char *runs[] = {"echo hi", NULL};
    char *checks[] = {"curl --version", NULL};
    ds_trial_options o = {.host = "web02", .installs = installs, .keep = true};
    ds_trial tr = {0};
    ds_trial_step *s = g_new0(ds_trial_step, 1);
    json_t *doc, *back;

    (void)data;
    g_assert_cmpint(ds_trial_prepare(&tr, &o, &err), ==, 0);
    g_assert_cmpint(ds_trial_open_lab(&tr, fx->cfg, &err), ==, 0);
    tr.snapshot = g_strdup("driftsync-test-run");
    tr.started = (gint64)1764000000 * G_USEC_PER_SEC;
    tr.finished = tr.started + 3 * G_USEC_PER_SEC;
    s->what = g_strdup("check");
    s->command = g_strdup("curl --version");
    s->status = 0;
    s->out = g_strdup("curl 7.88.1\n");
    g_ptr_array_add(tr.steps, s);
    tr.change_ok = tr.passed = tr.kept = true;

    doc = ds_trial_to_json(&tr, runs, checks);
    g_assert_nonnull(doc);
    g_assert_cmpstr(json_string_value(json_object_get(doc, "schema")), ==,
                    "driftsync/trial/v1");
    g_assert_cmpstr(json_string_value(json_object_get(doc, "host")), ==,
                    "web02");
    g_assert_cmpstr(json_string_value(json_object_get(doc, "domain")), ==,
                    "lab-web02");
    g_assert_true(json_is_true(json_object_get(doc, "passed")));
    g_assert_true(json_is_true(json_object_get(doc, "kept")));
    g_assert_cmpstr(json_string_value(json_object_get(doc, "started_at")), ==,
                    "2025-11-24T16:00:00Z");
    g_assert_cmpfloat(json_real_value(json_object_get(doc, "seconds")), ==,
                      3.0);
    g_assert_cmpstr(
        json_string_value(json_array_get(
            json_object_get(json_object_get(doc, "change"), "install"), 0)),
        ==, "curl=7.88.1-10");
    g_assert_cmpuint(json_array_size(json_object_get(doc, "steps")), ==, 1);
    advice = g_strdup_printf("driftsync snapshot revert web02 %s", tr.snapshot);
    g_assert_cmpstr(json_string_value(json_object_get(doc, "revert_with")), ==,
                    advice);

    g_assert_cmpint(ds_trial_save(&path, &tr, doc, &err), ==, 0);
    g_assert_no_error(err);
    want = g_strdup_printf("%s/state/trials/%s.json", fx->dir, tr.run_id);
    g_assert_cmpstr(path, ==, want);
    back = json_load_file(path, 0, NULL);
    g_assert_nonnull(back);
    g_assert_true(json_equal(back, doc));
    json_decref(back);
    json_decref(doc);
    ds_trial_clear(&tr);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, fixture, NULL, fx_setup, fn, fx_teardown)
    ADD("/trial/prepare", test_prepare);
    ADD("/trial/open-lab", test_open_lab);
    ADD("/trial/run-refused", test_run_refused);
    ADD("/trial/record", test_record);
    return g_test_run();
}
