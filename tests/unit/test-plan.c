/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-plan.c: the plan engine: phase order, one pinned package
 * transaction, sources, files, services, reboot, ignore rules, hostile
 * names refused, JSON, contents from a real store, and file actions run
 * for real on a scratch directory. */
#include <config.h>

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <jansson.h>

#include "drivers/transport.h"
#include "manifests/util/error.h"
#include "manifests/store.h"
#include "sync/plan/plan.h"
#include "tests/unit/testutil.h"

/* ---- building manifests ---- */

static void add_pkg(ds_manifest *m, const char *name, const char *version)
{
    g_ptr_array_add(m->packages,
                    ds_package_new(name, version, "amd64", "Debian:bookworm"));
}

static ds_file *add_file(ds_manifest *m, const char *path, const char *text,
                         guint mode, const char *owner, const char *group)
{
    ds_file *f = ds_file_new(path);

    f->sha256 = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
    f->content = g_bytes_new(text, strlen(text));
    f->content_ref = g_strdup("0123456789abcdef0123456789abcdef01234567");
    f->mode = mode;
    f->owner = g_strdup(owner);
    f->group = g_strdup(group);
    g_ptr_array_add(m->files, f);
    return f;
}

static void add_svc(ds_manifest *m, const char *name, const char *enabled,
                    const char *active)
{
    g_ptr_array_add(m->services, ds_service_new(name, enabled, active));
}

static void normalise(ds_manifest *m)
{
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(ds_manifest_normalise(m, &err), ==, 0);
    g_assert_no_error(err);
}

/* A small prod host and its lab copy, equal. */
static ds_manifest *host(ds_role role)
{
    ds_manifest *m = ds_manifest_new("web01", role);

    m->kernel.running = g_strdup("6.1.0-28-amd64");
    m->os.id = g_strdup("debian");
    m->os.version = g_strdup("12");
    add_pkg(m, "bash", "5.2.15-2+b7");
    add_pkg(m, "openssl", "3.0.15-1~deb12u1");
    g_ptr_array_add(m->sources,
                    g_strdup("deb http://deb.debian.org/debian bookworm main"));
    add_file(m, "/etc/motd", "hello\n", 0644, "root", "root");
    add_svc(m, "ssh.service", "enabled", "active");
    normalise(m);
    return m;
}

static ds_plan *build_ok(const ds_manifest *lab, const ds_manifest *prod,
                         const ds_ignore *ig)
{
    g_autoptr(GError) err = NULL;
    ds_plan *plan = NULL;

    g_assert_cmpint(
        ds_plan_build(&plan, lab, prod, &(ds_plan_options){.ignore = ig},
                      &err),
        ==, 0);
    g_assert_no_error(err);
    g_assert_nonnull(plan);
    return plan;
}

static ds_action *nth(const ds_plan *p, guint i)
{
    g_assert_cmpuint(i, <, p->actions->len);
    return g_ptr_array_index(p->actions, i);
}

/* The first action of that kind (and path, when given), or NULL. */
static ds_action *find(const ds_plan *p, ds_action_kind kind, const char *path)
{
    for (guint i = 0; i < p->actions->len; i++) {
        ds_action *a = nth(p, i);

        if (a->kind == kind && (!path || g_strcmp0(a->path, path) == 0))
            return a;
    }
    return NULL;
}

static guint count(const ds_plan *p, ds_action_kind kind)
{
    guint n = 0;

    for (guint i = 0; i < p->actions->len; i++)
        n += nth(p, i)->kind == kind;
    return n;
}

static char *joined(char **argv)
{
    return g_strjoinv(" ", argv);
}

/* ---- tests ---- */

static void test_equal(void)
{
    g_autoptr(ds_manifest) prod = host(DS_ROLE_PROD);
    g_autoptr(ds_manifest) lab = host(DS_ROLE_LAB);
    g_autoptr(ds_plan) plan = build_ok(lab, prod, NULL);

    g_assert_true(ds_plan_is_empty(plan));
    g_assert_cmpuint(plan->actions->len, ==, 0);
    g_assert_cmpuint(plan->manual, ==, 0);
    g_assert_cmpstr(plan->host, ==, "web01");
}

/* Everything differs: the phases come in order, each kind where it
 * belongs. */
static void test_order(void)
{
    g_autoptr(ds_manifest) prod = host(DS_ROLE_PROD);
    g_autoptr(ds_manifest) lab = host(DS_ROLE_LAB);
    g_autoptr(ds_plan) plan = NULL;
    static const ds_action_kind want[] = {
        DS_ACTION_SOURCES_WRITE, DS_ACTION_SOURCES_DISABLE,
        DS_ACTION_APT_UPDATE,    DS_ACTION_PACKAGES,
        DS_ACTION_FILE_WRITE,    DS_ACTION_SERVICE,
        DS_ACTION_REBOOT,
    };

    /* Added in reverse phase order to show the order is the plan's. */
    g_free(lab->kernel.running);
    lab->kernel.running = g_strdup("6.1.0-27-amd64");
    g_free(((ds_service *)lab->services->pdata[0])->active);
    ((ds_service *)lab->services->pdata[0])->active = g_strdup("inactive");
    g_ptr_array_set_size(lab->files, 0);
    add_file(lab, "/etc/motd", "old\n", 0644, "root", "root");
    add_pkg(prod, "nginx", "1.22.1-9");
    g_ptr_array_add(prod->sources,
                    g_strdup("deb http://security.debian.org/debian-security "
                             "bookworm-security main"));
    normalise(lab);
    normalise(prod);
    plan = build_ok(lab, prod, NULL);

    g_assert_cmpuint(plan->actions->len, ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
        g_assert_cmpstr(ds_action_kind_name(nth(plan, i)->kind), ==,
                        ds_action_kind_name(want[i]));
        if (i)
            g_assert_cmpint(nth(plan, i - 1)->phase, <=, nth(plan, i)->phase);
    }
    g_assert_cmpint(nth(plan, 0)->phase, ==, DS_PHASE_SOURCES);
    g_assert_cmpint(nth(plan, 3)->phase, ==, DS_PHASE_PACKAGES);
    g_assert_cmpint(nth(plan, 4)->phase, ==, DS_PHASE_FILES);
    g_assert_cmpint(nth(plan, 5)->phase, ==, DS_PHASE_SERVICES);
    g_assert_cmpint(nth(plan, 6)->phase, ==, DS_PHASE_REBOOT);
    g_assert_cmpstr(ds_plan_phase_name(DS_PHASE_FILES), ==, "files");
    /* The reboot names the kernels and is the exact command. */
    g_assert_nonnull(strstr(nth(plan, 6)->description, "6.1.0-28-amd64"));
    {
        g_autofree char *cmd = joined(nth(plan, 6)->argv);
        g_assert_cmpstr(cmd, ==, "systemctl reboot");
    }
}

