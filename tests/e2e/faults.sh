#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/faults.sh: faults in the middle of `driftsync sync` on the
# bed's real guests, one case per kind of fault:
#  - killed (SIGKILL) while dpkg runs a package step's maintainer script:
#    the next run finds the journal, reverts the lab and syncs;
#  - libvirtd restarted while a package step runs: the run reconnects and
#    goes on (the lab synced, nothing half-done);
#  - the lab's guest agent stopped (SIGSTOP in the guest) mid-step: the run
#    ends in bounded time with one clear error, the lab reverted;
#  - killed while reverting a failed run, then killed again in the next
#    run's recovery once its revert is done: the third run only deletes the
#    snapshot left behind.
# With DS_FAULTS_FULL=1 the program is also killed right after its
# snapshot, at the file step and in the re-collection (each then recovered
# the same way); that sweep takes about three times as long.  The lab is
# checked through the guest itself after each case.  DRIFTSYNC_TEST_STOP_AT
# stops the program right after a progress note (the journal is written
# before it), so that each kill lands at a known point.  Both guests are
# put back as they were at the end.  Runs only with DS_E2E=1.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/e2e/lib.sh"

require_cmds dpkg-deb dpkg-scanpackages git
V="virsh -q -c $E2E_URI"
# a sync on the bed's TCG guests takes tens of seconds
DS_WAIT_SECONDS=400

baselines e2e-faults-baseline $PROD $LAB

e2e_conf 'snapshots = auto
keep-snapshots = 1
# app.conf is 0640 (not readable by others): secret by its mode unless exempted
[secrets]
mode-exempt = /etc/ds-e2e/app.conf' 'files = /etc/ds-e2e/'
lab_version() { pkg_version $LAB "$1"; }
lab_conf() { vexec $LAB /bin/cat /etc/ds-e2e/app.conf 2>/dev/null; }
in_lab() { vexec $LAB "$@" >/dev/null 2>&1; }

# ---- packages: plain ones, slow ones (the postinst says it runs, then
# sleeps) and one that fails on the lab -------------------------------
for v in 1 2 3 4 5; do mkdeb ds-a "$v.0"; done
for v in 1 2 3; do
    mkdeb ds-slow "$v.0" "touch /run/ds-slow-$v; sleep 8"
done
mkdeb ds-fail 1.0 'if [ -e /srv/ds-repo/fail-here ]; then echo "ds-fail: refusing to configure on this host" >&2; exit 1; fi'
repo_index

check "prod: a file: apt repository" setup_guest $PROD
check "lab: the same repository" setup_guest $LAB
check "init the store" dsc init
expect_status 0 "record prod" dsc record e2e
expect_status 0 "record the lab" dsc record --lab e2e

# drift PKG VERSION: prod gets PKG VERSION and app.conf says so; recorded.
drift() {
    at $PROD run dpkg -i "/srv/ds-repo/${1}_${2}_all.deb" >/dev/null &&
        printf 'package = %s %s\n' "$1" "$2" |
        at $PROD write /etc/ds-e2e/app.conf 0640 &&
        dsc record e2e >/dev/null 2>&1
}

# start_sync [STOP-AT]: `driftsync sync e2e` in the background ($KPID),
# stopping itself after the first note that contains STOP-AT.
start_sync() {
    T0=$(now_ms)
    DRIFTSYNC_TEST_STOP_AT=${1:-} "$DRIFTSYNC" --config "$T/ds.conf" sync e2e \
        >"$T/k.out" 2>"$T/k.err" &
    KPID=$!
}
stop_sync() { [ -z "${KPID:-}" ] || { kill -9 "$KPID"; wait "$KPID"; } 2>/dev/null; }
at_exit stop_sync
in_package_step() {
    [ "$(journal '.state + " " + (.steps[-1].kind // "")' 2>/dev/null)" = "applying packages" ]
}
stopped() { [ "$(awk '{ print $3 }' "/proc/$KPID/stat" 2>/dev/null)" = T ]; }
stopped_or_gone() { stopped || ! kill -0 "$KPID" 2>/dev/null; }
ended() { ! kill -0 "$KPID" 2>/dev/null; }
# kill_at WHAT: once the program has stopped itself, SIGKILL.
kill_at() {
    wait_for "the sync to reach $1" stopped_or_gone
    if stopped; then ok "the sync stopped at $1"; else
        not_ok "the sync stopped at $1"; diag "$(cat "$T/k.err")"; fi
    kill -9 "$KPID" 2>/dev/null
    wait "$KPID" 2>/dev/null
    diag "killed after $(($(now_ms) - T0)) ms"
}
# guest_marker FILE: the lab's FILE exists (the maintainer script runs).
guest_marker() { in_lab /usr/bin/test -e "$1"; }

