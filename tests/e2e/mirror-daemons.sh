#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/mirror-daemons.sh: `driftsync mirror` over two libvirt daemons:
# the bed's system daemon (lab-e2e) and the session daemon of an
# unprivileged user made here (ds-hv2), reached as
# qemu+ssh://ds-hv2@127.0.0.1:PORT/session over a loopback sshd, its host
# key checked against the test's known_hosts (a wrong one is refused),
# with one guest of its own (hv2-e2e, an overlay of the bed's image in the
# user's home).  prod-e2e is the production host of both labs.  One
# mirror finds both labs in sync as the guests report them; a change on
# prod is synced to both in one run, one connection per daemon; with the
# user's key refused, then with its sshd gone, the session lab fails
# naming its host, its URI and the cause while the system lab syncs (exit
# 1); with the sshd back the next run brings the session lab up to prod.
# DS_HV_COMPARE=1 also times the same change on two labs of one daemon
# (a third guest, lab2-e2e) against two labs on two daemons.
# The user, its session daemon and guest are removed at exit.  Runs only
# with DS_E2E=1.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/sshd.sh"
. "$DS_SRCDIR/tests/e2e/lib.sh"

require_cmds useradd userdel runuser qemu-img ssh
U=ds-hv2
HV2DOM=hv2-e2e
LAB2=lab2-e2e
APP=/etc/ds-e2e/app.conf

# ---- the second daemon: a user, its sshd, its session daemon ----------
# as_user CMD...: the user's own session, as ssh gives it to libvirt.
as_user() {
    runuser -u "$U" -- env -u XDG_RUNTIME_DIR -u XDG_CONFIG_HOME \
        -u XDG_CACHE_HOME HOME="$HOME_U" "$@"
}
remove_user() {
    local pid
    getent passwd "$U" >/dev/null || return 0
    HOME_U=$(getent passwd "$U" | cut -d: -f6)
    if [ -d "$HOME_U" ]; then
        as_user virsh -q -c qemu:///session destroy "$HV2DOM" >/dev/null 2>&1
        as_user virsh -q -c qemu:///session undefine "$HV2DOM" \
            --snapshots-metadata >/dev/null 2>&1
    fi
    # what is left of the user's processes (its session daemon), by pid
    for pid in $(ps -u "$U" -o pid= 2>/dev/null); do kill "$pid" 2>/dev/null; done
    for _ in $(seq 50); do ps -u "$U" -o pid= >/dev/null 2>&1 || break; sleep 0.1; done
    for pid in $(ps -u "$U" -o pid= 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    userdel -f "$U" 2>/dev/null
    case $HOME_U in /var/tmp/ds-hv2.*) rm -rf --one-file-system "$HOME_U" ;; esac
    return 0
}
remove_lab2() { [ "${DS_HV_COMPARE:-0}" != 1 ] || bash "$DS_SRCDIR/tests/e2e/bed.sh" remove $LAB2 >/dev/null 2>&1; }
remove_user # what an interrupted run left
remove_lab2
baselines e2e-daemons-baseline "$PROD" "$LAB"
at_exit remove_user
at_exit remove_lab2

HOME_U=$(mktemp -d /var/tmp/ds-hv2.XXXXXX)
useradd -M -d "$HOME_U" -s /bin/sh -p '*' "$U" ||
    { echo "Bail out! useradd $U failed"; exit 1; }
# shellcheck disable=SC2034 # read by start_sshd
SSHD_EXTRA_CONF="Match User $U
    AuthorizedKeysFile $HOME_U/.ssh/authorized_keys"
start_sshd
mkdir -p "$HOME_U/.ssh" "$HOME_U/img"
cp "$T/user_key.pub" "$HOME_U/.ssh/authorized_keys"
# libvirt's ssh transport runs the ssh binary: this one checks the host
# key against the test's known_hosts only (never root's).
mkssh() { # FILE KNOWN-HOSTS
    printf '#!/bin/sh\nexec ssh -o UserKnownHostsFile=%s -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes "$@"\n' "$2" >"$1"
    chmod 0755 "$1"
}
mkssh "$T/ssh" "$T/known_hosts"
hv2_uri() { # SSH-COMMAND
    printf 'qemu+ssh://%s@127.0.0.1:%s/session?keyfile=%s&command=%s&no_tty=1' \
        "$U" "$SSHD_PORT" "$T/user_key" "$1"
}
HV2=$(hv2_uri "$T/ssh")
V2() { virsh -q -c "$HV2" "$@"; }

