#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/bed.sh: the end-to-end test bed: two small Debian guests
# (prod-e2e, lab-e2e) with qemu-guest-agent, running under libvirt/QEMU
# (TCG, no KVM needed), built from scratch on a bare Debian 12 machine.
#
#   bed.sh [up]     install host packages, start libvirtd if needed, build
#                   the guest image (cached), define and boot both domains,
#                   wait for their agents; reuses what is already running
#   bed.sh fresh    like up, but redefines and reboots both domains
#   bed.sh daemon   only the host packages and a running libvirtd
#   bed.sh add NAME-e2e...     one more guest each from the same image
#                   (fresh, booted, agent waited for); bed.sh remove NAME-e2e...
#   bed.sh down     destroy and undefine both domains (the image stays)
#   bed.sh status   what exists, one line per domain
#   bed.sh clean    down, then remove cached images and debootstrap trees
#
# Environment (all optional):
#   DS_E2E_DIR      domains' disks, XML and console logs (/var/lib/driftsync-e2e)
#   DS_E2E_CACHE    built images, keyed by the sha256 of their inputs
#                   (/var/cache/driftsync-e2e); only an optimisation
#   DS_E2E_URI      libvirt URI (qemu:///system)
#   DS_E2E_MIRROR   Debian mirror for image.sh (default: the one this
#                   machine's apt uses, with its proxy: host-mirror.sh)
#   DS_E2E_BOOT_TIMEOUT  seconds to wait for the agents (300)
#   DS_E2E_LOCK_TIMEOUT  seconds to wait for another bed.sh (1200)
#
# Needs root.  Nothing is written into the source tree.
set -euo pipefail

DIR=${DS_E2E_DIR:-/var/lib/driftsync-e2e}
CACHE=${DS_E2E_CACHE:-/var/cache/driftsync-e2e}
URI=${DS_E2E_URI:-qemu:///system}
DOMAINS="prod-e2e lab-e2e"
HOST_PACKAGES="libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
    qemu-system-x86 qemu-utils debootstrap e2fsprogs jq"
BOOT_TIMEOUT=${DS_E2E_BOOT_TIMEOUT:-300}
LOCK_TIMEOUT=${DS_E2E_LOCK_TIMEOUT:-1200}
SELF=$(readlink -f "$0")
V() { virsh -q -c "$URI" "$@"; }

T0=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
say() { echo "bed: [$(elapsed "$T0")s] $*"; }
die() { echo "bed: error: $*" >&2; exit 1; }

need_root() {
    [ "$(id -u)" = 0 ] || { echo "bed: needs root (libvirt qemu:///system, debootstrap)" >&2; exit 77; }
}

# --- host ----------------------------------------------------------------

host_packages() {
    local missing="" p
    for p in $HOST_PACKAGES; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' ||
            missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    say "installing host packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 \
        $missing >/dev/null 2>&1 || {
        apt-get update -q >/dev/null &&
            apt-get install -y -q --no-install-recommends \
                -o DPkg::Lock::Timeout=600 $missing >/dev/null
    } || die "apt-get install$missing failed"
    say "host packages installed"
}

daemon_up() { virsh -c "$URI" version >/dev/null 2>&1; }

