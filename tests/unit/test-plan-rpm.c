/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-plan-rpm.c: an rpm host's plan: the .repo file written
 * from prod's repositories, keys first, one dnf transaction (versions
 * across an epoch, install-only packages), versionlock around it, the
 * same tail as dpkg; hostile values refused when planned and when the
 * step is about to run; mixed platforms refused. */
#include <config.h>

#include <string.h>

#include "drivers/platform-rpm-apply.h"
#include "manifests/util/error.h"
#include "manifests/version.h"
#include "sync/engine/sync.h"
#include "sync/plan/plan.h"
#include "tests/unit/testutil.h"

static ds_package *add_pkg(ds_manifest *m, const char *key, const char *evr)
{
    const char *arch = strrchr(key, '.') + 1;
    ds_package *p = ds_package_new(key, evr, arch, NULL);

    g_ptr_array_add(m->packages, p);
    return p;
}

static ds_manifest *host(ds_role role)
{
    ds_manifest *m = ds_manifest_new("rh01", role);

    m->platform = g_strdup(DS_PLATFORM_RPM);
    m->kernel.running = g_strdup("5.14.0-362.el9.x86_64");
    m->os.id = g_strdup("rocky");
    m->os.version = g_strdup("9.3");
    add_pkg(m, "bash.x86_64", "5.1.8-9.el9");
    g_ptr_array_add(m->sources,
                    g_strdup("repo baseos gpgcheck=1 gpgkey=file:///etc/pki/rpm-gpg/KEY mirrorlist=https://m.example.org/?repo=BaseOS-$releasever"));
    return m;
}

static void normalise(ds_manifest *m)
{
    g_autoptr(GError) e = NULL;

    g_assert_cmpint(ds_manifest_normalise(m, &e), ==, 0);
}

static ds_plan *build(const ds_manifest *lab, const ds_manifest *prod)
{
    g_autoptr(GError) e = NULL;
    ds_plan *p = NULL;

    if (ds_plan_build(&p, lab, prod, NULL, &e) < 0)
        g_error("plan: %s", e->message);
    return p;
}

static const ds_action *find_kind(const ds_plan *p, ds_action_kind k, guint n)
{
    for (guint i = 0; i < p->actions->len; i++) {
        const ds_action *a = p->actions->pdata[i];

        if (a->kind == k && n-- == 0)
            return a;
    }
    return NULL;
}

