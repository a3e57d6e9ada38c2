#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/trial.sh: `driftsync trial` on the bed's real lab VM (lab-e2e,
# qemu-guest-agent, a real dpkg and apt): passing, failing and kept trials;
# --deb and --install of a real package; the result JSON; and the faults:
# Ctrl-C, a guest destroyed or paused mid-run, an agent that stops
# answering, a third Ctrl-C that leaves at once: every one ends reverted
# (exit 2, saying so) or names the snapshot to revert to.  Each case
# leaves the lab as it found it; the lab's own baseline snapshot taken at
# the start is reverted to at the end.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/e2e/lib.sh"
. "$DS_SRCDIR/tests/e2e/own-lab.sh"
command -v dpkg-deb >/dev/null || { echo "1..1"; echo "not ok 1 - dpkg-deb missing"; exit 1; }

V() { virsh -q -c "$E2E_URI" "$@"; }
BASE=e2e-trial-baseline
# The bed's lab as this test found it, to come back to at the end.
baseline_drop() { baseline_back "$LAB" "$BASE"; }
at_exit baseline_drop
baseline_drop # one left by an interrupted run
[ "$(V domstate "$LAB")" = running ] || V start "$LAB" >/dev/null
check "the lab's agent answers" wait_agent "$LAB"
check "a baseline of the lab to end on" V snapshot-create-as "$LAB" "$BASE"

cat >"$T/ds.conf" <<CONF
[store]
path = $T/store
state = $T/state
[lab]
uri = $E2E_URI
snapshots = auto
[host e2e]
source = local:
lab = $LAB
CONF
sed 's/^snapshots = auto$/snapshots = overlay/' "$T/ds.conf" >"$T/overlay.conf"
trial() { ds --config "$T/ds.conf" trial "$@"; }
snap() { ds --config "$T/ds.conf" snapshot "$@"; }
# in_lab CMD: a shell command line in the guest, through virsh alone.
in_lab() { vexec "$LAB" /bin/sh -c "$1"; }
no_driftsync_snapshots() {
    snap list --json e2e >"$T/list" &&
        jq -e '[.snapshots[] | select(.driftsync)] | length == 0' "$T/list" >/dev/null
}

# ---- a passing trial ----
t0=$(now_ms)
expect_status 0 "a passing trial" trial --json e2e \
    --run 'mkdir -p /root/ds-trial && echo hello >/root/ds-trial/probe' \
    --check 'grep -q hello /root/ds-trial/probe' --check 'echo checked; echo to-stderr >&2'
diag "a passing trial (internal): $(($(now_ms) - t0)) ms"
jq_ok "passed, reverted and verified" \
    '.passed and .reverted and .verified and (.kept | not) and (.residue | length == 0) and .error == null'
jq_ok "the steps ran in order and exited 0" \
    '[.steps[] | [.step, .status]] == [["run", 0], ["check", 0], ["check", 0]]'
jq_ok "each check's output is recorded" \
    '.steps[2].stdout == "checked\n" and .steps[2].stderr == "to-stderr\n"'
jq_ok "the record says what was tried" \
    '.schema == "driftsync/trial/v1" and .host == "e2e" and .domain == "'"$LAB"'" and (.snapshot | startswith("driftsync-")) and .snapshot_deleted'
RUN=$(jq -r .run "$T/out")
check "the result is saved in the state directory" \
    sh -c "jq -S . '$T/out' >'$T/a' && jq -S . '$T/state/trials/$RUN.json' >'$T/b' && cmp '$T/a' '$T/b'"
if in_lab 'test -e /root/ds-trial'; then not_ok "the change is gone"; else ok "the change is gone"; fi
check "no snapshot left behind" no_driftsync_snapshots

# ---- a failing check: every check still runs ----
expect_status 1 "a failing check" trial e2e \
    --run 'echo hello >/root/ds-trial-probe' \
    --check 'test -e /root/nonexistent' --check 'grep -q hello /root/ds-trial-probe'
