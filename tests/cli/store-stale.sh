#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/store-stale.sh: what a killed run leaves behind.  A stale
# refs/heads/main.lock (no driftsync holds the store lock) is named with
# how to clear it, before any work, instead of an empty cause; a killed
# `init` leaves either no store or a whole one, and "a store already
# exists" is said only when one does.
. "$DS_SRCDIR/tests/setup.sh"
require_cmds git python3
plan 19

use_store
dsc init >/dev/null && dsc record --from "$DATA/good/web01.json" >/dev/null ||
    { echo "Bail out! cannot set up the store"; exit 1; }
head0=$(st rev-parse HEAD)

# 1. A ref lock left by a killed writer.
: >"$T/store/refs/heads/main.lock"
touch -d '-2 hours' "$T/store/refs/heads/main.lock"
expect_status 2 "record with a stale refs/heads/main.lock exits 2" \
    dsc record --from "$DATA/good/db01.json"
grep_ok "the lock file is named with its cause" \
    "^driftsync: store $T/store: refs/heads/main.lock is left over from an interrupted run \(no driftsync holds the store lock" \
    "$T/err"
grep_ok "and how to clear it" "rm $T/store/refs/heads/main.lock" "$T/err"
if [ "$(wc -l <"$T/err")" -eq 1 ]; then ok "one line"; else
    not_ok "one line"; diag "$(cat "$T/err")"; fi
check "HEAD did not move" test "$(st rev-parse HEAD)" = "$head0"
check "the lock file is left alone" test -e "$T/store/refs/heads/main.lock"
rm "$T/store/refs/heads/main.lock"
expect_status 0 "once removed, record works again" \
    dsc record --from "$DATA/good/db01.json"
check "and commits" test "$(st rev-parse HEAD~1)" = "$head0"
check "git fsck --strict is clean" st fsck --strict

# 2. A directory an interrupted init would leave (git's files, no HEAD
# ref yet) is not called a store.
mkdir -p "$T/half/objects" "$T/half/refs"
printf '[core]\n' >"$T/half/config"
expect_status 2 "init on a half-made directory exits 2" \
    dsc --store "$T/half" init
grep_not "it is not called an existing store" "already exists" "$T/err"
grep_ok "it is called what it is" "$T/half: exists and is not an empty directory" \
    "$T/err"

# 3. init killed at any moment leaves no store or a whole one: timed
# runs first, then 40 runs killed (SIGKILL) from a third of that time to
# all of it; init again after each must create the store or find a whole
# one.
python3 - "$DRIFTSYNC" "$T" >"$T/kills" 2>&1 <<'PY'
import os, signal, subprocess, sys, time
prog, top = sys.argv[1], sys.argv[2]
def run(d):
    return subprocess.Popen([prog, "--store", d, "init"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
t = time.monotonic()
for i in range(3):
    run(os.path.join(top, "timed%d" % i)).wait()
full = (time.monotonic() - t) / 3
for i in range(40):
    d = os.path.join(top, "k%d" % i)
    p = run(d)
    time.sleep(full * (0.33 + 0.67 * i / 39))
    p.send_signal(signal.SIGKILL)
    p.wait()
    if os.path.exists(d):
        whole = subprocess.run(["git", "-C", d, "fsck", "--strict"],
                               capture_output=True).returncode == 0
        print("%d %s" % (i, "whole" if whole else "partial"))
    again = subprocess.run([prog, "--store", d, "init"], capture_output=True,
                           text=True)
    if again.returncode != 0 and not (
            "already exists" in again.stderr and
            subprocess.run(["git", "-C", d, "fsck", "--strict"],
                           capture_output=True).returncode == 0):
        print("%d init again: %s" % (i, again.stderr.strip()))
PY
diag "$(grep -c whole "$T/kills") of 40 killed runs had finished"
grep_not "no kill left a half-made store" "partial" "$T/kills"
grep_not "init after each kill: a store, honestly named" "init again" "$T/kills"

# 4. The store is built beside its place and renamed into it: an empty
# directory given in advance is taken, nothing else is left beside it.
mkdir -p "$T/fresh/given"
expect_status 0 "init into an empty directory" dsc --store "$T/fresh/given" init
check "it is a store" git -C "$T/fresh/given" fsck --strict
if [ "$(ls -A "$T/fresh")" = given ]; then ok "no temporary directory left"
else not_ok "no temporary directory left"; diag "$(ls -A "$T/fresh")"; fi
expect_status 2 "init where the parent cannot be written" \
    dsc --store /proc/driftsync-store init
grep_ok "the error names the place" "/proc" "$T/err"
done_testing
