/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-secret.c: the secret detector: known credential files
 * and their backups, credential formats in content (text and binary),
 * the mode rule and its exemptions, credentials stripped from URIs. */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <glib.h>

#include "drivers/platform-dpkg.h"
#include "drivers/secret.h"

static void test_names(void)
{
    const char *const yes[] = {
        "/etc/shadow",
        "/etc/gshadow",
        "/etc/shadow-",
        "/etc/gshadow-",
        "/etc/shadow.bak",
        "/etc/shadow~",
        "/etc/.shadow.swp",
        "/etc/#shadow#",
        "/etc/shadow.dpkg-old",
        "/etc/shadow.1",
        "/etc/shadow.bak.2",
        "/etc/shadow_old",
        "/etc/shadow.20240101",
        "/etc/ssh/ssh_host_rsa_key",
        "/etc/ssh/ssh_host_ed25519_key.bak",
        "/etc/ppp/chap-secrets",
        "/etc/ppp/chap-secrets.dpkg-dist",
        "/etc/apt/auth.conf.d/private.conf",
        "/etc/apt/auth.conf",
        "/etc/ssl/private/site.key",
        "/etc/wireguard/wg0.conf",
        "/etc/krb5.keytab",
        "/etc/ipsec.secrets",
        "/etc/ldap.secret",
        "/root/.netrc",
        "/home/ann/.pgpass",
        "/home/ann/.docker/config.json",
        "/home/ann/.aws/credentials",
        "/home/ann/.ssh/id_ed25519",
        "/var/www/.htpasswd",
        "/etc/nginx/site.htpasswd",
        "/etc/NetworkManager/system-connections/wifi.nmconnection",
        "/etc/mysql/debian.cnf.orig",
    };
    const char *const no[] = {
        "/etc/passwd",
        "/etc/group",
        "/etc/ssh/ssh_host_rsa_key.pub",
        "/home/ann/.ssh/id_ed25519.pub",
        "/etc/shadowsocks.json",
        "/etc/ppp/options",
        "/etc/apt/sources.list",
        "/etc/ssh/sshd_config",
        "/etc/shadow.d/x",
        "/etc/hosts.bak",
    };
    const char *const pats[] = {"/etc/app/*.key", NULL};

    for (gsize i = 0; i < G_N_ELEMENTS(yes); i++)
        if (!ds_secret_by_name(yes[i], NULL))
            g_error("%s: not secret by name", yes[i]);
    for (gsize i = 0; i < G_N_ELEMENTS(no); i++)
        if (ds_secret_by_name(no[i], NULL))
            g_error("%s: secret by name", no[i]);
    g_assert_true(ds_secret_by_name("/etc/app/sub/tls.key", pats));
    g_assert_true(ds_secret_by_name("/etc/app/tls.key.old", pats));
    g_assert_false(ds_secret_by_name("/etc/app/tls.crt", pats));
}

static gboolean content_is_secret(const char *s)
{
    return ds_secret_by_content(s, strlen(s));
}