grep_ok "reports the failing check" '^FAIL +check +test -e /root/nonexistent +\(exit 1\)' "$T/out"
grep_ok "the next check ran too" '^ok +check +grep -q hello' "$T/out"
grep_ok "reverted and verified" 'lab '"$LAB"' reverted and verified' "$T/out"
grep_ok "says where the result is" 'result in .*/trials/.*\.json' "$T/err"

# ---- a failing change: the checks are not run ----
expect_status 1 "a failing --run" trial --json e2e --run 'echo oops >&2; exit 3' --check true
jq_ok "the change failed, the check did not run" \
    '(.passed | not) and (.change_ok | not) and .steps[0].status == 3 and .steps[0].stderr == "oops\n" and .steps[1].ran == false and .verified'

# ---- --deb and --install: real packages through apt ----
mkdeb() { # VERSION -> $T/deb/ds-trial-demo_VERSION_all.deb
    local d=$T/pkg-$1
    mkdir -p "$d/DEBIAN" "$d/usr/share/ds-trial-demo" "$T/deb"
    printf 'Package: ds-trial-demo\nVersion: %s\nArchitecture: all\nMaintainer: driftsync tests <tests@driftsync.invalid>\nDescription: driftsync trial test package\n' "$1" >"$d/DEBIAN/control"
    echo "$1" >"$d/usr/share/ds-trial-demo/version"
    dpkg-deb -Zgzip --root-owner-group -b "$d" "$T/deb/ds-trial-demo_$1_all.deb" >/dev/null
}
mkdeb 1.0 && mkdeb 2.0
expect_status 0 "--deb: a package file copied in and installed" trial --json e2e \
    --deb "$T/deb/ds-trial-demo_1.0_all.deb" \
    --check 'dpkg-query -W -f "\${Version}" ds-trial-demo | grep -qx 1.0' \
    --check 'test "$(cat /usr/share/ds-trial-demo/version)" = 1.0'
jq_ok "installed by apt in one step, checks passed" \
    '.steps[0].step == "install" and .steps[0].status == 0 and (.steps[0].argv | index("apt-get")) and .passed and .verified'
if in_lab 'dpkg-query -W ds-trial-demo' >/dev/null 2>&1; then
    not_ok "the package is gone after the revert"
else ok "the package is gone after the revert"; fi

# A local apt repository in the guest offers 2.0 (the lab's own baseline
# is restored at the end, so this set-up goes too).
{ dpkg-deb -f "$T/deb/ds-trial-demo_2.0_all.deb"
  echo "Filename: ./ds-trial-demo_2.0_all.deb"
  echo "Size: $(stat -c %s "$T/deb/ds-trial-demo_2.0_all.deb")"
  echo "SHA256: $(sha256sum <"$T/deb/ds-trial-demo_2.0_all.deb" | cut -d' ' -f1)"
  echo; } >"$T/Packages"
at "$LAB" run mkdir -p /srv/ds-repo >/dev/null
at "$LAB" write /srv/ds-repo/ds-trial-demo_2.0_all.deb 0644 <"$T/deb/ds-trial-demo_2.0_all.deb"
at "$LAB" write /srv/ds-repo/Packages 0644 <"$T/Packages"
{ echo "Origin: driftsync-tests"; echo "Label: driftsync-tests"; echo "Suite: ./"
  echo "Date: $(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S UTC')"
  echo "SHA256:"
  echo " $(sha256sum <"$T/Packages" | cut -d' ' -f1) $(stat -c %s "$T/Packages") Packages"; } >"$T/Release"
at "$LAB" write /srv/ds-repo/Release 0644 <"$T/Release"
echo 'deb [trusted=yes] file:/srv/ds-repo ./' >"$T/list.src"
at "$LAB" write /etc/apt/sources.list.d/ds-e2e.list 0644 <"$T/list.src"
check "apt in the guest sees the local repository" \
    at "$LAB" run apt-get -q update -o Dir::Etc::sourcelist=sources.list.d/ds-e2e.list \
    -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0
