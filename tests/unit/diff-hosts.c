/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/diff-hosts.c: manifests built in code for the diff tests. */
#include <config.h>

#include <glib.h>

#include "manifests/util/error.h"
#include "tests/unit/diff-hosts.h"

void add_pkg(ds_manifest *m, const char *name, const char *version,
             const char *arch, const char *source)
{
    g_ptr_array_add(m->packages, ds_package_new(name, version, arch, source));
}

ds_file *add_file(ds_manifest *m, const char *path, const char *sha, guint mode,
                  const char *owner, const char *group)
{
    ds_file *f = ds_file_new(path);

    f->type = DS_FILE_REGULAR;
    f->sha256 = g_strdup(sha);
    f->mode = mode;
    f->owner = g_strdup(owner);
    f->group = g_strdup(group);
    g_ptr_array_add(m->files, f);
    return f;
}

ds_file *add_secret(ds_manifest *m, const char *path, const char *hmac)
{
    ds_file *f = add_file(m, path, NULL, 0640, "root", "shadow");

    f->secret = true;
    f->hmac = g_strdup(hmac);
    return f;
}

void add_svc(ds_manifest *m, const char *name, const char *enabled,
             const char *active)
{
    g_ptr_array_add(m->services, ds_service_new(name, enabled, active));
}

void normalise(ds_manifest *m)
{
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(ds_manifest_normalise(m, &err), ==, 0);
    g_assert_no_error(err);
}

ds_manifest *host(const char *kernel)
{
    ds_manifest *m = ds_manifest_new("web01", DS_ROLE_PROD);

    m->os.id = g_strdup("debian");
    m->os.version = g_strdup("12");
    m->os.name = g_strdup("Debian GNU/Linux 12 (bookworm)");
    m->kernel.running = g_strdup(kernel);
    return m;
}

/* A typical production host. */
ds_manifest *prod_host(void)
{
    ds_manifest *m = host("6.1.0-25-amd64");

    add_pkg(m, "bash", "5.2.15-2+b7", "amd64", "Debian:bookworm");
    add_pkg(m, "curl", "7.88.1-10+deb12u7", "amd64", "Debian:bookworm");
    add_pkg(m, "libc6", "2.36-9+deb12u10", "amd64", "Debian:bookworm");
    add_pkg(m, "libfoo", "1.0-1", "amd64", NULL);
    add_pkg(m, "linux-image-6.1.0-25-amd64", "6.1.106-3", "amd64", NULL);
    add_pkg(m, "openssl", "3.0.11-1~deb12u2", "amd64", "Debian:bookworm");
    add_pkg(m, "tar", "1.34+dfsg-1.2+deb12u1", "amd64", NULL);
    add_pkg(m, "zlib1g", "1:1.2.13.dfsg-1", "amd64", NULL);
    g_ptr_array_add(m->sources,
                    g_strdup("deb http://deb.debian.org/debian bookworm main"));
    g_ptr_array_add(m->sources, g_strdup("deb http://deb.debian.org/debian "
                                         "bookworm-backports main"));
    add_file(m, "/etc/hostname", "aa", 0644, "root", "root");
    add_file(m, "/etc/nginx/nginx.conf", "11", 0644, "root", "root");
    add_file(m, "/etc/old.conf", "22", 0644, "root", "root");
    add_file(m, "/etc/ssh/sshd_config", "33", 0644, "root", "root");
    add_secret(m, "/etc/shadow", "h1");
    add_svc(m, "cron.service", "enabled", "active");
    add_svc(m, "nginx.service", "enabled", "active");
    add_svc(m, "old.service", "enabled", "inactive");
    add_svc(m, "ssh.service", "enabled", "active");
    normalise(m);
    return m;
}

/* The same host after a day of changes. */
ds_manifest *changed_host(void)
{
    ds_manifest *m = host("6.1.0-26-amd64");
    ds_file *f;

    g_free(m->os.version);
    m->os.version = g_strdup("13");
    m->reboot_required = true;
    add_pkg(m, "bash", "5.2.15-2+b2", "amd64", "Debian:bookworm");
    add_pkg(m, "libc6", "2.36-9+deb12u7", "amd64", "Debian:bookworm");
    add_pkg(m, "libfoo", "1.0-1", "i386", NULL);
    add_pkg(m, "linux-image-6.1.0-25-amd64", "6.1.106-3", "amd64", NULL);
    add_pkg(m, "nginx", "1.22.1-9", "amd64", "Debian:bookworm");
    add_pkg(m, "openssl", "3.0.13-1~deb12u1", "amd64",
            "Debian:bookworm-security");
    add_pkg(m, "tar", "1.34+dfsg-1.2+deb12u1", "amd64", NULL);
    add_pkg(m, "zlib1g", "1:1.2.13.dfsg-1", "amd64", NULL);
    g_ptr_array_add(m->sources,
                    g_strdup("deb http://deb.debian.org/debian bookworm main"));
    g_ptr_array_add(m->sources, g_strdup("deb http://security.debian.org/"
                                         "debian-security bookworm-security "
                                         "main"));
    add_file(m, "/etc/hostname", "aa", 0644, "root", "root");
    add_file(m, "/etc/motd", "44", 0644, "root", "root");
    add_file(m, "/etc/nginx/nginx.conf", "11", 0640, "root", "www-data");
    add_file(m, "/etc/ssh/sshd_config", "55", 0600, "root", "root");
    add_secret(m, "/etc/shadow", "h2");
    f = add_file(m, "/etc/localtime", NULL, 0777, "root", "root");
    f->type = DS_FILE_SYMLINK;
    f->target = g_strdup("/usr/share/zoneinfo/UTC");
    add_svc(m, "cron.service", "enabled", "active");
    add_svc(m, "nginx.service", "masked", "failed");
    add_svc(m, "old.service", "enabled", "active");
    add_svc(m, "ssh.service", "disabled", "active");
    add_svc(m, "unattended-upgrades.service", "enabled", "active");
    normalise(m);
    return m;
}

GPtrArray *diff(const ds_manifest *a, const ds_manifest *b, const ds_ignore *ig)
{
    g_autoptr(GError) err = NULL;
    GPtrArray *out = NULL;

    g_assert_cmpint(ds_manifest_diff(&out, a, b, ig, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_nonnull(out);
    return out;
}

/* One line per change: "kind name old new bits" (NULL as "-"). */
char *dump(GPtrArray *changes)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < changes->len; i++) {
        const ds_change *c = changes->pdata[i];
        g_string_append_printf(s, "%s|%s|%s|%s|%s|%u",
                               ds_change_kind_name(c->kind),
                               ds_category_name(c->category), c->name,
                               c->old_value ? c->old_value : "-",
                               c->new_value ? c->new_value : "-", c->file_bits);
        /* the fields, when there are: "|mode=0644>0600,owner=a>b" */
        for (guint f = 0; c->fields && f < c->fields->len; f++) {
            const ds_change_field *x = c->fields->pdata[f];

            g_string_append_printf(s, "%c%s=%s>%s", f ? ',' : '|', x->name,
                                   x->old_value ? x->old_value : "-",
                                   x->new_value ? x->new_value : "-");
        }
        g_string_append_c(s, '\n');
    }
    return g_string_free(s, FALSE);
}
