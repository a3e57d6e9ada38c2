#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/store-git.sh: the store as the real git command line
# sees it: fsck --strict clean, commits with their trailers, manifests
# byte-equal to the canonical ones, no empty commits, the writer lock, and
# HEAD still whole after writers are killed in the middle of a commit.
. "$DS_SRCDIR/tests/setup.sh"

TOOL="$DS_BUILDDIR/tests/tools/store-tool"
command -v git >/dev/null 2>&1 || skip_all "git is not installed"
[ -x "$TOOL" ] || { echo "1..1"; echo "not ok 1 - $TOOL was not built"; exit 1; }

S="$T/store"
G() { git --git-dir="$S" "$@"; }
export GIT_CONFIG_NOSYSTEM=1 HOME="$T"

check "init creates a store" "$TOOL" init "$S"
expect_status 2 "init on an existing store fails" "$TOOL" init "$S"
grep_ok "... saying a store exists" "already exists" "$T/err"
check "the store is a bare repository" test "$(G rev-parse --is-bare-repository)" = true
check "HEAD names refs/heads/main" test "$(G symbolic-ref HEAD)" = refs/heads/main

# Three hosts, canonical manifests written by the library itself.
check "generate manifests" "$TOOL" gen "$T/g0" 3 0
expect_status 0 "first commit" "$TOOL" commit "$S" --run run-0001 "$T/g0"/*.json
c1=$(cat "$T/out")
check "commit printed is HEAD" test "$c1" = "$(G rev-parse HEAD)"
check "git fsck --strict is clean" G fsck --strict --no-dangling
grep_not "... and says nothing" "." "$T/check.out"
G log --format=%s >"$T/log"
grep_ok "git log shows the summary" "^record: 3 hosts changed$" "$T/log"
G log -1 --format='%(trailers:key=Driftsync-Run,valueonly)' >"$T/run"
grep_ok "Driftsync-Run trailer parses" "^run-0001$" "$T/run"
G log -1 --format='%(trailers:key=Driftsync-Hosts,valueonly)' >"$T/hosts"
grep_ok "Driftsync-Hosts trailer parses" "^host0000 host0001 host0002$" "$T/hosts"
G log -1 --format=%b >"$T/body"
grep_ok "body has a line per host" "^host0001: first record \(51 packages, 20 files, 10 services\)$" "$T/body"
check "git show HEAD:prod/host0001.json is the canonical manifest" \
    sh -c 'git --git-dir="$1" show HEAD:prod/host0001.json | cmp - "$2"' \
    sh "$S" "$T/g0/host0001.json"
check "author is driftsync" test "$(G log -1 --format=%an)" = driftsync

expect_status 0 "the same state again" "$TOOL" commit "$S" "$T/g0"/*.json
grep_ok "... makes no commit" "^unchanged$" "$T/out"
check "... and HEAD has not moved" test "$(G rev-parse HEAD)" = "$c1"
check "... one commit in all" test "$(G rev-list --count HEAD)" = 1

# One host upgraded: a commit naming it and its change.
check "generate manifests with host0002 upgraded" "$TOOL" gen "$T/g1" 3 2
expect_status 0 "second commit" "$TOOL" commit "$S" --run run-0002 "$T/g1"/*.json
G log -1 --format=%B >"$T/msg"
grep_ok "summary counts one host" "^record: 1 host changed$" "$T/msg"
grep_ok "the host line names the upgrade" "^host0002: openssl upgraded 3.0.11-1 -> 3.0.13-1$" "$T/msg"
grep_ok "trailers name only that host" "^Driftsync-Hosts: host0002$" "$T/msg"
check "git diff HEAD~1 touches only host0002" \
    test "$(G diff --name-only HEAD~1 HEAD)" = prod/host0002.json
"$TOOL" history "$S" host0002 >"$T/hist" 2>&1
grep_ok "history of host0002 shows the upgrade first" "^$(G rev-parse HEAD) record: 1 host changed \(1 changes\)" "$T/hist"
grep_ok "... with the semantic change" "^  openssl upgraded 3.0.11-1 -> 3.0.13-1$" "$T/hist"

# Captured contents go to files/prod/HOST/PATH, byte for byte.
expect_status 0 "commit with file contents" "$TOOL" commit "$S" --content 7 "$T/g1"/*.json
check "files/prod/host0000 has the 20 files" \
    test "$(G ls-tree -r --name-only HEAD files/prod/host0000 | wc -l)" = 20
G show HEAD:files/prod/host0000/etc/app01/conf005.conf >"$T/conf" 2>&1
grep_ok "content is stored" "^# host0000 line 0 of /etc/app01/conf005.conf \(7\)$" "$T/conf"
sum=$(sha256sum "$T/conf" | cut -d' ' -f1)
G show HEAD:prod/host0000.json >"$T/m0"
grep_ok "its sha256 is the one in the manifest" "\"sha256\": \"$sum\"" "$T/m0"
check "git fsck --strict is clean with file blobs" G fsck --strict --no-dangling
expect_status 0 "files no longer captured" "$TOOL" commit "$S" "$T/g1"/*.json
check "... disappear from files/" test -z "$(G ls-tree HEAD files/)"

# The writer lock names its holder.
"$TOOL" hold "$S" 30 >"$T/hold.out" 2>&1 &
holder=$!
stop_holder() { kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; }
at_exit stop_holder
wait_for "the holder to take the lock" grep -q locked "$T/hold.out"
expect_status 2 "a second writer times out" "$TOOL" commit "$S" --wait 300 --content 8 "$T/g1"/*.json
grep_ok "... naming the holder's pid" "is locked by pid $holder on " "$T/err"
kill -9 "$holder"; wait "$holder" 2>/dev/null
expect_status 0 "a dead holder's lock is taken over" "$TOOL" commit "$S" --wait 2000 --content 8 "$T/g1"/*.json

# kill -9 in the middle of large commits: HEAD is the old or the new
# commit, never anything else, and the repository stays clean.  Rounds 1
# and 2 stop the writer inside its commit (objects written, the branch not
# yet moved) and kill it there, whatever the machine's speed; round 3
# kills it wherever it is, round 4 lets it finish.
check "generate 300 hosts" "$TOOL" gen "$T/big" 300 0 60
interrupted=0
for round in 1 2 3 4; do
    old=$(G rev-parse HEAD)
    pause=; [ "$round" -le 2 ] && pause=--pause-before-ref
    "$TOOL" commit "$S" $pause --content $((100 + round)) --content-max 2 \
        "$T/big"/*.json >"$T/crash.out" 2>&1 &
    w=$!
    case $round in
    1|2) wait_for "writer $round to reach its branch update" \
            grep -q '^writing ' "$T/crash.out"
        kill -9 "$w" && interrupted=$((interrupted + 1))
        wait "$w" 2>/dev/null
        check "round $round: killed before the branch moved, HEAD is the old commit" \
            test "$(G rev-parse HEAD)" = "$old" ;;
    3) kill -9 "$w" 2>/dev/null; wait "$w" 2>/dev/null ;;
    4) check "round 4: a writer left alone finishes" wait "$w" ;;
    esac
    new=$(G rev-parse HEAD)
    if [ "$new" = "$old" ] || { [ "$(G rev-parse "$new^")" = "$old" ] &&
        [ "$(G ls-tree -r --name-only HEAD files/prod | wc -l)" = 600 ]; }; then
        ok "round $round: HEAD is the old or the new commit"
    else
        not_ok "round $round: HEAD is $new (old $old)"
    fi
done
check "round 4 moved HEAD to its commit" test "$new" != "$old"
check "two writers were killed mid-commit" test "$interrupted" -eq 2
check "git fsck --strict is clean after the kills" G fsck --strict --no-dangling
expect_status 0 "the next writer commits normally" "$TOOL" commit "$S" \
    --content 99 --content-max 2 "$T/big"/*.json
check "... whole: 300 hosts with their files" \
    test "$(G ls-tree -r --name-only HEAD files/prod | wc -l)" = 600
check "final git fsck --strict is clean" G fsck --strict --no-dangling

done_testing