/* Installs, upgrades, downgrades and removals in ONE apt-get argv, each
 * pinned to prod's exact version. */
static void test_packages(void)
{
    g_autoptr(ds_manifest) prod = host(DS_ROLE_PROD);
    g_autoptr(ds_manifest) lab = host(DS_ROLE_LAB);
    g_autoptr(ds_plan) plan = NULL;
    g_autofree char *cmd = NULL;
    ds_action *a;

    add_pkg(prod, "nginx", "1.22.1-9");       /* install */
    add_pkg(prod, "libc6", "2.36-9+deb12u7"); /* downgrade */
    add_pkg(lab, "libc6", "2.36-9+deb12u10");
    add_pkg(prod, "curl", "7.88.1-10+deb12u8"); /* upgrade */
    add_pkg(lab, "curl", "7.88.1-10+deb12u5");
    add_pkg(lab, "vim-tiny", "2:9.0.1378-2"); /* removal */
    add_pkg(lab, "libfoo:i386", "1.0-1");     /* removal, multiarch */
    normalise(lab);
    normalise(prod);
    plan = build_ok(lab, prod, NULL);

    g_assert_cmpuint(count(plan, DS_ACTION_PACKAGES), ==, 1);
    g_assert_cmpuint(count(plan, DS_ACTION_APT_UPDATE), ==, 1);
    g_assert_cmpuint(count(plan, DS_ACTION_SOURCES_WRITE), ==, 0);
    a = find(plan, DS_ACTION_PACKAGES, NULL);
    cmd = joined(a->argv);
    g_assert_cmpstr(cmd, ==,
                    "env DEBIAN_FRONTEND=noninteractive apt-get install -y "
                    "--allow-downgrades --no-install-recommends "
                    "-o Dpkg::Options::=--force-confdef "
                    "-o Dpkg::Options::=--force-confold -- "
                    "curl=7.88.1-10+deb12u8 libc6=2.36-9+deb12u7 "
                    "libfoo:i386- nginx=1.22.1-9 vim-tiny-");
    g_assert_cmpuint(g_strv_length(a->items), ==, 5);
    g_assert_nonnull(strstr(a->description, "1 install"));
    g_assert_nonnull(strstr(a->description, "1 upgrade"));
    g_assert_nonnull(strstr(a->description, "1 downgrade"));
    g_assert_nonnull(strstr(a->description, "2 removals"));
    /* apt-get update comes before the transaction. */
    g_assert_cmpint(nth(plan, 0)->kind, ==, DS_ACTION_APT_UPDATE);
    g_assert_true(nth(plan, 1) == a);

    /* Removals alone: no update needed, still one transaction. */
    {
        g_autoptr(ds_manifest) p2 = host(DS_ROLE_PROD);
        g_autoptr(ds_manifest) l2 = host(DS_ROLE_LAB);
        g_autoptr(ds_plan) plan2 = NULL;

        add_pkg(l2, "vim-tiny", "2:9.0.1378-2");
        normalise(l2);
        plan2 = build_ok(l2, p2, NULL);
        g_assert_cmpuint(plan2->actions->len, ==, 1);
        g_assert_cmpstr(nth(plan2, 0)->items[0], ==, "vim-tiny-");
    }
}