static void test_text_formats(void)
{
    const char *const yes[] = {
        "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n",
        "x\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF\n",
        "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n",
        "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: x\n",
        "#\n-----BEGIN OpenVPN Static key V1-----\n6acef03f\n",
        "AGE-SECRET-KEY-1QQQQQQ\n",
        "[default]\naws_access_key_id = AKIA\naws_secret_access_key = abc\n",
        "[Interface]\nAddress = 10.0.0.1/24\n"
        "PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n",
        "[WireGuardPeer]\npresharedkey=yAnz5TF+lXXJte14tji3zlMNq+"
        "hd2rYUIgJBgB3fBmk=\n",
        "root:$y$j9T$abc$def:19000:0:99999:7:::\n",
        "daemon:*:19000::\nann:$6$salt$hash:19000:0:99999:7:::\n",
        "ann:$apr1$xyz$abcdef\n",
        "bob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n",
        "ann:1000:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:"
        "8846F7EAEE8FB117AD06BDD830B7586C:[U          ]:LCT-5F000000:\n",
        "machine apt.example.com login ann password s3cret\n",
        "machine apt.example.com\n  login ann\n  password s3cret\n",
        "{\"auths\": {\"registry.example.com\": {\"auth\": "
        "\"YW5uOnMzY3JldA==\"}}}",
        "network={\n  ssid=\"home\"\n  psk=\"s3cret pass\"\n}\n",
        "https://ann:s3cret@git.example.com\n",
        "url = postgres://app:pw@db:5432/app\n",
        "apiVersion: v1\nusers:\n- user:\n    client-key-data: LS0t\n",
    };
    const char *const no[] = {
        "",
        "listen = 8080\n",
        "root:x:0:0:root:/root:/bin/bash\n",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE root@h\n",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n",
        "[Interface]\nPrivateKeyFile = /etc/wireguard/key\n",
        "# password must be set in auth.conf\n",
        "deb https://deb.debian.org/debian bookworm main\n",
        "mail: ann@example.com http://example.com/a@b\n",
        "root:*:19000:0:99999:7:::\nann:!:19000::\n",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(yes); i++)
        if (!content_is_secret(yes[i]))
            g_error("not found secret: %s", yes[i]);
    for (gsize i = 0; i < G_N_ELEMENTS(no); i++)
        if (content_is_secret(no[i]))
            g_error("found secret: %s", no[i]);
    /* grep -F takes them as they are: a plain file matches none */
    {
        const char *argv[] = {
            "grep", "-cF",         "-e", ds_secret_grep_markers(),
            "--",   "/etc/passwd", NULL};
        int status = 0;

        g_assert_false(g_str_has_suffix(ds_secret_grep_markers(), "\n"));
        g_assert_null(strstr(ds_secret_grep_markers(), "\n\n"));
        g_assert_true(
            g_spawn_sync(NULL, (char **)argv, NULL,
                         G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                         NULL, NULL, NULL, &status, NULL));
        g_assert_cmpint(WEXITSTATUS(status), ==, 1); /* no line matched */
    }
    /* every marker grep is given is one the content check knows */
    g_auto(GStrv) m = g_strsplit(ds_secret_grep_markers(), "\n", -1);
    g_assert_cmpuint(g_strv_length(m), >=, 10);
    for (guint i = 0; m[i] && *m[i]; i++) {
        g_autofree char *s = g_strdup_printf("abc %s def", m[i]);
        g_assert_true(content_is_secret(s));
    }
}

static gboolean bytes_are_secret(const guchar *d, gsize len)
{
    return ds_secret_by_content(d, len);
}

static void test_binary_formats(void)
{
    /* SEC1 EC private key: SEQUENCE { INTEGER 1, OCTET STRING (32) } */
    guchar ec[2 + 3 + 34];
    /* SubjectPublicKeyInfo: SEQUENCE { SEQUENCE { OID ecPublicKey },
     * BIT STRING } is no secret */
    static const guchar spki[] = {0x30, 0x0f, 0x30, 0x09, 0x06, 0x07,
                                  0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
                                  0x01, 0x03, 0x02, 0x00, 0x04};
    /* a keytab: version 0x502, one entry ann@EXAMPLE.COM, aes key */
    static const guchar keytab[] = {
        0x05, 0x02, 0x00, 0x00, 0x00, 0x25, /* size 37 */
        0x00, 0x01,                         /* 1 component */
        0x00, 0x0b, 'E',  'X',  'A',  'M',  'P', 'L', 'E',
        '.',  'C',  'O',  'M',  0x00, 0x03, 'a', 'n', 'n', /* ann */
        0x00, 0x00, 0x00, 0x01,                            /* name type */
        0x65, 0x00, 0x00, 0x00,                            /* timestamp */
        0x01,                                              /* vno */
        0x00, 0x12,                                        /* aes256 */
        0x00, 0x04, 0xde, 0xad, 0xbe, 0xef,                /* key */
    };
    static const guchar jks[] = {0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0, 0};
    /* OpenPGP secret key packet, old format, v4, EdDSA */
    guchar pgp[2 + 40] = {0x94, 40, 4, 0x65, 0x00, 0x00, 0x00, 22};
    guchar noise[256];

    ec[0] = 0x30;
    ec[1] = sizeof ec - 2;
    memcpy(ec + 2, "\x02\x01\x01\x04\x20", 5);
    memset(ec + 7, 0x5a, 32);
    g_assert_true(bytes_are_secret(ec, sizeof ec));
    g_assert_false(bytes_are_secret(ec, sizeof ec - 1)); /* truncated */
    g_assert_false(bytes_are_secret(spki, sizeof spki));
    g_assert_true(bytes_are_secret(keytab, sizeof keytab));
    g_assert_false(bytes_are_secret(keytab, 20));
    g_assert_true(bytes_are_secret(jks, sizeof jks));
    g_assert_true(bytes_are_secret(pgp, sizeof pgp));
    pgp[0] = 0x98; /* a public key packet (tag 6) */
    g_assert_false(bytes_are_secret(pgp, sizeof pgp));
    for (gsize i = 0; i < sizeof noise; i++)
        noise[i] = (guchar)(i * 37 + 11);
    g_assert_false(bytes_are_secret(noise, sizeof noise));
}