static void test_transaction(void)
{
    g_autoptr(ds_manifest) lab = host(DS_ROLE_LAB);
    g_autoptr(ds_manifest) prod = host(DS_ROLE_PROD);
    g_autoptr(ds_plan) plan = NULL;
    const ds_action *a;
    ds_package *k;
    static const char *const want[] = {
        "downgrade ds-e-0:3.0-1.noarch",
        "remove ds-gone.noarch",
        "install ds-new-2:1.0-1.el9.x86_64",
        "upgrade ds-up-0:2.0-1.noarch",
        "install kernel-core-0:5.14.0-400.el9.x86_64",
        "remove kernel-core-0:5.14.0-100.el9.x86_64",
        NULL,
    };
    g_autoptr(GError) e = NULL;

    if (!ds_rpm_vercmp_available()) {
        g_test_skip("built without librpm");
        return;
    }
    add_pkg(lab, "ds-e.noarch", "1:0.5-1");
    add_pkg(prod, "ds-e.noarch", "3.0-1");
    add_pkg(lab, "ds-gone.noarch", "1.0-1");
    add_pkg(prod, "ds-new.x86_64", "2:1.0-1.el9");
    add_pkg(lab, "ds-up.noarch", "1.0-1");
    add_pkg(prod, "ds-up.noarch", "2.0-1");
    /* an epoch of 0 written or not is one version: nothing to do */
    add_pkg(lab, "ds-same.noarch", "0:1.0-1");
    add_pkg(prod, "ds-same.noarch", "1.0-1");
    k = add_pkg(lab, "kernel-core.x86_64", "5.14.0-362.el9");
    k->other_versions = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(k->other_versions, g_strdup("5.14.0-100.el9"));
    k = add_pkg(prod, "kernel-core.x86_64", "5.14.0-400.el9");
    k->other_versions = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(k->other_versions, g_strdup("5.14.0-362.el9"));
    normalise(lab);
    normalise(prod);
    plan = build(lab, prod);
    a = find_kind(plan, DS_ACTION_PACKAGES, 0);
    g_assert_nonnull(a);
    g_assert_null(find_kind(plan, DS_ACTION_PACKAGES, 1)); /* ONE */
    g_assert_null(find_kind(plan, DS_ACTION_APT_UPDATE, 0));
    g_assert_cmpstr(a->description, ==,
                    "one dnf transaction: 2 installs, 1 upgrade, 1 downgrade, 2 removals");
    g_assert_cmpuint(g_strv_length(a->items), ==, 6);
    for (guint i = 0; want[i]; i++)
        g_assert_cmpstr(a->items[i], ==, want[i]);
    g_assert_cmpstr(a->details[0], ==, "downgrade ds-e.noarch 1:0.5-1 -> 3.0-1");
    g_assert_cmpstr(a->argv[0], ==, "dnf");
    g_assert_cmpstr(a->argv[g_strv_length(a->argv) - 1], ==, DS_RPM_TX_FILE);
    /* the engine accepts the step as planned... */
    {
        ds_step_failure *f = NULL;
        ds_action *bad = g_new0(ds_action, 1);

        /* ...and refuses it changed: another command, a hostile line */
        bad->kind = DS_ACTION_PACKAGES;
        bad->description = g_strdup("x");
        bad->argv = g_strdupv(a->argv);
        g_free(bad->argv[1]);
        bad->argv[1] = g_strdup("--setopt=tsflags=noscripts");
        bad->items = g_strdupv(a->items);
        g_assert_cmpint(ds_sync_apply_action(&f, NULL, bad, 1, NULL, NULL, &e),
                        ==, DS_EINVALID);
        g_assert_nonnull(strstr(e->message, "refusing dnf command"));
        g_clear_error(&e);
        g_strfreev(bad->argv);
        bad->argv = g_strdupv(a->argv);
        g_free(bad->items[0]);
        bad->items[0] = g_strdup("install /etc/shadow");
        g_assert_cmpint(ds_sync_apply_action(&f, NULL, bad, 1, NULL, NULL, &e),
                        ==, DS_EINVALID);
        g_assert_nonnull(strstr(e->message, "refusing transaction line 'install /etc/shadow'"));
        g_assert_null(f);
        ds_action_free(bad);
    }
}

static void test_repos(void)
{
    g_autoptr(ds_manifest) lab = host(DS_ROLE_LAB);
    g_autoptr(ds_manifest) prod = host(DS_ROLE_PROD);
    g_autoptr(ds_plan) plan = NULL;
    const ds_action *w, *off, *key;
    g_autofree char *text = NULL;
    ds_file *f = ds_file_new("/etc/pki/rpm-gpg/KEY");

    f->sha256 = g_strdup("0000000000000000000000000000000000000000000000000000000000000000");
    f->content_ref = g_strdup("0123456789abcdef0123456789abcdef01234567");
    f->mode = 0644;
    f->owner = g_strdup("root");
    f->group = g_strdup("root");
    g_ptr_array_add(prod->files, f);
    g_ptr_array_add(prod->sources,
                    g_strdup("repo app baseurl=https://r.example.com/el9/,https://b.example.com/el9/ exclude=foo* bar gpgcheck=0 priority=10"));
    normalise(lab);
    normalise(prod);
    plan = build(lab, prod);
    w = find_kind(plan, DS_ACTION_SOURCES_WRITE, 0);
    off = find_kind(plan, DS_ACTION_SOURCES_DISABLE, 0);
    key = find_kind(plan, DS_ACTION_FILE_WRITE, 0);
    g_assert_nonnull(w);
    g_assert_nonnull(off);
    g_assert_nonnull(key);
    /* the key prod's repository names comes first */
    g_assert_cmpint(key->phase, ==, DS_PHASE_SOURCES);
    g_assert_true(plan->actions->pdata[0] == key);
    g_assert_cmpstr(w->path, ==, DS_PLAN_REPOS_FILE);
    g_assert_cmpstr(w->description, ==,
                    "write prod's 2 repositories to /etc/yum.repos.d/driftsync.repo (1 added, 0 removed)");
    text = g_strndup(g_bytes_get_data(w->data, NULL), g_bytes_get_size(w->data));
    g_assert_cmpstr(text, ==,
                    "# Managed by driftsync: the enabled repositories of the production host.\n"
                    "\n[app]\nname=app\nenabled=1\n"
                    "baseurl=https://r.example.com/el9/,https://b.example.com/el9/\n"
                    "exclude=foo* bar\ngpgcheck=0\npriority=10\n"
                    "\n[baseos]\nname=baseos\nenabled=1\ngpgcheck=1\n"
                    "gpgkey=file:///etc/pki/rpm-gpg/KEY\n"
                    "mirrorlist=https://m.example.org/?repo=BaseOS-$releasever\n");
    g_assert_cmpstr(off->argv[0], ==, "find");
    g_assert_cmpstr(off->argv[1], ==, "/etc/yum.repos.d");
    g_assert_null(find_kind(plan, DS_ACTION_PACKAGES, 0));
}