static void test_sources(void)
{
    g_autoptr(ds_manifest) prod = host(DS_ROLE_PROD);
    g_autoptr(ds_manifest) lab = host(DS_ROLE_LAB);
    g_autoptr(ds_ignore) ig = ds_ignore_new();
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_plan) plan = NULL;
    const char *sec = "deb http://security.debian.org/debian-security "
                      "bookworm-security main";
    const char *local = "deb [trusted=yes] file:/srv/local ./";
    const char *bpo =
        "deb http://deb.debian.org/debian bookworm-backports main";
    ds_action *w;
    gsize len;
    const char *data;

    g_ptr_array_add(prod->sources, g_strdup(sec));  /* added */
    g_ptr_array_add(lab->sources, g_strdup(bpo));   /* removed */
    g_ptr_array_add(lab->sources, g_strdup(local)); /* lab only, ignored */
    normalise(lab);
    normalise(prod);
    g_assert_cmpint(ds_ignore_add(ig, DS_CAT_SOURCES, "*file:/srv/*", &err), ==,
                    0);
    plan = build_ok(lab, prod, ig);

    g_assert_cmpuint(plan->actions->len, ==, 3);
    w = nth(plan, 0);
    g_assert_cmpint(w->kind, ==, DS_ACTION_SOURCES_WRITE);
    g_assert_cmpstr(w->path, ==, DS_PLAN_SOURCES_FILE);
    {
        g_autofree char *cmd = joined(w->argv);
        g_assert_cmpstr(cmd, ==,
                        "install -D -m 0644 -o root -g root -T -- "
                        "/dev/stdin " DS_PLAN_SOURCES_FILE);
    }
    /* The full desired set: prod's lines and the ignored lab line. */
    g_assert_cmpuint(g_strv_length(w->items), ==, 3);
    g_assert_true(g_strv_contains((const char *const *)w->items, sec));
    g_assert_true(g_strv_contains((const char *const *)w->items, local));
    g_assert_false(g_strv_contains((const char *const *)w->items, bpo));
    data = g_bytes_get_data(w->data, &len);
    g_assert_nonnull(g_strstr_len(data, (gssize)len, sec));
    g_assert_null(g_strstr_len(data, (gssize)len, bpo));
    g_assert_cmpint(data[len - 1], ==, '\n');
    /* The lab's other files set aside, but never the managed one. */
    g_assert_cmpint(nth(plan, 1)->kind, ==, DS_ACTION_SOURCES_DISABLE);
    {
        g_autofree char *cmd = joined(nth(plan, 1)->argv);
        g_assert_nonnull(strstr(cmd, "! -path " DS_PLAN_SOURCES_FILE));
        g_assert_nonnull(strstr(cmd, "mv -f -- {} {}" DS_PLAN_SOURCES_OFF));
    }
    g_assert_cmpint(nth(plan, 2)->kind, ==, DS_ACTION_APT_UPDATE);
}

/* A keyring prod's new source names is written before the sources and
 * apt-get update; other files stay in the files phase. */
static void test_keyring_first(void)
{
    g_autoptr(ds_manifest) prod = host(DS_ROLE_PROD);
    g_autoptr(ds_manifest) lab = host(DS_ROLE_LAB);
    g_autoptr(ds_plan) plan = NULL;
    ds_action *k;

    g_ptr_array_add(prod->sources,
                    g_strdup("deb [arch=amd64 signed-by=/usr/share/keyrings/"
                             "pgdg.gpg] http://apt.postgresql.org/pub/repos/"
                             "apt bookworm-pgdg main"));
    add_file(prod, "/usr/share/keyrings/pgdg.gpg", "KEY", 0644, "root", "root");
    add_file(prod, "/etc/app.conf", "x\n", 0644, "root", "root");
    add_pkg(prod, "postgresql-16", "16.4-1.pgdg120+2");
    normalise(prod);
    plan = build_ok(lab, prod, NULL);

    k = nth(plan, 0);
    g_assert_cmpint(k->kind, ==, DS_ACTION_FILE_WRITE);
    g_assert_cmpint(k->phase, ==, DS_PHASE_SOURCES);
    g_assert_cmpstr(k->path, ==, "/usr/share/keyrings/pgdg.gpg");
    g_assert_cmpint(nth(plan, 1)->kind, ==, DS_ACTION_SOURCES_WRITE);
    g_assert_cmpint(nth(plan, 2)->kind, ==, DS_ACTION_SOURCES_DISABLE);
    g_assert_cmpint(nth(plan, 3)->kind, ==, DS_ACTION_APT_UPDATE);
    g_assert_cmpint(nth(plan, 4)->kind, ==, DS_ACTION_PACKAGES);
    k = find(plan, DS_ACTION_FILE_WRITE, "/etc/app.conf");
    g_assert_nonnull(k);
    g_assert_cmpint(k->phase, ==, DS_PHASE_FILES);
    g_assert_cmpuint(count(plan, DS_ACTION_FILE_WRITE), ==, 2);
}

/* The sources-disable command run for real on a copy of /etc/apt layout:
 * the managed file stays, the others are renamed. */
