#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/record-rpm.sh: recording an rpm host: a RHEL-like root built
# with rpmbuild and rpm (tests/data/rpm/mkroot.sh), recorded as local:ROOT
# and with record --local --root: the packages are exactly what
# `rpm --root -qa` says (two versions of a kernel-like package included),
# the modified %config file and the configured files are captured, the
# enabled repositories are normalised and no credential of a .repo file
# reaches any git object; an upgrade is diffed with rpm's order; plan
# upgrades a lab as first recorded in one dnf transaction and refuses a
# lab of the other platform (the replay itself: tests/cli/sync-rpm.sh);
# audit checks it.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/rpm.sh"
for c in rpm rpmbuild; do
    command -v "$c" >/dev/null || skip_all "$c is not installed (contrib/install-deps.sh test)"
done

sh "$DATA/rpm/mkroot.sh" "$T/r" >"$T/mkroot.log" 2>&1 || {
    cat "$T/mkroot.log" >&2; echo "1..1"; echo "not ok 1 - mkroot"; exit 1; }
R=$T/r/root
S=$T/store
cat >"$T/c.conf" <<CONF
[store]
path = $S
state = $T/state

[host rh1]
source = local:$R
files = /etc/os-release
CONF
dsc() { ds --config "$T/c.conf" "$@"; }
# jf NAME FILTER FILE: jq's verdict on a manifest
jf() {
    if jq -e "$2" "$3" >/dev/null 2>&1; then ok "$1"; else
        not_ok "$1"; diag "jq: $2"; fi
}
dsc init >/dev/null

rpm_first_record dsc record rh1
expect_status 0 "recording it again changes nothing" dsc record rh1
git --git-dir="$S" show HEAD:prod/rh1.json >"$T/rh1.json"
jf "a v2 manifest of platform rpm" \
    '.schema == "driftsync/manifest/v2" and .platform == "rpm"' "$T/rh1.json"

# The packages, each installed version once, as rpm itself lists them.
rpm --root "$R" --dbpath /var/lib/rpm -qa \
    --qf '%{NAME}.%{ARCH} %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\n' |
    sort >"$T/want"
python3 - "$T/rh1.json" >"$T/got" <<'PY'
import json, sys
for k, p in json.load(open(sys.argv[1]))["packages"].items():
    for v in [p["version"]] + p.get("other_versions", []):
        print(k, v)
PY
sort -o "$T/got" "$T/got"
check "the packages are exactly rpm -qa's" cmp "$T/want" "$T/got"
grep_ok "two installed kernel versions are kept" '^kernel-core\..* 6\.1\.0-1\.el9$' "$T/got"
grep_ok "the epoch is in the version" '^ds-conf\..* 2:2\.3-4$' "$T/got"
jf "the kernels installed, the newest standing for the running one" \
    '.kernel.installed | length == 2' "$T/rh1.json"
jf "an image needs no reboot" '.reboot_required == false' "$T/rh1.json"
jf "the enabled unit is seen" \
    '.services["ds-svc.service"].enabled == "enabled"' "$T/rh1.json"
jf "the modified %config file is captured with its content" \
    '.files["/etc/ds-conf/a.conf"].content_ref != null' "$T/rh1.json"
jf "an unmodified %config file is not" \
    '.files["/etc/ds-conf/b.conf"] == null' "$T/rh1.json"
jf "a configured file is captured" \
    '.files["/etc/os-release"].sha256 != null' "$T/rh1.json"
check "the modified file's content is in the store" \
    git --git-dir="$S" cat-file -e HEAD:files/prod/rh1/etc/ds-conf/a.conf
jf "only the enabled repositories, normalised, without credentials" \
    '.sources == ["repo baseos gpgcheck=1 gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-Rocky-9 mirrorlist=https://mirrors.example.org/mirrorlist?arch=$basearch&repo=BaseOS-$releasever", "repo private baseurl=https://repo.example.com/el9/,https://backup.example.com/el9/ gpgcheck=1"]' \
    "$T/rh1.json"