# after_kill CASE STATE PKG VERSION: the journal says the run was killed
# in STATE with its snapshot taken; the next sync finds it, reverts and
# syncs; the guest then has PKG VERSION and prod's app.conf; only the new
# run's snapshot is left, the store is clean.
after_kill() {
    local case=$1 state=$2 pkg=$3 ver=$4 krun killed t
    check "$case: the journal is open in state $state" \
        test "$(journal .state)" = "$state"
    killed=$(journal .snapshot)
    krun=$(journal .run_id)
    check "$case: the killed run's snapshot exists" has_snapshot "$killed"
    t=$(now_ms)
    expect_status 0 "$case: the next sync" dsc sync e2e
    diag "$case: the next sync took $(($(now_ms) - t)) ms"
    grep_ok "$case: it finds the interrupted run and reverts" \
        "^e2e: found interrupted run $krun \\($state, [0-9]+ of [0-9]+ steps started\\): reverting lab $LAB to $killed" "$T/err"
    grep_ok "$case: the revert is verified" \
        "^e2e: lab $LAB reverted to $killed and verified" "$T/err"
    grep_ok "$case: then it syncs" '^e2e: synced ' "$T/out"
    expect_status 0 "$case: diff: the lab matches prod" dsc diff e2e
    check "$case: the guest has $pkg $ver" test "$(lab_version "$pkg")" = "$ver"
    check "$case: the guest has prod's app.conf" \
        test "$(lab_conf)" = "package = $pkg $ver"
    check "$case: the killed run's snapshot is gone" eval '! has_snapshot "$killed"'
    check "$case: one driftsync snapshot left (the new run's)" test "$(ours)" = 1
    check "$case: journal: finished" test "$(journal .state)" = finished
    check "$case: git fsck is clean" git --git-dir="$T/store" fsck --strict --no-progress
}

# ---- killed while dpkg runs the package step's maintainer script -----
check "prod: ds-slow 1.0" drift ds-slow 1.0
start_sync
wait_for "the package step to begin" in_package_step
wait_for "ds-slow's postinst to run in the lab" guest_marker /run/ds-slow-1
kill -9 "$KPID"; wait "$KPID" 2>/dev/null
diag "killed after $(($(now_ms) - T0)) ms"
check "packages: the step had not finished" test "$(journal '.steps[-1].finished // "running"')" = running
after_kill packages applying ds-slow 1.0

# ---- killed right after its snapshot (DS_FAULTS_FULL) -----------------
fault_snapshot() {
    check "prod: ds-a 1.0" drift ds-a 1.0
    start_sync "snapshot driftsync-"
    kill_at "its snapshot"
    check "snapshot: no step began" test "$(journal '.steps | length')" = 0
    after_kill snapshot started ds-a 1.0
}

# ---- killed at the file step (DS_FAULTS_FULL) -------------------------
fault_files() {
    check "prod: ds-a 2.0" drift ds-a 2.0
    start_sync ": write /etc/ds-e2e/app.conf"
    kill_at "the file step"
    check "files: the journal's step is the file one, unfinished" \
        test "$(journal '.steps[-1].kind + " " + (.steps[-1].finished // "running")')" = "file-write running"
    after_kill files applying ds-a 2.0
}