static void test_sources_disable_runs(void)
{
    g_autoptr(ds_manifest) prod = host(DS_ROLE_PROD);
    g_autoptr(ds_manifest) lab = host(DS_ROLE_LAB);
    g_autoptr(ds_plan) plan = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = ds_test_tmpdir("ds-plan-XXXXXX");
    g_autofree char *apt = g_build_filename(dir, "etc", "apt", NULL);
    g_autofree char *d = g_build_filename(apt, "sources.list.d", NULL);
    g_autofree char *managed = NULL;
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    ds_run_result res = {0};
    ds_action *a;

    g_assert_no_error(err);
    g_ptr_array_add(prod->sources, g_strdup("deb http://x.example/ a b"));
    normalise(prod);
    plan = build_ok(lab, prod, NULL);
    a = find(plan, DS_ACTION_SOURCES_DISABLE, NULL);
    g_assert_nonnull(a);
    g_assert_cmpint(g_mkdir_with_parents(d, 0755), ==, 0);
    managed = g_strconcat(dir, DS_PLAN_SOURCES_FILE, NULL);
    for (const char *const *f =
             (const char *const[]){"sources.list", "sources.list.d/a.list",
                                   "sources.list.d/b.sources",
                                   "sources.list.d/keep.txt",
                                   "sources.list.d/driftsync.list", NULL};
         *f; f++) {
        g_autofree char *p = g_build_filename(apt, *f, NULL);
        g_assert_true(g_file_set_contents(p, "x\n", -1, NULL));
    }
    /* The same command, its fixed /etc/apt paths moved under dir. */
    for (guint i = 0; a->argv[i]; i++)
        g_ptr_array_add(argv, g_str_has_prefix(a->argv[i], "/etc/apt")
                                  ? g_strconcat(dir, a->argv[i], NULL)
                                  : g_strdup(a->argv[i]));
    g_ptr_array_add(argv, NULL);
    g_assert_cmpint(ds_transport_spawn((const char *const *)argv->pdata, NULL,
                                       NULL, &res, &err),
                    ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(res.status, ==, 0);
    ds_run_result_clear(&res);
    g_ptr_array_unref(argv);
    for (const char *const *f =
             (const char *const[]){"sources.list.driftsync-off",
                                   "sources.list.d/a.list.driftsync-off",
                                   "sources.list.d/b.sources.driftsync-off",
                                   "sources.list.d/keep.txt", NULL};
         *f; f++) {
        g_autofree char *p = g_build_filename(apt, *f, NULL);
        g_assert_true(g_file_test(p, G_FILE_TEST_EXISTS));
    }
    g_assert_true(g_file_test(managed, G_FILE_TEST_EXISTS));
    {
        g_autofree char *p = g_build_filename(apt, "sources.list", NULL);
        g_assert_false(g_file_test(p, G_FILE_TEST_EXISTS));
    }
    {
        const char *rm[] = {"rm", "-rf", "--", dir, NULL};
        g_assert_cmpint(ds_transport_spawn(rm, NULL, NULL, &res, NULL), ==, 0);
        ds_run_result_clear(&res);
    }
}

static void test_files(void)
{
    g_autoptr(ds_manifest) prod = host(DS_ROLE_PROD);
    g_autoptr(ds_manifest) lab = host(DS_ROLE_LAB);
    g_autoptr(ds_plan) plan = NULL;
    ds_file *f;
    ds_action *a;

    /* New file with its mode and owner. */
    add_file(prod, "/etc/nginx/nginx.conf", "worker 4;\n", 0640, "www-data",
             "adm");
    /* Only the mode and the group differ. */
    add_file(prod, "/etc/default/app", "A=1\n", 0600, "root", "adm");
    add_file(lab, "/etc/default/app", "A=1\n", 0644, "root", "root");
    /* Only in the lab. */
    add_file(lab, "/etc/old.conf", "old\n", 0644, "root", "root");
    /* A link pointing elsewhere. */
    f = ds_file_new("/etc/nginx/sites-enabled/default");
    f->type = DS_FILE_SYMLINK;
    f->target = g_strdup("../sites-available/default");
    f->mode = 0777;
    f->owner = g_strdup("root");
    f->group = g_strdup("root");
    g_ptr_array_add(prod->files, f);
    /* A secret that differs, and one that only changed mode. */
    f = ds_file_new("/etc/shadow");
    f->secret = true;
    f->hmac = g_strdup("aa");
    f->mode = 0640;
    f->owner = g_strdup("root");
    f->group = g_strdup("shadow");
    g_ptr_array_add(prod->files, f);
    f = ds_file_new("/etc/shadow");
    f->secret = true;
    f->hmac = g_strdup("bb");
    f->mode = 0640;
    f->owner = g_strdup("root");
    f->group = g_strdup("shadow");
    g_ptr_array_add(lab->files, f);
    f = ds_file_new("/etc/ssl/private/k.pem");
    f->secret = true;
    f->hmac = g_strdup("cc");
    f->mode = 0600;
    f->owner = g_strdup("root");
    f->group = g_strdup("root");
    g_ptr_array_add(prod->files, f);
    f = ds_file_new("/etc/ssl/private/k.pem");
    f->secret = true;
    f->hmac = g_strdup("cc");
    f->mode = 0640;
    f->owner = g_strdup("root");
    f->group = g_strdup("root");
    g_ptr_array_add(lab->files, f);
    /* Content differs but none was captured. */
    f = add_file(prod, "/etc/hosts", "127.0.0.1 a\n", 0644, "root", "root");
    g_clear_pointer(&f->content_ref, g_free);
    g_clear_pointer(&f->content, g_bytes_unref);
    add_file(lab, "/etc/hosts", "127.0.0.1 b\n", 0644, "root", "root");
    normalise(lab);
    normalise(prod);
    plan = build_ok(lab, prod, NULL);

    a = find(plan, DS_ACTION_FILE_WRITE, "/etc/nginx/nginx.conf");
    g_assert_nonnull(a);
    {
        g_autofree char *cmd = joined(a->argv);
        g_assert_cmpstr(cmd, ==,
                        "install -D -m 0640 -o www-data -g adm -T -- "
                        "/dev/stdin /etc/nginx/nginx.conf");
    }
    g_assert_cmpuint(a->mode, ==, 0640);
    g_assert_cmpstr(a->owner, ==, "www-data");
    g_assert_cmpstr(a->group, ==, "adm");
    g_assert_cmpstr(a->content_ref, ==,
                    "0123456789abcdef0123456789abcdef01234567");
    g_assert_cmpstr(a->store_path, ==, "files/prod/web01/etc/nginx/nginx.conf");
    g_assert_null(a->data); /* until ds_plan_load_contents */

    /* Attributes only: chown and chmod, no rewrite. */
    g_assert_null(find(plan, DS_ACTION_FILE_WRITE, "/etc/default/app"));
    {
        g_autofree char *c1 = NULL, *c2 = NULL;
        guint seen = 0;

        for (guint i = 0; i < plan->actions->len; i++) {
            a = nth(plan, i);
            if (a->kind != DS_ACTION_FILE_ATTR ||
                g_strcmp0(a->path, "/etc/default/app"))
                continue;
            if (seen++)
                c2 = joined(a->argv);
            else
                c1 = joined(a->argv);
        }
        g_assert_cmpuint(seen, ==, 2);
        g_assert_cmpstr(c1, ==, "chown -- root:adm /etc/default/app");
        g_assert_cmpstr(c2, ==, "chmod -- 0600 /etc/default/app");
    }
    a = find(plan, DS_ACTION_FILE_REMOVE, "/etc/old.conf");
    g_assert_nonnull(a);
    {
        g_autofree char *cmd = joined(a->argv);
        g_assert_cmpstr(cmd, ==, "rm -f -- /etc/old.conf");
    }
    a = find(plan, DS_ACTION_FILE_LINK, "/etc/nginx/sites-enabled/default");
    g_assert_nonnull(a);
    {
        g_autofree char *cmd = joined(a->argv);
        g_assert_cmpstr(cmd, ==,
                        "ln -sfT -- ../sites-available/default "
                        "/etc/nginx/sites-enabled/default");
    }
    /* Secrets: not replayable, counted, no command. */
    a = find(plan, DS_ACTION_MANUAL, "/etc/shadow");
    g_assert_nonnull(a);
    g_assert_null(a->argv);
    g_assert_nonnull(strstr(a->description,
                            "secret file differs: cannot be "
                            "replayed, must be copied by hand"));
    /* ...but a secret whose mode alone differs gets its chmod. */
    a = find(plan, DS_ACTION_FILE_ATTR, "/etc/ssl/private/k.pem");
    g_assert_nonnull(a);
    g_assert_null(find(plan, DS_ACTION_MANUAL, "/etc/ssl/private/k.pem"));
    a = find(plan, DS_ACTION_MANUAL, "/etc/hosts");
    g_assert_nonnull(a);
    g_assert_nonnull(strstr(a->description, "not stored"));
    g_assert_cmpuint(plan->manual, ==, 2);
    g_assert_cmpuint(count(plan, DS_ACTION_MANUAL), ==, 2);
    /* No systemd unit touched: no daemon-reload. */
    g_assert_null(find(plan, DS_ACTION_SERVICE, NULL));
}

/* The file actions run for real (as the executor will: argv + data) on a
 * scratch tree standing in for the lab's root. */
static void test_files_run(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = ds_test_tmpdir("ds-plan-XXXXXX");
    g_autofree char *conf =
        g_build_filename(dir, "etc", "app", "app.conf", NULL);
    g_autofree char *link =
        g_build_filename(dir, "etc", "app", "current", NULL);
    g_autofree char *old = g_build_filename(dir, "old.conf", NULL);
    g_autoptr(ds_manifest) prod = ds_manifest_new("web01", DS_ROLE_PROD);
    g_autoptr(ds_manifest) lab = ds_manifest_new("web01", DS_ROLE_LAB);
    g_autoptr(ds_plan) plan = NULL;
    g_autofree char *got = NULL;
    g_autofree char *target = NULL;
    ds_file *f;
    struct stat sb;

    g_assert_no_error(err);
    if (geteuid() != 0) {
        g_test_skip("install -o/-g needs root");
        return;
    }
    f = add_file(prod, conf, "listen 80;\n", 0640, "root", "daemon");
    f = ds_file_new(link);
    f->type = DS_FILE_SYMLINK;
    f->target = g_strdup("app.conf");
    f->owner = g_strdup("root");
    f->group = g_strdup("root");
    g_ptr_array_add(prod->files, f);
    add_file(lab, old, "x\n", 0644, "root", "root");
    normalise(prod);
    normalise(lab);
    g_assert_true(g_file_set_contents(old, "x\n", -1, NULL));
    plan = build_ok(lab, prod, NULL);
    g_assert_cmpuint(plan->actions->len, ==, 3);
    for (guint i = 0; i < plan->actions->len; i++) {
        ds_action *a = nth(plan, i);
        g_autoptr(GBytes) data = NULL;
        ds_run_result res = {0};

        if (a->kind == DS_ACTION_FILE_WRITE)
            data = g_bytes_new_static("listen 80;\n", 11);
        g_assert_cmpint(ds_transport_spawn((const char *const *)a->argv, data,
                                           NULL, &res, &err),
                        ==, 0);
        g_assert_no_error(err);
        if (res.status != 0)
            g_error("%s: %.*s", a->description, (int)g_bytes_get_size(res.err),
                    (const char *)g_bytes_get_data(res.err, NULL));
        ds_run_result_clear(&res);
    }
    g_assert_true(g_file_get_contents(conf, &got, NULL, NULL));
    g_assert_cmpstr(got, ==, "listen 80;\n");
    g_assert_cmpint(g_stat(conf, &sb), ==, 0);
    g_assert_cmpuint(sb.st_mode & 07777, ==, 0640);
    g_assert_cmpuint(sb.st_gid, ==, 1); /* daemon */
    target = g_file_read_link(link, NULL);
    g_assert_cmpstr(target, ==, "app.conf");
    g_assert_false(g_file_test(old, G_FILE_TEST_EXISTS));
    {
        const char *rm[] = {"rm", "-rf", "--", dir, NULL};
        ds_run_result res = {0};
        g_assert_cmpint(ds_transport_spawn(rm, NULL, NULL, &res, NULL), ==, 0);
        ds_run_result_clear(&res);
    }
}

static void test_services(void)
{
    g_autoptr(ds_manifest) prod = host(DS_ROLE_PROD);
    g_autoptr(ds_manifest) lab = host(DS_ROLE_LAB);
    g_autoptr(ds_plan) plan = NULL;
    g_autoptr(GString) cmds = g_string_new(NULL);

    add_svc(prod, "nginx.service", "enabled", "active");   /* added */
    add_svc(prod, "apache2.service", "enabled", "active"); /* unmasked */
    add_svc(lab, "apache2.service", "masked", "inactive");
    add_svc(prod, "cron.service", "disabled", "inactive"); /* off */
    add_svc(lab, "cron.service", "enabled", "active");
    add_svc(lab, "exim4.service", "enabled", "active"); /* lab only */
    add_file(prod, "/etc/systemd/system/app.service", "[Unit]\n", 0644, "root",
             "root");
    normalise(lab);
    normalise(prod);
    plan = build_ok(lab, prod, NULL);

    for (guint i = 0; i < plan->actions->len; i++) {
        ds_action *a = nth(plan, i);
        g_autofree char *c = NULL;

        if (a->phase != DS_PHASE_SERVICES)
            continue;
        c = a->argv ? joined(a->argv) : g_strdup("MANUAL");
        g_string_append_printf(cmds, "%s\n", c);
    }
    g_assert_cmpstr(cmds->str, ==,
                    "systemctl daemon-reload\n"
                    "systemctl unmask -- apache2.service\n"
                    "systemctl enable -- apache2.service\n"
                    "systemctl start -- apache2.service\n"
                    "systemctl disable -- cron.service\n"
                    "systemctl stop -- cron.service\n"
                    "MANUAL\n"
                    "systemctl enable -- nginx.service\n"
                    "systemctl start -- nginx.service\n");
    g_assert_nonnull(strstr(find(plan, DS_ACTION_MANUAL, NULL)->description,
                            "exim4.service"));
}

static void test_reboot(void)
{
    g_autoptr(ds_manifest) prod = host(DS_ROLE_PROD);
    g_autoptr(ds_manifest) lab = host(DS_ROLE_LAB);
    g_autoptr(ds_ignore) ig = ds_ignore_new();
    g_autoptr(GError) err = NULL;

    g_free(lab->kernel.running);
    lab->kernel.running = g_strdup("6.1.0-27-amd64");
    {
        g_autoptr(ds_plan) plan = build_ok(lab, prod, NULL);

        g_assert_cmpuint(plan->actions->len, ==, 1);
        g_assert_cmpint(nth(plan, 0)->kind, ==, DS_ACTION_REBOOT);
        g_assert_cmpint(nth(plan, 0)->phase, ==, DS_PHASE_REBOOT);
    }
    /* A prod host whose running kernel is unknown: nothing to reboot to. */
    {
        g_autoptr(ds_manifest) p2 = host(DS_ROLE_PROD);
        g_autoptr(ds_plan) plan = NULL;

        g_clear_pointer(&p2->kernel.running, g_free);
        plan = build_ok(lab, p2, NULL);
        g_assert_null(find(plan, DS_ACTION_REBOOT, NULL));
    }
    /* Kernels matched by the ignore rules: no reboot. */
    g_assert_cmpint(ds_ignore_add(ig, DS_CAT_KERNEL, "6.1.0-*", &err), ==, 0);
    {
        g_autoptr(ds_plan) plan = build_ok(lab, prod, ig);
        g_assert_true(ds_plan_is_empty(plan));
    }
}

static void test_ignore(void)
{
    g_autoptr(ds_manifest) prod = host(DS_ROLE_PROD);
    g_autoptr(ds_manifest) lab = host(DS_ROLE_LAB);
    g_autoptr(ds_ignore) ig = ds_ignore_new();
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_plan) plan = NULL;
    ds_action *a;

    add_pkg(prod, "linux-image-6.1.0-28-amd64", "6.1.119-1");
    add_pkg(prod, "nginx", "1.22.1-9");
    add_file(prod, "/etc/hostname", "web01\n", 0644, "root", "root");
    add_file(lab, "/etc/hostname", "web01-lab\n", 0644, "root", "root");
    add_svc(prod, "getty@tty1.service", "enabled", "active");
    normalise(prod);
    normalise(lab);
    g_assert_cmpint(ds_ignore_add(ig, DS_CAT_PACKAGES, "linux-image-*", &err),
                    ==, 0);
    g_assert_cmpint(ds_ignore_add(ig, DS_CAT_FILES, "/etc/hostname", &err), ==,
                    0);
    g_assert_cmpint(ds_ignore_add(ig, DS_CAT_SERVICES, "getty@*", &err), ==, 0);
    plan = build_ok(lab, prod, ig);
    g_assert_cmpuint(plan->actions->len, ==, 2); /* update, transaction */
    a = find(plan, DS_ACTION_PACKAGES, NULL);
    g_assert_cmpuint(g_strv_length(a->items), ==, 1);
    g_assert_cmpstr(a->items[0], ==, "nginx=1.22.1-9");

    /* Everything that differs ignored: nothing to do. */
    g_assert_cmpint(ds_ignore_add(ig, DS_CAT_PACKAGES, "nginx", &err), ==, 0);
    {
        g_autoptr(ds_plan) p2 = build_ok(lab, prod, ig);
        g_assert_true(ds_plan_is_empty(p2));
    }
}

