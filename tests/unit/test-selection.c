/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-selection.c: holds and automatic marks through the
 * semantic diff (typed changes, compared only when both sides know them,
 * pending updates and package origins not drift) and the plan (apt-mark
 * steps around the one package transaction). */
#include <config.h>

#include <string.h>

#include "manifests/diff.h"
#include "manifests/util/error.h"
#include "sync/plan/plan.h"

static ds_manifest *host(ds_role role, const char *const *pkgs)
{
    ds_manifest *m = ds_manifest_new("web01", role);

    m->kernel.running = g_strdup("6.1.0-28-amd64");
    for (gsize i = 0; pkgs[i]; i += 2)
        g_ptr_array_add(m->packages,
                        ds_package_new(pkgs[i], pkgs[i + 1], "amd64", NULL));
    m->holds = g_ptr_array_new_with_free_func(g_free);
    m->auto_marks = g_ptr_array_new_with_free_func(g_free);
    m->pending = g_ptr_array_new_with_free_func((GDestroyNotify)ds_pending_free);
    return m;
}

static void normalise(ds_manifest *m)
{
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(ds_manifest_normalise(m, &err), ==, 0);
}

static char *dump(const ds_manifest *a, const ds_manifest *b)
{
    g_autoptr(GPtrArray) ch = NULL;
    g_autoptr(GError) err = NULL;
    GString *s = g_string_new(NULL);

    g_assert_cmpint(ds_manifest_diff(&ch, a, b, NULL, &err), ==, 0);
    for (guint i = 0; i < ch->len; i++) {
        const ds_change *c = ch->pdata[i];
        g_autofree char *d = ds_change_describe(c);
        g_string_append_printf(s, "%s|%s|%s|%s;", ds_change_kind_name(c->kind),
                               c->name, c->old_value ? c->old_value : "-", d);
    }
    return g_string_free(s, FALSE);
}

static const char *const pkgs[] = {"curl", "7.88", "libcurl4", "7.88",
                                   "nginx", "1.22", "openssl", "3.0.15", NULL};

static void test_diff(void)
{
    g_autoptr(ds_manifest) lab = host(DS_ROLE_LAB, pkgs);
    g_autoptr(ds_manifest) prod = host(DS_ROLE_PROD, pkgs);
    g_autofree char *d = NULL;

    g_ptr_array_add(prod->holds, g_strdup("nginx"));
    g_ptr_array_add(lab->holds, g_strdup("openssl"));
    g_ptr_array_add(prod->auto_marks, g_strdup("libcurl4"));
    g_ptr_array_add(lab->auto_marks, g_strdup("curl"));
    /* not drift: pending updates and where apt finds a version */
    g_ptr_array_add(prod->pending, ds_pending_new("openssl", "3.0.16", "Debian",
                                                  "bookworm-security", true));
    ((ds_package *)prod->packages->pdata[0])->source =
        g_strdup("Debian:bookworm");
    prod->lists_updated_at = g_strdup("2026-11-27T02:00:00Z");
    normalise(lab);
    normalise(prod);
    d = dump(lab, prod);
    g_assert_cmpstr(d, ==,
                    "mark-changed|curl|auto|curl marked manual;"
                    "mark-changed|libcurl4|manual|libcurl4 marked auto;"
                    "hold-changed|nginx|unheld|nginx held;"
                    "hold-changed|openssl|held|openssl no longer held;");
    g_clear_pointer(&d, g_free);

    /* an older manifest without them: nothing to compare, no change */
    g_clear_pointer(&lab->holds, g_ptr_array_unref);
    g_clear_pointer(&lab->auto_marks, g_ptr_array_unref);
    d = dump(lab, prod);
    g_assert_cmpstr(d, ==, "");
    g_clear_pointer(&d, g_free);

    /* a package only prod has: installed, then held and marked as prod */
    {
        static const char *const fewer[] = {"curl", "7.88", NULL};
        g_autoptr(ds_manifest) small = host(DS_ROLE_LAB, fewer);
        normalise(small);
        d = dump(small, prod);
        g_assert_nonnull(strstr(d, "package-installed|nginx|-|"));
        g_assert_nonnull(strstr(d, "hold-changed|nginx|unheld|nginx held;"));
        g_assert_nonnull(
            strstr(d, "mark-changed|libcurl4|manual|libcurl4 marked auto;"));
    }
}

static char *steps(const ds_plan *plan)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < plan->actions->len; i++) {
        const ds_action *a = plan->actions->pdata[i];
        g_autofree char *argv =
            a->argv ? g_strjoinv(" ", a->argv) : g_strdup("-");
        if (a->kind == DS_ACTION_PACKAGES)
            g_string_append_printf(s, "[%s %s];", ds_action_kind_name(a->kind),
                                   strstr(argv, "-- ") + 3);
        else
            g_string_append_printf(s, "[%s %s];", ds_action_kind_name(a->kind),
                                   argv);
    }
    return g_string_free(s, FALSE);
}

static void test_plan(void)
{
    static const char *const lab_pkgs[] = {"curl",  "7.88",    "libcurl4",
                                           "7.88",  "nginx",   "1.22",
                                           "openssl", "3.0.11", NULL};
    g_autoptr(ds_manifest) lab = host(DS_ROLE_LAB, lab_pkgs);
    g_autoptr(ds_manifest) prod = host(DS_ROLE_PROD, pkgs);
    g_autoptr(ds_plan) plan = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *s = NULL;

    /* openssl: held on both, upgraded on prod, automatic on prod; nginx
     * held on prod only; curl manual on prod, auto on the lab */
    g_ptr_array_add(prod->holds, g_strdup("nginx"));
    g_ptr_array_add(prod->holds, g_strdup("openssl"));
    g_ptr_array_add(lab->holds, g_strdup("openssl"));
    g_ptr_array_add(prod->auto_marks, g_strdup("openssl"));
    g_ptr_array_add(lab->auto_marks, g_strdup("openssl"));
    g_ptr_array_add(lab->auto_marks, g_strdup("curl"));
    normalise(lab);
    normalise(prod);
    g_assert_cmpint(ds_plan_build(&plan, lab, prod, NULL, &err), ==, 0);
    g_assert_no_error(err);
    s = steps(plan);
    g_assert_cmpstr(s, ==,
                    "[apt-update apt-get update];"
                    "[apt-mark apt-mark unhold -- openssl];"
                    "[packages openssl=3.0.15];"
                    "[apt-mark apt-mark hold -- nginx openssl];"
                    "[apt-mark apt-mark auto -- openssl];"
                    "[apt-mark apt-mark manual -- curl];");
    g_clear_pointer(&s, g_free);
    g_clear_pointer(&plan, ds_plan_free);

    /* the lab as prod: nothing to do */
    g_assert_cmpint(ds_plan_build(&plan, prod, prod, NULL, &err), ==, 0);
    g_assert_true(ds_plan_is_empty(plan));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/selection/diff", test_diff);
    g_test_add_func("/selection/plan", test_plan);
    return g_test_run();
}
