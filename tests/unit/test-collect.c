/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-collect.c: collecting many hosts at once
 * (sync/jobs/collect.c) from real Debian roots built with dpkg: results in
 * the order asked, each failure kept with its host, progress for every
 * host, an unknown host refused before any is tried, the HMAC key made
 * once in the state directory, and labs reached through their guest agent
 * (libvirt's test driver has none: a failure naming the host). */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "sync/config/config-file.h"
#include "sync/jobs/collect.h"
#include "tests/unit/testutil.h"

typedef struct {
    char *dir;
    char *root;
    ds_config *cfg;
    GMutex lock;
    GPtrArray *events; /* "start HOST" / "done HOST N/TOTAL ok|failed" */
} fixture;

static void fx_setup(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *file = NULL;
    g_autofree char *text = NULL;

    (void)data;
    fx->dir = ds_test_tmpdir("ds-collect-XXXXXX");
    fx->events = g_ptr_array_new_with_free_func(g_free);
    g_mutex_init(&fx->lock);
    if (!(fx->root = ds_test_debian_root(fx->dir)))
        return;
    text =
        g_strdup_printf("[store]\npath = @DIR@/store\nstate = @DIR@/state\n\n"
                        "[lab]\nuri = test://@DATA@/snapshot-node.xml\n\n"
                        "[host alpha]\nsource = local:%s\nlab = lab-web02\n"
                        "files = /etc/ds-conf/\n\n"
                        "[host gone]\nsource = local:@DIR@/no-such-root\n\n"
                        "[host beta]\nsource = local:%s\n",
                        fx->root, fx->root);
    file = ds_test_write_config(fx->dir, "ds.conf", text);
    g_assert_cmpint(ds_config_load(&fx->cfg, file, &err), ==, 0);
    g_assert_no_error(err);
}

static void fx_teardown(fixture *fx, gconstpointer data)
{
    (void)data;
    ds_config_free(fx->cfg);
    g_ptr_array_unref(fx->events);
    g_mutex_clear(&fx->lock);
    g_free(fx->root);
    g_free(fx->dir);
}

static void on_progress(const char *host, const ds_collect_result *r,
                        guint done, guint total, void *payload)
{
    fixture *fx = payload;

    /* The engine serialises the calls; the lock checks it does. */
    g_assert_true(g_mutex_trylock(&fx->lock));
    if (!r)
        g_ptr_array_add(fx->events, g_strdup_printf("start %s", host));
    else
        g_ptr_array_add(fx->events,
                        g_strdup_printf("done %s %u/%u %s", host, done, total,
                                        r->manifest ? "ok" : "failed"));
    g_mutex_unlock(&fx->lock);
}

static bool has_event(const fixture *fx, const char *prefix)
{
    for (guint i = 0; i < fx->events->len; i++)
        if (g_str_has_prefix(fx->events->pdata[i], prefix))
            return true;
    return false;
}

static void test_all_hosts(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) out = NULL;
    g_autofree char *key = NULL;
    const ds_collect_result *a, *g, *b;

    (void)data;
    if (!fx->cfg)
        return;
    g_assert_cmpint(ds_collect_hosts(&out, fx->cfg, NULL, DS_ROLE_PROD, 2,
                                     on_progress, fx, &err),
                    ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(out->len, ==, 3);
    a = out->pdata[0];
    g = out->pdata[1];
    b = out->pdata[2];
    /* In configuration order, whatever order they finished in. */
    g_assert_cmpstr(a->host, ==, "alpha");
    g_assert_cmpstr(g->host, ==, "gone");
    g_assert_cmpstr(b->host, ==, "beta");

    g_assert_no_error(a->error);
    g_assert_cmpstr(a->manifest->host, ==, "alpha");
    g_assert_cmpint(a->manifest->role, ==, DS_ROLE_PROD);
    g_assert_cmpuint(a->manifest->packages->len, >, 0);
    /* files = /etc/ds-conf/: its conffiles captured with content. */
    {
        bool seen = false;

        for (guint i = 0; i < a->manifest->files->len; i++) {
            const ds_file *f = a->manifest->files->pdata[i];

            if (!strcmp(f->path, "/etc/ds-conf/a.conf"))
                seen = f->content != NULL;
        }
        g_assert_true(seen);
    }
    g_assert_cmpstr(b->manifest->host, ==, "beta");
    g_assert_cmpuint(b->manifest->packages->len, ==,
                     a->manifest->packages->len);

    g_assert_null(g->manifest);
    g_assert_nonnull(g->error);
    /* One host name per message, at its start. */
    g_assert_true(g_str_has_prefix(g->error->message, "gone: "));
    g_assert_false(g_str_has_prefix(g->error->message, "gone: gone: "));

    /* Every host started and finished once; the last one counts 3/3. */
    g_assert_cmpuint(fx->events->len, ==, 6);
    g_assert_true(has_event(fx, "start alpha"));
    g_assert_true(has_event(fx, "start gone"));
    g_assert_true(has_event(fx, "done gone "));
    g_assert_true(g_str_has_suffix(fx->events->pdata[5], "ok") ||
                  g_str_has_suffix(fx->events->pdata[5], "failed"));
    g_assert_nonnull(strstr(fx->events->pdata[5], " 3/3 "));

    /* The key that hashes secrets, made once, kept private. */
    key = g_build_filename(fx->dir, "state", "hmac.key", NULL);
    g_assert_true(g_file_test(key, G_FILE_TEST_IS_REGULAR));
}

static void test_some_hosts(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) out = NULL;
    const char *const beta[] = {"beta", NULL};
    const char *const bad[] = {"beta", "nosuch", NULL};
    const ds_collect_result *r;

    (void)data;
    if (!fx->cfg)
        return;
    g_assert_cmpint(ds_collect_hosts(&out, fx->cfg, beta, DS_ROLE_PROD, 4, NULL,
                                     NULL, &err),
                    ==, 0);
    g_assert_cmpuint(out->len, ==, 1);
    r = out->pdata[0];
    g_assert_cmpstr(r->manifest->host, ==, "beta");
    g_clear_pointer(&out, g_ptr_array_unref);

    /* An unknown name: refused before any host is tried. */
    g_assert_cmpint(ds_collect_hosts(&out, fx->cfg, bad, DS_ROLE_PROD, 4,
                                     on_progress, fx, &err),
                    ==, DS_ENOTFOUND);
    g_assert_true(g_str_has_prefix(err->message, "nosuch: no such host in "));
    g_assert_null(out);
    g_assert_cmpuint(fx->events->len, ==, 0);
}

