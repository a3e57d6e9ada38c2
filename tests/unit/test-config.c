/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-config.c: driftsync.conf parsing: values, defaults,
 * trailing comments, errors that name the file and the line, and the
 * key table they come from. */
#include <config.h>

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifests/util/error.h"
#include "sync/config/config-file.h"
#include "sync/config/config-table.h"
#include "tests/unit/testutil.h"

typedef struct {
    char *dir;
    char *file;
} fixture;

static void fixture_setup(fixture *f, gconstpointer data)
{
    f->dir = ds_test_tmpdir("ds-config-XXXXXX");
    g_assert_nonnull(f->dir);
    f->file = g_build_filename(f->dir, "driftsync.conf", NULL);
}

static void fixture_teardown(fixture *f, gconstpointer data)
{
    g_unlink(f->file);
    g_rmdir(f->dir);
    g_free(f->file);
    g_free(f->dir);
}

static ds_config *load(fixture *f, const char *text, GError **err)
{
    ds_config *cfg = NULL;
    int rc;

    g_assert_true(g_file_set_contents(f->file, text, -1, NULL));
    rc = ds_config_load(&cfg, f->file, err);
    g_assert_true((rc == 0) == (cfg != NULL));
    return cfg;
}

/* The load fails with DS_EINVALID and the message starts "FILE:LINE: "
 * and contains `what`. */
static void expect_error(fixture *f, const char *text, int line,
                         const char *what)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_config) cfg = load(f, text, &err);
    g_autofree char *prefix = g_strdup_printf("%s:%d: ", f->file, line);

    g_assert_null(cfg);
    g_assert_nonnull(err);
    g_assert_cmpint(ds_error_code_of(err), ==, DS_EINVALID);
    if (!g_str_has_prefix(err->message, prefix) || !strstr(err->message, what))
        g_error("wanted '%s...%s', got '%s'", prefix, what, err->message);
    g_assert_null(strchr(err->message, '\n'));
}

/* DESIGN.md's example, trailing comments and all. */
static const char design_example[] =
    "# driftsync configuration\n"
    "[store]\n"
    "path = /var/lib/driftsync/store\n"
    "remote = ssh://git@gitserver/lab/manifests.git   ; optional\n"
    "\n"
    "[lab]\n"
    "uri = qemu:///system          ; any libvirt URI, qemu+ssh://hv2/system "
    "too\n"
    "snapshots = auto              ; internal | overlay | auto\n"
    "on-failure = revert           ; revert | keep\n"
    "parallel = 4\n"
    "\n"
    "[host web01]\n"
    "source = ssh://root@web01.example.com      ; local: | ssh:// | "
    "https:// (manifest URL)\n"
    "lab = web01-lab                            ; libvirt domain name\n"
    "lab-access = agent                         ; agent (qemu-guest-agent) "
    "| ssh://...\n"
    "files = /etc/nginx/ /etc/ssh/sshd_config   ; config captured with "
    "content\n"
    "\n"
    "[ignore]\n"
    "packages = linux-image-*\n"
    "files = /etc/machine-id /etc/hostname /etc/adjtime\n"
    "\n"
    "[notify]\n"
    "webhook = https://chat.example.com/hooks/abc\n";

