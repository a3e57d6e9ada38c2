#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/snapshot.sh: `driftsync snapshot` against libvirt's test driver
# (tests/data/snapshot-node.xml).  Each invocation gets a fresh test driver
# state, so each case checks what one invocation can show.
. "$DS_SRCDIR/tests/setup.sh"

command -v jq >/dev/null || skip_all "jq is not installed"

write_config() {
    write_conf "$T/ds.conf" <<CONF
snapshots = auto
keep-snapshots = $1

[host web01]
source = local:
lab = lab-web01

[host db01]
source = local:
lab = lab-db01

[host raw]
source = local:
lab = lab-raw

[host ghost]
source = local:
lab = lab-nosuch

[host nolab]
source = local:

[host down]
source = local:
lab = lab-web01
lab-uri = qemu+unix:///system?socket=$T/no-such-socket
CONF
}
write_config 5
snap() { ds --config "$T/ds.conf" snapshot "$@"; }



expect_status 0 "list shows the domain's snapshots" snap list web01
grep_ok "someone else's snapshot is listed" '^[* ] baseline +internal +2023-11-14T22:13:20Z +shutoff +other +taken by hand' "$T/out"

expect_status 0 "list --json" snap list --json web01
check "json: baseline is not driftsync's" \
    jq -e '.snapshots | length == 1 and .[0].name == "baseline" and .[0].driftsync == false' "$T/out"
check "json: names the domain" jq -e '.domain == "lab-web01"' "$T/out"

expect_status 0 "list a domain with driftsync snapshots" snap list db01
grep_ok "driftsync's own are marked" '^ +driftsync-zz-older +internal .* driftsync +driftsync sync of db01 at store commit 1111111' "$T/out"
grep_ok "the current one is starred" '^\* driftsync-aa-newer ' "$T/out"
head -n 2 "$T/out" | tail -n 1 >"$T/first"
grep_ok "oldest first (by time, not name)" 'driftsync-zz-older' "$T/first"

expect_status 0 "create on a qcow2 domain" snap create web01
grep_ok "prints the new snapshot's name" '^driftsync-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$' "$T/out"
grep_ok "says which mode auto chose" 'internal: all disks are qcow2' "$T/err"

expect_status 0 "create --json with a given name" snap create --json web01 before-upgrade
check "json: prefixed, internal, driftsync's" \
    jq -e '.name == "driftsync-before-upgrade" and .mode == "internal" and .driftsync == true and .current == true' "$T/out"

write_config 1
expect_status 0 "create with keep-snapshots = 1" snap create db01 next
grep_ok "retention deletes the oldest" 'deleted old snapshot driftsync-zz-older' "$T/err"
grep_ok "and the next oldest" 'deleted old snapshot driftsync-aa-newer' "$T/err"
write_config 5

expect_status 2 "internal snapshot of a raw disk is refused" snap create --mode internal raw
grep_ok "the message suggests overlay" 'lab-raw: cannot take an internal snapshot: disk vda .* is raw.*snapshots = overlay' "$T/err"

expect_status 2 "overlay mode on the test driver: refused" snap create raw
grep_ok "says why" 'lab-raw: overlay snapshots need QEMU disk images' "$T/err"
grep_not "no overlay file was attempted" 'qemu-img' "$T/err"

expect_status 2 "hostile snapshot name" snap create web01 'x;reboot'
grep_ok "names the bad name" "snapshot name 'x;reboot' is not valid" "$T/err"
expect_status 2 "path-like snapshot name" snap revert web01 '../../etc'
expect_status 2 "too long a name" snap delete web01 \
    "$(printf 'a%.0s' $(seq 1 65))"

expect_status 2 "revert to a snapshot that does not exist" snap revert web01 nosuch
grep_ok "says which" 'lab-web01: no snapshot named nosuch' "$T/err"
expect_status 0 "revert to someone else's snapshot" snap revert web01 baseline
expect_status 2 "delete someone else's snapshot: refused" snap delete web01 baseline
grep_ok "says why" "not driftsync's" "$T/err"
expect_status 0 "delete driftsync's own" snap delete db01 driftsync-aa-newer
# The name a snapshot was created with finds it: `create HOST NAME` makes
# driftsync-NAME, revert and delete accept NAME as given.
expect_status 0 "revert by the name given at create" snap revert db01 aa-newer
grep_not "no error" 'no snapshot named' "$T/err"
expect_status 0 "delete by the name given at create" snap delete db01 zz-older
expect_status 2 "a name neither exact nor prefixed is still not found" \
    snap revert db01 aa-newe
grep_ok "says which" 'lab-db01: no snapshot named aa-newe' "$T/err"

expect_status 2 "a domain that does not exist" snap list ghost
grep_ok "names the domain" 'lab-nosuch' "$T/err"
expect_status 2 "a host without a lab" snap list nolab
expect_status 2 "a host not in the configuration" snap list nosuchhost
expect_status 2 "libvirt not reachable" snap list down
grep_ok "one line naming the host" '^driftsync: down: ' "$T/err"

done_testing
