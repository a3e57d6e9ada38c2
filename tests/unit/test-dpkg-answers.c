/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-dpkg-answers.c: the dpkg collector against a host whose
 * answers are scripted (tests/unit/scripted-transport.c), for what no real
 * host gives: output cut short, relative paths; each case is an input the
 * fuzzer (tests/fuzz/fuzz-dpkg-collect) once crashed on, now one clear
 * error or a sound manifest. */
#include <config.h>

#include "drivers/platform-dpkg.h"
#include "manifests/util/error.h"
#include "manifests/manifest.h"
#include "tests/unit/scripted-transport.h"

static int collect(ds_manifest **out, const char *script, gsize len,
                   GError **err)
{
    static const char *const files[] = {"/etc/", NULL};
    static const char key[32] = "test-hmac-key";
    g_autoptr(GBytes) hmac = g_bytes_new_static(key, sizeof key);
    ds_collect_options opts = {.host = "web01", .role = DS_ROLE_PROD,
                               .files = files, .hmac_key = hmac};
    g_autoptr(ds_transport) t = NULL;
    int rc;

    ds_scripted_register();
    g_assert_cmpint(ds_transport_open(&t, "scripted:", NULL, NULL), ==, 0);
    ds_scripted_set(script, len);
    rc = ds_platform_dpkg_ops.collect(out, t, &opts, err);
    ds_scripted_set(NULL, 0);
    return rc;
}

/* The collection script's answer with PROBE as its find section; the
 * file capture then finds nothing. */
static GString *answers(const char *probe, gsize probe_len)
{
    GString *s = g_string_new("\n@M@ uname\n6.1.0-25-amd64\n");

    if (probe) {
        g_string_append(s, "\n@M@ probe\n");
        g_string_append_len(s, probe, (gssize)probe_len);
    }
    g_string_append(s, "\n@M@ dpkg\nnginx\t1.22.1-9\tamd64\tii \n\n"
                       "\n@M@ dpkg-status 0\n"
                       "\n@M@ md5\n"
                       "\n@M@ os-release\nID=debian\nVERSION_ID=\"12\"\n"
                       "\n@M@ end\n"
                       "\n\f\n"
                       "\n@M@ meta\n\n@M@ tar\n\n@M@ sums\n\n@M@ keys\n"
                       "\n@M@ end\n");
    return s;
}

/* The scripted host itself: a sound answer gives a sound manifest. */
static void test_sound(void)
{
    static const char probe[] = "f /boot/vmlinuz-6.1.0-25-amd64\0";
    g_autoptr(GString) s = answers(probe, sizeof probe);
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(collect(&m, s->str, s->len, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_nonnull(ds_manifest_find_package(m, "nginx"));
    g_assert_cmpstr(m->kernel.running, ==, "6.1.0-25-amd64");
    g_assert_cmpuint(m->kernel.installed->len, ==, 1);
}

/* Found by fuzzing: find output naming a path without a '/' made the
 * probe take the base name of NULL (undefined behaviour, a crash under
 * UBSan).  A host path is absolute: anything else is skipped. */
static void test_relative_path(void)
{
    static const char probe[] = "f vmlinuz-6.1.0-9-amd64\0\0"
                                "f boot/vmlinuz-6.1.0-8-amd64\0\0"
                                "f /boot/vmlinuz-6.1.0-25-amd64\0";
    g_autoptr(GString) s = answers(probe, sizeof probe);
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(collect(&m, s->str, s->len, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(m->kernel.installed->len, ==, 1);
    g_assert_cmpstr(m->kernel.installed->pdata[0], ==, "6.1.0-25-amd64");
}

/* Found by fuzzing: an answer without the probe section passed NULL to
 * g_bytes_get_data (a GLib critical, fatal under tests). */
static void test_no_probe(void)
{
    g_autoptr(GString) s = answers(NULL, 0);
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(collect(&m, s->str, s->len, &err), ==, DS_EINVALID);
    g_assert_null(m);
    g_assert_cmpstr(err->message, ==,
                    "web01: the collection script's output has no probe "
                    "section");
}

/* An empty uname answer is no kernel release (and no crash). */
static void test_empty_uname(void)
{
    static const char probe[] = "f /boot/vmlinuz-6.1.0-25-amd64\0";
    g_autoptr(GString) s = answers(probe, sizeof probe);
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GError) err = NULL;
    const char *cut = strstr(s->str, "6.1.0-25-amd64\n");

    g_string_erase(s, cut - s->str, strlen("6.1.0-25-amd64\n"));
    g_assert_cmpint(collect(&m, s->str, s->len, &err), ==, DS_EINVALID);
    g_assert_nonnull(strstr(err->message, "web01: uname -r output"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dpkg-answers/sound", test_sound);
    g_test_add_func("/dpkg-answers/relative-path", test_relative_path);
    g_test_add_func("/dpkg-answers/no-probe", test_no_probe);
    g_test_add_func("/dpkg-answers/empty-uname", test_empty_uname);
    return g_test_run();
}