static void test_design_example(fixture *f, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_config) cfg = load(f, design_example, &err);
    const ds_host_config *h;

    g_assert_no_error(err);
    g_assert_cmpstr(cfg->filename, ==, f->file);
    g_assert_cmpstr(cfg->store_path, ==, "/var/lib/driftsync/store");
    g_assert_cmpstr(cfg->store_remote, ==,
                    "ssh://git@gitserver/lab/manifests.git");
    g_assert_cmpstr(cfg->lab_uri, ==, "qemu:///system");
    g_assert_cmpstr(cfg->snapshots, ==, "auto");
    g_assert_cmpstr(cfg->on_failure, ==, "revert");
    g_assert_cmpint(cfg->lab_parallel, ==, 4);
    g_assert_cmpint(cfg->keep_snapshots, ==, 5);
    g_assert_cmpint(cfg->record_parallel, ==, 8);
    g_assert_cmpstr(cfg->notify_webhook, ==,
                    "https://chat.example.com/hooks/abc");
    g_assert_cmpuint(cfg->hosts->len, ==, 1);
    h = ds_config_find_host(cfg, "web01");
    g_assert_nonnull(h);
    g_assert_cmpstr(h->name, ==, "web01");
    g_assert_cmpstr(h->source, ==, "ssh://root@web01.example.com");
    g_assert_cmpstr(h->lab, ==, "web01-lab");
    g_assert_cmpstr(h->lab_access, ==, "agent");
    g_assert_null(h->lab_uri);
    g_assert_cmpuint(g_strv_length(h->files), ==, 2);
    g_assert_cmpstr(h->files[0], ==, "/etc/nginx/");
    g_assert_cmpstr(h->files[1], ==, "/etc/ssh/sshd_config");
    g_assert_cmpuint(g_strv_length(h->groups), ==, 0);
    g_assert_false(h->allow_http);
    g_assert_null(ds_config_find_host(cfg, "web02"));

    g_assert_true(ds_ignore_match(cfg->ignore, DS_CAT_PACKAGES,
                                  "linux-image-6.1.0-18-amd64"));
    g_assert_false(ds_ignore_match(cfg->ignore, DS_CAT_PACKAGES, "openssl"));
    g_assert_true(ds_ignore_match(cfg->ignore, DS_CAT_FILES, "/etc/hostname"));
    g_assert_false(ds_ignore_match(cfg->ignore, DS_CAT_FILES, "/etc/hosts"));
    g_assert_false(
        ds_ignore_match(cfg->ignore, DS_CAT_SERVICES, "/etc/hostname"));
}

static void test_every_key(fixture *f, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_config) cfg = load(
        f,
        "[store]\npath = /srv/store\nstate = /srv/state\nparallel = 3\n"
        "[lab]\nsnapshots = overlay\non-failure = keep\nkeep-snapshots = 0\n"
        "[host db1]\nsource = local:/srv/root\nlab-uri = test:///default\n"
        "lab-access = ssh://root@db1-lab:2222\ngroups = db  bookworm\n"
        "identity-file = /root/.ssh/id_ed25519\n"
        "known-hosts = /etc/driftsync/known_hosts\n"
        "ssh-options = ConnectTimeout=5 ServerAliveInterval=10\n"
        "[host inv]\nsource = https://inventory.example/inv.json#frag\n"
        "allow-http = yes\nca-file = /etc/ssl/ca.pem\n"
        "auth-file = /etc/driftsync/token\n"
        "[host vm]\nsource = agent:vm-lab\n"
        "[secrets]\nfiles = /etc/shadow /etc/ssl/private/*\n"
        "[packages]\ncache = /var/cache/ds\nrepository = /srv/repo\n"
        "[ignore]\nservices = getty@*.service\nsources =\n",
        &err);
    const ds_host_config *db, *inv;

    g_assert_no_error(err);
    g_assert_cmpstr(cfg->store_path, ==, "/srv/store");
    g_assert_cmpstr(cfg->state_dir, ==, "/srv/state");
    g_assert_cmpint(cfg->record_parallel, ==, 3);
    g_assert_cmpstr(cfg->snapshots, ==, "overlay");
    g_assert_cmpstr(cfg->on_failure, ==, "keep");
    g_assert_cmpint(cfg->keep_snapshots, ==, 0);
    g_assert_cmpstr(cfg->lab_uri, ==, "qemu:///system");
    g_assert_cmpuint(cfg->hosts->len, ==, 3);
    /* File order is kept. */
    g_assert_cmpstr(((ds_host_config *)g_ptr_array_index(cfg->hosts, 0))->name,
                    ==, "db1");
    g_assert_cmpstr(((ds_host_config *)g_ptr_array_index(cfg->hosts, 2))->name,
                    ==, "vm");
    db = ds_config_find_host(cfg, "db1");
    g_assert_cmpstr(db->source, ==, "local:/srv/root");
    g_assert_cmpstr(db->lab_uri, ==, "test:///default");
    g_assert_cmpstr(db->lab_access, ==, "ssh://root@db1-lab:2222");
    g_assert_null(db->lab);
    g_assert_cmpuint(g_strv_length(db->groups), ==, 2);
    g_assert_cmpstr(db->groups[1], ==, "bookworm");
    g_assert_cmpuint(g_strv_length(db->files), ==, 0);
    g_assert_cmpstr(db->identity_file, ==, "/root/.ssh/id_ed25519");
    g_assert_cmpstr(db->known_hosts, ==, "/etc/driftsync/known_hosts");
    g_assert_cmpuint(g_strv_length(db->ssh_options), ==, 2);
    g_assert_cmpstr(db->ssh_options[0], ==, "ConnectTimeout=5");
    inv = ds_config_find_host(cfg, "inv");
    /* '#' not preceded by a blank is part of the value. */
    g_assert_cmpstr(inv->source, ==, "https://inventory.example/inv.json#frag");
    g_assert_true(inv->allow_http);
    g_assert_cmpstr(inv->ca_file, ==, "/etc/ssl/ca.pem");
    g_assert_cmpstr(inv->auth_file, ==, "/etc/driftsync/token");
    g_assert_cmpuint(g_strv_length(cfg->secret_patterns), ==, 2);
    g_assert_cmpstr(cfg->secret_patterns[1], ==, "/etc/ssl/private/*");
    g_assert_cmpstr(cfg->package_cache, ==, "/var/cache/ds");
    g_assert_cmpstr(cfg->package_repository, ==, "/srv/repo");
    g_assert_true(
        ds_ignore_match(cfg->ignore, DS_CAT_SERVICES, "getty@tty1.service"));
    g_assert_false(
        ds_ignore_match(cfg->ignore, DS_CAT_SERVICES, "ssh.service"));
}

