/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-audit.c: the audit's parsers and checks: patch bundles
 * (good, malformed, hostile), the process list of the restart script,
 * missing packages and the kernel check. */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "manifests/version.h"
#include "sync/jobs/audit-run.h"
#include "sync/jobs/audit.h"
#include "tests/unit/testutil.h"

static GPtrArray *new_findings(void)
{
    return g_ptr_array_new_with_free_func(
        (GDestroyNotify)ds_audit_finding_free);
}

static void test_expect_formats(void)
{
    g_autoptr(ds_audit_expect) a = NULL, b = NULL;
    g_autoptr(GError) err = NULL;
    const char *json = "{\"openssl\": \"3.0.13-1~deb12u1\", "
                       "\"+libc6:amd64\": \"2.36-9+deb12u7\"}";
    const char *lines = "# bundle 42\n\n openssl = 3.0.13-1~deb12u1\n"
                        "+libc6:amd64=2.36-9+deb12u7\n";

    g_assert_cmpint(ds_audit_expect_parse(&a, json, strlen(json), "j", &err),
                    ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(ds_audit_expect_parse(&b, lines, strlen(lines), "l", &err),
                    ==, 0);
    g_assert_no_error(err);
    for (int i = 0; i < 2; i++) {
        ds_audit_expect *e = i ? b : a;
        g_assert_cmpuint(g_hash_table_size(e->want), ==, 2);
        g_assert_cmpstr(g_hash_table_lookup(e->want, "openssl"), ==,
                        "3.0.13-1~deb12u1");
        g_assert_cmpstr(g_hash_table_lookup(e->want, "libc6:amd64"), ==,
                        "2.36-9+deb12u7");
        g_assert_true(g_hash_table_contains(e->required, "libc6:amd64"));
        g_assert_false(g_hash_table_contains(e->required, "openssl"));
    }
}

static void test_expect_bad(void)
{
    static const struct {
        const char *data, *msg;
    } cases[] = {
        {"{\"openssl\": 3}", "b: 'openssl': the version is not a string"},
        {"{\"open ssl\": \"1.0\"}", "b: 'open ssl' is not a package name"},
        {"{\"../x\": \"1.0\"}", "b: '../x' is not a package name"},
        {"{\"a\": \"1\", \"a\": \"2\"}", "b:1: not valid JSON"},
        {"[\"a=1\"]", "b: not a JSON object"},
        {"{\"ok\": \"1;rm -rf /\"}", "b: ok: '1;rm -rf /' is not a Debian"},
        {"ok=1.0\nbad line\n", "b:2: 'bad line' is not name=version"},
        {"ok=1.0\nok=2.0\n", "b:2: ok is given twice"},
        {"xy=$(reboot)\n", "b:1: xy: '$(reboot)' is not a Debian or rpm version"},
        {"# nothing\n", "b: no package in the bundle"},
        {"{\"a\": \"1", "b:1: not valid JSON"},
        /* found by fuzzing: jansson's message quotes the raw bytes */
        {"{\"a\": \"\\\n\x1b[2J\"}", "b:2: not valid JSON: "},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(ds_audit_expect) e = NULL;
        g_autoptr(GError) err = NULL;

        g_assert_cmpint(ds_audit_expect_parse(&e, cases[i].data,
                                              strlen(cases[i].data), "b", &err),
                        ==, DS_EINVALID);
        g_assert_null(e);
        g_assert_nonnull(err);
        g_assert_null(strchr(err->message, '\n'));
        g_assert_true(g_utf8_validate(err->message, -1, NULL));
        g_assert_null(strchr(err->message, '\x1b'));
        if (!g_str_has_prefix(err->message, cases[i].msg))
            g_error("case %zu: '%s' does not start with '%s'", i, err->message,
                    cases[i].msg);
    }
    {
        g_autoptr(ds_audit_expect) e = NULL;
        g_autoptr(GError) err = NULL;
        const char nul[] = "a=1\0b=2\n";
        g_assert_cmpint(
            ds_audit_expect_parse(&e, nul, sizeof nul - 1, "b", &err), ==,
            DS_EINVALID);
    }
}

static void test_restart_parse(void)
{
    g_autoptr(GPtrArray) f = new_findings();
    g_autoptr(GError) err = NULL;
    const char *out = "M 12 /usr/lib/x86_64-linux-gnu/libssl.so.3\n"
                      "M 12 /memfd:jit\n"
                      "M 12 /dev/shm/x\n"
                      "M 100 /lib/x86_64-linux-gnu/libc.so.6\n"
                      "M 13 /usr/sbin/nginx\n"
                      "M 99 /tmp/x.so\n"
                      "E 13 /usr/sbin/nginx (deleted)\n"
                      "C 1 /init.scope\n"
                      "C 12 /system.slice/nginx.service\n"
                      "C 13 /system.slice/nginx.service\n"
                      "C 100 /user.slice/user-0.slice/session-1.scope\n"
                      "END\n";
    ds_audit_finding *x;

    g_assert_cmpint(ds_audit_parse_restart(f, out, strlen(out), "h", &err), ==,
                    0);
    g_assert_no_error(err);
    g_assert_cmpuint(f->len, ==, 3);
    x = f->pdata[0];
    g_assert_cmpint(x->pid, ==, 12);
    g_assert_cmpstr(x->unit, ==, "nginx.service");
    g_assert_cmpstr(x->path, ==, "/usr/lib/x86_64-linux-gnu/libssl.so.3");
    x = f->pdata[1];
    g_assert_cmpint(x->pid, ==, 13);
    g_assert_cmpstr(x->path, ==, "/usr/sbin/nginx");
    x = f->pdata[2];
    g_assert_cmpint(x->pid, ==, 100);
    g_assert_null(x->unit);
    g_assert_true(x->kind == DS_AUDIT_RESTART);
}

static void test_restart_bad(void)
{
    static const char *const cases[] = {
        "M 12 /usr/lib/a.so\n",                /* no END: truncated */
        "M x /usr/lib/a.so\nEND\n",            /* bad pid */
        "M 12 /usr/lib/a.so\nrm -rf /\nEND\n", /* unknown line */
        "E 12 /usr/bin/a\nEND\n",              /* exe without (deleted) */
        "M 12 /usr/lib/a.so\nEND\nM 13 /usr/lib/b.so\n", /* after END */
        "M -1 /usr/lib/a.so\nEND\n",
        "M 12/usr/lib/a.so\nEND\n",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GPtrArray) f = new_findings();
        g_autoptr(GError) err = NULL;

        g_assert_cmpint(
            ds_audit_parse_restart(f, cases[i], strlen(cases[i]), "h", &err),
            ==, DS_EINVALID);
        g_assert_true(g_str_has_prefix(err->message, "h: "));
        g_assert_cmpuint(f->len, ==, 0);
    }
    g_assert_true(ds_audit_path_is_code("/usr/bin/x"));
    g_assert_false(ds_audit_path_is_code("/usr/../tmp/x"));
    g_assert_false(ds_audit_path_is_code("/tmp/x"));
    g_assert_false(ds_audit_path_is_code("/libfoo"));
}

