#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/trial.sh: `driftsync trial` on the real lab VM of the
# end-to-end bed (lab-e2e, running, with qemu-guest-agent): a passing and a
# failing trial are both reverted and verified; --keep keeps the change.
# Runs only with DS_E2E=1.
. "$DS_SRCDIR/tests/setup.sh"

[ "${DS_E2E:-0}" = 1 ] || skip_all "end-to-end test (set DS_E2E=1; make check-e2e)"
URI=${DS_E2E_URI:-qemu:///system}
DOM=${DS_E2E_LAB:-lab-e2e}
V="virsh -q -c $URI"
for tool in virsh jq; do
    command -v "$tool" >/dev/null || { echo "Bail out! $tool is missing"; exit 1; }
done
$V dominfo "$DOM" >/dev/null 2>&1 ||
    { echo "Bail out! the bed's domain $DOM is not defined at $URI"; exit 1; }

cat >"$T/ds.conf" <<CONF
[store]
path = $T/store
state = $T/state
[lab]
uri = $URI
snapshots = auto
[host e2e]
source = local:
lab = $DOM
CONF
trial() { ds --config "$T/ds.conf" trial "$@"; }
snap() { ds --config "$T/ds.conf" snapshot "$@"; }
jq_ok() { check "$1" sh -c 'test -s "$1" && jq -e "$2" "$1"' jq_ok "$T/out" "$2"; }
qga() { $V qemu-agent-command "$DOM" "$1" --timeout 30; }
wait_agent() {
    i=0
    while [ $i -lt 600 ]; do
        qga '{"execute":"guest-ping"}' >/dev/null 2>&1 && return 0
        sleep 0.3; i=$((i + 1))
    done
    return 1
}
[ "$($V domstate "$DOM")" = running ] || $V start "$DOM" >/dev/null
check "the guest agent answers" wait_agent

expect_status 0 "a passing trial" trial --json e2e \
    --run 'mkdir -p /root/ds-trial && echo hello >/root/ds-trial/probe' \
    --check 'grep -q hello /root/ds-trial/probe'
jq_ok "passed, reverted and verified" \
    '.passed and .reverted and .verified and (.kept | not) and (.residue | length == 0)'
jq_ok "both steps ran and exited 0" \
    '[.steps[] | .status] == [0, 0] and .steps[0].step == "run" and .steps[1].step == "check"'

expect_status 1 "a failing check" trial e2e \
    --run 'echo hello >/root/ds-trial-probe' --check 'test -e /root/nonexistent'
grep_ok "reports the failing check" '^FAIL +check +test -e /root/nonexistent' "$T/out"
grep_ok "reverted and verified" 'lab .* reverted and verified' "$T/out"

expect_status 0 "list: the trials left no snapshot behind" snap list --json e2e
jq_ok "no driftsync snapshot" '[.snapshots[] | select(.driftsync)] | length == 0'

expect_status 0 "a kept trial" trial --json e2e --keep \
    --run 'echo kept >/root/ds-trial-kept' --check 'grep -q kept /root/ds-trial-kept'
jq_ok "kept, not reverted" '.passed and .kept and (.reverted | not)'
SNAP=$(jq -r .snapshot "$T/out")
expect_status 0 "revert the kept trial by hand" snap revert e2e "$SNAP"
check "the agent answers after the revert" wait_agent
expect_status 0 "delete its snapshot" snap delete e2e "$SNAP"

# The same in overlay mode: the revert restarts the VM on a fresh overlay.
sed 's/^snapshots = auto$/snapshots = overlay/' "$T/ds.conf" >"$T/overlay.conf"
expect_status 0 "a passing trial in overlay mode" \
    ds --config "$T/overlay.conf" trial --json e2e \
    --run 'echo overlay >/root/ds-trial-overlay' \
    --check 'grep -q overlay /root/ds-trial-overlay'
jq_ok "overlay: passed, reverted and verified" \
    '.mode == "overlay" and .passed and .reverted and .verified'
expect_status 0 "list after the overlay trial" snap list --json e2e
jq_ok "no driftsync snapshot left" '[.snapshots[] | select(.driftsync)] | length == 0'
check "the VM is back on its own disk" \
    sh -c "$V domblklist '$DOM' | awk '\$1 == \"vda\" { print \$2 }' | grep -v driftsync-"

done_testing