static void test_defaults(fixture *f, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_config) cfg = load(f, "; only a comment\n\n", &err);
    g_autoptr(ds_config) def = ds_config_new_default();

    g_assert_no_error(err);
    g_assert_cmpstr(cfg->store_path, ==, DS_DEFAULT_STORE);
    g_assert_cmpstr(def->store_path, ==, DS_DEFAULT_STORE);
    g_assert_cmpstr(cfg->lab_uri, ==, "qemu:///system");
    g_assert_cmpstr(cfg->snapshots, ==, "auto");
    g_assert_cmpstr(cfg->on_failure, ==, "revert");
    g_assert_cmpint(cfg->lab_parallel, ==, 2);
    g_assert_cmpint(cfg->record_parallel, ==, 8);
    g_assert_cmpint(cfg->keep_snapshots, ==, 5);
    g_assert_null(cfg->notify_webhook);
    g_assert_null(cfg->store_remote);
    g_assert_false(cfg->notify_audit);
    g_assert_nonnull(cfg->secret_patterns);
    g_assert_cmpuint(cfg->hosts->len, ==, 0);
    g_assert_nonnull(cfg->ignore);
    g_assert_null(def->filename);
    ds_config_free(NULL);
}

static void test_missing_file(fixture *f, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    ds_config *cfg = NULL;

    g_assert_cmpint(ds_config_load(&cfg, f->file, &err), ==, DS_ENOTFOUND);
    g_assert_null(cfg);
    g_assert_nonnull(strstr(err->message, f->file));
}

