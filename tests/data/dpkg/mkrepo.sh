#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/data/dpkg/mkrepo.sh DIR: a Debian tree in DIR/root whose apt reads a
# real local repository DIR/repo with two suites: bookworm-security (Origin
# Debian, Label Debian-Security, Suite stable-security) and bookworm (Label
# Debian).  Installed: ds-sec 1.0-1, ds-upd 2.0-1, ds-held 1.0-1 (on hold),
# ds-lib 0.5-1 (marked automatic), ds-same 3.0-1; the repository offers
# ds-sec 1.0-2 (security), ds-upd 2.1-1, ds-held 1.1-1, ds-same 3.0-1, so
# apt sees two pending updates and one held back.  The lists are fetched
# with apt-get update into the root; apt is pointed at it with -o Dir=.
set -eu
d=$1
r=$d/root
arch=$(dpkg --print-architecture)
mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates" "$d/pkg" \
    "$d/debs" "$r/etc/apt/sources.list.d" "$r/etc/apt/preferences.d" \
    "$r/var/lib/apt/lists/partial" "$r/var/cache/apt/archives/partial"
: >"$r/var/lib/dpkg/status"
: >"$r/var/lib/dpkg/available"

# deb NAME VERSION: build $d/debs/NAME_VERSION.deb
deb() {
    p=$d/pkg/$1-$2
    mkdir -p "$p/DEBIAN" "$p/usr/share/doc/$1"
    printf 'Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: t <t@example.com>\nDescription: test package\n' \
        "$1" "$2" "$arch" >"$p/DEBIAN/control"
    printf '%s %s\n' "$1" "$2" >"$p/usr/share/doc/$1/version"
    dpkg-deb --build --root-owner-group "$p" "$d/debs/${1}_$2.deb" >/dev/null
}
for pv in ds-sec:1.0-1 ds-upd:2.0-1 ds-held:1.0-1 ds-lib:0.5-1 \
    ds-same:3.0-1 ds-sec:1.0-2 ds-upd:2.1-1 ds-held:1.1-1; do
    deb "${pv%%:*}" "${pv#*:}"
done

dpkg --root="$r" --admindir="$r/var/lib/dpkg" --force-script-chrootless \
    --force-not-root --force-unsafe-io -i "$d/debs/ds-sec_1.0-1.deb" \
    "$d/debs/ds-upd_2.0-1.deb" "$d/debs/ds-held_1.0-1.deb" \
    "$d/debs/ds-lib_0.5-1.deb" "$d/debs/ds-same_3.0-1.deb" \
    >"$d/dpkg.log" 2>&1 || { cat "$d/dpkg.log" >&2; exit 1; }
echo 'ds-held hold' |
    dpkg --root="$r" --admindir="$r/var/lib/dpkg" --set-selections

# suite NAME SUITE LABEL DEB...: dists/NAME with a Packages file and a
# Release file listing its checksums
suite() {
    name=$1 s=$2 label=$3
    shift 3
    dir=$d/repo/dists/$name/main/binary-$arch
    mkdir -p "$dir" "$d/repo/pool/$name"
    cp "$@" "$d/repo/pool/$name/"
    (cd "$d/repo" && dpkg-scanpackages -m "pool/$name" /dev/null 2>/dev/null) \
        >"$dir/Packages"
    {
        printf 'Origin: Debian\nLabel: %s\nSuite: %s\nVersion: 12\nCodename: %s\n' \
            "$label" "$s" "$name"
        printf 'Date: Tue, 01 Dec 2026 10:00:00 UTC\nArchitectures: %s\nComponents: main\nSHA256:\n' \
            "$arch"
        f=main/binary-$arch/Packages
        printf ' %s %s %s\n' "$(sha256sum <"$dir/Packages" | cut -d' ' -f1)" \
            "$(wc -c <"$dir/Packages")" "$f"
    } >"$d/repo/dists/$name/Release"
}
suite bookworm-security stable-security Debian-Security "$d/debs/ds-sec_1.0-2.deb"
suite bookworm stable Debian "$d/debs/ds-upd_2.1-1.deb" \
    "$d/debs/ds-held_1.1-1.deb" "$d/debs/ds-same_3.0-1.deb" \
    "$d/debs/ds-sec_1.0-1.deb"

cat >"$r/etc/apt/sources.list" <<S
deb [trusted=yes] file:$d/repo bookworm main
deb [trusted=yes] file:$d/repo bookworm-security main
S

# apt ROOT ARGS...: apt-get or apt-mark against the root
aptroot() {
    tool=$1
    shift
    "$tool" -o "Dir=$r/" -o "Dir::State::status=$r/var/lib/dpkg/status" \
        -o Debug::NoLocking=1 -o APT::Sandbox::User=root "$@"
}
aptroot apt-get -q update >"$d/apt-update.log" 2>&1 ||
    { cat "$d/apt-update.log" >&2; exit 1; }
aptroot apt-mark auto ds-lib >/dev/null
printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n' \
    >"$r/etc/os-release"
