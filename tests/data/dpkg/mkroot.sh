#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/data/dpkg/mkroot.sh DIR: build a small Debian tree in DIR/root with
# real dpkg: packages with conffiles and a systemd unit, apt sources in
# both formats, secrets and os-release.  Used by tests/unit/test-dpkg.
set -eu
d=$1
r=$d/root
arch=$(dpkg --print-architecture)
mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates" "$d/pkg"
: >"$r/var/lib/dpkg/status"
: >"$r/var/lib/dpkg/available"

# mkdeb NAME VERSION ARCH: package tree in $d/pkg/NAME, built to NAME.deb
control() {
    mkdir -p "$d/pkg/$1/DEBIAN"
    printf 'Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: t <t@example.com>\nDescription: test package\n' \
        "$1" "$2" "$3" >"$d/pkg/$1/DEBIAN/control"
}
build() { dpkg-deb --build --root-owner-group "$d/pkg/$1" "$d/$1.deb" >/dev/null; }

control ds-conf 1:2.3-4 all
mkdir -p "$d/pkg/ds-conf/etc/ds-conf"
printf 'setting = packaged\n' >"$d/pkg/ds-conf/etc/ds-conf/a.conf"
printf 'other = packaged\n' >"$d/pkg/ds-conf/etc/ds-conf/b.conf"
printf '/etc/ds-conf/a.conf\n/etc/ds-conf/b.conf\n' >"$d/pkg/ds-conf/DEBIAN/conffiles"
build ds-conf

control ds-svc 0.9~rc1-1 "$arch"
mkdir -p "$d/pkg/ds-svc/lib/systemd/system" \
    "$d/pkg/ds-svc/etc/systemd/system/multi-user.target.wants"
printf '[Unit]\nDescription=ds\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n' \
    >"$d/pkg/ds-svc/lib/systemd/system/ds-svc.service"
printf '[Unit]\nDescription=ds idle\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n' \
    >"$d/pkg/ds-svc/lib/systemd/system/ds-idle.service"
ln -s /lib/systemd/system/ds-svc.service \
    "$d/pkg/ds-svc/etc/systemd/system/multi-user.target.wants/ds-svc.service"
build ds-svc

control ds-gone 1.0 all
mkdir -p "$d/pkg/ds-gone/etc"
printf 'x\n' >"$d/pkg/ds-gone/etc/ds-gone.conf"
printf '/etc/ds-gone.conf\n' >"$d/pkg/ds-gone/DEBIAN/conffiles"
build ds-gone

dpkg_root() {
    dpkg --root="$r" --admindir="$r/var/lib/dpkg" --force-script-chrootless \
        --force-not-root --force-unsafe-io "$@" >"$d/dpkg.log" 2>&1 ||
        { cat "$d/dpkg.log" >&2; exit 1; }
}
dpkg_root -i "$d/ds-conf.deb" "$d/ds-svc.deb" "$d/ds-gone.deb"
# removed, not purged: "rc", its conffile stays: neither is collected
dpkg_root -r ds-gone
printf 'setting = changed by the admin\n' >"$r/etc/ds-conf/a.conf"
printf 'y\n' >"$r/etc/ds-gone.conf"

mkdir -p "$r/etc/apt/sources.list.d"
cat >"$r/etc/apt/sources.list" <<'S'
# the main archive
deb [ signed-by=/usr/share/keyrings/debian.gpg arch=amd64 ]  http://deb.debian.org/debian bookworm main   contrib # trailing
deb-src http://deb.debian.org/debian bookworm main

S
echo 'deb http://example.com/repo ./' >"$r/etc/apt/sources.list.d/flat.list"
echo 'deb http://ignored.example.com/ x main' >"$r/etc/apt/sources.list.d/old.list.save"
cat >"$r/etc/apt/sources.list.d/debian.sources" <<'S'
# deb822
Types: deb deb-src
URIs: http://deb.debian.org/debian http://mirror.example.com/debian
Suites: bookworm bookworm-updates
Components: main non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://disabled.example.com/debian
Suites: bookworm
Components: main
Enabled: no

types: deb
uris: http://security.debian.org/debian-security
suites: bookworm-security
components: main
architectures: amd64 arm64
S

cat >"$r/etc/os-release" <<'S'
PRETTY_NAME="Debian GNU/Linux 12 (bookworm) \"test\""
NAME='Debian GNU/Linux'
VERSION_ID="12"
ID=debian
S
mkdir -p "$r/boot" "$r/etc/ssh" "$r/etc/app/sub"
: >"$r/boot/vmlinuz-6.1.0-25-amd64"
: >"$r/boot/vmlinuz-6.1.0-26-amd64"
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1234:1235::/nonexistent:/bin/false\n' >"$r/etc/passwd"
printf 'root:x:0:\napp:x:1235:\n' >"$r/etc/group"
printf 'root:$y$SECRETHASHSHADOW:19000:0:99999:7:::\n' >"$r/etc/shadow"
chmod 0640 "$r/etc/shadow"
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nSECRETHOSTKEYBODY\n-----END OPENSSH PRIVATE KEY-----\n' \
    >"$r/etc/ssh/ssh_host_ed25519_key"
chmod 0600 "$r/etc/ssh/ssh_host_ed25519_key"
echo 'ssh-ed25519 AAAAPUBLIC root@test' >"$r/etc/ssh/ssh_host_ed25519_key.pub"
printf 'listen = 8080\n' >"$r/etc/app/app.conf"
chown 1234:1235 "$r/etc/app/app.conf"
chmod 0640 "$r/etc/app/app.conf"
printf -- '-----BEGIN RSA PRIVATE KEY-----\nSECRETPEMBODY\n-----END RSA PRIVATE KEY-----\n' \
    >"$r/etc/app/sub/tls.pem"
ln -s app.conf "$r/etc/app/current"
# a masked unit, an alias, an enabled template instance
mkdir -p "$r/etc/systemd/system/getty.target.wants"
cp "$r/lib/systemd/system/ds-idle.service" "$r/lib/systemd/system/ds-masked.service"
ln -s /dev/null "$r/etc/systemd/system/ds-masked.service"
ln -s /lib/systemd/system/ds-svc.service "$r/etc/systemd/system/ds-alias.service"
cp "$r/lib/systemd/system/ds-idle.service" "$r/lib/systemd/system/ds-tty@.service"
ln -s /lib/systemd/system/ds-tty@.service "$r/etc/systemd/system/getty.target.wants/ds-tty@tty1.service"
# a template with DefaultInstance=, enabled through that instance (the
# one above, without it, is only "indirect")
printf '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=getty.target\nDefaultInstance=tty1\n' \
    >"$r/lib/systemd/system/ds-dtty@.service"
ln -s /lib/systemd/system/ds-dtty@.service "$r/etc/systemd/system/getty.target.wants/ds-dtty@tty1.service"
# static (no [Install]), indirect (Also= only), and a copy in /etc without
# [Install] that overrides the packaged unit (which has one)
printf '[Unit]\nDescription=ds static\n[Service]\nExecStart=/bin/true\n' \
    >"$r/lib/systemd/system/ds-static.service"
printf '[Service]\nExecStart=/bin/true\n[Install]\n  Also=ds-idle.service\n' \
    >"$r/lib/systemd/system/ds-also.service"
cp "$r/lib/systemd/system/ds-idle.service" "$r/lib/systemd/system/ds-local.service"
cp "$r/lib/systemd/system/ds-static.service" "$r/etc/systemd/system/ds-local.service"