# The guest: the bed's image copied into the user's home (the session's
# QEMU runs as the user), an overlay on it, the bed's domain shape.
IMG=$(bash "$DS_SRCDIR/tests/e2e/image.sh" 2>"$T/image.log") ||
    { echo "Bail out! the bed's image (image.sh): $(tail -n 3 "$T/image.log")"; exit 1; }
cp --reflink=auto "$IMG/base.qcow2" "$IMG/vmlinuz" "$IMG/initrd.img" "$HOME_U/img/"
chmod 0644 "$HOME_U"/img/*
chown -R "$U:" "$HOME_U"
chmod 0700 "$HOME_U"
check "the user's overlay of the bed's image" as_user qemu-img create -q -f qcow2 \
    -b "$HOME_U/img/base.qcow2" -F qcow2 "$HOME_U/img/$HV2DOM.qcow2"
sed -e "s|<name>.*</name>|<name>$HV2DOM</name>|" \
    -e "s|<kernel>.*</kernel>|<kernel>$HOME_U/img/vmlinuz</kernel>|" \
    -e "s|<initrd>.*</initrd>|<initrd>$HOME_U/img/initrd.img</initrd>|" \
    -e "s|<source file='[^']*'/>|<source file='$HOME_U/img/$HV2DOM.qcow2'/>|" \
    -e "s|<source path='[^']*'/>|<source path='$HOME_U/img/console.log'/>|" \
    -e "/<metadata>/,/<\/metadata>/d" \
    "${DS_E2E_DIR:-/var/lib/driftsync-e2e}/$LAB.xml" >"$T/$HV2DOM.xml"
check "the domain XML points into the user's home" \
    sh -c '! grep -q "$2" "$1"' - "$T/$HV2DOM.xml" "${DS_E2E_DIR:-/var/lib/driftsync-e2e}"

mkssh "$T/ssh-wrong" "$T/wrong_known_hosts"
ssh-keygen -q -t ed25519 -N '' -f "$T/other_key" -C other
known_hosts_line "$SSHD_PORT" "$T/other_key.pub" >"$T/wrong_known_hosts"
expect_status 1 "another host key: libvirt's ssh refuses the daemon" \
    virsh -q -c "$(hv2_uri "$T/ssh-wrong")" version
grep_ok "ssh says why" 'Host key verification failed' "$T/err"
check "the session daemon answers over ssh" V2 version
check "$HV2DOM defined on it" V2 define "$T/$HV2DOM.xml"
check "$HV2DOM started" V2 start "$HV2DOM"
wait_agent2() { E2E_URI=$HV2 wait_agent "$HV2DOM" "$@"; }
check "$HV2DOM: its guest agent answers (session daemon, TCG)" wait_agent2
check "the guest runs as the user, not as root" \
    sh -c 'ps -u "$1" -o comm= | grep -q qemu' - "$U"
# at2 / vexec2: the session guest, through driftsync's code / virsh alone.
at2() { "$AGENT_TOOL" -c "$HV2" "$HV2DOM" "$@"; }
vexec2() { E2E_URI=$HV2 vexec "$HV2DOM" "$@"; }

# The same starting file on prod and both labs.
for d in "$PROD" "$LAB"; do
    check "$d: /etc/ds-e2e" at "$d" run mkdir -p /etc/ds-e2e
    check "$d: $APP" sh -c 'printf "mode = start\n" | "$1" -c "$2" "$3" write "$4" 0644' \
        - "$AGENT_TOOL" "$E2E_URI" "$d" "$APP"
done
check "$HV2DOM: /etc/ds-e2e" at2 run mkdir -p /etc/ds-e2e
check "$HV2DOM: $APP" sh -c 'printf "mode = start\n" | "$1" -c "$2" "$3" write "$4" 0644' \
    - "$AGENT_TOOL" "$HV2" "$HV2DOM" "$APP"

# ---- both labs: in sync, then one change synced to both -----------------
conf() { # [LAB2-HOST-LINES]: sys on the system daemon, ses on the session
    cat >"$T/ds.conf" <<CONF
[store]
path = $T/store
state = $T/state
[lab]
uri = $E2E_URI
parallel = 1
keep-snapshots = 1
[host sys]
source = agent:$PROD
lab = $LAB
files = /etc/ds-e2e/
[host ses]
source = agent:$PROD
lab = $HV2DOM
lab-uri = $HV2
files = /etc/ds-e2e/
CONF
}
conf
dsc() { ds --config "$T/ds.conf" "$@"; }
report() { jq -e "$1" "$T/state/reports/latest.json" >/dev/null; }
lab_app() { vexec "$LAB" /bin/cat "$APP" 2>/dev/null; }
ses_app() { vexec2 /bin/cat "$APP" 2>/dev/null; }
check "init" dsc init
expect_status 0 "the first mirror: both labs as prod" dsc -v mirror
diag "$(cat "$T/out")"
grep_ok "sys in sync" '^sys: in sync$' "$T/out"
grep_ok "ses in sync" '^ses: in sync$' "$T/out"
grep_ok "ses's lab was collected through the session daemon" \
    '(^|] )ses: lab hv2-e2e was never recorded: collecting it as it is' "$T/err"
check "the report: two daemons, one connection each" \
    report "[.daemons[].uri] == [\"$E2E_URI\", \"$HV2\"] and all(.daemons[]; .connections == 1 and .labs == 1 and .error == null)"
expect_status 0 "diff sys: no drift" dsc diff sys
expect_status 0 "diff ses: no drift" dsc diff ses

printf 'mode = production\nworkers = 4\n' | at "$PROD" write "$APP" 0644
load=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(now_ms)
expect_status 0 "a change on prod: both labs synced in one run" dsc mirror
T_TWO=$(($(now_ms) - t0))
diag "two labs on two daemons, one at a time each: ${T_TWO} ms (load before: $load)"
grep_ok "sys synced" '^sys: synced in' "$T/out"
grep_ok "ses synced" '^ses: synced in' "$T/out"
check "lab-e2e has prod's file (read with virsh)" test "$(lab_app)" = "$(printf 'mode = production\nworkers = 4')"
check "hv2-e2e has it too" test "$(ses_app)" = "$(printf 'mode = production\nworkers = 4')"
check "one connection per daemon again" \
    report 'all(.daemons[]; .connections == 1) and .summary.synced == 2'
# overlapped: each lab's progress lines began before the other's ended
lines_of() { grep -nE "(^|] )$1: " "$T/err" | cut -d: -f1; }
overlapped() {
    [ "$(lines_of ses | head -n1)" -lt "$(lines_of sys | tail -n1)" ] &&
        [ "$(lines_of sys | head -n1)" -lt "$(lines_of ses | tail -n1)" ]
}
check "the two syncs overlapped (a worker per daemon, parallel = 1)" overlapped
expect_status 0 "diff ses: no drift after the sync" dsc diff ses

# ---- the session daemon refuses, then is gone ---------------------------
: >"$HOME_U/.ssh/authorized_keys"
printf 'mode = production\nworkers = 8\n' | at "$PROD" write "$APP" 0644
expect_status 1 "the user's key refused: exit 1" dsc mirror
grep_ok "ses fails naming its host, its URI and the cause" \
    "^ses: failed: the lab's libvirt daemon cannot be reached: qemu\\+ssh://$U@127\\.0\\.0\\.1:$SSHD_PORT/session\\?.*: authentication refused \\(.*Permission denied \\(publickey\\)" "$T/out"
grep_ok "sys synced all the same" '^sys: synced in' "$T/out"
grep_ok "the daemon is named once on stderr" "mirror: libvirt daemon not reached, its 1 lab not synced: qemu\\+ssh://$U@" "$T/err"
check "lab-e2e has the new file" test "$(lab_app)" = "$(printf 'mode = production\nworkers = 8')"
check "the report names the daemon's error" \
    report ".daemons[1].uri == \"$HV2\" and (.daemons[1].error | test(\"Permission denied\")) and .daemons[1].connections == 0 and .exit == 1"

cp "$T/user_key.pub" "$HOME_U/.ssh/authorized_keys"
check "hv2-e2e was not touched" test "$(ses_app)" = "$(printf 'mode = production\nworkers = 4')"
# ssh checks the daemon's host key against another one: refused.
sed "s|command=$T/ssh&|command=$T/ssh-wrong\\&|" "$T/ds.conf" >"$T/wrong.conf"
expect_status 1 "a host key ssh does not accept: exit 1" ds --config "$T/wrong.conf" mirror
grep_ok "ses fails saying so" \
    "^ses: failed: the lab's libvirt daemon cannot be reached: qemu\\+ssh://$U@.*command=$T/ssh-wrong.*: the host key was not accepted \\(.*Host key verification failed" "$T/out"
grep_ok "sys in sync (nothing new on prod)" '^sys: in sync$' "$T/out"
check "hv2-e2e still not touched" test "$(ses_app)" = "$(printf 'mode = production\nworkers = 4')"

stop_sshd
expect_status 1 "its sshd gone: exit 1" dsc mirror
grep_ok "ses fails naming its host, its URI and the cause" \
    "^ses: failed: the lab's libvirt daemon cannot be reached: qemu\\+ssh://$U@127\\.0\\.0\\.1:$SSHD_PORT/session\\?.*: connection refused \\(.*Connection refused" "$T/out"
grep_ok "sys in sync (nothing new on prod)" '^sys: in sync$' "$T/out"

# The same sshd again: the next run brings the session lab up to prod.
"$SSHD" -D -f "$T/sshd_config" -e 2>>"$T/sshd.log" &
SSHD_PID=$!
wait_for "sshd back on $SSHD_PORT" python3 -c "import socket; socket.create_connection(('127.0.0.1',$SSHD_PORT),1)"
expect_status 0 "the daemon back: the next run syncs the session lab" dsc mirror
grep_ok "ses synced" '^ses: synced in' "$T/out"
check "hv2-e2e has prod's file now" test "$(ses_app)" = "$(printf 'mode = production\nworkers = 8')"
expect_status 0 "diff ses: no drift" dsc diff ses
check "git fsck is clean" git --git-dir="$T/store" fsck --no-progress --strict

# ---- DS_HV_COMPARE=1: the same on two labs of one daemon ----------------
if [ "${DS_HV_COMPARE:-0}" = 1 ]; then
    check "a second lab on the system daemon ($LAB2)" bash "$DS_SRCDIR/tests/e2e/bed.sh" add $LAB2
    check "$LAB2: /etc/ds-e2e" at "$LAB2" run mkdir -p /etc/ds-e2e
    check "$LAB2: $APP" sh -c 'printf "mode = production\nworkers = 8\n" | "$1" -c "$2" "$3" write "$4" 0644' \
        - "$AGENT_TOOL" "$E2E_URI" "$LAB2" "$APP"
    sed -i "s|^lab = $HV2DOM\$|lab = $LAB2|; /^lab-uri = /d" "$T/ds.conf"
    rm -rf "$T/state/journal"
    expect_status 0 "one daemon: both labs in sync first" dsc mirror
    printf 'mode = production\nworkers = 16\n' | at "$PROD" write "$APP" 0644
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    t0=$(now_ms)
    expect_status 0 "one daemon, parallel = 1: both labs synced" dsc mirror
    diag "two labs on one daemon, one at a time: $(($(now_ms) - t0)) ms (load before: $load)"
    printf 'mode = production\nworkers = 32\n' | at "$PROD" write "$APP" 0644
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    t0=$(now_ms)
    expect_status 0 "one daemon, parallel = 2: both labs synced" dsc mirror --parallel 2
    diag "two labs on one daemon, two at a time: $(($(now_ms) - t0)) ms (load before: $load)"
fi

done_testing
