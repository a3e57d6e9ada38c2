#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/diff.sh: `driftsync diff`: prod vs lab per host with exit 0 /
# 1 / 2 like diff(1), changes grouped by category with +/-/~ markers,
# hosts without a lab, two revisions, ignore rules, --json.
. "$DS_SRCDIR/tests/setup.sh"
plan 35

use_store

dsc init >/dev/null || { echo "Bail out! init failed"; exit 1; }
expect_status 0 "diff on an empty store exits 0" dsc diff

dsc record --from "$GOOD/web01.json" "$GOOD/web01-lab.json" "$GOOD/db01.json" \
    >/dev/null || { echo "Bail out! record failed"; exit 1; }

# The fixtures' lab has an older openssl, vim-tiny that prod lacks, and
# misses libnginx-mod-http-geoip.
expect_status 1 "web01's lab drifts: exit 1" dsc diff web01
grep_ok "a header with the number of differences" "^web01: [0-9]+ differences? \(lab -> prod\)$" "$T/out"
grep_ok "changes are grouped under 'packages:'" "^  packages:$" "$T/out"
grep_ok "a newer version in prod is marked ~ with both versions, the lab's first" \
    "^    ~ openssl: the lab has 3\.0\.14-1~deb12u2, prod 3\.0\.15-1~deb12u1$" "$T/out"
grep_ok "a package only in prod is marked +: the lab lacks it" \
    "^    \+ the lab lacks libnginx-mod-http-geoip 1\.22\.1-9$" "$T/out"
grep_ok "a package only in the lab is marked -" "^    - vim-tiny [^ ]+ only in the lab$" "$T/out"
grep_ok "the services group is there" "^  services:$" "$T/out"
grep_ok "the kernel group is there" "^  kernel:$" "$T/out"
grep_not "no colour when not on a terminal" "$(printf '\033')" "$T/out"
# The packages group comes before services.
if [ "$(grep -n '^  packages:' "$T/out" | cut -d: -f1)" -lt \
    "$(grep -n '^  services:' "$T/out" | cut -d: -f1)" ]; then
    ok "categories in a stable order"; else not_ok "categories in a stable order"; fi

# Colour only on a terminal (script(1) gives the program a pty).
if command -v script >/dev/null 2>&1; then
    env -u NO_COLOR script -qec "'$DRIFTSYNC' --config '$T/ds.conf' diff web01" \
        /dev/null >"$T/tty" 2>&1 </dev/null
    grep_ok "colour on a terminal: + in green" "$(printf '\033')\[32m\+ " "$T/tty"
    NO_COLOR=1 script -qec "'$DRIFTSYNC' --config '$T/ds.conf' diff web01" \
        /dev/null >"$T/tty" 2>&1 </dev/null
    grep_not "no colour on a terminal with NO_COLOR" "$(printf '\033')" "$T/tty"
else
    skip "script(1) is not installed"; skip "script(1) is not installed"
fi

expect_status 0 "db01 has no lab manifest: exit 0" dsc diff db01
grep_ok "it says so" "^db01: no lab manifest" "$T/out"

expect_status 1 "diff of all hosts exits 1 (web01 drifts)" dsc diff
grep_ok "all hosts: db01 mentioned" "^db01: no lab manifest" "$T/out"
grep_ok "all hosts: web01 mentioned" "^web01: [0-9]+ difference" "$T/out"
grep_ok "all hosts: a closing line" \
    "^2 hosts: 1 drifted \([0-9]+ differences\), 0 in sync, 1 without a lab manifest$" "$T/out"

expect_status 1 "diff --json exits 1" dsc diff --json web01
check "diff --json is valid JSON" python3 -m json.tool "$T/out"
check "diff --json: drift, host status and typed changes" jcheck '
h = d["hosts"][0]
assert d["drift"] is True and h["host"] == "web01" and h["status"] == "drift", d
kinds = {c["kind"] for c in h["changes"]}
assert "package-upgraded" in kinds and "package-installed" in kinds, kinds
assert any(c["name"] == "openssl" for c in h["changes"]), h["changes"]'

# A lab that mirrors prod: exit 0.
$EDIT "$GOOD/db01.json" "$T/db01-lab.json" role=lab at=2026-11-27T03:00:00Z
dsc record --from "$T/db01-lab.json" >/dev/null
expect_status 0 "a lab that mirrors prod: exit 0" dsc diff db01
grep_ok "it says the lab matches" "^db01: lab matches prod$" "$T/out"

# Two revisions of a prod host.
$EDIT "$GOOD/db01.json" "$T/db01-v2.json" pkg:ds-test-tool=1.0-1 -svc:cron.service
dsc record --from "$T/db01-v2.json" >/dev/null
expect_status 1 "diff db01@HEAD~1 db01@HEAD exits 1" dsc diff db01@HEAD~1 db01@HEAD
grep_ok "the new package is marked + with the word of time" \
    "^    \+ ds-test-tool 1\.0-1 installed$" "$T/out"
expect_status 0 "diff of a revision with itself exits 0" dsc diff db01@HEAD db01@HEAD
expect_status 1 "diff lab:db01@HEAD db01@HEAD (lab vs prod at HEAD) exits 1" \
    dsc diff lab:db01@HEAD db01@HEAD
expect_status 0 "the db01 lab is prod as it was one commit ago: exit 0" \
    dsc diff lab:db01@HEAD db01@HEAD~1

# Ignore rules from the config.
printf '[store]\npath = %s/store\n[ignore]\npackages = ds-test-*\nservices = cron.service\n' \
    "$T" >"$T/ignore.conf"
expect_status 0 "ignored packages and services are no drift: exit 0" \
    ds --config "$T/ignore.conf" diff db01@HEAD~1 db01@HEAD
grep_not "the ignored package is not shown" "ds-test-tool" "$T/out"

expect_status 2 "an unknown host exits 2" dsc diff web99
grep_ok "one line naming the host" "^driftsync: web99: " "$T/err"
expect_status 2 "an unknown revision exits 2" dsc diff db01@nosuch db01@HEAD
expect_status 2 "a lone HOST@REV exits 2" dsc diff db01@HEAD
done_testing