/* Labs: only the hosts that have one, through the guest agent. */
static void test_labs(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) out = NULL;
    const ds_collect_result *r;

    (void)data;
    if (!fx->cfg)
        return;
    g_assert_cmpint(
        ds_collect_hosts(&out, fx->cfg, NULL, DS_ROLE_LAB, 2, NULL, NULL, &err),
        ==, 0);
    g_assert_cmpuint(out->len, ==, 1);
    r = out->pdata[0];
    g_assert_cmpstr(r->host, ==, "alpha");
    g_assert_null(r->manifest);
    g_assert_true(g_str_has_prefix(r->error->message, "alpha: "));
}

static void test_one(fixture *fx, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_manifest) m = NULL;
    g_autofree char *uri = NULL;
    g_autofree char *name = NULL;

    (void)data;
    if (!fx->cfg)
        return;
    uri = g_strdup_printf("local:%s", fx->root);
    g_assert_cmpint(ds_collect_one(&m, fx->cfg,
                                   ds_config_find_host(fx->cfg, "beta"), uri,
                                   DS_ROLE_LAB, &err),
                    ==, 0);
    g_assert_no_error(err);
    g_assert_cmpstr(m->host, ==, "beta");
    g_assert_cmpint(m->role, ==, DS_ROLE_LAB);

    g_assert_cmpint(ds_collect_local_hostname(&name, &err), ==, 0);
    g_assert_nonnull(name);
    g_assert_null(strchr(name, '.'));
}

/* A host's lab-uri is its lab's daemon: an agent: prod source stays on
 * [lab] uri (prod VMs on one hypervisor, labs on others). */
static void test_libvirt_uri(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_config) cfg = NULL;
    g_autofree char *dir = ds_test_tmpdir("ds-collect-uri-XXXXXX");
    g_autofree char *file = ds_test_write_config(
        dir, "ds.conf",
        "[store]\npath = @DIR@/store\nstate = @DIR@/state\n\n"
        "[lab]\nuri = test:///default\n\n"
        "[host one]\nsource = agent:prod1\nlab = lab1\n"
        "lab-uri = qemu+ssh://hv2/system\n\n"
        "[host two]\nsource = agent:prod2\nlab = lab2\n");
    const ds_host_config *one, *two;
    ds_transport_options o;

    g_assert_cmpint(ds_config_load(&cfg, file, &err), ==, 0);
    g_assert_no_error(err);
    one = ds_config_find_host(cfg, "one");
    two = ds_config_find_host(cfg, "two");
    ds_collect_transport_options(&o, cfg, one, "one", DS_ROLE_LAB);
    g_assert_cmpstr(o.libvirt_uri, ==, "qemu+ssh://hv2/system");
    ds_collect_transport_options(&o, cfg, one, "one", DS_ROLE_PROD);
    g_assert_cmpstr(o.libvirt_uri, ==, "test:///default");
    ds_collect_transport_options(&o, cfg, two, "two", DS_ROLE_LAB);
    g_assert_cmpstr(o.libvirt_uri, ==, "test:///default");
    ds_collect_transport_options(&o, cfg, NULL, "three", DS_ROLE_PROD);
    g_assert_cmpstr(o.libvirt_uri, ==, "test:///default");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, fixture, NULL, fx_setup, fn, fx_teardown)
    ADD("/collect/all-hosts", test_all_hosts);
    ADD("/collect/some-hosts", test_some_hosts);
    ADD("/collect/labs", test_labs);
    ADD("/collect/one", test_one);
    g_test_add_func("/collect/libvirt-uri", test_libvirt_uri);
    return g_test_run();
}
