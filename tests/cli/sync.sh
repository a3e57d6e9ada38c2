#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/sync.sh: `driftsync sync` without a VM: bad input, --dry-run
# (prints the plan, touches nothing), the lab's lock, an interrupted run's
# journal found and its lab reverted (libvirt's test driver keeps
# snapshots within one invocation but has no guest agent, so every real
# sync stops at collecting the lab; tests/e2e/sync.sh syncs for real).
. "$DS_SRCDIR/tests/setup.sh"

command -v jq >/dev/null || skip_all "jq is not installed"
command -v git >/dev/null || skip_all "git is not installed"
command -v flock >/dev/null || skip_all "flock (util-linux) is not installed"

write_conf "$T/ds.conf" <<CONF
snapshots = auto

[host web01]
source = local:
lab = lab-web01

[host db01]
source = local:
lab = lab-db01

[host nolab]
source = local:
CONF
# web01 again, its lab being the test domain with driftsync snapshots
sed 's/^lab = lab-web01$/lab = lab-db01/' "$T/ds.conf" >"$T/db.conf"
sync() { ds --config "$T/ds.conf" sync "$@"; }
head_of() { git --git-dir="$T/store" rev-parse HEAD; }

expect_status 2 "no host" sync
grep_ok "says how to use it" 'usage: driftsync sync HOST' "$T/err"
expect_status 0 "--help" sync --help
grep_ok "--help lists --dry-run" '--dry-run' "$T/out"
grep_ok "--help lists --keep-on-failure" '--keep-on-failure' "$T/out"
expect_status 2 "a hostile host name" sync '../etc'
grep_ok "refuses it" "'../etc' is not a valid host name" "$T/err"

check "init the store" ds --config "$T/ds.conf" init
expect_status 2 "nothing recorded yet" sync web01
grep_ok "says so" '^driftsync: web01: no such host \(nothing recorded yet\)' "$T/err"
check "record prod and lab manifests" ds --config "$T/ds.conf" record \
    --from "$DATA/good/web01.json" "$DATA/good/web01-lab.json" "$DATA/good/db01.json"
HEAD0=$(head_of)

expect_status 2 "a host not in the configuration" sync nosuch
grep_ok "names the host" '^driftsync: nosuch: no \[host nosuch\]' "$T/err"
grep_ok "one line per host on stdout" '^nosuch: failed: no \[host nosuch\]' "$T/out"
expect_status 2 "a host without a lab" sync nolab
grep_ok "says what is missing" 'nolab: the host has no lab domain' "$T/err"
expect_status 2 "a dry run of a lab never recorded" sync --dry-run db01
grep_ok "says how to get one" 'db01: no lab manifest in the store; record the lab first' "$T/err"
sed 's/^lab = lab-web01$/lab = lab-nosuch/' "$T/ds.conf" >"$T/ghost.conf"
expect_status 2 "a lab domain that does not exist" ds --config "$T/ghost.conf" sync web01
grep_ok "names the domain" '^driftsync: web01: .*lab-nosuch' "$T/err"
check "no journal, no lock written" test ! -e "$T/state/journal" -a ! -e "$T/state/lock"

# --dry-run: the plan, nothing touched.
expect_status 0 "--dry-run" sync --dry-run web01
grep_ok "says how many steps, for which lab" '^web01: would apply [0-9]+ steps? to lab lab-web01 \(dry run\)' "$T/out"
grep_ok "lists the package transaction" '^ +[0-9]+\. packages +one package transaction' "$T/out"
grep_ok "lists file steps" '^ +[0-9]+\. files ' "$T/out"
check "the store did not move" test "$(head_of)" = "$HEAD0"
check "no journal, no lock written" test ! -e "$T/state/journal" -a ! -e "$T/state/lock"
# -v: each step's command, shown as plan -v shows it (quoted only where a
# shell would need it).
expect_status 0 "--dry-run -v" ds --config "$T/ds.conf" -v sync --dry-run web01
grep -E '^ +\$ ' "$T/out" | sed 's/^ *//' >"$T/sync-cmds"
expect_status 1 "plan -v for comparison" ds --config "$T/ds.conf" -v plan web01
grep -E '^ +\$ ' "$T/out" | sed 's/^ *//' >"$T/plan-cmds"
check "-v shows commands" test -s "$T/sync-cmds"
check "-v: the same command lines as plan -v" cmp "$T/sync-cmds" "$T/plan-cmds"
grep_not "-v: a plain argument is not quoted" "'systemctl'|'env'" "$T/sync-cmds"
expect_status 1 "plan for comparison" ds --config "$T/ds.conf" plan --json web01
cp "$T/out" "$T/plan.json"
expect_status 0 "--dry-run --json" ds --config "$T/ds.conf" --json sync --dry-run web01
check "the same steps as plan" sh -c \
    'test "$(jq -c "[.hosts[0].plan.actions[].description]" "$1")" = "$(jq -c "[.actions[].description]" "$2")"' \
    - "$T/out" "$T/plan.json"
check "status planned, dry_run true" jq -e \
    '.dry_run and .hosts[0].status == "planned" and .hosts[0].domain == "lab-web01" and .exit == 0' "$T/out"