# ---- killed in the re-collection (DS_FAULTS_FULL) ---------------------
fault_recollection() {
    check "prod: ds-a 3.0" drift ds-a 3.0
    start_sync "collecting lab $LAB again"
    kill_at "the re-collection"
    check "re-collection: every step was done" \
        test "$(journal '.total as $t | [.steps[] | select(.finished and .status == 0)] | length == $t')" = true
    check "re-collection: the lab had ds-a 3.0 when killed" test "$(lab_version ds-a)" = 3.0
    after_kill re-collection verifying ds-a 3.0
}

if [ -n "${DS_FAULTS_FULL:-}" ]; then
    fault_snapshot
    fault_files
    fault_recollection
fi

# ---- libvirtd restarted while the package step runs -------------------
# restart_libvirtd: SIGTERM, gone, started again by the bed's recipe (the
# domains keep running; libvirtd takes them back).  The new daemon gets no
# descriptor of ours beyond its output: it would hold whatever it inherits
# (a lock taken around this test, make's pipes) for as long as it runs.
restart_libvirtd() {
    local old
    old=$(cat /run/libvirtd.pid) || return 1
    kill "$old" || return 1
    for _ in $(seq 600); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
    ! kill -0 "$old" 2>/dev/null || return 1
    (
        for fd in /proc/$BASHPID/fd/*; do
            fd=${fd##*/}
            [ "$fd" -le 2 ] || eval "exec $fd>&-"
        done 2>/dev/null
        exec bash "$DS_SRCDIR/tests/e2e/bed.sh" daemon
    ) </dev/null >"$T/daemon.log" 2>&1 &&
        [ "$(cat /run/libvirtd.pid)" != "$old" ]
}
check "prod: ds-slow 2.0" drift ds-slow 2.0
start_sync
wait_for "the package step to begin" in_package_step
wait_for "ds-slow's postinst to run in the lab" guest_marker /run/ds-slow-2
t=$(now_ms)
check "libvirtd restarted (a new pid)" restart_libvirtd
diag "libvirtd restarted in $(($(now_ms) - t)) ms"
wait_for "the interrupted sync to end" ended
rc=0; wait "$KPID" || rc=$?
KPID=
diag "libvirtd: the sync ended $(($(now_ms) - t)) ms after the restart began, exit $rc: $(tr '\n' '|' <"$T/k.err" | head -c 1500)"
check "libvirtd: the sync reconnected and went on: exit 0" test "$rc" = 0
grep_ok "libvirtd: synced" '^e2e: synced ' "$T/k.out"
grep_not "libvirtd: no connection error" 'connection lost|lost the connection' "$T/k.err"
check "libvirtd: within 120 s of the restart" test $(($(now_ms) - t)) -lt 120000
expect_status 0 "libvirtd: diff: the lab matches prod" dsc diff e2e
check "libvirtd: the guest has ds-slow 2.0" test "$(lab_version ds-slow)" = 2.0
check "libvirtd: the guest has prod's app.conf" test "$(lab_conf)" = "package = ds-slow 2.0"
check "libvirtd: one driftsync snapshot left" test "$(ours)" = 1
check "libvirtd: journal: finished" test "$(journal .state)" = finished
check "libvirtd: git fsck is clean" git --git-dir="$T/store" fsck --strict --no-progress