static void test_errors(fixture *f, gconstpointer data)
{
    expect_error(f,
                 "[store]\npath = /s\n\n[lab]\nuri = test:///default\n\n"
                 "parallel = many\n",
                 7, "[lab] parallel: expected a positive integer, got 'many'");
    expect_error(f, "[lab]\nparallel = 0\n", 2, "positive integer");
    expect_error(f, "[store]\nparallel = 3 apples\n", 2, "got '3 apples'");
    expect_error(f, "[lab]\nkeep-snapshots = -1\n", 2,
                 "non-negative integer, got '-1'");
    /* A remote the store cannot push to is refused; credentials in its
     * URL are refused without being shown. */
    expect_error(f, "[store]\nremote = ssh://h/x.git\n", 2,
                 "names its user (ssh://USER@HOST/PATH)");
    expect_error(f, "[store]\nremote = git://h/x.git\n", 2,
                 "expected an ssh://, https:// or file:/// URL");
    expect_error(f, "[store]\nremote = file://h/x.git\n", 2,
                 "a file:// URL has no host");
    expect_error(f, "[store]\nremote = https://u:hunter2@h/x.git\n", 2,
                 "credentials in the URL are refused");
    {
        g_autoptr(GError) e = NULL;
        g_autoptr(ds_config) c =
            load(f, "[store]\nremote = https://u:hunter2@h/x.git\n", &e);

        g_assert_null(c);
        g_assert_null(strstr(e->message, "hunter2"));
    }
    expect_error(f, "[lab]\n\nparalel = 4\n", 3,
                 "[lab] unknown key 'paralel' (did you mean 'parallel'?)");
    expect_error(f, "[store]\npath = /s\nbogus = 1\n", 3,
                 "[store] unknown key 'bogus'");
    expect_error(f, "[store]\npath = /s\n[labs]\n", 3,
                 "unknown section [labs]");
    expect_error(f, "[host]\nsource = local:\n", 1, "[host NAME]");
    expect_error(f, "# c\n[host ../etc]\nsource = local:\n", 2,
                 "not a valid host name");
    expect_error(f, "[host web01]\nlab = web01-lab\n", 1, "needs a source");
    expect_error(f, "[host web01]\nsource = ftp://web01\n", 2,
                 "[host web01] source: expected local:");
    expect_error(f, "[host web01]\nsource = ssh://\n", 2, "source");
    expect_error(f, "[host web01]\nsource = local:relative\n", 2,
                 "absolute root");
    expect_error(f, "[host web01]\nsource = agent:a/b\n", 2, "agent:");
    expect_error(f, "[host w]\n\nsource = http://inv/w.json\n", 3,
                 "allow-http = true");
    expect_error(f, "[host w]\nsource = local:\nallow-http = maybe\n", 3,
                 "expected true or false, got 'maybe'");
    expect_error(f, "[host w]\nsource = local:\nfiles = /etc/a etc/b\n", 3,
                 "'etc/b' is not an absolute path");
    expect_error(f, "[host w]\nsource = local:\nfiles = /etc/../root\n", 3,
                 "not an absolute path");
    expect_error(f, "[host w]\nsource = local:\ngroups = ok b@d\n", 3,
                 "'b@d' is not a valid name");
    expect_error(f, "[host w]\nsource = local:\nlab = x;y\n", 3,
                 "not a valid domain name");
    expect_error(f, "[host w]\nsource = local:\nlab-access = telnet\n", 3,
                 "expected agent or ssh://");
    /* What a transport would refuse is refused when the file is read. */
    expect_error(f, "[host w]\nsource = ssh://root@h;id\n", 2,
                 "[host w] source: 'ssh://root@h;id': unsafe ssh host name");
    expect_error(f, "[host w]\nsource = ssh://h\nlab-access = ssh://-oX=y\n", 3,
                 "[host w] lab-access: ");
    expect_error(f,
                 "[host w]\nsource = ssh://h\nssh-options = Port=2 "
                 "ProxyCommand=id\n",
                 3,
                 "[host w] ssh-options: ssh option 'ProxyCommand' is not "
                 "allowed");
    expect_error(f, "[host w]\nsource = ssh://h\nidentity-file = /k ey\n", 3,
                 "[host w] identity-file: '/k ey': a path handed to ssh");
    expect_error(f,
                 "[host w]\nsource = http://inv/w.json\nallow-http = yes\n"
                 "auth-file = /etc/token\n",
                 2, "credentials are only sent over https");
    expect_error(f, "[lab]\nsnapshots = always\n", 2,
                 "expected internal | overlay | auto, got 'always'");
    expect_error(f, "[lab]\non-failure = ignore\n", 2, "revert | keep");
    expect_error(f, "[store]\npath =   ; nothing\n", 2,
                 "[store] path: expected a value");
    expect_error(f, "[notify]\nwebhook = mailto:root\n", 2, "https://");
    expect_error(f, "[store]\npath = /a\npath = /b\n", 3,
                 "set twice (first on line 2)");
    expect_error(f, "[lab]\n[store]\n[lab]\n", 3,
                 "section [lab] appears twice (first on line 1)");
    expect_error(f, "[store]\njust some words\n", 2,
                 "expected 'key = value' or '[section]'");
    expect_error(f, "path = /s\n[store]\n", 1, "before any [section]");
    expect_error(f, "[store\npath = /s\n", 1, "lacks ']'");
    expect_error(f, "[store] path = /s\n", 1, "unexpected");
    expect_error(f, "[store]\npa th = /s\n", 2, "bad key name");
    expect_error(f, "[store]\n= /s\n", 2, "missing key");
    expect_error(f, "[ignore]\npackages = linux-*\nkernels = x\n", 3,
                 "[ignore] unknown key 'kernels'");
    expect_error(f, "[store]\npath = /s\n\xff\xfe = 1\n", 3, "UTF-8");
}