expect_status 0 "show the rpm host" dsc show rh1
grep_ok "show lists the older kernel beside the newer one" \
    '^  kernel-core\.[a-z0-9_]+ 6\.2\.0-1\.el9 [a-z0-9_]+ \(also 6\.1\.0-1\.el9\)$' "$T/out"
expect_status 0 "record --local --root records the same root" \
    dsc record --local --root "$R" --host rh2
git --git-dir="$S" show HEAD:prod/rh2.json >"$T/rh2.json"
check "with the same packages" python3 -c '
import json, sys
a, b = (json.load(open(f))["packages"] for f in sys.argv[1:])
assert a == b' "$T/rh1.json" "$T/rh2.json"

# An upgrade is diffed with rpm's order.
rpm --root "$R" --dbpath /var/lib/rpm -U --nodeps --noscripts \
    "$T"/r/out/noarch/ds-doc-1.1-1.noarch.rpm 2>/dev/null
expect_status 0 "record the upgraded root" dsc record rh1
expect_status 0 "log shows the upgrade" dsc log rh1
grep_ok "as an upgrade from 1.0-1 to 1.1-1" 'ds-doc\.noarch.*1\.0-1.*1\.1-1' "$T/out"
grep_ok "named as an upgrade" '(upgraded|upgrade)' "$T/out"

# No credential of a .repo file in any object of the store.
git --git-dir="$S" cat-file --batch-all-objects --batch >"$T/objects"
grep_not "no repository credential reaches the git objects" \
    'SECRETREPOPASS|SECRETKEYPATH|SECRETPROXYPASS|repouser' "$T/objects"
check "git fsck --strict is clean" git --git-dir="$S" fsck --strict

# A lab as first recorded: one dnf transaction; a dpkg lab: refused.
python3 -c '
import json, sys
m = json.load(open(sys.argv[1])); m["role"] = "lab"
json.dump(m, open(sys.argv[2], "w"))' "$T/rh1.json" "$T/lab.json"
expect_status 0 "an rpm lab manifest can be imported" dsc record --from "$T/lab.json"
expect_status 1 "plan of an rpm host whose lab is behind exits 1" dsc plan rh1
grep_ok "with the upgrade in one dnf transaction" \
    '^ +1\. one dnf transaction: 1 upgrade$' "$T/out"
python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
for k in ("platform",): m.pop(k, None)
m["schema"] = "driftsync/manifest/v1"; m["packages"] = {}
json.dump(m, open(sys.argv[2], "w"))' "$T/lab.json" "$T/dpkg-lab.json"
expect_status 0 "a dpkg lab manifest for it can be imported" dsc record --from "$T/dpkg-lab.json"
expect_status 2 "plan refuses a lab of the other platform" dsc plan rh1
grep_ok "and says why, naming the host" \
    '^driftsync: rh1: the lab is a dpkg host and prod an rpm one: a plan needs both of one platform' "$T/err"

# Its pending updates come from its own dnf (tests/cli/patches-rpm.sh):
# here its repositories cannot be read (or dnf is missing), which patches
# says, naming the host, instead of "nothing pending".
expect_status 2 "patches cannot tell what is pending on this root" \
    dsc patches rh1
cat "$T/out" "$T/err" >"$T/both"
grep_ok "and says so, naming the host" '^(driftsync: )?rh1: ' "$T/both"
dsc audit rh1 >"$T/out" 2>"$T/err"; st=$?
if [ "$st" -eq 0 ] || [ "$st" -eq 1 ]; then ok "audit checks the rpm host (exit $st)"; else
    not_ok "audit checks the rpm host (exit $st)"; diag "$(cat "$T/err")"; fi
grep_not "without refusing it" 'does not check rpm hosts' "$T/err"
done_testing