expect_status 2 "--dry-run of a good and an unknown host" sync --dry-run web01 nosuch
grep_ok "the good one is planned" '^web01: would apply' "$T/out"
grep_ok "the unknown one fails" '^nosuch: failed' "$T/out"

expect_status 2 "a lab never recorded is collected as it is" sync db01
grep_ok "says so" 'db01: lab lab-db01 was never recorded: collecting it as it is' "$T/err"
grep_ok "(and stops at the agent here)" 'db01: before the sync: ' "$T/err"
# A real sync stops where the test driver does: no guest agent.
expect_status 2 "a lab without a guest agent" sync web01
grep_ok "fails before the sync, naming the host" '^driftsync: web01: before the sync: ' "$T/err"
grep_not "took no snapshot" 'snapshot driftsync-' "$T/err"
check "the store did not move" test "$(head_of)" = "$HEAD0"
check "no journal written" test ! -e "$T/state/journal/web01.json"
check "the lab's lock file exists, released" flock -n "$T/state/lock/lab-web01.lock" true

# Two runs never work on one lab: a held lock names its holder.
mkdir -p "$T/state/lock"
flock "$T/state/lock/lab-web01.lock" sh -c \
    'echo "$$ 2026-11-27T12:00:00Z" >"$1"; exec sleep 30' - "$T/state/lock/lab-web01.lock" &
holder=$!
stop_holder() { kill "$holder" 2>/dev/null; }
at_exit stop_holder
wait_for "the holder to write its lock" test -s "$T/state/lock/lab-web01.lock"
locker=$(cut -d' ' -f1 "$T/state/lock/lab-web01.lock")
expect_status 2 "a lab locked by another run" sync web01
grep_ok "names the holder's pid" "web01: lab lab-web01 is busy: another run holds its lock \\(pid $locker " "$T/err"
kill "$holder"; wait "$holder" 2>/dev/null

# An interrupted run: its journal is found, the lab reverted to its
# snapshot (lab-db01 has driftsync-zz-older), the journal closed.
mkdir -p "$T/state/journal"
journal() { # STATE SNAPSHOT
    cat >"$T/state/journal/web01.json" <<EOF
{"format": "driftsync/journal/v1", "run_id": "zz-older", "host": "web01",
 "domain": "lab-db01", "uri": "test:///x", "snapshot": "$2", "state": "$1",
 "pid": 999999, "total": 3, "steps": [{"step": 1, "kind": "packages",
 "description": "one package transaction", "started": "2026-11-27T12:00:00Z"}]}
EOF
}
journal applying driftsync-zz-older
expect_status 2 "the next sync finds the interrupted run" \
    ds --config "$T/db.conf" sync web01
grep_ok "says it reverts the lab to the run's snapshot" \
    'web01: found interrupted run zz-older \(applying, 1 of 3 steps started\): reverting lab lab-db01 to driftsync-zz-older' "$T/err"
grep_ok "the revert is done" 'web01: lab lab-db01 reverted to driftsync-zz-older' "$T/err"
grep_ok "then goes on (and stops at the agent)" 'web01: before the sync: ' "$T/err"
check "the journal is closed as recovered" jq -e \
    '.state == "recovered" and (.note | test("reverted to driftsync-zz-older"))' "$T/state/journal/web01.json"
check "it was written by the new run" sh -c \
    "test \"\$(jq .pid '$T/state/journal/web01.json')\" != 999999"
expect_status 2 "a recovered journal is not reverted again" \
    ds --config "$T/db.conf" sync web01
grep_not "no second revert" 'found interrupted run' "$T/err"

# With the lab manifest from before the run, the revert is verified:
# here it cannot be (no agent), so the journal stays open for next time.
journal verifying driftsync-zz-older
cp "$DATA/good/web01-lab.json" "$T/state/journal/web01.before.json"
expect_status 2 "an unverifiable revert fails" ds --config "$T/db.conf" sync web01
grep_ok "says why" 'web01: reverting interrupted run zz-older: after reverting to driftsync-zz-older: ' "$T/err"
check "the journal stays open" jq -e '.state == "verifying"' "$T/state/journal/web01.json"
rm -f "$T/state/journal/web01.before.json"

journal started driftsync-never-taken
expect_status 2 "a run killed before its snapshot" ds --config "$T/db.conf" sync web01
grep_ok "nothing to revert" 'zz-older: it stopped before taking its snapshot; nothing to revert' "$T/err"
check "closed" jq -e '.state == "recovered"' "$T/state/journal/web01.json"

journal applying driftsync-gone
expect_status 2 "a snapshot that has gone" ds --config "$T/db.conf" sync web01
grep_ok "says it cannot revert" 'web01: interrupted run zz-older \(applying\) cannot be reverted: ' "$T/err"
check "the journal stays open" jq -e '.state == "applying"' "$T/state/journal/web01.json"

echo 'not json' >"$T/state/journal/web01.json"
expect_status 2 "a damaged journal" ds --config "$T/db.conf" sync web01
grep_ok "names the file" "journal/web01.json: not a journal" "$T/err"

check "the store is still clean" git --git-dir="$T/store" fsck --no-progress
check "and did not move" test "$(head_of)" = "$HEAD0"

done_testing
