#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/mirror-daemons.sh: `driftsync mirror` over labs on
# several libvirt daemons, without a VM: two daemons of libvirt's test
# driver (test:///default and a node file), and qemu+ssh:// URIs that
# fail -- a port nobody listens on, and a server on loopback that accepts
# and never speaks (ssh waits for its banner).  Checks: the labs grouped
# by URI, one connection per daemon whatever its number of labs, each
# daemon's labs synced by workers of its own ([lab] parallel = 1 does not
# make one daemon wait for another), and a daemon that cannot be reached
# failing only its labs, each naming the host, the URI and the cause,
# untouched (no lock, no journal), exit 1; as root, a real sshd on
# loopback refusing the user's key and showing another host key than the
# one known, each said as such.  The test driver has no guest
# agent: a lab that reached its daemon fails at collecting the lab, which
# is where the engine says it got to (tests/e2e/mirror-daemons.sh syncs
# for real on two daemons).
. "$DS_SRCDIR/tests/setup.sh"

require_cmds jq git python3 dpkg-deb ssh

sh "$DATA/dpkg/mkroot.sh" "$T/r1" >/dev/null 2>&1 || {
    echo "1..1"; echo "not ok 1 - building the Debian root (mkroot.sh)"; exit 1; }
ROOT=$T/r1/root
NODE=test://$DATA/test-node.xml
# Never prompt, never read a terminal: the refused port fails at once.
DOWN='qemu+ssh://nobody@127.0.0.1:1/system?no_tty=1'
REPORT=$T/state/reports/latest.json

