#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/snapshot.sh: `driftsync snapshot` on the real lab VM of the
# end-to-end bed (lab-e2e, running, with qemu-guest-agent): an internal
# and an overlay snapshot each undo a change made inside the guest, and an
# overlay merged by delete keeps it; hostile snapshot names are refused
# without touching the domain.  A baseline snapshot of the lab taken at
# the start is reverted to at the end.  Runs only with DS_E2E=1.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/e2e/lib.sh"
. "$DS_SRCDIR/tests/e2e/own-lab.sh"
URI=$E2E_URI
DOM=$LAB
V="virsh -q -c $URI"

# The bed's lab as this test found it, to come back to at the end.
BASE_SNAP=e2e-snapshot-baseline
baseline_drop() { baseline_back "$DOM" "$BASE_SNAP"; }
cat >"$T/ds.conf" <<EOF
[store]
path = $T/store
[lab]
uri = $URI
snapshots = auto
keep-snapshots = 5
[host e2e]
source = local:
lab = $DOM
EOF
snap() { ds --config "$T/ds.conf" snapshot "$@"; }
# jq_ok DESCRIPTION FILTER: the last command's JSON output passes FILTER.
jq_ok() { check "$1" sh -c 'test -s "$1" && jq -e "$2" "$1"' jq_ok "$T/out" "$2"; }

qga() { $V qemu-agent-command "$DOM" "$1" --timeout 30; }
source_of_vda() { $V domblklist "$DOM" | awk '$1 == "vda" { print $2 }'; }

at_exit baseline_drop
baseline_drop # one left by an interrupted run
[ "$($V domstate "$DOM")" = running ] || $V start "$DOM" >/dev/null
check "the guest agent answers" wait_agent "$DOM"
BASE=$(source_of_vda)

# ---- names that are not names: refused, nothing touched ----
$V snapshot-list --name "$DOM" | sort >"$T/before"
for bad in '../../etc/passwd' '$(reboot)' 'a b' '.hidden' "$(printf 'x%.0s' $(seq 70))"; do
    expect_status 2 "a hostile snapshot name: create $bad" snap create e2e "$bad"
    grep_ok "one line naming the bad name" "snapshot name '.*' is not valid" "$T/err"
    expect_status 2 "a hostile snapshot name: revert $bad" snap revert e2e "$bad"
done
expect_status 2 "revert to a snapshot that does not exist" snap revert e2e driftsync-nosuch
grep_ok "says which" 'driftsync-nosuch' "$T/err"
$V snapshot-list --name "$DOM" | sort >"$T/after"
check "no snapshot was made or touched" cmp "$T/before" "$T/after"
check "the lab still runs" test "$($V domstate "$DOM")" = running

# A baseline of our own once the lab is known good: the end comes back to it.
check "a baseline of the lab to end on" $V snapshot-create-as "$DOM" "$BASE_SNAP"

# ---- internal ----
t0=$(now_ms)
expect_status 0 "internal snapshot of the running VM" snap create --mode internal e2e e2e-int
diag "internal create: $(($(now_ms) - t0)) ms"
grep_ok "named driftsync-*" '^driftsync-e2e-int$' "$T/out"
check "a change in the guest" vexec "$DOM" /bin/touch /root/ds-marker-internal
check "the change is there" vexec "$DOM" /usr/bin/test -e /root/ds-marker-internal
# The snapshot holds the guest's clock of its time: let that fall behind.
sleep 20
t0=$(now_ms)
expect_status 0 "revert to the internal snapshot" snap revert e2e driftsync-e2e-int
check "the agent answers after the revert" wait_agent "$DOM"
diag "internal revert, to the agent answering: $(($(now_ms) - t0)) ms"
# guest_skew: |guest clock - host clock| in seconds (guest-get-time, ns).
guest_skew() {
    local g
    g=$($V qemu-agent-command "$DOM" '{"execute":"guest-get-time"}' --timeout 10 |
        jq -r '.return / 1000000000 | floor') || return 1
    echo $((g > $(date +%s) ? g - $(date +%s) : $(date +%s) - g))
}
skew=$(guest_skew)
check "the guest's clock is set to the host's after the revert (off by ${skew:-?} s)" \
    test "${skew:-99}" -le 5
if vexec "$DOM" /usr/bin/test -e /root/ds-marker-internal; then
    not_ok "the change is gone after the revert"
else ok "the change is gone after the revert"; fi
expect_status 0 "delete the internal snapshot" snap delete e2e driftsync-e2e-int
expect_status 0 "list" snap list --json e2e
jq_ok "no snapshot left" '[.snapshots[] | select(.name == "driftsync-e2e-int")] | length == 0'

# ---- overlay ----
t0=$(now_ms)
expect_status 0 "overlay snapshot of the running VM" snap create --mode overlay e2e e2e-ovl
diag "overlay create: $(($(now_ms) - t0)) ms"
OVL=$(source_of_vda)
if [ "$OVL" != "$BASE" ] && [ -f "$OVL" ]; then ok "the VM runs on the overlay ($OVL)"
else not_ok "the VM runs on the overlay (vda is $OVL)"; fi
expect_status 0 "list shows the overlay snapshot" snap list --json e2e
jq_ok "json: mode overlay, current" \
    '.snapshots[] | select(.name == "driftsync-e2e-ovl") | .mode == "overlay" and .current'
$V metadata "$DOM" https://driftsync.invalid/xmlns/lab/1 >"$T/meta" 2>&1
grep_ok "recorded in the domain's metadata" '<overlay name="driftsync-e2e-ovl"' "$T/meta"
check "a change in the guest" vexec "$DOM" /bin/touch /root/ds-marker-overlay
vexec "$DOM" /bin/sync
t0=$(now_ms)
expect_status 0 "revert to the overlay snapshot" snap revert e2e driftsync-e2e-ovl
check "running again after the revert" test "$($V domstate "$DOM")" = running
check "the agent answers after the revert" wait_agent "$DOM"
diag "overlay revert, to the agent answering: $(($(now_ms) - t0)) ms"
if vexec "$DOM" /usr/bin/test -e /root/ds-marker-overlay; then
    not_ok "the change is gone after the revert"
else ok "the change is gone after the revert"; fi
check "still on the overlay" test "$(source_of_vda)" = "$OVL"

check "a change to keep" vexec "$DOM" /bin/touch /root/ds-marker-kept
vexec "$DOM" /bin/sync
expect_status 0 "delete merges the overlay into the disk" snap delete e2e driftsync-e2e-ovl
check "back on the original disk" test "$(source_of_vda)" = "$BASE"
check "the overlay file is gone" test ! -e "$OVL"
check "the merged change is kept" vexec "$DOM" /usr/bin/test -e /root/ds-marker-kept
vexec "$DOM" /bin/rm -f /root/ds-marker-kept
$V dumpxml --inactive "$DOM" >"$T/inactive.xml"
grep_ok "the saved definition is on the original disk too" "source file='$BASE'" "$T/inactive.xml"

done_testing