/* Real keys as openssl writes them in DER: PKCS#1, PKCS#8 (plain and
 * encrypted), SEC1, PKCS#12; a certificate is no secret. */
static void test_openssl_der(void)
{
    g_autofree char *dir = g_dir_make_tmp("ds-secret-XXXXXX", NULL);
    const char *script =
        "set -e; cd \"$1\"\n"
        "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024"
        " -out rsa.pem 2>/dev/null\n"
        "openssl pkey -in rsa.pem -outform DER -out p8.der\n"
        "openssl pkey -in rsa.pem -outform DER -traditional -out p1.der\n"
        "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256"
        " -out ec.pem\n"
        "openssl pkey -in ec.pem -outform DER -traditional -out sec1.der\n"
        "openssl pkcs8 -topk8 -in ec.pem -outform DER -v2 aes256"
        " -passout pass:x -out enc.der\n"
        "openssl req -x509 -key ec.pem -subj /CN=t -days 1 -outform DER"
        " -out cert.der\n"
        "openssl req -x509 -key ec.pem -subj /CN=t -days 1 -out cert.pem\n"
        "openssl pkcs12 -export -inkey ec.pem -in cert.pem -passout pass:x"
        " -out bundle.p12\n"
        "openssl pkey -in ec.pem -pubout -outform DER -out pub.der\n";
    const char *argv[] = {"sh", "-c", script, "sh", dir, NULL};
    const char *const secret[] = {"p8.der", "p1.der", "sec1.der", "enc.der",
                                  "bundle.p12"};
    const char *const plain[] = {"cert.der", "pub.der"};
    g_autoptr(GError) err = NULL;
    g_autofree char *errout = NULL;
    g_autofree char *openssl = g_find_program_in_path("openssl");
    int status = 0;

    if (!openssl) {
        g_test_skip("openssl is missing (contrib/install-deps.sh test)");
        return;
    }
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, NULL, &errout, &status, &err));
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("openssl: %s", errout);
    for (gsize i = 0; i < G_N_ELEMENTS(secret) + G_N_ELEMENTS(plain); i++) {
        gboolean want = i < G_N_ELEMENTS(secret);
        const char *name = want ? secret[i] : plain[i - G_N_ELEMENTS(secret)];
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_autofree char *data = NULL;
        gsize len;

        g_assert_true(g_file_get_contents(path, &data, &len, NULL));
        if (ds_secret_by_content(data, len) != want)
            g_error("%s: secret should be %d", name, want);
    }
    g_autofree char *rm = g_strdup_printf("rm -rf '%s'", dir);
    g_assert_cmpint(system(rm), ==, 0);
}