# conf FILE [HOST LAB URI]...: [lab] on the node file, one lab at a time
# on each daemon; each host local:ROOT with its lab and its lab-uri (-:
# none, [lab] uri).
conf() {
    f=$1; shift
    printf '[store]\npath = %s/store\nstate = %s/state\n[lab]\nuri = %s\nparallel = 1\n' \
        "$T" "$T" "$NODE" >"$f"
    while [ $# -ge 3 ]; do
        printf '\n[host %s]\nsource = local:%s\nlab = %s\n' "$1" "$ROOT" "$2" >>"$f"
        [ "$3" = - ] || printf 'lab-uri = %s\n' "$3" >>"$f"
        shift 3
    done
}
report_ok() { check "$1" jq -e "$2" "$REPORT"; }

# c1's daemon refuses at once; a1 and a2 share the node file's daemon; b1
# is on test:///default.  The first run: no lab recorded yet, so every
# lab with a reachable daemon goes to the engine.
conf "$T/ds.conf" c1 lab-x "$DOWN" a1 lab-node01 - a2 lab-agent01 - b1 test test:///default
check "init" ds --config "$T/ds.conf" init
expect_status 1 "one daemon down: exit 1, the others' labs tried" \
    ds --config "$T/ds.conf" mirror
grep_ok "c1 fails naming its host, its URI and the cause" \
    "^c1: failed: the lab's libvirt daemon cannot be reached: qemu\+ssh://nobody@127\.0\.0\.1:1/system\?no_tty=1: connection refused \(.*Connection refused" "$T/out"
grep_ok "a1 reached its daemon (the test driver has no agent)" \
    "^a1: failed: before the sync: .*test://$DATA/test-node.xml: lab-node01: this libvirt driver cannot talk to a guest agent" "$T/out"
grep_ok "a2 too" "^a2: failed: before the sync: .*lab-agent01" "$T/out"
grep_ok "b1, on test:///default" "^b1: failed: before the sync: test:///default: test: this libvirt driver cannot talk to a guest agent" "$T/out"
grep_ok "the daemon is named once on stderr" \
    '^driftsync: mirror: libvirt daemon not reached, its 1 lab not synced: qemu\+ssh://nobody@127\.0\.0\.1:1/system\?no_tty=1: connection refused' "$T/err"
check "only once" test "$(grep -c 'libvirt daemon not reached' "$T/err")" = 1
grep_ok "the engine collected a1's lab" '(^|] )a1: lab lab-node01 was never recorded' "$T/err"
grep_not "c1's lab was not touched" '(^|] )c1: ' "$T/err"
check "no lock taken for c1's lab" test ! -e "$T/state/lock/lab-x.lock"
check "no journal for c1" test ! -e "$T/state/journal/c1.json"
check "a1's lab was locked (the engine ran)" test -e "$T/state/lock/lab-node01.lock"
report_ok "three daemons, in the order of their first lab" \
    "[.daemons[].uri] == [\"$DOWN\", \"$NODE\", \"test:///default\"]"
report_ok "the node file's daemon: two labs, one connection" \
    ".daemons[1] | .labs == 2 and .connections == 1 and .error == null"
report_ok "test:///default: one lab, one connection" \
    '.daemons[2] | .labs == 1 and .connections == 1 and .error == null'
report_ok "the daemon down: no connection, its error names it" \
    ".daemons[0] | .labs == 1 and .connections == 0 and (.error | startswith(\"$DOWN: connection refused\"))"
report_ok "each lab names its URI" \
    "[.labs[] | .uri] == [\"$DOWN\", \"$NODE\", \"$NODE\", \"test:///default\"]"
report_ok "c1 failed with the reason, not skipped" \
    '.labs[0] | .status == "failed" and (.reason | test("cannot be reached"))'
report_ok "exit 1 (some labs failed), every prod host recorded" \
    '.exit == 1 and .summary.recorded == 4 and .summary.failed == 4'

# ---- every daemon has workers of its own ----
# A server that accepts and never answers: ssh waits for its banner, so
# s1's daemon hangs as long as it runs.  With one lab at a time per
# daemon, a1's lab on the node file's daemon finishes all the same; s1's
# fails when the server goes away.
python3 - "$T/stall.port" "$T/stall.conn" <<'PY' >/dev/null 2>&1 &
import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
end = time.time() + 120
s.settimeout(1)
while time.time() < end:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    held.append(c)
    open(sys.argv[2], "w").close()
PY
stall=$!
stop_stall() { kill "$stall" 2>/dev/null; }
at_exit stop_stall
wait_for "the stalling server's port" test -s "$T/stall.port"
STALL="qemu+ssh://nobody@127.0.0.1:$(cat "$T/stall.port")/system?no_tty=1"
conf "$T/stall.conf" s1 lab-x "$STALL" a1 lab-node01 -
rm -rf "$T/state/lock" "$T/state/journal"
"$DRIFTSYNC" --config "$T/stall.conf" mirror >"$T/out" 2>"$T/err" &
run=$!
stop_run() { kill "$run" 2>/dev/null; }
at_exit stop_run
if wait_for "ssh to reach the stalling server" test -e "$T/stall.conn" &&
    wait_for "a1's line while s1's daemon hangs" grep -q '^a1: failed: ' "$T/out"; then
    ok "a1's lab was done while s1's daemon did not answer"
fi
grep_not "s1 is still waiting for its daemon" '^s1: ' "$T/out"
kill "$stall"
rc=0; wait "$run" || rc=$?
check "then the run ends with exit 1 (got $rc)" test "$rc" = 1
grep_ok "s1 fails naming its host and URI" \
    "^s1: failed: the lab's libvirt daemon cannot be reached: qemu\+ssh://nobody@127\.0\.0\.1:[0-9]+/system\?no_tty=1: " "$T/out"
diag "$(grep '^s1: ' "$T/out")"
report_ok "two daemons, a1's with one connection" \
    ".daemons | length == 2 and .[1].connections == 1 and .[0].error != null"

# ---- ssh's refusals, as root with a real sshd on loopback ----
# The daemon's host key not the one known, and the user's key refused:
# each lab fails saying which, naming its host and URI.
if [ "$(id -u)" = 0 ]; then
    . "$DS_SRCDIR/tests/sshd.sh"
    start_sshd
    # libvirt's ssh transport runs the ssh program: this one reads the
    # test's known_hosts only (never root's)
    mkssh() { # FILE KNOWN-HOSTS
        printf '#!/bin/sh\nexec ssh -o UserKnownHostsFile=%s -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes "$@"\n' "$2" >"$1"
        chmod 0755 "$1"
    }
    ssh-keygen -q -t ed25519 -N '' -f "$T/other_key" -C other
    known_hosts_line "$SSHD_PORT" "$T/other_key.pub" >"$T/wrong_known_hosts"
    mkssh "$T/ssh-ok" "$T/known_hosts"
    mkssh "$T/ssh-wrong" "$T/wrong_known_hosts"
    uri() { # KEY SSH
        printf 'qemu+ssh://root@127.0.0.1:%s/system?keyfile=%s&command=%s&no_tty=1' \
            "$SSHD_PORT" "$1" "$2"
    }
    conf "$T/ssh.conf" k1 lab-x "$(uri "$T/other_key" "$T/ssh-ok")" \
        h1 lab-y "$(uri "$T/user_key" "$T/ssh-wrong")" a1 lab-node01 -
    rm -rf "$T/state/lock" "$T/state/journal"
    expect_status 1 "ssh refuses two daemons: exit 1" ds --config "$T/ssh.conf" mirror
    grep_ok "the user's key refused: k1 says so" \
        "^k1: failed: the lab's libvirt daemon cannot be reached: qemu\\+ssh://root@127\\.0\\.0\\.1:$SSHD_PORT/system\\?keyfile=$T/other_key.*: authentication refused \\(.*Permission denied \\(publickey\\)" "$T/out"
    grep_ok "another host key: h1 says so" \
        "^h1: failed: the lab's libvirt daemon cannot be reached: qemu\\+ssh://root@127\\.0\\.0\\.1:$SSHD_PORT/system\\?keyfile=$T/user_key&command=$T/ssh-wrong.*: the host key was not accepted \\(.*Host key verification failed" "$T/out"
    grep_ok "a1 on the test driver is tried all the same" '^a1: failed: before the sync: ' "$T/out"
    check "two daemons not reached, said once each" \
        test "$(grep -c 'libvirt daemon not reached' "$T/err")" = 2
else
    skip "ssh's refusals: a loopback sshd needs root"
fi

done_testing
