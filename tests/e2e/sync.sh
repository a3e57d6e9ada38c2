#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/sync.sh: `driftsync sync` on the bed's real guests.  prod-e2e
# gets a package built here with dpkg-deb (copied in through the agent,
# installed with dpkg -i) and a changed config file; the sync brings
# lab-e2e there through apt from a file: repository present on both.
# Then a package whose maintainer script fails on the lab (reverted, the
# lab as before), and a sync killed with SIGKILL during the package step
# (the next sync reverts and syncs).  Both guests are put back as they
# were at the end.  Runs only with DS_E2E=1.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/e2e/lib.sh"

require_cmds dpkg-deb dpkg-scanpackages git
V="virsh -q -c $E2E_URI"
META_URI=https://driftsync.invalid/xmlns/lab/1

baselines e2e-sync-baseline $PROD $LAB

cat >"$T/ds.conf" <<CONF
[store]
path = $T/store
state = $T/state
[lab]
uri = $E2E_URI
snapshots = auto
keep-snapshots = 1
# app.conf is 0640 (not readable by others): secret by its mode unless exempted
[secrets]
mode-exempt = /etc/ds-e2e/app.conf
[host e2e]
source = agent:$PROD
lab = $LAB
files = /etc/ds-e2e/
CONF
dsc() { ds --config "$T/ds.conf" "$@"; }
head_of() { git --git-dir="$T/store" rev-parse HEAD; }
journal() { jq -r "$1" "$T/state/journal/e2e.json"; }
ours() { $V snapshot-list "$LAB" --name | grep -c '^driftsync-'; }
# lab_pkg NAME REGEX: the lab's dpkg says "VERSION STATUS" matching REGEX.
lab_pkg() {
    vexec $LAB /usr/bin/dpkg-query -W -f '${Version} ${db:Status-Abbrev}' "$1" 2>/dev/null |
        grep -Eq "$2"
}
lab_mode() { test "$(vexec $LAB /usr/bin/stat -c %a "$1")" = "$2"; }
has_snapshot() { $V snapshot-list "$LAB" --name | grep -qx "$1"; }

mkdeb ds-hello 1.0 'echo ds-hello configured'
mkdeb ds-fail 1.0 'if [ -e /srv/ds-repo/fail-here ]; then echo "ds-fail: refusing to configure on this host" >&2; exit 1; fi'
mkdeb ds-slow 1.0 'sleep 20'
repo_index

check "prod: a file: apt repository with three packages" setup_guest $PROD
check "lab: the same repository" setup_guest $LAB

check "init the store" dsc init
expect_status 0 "record prod" dsc record e2e
expect_status 0 "record the lab" dsc record --lab e2e
expect_status 0 "prod and lab start equal" dsc diff e2e

# ---- a package and a config file --------------------------------------
check "prod: dpkg -i ds-hello" at $PROD run dpkg -i /srv/ds-repo/ds-hello_1.0_all.deb
printf 'listen = 8080\nworkers = 3\n' | at $PROD write /etc/ds-e2e/app.conf 0640
check "prod: the config file written" at $PROD run test -s /etc/ds-e2e/app.conf
expect_status 0 "record the change" dsc record e2e
expect_status 1 "diff sees drift" dsc diff e2e
H1=$(head_of)

expect_status 0 "sync --dry-run" dsc sync --dry-run e2e
grep_ok "the plan installs ds-hello" 'install ds-hello 1\.0' "$T/out"
grep_ok "the plan writes the config file" 'write /etc/ds-e2e/app\.conf \(0640 root:root\)' "$T/out"
check "--dry-run took no snapshot" test "$(ours)" = 0
check "--dry-run left the lab alone" eval '! lab_pkg ds-hello .'


t=$(now_ms)
expect_status 0 "sync" dsc --json sync e2e
diag "sync took $(($(now_ms) - t)) ms"
check "synced" jq -e '.hosts[0].status == "synced" and .hosts[0].steps_done >= 2 and .exit == 0' "$T/out"
SNAP1=$(jq -r '.hosts[0].snapshot' "$T/out")
expect_status 0 "diff: the lab matches prod" dsc diff e2e
check "the lab has ds-hello 1.0 (dpkg-query via virsh)" lab_pkg ds-hello '^1\.0 ii'

vexec $LAB /bin/cat /etc/ds-e2e/app.conf >"$T/app.conf" 2>/dev/null
check "the lab has prod's config file" grep -qx 'workers = 3' "$T/app.conf"
check "with prod's mode" lab_mode /etc/ds-e2e/app.conf 640
check "one new commit" test "$(git --git-dir="$T/store" rev-parse HEAD~1)" = "$H1"
H2=$(head_of)
git --git-dir="$T/store" log -1 --format=%B >"$T/msg"
grep_ok "the commit is the sync's" '^Driftsync-Run: ' "$T/msg"
check "git fsck is clean" git --git-dir="$T/store" fsck --strict --no-progress
$V metadata "$LAB" "$META_URI" >"$T/meta" 2>&1
grep_ok "domain metadata: the host" 'e2e' "$T/meta"
grep_ok "domain metadata: the store commit" "$H2" "$T/meta"
grep_ok "domain metadata: the result" 'synced' "$T/meta"
check "the run's snapshot kept ($SNAP1)" has_snapshot "$SNAP1"
check "journal: finished" test "$(journal .state)" = finished