static void test_mode_and_classify(void)
{
    const char *const exempt[] = {"/etc/sudoers*", NULL};
    ds_secret_rules rules = {.mode_exempt = exempt};
    g_autoptr(GBytes) key =
        g_bytes_new_static("-----BEGIN PRIVATE KEY-----\n", 28);
    g_autoptr(GBytes) text = g_bytes_new_static("a = b\n", 6);

    g_assert_true(ds_secret_by_mode("/etc/app.conf", 0600, NULL));
    g_assert_true(ds_secret_by_mode("/etc/app.conf", 0640, NULL));
    g_assert_true(ds_secret_by_mode("/etc/app.conf", 0751, NULL));
    g_assert_false(ds_secret_by_mode("/etc/app.conf", 0644, NULL));
    g_assert_false(ds_secret_by_mode("/etc/app.conf", 0604, NULL));
    g_assert_false(ds_secret_by_mode("/etc/sudoers", 0440, exempt));
    g_assert_true(ds_secret_by_mode("/etc/app.conf", 0440, exempt));

    g_assert_cmpint(ds_secret_classify(&rules, "/etc/shadow", 0644, text), ==,
                    DS_SECRET_NAME);
    g_assert_cmpint(ds_secret_classify(&rules, "/srv/k", 0644, key), ==,
                    DS_SECRET_CONTENT);
    g_assert_cmpint(ds_secret_classify(&rules, "/srv/k", 0600, text), ==,
                    DS_SECRET_MODE);
    g_assert_cmpint(ds_secret_classify(&rules, "/srv/k", 0644, text), ==,
                    DS_SECRET_NO);
    g_assert_cmpint(ds_secret_classify(NULL, "/srv/k", 0644, NULL), ==,
                    DS_SECRET_NO);
    /* an exempt path is still secret by its content */
    g_assert_cmpint(ds_secret_classify(&rules, "/etc/sudoers", 0440, key), ==,
                    DS_SECRET_CONTENT);
    g_assert_cmpint(ds_secret_classify(&rules, "/etc/sudoers", 0440, text), ==,
                    DS_SECRET_NO);
}

static void test_uris(void)
{
    const char *cases[][2] = {
        {"https://ann:s3cret@apt.example.com/debian",
         "https://apt.example.com/debian"},
        {"https://ann@apt.example.com", "https://apt.example.com"},
        {"mirror+https://a:b@m.example.com/list",
         "mirror+https://m.example.com/list"},
        {"http://h.example.com/p@th", "http://h.example.com/p@th"},
        {"http://a:b@c@h.example.com:8080/x?y#z",
         "http://h.example.com:8080/x?y#z"},
        {"file:/srv/repo", "file:/srv/repo"},
        {"signed-by=/k.gpg", "signed-by=/k.gpg"},
        {"://a:b@h", "://a:b@h"},
    };
    g_autoptr(GPtrArray) src = g_ptr_array_new_with_free_func(g_free);

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = ds_secret_strip_uri(cases[i][0]);
        g_assert_cmpstr(got, ==, cases[i][1]);
    }
    g_ptr_array_add(src, g_strdup("deb [signed-by=/k.gpg] "
                                  "https://ann:pw@apt.example.com/d x main"));
    g_ptr_array_add(src, g_strdup("deb http://deb.debian.org/debian x main"));
    ds_secret_scrub_sources(src);
    g_assert_cmpstr(src->pdata[0], ==,
                    "deb [signed-by=/k.gpg] https://apt.example.com/d x main");
    g_assert_cmpstr(src->pdata[1], ==,
                    "deb http://deb.debian.org/debian x main");
}

/* The apt parser strips them in both formats before anything else sees
 * the entries. */
static void test_apt_sources(void)
{
    const char *list =
        "deb https://ann:s3cret@apt.example.com/d bookworm main\n";
    const char *deb822 = "Types: deb\n"
                         "URIs: https://bob:pa55@apt.example.com/e\n"
                         "Suites: bookworm\nComponents: main\n";
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(
        ds_apt_parse_sources(out, "l", list, strlen(list), FALSE, &err), ==, 0);
    g_assert_cmpint(
        ds_apt_parse_sources(out, "s", deb822, strlen(deb822), TRUE, &err), ==,
        0);
    g_assert_cmpuint(out->len, ==, 2);
    g_assert_cmpstr(out->pdata[0], ==,
                    "deb https://apt.example.com/d bookworm main");
    g_assert_cmpstr(out->pdata[1], ==,
                    "deb https://apt.example.com/e bookworm main");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/secret/names", test_names);
    g_test_add_func("/secret/text-formats", test_text_formats);
    g_test_add_func("/secret/binary-formats", test_binary_formats);
    g_test_add_func("/secret/openssl-der", test_openssl_der);
    g_test_add_func("/secret/mode-and-classify", test_mode_and_classify);
    g_test_add_func("/secret/uris", test_uris);
    g_test_add_func("/secret/apt-sources", test_apt_sources);
    return g_test_run();
}
