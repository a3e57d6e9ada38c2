#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/host-mirror.sh: tests/e2e/host-mirror.sh, which gives the
# guest image's debootstrap the machine's own Debian mirror and proxy,
# on sample apt configurations read by the real apt-config (APT_CONFIG
# moves Dir::Etc): one-line and deb822 sources, disabled and unrelated
# entries, apt's file order, proxies set, per host, DIRECT and unset,
# and DS_E2E_MIRROR over all of it.
. "$DS_SRCDIR/tests/setup.sh"

require_cmds apt-config bash
HM=$DS_SRCDIR/tests/e2e/host-mirror.sh
unset DS_E2E_MIRROR http_proxy https_proxy

# site NAME: an empty apt configuration $T/NAME; mirror NAME [SUITE]:
# the script run on it, its answer in $T/out.
site() {
    mkdir -p "$T/$1/etc/apt.conf.d" "$T/$1/etc/sources.list.d"
    printf 'Dir::Etc "%s/%s/etc/";\n' "$T" "$1" >"$T/$1/apt.conf"
}
mirror() {
    APT_CONFIG=$T/$1/apt.conf bash "$HM" ${2:+"$2"} >"$T/out" 2>"$T/err"
}
is() { # WHAT KEY VALUE: the line "KEY VALUE" in $T/out
    check "$1" test "$(sed -n "s/^$2 //p" "$T/out")" = "$3"
}

# ---- one-line sources.list ----
site one
cat >"$T/one/etc/sources.list" <<'L'
# deb http://commented.example/debian bookworm main
deb-src http://src.example/debian bookworm main
deb http://security.example/debian-security bookworm-security main
deb [arch=amd64 signed-by=/usr/share/keyrings/a b.gpg] http://mirror.one.example/debian bookworm main contrib
deb http://later.example/debian bookworm main
L
check "one-line: runs" mirror one
is "one-line: the first deb line for bookworm, options and all skipped" mirror http://mirror.one.example/debian
is "one-line: says where it came from" from "$T/one/etc/sources.list"
is "one-line: no proxy configured, none given" proxy ""
mirror one bullseye
is "another suite: none listed, the default" mirror http://deb.debian.org/debian
is "and says so" from default

# ---- deb822 .sources ----
site822() {
    site 822
    cat >"$T/822/etc/sources.list.d/debian.sources" <<'S'
# the site's mirrors
Types: deb
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
Enabled: no

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm

Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main

Types: deb deb-src
URIs: http://mirror.two.example/debian http://second.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 Suites: bookworm
 -----END PGP PUBLIC KEY BLOCK-----
S
}
site822
check "deb822: runs" mirror 822
is "deb822: the first enabled deb paragraph listing bookworm, its first URI" mirror http://mirror.two.example/debian
is "deb822: from the .sources file" from "$T/822/etc/sources.list.d/debian.sources"
mirror 822 bookworm-updates
is "deb822: a suite among several" mirror http://mirror.two.example/debian

# ---- apt's order: sources.list, then .list and .sources by name ----
site order
echo '# nothing here' >"$T/order/etc/sources.list"
echo 'deb http://z.example/debian bookworm main' >"$T/order/etc/sources.list.d/z.list"
printf 'Types: deb\nURIs: http://b.example/debian\nSuites: bookworm\nComponents: main\n' \
    >"$T/order/etc/sources.list.d/b.sources"
echo 'deb http://off.example/debian bookworm main' >"$T/order/etc/sources.list.d/a.list.disabled"
mirror order
is "name order across both formats; other names ignored" mirror http://b.example/debian
printf 'deb cdrom:[Debian 12]/ bookworm main\ndeb http://top.example/debian bookworm main\n' \
    >"$T/order/etc/sources.list"
mirror order
is "sources.list first; a cdrom: source is passed over" mirror http://top.example/debian

# ---- proxies ----
site822
echo 'Acquire::http::Proxy "http://proxy.example:3128/";' >"$T/822/etc/apt.conf.d/01proxy"
mirror 822
is "proxy: apt's Acquire::http::Proxy" proxy http://proxy.example:3128/
is "proxy: the mirror unchanged" mirror http://mirror.two.example/debian
echo 'Acquire::http::Proxy::mirror.two.example "DIRECT";' >>"$T/822/etc/apt.conf.d/01proxy"
mirror 822
is "proxy: DIRECT for the mirror's host means none" proxy ""
echo 'Acquire::http::Proxy::mirror.two.example "http://near.example:8080";' >"$T/822/etc/apt.conf.d/02near"
mirror 822
is "proxy: a per-host proxy before the general one" proxy http://near.example:8080
site https
echo 'deb https://tls.example/debian bookworm main' >"$T/https/etc/sources.list"
printf 'Acquire::http::Proxy "http://plain.example:1/";\nAcquire::https::Proxy "http://tls-proxy.example:2/";\n' \
    >"$T/https/etc/apt.conf.d/01proxy"
mirror https
is "an https mirror" mirror https://tls.example/debian
is "takes Acquire::https::Proxy" proxy http://tls-proxy.example:2/

# ---- nothing configured, and the override ----
site none
check "no sources at all: runs" mirror none
is "the default mirror" mirror http://deb.debian.org/debian
is "no proxy" proxy ""
DS_E2E_MIRROR=http://override.example/debian
export DS_E2E_MIRROR
mirror 822
is "DS_E2E_MIRROR over the sources" mirror http://override.example/debian
is "named as the origin" from DS_E2E_MIRROR
mirror https
is "a proxy still from apt, for the override's scheme" proxy http://plain.example:1/
unset DS_E2E_MIRROR

done_testing