static void test_missing_and_kernel(void)
{
    g_autoptr(ds_manifest) m = ds_manifest_new("web01", DS_ROLE_PROD);
    g_autoptr(ds_audit_expect) e = NULL;
    g_autoptr(GPtrArray) f = new_findings();
    g_autoptr(GError) err = NULL;
    const char *b = "openssl=3.0.13-1\nzlib1g=1:1.2\n+curl=7.88\nnginx=1.0\n";
    ds_audit_finding *x;

    g_ptr_array_add(m->packages,
                    ds_package_new("openssl", "3.0.11-1", "amd64", NULL));
    g_ptr_array_add(m->packages,
                    ds_package_new("nginx", "1.22-1", "amd64", NULL));
    m->kernel.running = g_strdup("6.1.0-25-amd64");
    g_ptr_array_add(m->kernel.installed, g_strdup("6.1.0-25-amd64"));
    g_ptr_array_add(m->kernel.installed, g_strdup("6.1.0-26-amd64"));
    g_assert_cmpint(ds_manifest_normalise(m, &err), ==, 0);
    g_assert_cmpint(ds_audit_expect_parse(&e, b, strlen(b), "b", &err), ==, 0);
    g_assert_cmpint(ds_audit_check_missing(f, m, e, &err), ==, 0);
    g_assert_cmpuint(f->len, ==, 2); /* curl (required), openssl */
    x = f->pdata[0];
    g_assert_cmpstr(x->package, ==, "curl");
    g_assert_null(x->have);
    x = f->pdata[1];
    g_assert_cmpstr(x->package, ==, "openssl");
    g_assert_cmpstr(x->have, ==, "3.0.11-1");
    g_assert_cmpstr(x->want, ==, "3.0.13-1");
    ds_audit_check_kernel(f, m, true);
    g_assert_cmpuint(f->len, ==, 3);
    x = f->pdata[2];
    g_assert_true(x->kind == DS_AUDIT_REBOOT);
    g_assert_cmpstr(x->want, ==, "6.1.0-26-amd64");
    g_free(m->kernel.running);
    m->kernel.running = g_strdup("6.1.0-26-amd64");
    ds_audit_check_kernel(f, m, true);
    g_assert_cmpuint(f->len, ==, 3);
}

/* An rpm host: NAME.ARCH keys or NAMEs, EVRs by rpm's order (epochs,
 * releases), a version without a release; Debian-only versions and a
 * bundle of a dpkg host are refused naming the host. */
