#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/data/dpkg/mksecrets.sh DIR: plant credentials of every form the
# secret rules know into DIR/root (made by mkroot.sh first): known files
# and their backups, a hard link to shadow, a modified conffile no `files`
# entry names, key and login formats under neutral names, files others may
# not read, a big file with a key inside, passwords in apt source URIs,
# hard links to secret files.
# Lists the planted files in DIR/secret-files (host paths, one a line) and
# the secret strings in DIR/secret-strings.  Used by
# tests/integration/secrets.sh.
set -eu
d=$1
r=$d/root
: >"$d/secret-files"
: >"$d/secret-strings"

# put MODE PATH TEXT: a file with TEXT (printf %b), listed as secret
put() {
    mkdir -p "$r$(dirname "$2")"
    printf '%b' "$3" >"$r$2"
    chmod "$1" "$r$2"
    echo "$2" >>"$d/secret-files"
}
# secret STRING: a string that must never reach the store
secret() { echo "$1" >>"$d/secret-strings"; }

# Known credential files and their backups, readable by others.
put 0644 /etc/shadow- 'root:$y$SECRET01SHADOWDASH:19000:0:99999:7:::\n'
put 0644 /etc/shadow.bak 'root:$6$SECRET02SHADOWBAK:19000:0:99999:7:::\n'
put 0644 /etc/gshadow- 'root:SECRET03GSHADOW::\n'
put 0644 /etc/apt/auth.conf.d/private.conf \
    'machine apt.example.com\nlogin ann\npassword SECRET04AUTHCONF\n'
secret SECRET01SHADOWDASH; secret SECRET02SHADOWBAK
secret SECRET03GSHADOW; secret SECRET04AUTHCONF

# A hard link to shadow under a name nobody would call secret.
mkdir -p "$r/srv/backup"
ln "$r/etc/shadow" "$r/srv/backup/users.db"
echo /srv/backup/users.db >>"$d/secret-files"
# And one to a file secret by its name only (plain text, readable by
# others): the link is secret because the file is.
put 0644 /srv/home/ann/.ssh/id_backup 'SECRET28PLAINKEYMATERIAL\n'
ln "$r/srv/home/ann/.ssh/id_backup" "$r/srv/backup/site.copy"
echo /srv/backup/site.copy >>"$d/secret-files"
secret SECRET28PLAINKEYMATERIAL
secret SECRETHASHSHADOW; secret SECRETHOSTKEYBODY; secret SECRETPEMBODY

# Formats, by content, under neutral names, readable by others.
put 0644 /srv/keys/signing.asc \
    '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQSECRET05PGP\n-----END PGP PRIVATE KEY BLOCK-----\n'
put 0644 /srv/keys/ann.ppk \
    'PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: ann\nPublic-Lines: 1\nAAAAC3NzaC1\nPrivate-Lines: 1\nSECRET06PUTTY\nPrivate-MAC: 00\n'
put 0644 /srv/keys/ssh2.key \
    '---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: "ann"\nP2/SECRET07SSH2\n---- END SSH2 ENCRYPTED PRIVATE KEY ----\n'
put 0644 /srv/vpn/wg0.conf \
    '[Interface]\nAddress = 10.9.0.1/24\nPrivateKey = SECRET08WIREGUARDaaaaaaaaaaaaaaaaaaaaaaaaaa=\nListenPort = 51820\n'
put 0644 /srv/vpn/static.key \
    '#\n-----BEGIN OpenVPN Static key V1-----\nSECRET09OPENVPN\n-----END OpenVPN Static key V1-----\n'
put 0644 /srv/keys/age.txt '# created: now\nAGE-SECRET-KEY-1SECRET10AGE\n'
put 0644 /srv/www/users.txt 'ann:$apr1$SECRET11HT$abcdefgh\nbob:{SHA}SECRET12SHA=\n'
put 0644 /srv/home/ann/.netrc 'machine git.example.com login ann password SECRET13NETRC\n'
put 0644 /srv/home/ann/.pgpass 'db.example.com:5432:*:ann:SECRET14PGPASS\n'
put 0644 /srv/home/ann/.docker/config.json \
    '{\n  "auths": {\n    "registry.example.com": {\n      "auth": "SECRET15DOCKER"\n    }\n  }\n}\n'
put 0644 /srv/home/ann/.aws/credentials \
    '[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = SECRET16AWS\n'
put 0644 /srv/home/ann/.ssh/id_ed25519 \
    '-----BEGIN OPENSSH PRIVATE KEY-----\nSECRET17IDKEY\n-----END OPENSSH PRIVATE KEY-----\n'
put 0644 /srv/home/ann/.gnupg/private-keys-v1.d/0A1B.key \
    'Key: (protected-private-key (ecc (curve Ed25519)(q #SECRET18GPG#)))\n'
put 0644 /srv/www/.htpasswd 'carl:$2y$05$SECRET19BCRYPT\n'
put 0644 /srv/app/creds.yml 'db: postgres://app:SECRET20URIPASS@db.example.com/app\n'
for s in 05PGP 06PUTTY 07SSH2 08WIREGUARD 09OPENVPN 10AGE 11HT 12SHA 13NETRC \
    14PGPASS 15DOCKER 16AWS 17IDKEY 18GPG 19BCRYPT 20URIPASS; do
    secret "SECRET$s"
