#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/data/rpm/mkrepo.sh SET DIR: build noarch packages with rpmbuild
# into an rpm repository DIR/repo (createrepo_c: repodata/repomd.xml,
# primary.xml.gz) for one of two sets of tests.
#
# replay: for the replay tests (tests/cli/sync-rpm.sh,
# tests/integration/rpm-cache.sh, tests/unit/test-pkgcache-rpm.c,
# tests/e2e/rpm.sh): versions to upgrade and downgrade (one across an
# epoch: ds-e 1:0.5-1 is newer than 3.0-1), packages to install and
# remove, two versions of an install-only kernel-like package
# (installonlypkg(kernel)), and one whose %post fails.  Also writes
# DIR/mkroot ROOT: an empty RHEL-like root (os-release, a dnf.conf
# without gpg checks whose plugins and versionlock list live in the
# root, DIR/repo as its one repository) for dnf --installroot.
#
# pending: for the pending updates (tests/cli/patches-rpm.sh): beside the
# root that mkroot.sh built in DIR/root, install older versions of a few
# packages there and put newer ones in DIR/repo with an updateinfo.xml
# (modifyrepo_c) whose advisories classify them, and a .repo file in the
# root pointing at it:
#   ds-sec 1.0 -> 1.1       security Important (DSSA-2026:0001) and
#                           Critical (DSSA-2026:0003)
#   ds-crit 1:1.0 -> 1:1.2  security Critical (DSSA-2026:0003), an epoch
#   ds-unk 1.0 -> 1.1       security without a severity (DSSA-2026:0006)
#   ds-fix 2.0 -> 2.1       bugfix (DSBA-2026:0002)
#   ds-late 1.0 -> 1.1      security advisory for 1.2 only (DSSA-2026:0004):
#                           1.1 does not reach it, not a security update
#   ds-doc 1.0 -> 1.1       enhancement (DSEA-2026:0005)
# tests/data/rpm/dnf-*.txt are dnf's answers about this root (see
# tests/unit/test-rpm-pending.c).
set -eu
[ $# -eq 2 ] && { [ "$1" = replay ] || [ "$1" = pending ]; } ||
    { echo "usage: mkrepo.sh replay|pending DIR" >&2; exit 2; }
set=$1
d=$(cd "$2" && pwd)
mkdir -p "$d/rpmbuild/SPECS" "$d/repo"

# spec OUT NAME EPOCH VERSION RELEASE [EXTRA-PREAMBLE [EXTRA-SECTIONS]]:
# OUT/noarch/NAME-VERSION-RELEASE.noarch.rpm, whose one file is
# /usr/share/NAME-VERSION/VERSION (so that two versions can be installed
# side by side)
spec() {
    f=$d/rpmbuild/SPECS/$2-$4-$5.spec
    {
        printf 'Name: %s\n' "$2"
        [ -z "$3" ] || printf 'Epoch: %s\n' "$3"
        printf 'Version: %s\nRelease: %s\nSummary: test package\nLicense: GPL\n' "$4" "$5"
        printf 'BuildArch: noarch\nAutoReqProv: no\n%s\n' "${6:-}"
        printf '%%description\ntest package\n%%install\n'
        printf 'mkdir -p %%{buildroot}/usr/share/%s-%s\n' "$2" "$4"
        printf 'echo %s >%%{buildroot}/usr/share/%s-%s/VERSION\n' "$4" "$2" "$4"
        printf '%s\n%%files\n/usr/share/%s-%s\n' "${7:-}" "$2" "$4"
    } >"$f"
    rpmbuild -bb --quiet --define "_topdir $d/rpmbuild" \
        --define "_rpmdir $1" --define '_build_id_links none' \
        --define 'debug_package %{nil}' "$f" >/dev/null 2>&1
}

replay() {
    for v in 1.0 2.0; do
        spec "$d/repo" ds-a "" $v 1
        spec "$d/repo" ds-b "" $v 1
    done
    spec "$d/repo" ds-c "" 1.0 1
    spec "$d/repo" ds-d "" 1.0 1
    spec "$d/repo" ds-e 1 0.5 1
    spec "$d/repo" ds-e "" 3.0 1
    for v in 6.1.0 6.2.0; do
        spec "$d/repo" ds-kernel "" $v 1 'Provides: installonlypkg(kernel)'
    done
    spec "$d/repo" ds-fail "" 1.0 1 '' '%post -p <lua>
error("the post-install script of ds-fail fails")'
    createrepo_c -q "$d/repo"

    cat >"$d/mkroot" <<MKROOT
#!/bin/sh
# mkroot ROOT: an empty RHEL-like root using $d/repo
set -eu
r=\$1
mkdir -p "\$r/etc/yum.repos.d" "\$r/etc/dnf/plugins"
printf 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n' >"\$r/etc/os-release"
printf '[main]\ngpgcheck=0\ninstallonly_limit=3\npluginconfpath=%s/etc/dnf/plugins\n' "\$r" >"\$r/etc/dnf/dnf.conf"
printf '[main]\nenabled=1\nlocklist=%s/etc/dnf/plugins/versionlock.list\n' "\$r" >"\$r/etc/dnf/plugins/versionlock.conf"
: >"\$r/etc/dnf/plugins/versionlock.list"
printf '[ds-test]\nname=ds test\nbaseurl=file://$d/repo\ngpgcheck=0\n' >"\$r/etc/yum.repos.d/ds-test.repo"
MKROOT
    chmod +x "$d/mkroot"
}

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

# The older versions go into the root mkroot.sh built, the newer ones
# (and mkroot.sh's ds-doc 1.1) into the repository.
pending() {
    r=$d/root
    out=$d/out
    mkdir -p "$out"
    for v in 1.0 1.1; do
        spec "$out" ds-sec "" $v 1
        spec "$out" ds-unk "" $v 1
        spec "$out" ds-late "" $v 1
    done
    for v in 1.0 1.2; do spec "$out" ds-crit 1 $v 1; done
    for v in 2.0 2.1; do spec "$out" ds-fix "" $v 1; done

    rpm --root "$r" --dbpath /var/lib/rpm -i --nodeps --noscripts \
        "$out"/noarch/ds-sec-1.0-1.noarch.rpm \
        "$out"/noarch/ds-unk-1.0-1.noarch.rpm \
        "$out"/noarch/ds-late-1.0-1.noarch.rpm \
        "$out"/noarch/ds-crit-1.0-1.noarch.rpm \
        "$out"/noarch/ds-fix-2.0-1.noarch.rpm
    for p in ds-sec-1.1 ds-unk-1.1 ds-late-1.1 ds-crit-1.2 ds-fix-2.1 ds-doc-1.1; do
        cp "$out"/noarch/$p-1.noarch.rpm "$d/repo/"
    done
    createrepo_c -q "$d/repo"
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
    modifyrepo_c --mdtype=updateinfo "$d/updateinfo.xml" "$d/repo/repodata" >/dev/null
    printf '[dstest]\nname=driftsync test\nbaseurl=file://%s\nenabled=1\ngpgcheck=0\n' \
        "$d/repo" >"$r/etc/yum.repos.d/dstest.repo"
}

$set
