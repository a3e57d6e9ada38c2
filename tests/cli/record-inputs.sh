#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/record-inputs.sh: `record --from` reads and checks its inputs
# before it takes the store lock, and refuses what is not a regular file:
# a FIFO (or anything that could block) never holds up the other writers,
# the nightly mirror included.
. "$DS_SRCDIR/tests/setup.sh"
require_cmds flock timeout mkfifo python3
plan 18

use_store
dsc init >/dev/null && dsc record --from "$DATA/good/web01.json" >/dev/null ||
    { echo "Bail out! cannot set up the store"; exit 1; }
head0=$(st rev-parse HEAD)

# 1. Inputs that are not regular files: refused at once, nothing written.
mkfifo "$T/fifo"
expect_status 2 "a FIFO is refused (not waited on)" \
    timeout 20 "$DRIFTSYNC" --config "$T/ds.conf" record --from "$T/fifo"
grep_ok "the FIFO is named: not a regular file" \
    "^driftsync: $T/fifo: not a regular file \(a FIFO\)" "$T/err"
expect_status 2 "a FIFO after a good file: refused too" \
    timeout 20 "$DRIFTSYNC" --config "$T/ds.conf" record --from \
    "$DATA/good/db01.json" "$T/fifo"
expect_status 2 "a character device is refused" \
    timeout 20 "$DRIFTSYNC" --config "$T/ds.conf" record --from /dev/zero
grep_ok "the device is named" "^driftsync: /dev/zero: not a regular file" "$T/err"
mkdir "$T/dir"
expect_status 2 "a directory is refused" dsc record --from "$T/dir"
grep_ok "the directory is named" "^driftsync: $T/dir: not a regular file" "$T/err"
check "HEAD did not move" test "$(st rev-parse HEAD)" = "$head0"

# 2. While another writer holds the store lock, bad inputs are refused at
# once, not after waiting for the lock.
# One process holds it (flock(1) would leave its child holding it too).
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); time.sleep(60)' \
    "$T/store/driftsync.lock" &
holder=$!
stop_holder() { kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; }
at_exit stop_holder
for _ in $(seq 1 50); do
    flock -n "$T/store/driftsync.lock" true 2>/dev/null || break; sleep 0.1
done
printf '{"schema": "driftsync/manifest/v1", "host": "web01", "packages": [}' \
    >"$T/broken.json"
t0=$(date +%s)
expect_status 2 "a broken file is refused while the store is locked" \
    timeout 20 "$DRIFTSYNC" --config "$T/ds.conf" record --from "$T/broken.json"
grep_ok "with its own error, not the lock's" "^driftsync: $T/broken.json" "$T/err"
grep_not "no wait for the lock" "locked by" "$T/err"
check "within 5 s (the lock would make it wait 30 s)" \
    test $(($(date +%s) - t0)) -lt 5
expect_status 2 "a FIFO is refused while the store is locked" \
    timeout 20 "$DRIFTSYNC" --config "$T/ds.conf" record --from "$T/fifo"

# 3. A good file waits for the lock, then is recorded.
(sleep 1; stop_holder) &
expect_status 0 "a good file is recorded once the lock is free" \
    dsc record --from "$DATA/good/db01.json"
check "one new commit" test "$(st rev-parse HEAD~1)" = "$head0"

# 4. HEAD moves between the check (no lock) and the staging (under the
# lock): a file found to be the stored bytes is checked again.  Another
# writer, holding the lock, drops prod/web01.json from the branch while
# record waits; record must put it back.
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); time.sleep(60)' \
    "$T/store/driftsync.lock" &
holder=$!
for _ in $(seq 1 50); do
    flock -n "$T/store/driftsync.lock" true 2>/dev/null || break; sleep 0.1
done
dsc -v record --from "$DATA/good/web01.json" >"$T/out4" 2>"$T/err4" &
rec=$!
# Once the file is checked ("as stored"), record waits for the lock.
for _ in $(seq 1 300); do
    grep -q "as stored" "$T/err4" 2>/dev/null && break; sleep 0.1
done
tree=$(st ls-tree HEAD | grep -v "	prod$" | st mktree)
st update-ref refs/heads/main "$(st commit-tree "$tree" -p HEAD -m "drop prod")"
stop_holder
rc=0; wait "$rec" || rc=$?
if [ "$rc" -eq 0 ]; then ok "record exits 0 after the store moved"; else
    not_ok "record exits 0 after the store moved (exit $rc)"; diag "$(cat "$T/err4")"; fi
grep_ok "it says it checked again" "checking the unchanged ones again" "$T/err4"
check "prod/web01.json is back in the store" st cat-file -e HEAD:prod/web01.json
done_testing