/* One hostile value in one place of prod (or the lab); the plan must
 * fail, naming the host and the value. */
typedef struct hostile_case {
    const char *what;
    const char *value;
    void (*apply)(ds_manifest *prod, ds_manifest *lab, const char *value);
} hostile_case;

static void h_pkg(ds_manifest *p, ds_manifest *l, const char *v)
{
    (void)l;
    add_pkg(p, v, "1.0-1");
}
static void h_pkg_lab(ds_manifest *p, ds_manifest *l, const char *v)
{
    (void)p;
    add_pkg(l, v, "1.0-1");
}
static void h_version(ds_manifest *p, ds_manifest *l, const char *v)
{
    (void)l;
    add_pkg(p, "nginx", v);
}
static void h_path(ds_manifest *p, ds_manifest *l, const char *v)
{
    (void)l;
    add_file(p, v, "x\n", 0644, "root", "root");
}
static void h_path_lab(ds_manifest *p, ds_manifest *l, const char *v)
{
    (void)p;
    add_file(l, v, "x\n", 0644, "root", "root");
}
static void h_owner(ds_manifest *p, ds_manifest *l, const char *v)
{
    (void)l;
    add_file(p, "/etc/x.conf", "x\n", 0644, v, "root");
}
static void h_group(ds_manifest *p, ds_manifest *l, const char *v)
{
    (void)l;
    add_file(p, "/etc/x.conf", "x\n", 0644, "root", v);
}
static void h_target(ds_manifest *p, ds_manifest *l, const char *v)
{
    ds_file *f = ds_file_new("/etc/x.link");

    (void)l;
    f->type = DS_FILE_SYMLINK;
    f->target = g_strdup(v);
    g_ptr_array_add(p->files, f);
}
static void h_service(ds_manifest *p, ds_manifest *l, const char *v)
{
    (void)l;
    add_svc(p, v, "enabled", "active");
}
static void h_service_lab(ds_manifest *p, ds_manifest *l, const char *v)
{
    add_svc(p, v, "enabled", "active");
    add_svc(l, v, "disabled", "active");
}
static void h_source(ds_manifest *p, ds_manifest *l, const char *v)
{
    (void)l;
    g_ptr_array_add(p->sources, g_strdup(v));
}