/* become: none by default, sudo when asked; [defaults] gives every host
 * its keys wherever it stands in the file, a host's own key replaces the
 * default, and its errors name its own lines. */
static void test_host_defaults(fixture *f, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_config) cfg = load(
        f,
        "[host early]\nsource = ssh://ops@early\n"
        "[defaults]\nbecome = sudo\nidentity-file = /etc/driftsync/key\n"
        "ssh-options = Port=2222\n"
        "[host own]\nsource = ssh://root@own\nbecome = none\n"
        "ssh-options = ConnectTimeout=5\n"
        "[host plain]\nsource = local:\n",
        &err);
    g_autoptr(ds_config) none = NULL;
    const ds_host_config *h;

    g_assert_no_error(err);
    h = ds_config_find_host(cfg, "early");
    g_assert_cmpstr(h->become, ==, "sudo");
    g_assert_cmpstr(h->identity_file, ==, "/etc/driftsync/key");
    g_assert_cmpstr(h->ssh_options[0], ==, "Port=2222");
    h = ds_config_find_host(cfg, "own");
    g_assert_cmpstr(h->become, ==, "none");
    g_assert_cmpstr(h->identity_file, ==, "/etc/driftsync/key");
    g_assert_cmpuint(g_strv_length(h->ssh_options), ==, 1);
    g_assert_cmpstr(h->ssh_options[0], ==, "ConnectTimeout=5");
    h = ds_config_find_host(cfg, "plain");
    g_assert_cmpstr(h->become, ==, "sudo");
    g_assert_cmpstr(h->lab_access, ==, "agent");

    none = load(f, "[host w]\nsource = ssh://ops@w\n", &err);
    g_assert_no_error(err);
    g_assert_cmpstr(ds_config_find_host(none, "w")->become, ==, "none");

    expect_error(f, "[host w]\nsource = ssh://ops@w\nbecome = su\n", 3,
                 "[host w] become: expected none | sudo, got 'su'");
    expect_error(f, "[host w]\nsource = ssh://ops@w\nbecome =\n", 3,
                 "[host w] become: expected none | sudo, got ''");
    /* Refused even with no host to use it. */
    expect_error(f, "[store]\npath = /s\n[defaults]\nbecome = root\n", 4,
                 "[defaults] become: expected none | sudo, got 'root'");
    expect_error(f, "[defaults]\nbecom = sudo\n", 2,
                 "[defaults] unknown key 'becom' (did you mean 'become'?)");
    expect_error(f, "[defaults]\nbecome = sudo\nsource = local:\n", 3,
                 "[defaults] source: names one machine");
    expect_error(f, "[defaults]\nlab = x\n", 2,
                 "[defaults] lab: names one machine");
    expect_error(f,
                 "[host w]\nsource = ssh://ops@w\n[defaults]\n"
                 "ssh-options = ProxyCommand=id\n",
                 4, "[defaults] ssh-options: ssh option 'ProxyCommand'");
    expect_error(f, "[default]\nbecome = sudo\n", 1,
                 "unknown section [default] (known: [store] [lab] [host NAME] [defaults] ");
}

/* "[host  web01]" names the same host as "[host web01]". */
static void test_host_spacing(fixture *f, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_config) cfg =
        load(f, "[host  web01 ]   ; trailing\nsource = local:\n", &err);

    g_assert_no_error(err);
    g_assert_nonnull(ds_config_find_host(cfg, "web01"));
    expect_error(f, "[host web01]\nsource = local:\n[host  web01]\n", 3,
                 "appears twice");
}

/* One lookup of a host's lab: the section, its domain, its URI and how
 * the VM is reached; refusals name the host and the file. */