static void test_missing_rpm(void)
{
    g_autoptr(ds_manifest) m = ds_manifest_new("rh1", DS_ROLE_PROD);
    g_autoptr(ds_audit_expect) e = NULL;
    g_autoptr(GPtrArray) f = new_findings();
    g_autoptr(GError) err = NULL;
    const char *b = "openssl=1:3.0.7-25.el9\n"  /* both arches older */
                    "bash.x86_64=5.1.8-6.el9\n" /* equal */
                    "kernel-core=5.14.0-427.el9\n" /* 5.14.0-70 < 427 */
                    "zlib=1.2.11\n"             /* no release: equal */
                    "+NetworkManager=1:1.46.0-1.el9\n" /* required, absent */
                    "nginx=1:1.20-1.el9\n";     /* absent, not required */
    ds_audit_finding *x;

    if (!ds_rpm_vercmp_available()) {
        g_test_skip("built without librpm (configure --with-rpm)");
        return;
    }
    m->platform = g_strdup(DS_PLATFORM_RPM);
    g_ptr_array_add(m->packages, ds_package_new("openssl.x86_64", "1:3.0.7-24.el9", "x86_64", NULL));
    g_ptr_array_add(m->packages, ds_package_new("openssl.i686", "1:3.0.7-24.el9", "i686", NULL));
    g_ptr_array_add(m->packages, ds_package_new("bash.x86_64", "5.1.8-6.el9", "x86_64", NULL));
    g_ptr_array_add(m->packages, ds_package_new("kernel-core.x86_64", "5.14.0-70.13.1.el9_0", "x86_64", NULL));
    g_ptr_array_add(m->packages, ds_package_new("zlib.x86_64", "1.2.11-40.el9", "x86_64", NULL));
    g_assert_cmpint(ds_manifest_normalise(m, &err), ==, 0);
    g_assert_cmpint(ds_audit_expect_parse(&e, b, strlen(b), "b", &err), ==, 0);
    g_assert_cmpint(ds_audit_check_missing(f, m, e, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(f->len, ==, 4);
    x = f->pdata[0];
    g_assert_cmpstr(x->package, ==, "NetworkManager");
    g_assert_null(x->have);
    x = f->pdata[1];
    g_assert_cmpstr(x->package, ==, "kernel-core.x86_64");
    g_assert_cmpstr(x->detail, ==, "kernel-core.x86_64 5.14.0-70.13.1.el9_0 is older than 5.14.0-427.el9");
    g_assert_cmpstr(((ds_audit_finding *)f->pdata[2])->package, ==, "openssl.i686");
    g_assert_cmpstr(((ds_audit_finding *)f->pdata[3])->package, ==, "openssl.x86_64");

    /* a Debian-only version names the host and the package */
    g_clear_pointer(&e, ds_audit_expect_free);
    b = "openssl=1.2-3-4\n"; /* Debian's: upstream 1.2-3, revision 4 */
    g_assert_cmpint(ds_audit_expect_parse(&e, b, strlen(b), "b", &err), ==, 0);
    g_assert_cmpint(ds_audit_check_missing(f, m, e, &err), ==, DS_EINVALID);
    g_assert_true(g_str_has_prefix(err->message, "rh1: an rpm host, and the version expected of openssl, '1.2-3-4', is not an rpm version"));
    g_clear_error(&err);
    /* an expectation of the other platform */
    g_clear_pointer(&e, ds_audit_expect_free);
    b = "openssl=1:3.0.7-25.el9\n";
    g_assert_cmpint(ds_audit_expect_parse(&e, b, strlen(b), "b", &err), ==, 0);
    e->platform = "dpkg";
    g_assert_cmpint(ds_audit_check_missing(f, m, e, &err), ==, DS_EUNSUPPORTED);
    g_assert_true(g_str_has_prefix(err->message, "rh1: an rpm host, and the versions expected are a dpkg host's"));
}

/* An audit run over the store's manifests (sync/jobs/audit-run.c): the
 * hosts chosen (names, a group, labs only with a lab), the manifests read,
 * each host audited against an expectation, the document kept. */
static void test_run_stored(void)
{
    g_autofree char *dir = ds_test_tmpdir("ds-audit-run-XXXXXX");
    g_autofree char *file = ds_test_write_config(
        dir, "ds.conf",
        "[store]\npath = @DIR@/store\nstate = @DIR@/state\n\n"
        "[host web01]\nsource = local:\ngroups = web\n\n"
        "[host db01]\nsource = local:\n\n"
        "[host gone]\nsource = local:\ngroups = web\n");
    g_autofree char *good = ds_test_data("good", "web01.json", NULL);
    g_autofree char *latest = NULL;
    g_autoptr(ds_config) cfg = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(ds_store_txn) txn = NULL;
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(ds_audit_run) r = NULL;
    g_autoptr(ds_audit_expect) expect = NULL;
    g_autoptr(GError) err = NULL;
    char *none[] = {NULL};
    char *nosuch[] = {"nosuch"};
    char *two[] = {"gone", "web01"};
    const ds_audit_host *h;
    json_t *doc;

    g_assert_cmpint(ds_config_load(&cfg, file, &err), ==, 0);
    g_assert_cmpint(ds_store_init(cfg->store_path, &err), ==, 0);
    g_assert_cmpint(ds_store_open(&st, cfg->store_path, &err), ==, 0);
    g_assert_cmpint(ds_manifest_load(&m, good, &err), ==, 0);
    g_assert_cmpint(ds_store_txn_begin(&txn, st, &err), ==, 0);
    g_assert_cmpint(ds_store_txn_put(txn, m, &err), ==, 0);
    g_assert_cmpint(ds_store_txn_commit(NULL, txn, "record", NULL, NULL, &err),
                    ==, 0);

    /* Choosing: an unknown name, no lab host, an empty group. */
    r = ds_audit_run_new(cfg, DS_ROLE_PROD, true);
    g_assert_cmpint(ds_audit_run_choose(r, nosuch, 1, NULL, &err), ==,
                    DS_ENOTFOUND);
    g_assert_true(g_str_has_prefix(err->message, "nosuch: no such host in "));
    g_clear_error(&err);
    g_clear_pointer(&r, ds_audit_run_free);
    r = ds_audit_run_new(cfg, DS_ROLE_LAB, true);
    g_assert_cmpint(ds_audit_run_choose(r, none, 0, NULL, &err), ==,
                    DS_ENOTFOUND);
    g_assert_cmpstr(err->message, ==, "no lab host configured");
    g_clear_error(&err);
    g_clear_pointer(&r, ds_audit_run_free);
    r = ds_audit_run_new(cfg, DS_ROLE_PROD, true);
    g_assert_cmpint(ds_audit_run_choose(r, none, 0, "db", &err), ==,
                    DS_ENOTFOUND);
    g_assert_cmpstr(err->message, ==, "no host in group 'db'");
    g_clear_error(&err);
    g_clear_pointer(&r, ds_audit_run_free);

    /* Two hosts named, in the order given; --like web adds none. */
    r = ds_audit_run_new(cfg, DS_ROLE_PROD, true);
    g_assert_cmpint(ds_audit_run_choose(r, two, 2, "web", &err), ==, 0);
    g_assert_cmpuint(r->hosts->len, ==, 2);
    g_assert_true(ds_audit_run_needs_store(r));
    r->st = st;
    g_assert_cmpint(ds_audit_run_read(r, &err), ==, 0);
    h = r->hosts->pdata[0];
    g_assert_cmpstr(h->hc->name, ==, "gone");
    g_assert_null(h->manifest);
    g_assert_cmpstr(h->error->message, ==,
                    "gone: no prod manifest in the store");
    h = r->hosts->pdata[1];
    g_assert_nonnull(h->manifest);

    /* The newest versions of the group are web01's own: nothing missing. */
    expect = ds_audit_run_newest(r, "web", false);
    ds_audit_run_host(r, r->hosts->pdata[1], expect);
    for (guint i = 0; i < h->findings->len; i++)
        g_assert_cmpint(((ds_audit_finding *)h->findings->pdata[i])->kind, !=,
                        DS_AUDIT_MISSING);

    doc = ds_audit_run_json(r, "run-1", "2026-11-27T02:00:00Z");
    g_assert_cmpstr(json_string_value(json_object_get(doc, "schema")), ==,
                    DS_AUDIT_SCHEMA);
    g_assert_cmpstr(json_string_value(json_object_get(doc, "source")), ==,
                    "store");
    g_assert_cmpuint(json_array_size(json_object_get(doc, "hosts")), ==, 2);
    g_assert_nonnull(json_object_get(
        json_array_get(json_object_get(doc, "hosts"), 0), "error"));
    g_assert_cmpint(ds_audit_run_save(r, doc, &err), ==, 0);
    latest = g_build_filename(dir, "state", "audit", "latest.json", NULL);
    g_assert_true(g_file_test(latest, G_FILE_TEST_IS_REGULAR));
    json_decref(doc);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/audit/expect/formats", test_expect_formats);
    g_test_add_func("/audit/expect/bad", test_expect_bad);
    g_test_add_func("/audit/restart/parse", test_restart_parse);
    g_test_add_func("/audit/restart/bad", test_restart_bad);
    g_test_add_func("/audit/missing-kernel", test_missing_and_kernel);
    g_test_add_func("/audit/missing-rpm", test_missing_rpm);
    g_test_add_func("/audit/run-stored", test_run_stored);
    return g_test_run();
}