static void test_hostile(void)
{
    static const hostile_case cases[] = {
        {"package", "-oAPT::Get::Assume-Yes=false", h_pkg},
        {"package", "nginx;reboot", h_pkg},
        {"package", "--purge", h_pkg_lab},
        {"version", "1.0 --reinstall", h_version},
        {"version", "-1", h_version},
        {"path", "etc/relative", h_path},
        {"path", "/etc/../root/.ssh/authorized_keys", h_path},
        {"path", "/etc/new\nline", h_path_lab},
        {"owner", "-R", h_owner},
        {"owner", "root:root", h_owner},
        {"group", "adm --reference=/x", h_group},
        {"link target", "/etc/a\nb", h_target},
        {"service", "-H.service", h_service},
        {"service", "a b.service", h_service_lab},
        {"service", "--now", h_service},
        {"source", "deb http://x/ a\ndeb http://evil/ b c", h_source},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(ds_manifest) prod = host(DS_ROLE_PROD);
        g_autoptr(ds_manifest) lab = host(DS_ROLE_LAB);
        g_autoptr(GError) err = NULL;
        ds_plan *plan = (ds_plan *)&err; /* must come back NULL */
        g_autofree char *shown = g_strescape(cases[i].value, NULL);

        cases[i].apply(prod, lab, cases[i].value);
        normalise(prod); /* sorts; it does not judge names */
        normalise(lab);
        g_assert_cmpint(ds_plan_build(&plan, lab, prod, NULL, &err), ==,
                        DS_EINVALID);
        g_assert_null(plan);
        g_assert_nonnull(err);
        g_assert_null(strchr(err->message, '\n'));
        if (!g_str_has_prefix(err->message, "web01: "))
            g_error("%s '%s': message without the host: %s", cases[i].what,
                    shown, err->message);
        if (!strstr(err->message, shown))
            g_error("%s '%s': message without the name: %s", cases[i].what,
                    shown, err->message);
        g_assert_cmpint(ds_error_code_of(err), ==, DS_EINVALID);
    }
    /* Another host's lab is refused too. */
    {
        g_autoptr(ds_manifest) prod = host(DS_ROLE_PROD);
        g_autoptr(ds_manifest) lab = host(DS_ROLE_LAB);
        g_autoptr(GError) err = NULL;
        ds_plan *plan = NULL;

        g_free(lab->host);
        lab->host = g_strdup("db01");
        g_assert_cmpint(ds_plan_build(&plan, lab, prod, NULL, &err), ==,
                        DS_EINVALID);
        g_assert_null(plan);
    }
}

