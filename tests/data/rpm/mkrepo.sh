#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/data/rpm/mkrepo.sh DIR: beside the root that mkroot.sh built in
# DIR/root, install older versions of a few packages there and build an
# rpm repository DIR/repo (rpmbuild, createrepo_c) with newer ones and an
# updateinfo.xml (modifyrepo_c) whose advisories classify them, and a
# .repo file in the root pointing at it:
#   ds-sec 1.0 -> 1.1       security Important (DSSA-2026:0001) and
#                           Critical (DSSA-2026:0003)
#   ds-crit 1:1.0 -> 1:1.2  security Critical (DSSA-2026:0003), an epoch
#   ds-unk 1.0 -> 1.1       security without a severity (DSSA-2026:0006)
#   ds-fix 2.0 -> 2.1       bugfix (DSBA-2026:0002)
#   ds-late 1.0 -> 1.1      security advisory for 1.2 only (DSSA-2026:0004):
#                           1.1 does not reach it, not a security update
#   ds-doc 1.0 -> 1.1       enhancement (DSEA-2026:0005)
# Used by tests/cli/patches-rpm.sh; tests/data/rpm/dnf-*.txt are dnf's
# answers about this root (see tests/unit/test-rpm-pending.c).
set -eu
d=$1
r=$d/root
repo=$d/repo
mkdir -p "$repo" "$d/rpmbuild/SPECS" "$d/out"

# spec NAME EPOCH VERSION: a noarch package with one file
spec() {
    f=$d/rpmbuild/SPECS/$1-$3.spec
    {
        printf 'Name: %s\n' "$1"
        [ -z "$2" ] || printf 'Epoch: %s\n' "$2"
        printf 'Version: %s\nRelease: 1\nSummary: test package\nLicense: GPL\nBuildArch: noarch\n' "$3"
        printf '%%description\ntest package\n%%install\nmkdir -p %%{buildroot}/usr/share/%s\necho %s >%%{buildroot}/usr/share/%s/version\n%%files\n/usr/share/%s/version\n' "$1" "$3" "$1" "$1"
    } >"$f"
    rpmbuild -bb --quiet --define "_topdir $d/rpmbuild" \
        --define "_rpmdir $d/out" --define '_build_id_links none' \
        --define 'debug_package %{nil}' "$f" >/dev/null 2>&1
}

for v in 1.0 1.1; do spec ds-sec "" $v; spec ds-unk "" $v; spec ds-late "" $v; done
for v in 1.0 1.2; do spec ds-crit 1 $v; done
for v in 2.0 2.1; do spec ds-fix "" $v; done

rpm --root "$r" --dbpath /var/lib/rpm -i --nodeps --noscripts \
    "$d"/out/noarch/ds-sec-1.0-1.noarch.rpm \
    "$d"/out/noarch/ds-unk-1.0-1.noarch.rpm \
    "$d"/out/noarch/ds-late-1.0-1.noarch.rpm \
    "$d"/out/noarch/ds-crit-1.0-1.noarch.rpm \
    "$d"/out/noarch/ds-fix-2.0-1.noarch.rpm
for p in ds-sec-1.1 ds-unk-1.1 ds-late-1.1 ds-crit-1.2 ds-fix-2.1 ds-doc-1.1; do
    cp "$d"/out/noarch/$p-1.noarch.rpm "$repo/"
done
createrepo_c -q "$repo"

# adv ID TYPE SEVERITY NAME EPOCH VERSION [NAME EPOCH VERSION]...
adv() {
    printf '  <update from="security@example.com" status="stable" type="%s" version="2.0">\n' "$2"
    printf '    <id>%s</id>\n    <title>%s update</title>\n' "$1" "$1"
    [ -z "$3" ] || printf '    <severity>%s</severity>\n' "$3"
    printf '    <issued date="2026-11-30 10:00:00"/>\n    <description>test advisory</description>\n'
    printf '    <pkglist><collection short="ds"><name>ds</name>\n'
    shift 3
    while [ $# -ge 3 ]; do
        printf '      <package name="%s" version="%s" release="1" epoch="%s" arch="noarch" src="%s-%s-1.src.rpm"><filename>%s-%s-1.noarch.rpm</filename></package>\n' \
            "$1" "$3" "${2:-0}" "$1" "$3" "$1" "$3"
        shift 3
    done
    printf '    </collection></pkglist>\n  </update>\n'
}
{
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<updates>\n'
    adv DSSA-2026:0001 security Important ds-sec "" 1.1
    adv DSBA-2026:0002 bugfix "" ds-fix "" 2.1
    adv DSSA-2026:0003 security Critical ds-crit 1 1.2 ds-sec "" 1.1
    adv DSSA-2026:0004 security Moderate ds-late "" 1.2
    adv DSEA-2026:0005 enhancement "" ds-doc "" 1.1
    adv DSSA-2026:0006 security "" ds-unk "" 1.1
    printf '</updates>\n'
} >"$d/updateinfo.xml"
modifyrepo_c --mdtype=updateinfo "$d/updateinfo.xml" "$repo/repodata" >/dev/null

printf '[dstest]\nname=driftsync test\nbaseurl=file://%s\nenabled=1\ngpgcheck=0\n' \
    "$repo" >"$r/etc/yum.repos.d/dstest.repo"