static void test_find_lab(fixture *f, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_config) cfg = load(
        f,
        "[lab]\nuri = qemu:///system\n"
        "[host web01]\nsource = local:\nlab = web01-lab\n"
        "[host db01]\nsource = local:\nlab = db01-lab\n"
        "lab-uri = test:///default\nlab-access = ssh://root@db01-lab\n"
        "[host nolab]\nsource = local:\n",
        &err);
    const ds_host_config *hc = NULL;
    g_autofree char *src = NULL;
    g_autofree char *want = NULL;

    g_assert_no_error(err);
    g_assert_cmpint(ds_config_find_lab(&hc, cfg, "web01", &err), ==, 0);
    g_assert_cmpstr(hc->lab, ==, "web01-lab");
    g_assert_cmpstr(ds_config_lab_uri(cfg, hc), ==, "qemu:///system");
    src = ds_config_lab_source(hc);
    g_assert_cmpstr(src, ==, "agent:web01-lab");
    g_clear_pointer(&src, g_free);

    g_assert_cmpint(ds_config_find_lab(&hc, cfg, "db01", &err), ==, 0);
    g_assert_cmpstr(ds_config_lab_uri(cfg, hc), ==, "test:///default");
    src = ds_config_lab_source(hc);
    g_assert_cmpstr(src, ==, "ssh://root@db01-lab");

    g_assert_cmpint(ds_config_find_lab(&hc, cfg, "nosuch", &err), ==,
                    DS_ENOTFOUND);
    g_assert_null(hc);
    want = g_strdup_printf("nosuch: no [host nosuch] in %s", f->file);
    g_assert_cmpstr(err->message, ==, want);
    g_clear_error(&err);
    g_assert_cmpint(ds_config_find_lab(&hc, cfg, "nolab", &err), ==,
                    DS_EINVALID);
    g_assert_true(g_str_has_prefix(err->message,
                                   "nolab: the host has no lab domain"));
}

/* K's field in BASE holds K's default. */
static void assert_default(const void *base, const ds_config_key *k)
{
    const char *field = (const char *)base + k->offset;
    g_auto(GStrv) words = NULL;

    switch (k->kind) {
    case DS_CONFIG_STRING:
    case DS_CONFIG_CHOICE:
        g_assert_cmpstr(*(char *const *)field, ==, k->def);
        break;
    case DS_CONFIG_INT:
        g_assert_cmpint(*(const int *)field, ==, atoi(k->def));
        break;
    case DS_CONFIG_BOOL:
        g_assert_cmpint(*(const gboolean *)field, ==, !strcmp(k->def, "true"));
        break;
    case DS_CONFIG_LIST:
        words = g_strsplit(k->def, " ", -1);
        g_assert_nonnull(*(char **const *)field);
        g_assert_cmpuint(g_strv_length(*(char **const *)field), ==,
                         *k->def ? g_strv_length(words) : 0);
        break;
    case DS_CONFIG_DURATION: {
        gint64 want = -1;
        g_assert_cmpint(ds_config_parse_duration(&want, k->def), ==, 0);
        g_assert_cmpint(*(const gint64 *)field, ==, want);
        break;
    }
    case DS_CONFIG_IGNORE:
        g_assert_not_reached();
    }
}

/* The key table: help for every key, no key twice in a section, limits
 * that hold their default; every default, written in a file as a user
 * would, is accepted and gives what a config without the key gets. */
static void test_table(fixture *f, gconstpointer data)
{
    g_autoptr(GString) text = g_string_new(NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_config) cfg = NULL;
    g_autoptr(ds_config) def = ds_config_new_default();
    const ds_host_config *h;
    const char *section = "";
    guint n = 0;

    for (const ds_config_key *k = ds_config_table; k->name; k++, n++) {
        g_assert_nonnull(k->section);
        g_assert_true(k->doc && *k->doc && !strchr(k->doc, '\n'));
        g_assert_true(ds_config_key_find(k->section, k->name) == k);
        if (k->kind == DS_CONFIG_IGNORE) {
            g_assert_cmpint(ds_category_from_name(k->name), >=, 0);
            g_assert_null(k->def);
            continue;
        }
        if (k->kind == DS_CONFIG_INT)
            g_assert_cmpint(k->min, <=, k->max);
        if (k->kind == DS_CONFIG_CHOICE)
            g_assert_nonnull(k->choices);
        if (strcmp(k->section, section)) {
            section = k->section;
            if (!strcmp(section, "host"))
                g_string_append(text, "[host t]\nsource = local:\n");
            else
                g_string_append_printf(text, "[%s]\n", section);
        }
        if (k->def)
            g_string_append_printf(text, "%s = %s\n", k->name, k->def);
    }
    g_assert_cmpuint(n, >, 30);
    cfg = load(f, text->str, &err);
    g_assert_no_error(err);
    h = ds_config_find_host(cfg, "t");
    g_assert_nonnull(h);
    for (const ds_config_key *k = ds_config_table; k->name; k++) {
        if (!k->def)
            continue;
        if (!strcmp(k->section, "host")) {
            assert_default(h, k);
            continue;
        }
        assert_default(cfg, k);
        assert_default(def, k);
    }
    g_assert_null(ds_config_key_find("store", "bogus"));
    g_assert_nonnull(ds_config_key_find("host", "source"));
}