expect_status 0 "a second sync: nothing to do" dsc sync e2e
grep_ok "already in sync" '^e2e: already in sync' "$T/out"
check "and made no commit" test "$(head_of)" = "$H2"

# ---- a maintainer script that fails on the lab ------------------------
check "lab: the marker that makes ds-fail fail" at $LAB run touch /srv/ds-repo/fail-here
check "prod: dpkg -i ds-fail" at $PROD run dpkg -i /srv/ds-repo/ds-fail_1.0_all.deb
expect_status 0 "record it" dsc record e2e
H3=$(head_of)
vexec $LAB /usr/bin/dpkg-query -W >"$T/lab-pkgs.before"
expect_status 1 "sync: the package step fails" dsc sync e2e
grep_ok "reverted, naming the step and the exit status" \
    '^e2e: reverted: step [0-9]+/[0-9]+ \(one package transaction: 1 install\) failed: `env DEBIAN_FRONTEND=noninteractive apt-get install .*ds-fail=1\.0` exited 100' "$T/out"
grep_ok "with the last lines of its output" '^    \| .*ds-fail: refusing to configure on this host' "$T/out"
vexec $LAB /usr/bin/dpkg-query -W >"$T/lab-pkgs.after"
check "the lab's packages are as before" cmp "$T/lab-pkgs.before" "$T/lab-pkgs.after"
check "the store did not move" test "$(head_of)" = "$H3"
check "journal: reverted" test "$(journal .state)" = reverted
check "the failed run's snapshot is gone" test "$(ours)" = 1
expect_status 1 "diff: still the one package" dsc diff e2e
$V metadata "$LAB" "$META_URI" >"$T/meta" 2>&1
grep_ok "domain metadata: reverted" 'reverted' "$T/meta"
grep_ok "domain metadata: still the last synced commit" "$H2" "$T/meta"

# --keep-on-failure: the lab stays as the failed step left it.
expect_status 1 "sync --keep-on-failure" dsc sync --keep-on-failure e2e
grep_ok "says which snapshot to revert to" \
    '^e2e: failed, lab kept: .*revert it with `driftsync snapshot revert e2e driftsync-[^`]+`' "$T/out"
KEPT=$(sed -n 's/.*snapshot revert e2e \(driftsync-[^`]*\)`.*/\1/p' "$T/out")
check "the lab kept the half-installed package" lab_pkg ds-fail '^1\.0 i[FU]'

check "journal: kept" test "$(journal .state)" = kept
expect_status 0 "revert it by hand" dsc snapshot revert e2e "$KEPT"
expect_status 0 "and delete its snapshot" dsc snapshot delete e2e "$KEPT"

check "prod: remove ds-fail" at $PROD run dpkg --purge ds-fail
expect_status 0 "record it" dsc record e2e
expect_status 0 "back in sync" dsc sync e2e

# ---- killed with SIGKILL during the package step ----------------------
check "prod: dpkg -i ds-slow (its postinst sleeps)" at $PROD run dpkg -i /srv/ds-repo/ds-slow_1.0_all.deb
expect_status 0 "record it" dsc record e2e
# the program itself in the background, so that $! is its pid
"$DRIFTSYNC" --config "$T/ds.conf" sync e2e >"$T/killed.out" 2>"$T/killed.err" &
pid=$!
i=0
while [ $i -lt 1200 ]; do
    [ -s "$T/state/journal/e2e.json" ] &&
        [ "$(journal '.state + " " + (.steps[-1].kind // "")')" = "applying packages" ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.25; i=$((i + 1))
done
sleep 2
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
check "killed during the package step" test "$(journal '.state + " " + .steps[-1].kind + " " + (.steps[-1].finished // "running")')" = "applying packages running"
KILLED=$(journal .snapshot)
KRUN=$(journal .run_id)
check "its snapshot exists" has_snapshot "$KILLED"
expect_status 0 "the next sync" dsc sync e2e
grep_ok "finds the interrupted run and reverts" \
    "e2e: found interrupted run $KRUN \\(applying, 2 of [0-9]+ steps started\\): reverting lab $LAB to $KILLED" "$T/err"
grep_ok "verified" "e2e: lab $LAB reverted to $KILLED and verified" "$T/err"
grep_ok "then syncs" '^e2e: synced ' "$T/out"
expect_status 0 "diff: the lab matches prod" dsc diff e2e
check "the killed run's snapshot is gone" eval '! has_snapshot "$KILLED"'

check "retention: one driftsync snapshot left" test "$(ours)" = 1
check "git fsck is clean" git --git-dir="$T/store" fsck --strict --no-progress

done_testing
