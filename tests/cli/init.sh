#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/init.sh: `driftsync init` creates a bare git store, refuses to
# touch an existing one, and speaks JSON with --json.
. "$DS_SRCDIR/tests/setup.sh"
plan 14

use_store

expect_status 0 "init exits 0" dsc init
grep_ok "init says what it created" "store" "$T/out"
check "the store is a bare git repository" \
    test "$(git -C "$T/store" rev-parse --is-bare-repository)" = true
check "git fsck --strict is clean on the new store" \
    git -C "$T/store" fsck --strict
head_before=$(git -C "$T/store" symbolic-ref HEAD 2>&1)
sum_before=$(cd "$T/store" && find . -type f -exec sha256sum {} + | sort)

expect_status 2 "init on an existing store exits 2" dsc init
grep_ok "the message says it exists" "^driftsync: $T/store: .*already exists" \
    "$T/err"
sum_after=$(cd "$T/store" && find . -type f -exec sha256sum {} + | sort)
if [ "$sum_before" = "$sum_after" ]; then ok "the existing store is untouched"
else not_ok "the existing store is untouched"; fi
check "HEAD is unchanged" \
    test "$(git -C "$T/store" symbolic-ref HEAD 2>&1)" = "$head_before"

expect_status 0 "init --json exits 0" dsc --store "$T/j" init --json
check "init --json prints valid JSON" python3 -m json.tool "$T/out"
check "init --json names the store and says created" \
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["store"]==sys.argv[2] and d["created"] is True' \
    "$T/out" "$T/j"

expect_status 2 "init with an argument exits 2" dsc init "$T/x"
if [ -e "$T/x" ]; then not_ok "nothing made for a bad argument"; else
    ok "nothing made for a bad argument"; fi

# A directory that is not a store is not a store: other verbs say so.
mkdir "$T/empty"
expect_status 2 "show on a directory that is no store exits 2" \
    dsc --store "$T/empty" show web01
done_testing
