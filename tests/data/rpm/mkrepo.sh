#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/data/rpm/mkrepo.sh DIR: build packages with rpmbuild into an rpm
# repository DIR/repo (createrepo_c: repodata/repomd.xml, primary.xml.gz)
# for the replay tests: versions to upgrade and downgrade (one across an
# epoch: ds-e 1:0.5-1 is newer than 3.0-1), packages to install and
# remove, two versions of an install-only kernel-like package
# (installonlypkg(kernel)), and one whose %post fails.  Also writes
# DIR/mkroot ROOT: an empty RHEL-like root (os-release, a dnf.conf
# without gpg checks whose plugins and versionlock list live in the
# root, DIR/repo as its one repository) for dnf --installroot.
set -eu
d=$(cd "$1" && pwd)
mkdir -p "$d/rpmbuild/SPECS" "$d/repo"

# spec NAME EPOCH VERSION RELEASE [EXTRA-PREAMBLE [EXTRA-SECTIONS]]
spec() {
    f=$d/rpmbuild/SPECS/$1-$3-$4.spec
    {
        printf 'Name: %s\n' "$1"
        [ -z "$2" ] || printf 'Epoch: %s\n' "$2"
        printf 'Version: %s\nRelease: %s\nSummary: test package\nLicense: GPL\n' "$3" "$4"
        printf 'BuildArch: noarch\nAutoReqProv: no\n%s\n' "${5:-}"
        printf '%%description\ntest package\n%%install\n'
        printf 'mkdir -p %%{buildroot}/usr/share/%s-%s\n' "$1" "$3"
        printf 'echo %s >%%{buildroot}/usr/share/%s-%s/VERSION\n' "$3" "$1" "$3"
        printf '%s\n%%files\n/usr/share/%s-%s\n' "${6:-}" "$1" "$3"
    } >"$f"
    rpmbuild -bb --quiet --define "_topdir $d/rpmbuild" \
        --define "_rpmdir $d/repo" --define '_build_id_links none' \
        "$f" >/dev/null 2>&1
}

for v in 1.0 2.0; do
    spec ds-a "" $v 1
    spec ds-b "" $v 1
done
spec ds-c "" 1.0 1
spec ds-d "" 1.0 1
spec ds-e 1 0.5 1
spec ds-e "" 3.0 1
for v in 6.1.0 6.2.0; do
    spec ds-kernel "" $v 1 'Provides: installonlypkg(kernel)'
done
spec ds-fail "" 1.0 1 '' '%post -p <lua>
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
