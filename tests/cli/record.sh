#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/record.sh: `driftsync record --from FILE...` imports manifests
# as one commit, prints a line per changed host (or "no changes"), makes
# no commit when nothing changed, and refuses a batch with one bad file
# without writing anything.
. "$DS_SRCDIR/tests/setup.sh"
plan 35

use_store
store_sum() { (cd "$T/store" && find . -type f ! -name '*.lock' -exec sha256sum {} + | sort); }

dsc init >/dev/null || { not_ok "init"; done_testing; }

expect_status 0 "record --from three good manifests exits 0" \
    dsc record --from "$GOOD/web01.json" "$GOOD/db01.json" "$GOOD/web01-lab.json"
grep_ok "a line for web01 (prod), a new host" "^web01 \(prod\): new host: [0-9]+ packages" "$T/out"
grep_ok "a line for db01 (prod)" "^db01 \(prod\): new host" "$T/out"
grep_ok "a line for web01 (lab): the file says lab" "^web01 \(lab\): new host" "$T/out"
check "exactly one commit" test "$(st rev-list --count HEAD)" = 1
check "the commit holds prod/web01.json, prod/db01.json and lab/web01.json" \
    sh -c "git -C '$T/store' ls-tree --name-only -r HEAD | grep -x prod/web01.json && git -C '$T/store' ls-tree --name-only -r HEAD | grep -x prod/db01.json && git -C '$T/store' ls-tree --name-only -r HEAD | grep -x lab/web01.json"
check "git fsck --strict is clean" st fsck --strict
st show HEAD:prod/web01.json >"$T/stored.json"
check "the stored manifest is canonical: the same as show --json" \
    sh -c "'$DRIFTSYNC' --config '$T/ds.conf' show --json web01 | cmp - '$T/stored.json'"
check "the stored manifest has the same content as the file" \
    python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); assert a["packages"]==b["packages"] and a["services"]==b["services"] and a["host"]==b["host"], "differs"' \
    "$GOOD/web01.json" "$T/stored.json"

# The same files again: nothing changed, no commit.
head1=$(st rev-parse HEAD)
expect_status 0 "recording the same files again exits 0" \
    dsc record --from "$GOOD/web01.json" "$GOOD/db01.json"
grep_ok "it says no changes" "^no changes$" "$T/out"
check "no new commit" test "$(st rev-parse HEAD)" = "$head1"

# A real change: one line for the changed host only.
$EDIT "$GOOD/web01.json" "$T/web01-v2.json" pkg:ds-test-tool=1.0-1 \
    at=2026-11-28T02:00:00Z
expect_status 0 "recording a changed manifest exits 0" \
    dsc record --from "$T/web01-v2.json" "$GOOD/db01.json"
grep_ok "the line names web01 and the new package" \
    "^web01 \(prod\): 1 change: .*ds-test-tool" "$T/out"
grep_not "no line for the unchanged db01" "^db01" "$T/out"
check "one new commit on top" test "$(st rev-parse HEAD~1)" = "$head1"
check "the commit message names web01" sh -c "git -C '$T/store' log -1 --format=%B | grep -q web01"
check "git fsck --strict still clean" st fsck --strict

# --json.
$EDIT "$T/web01-v2.json" "$T/web01-v3.json" pkg:ds-test-tool=1.1-1
expect_status 0 "record --json exits 0" dsc --json record --from "$T/web01-v3.json"
check "record --json is valid JSON" python3 -m json.tool "$T/out"
check "record --json gives the commit and web01 as changed" \
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); h=d["hosts"][0]; assert d["commit"]==sys.argv[2], d; assert h["host"]=="web01" and h["status"]=="changed" and h["changes"], h' \
    "$T/out" "$(st rev-parse HEAD)"
expect_status 0 "record --json with nothing changed" dsc record --json --from "$T/web01-v3.json"
check "the commit is null when nothing changed" \
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["commit"] is None and d["hosts"][0]["status"]=="unchanged", d' "$T/out"

# One bad file in a batch: nothing written, whatever the order.
head2=$(st rev-parse HEAD)
sum2=$(store_sum)
$EDIT "$GOOD/web01.json" "$T/web01-v4.json" pkg:ds-test-tool=2.0-1
printf '{"schema": "driftsync/manifest/v1", "host": "web01", "packages": [}' >"$T/broken.json"
expect_status 2 "a batch with a broken file exits 2" \
    dsc record --from "$T/web01-v4.json" "$T/broken.json"
grep_ok "the error names the broken file" "^driftsync: .*broken.json" "$T/err"
check "HEAD did not move" test "$(st rev-parse HEAD)" = "$head2"
if [ "$(store_sum)" = "$sum2" ]; then ok "the store's files are byte for byte the same"
else not_ok "the store's files are byte for byte the same"; fi

# The same host twice in one batch is refused.
expect_status 2 "the same host twice in a batch exits 2" \
    dsc record --from "$T/web01-v4.json" "$GOOD/web01.json"
grep_ok "the error names both files" "web01.json.*(also given|web01-v4)" "$T/err"
check "HEAD did not move either" test "$(st rev-parse HEAD)" = "$head2"

expect_status 2 "a missing file exits 2" dsc record --from "$T/nope.json"
grep_ok "the missing file is named" "nope.json" "$T/err"
expect_status 2 "record --from with no file exits 2" dsc record --from
expect_status 2 "record on a missing store exits 2" \
    dsc --store "$T/nostore" record --from "$GOOD/web01.json"
grep_ok "the missing store is named, with a hint" "nostore.*driftsync init" "$T/err"
done_testing
