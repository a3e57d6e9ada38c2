#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/bundle.sh: tested bundles kept in the store: `bundle list`,
# `bundle show` in its three forms, `bundle list --trials` with a failed
# trial, bad names refused; `audit --bundle NAME` against a Debian root
# built with real dpkg (exit 1 while the bundle's version is missing, 0
# once installed), and a stored bundle read by `audit --expect FILE`.
. "$DS_SRCDIR/tests/setup.sh"
command -v dpkg-deb >/dev/null || skip_all "dpkg-deb is not installed"
require_cmds jq git

sh "$DATA/dpkg/mkroot.sh" "$T/base" >/dev/null 2>&1 ||
    { echo "1..1"; echo "not ok 1 - mkroot"; exit 1; }
cp -a "$T/base/root" "$T/r1"
setver() {
    sed -i "/^Package: $2\$/,/^\$/s/^Version: .*/Version: $3/" \
        "$1/var/lib/dpkg/status"
}
cat >"$T/c.conf" <<CONF
[store]
path = $T/store
state = $T/state

[host web1]
source = local:$T/r1
CONF
dsc() { ds --config "$T/c.conf" "$@"; }
TOOL=$DS_BUILDDIR/tests/tools/store-tool
dsc init >/dev/null

expect_status 0 "bundle list on a store without bundles" dsc bundle list
grep_ok "says there is none" 'no bundle in the store' "$T/err"

# bundle_doc NAME RUN PASSED STATUS: a bundle document as a trial writes it
bundle_doc() {
    cat <<JSON
{"schema": "driftsync/bundle/v1", "name": "$1", "host": "web1",
 "lab": "web1-lab", "prod_revision": "0123456789abcdef0123456789abcdef01234567",
 "run": "$2", "tested_at": "2026-12-02T10:15:00Z", "security_only": true,
 "passed": $3, "packages": {"ds-conf": "1:2.3-5"},
 "checks": [{"command": "systemctl is-active ds", "status": $4, "seconds": 0.5}]}
JSON
}
bundle_doc sec1 20261202T101500Z-00000001 false 3 >"$T/failed.json"
bundle_doc sec1 20261202T111500Z-00000002 true 0 >"$T/passed.json"
check "a failed trial is stored" "$TOOL" bundle "$T/store" "$T/failed.json"
expect_status 0 "bundle list" dsc bundle list
grep_not "a failed trial is no bundle" 'sec1' "$T/out"
expect_status 2 "bundle show of a failed trial" dsc bundle show sec1
grep_ok "no such bundle" 'bundle show: no bundle sec1 in the store' "$T/err"
expect_status 0 "bundle list --trials" dsc bundle list --trials
grep_ok "the failed trial is listed, failed" '20261202T101500Z-00000001 +web1 .*FAILED' "$T/out"
grep_ok "with its failed check" '1 check failed' "$T/out"
check "a passing bundle is stored" "$TOOL" bundle "$T/store" "$T/passed.json"
check "in one commit each" test "$(git -C "$T/store" rev-list --count HEAD)" = 2
check "git fsck --strict is clean" git -C "$T/store" fsck --strict
check "bundles/sec1.json is in the tree" git -C "$T/store" cat-file -e HEAD:bundles/sec1.json
check "the failed trial is kept under trials/" \
    git -C "$T/store" cat-file -e HEAD:trials/web1/20261202T101500Z-00000001.json
expect_status 0 "bundle list --json" dsc --json bundle list
jq_ok "lists the passing bundle" '.bundles | length == 1 and .[0].name == "sec1" and .[0].passed'
expect_status 0 "bundle show" dsc bundle show sec1
grep_ok "human: host, lab, packages, checks" 'host web1, lab web1-lab' "$T/out"
grep_ok "human: the package" '^    ds-conf=1:2.3-5$' "$T/out"
expect_status 0 "bundle show --format lines" dsc bundle show sec1 --format lines
check "lines: name=version" test "$(cat "$T/out")" = "ds-conf=1:2.3-5"
expect_status 0 "bundle show --format apt" dsc bundle show sec1 --format apt
check "apt: the install line" \
    test "$(cat "$T/out")" = "apt-get install -y --no-remove ds-conf=1:2.3-5"
expect_status 0 "bundle show --format json" dsc bundle show sec1 --format json
check "json: the stored bytes" sh -c "git -C '$T/store' show HEAD:bundles/sec1.json | cmp - '$T/out'"
cp "$T/out" "$T/sec1.json"
expect_status 2 "bundle show --format yaml" dsc bundle show sec1 --format yaml
grep_ok "names the bad format" 'format yaml: expected lines, json or apt' "$T/err"
expect_status 2 "a hostile bundle name" dsc bundle show '../../etc/passwd'
grep_ok "refused before the store" "is not a bundle name" "$T/err"
expect_status 2 "bundle with no action" dsc bundle
expect_status 2 "bundle list with a name" dsc bundle list sec1
check "a second bundle of that name is refused" sh -c \
    "! '$TOOL' bundle '$T/store' '$T/passed.json' 2>'$T/dup.err'"
grep_ok "says it exists" 'bundle sec1 exists already' "$T/dup.err"

# ---- audit --bundle: production against the stored bundle ----
expect_status 1 "audit --bundle: the bundle's version is missing" \
    dsc --json audit --bundle sec1
jq_ok "a missing finding for ds-conf" \
    '.hosts[0].findings | map(select(.kind == "missing" and .package == "ds-conf" and .want == "1:2.3-5")) | length == 1'
setver "$T/r1" ds-conf 1:2.3-5
expect_status 0 "audit --bundle: installed, clean" dsc audit --bundle sec1 web1
grep_ok "web1 is clean" '^web1 \(prod\): clean' "$T/out"
expect_status 2 "audit --bundle of an unknown bundle" dsc audit --bundle nosuch
grep_ok "says which" 'audit: no bundle nosuch in the store' "$T/err"
expect_status 2 "--bundle and --expect together" dsc audit --bundle sec1 --expect "$T/sec1.json"

# ---- a stored bundle is an --expect file ----
setver "$T/r1" ds-conf 1:2.3-4
expect_status 1 "audit --expect with the stored document" dsc --json audit --expect "$T/sec1.json"
jq_ok "the same finding" '.hosts[0].findings[0].want == "1:2.3-5"'
expect_status 2 "audit --expect with a failed trial's record" dsc audit --expect "$T/failed.json"
grep_ok "refused: a failed trial" 'records a failed trial' "$T/err"
done_testing
