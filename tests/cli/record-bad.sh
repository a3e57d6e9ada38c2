#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/record-bad.sh: every hostile manifest of tests/data/bad/ fed to
# `record --from` (alone, and after a good file in the same batch) exits 2
# with one line naming the file, and leaves the store exactly as it was.
. "$DS_SRCDIR/tests/setup.sh"

BAD="$DATA/bad"
n=$(find "$BAD" -maxdepth 1 -type f 2>/dev/null | wc -l)
# Five checks per file, plus the corpus size and the final fsck.
plan $((n * 5 + 2))
if [ "$n" -ge 25 ]; then ok "the corpus of bad manifests has $n files (>= 25)"
else not_ok "the corpus of bad manifests has $n files (>= 25)"; fi

use_store
store_sum() { (cd "$T/store" && find . -type f -exec sha256sum {} + | sort); }

dsc init >/dev/null && dsc record --from "$DATA/good/web01.json" >/dev/null ||
    { echo "Bail out! cannot set up the store"; exit 1; }
head0=$(st rev-parse HEAD)
fsck0=$(st fsck --strict 2>&1)
sum0=$(store_sum)

for f in "$BAD"/*; do
    [ -f "$f" ] || continue
    b=$(basename "$f")
    rc=0
    dsc record --from "$f" >"$T/out" 2>"$T/err" || rc=$?
    if [ "$rc" -eq 2 ]; then ok "$b: exit 2"; else
        not_ok "$b: exit 2 (got $rc)"; diag "$(head -c 500 "$T/err")"; fi
    if grep -qF "$b" "$T/err" && [ "$(wc -l <"$T/err")" -eq 1 ]; then
        ok "$b: one line naming the file"
    else
        not_ok "$b: one line naming the file"; diag "$(head -c 500 "$T/err")"
    fi
    # A good file first in the batch must not be written either.
    rc=0
    dsc record --from "$DATA/good/db01.json" "$f" >/dev/null 2>&1 || rc=$?
    if [ "$rc" -eq 2 ]; then ok "$b: after a good file: exit 2"; else
        not_ok "$b: after a good file: exit 2 (got $rc)"; fi
    if [ "$(st rev-parse HEAD)" = "$head0" ] &&
        [ "$(st fsck --strict 2>&1)" = "$fsck0" ]; then
        ok "$b: HEAD and fsck unchanged"
    else
        not_ok "$b: HEAD and fsck unchanged"
    fi
    if [ "$(store_sum)" = "$sum0" ]; then ok "$b: the store's files unchanged"
    else not_ok "$b: the store's files unchanged"; fi
done
check "git fsck --strict is clean at the end" st fsck --strict
done_testing