expect_status 0 "--install PKG=VERSION from the guest's repositories" trial --json e2e \
    --install ds-trial-demo=2.0 \
    --check 'test "$(cat /usr/share/ds-trial-demo/version)" = 2.0'
jq_ok "the pinned version was installed" \
    '.change.install == ["ds-trial-demo=2.0"] and (.steps[0].argv | index("ds-trial-demo=2.0")) and .steps[0].status == 0 and .passed and .verified'
expect_status 1 "--install of a version nobody has" trial --json e2e \
    --install ds-trial-demo=9.9 --check true
jq_ok "apt's refusal is the change's failure, and reverted" \
    '(.change_ok | not) and .steps[0].status != 0 and (.steps[0].stderr | test("9.9")) and .verified'

# ---- --keep ----
expect_status 0 "a kept trial" trial --json e2e --keep \
    --run 'echo kept >/root/ds-trial-kept' --check 'grep -q kept /root/ds-trial-kept'
jq_ok "kept, not reverted, names the snapshot to revert to" \
    '.passed and .kept and (.reverted | not) and .revert_with == "driftsync snapshot revert e2e \(.snapshot)"'
SNAP=$(jq -r .snapshot "$T/out")
check "the change is still there" in_lab 'test -e /root/ds-trial-kept'
expect_status 0 "revert the kept trial by hand" snap revert e2e "$SNAP"
check "the agent answers after the revert" wait_agent "$LAB"
if in_lab 'test -e /root/ds-trial-kept'; then not_ok "the kept change is undone"; else ok "the kept change is undone"; fi
expect_status 0 "delete its snapshot" snap delete e2e "$SNAP"

# ---- overlay mode: the revert restarts the VM on a fresh overlay ----
DISK=$(V domblklist "$LAB" | awk '$1 == "vda" { print $2 }')
t0=$(now_ms)
expect_status 0 "a passing trial in overlay mode" \
    ds --config "$T/overlay.conf" trial --json e2e \
    --run 'echo overlay >/root/ds-trial-overlay' \
    --check 'grep -q overlay /root/ds-trial-overlay'
diag "a passing trial (overlay): $(($(now_ms) - t0)) ms"
jq_ok "overlay: passed, reverted and verified" \
    '.mode == "overlay" and .passed and .reverted and .verified and .snapshot_deleted'
check "no driftsync snapshot left" no_driftsync_snapshots
check "the VM is back on its own disk" \
    test "$(V domblklist "$LAB" | awk '$1 == "vda" { print $2 }')" = "$DISK"

# ---- faults: each ends in a revert, exit 2, saying so ----
# start_trial CMD: a trial in the background whose change runs CMD in the
# guest; returns once its snapshot is taken and the change has begun.
start_trial() {
    : >"$T/bg.err"
    "$DRIFTSYNC" --config "$T/ds.conf" --json trial e2e \
        --run "touch /root/ds-fault; $1" --check true >"$T/bg.out" 2>"$T/bg.err" &
    BG=$!
    local i=0
    while [ $i -lt 600 ] && ! grep -q 'snapshot driftsync-' "$T/bg.err"; do
        sleep 0.1; i=$((i + 1))
    done
    i=0
    while [ $i -lt 300 ] && ! in_lab 'test -e /root/ds-fault' 2>/dev/null; do
        sleep 0.2; i=$((i + 1))
    done
}
finish_trial() { # -> $T/out, $T/err, $BG_RC
    BG_RC=0
    wait "$BG" || BG_RC=$?
    cp "$T/bg.out" "$T/out"
    cp "$T/bg.err" "$T/err"
}
lab_clean() {
    wait_agent "$LAB" && ! in_lab 'test -e /root/ds-fault' && no_driftsync_snapshots
}