static void test_json(void)
{
    g_autoptr(ds_manifest) prod = host(DS_ROLE_PROD);
    g_autoptr(ds_manifest) lab = host(DS_ROLE_LAB);
    g_autoptr(ds_plan) plan = NULL;
    ds_file *f;
    json_t *j, *acts, *a;

    add_pkg(prod, "nginx", "1.22.1-9");
    f = ds_file_new("/etc/shadow");
    f->secret = true;
    f->hmac = g_strdup("aa");
    f->mode = 0640;
    g_ptr_array_add(prod->files, f);
    add_file(prod, "/etc/app.conf", "x\n", 0600, "root", "adm");
    normalise(prod);
    plan = build_ok(lab, prod, NULL);
    j = ds_plan_to_json(plan);
    g_assert_nonnull(j);
    g_assert_cmpstr(json_string_value(json_object_get(j, "host")), ==, "web01");
    g_assert_true(json_is_true(json_object_get(j, "drift")));
    g_assert_cmpint(json_integer_value(json_object_get(j, "manual")), ==, 1);
    acts = json_object_get(j, "actions");
    g_assert_cmpuint(json_array_size(acts), ==, plan->actions->len);
    g_assert_cmpint(json_integer_value(json_object_get(j, "count")), ==,
                    (json_int_t)plan->actions->len);
    a = json_array_get(acts, 1);
    g_assert_cmpstr(json_string_value(json_object_get(a, "kind")), ==,
                    "packages");
    g_assert_cmpstr(json_string_value(json_object_get(a, "phase")), ==,
                    "packages");
    g_assert_cmpint(json_integer_value(json_object_get(a, "step")), ==, 2);
    g_assert_cmpstr(
        json_string_value(json_array_get(json_object_get(a, "requests"), 0)),
        ==, "nginx=1.22.1-9");
    a = json_array_get(acts, 2);
    g_assert_cmpstr(json_string_value(json_object_get(a, "path")), ==,
                    "/etc/app.conf");
    g_assert_cmpstr(json_string_value(json_object_get(a, "mode")), ==, "0600");
    g_assert_cmpstr(json_string_value(json_object_get(a, "group")), ==, "adm");
    g_assert_cmpstr(json_string_value(json_object_get(a, "store_path")), ==,
                    "files/prod/web01/etc/app.conf");
    a = json_array_get(acts, 3);
    g_assert_cmpstr(json_string_value(json_object_get(a, "kind")), ==,
                    "manual");
    g_assert_true(json_is_false(json_object_get(a, "applicable")));
    g_assert_null(json_object_get(a, "argv"));
    json_decref(j);
    {
        g_autoptr(ds_manifest) l2 = host(DS_ROLE_LAB);
        g_autoptr(ds_plan) empty = build_ok(l2, l2, NULL);

        j = ds_plan_to_json(empty);
        g_assert_true(json_is_false(json_object_get(j, "drift")));
        g_assert_cmpuint(json_array_size(json_object_get(j, "actions")), ==, 0);
        json_decref(j);
    }
}

