#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/log.sh: `driftsync log HOST`: the commits that changed a host,
# newest first, with their semantic changes; --since, --lab, --json,
# ignore rules, and errors.
. "$DS_SRCDIR/tests/setup.sh"
plan 23

use_store

dsc init >/dev/null || { echo "Bail out! init failed"; exit 1; }
# Four commits: web01 created, db01 only, web01 +tool, web01 tool upgraded
# and a service stopped.
$EDIT "$GOOD/web01.json" "$T/w2.json" pkg:ds-test-tool=1.0-1
$EDIT "$GOOD/web01.json" "$T/w3.json" pkg:ds-test-tool=1.2-1 \
    svc:ssh.service=enabled/inactive
dsc record --from "$GOOD/web01.json" >/dev/null &&
    dsc record --from "$GOOD/db01.json" >/dev/null &&
    dsc record --from "$T/w2.json" >/dev/null &&
    dsc record --from "$T/w3.json" >/dev/null ||
    { echo "Bail out! record failed"; exit 1; }

expect_status 0 "log web01 exits 0" dsc log web01
# Commit lines start with a 12-digit id; change lines are indented.
grep -E '^[0-9a-f]{12}  ' "$T/out" | cut -c1-12 >"$T/ids"
check "three commits changed web01 (db01's commit is not listed)" \
    test "$(wc -l <"$T/ids")" = 3
check "newest first: the first id is HEAD" \
    test "$(head -n1 "$T/ids")" = "$(st rev-parse --short=12 HEAD)"
check "the last id is the first commit" \
    test "$(tail -n1 "$T/ids")" = "$(st rev-parse --short=12 HEAD~3)"
grep_ok "the upgrade is listed, indented, with both versions" \
    "^    ~ .*ds-test-tool.*1\.0-1.*1\.2-1" "$T/out"
grep_ok "the stopped service is listed" "^    ~ .*ssh\.service" "$T/out"
grep_ok "the install is listed with +" "^    \+ .*ds-test-tool" "$T/out"
grep_ok "a commit line has a date" "^[0-9a-f]{12}  [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}" "$T/out"
# The upgrade (newest) is printed before the install.
up=$(grep -n '~ .*ds-test-tool' "$T/out" | head -n1 | cut -d: -f1)
inst=$(grep -n '+ .*ds-test-tool' "$T/out" | head -n1 | cut -d: -f1)
if [ -n "$up" ] && [ -n "$inst" ] && [ "$up" -lt "$inst" ]; then
    ok "the newest change comes first"; else not_ok "the newest change comes first"; fi
grep_ok "the first record is summarised" "first record: [0-9]+ packages" "$T/out"

expect_status 0 "log --json exits 0" dsc log --json web01
check "log --json is valid JSON" python3 -m json.tool "$T/out"
check "log --json: three commits, newest first, with typed changes" jcheck '
c = d["commits"]
assert d["host"] == "web01" and d["role"] == "prod" and len(c) == 3, d
assert c[0]["time"] >= c[1]["time"] >= c[2]["time"]
kinds = {x["kind"] for x in c[0]["changes"]}
assert "package-upgraded" in kinds, kinds
assert any(x["name"] == "ds-test-tool" and x["kind"] == "package-installed" for x in c[1]["changes"]), c[1]'

expect_status 0 "log --since a future date exits 0" dsc log --since 2999-01-01 web01
grep_ok "it says there is nothing since then" "no changes since 2999-01-01" "$T/out"
expect_status 0 "log --since a past date exits 0" dsc log --since 2000-01-01T00:00:00Z web01
check "all three commits are after 2000" \
    test "$(grep -cE '^[0-9a-f]{12}  ' "$T/out")" = 3
expect_status 2 "log --since garbage exits 2" dsc log --since yesterdayish web01
grep_ok "the bad date is named" "yesterdayish" "$T/err"

# Ignore rules hide the tool's changes.
printf '[store]\npath = %s/store\n[ignore]\npackages = ds-test-*\n' "$T" >"$T/ignore.conf"
ds --config "$T/ignore.conf" log web01 >"$T/out" 2>&1
grep_not "ignored packages are not in the log" "ds-test-tool" "$T/out"

expect_status 2 "log of an unknown host exits 2" dsc log web99
grep_ok "one line naming the host" "^driftsync: web99: " "$T/err"
expect_status 2 "log --lab of a host without a lab exits 2" dsc log --lab web01
done_testing
