#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/data/rpm/mkroot.sh DIR: build a small RHEL-like tree in DIR/root
# with real rpm: packages built by rpmbuild (one with an epoch, one with a
# %config file then edited, a noarch one, two versions of a kernel-like
# install-only package side by side), a systemd unit, .repo files with
# credentials that must never be stored, and os-release.  Used by
# tests/cli/record-rpm.sh and tests/unit/test-rpm.
set -eu
d=$1
r=$d/root
mkdir -p "$r/etc/yum.repos.d" "$r/var/lib/rpm" "$d/rpmbuild/SPECS" "$d/out"

# spec NAME EPOCH VERSION RELEASE ARCH FILES-SECTION INSTALL-COMMANDS
spec() {
    f=$d/rpmbuild/SPECS/$1-$3-$4.spec
    {
        printf 'Name: %s\n' "$1"
        [ -z "$2" ] || printf 'Epoch: %s\n' "$2"
        printf 'Version: %s\nRelease: %s\nSummary: test package\nLicense: GPL\n' "$3" "$4"
        [ "$5" != noarch ] || printf 'BuildArch: noarch\n'
        printf '%%description\ntest package\n%%install\n%s\n%%files\n%s\n' "$7" "$6"
    } >"$f"
    rpmbuild -bb --quiet --define "_topdir $d/rpmbuild" \
        --define "_rpmdir $d/out" --define '_build_id_links none' \
        --define 'debug_package %{nil}' "$f" >/dev/null 2>&1
}

spec ds-conf 2 2.3 4 "" \
    '%config(noreplace) /etc/ds-conf/a.conf
%config(noreplace) /etc/ds-conf/b.conf' \
    'mkdir -p %{buildroot}/etc/ds-conf
echo "setting = packaged" >%{buildroot}/etc/ds-conf/a.conf
echo "other = packaged" >%{buildroot}/etc/ds-conf/b.conf'
spec ds-svc "" 0.9~rc1 1.el9 "" \
    '/usr/lib/systemd/system/ds-svc.service' \
    'mkdir -p %{buildroot}/usr/lib/systemd/system
printf "[Unit]\nDescription=ds\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n" >%{buildroot}/usr/lib/systemd/system/ds-svc.service'
# 1.1 is built, not installed: the tests upgrade to it
for v in 1.0 1.1; do
    spec ds-doc "" "$v" 1 noarch '/usr/share/doc/ds-doc/README' \
        'mkdir -p %{buildroot}/usr/share/doc/ds-doc
echo doc >%{buildroot}/usr/share/doc/ds-doc/README'
done
for v in 6.1.0 6.2.0; do
    spec kernel-core "" "$v" 1.el9 "" "/boot/vmlinuz-$v-1.el9.%{_arch}" \
        "mkdir -p %{buildroot}/boot
echo kernel >%{buildroot}/boot/vmlinuz-$v-1.el9.%{_arch}"
done

rpmi() { rpm --root "$r" --dbpath /var/lib/rpm "$@"; }
rpmi -i --nodeps --noscripts "$d"/out/*/ds-conf-*.rpm "$d"/out/*/ds-svc-*.rpm \
    "$d"/out/*/ds-doc-1.0-*.rpm "$d"/out/*/kernel-core-6.2.0-*.rpm
# an older kernel installed beside the newer one, as dnf's installonly does
rpmi -i --nodeps --noscripts --oldpackage "$d"/out/*/kernel-core-6.1.0-*.rpm
echo 'setting = changed on the host' >"$r/etc/ds-conf/a.conf"

mkdir -p "$r/etc/systemd/system/multi-user.target.wants"
ln -s /usr/lib/systemd/system/ds-svc.service \
    "$r/etc/systemd/system/multi-user.target.wants/ds-svc.service"
printf 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n' \
    >"$r/etc/os-release"
cat >"$r/etc/yum.repos.d/base.repo" <<'REPO'
[baseos]
name=Rocky Linux $releasever - BaseOS
mirrorlist=https://mirrors.example.org/mirrorlist?arch=$basearch&repo=BaseOS-$releasever
gpgcheck=1
enabled=1
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-Rocky-9

; a disabled one is not recorded
[devel]
name=Devel
baseurl=https://mirrors.example.org/devel/
enabled=0
REPO
cat >"$r/etc/yum.repos.d/private.repo" <<'REPO'
[private]
name=Private
baseurl=https://repouser:SECRETREPOPASS@repo.example.com/el9/
   https://backup.example.com/el9/
username=repouser
password=SECRETREPOPASSWORD
sslclientkey=/etc/pki/SECRETKEYPATH.pem
proxy_password=SECRETPROXYPASS
gpgcheck=1
REPO