# libvirtd without systemd: the recipe for this kind of machine.  A daemon
# that already answers is used as it is, its configuration untouched.
libvirt_daemon() {
    daemon_up && { say "libvirtd already answering"; return 0; }
    case "$URI" in qemu:///system) ;; *) die "$URI does not answer" ;; esac
    # libvirtd resolves its built-in user before it reads qemu.conf
    getent group kvm >/dev/null || groupadd -r kvm
    getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
    getent passwd libvirt-qemu >/dev/null ||
        useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
    mkdir -p /etc/libvirt /var/log/libvirt /run/libvirt
    if ! grep -q '^# driftsync e2e' /etc/libvirt/qemu.conf 2>/dev/null; then
        [ -f /etc/libvirt/qemu.conf ] && [ ! -f /etc/libvirt/qemu.conf.orig ] &&
            cp /etc/libvirt/qemu.conf /etc/libvirt/qemu.conf.orig
        # no udev/cgroup/security drivers here: run QEMU as root, plainly
        cat >/etc/libvirt/qemu.conf <<'EOF'
# driftsync e2e: QEMU runs as root with no security driver (test bed only)
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
EOF
    fi
    pidof_alive /run/virtlogd.pid || spawn_daemon virtlogd -d
    pidof_alive /run/libvirtd.pid || spawn_daemon libvirtd -d
    local i
    for i in $(seq 300); do daemon_up && break; sleep 0.1; done
    daemon_up || die "libvirtd did not start (see /var/log/libvirt)"
    say "libvirtd started"
}
# spawn_daemon CMD...: CMD with no descriptor open but 0, 1 and 2.  A
# daemon must inherit no lock: not the bed's (fd 9), not the one of
# `flock /var/tmp/ds-e2e.lock make check-e2e` (flock(1) passes its fd to
# the command), or it holds it for as long as it runs and every later run
# waits for ever.
spawn_daemon() {
    (
        for fd in /proc/$BASHPID/fd/*; do
            fd=${fd##*/}
            [ "$fd" -le 2 ] || exec {fd}>&-
        done
        exec "$@"
    )
}
# The processes that hold the bed's lock file open, for the error message.
lock_holders() {
    local f p out=""
    for f in /proc/[0-9]*/fd/*; do
        [ "$(readlink "$f" 2>/dev/null)" = "$DIR/bed.lock" ] || continue
        p=${f#/proc/}; p=${p%%/*}
        out="$out $p($(cat "/proc/$p/comm" 2>/dev/null))"
    done
    echo "${out:- nobody}"
}
pidof_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# --- guest image ---------------------------------------------------------

# Echo the directory holding vmlinuz, initrd.img and base.qcow2 (built by
# image.sh, or taken from its cache).
guest_image() {
    DS_E2E_DIR=$DIR DS_E2E_CACHE=$CACHE bash "$(dirname "$SELF")/image.sh"
}

# --- domains -------------------------------------------------------------

domain_xml() {
    local name=$1 img=$2
    cat <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>512</memory>
  <vcpu>1</vcpu>
  <metadata>
    <e2e:bed xmlns:e2e="https://driftsync.invalid/e2e/1" image="$(basename "$img")"/>
  </metadata>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$img/vmlinuz</kernel>
    <initrd>$img/initrd.img</initrd>
    <cmdline>root=/dev/vda rw console=ttyS0 init=/sbin/lab-init quiet</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='unsafe'/>
      <source file='$DIR/$name.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <controller type='virtio-serial' index='0'/>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <serial type='file'>
      <source path='$DIR/$name-console.log'/>
      <target port='0'/>
    </serial>
    <console type='file'>
      <source path='$DIR/$name-console.log'/>
      <target type='serial' port='0'/>
    </console>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

agent_ping() {
    V qemu-agent-command "$1" '{"execute":"guest-ping"}' --timeout 2 >/dev/null 2>&1
}

# Reuse a running domain (its agent is waited for like a fresh one's: it
# may be rebooting).  One of an older image is kept too, with a note:
# other checkouts may be running tests on it; `bed.sh fresh` switches.
domain_current() {
    local name=$1 img=$2
    [ "$(V domstate "$name" 2>/dev/null)" = running ] || return 1
    V dumpxml "$name" 2>/dev/null | grep -q "image=\"$(basename "$img")\"" ||
        say "$name: runs an older image than $(basename "$img") (bed.sh fresh to switch)"
    return 0
}

domain_remove() {
    local name=$1
    V destroy "$name" >/dev/null 2>&1 || :
    # snapshots' metadata first, or undefine refuses
    V undefine "$name" --snapshots-metadata >/dev/null 2>&1 || :
    # with the overlays driftsync's snapshots may have left beside its disk
    rm -f "$DIR/$name.qcow2" "$DIR/$name.xml" "$DIR/$name"-*.driftsync-*.qcow2
}

domain_create() {
    local name=$1 img=$2
    domain_remove "$name"
    qemu-img create -q -f qcow2 -b "$img/base.qcow2" -F qcow2 "$DIR/$name.qcow2"
    domain_xml "$name" "$img" >"$DIR/$name.xml"
    : >"$DIR/$name-console.log"
    V define "$DIR/$name.xml" >/dev/null
    V start "$name" >/dev/null
}

wait_agents() {
    local t=$1 left d end
    end=$(($(date +%s) + BOOT_TIMEOUT))
    left="$2"
    while [ -n "$left" ]; do
        local still=""
        for d in $left; do
            if agent_ping "$d"; then
                say "$d: agent answering ($(elapsed "$t")s)"
            else
                still="$still $d"
            fi
        done
        left=$still
        [ -z "$left" ] && break
        if [ "$(date +%s)" -ge "$end" ]; then
            for d in $left; do
                echo "bed: $d console:" >&2
                tail -n 15 "$DIR/$d-console.log" >&2 || :
            done
            die "no agent answer from$left within ${BOOT_TIMEOUT}s"
        fi
        sleep 0.5
    done
}

up() {
    local fresh=$1 img d started="" t
    need_root
    mkdir -p "$DIR"
    exec 9>"$DIR/bed.lock"
    flock -w "$LOCK_TIMEOUT" 9 ||
        die "$DIR/bed.lock still held after ${LOCK_TIMEOUT}s (by: $(lock_holders))"
    host_packages
    libvirt_daemon
    img=$(guest_image)
    t=$(date +%s.%N)
    for d in $DOMAINS; do
        if [ "$fresh" = 0 ] && domain_current "$d" "$img"; then
            say "$d: running the current image (reused)"
        else
            domain_create "$d" "$img"
            started="$started $d"
        fi
    done
    [ -n "$started" ] && say "started:$started"
    wait_agents "$t" "$DOMAINS"
    say "bed up: $DOMAINS on $URI"
}

down() {
    need_root
    mkdir -p "$DIR"
    exec 9>"$DIR/bed.lock"
    flock -w "$LOCK_TIMEOUT" 9 ||
        die "$DIR/bed.lock still held after ${LOCK_TIMEOUT}s (by: $(lock_holders))"
    daemon_up || { say "libvirtd not answering: nothing to do"; return 0; }
    for d in $DOMAINS; do
        domain_remove "$d"
        say "$d destroyed"
    done
}

status() {
    local d
    for d in $DOMAINS; do
        printf '%s: %s' "$d" "$(V domstate "$d" 2>/dev/null || echo absent)"
        agent_ping "$d" && printf ', agent answering'
        echo
    done
}

clean() {
    down
    rm -rf --one-file-system "$CACHE"/image-* "$CACHE"/rootfs-* "$CACHE"/build.* \
        "$DIR"/cache
    say "caches removed"
}

# More guests from the same image, for tests that need a second lab:
# each one fresh (a new overlay), booted, its agent waited for.
add() {
    local img d t
    need_root
    for d; do
        [[ "$d" =~ ^[a-z0-9][a-z0-9-]*-e2e$ ]] || die "$d: extra guests are named NAME-e2e"
        case " $DOMAINS " in *" $d "*) die "$d is one of the bed's own guests" ;; esac
    done
    mkdir -p "$DIR"
    exec 9>"$DIR/bed.lock"
    flock -w "$LOCK_TIMEOUT" 9 ||
        die "$DIR/bed.lock still held after ${LOCK_TIMEOUT}s (by: $(lock_holders))"
    libvirt_daemon
    img=$(guest_image)
    t=$(date +%s.%N)
    for d; do domain_create "$d" "$img"; done
    say "started: $*"
    wait_agents "$t" "$*"
}

remove() {
    local d
    need_root
    for d; do
        [[ "$d" =~ ^[a-z0-9][a-z0-9-]*-e2e$ ]] || die "$d: extra guests are named NAME-e2e"
        domain_remove "$d"
        say "$d destroyed"
    done
}

case "${1:-up}" in
up) up 0 ;;
fresh) up 1 ;;
daemon) need_root; host_packages; libvirt_daemon ;;
add) shift; add "$@" ;;
remove) shift; remove "$@" ;;
down) down ;;
status) status ;;
clean) clean ;;
*) echo "usage: $0 [up|fresh|daemon|add NAME-e2e...|remove NAME-e2e...|down|status|clean]" >&2; exit 2 ;;
esac