# ---- the lab's guest agent stops answering mid-step ------------------
# stop_agent: the guest's qemu-ga stopped by a shell it starts (not
# waited for: it cannot answer once stopped).
stop_agent() {
    $V qemu-agent-command $LAB --timeout 10 "$(jq -nc '{execute: "guest-exec", arguments: {path: "/bin/sh", arg: ["-c", "for p in /proc/[0-9]*; do [ \"$(cat $p/comm 2>/dev/null)\" = qemu-ga ] && kill -STOP ${p#/proc/}; done"]}}')" >/dev/null
}
H5=$(git --git-dir="$T/store" rev-parse HEAD)
vexec $LAB /usr/bin/dpkg-query -W >"$T/lab-pkgs.before"
check "prod: ds-slow 3.0" drift ds-slow 3.0
start_sync
wait_for "the package step to begin" in_package_step
wait_for "ds-slow's postinst to run in the lab" guest_marker /run/ds-slow-3
t=$(now_ms)
check "agent: qemu-ga stopped in the lab" stop_agent
wait_for "the sync to end" ended
rc=0; wait "$KPID" || rc=$?
KPID=
ms=$(($(now_ms) - t))
diag "agent: the sync ended $ms ms after the agent stopped, exit $rc: $(tr '\n' '|' <"$T/k.err" | head -c 1500)"
check "agent: exit 1 (reverted)" test "$rc" = 1
check "agent: within 150 s" test "$ms" -lt 150000
grep_ok "agent: one line naming the host and the cause" \
    "^e2e: reverted: .*guest agent not answering" "$T/k.out"
check "agent: the lab's agent answers again (the revert brought it back)" wait_agent $LAB 120
vexec $LAB /usr/bin/dpkg-query -W >"$T/lab-pkgs.after"
check "agent: the guest's packages are as before" cmp "$T/lab-pkgs.before" "$T/lab-pkgs.after"
check "agent: the guest kept app.conf as before" test "$(lab_conf)" = "package = ds-slow 2.0"
check "agent: journal: reverted" test "$(journal .state)" = reverted
check "agent: one driftsync snapshot left" test "$(ours)" = 1
check "agent: the store did not move" test "$(git --git-dir="$T/store" rev-parse HEAD~1)" = "$H5"
if [ -n "${DS_FAULTS_FULL:-}" ]; then
    expect_status 0 "agent: the next sync" dsc sync e2e
    check "agent: then the guest has ds-slow 3.0" test "$(lab_version ds-slow)" = 3.0
fi

# ---- killed in the revert of a failed run, then in its recovery ------
check "lab: the marker that makes ds-fail fail" at $LAB run touch /srv/ds-repo/fail-here
check "prod: ds-fail 1.0" drift ds-fail 1.0
vexec $LAB /usr/bin/dpkg-query -W >"$T/lab-pkgs.before"
CONF_BEFORE=$(lab_conf)
start_sync "failed: reverting lab"
kill_at "the revert"
check "revert: the journal is open in state reverting" test "$(journal .state)" = reverting
KILLED=$(journal .snapshot)
KRUN=$(journal .run_id)
start_sync "and verified"
kill_at "the next run's recovery, after its revert"
grep_ok "recovery: it had found the interrupted run" \
    "^e2e: found interrupted run $KRUN \\(reverting, " "$T/k.err"
check "recovery: the journal says recovered (closed before the snapshot goes)" \
    test "$(journal .state)" = recovered
check "recovery: the snapshot is still there" has_snapshot "$KILLED"
expect_status 1 "revert: the third sync drops the snapshot, then fails on ds-fail again" dsc sync e2e
grep_ok "revert: it deletes the snapshot the killed recovery left" \
    "^e2e: deleted snapshot $KILLED left by interrupted run $KRUN" "$T/err"
grep_not "revert: and does not revert again" "found interrupted run" "$T/err"
grep_ok "revert: its own failure reverted" '^e2e: reverted: step [0-9]+/[0-9]+ \(one package transaction' "$T/out"
vexec $LAB /usr/bin/dpkg-query -W >"$T/lab-pkgs.after"
check "revert: the guest's packages are as before" cmp "$T/lab-pkgs.before" "$T/lab-pkgs.after"
check "revert: the guest kept app.conf as before" test "$(lab_conf)" = "$CONF_BEFORE"
check "revert: the killed run's snapshot is gone" eval '! has_snapshot "$KILLED"'
check "revert: one driftsync snapshot left" test "$(ours)" = 1
check "revert: journal: reverted" test "$(journal .state)" = reverted
check "revert: git fsck is clean" git --git-dir="$T/store" fsck --strict --no-progress

done_testing