/* Contents come from a real store; one the store lacks becomes MANUAL. */
static void test_load_contents(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = ds_test_tmpdir("ds-plan-store-XXXXXX");
    g_autofree char *path = g_build_filename(dir, "store", NULL);
    g_autoptr(ds_store) st = NULL;
    g_autoptr(ds_store_txn) txn = NULL;
    g_autoptr(ds_manifest) prod = host(DS_ROLE_PROD);
    g_autoptr(ds_manifest) lab = host(DS_ROLE_LAB);
    g_autoptr(ds_plan) plan = NULL;
    g_autofree char *oid = NULL;
    ds_file *f;
    ds_action *a;
    const char *data;
    gsize len;

    g_assert_no_error(err);
    g_assert_cmpint(ds_store_init(path, &err), ==, 0);
    g_assert_cmpint(ds_store_open(&st, path, &err), ==, 0);
    add_file(prod, "/etc/nginx/nginx.conf", "worker 4;\n", 0640, "root", "adm");
    /* A content reference without content: the store keeps nothing. */
    f = add_file(prod, "/etc/gone.conf", "gone\n", 0644, "root", "root");
    g_clear_pointer(&f->content, g_bytes_unref);
    normalise(prod);
    g_assert_cmpint(ds_store_txn_begin(&txn, st, &err), ==, 0);
    g_assert_cmpint(ds_store_txn_put(txn, prod, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(
        ds_store_txn_commit(&oid, txn, "record", "run-1", NULL, &err), ==, 0);
    g_assert_no_error(err);

    plan = build_ok(lab, prod, NULL);
    g_assert_cmpuint(count(plan, DS_ACTION_FILE_WRITE), ==, 2);
    g_assert_cmpint(ds_plan_load_contents(plan, st, oid, &err), ==, 0);
    g_assert_no_error(err);
    a = find(plan, DS_ACTION_FILE_WRITE, "/etc/nginx/nginx.conf");
    g_assert_nonnull(a);
    g_assert_nonnull(a->data);
    data = g_bytes_get_data(a->data, &len);
    g_assert_cmpmem(data, len, "worker 4;\n", 10);
    a = find(plan, DS_ACTION_MANUAL, "/etc/gone.conf");
    g_assert_nonnull(a);
    g_assert_null(a->argv);
    g_assert_cmpuint(plan->manual, ==, 1);
    {
        const char *rm[] = {"rm", "-rf", "--", dir, NULL};
        ds_run_result res = {0};
        g_assert_cmpint(ds_transport_spawn(rm, NULL, NULL, &res, NULL), ==, 0);
        ds_run_result_clear(&res);
    }
}

static void test_free_null(void)
{
    ds_plan *plan = (ds_plan *)1;
    g_autoptr(GError) err = NULL;

    ds_plan_free(NULL);
    ds_action_free(NULL);
    g_assert_true(ds_plan_is_empty(NULL));
    g_assert_cmpint(ds_plan_build(&plan, NULL, NULL, NULL, &err), ==,
                    DS_EINVALID);
    g_assert_null(plan);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/plan/equal", test_equal);
    g_test_add_func("/plan/order", test_order);
    g_test_add_func("/plan/packages", test_packages);
    g_test_add_func("/plan/sources", test_sources);
    g_test_add_func("/plan/sources-disable-runs", test_sources_disable_runs);
    g_test_add_func("/plan/keyring-first", test_keyring_first);
    g_test_add_func("/plan/files", test_files);
    g_test_add_func("/plan/files-run", test_files_run);
    g_test_add_func("/plan/services", test_services);
    g_test_add_func("/plan/reboot", test_reboot);
    g_test_add_func("/plan/ignore", test_ignore);
    g_test_add_func("/plan/hostile", test_hostile);
    g_test_add_func("/plan/json", test_json);
    g_test_add_func("/plan/load-contents", test_load_contents);
    g_test_add_func("/plan/free-null", test_free_null);
    return g_test_run();
}