start_trial 'sleep 120'
kill -INT "$BG"
finish_trial
check "Ctrl-C: exit 2" test "$BG_RC" = 2
grep_ok "Ctrl-C: says it was interrupted and reverted" \
    '^driftsync: e2e: interrupted \(SIGINT\); lab '"$LAB"' reverted to driftsync-[^ ]+ and verified' "$T/err"
jq_ok "Ctrl-C: recorded as interrupted, reverted, verified" \
    '.interrupted and .reverted and .verified and (.passed | not) and .steps[0].ran == false'
check "Ctrl-C: the lab is as before" lab_clean

start_trial 'sleep 120'
V destroy "$LAB" >/dev/null
finish_trial
check "a guest destroyed mid-run: exit 2" test "$BG_RC" = 2
grep_ok "destroyed: says the guest was lost and the lab reverted" \
    '^driftsync: e2e: the guest was lost during the trial: the lab domain '"$LAB"' is (shut off|not running|shutting down); lab '"$LAB"' reverted to driftsync-.* and verified' "$T/err"
jq_ok "destroyed: recorded as lost, reverted, verified" '.guest_lost and .reverted and .verified'
check "destroyed: the lab runs again, as before" lab_clean

start_trial 'sleep 120'
V suspend "$LAB" >/dev/null
finish_trial
check "a guest paused mid-run: exit 2" test "$BG_RC" = 2
grep_ok "paused: says so, reverted" ''"$LAB"' is paused; lab '"$LAB"' reverted to' "$T/err"
check "paused: the lab runs again, as before" \
    sh -c "test \"\$(virsh -q -c '$E2E_URI' domstate '$LAB')\" = running"
check "paused: and is clean" lab_clean

# The agent itself stops (SIGSTOP): its calls time out, then the revert
# (to a snapshot taken while it ran) brings it back.
t0=$(now_ms)
start_trial 'sleep 1; kill -STOP $(pidof qemu-ga)'
finish_trial
diag "an agent that stops answering: $(($(now_ms) - t0)) ms"
check "an agent that stops answering: exit 2" test "$BG_RC" = 2
grep_ok "no answer: says the guest stopped answering, reverted" \
    '^driftsync: e2e: the guest stopped answering during the trial: .*; lab '"$LAB"' reverted to driftsync-.* and verified' "$T/err"
check "no answer: the agent answers again, the lab is clean" lab_clean

# Three signals: leave at once, naming the snapshot to revert to.
start_trial 'sleep 120'
# (signals do not queue: a pause between them, the revert takes seconds)
kill -INT "$BG"; sleep 0.5; kill -INT "$BG"; sleep 0.5; kill -INT "$BG"
finish_trial
check "three Ctrl-C: exit 2" test "$BG_RC" = 2
grep_ok "three Ctrl-C: names the snapshot to revert to" \
    'revert it with `driftsync snapshot revert e2e driftsync-[^`]+`' "$T/err"
SNAP=$(grep -o 'driftsync snapshot revert e2e driftsync-[^`]*' "$T/err" | head -1 | awk '{print $5}')
if [ -n "$SNAP" ] && in_lab 'test -e /root/ds-fault'; then
    expect_status 0 "the advice works: revert" snap revert e2e "$SNAP"
    expect_status 0 "and delete the snapshot" snap delete e2e "$SNAP"
else
    # the first signal's revert may have finished before the third came
    ok "the advice works: revert (the lab was reverted already)"
    [ -n "$SNAP" ] && snap delete e2e "$SNAP" >/dev/null 2>&1
    ok "and delete the snapshot"
fi
check "three Ctrl-C: the lab is clean after the advice" lab_clean

# A paused lab is refused before anything changes.
V suspend "$LAB" >/dev/null
expect_status 2 "a paused lab is refused" trial e2e --run true --check true
grep_ok "says it must run" 'lab '"$LAB"' is paused: a trial needs its guest running' "$T/err"
V resume "$LAB" >/dev/null
check "no snapshot was taken" no_driftsync_snapshots

done_testing