done
mkdir -p "$r/srv/home/ann/.ssh"
echo 'ssh-ed25519 AAAAPUBLICANN ann@test' >"$r/srv/home/ann/.ssh/id_ed25519.pub"

# Binary formats: a Kerberos keytab, DER keys and a PKCS#12 bundle.
python3 - "$r/srv/krb/service.kt" <<'PY'
import struct, sys, os
def s(b): return struct.pack(">H", len(b)) + b
key = b"SECRET21KEYTABKEYBYTES"
e = struct.pack(">H", 2) + s(b"EXAMPLE.COM") + s(b"HTTP") + s(b"web01") + \
    struct.pack(">IIBH", 1, 1700000000, 3, 18) + s(key)
os.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True)
open(sys.argv[1], "wb").write(b"\x05\x02" + struct.pack(">i", len(e)) + e)
PY
echo /srv/krb/service.kt >>"$d/secret-files"
secret SECRET21KEYTABKEYBYTES
k=$r/srv/keys
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$d/rsa.pem" 2>/dev/null
openssl pkey -in "$d/rsa.pem" -outform DER -out "$k/server.p8"
openssl pkey -in "$d/rsa.pem" -outform DER -traditional -out "$k/server.rsa"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/ec.pem"
openssl pkey -in "$d/ec.pem" -outform DER -traditional -out "$k/ec.bin"
openssl req -x509 -key "$d/ec.pem" -subj /CN=web01 -days 1 -out "$d/cert.pem"
openssl pkcs12 -export -inkey "$d/ec.pem" -in "$d/cert.pem" -passout pass:x \
    -out "$k/web01.pfx"
chmod 0644 "$k/server.p8" "$k/server.rsa" "$k/ec.bin" "$k/web01.pfx"
for f in server.p8 server.rsa ec.bin web01.pfx; do
    echo "/srv/keys/$f" >>"$d/secret-files"
done

# Mode: unreadable to others, nothing else secret about it; and one the
# configuration exempts (not listed: it is stored).
put 0600 /srv/app/db.conf 'password = SECRET22MODE\n'
put 0640 /srv/app/api.conf 'token = SECRET23MODE\n'
secret SECRET22MODE; secret SECRET23MODE
mkdir -p "$r/srv/app"
printf 'public = exempt from the mode rule\n' >"$r/srv/app/exempt.conf"
chmod 0600 "$r/srv/app/exempt.conf"

# A file above the size limit with a key inside: found by the remote grep.
mkdir -p "$r/srv/data"
{ head -c 1200000 /dev/zero | tr '\0' 'a'
  printf '\n-----BEGIN PRIVATE KEY-----\nSECRET24BIGFILE\n-----END PRIVATE KEY-----\n'
} >"$r/srv/data/dump.txt"
echo /srv/data/dump.txt >>"$d/secret-files"
secret SECRET24BIGFILE

# A conffile changed by the admin that no `files` entry names.
p=$d/pkg/ds-ppp
mkdir -p "$p/DEBIAN" "$p/etc/ppp"
printf 'Package: ds-ppp\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.com>\nDescription: test package\n' \
    >"$p/DEBIAN/control"
printf '# client server secret IP\n' >"$p/etc/ppp/chap-secrets"
printf '/etc/ppp/chap-secrets\n' >"$p/DEBIAN/conffiles"
dpkg-deb --build --root-owner-group "$p" "$d/ds-ppp.deb" >/dev/null
dpkg --root="$r" --admindir="$r/var/lib/dpkg" --force-script-chrootless \
    --force-not-root --force-unsafe-io -i "$d/ds-ppp.deb" >"$d/dpkg.log" 2>&1 ||
    { cat "$d/dpkg.log" >&2; exit 1; }
printf 'ann * SECRET25CHAP *\n' >"$r/etc/ppp/chap-secrets"
chmod 0644 "$r/etc/ppp/chap-secrets"
echo /etc/ppp/chap-secrets >>"$d/secret-files"
secret SECRET25CHAP

# Passwords in apt source URIs, both formats (the files themselves are
# secret by their content; the source entries are stored without them).
echo 'deb https://ann:SECRET26APTLIST@apt.example.com/debian bookworm main' \
    >"$r/etc/apt/sources.list.d/private.list"
printf 'Types: deb\nURIs: https://bob:SECRET27APT822@apt2.example.com/debian\nSuites: bookworm\nComponents: main\n' \
    >"$r/etc/apt/sources.list.d/private.sources"
echo /etc/apt/sources.list.d/private.list >>"$d/secret-files"
echo /etc/apt/sources.list.d/private.sources >>"$d/secret-files"
secret SECRET26APTLIST; secret SECRET27APT822

# sshd, started with this tree as its /etc, needs its privilege user.
echo 'sshd:x:102:65534::/run/sshd:/usr/sbin/nologin' >>"$r/etc/passwd"