static void test_locks(void)
{
    g_autoptr(ds_manifest) lab = host(DS_ROLE_LAB);
    g_autoptr(ds_manifest) prod = host(DS_ROLE_PROD);
    g_autoptr(ds_plan) plan = NULL;
    const ds_action *del, *add, *tx;
    guint idel = 0, iadd = 0, itx = 0;

    if (!ds_rpm_vercmp_available()) {
        g_test_skip("built without librpm");
        return;
    }
    add_pkg(lab, "ds-up.noarch", "1.0-1");
    add_pkg(prod, "ds-up.noarch", "2.0-1");
    add_pkg(lab, "ds-keep.noarch", "1.0-1");
    add_pkg(prod, "ds-keep.noarch", "1.0-1");
    lab->holds = g_ptr_array_new_with_free_func(g_free);
    prod->holds = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(lab->holds, g_strdup("ds-up.noarch"));
    g_ptr_array_add(prod->holds, g_strdup("ds-up.noarch"));
    g_ptr_array_add(prod->holds, g_strdup("ds-keep.noarch"));
    normalise(lab);
    normalise(prod);
    plan = build(lab, prod);
    del = find_kind(plan, DS_ACTION_VERSIONLOCK, 0);
    add = find_kind(plan, DS_ACTION_VERSIONLOCK, 1);
    tx = find_kind(plan, DS_ACTION_PACKAGES, 0);
    g_assert_nonnull(del);
    g_assert_nonnull(add);
    g_assert_nonnull(tx);
    for (guint i = 0; i < plan->actions->len; i++) {
        idel = plan->actions->pdata[i] == del ? i : idel;
        iadd = plan->actions->pdata[i] == add ? i : iadd;
        itx = plan->actions->pdata[i] == tx ? i : itx;
    }
    g_assert_cmpuint(idel, <, itx);
    g_assert_cmpuint(itx, <, iadd);
    g_assert_cmpstr(del->description, ==, "release holds (versionlock): ds-up");
    g_assert_cmpstr(add->description, ==,
                    "hold as on prod (versionlock): ds-keep-0:1.0-1.noarch ds-up-0:2.0-1.noarch");
    g_assert_cmpstr(add->argv[2], ==, "versionlock");
    g_assert_cmpstr(add->argv[3], ==, "add");
    g_assert_cmpstr(add->argv[4], ==, "--");
}

static void test_hostile(void)
{
    g_autoptr(ds_manifest) lab = host(DS_ROLE_LAB);
    g_autoptr(ds_manifest) prod = host(DS_ROLE_PROD);
    g_autoptr(ds_manifest) deb = ds_manifest_new("rh01", DS_ROLE_LAB);
    g_autoptr(ds_plan) plan = NULL;
    g_autoptr(GError) e = NULL;

    g_ptr_array_add(prod->sources, g_strdup("repo evil baseurl=x\n[main]\nplugins=0"));
    normalise(lab);
    normalise(prod);
    g_assert_cmpint(ds_plan_build(&plan, lab, prod, NULL, &e), ==, DS_EINVALID);
    g_assert_nonnull(strstr(e->message, "rh01: refusing repository line"));
    g_assert_null(strchr(e->message, '\n'));
    g_clear_error(&e);
    normalise(deb);
    g_assert_cmpint(ds_plan_build(&plan, deb, prod, NULL, &e), ==, DS_EINVALID);
    g_assert_cmpstr(e->message, ==,
                    "rh01: the lab is a dpkg host and prod an rpm one: a plan needs both of one platform");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/plan-rpm/transaction", test_transaction);
    g_test_add_func("/plan-rpm/repos", test_repos);
    g_test_add_func("/plan-rpm/locks", test_locks);
    g_test_add_func("/plan-rpm/hostile", test_hostile);
    return g_test_run();
}