/* The names of the hosts chosen, space-separated. */
static char *chosen_names(GPtrArray *a)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < a->len; i++)
        g_string_append_printf(s, "%s%s", i ? " " : "",
                               ((ds_host_config *)a->pdata[i])->name);
    return g_string_free(s, FALSE);
}

/* Which hosts a run covers: named, by group, all; each once; labs only;
 * unknown hosts and groups refused with their name. */
static void test_choose_hosts(fixture *f, gconstpointer data)
{
    static const struct {
        const char *names[3], *groups[3];
        bool labs;
        const char *want; /* chosen, or the error's start */
        int rc;
    } cases[] = {
        {{NULL}, {NULL}, false, "web01 app01 db01 nolab", 0},
        {{NULL}, {NULL}, true, "web01 app01 db01", 0},
        {{NULL}, {"web", NULL}, false, "web01 app01", 0},
        {{NULL}, {"web", "all", NULL}, false, "web01 app01 db01 nolab", 0},
        {{"db01", "web01", NULL}, {"web", NULL}, false, "db01 web01 app01", 0},
        {{"nolab", NULL}, {NULL}, false, "nolab", 0},
        {{"nolab", NULL}, {NULL}, true, "nolab: no lab VM configured",
         DS_EINVALID},
        {{"web01", "nosuch", NULL}, {NULL}, false, "nosuch: no such host in ",
         DS_ENOTFOUND},
        {{NULL}, {"web", "nosuch", NULL}, false, "group nosuch: no host in ",
         DS_ENOTFOUND},
        {{NULL}, {"solo", NULL}, true, "group solo: no host with a lab in ",
         DS_ENOTFOUND},
        {{NULL}, {"a/b", NULL}, false, "'a/b' is not a group name",
         DS_EINVALID},
    };
    g_autoptr(GError) err = NULL;
    g_autoptr(ds_config) cfg = load(
        f,
        "[host web01]\nsource = local:\nlab = web01-lab\ngroups = web all\n"
        "[host app01]\nsource = local:\nlab = app01-lab\ngroups = web all\n"
        "[host db01]\nsource = local:\nlab = db01-lab\ngroups = all\n"
        "[host nolab]\nsource = local:\ngroups = all solo\n",
        &err);

    g_assert_no_error(err);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GPtrArray) out = NULL;
        g_autofree char *got = NULL;
        int rc = ds_config_choose_hosts(&out, cfg, cases[i].names,
                                        cases[i].groups, cases[i].labs, &err);

        g_assert_cmpint(rc, ==, cases[i].rc);
        if (rc == 0) {
            got = chosen_names(out);
            g_assert_cmpstr(got, ==, cases[i].want);
            continue;
        }
        g_assert_null(out);
        if (!g_str_has_prefix(err->message, cases[i].want))
            g_error("case %zu: wanted '%s...', got '%s'", i, cases[i].want,
                    err->message);
        g_clear_error(&err);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn)                                                          \
    g_test_add(name, fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/config/design-example", test_design_example);
    ADD("/config/every-key", test_every_key);
    ADD("/config/defaults", test_defaults);
    ADD("/config/missing-file", test_missing_file);
    ADD("/config/errors", test_errors);
    ADD("/config/host-defaults", test_host_defaults);
    ADD("/config/host-spacing", test_host_spacing);
    ADD("/config/find-lab", test_find_lab);
    ADD("/config/choose-hosts", test_choose_hosts);
    ADD("/config/table", test_table);
    return g_test_run();
}
