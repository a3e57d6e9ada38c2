#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/audit-rpm.sh: audit --expect, --like and --bundle on rpm hosts,
# on real roots: packages built with rpmbuild in a createrepo_c
# repository (tests/data/rpm/mkrepo.sh replay), two roots installed with
# dnf --installroot, one behind the other (an older version, a version
# older across an epoch, one of two kernel-like versions).  Versions are
# compared by rpm's order (librpm), names are NAME.ARCH keys or NAMEs;
# --like takes the newest of the group's rpm hosts for rpm hosts and of
# its dpkg hosts for dpkg hosts; a Debian-only version and a bundle tried
# on a dpkg host are refused naming the host.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/rpm.sh"
rpm_setup rpm rpmbuild createrepo_c dnf jq
TOOL=$DS_BUILDDIR/tests/tools/store-tool

rpm_replay_repo
"$T/mkroot" "$T/rh1"
"$T/mkroot" "$T/rh2"
dnfr "$T/rh1" install ds-a-2.0-1.noarch ds-e-1:0.5-1.noarch \
    ds-kernel-6.1.0-1.noarch ds-kernel-6.2.0-1.noarch
dnfr "$T/rh2" install ds-a-1.0-1.noarch ds-e-0:3.0-1.noarch \
    ds-kernel-6.1.0-1.noarch

cat >"$T/c.conf" <<CONF
[store]
path = $T/store
state = $T/state

[host rh1]
source = local:$T/rh1
groups = el

[host rh2]
source = local:$T/rh2
groups = el
CONF
dsc() { ds --config "$T/c.conf" "$@"; }
dsc init >/dev/null
rpm_first_record dsc record rh1

# --like: the newest of the group's rpm hosts, by rpm's order.
expect_status 1 "audit --like finds the rpm host behind" \
    dsc --json audit --like el rh2
jq_ok "an older version, one older across an epoch, the older kernel-like package" \
    '[.hosts[0].findings[] | select(.kind == "missing") | [.package, .have, .want]] == [["ds-a.noarch", "1.0-1", "2.0-1"], ["ds-e.noarch", "3.0-1", "1:0.5-1"], ["ds-kernel.noarch", "6.1.0-1", "6.2.0-1"]]'
jq_ok "and no error" '.hosts[0] | has("error") | not'
expect_status 0 "the newest host of the group is clean" dsc audit --like el rh1
grep_not "without refusing it" 'rpm host' "$T/err"
expect_status 1 "human output" dsc audit --like el rh2
grep_ok "the epoch decides" 'missing: ds-e\.noarch 3\.0-1 is older than 1:0\.5-1' "$T/out"

# --like over a group with a dpkg host too (from the store): each
# platform's hosts against their own platform's newest.
expect_status 0 "rh2 is recorded" dsc record rh2
printf '\n[host web01]\nsource = https://manifests.invalid/web01.json\ngroups = el\n' >>"$T/c.conf"
expect_status 0 "a dpkg host of the group is imported" \
    dsc record --from "$DATA/good/web01.json"
expect_status 1 "audit --stored --like over both platforms" \
    dsc --json audit --stored --like el
jq_ok "the rpm host behind has its three findings" \
    '[.hosts[] | select(.host == "rh2") | .findings[] | select(.kind == "missing")] | length == 3'
jq_ok "the dpkg host none from rpm packages, and no host an error" \
    '([.hosts[] | select(.host == "web01") | .findings[] | select(.kind == "missing")] | length == 0) and ([.hosts[] | select(has("error"))] | length == 0)'

# --expect: NAME or NAME.ARCH, a version without a release, "+" required.
cat >"$T/expect" <<'EOF'
ds-a=2.0-1
ds-e.noarch=1:0.5-1
ds-kernel=6.2.0
+ds-c=1.0-1
EOF
expect_status 1 "audit --expect on the rpm host behind" \
    dsc --json audit --expect "$T/expect" rh2
jq_ok "the same three, and the required package that is not installed" \
    '[.hosts[0].findings[] | select(.kind == "missing") | .package] == ["ds-a.noarch", "ds-c", "ds-e.noarch", "ds-kernel.noarch"]'
expect_status 1 "audit --expect on the newest host" \
    dsc --json audit --expect "$T/expect" rh1
jq_ok "only the package it lacks" \
    '[.hosts[0].findings[] | select(.kind == "missing") | .package] == ["ds-c"]'
printf 'ds-a=1.2-3-4\n' >"$T/debian"
expect_status 2 "a Debian-only version is refused on an rpm host" \
    dsc audit --expect "$T/debian" rh2
grep_ok "naming the host, the package and the version" \
    "rh2: an rpm host, and the version expected of ds-a, '1\\.2-3-4', is not an rpm version" "$T/err"

# --bundle: bundles hold what trial --pending tried on a dpkg host.
cat >"$T/bundle.json" <<'JSON'
{"schema": "driftsync/bundle/v1", "name": "sec1", "host": "web01",
 "lab": "web01-lab", "prod_revision": "0123456789abcdef0123456789abcdef01234567",
 "run": "20261202T111500Z-00000002", "tested_at": "2026-12-02T11:15:00Z",
 "security_only": true, "passed": true, "packages": {"ds-a": "3.0-1"},
 "checks": [{"command": "true", "status": 0, "seconds": 0.5}]}
JSON
check "a bundle is stored" "$TOOL" bundle "$T/store" "$T/bundle.json"
expect_status 2 "audit --bundle refuses the rpm host" \
    dsc audit --bundle sec1 rh2
grep_ok "saying the bundle is a dpkg host's" \
    "rh2: an rpm host, and the versions expected are a dpkg host's" "$T/err"
done_testing
