#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/remote-file.sh: [store] remote as a file:/// bare repository
# (no server): a remote that is not there warns once and the next run
# pushes; the commit id printed is the one the remote has after a
# re-apply; many hosts pushing at once lose nothing; init --from that
# fails leaves nothing behind.
. "$DS_SRCDIR/tests/setup.sh"
command -v dpkg-deb >/dev/null || skip_all "dpkg-deb is not installed"
require_cmds git
PUSHERS=20
export GIT_CONFIG_NOSYSTEM=1 HOME="$T"
sh "$DATA/dpkg/mkroot.sh" "$T/r" >/dev/null 2>&1 || { not_ok "mkroot"; exit 1; }
ROOT=$T/r/root
R=$T/remote.git
URL="file://$R"
G() { git --git-dir="$R" "$@"; }
conf() { remote_conf "$1" "remote=$URL"; }
on() { local n=$1; shift; ds --config "$T/$n.conf" "$@"; }
rec() { local n=$1 h=$2; shift 2; on "$n" "$@" record --local --root "$ROOT" --host "$h"; }

# 1. The remote is not there yet: one warning, the commit kept.
conf a
check "init store a" on a init
expect_status 0 "record with a missing remote succeeds" rec a h1
check "one line on stderr" test "$(grep -c . "$T/err")" = 1
grep_ok "it names the remote and the cause" \
    "^driftsync: warning: store remote $URL: push: no bare git repository at $R; the commit stays in $T/a and the next run pushes it\$" \
    "$T/err"
check "the commit is in store a" git --git-dir="$T/a" cat-file -e main:prod/h1.json
conf b
expect_status 2 "init --from a missing remote fails" on b init --from "$URL"
grep_ok "... naming the remote" "store remote $URL: fetch: " "$T/err"
check "... and leaves nothing at the store's path" test ! -e "$T/b"
check "... nor beside it" test -z "$(ls -A "$T" | grep '^\.b\.init')"
git init -q --bare -b main "$R"
expect_status 0 "the next run, nothing new to record" rec a h1
grep_ok "... commits nothing" "^no changes\$" "$T/out"
check "... and pushes the kept commit" G cat-file -e main:prod/h1.json

# 2. The commit id printed is the remote's after a re-apply.
conf b
check "init --from the remote" on b init --from "$URL"
expect_status 0 "record h2 from store b" rec b h2
expect_status 0 "record h3 from store a (behind: re-applied)" rec a h3 --json
jq_ok "the commit printed is the remote's tip" ".commit == \"$(G rev-parse main)\""
check "store a's branch is the remote's" test "$(git --git-dir="$T/a" rev-parse main)" = "$(G rev-parse main)"
check "h2 and h3 both on the remote" sh -c "git --git-dir='$R' cat-file -e main:prod/h2.json && git --git-dir='$R' cat-file -e main:prod/h3.json"

# 3. Many hosts at once, each from its own store.
for i in $(seq 1 $PUSHERS); do conf "p$i"; on "p$i" init >/dev/null; done
before=$(G rev-list --count main)
pids=""
for i in $(seq 1 $PUSHERS); do
    rec "p$i" "n$i" >"$T/p$i.out" 2>"$T/p$i.err" &
    pids="$pids $!"
done
failed=0
for p in $pids; do wait "$p" || failed=$((failed + 1)); done
check "all $PUSHERS records succeeded" test "$failed" = 0
check "none of them warned" sh -c "! cat '$T'/p*.err | grep -q ."
check "$PUSHERS more commits on the remote" \
    test "$(G rev-list --count main)" = $((before + PUSHERS))
missing=""
for i in $(seq 1 $PUSHERS); do
    G cat-file -e "main:prod/n$i.json" 2>/dev/null || missing="$missing n$i"
done
check "every host's manifest is on the remote${missing:+ (missing:$missing)}" test -z "$missing"
check "git fsck --strict on the remote is clean" G fsck --strict
done_testing
