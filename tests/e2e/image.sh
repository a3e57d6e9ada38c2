#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/image.sh: build the end-to-end guest image once: Debian
# bookworm minbase + qemu-guest-agent + a kernel + systemd's tools + rpm
# and dnf (for the rpm guests of rpm.sh), a tiny PID 1 (systemd installed but not running, no udev) that keeps qemu-ga on
# its virtio port, as an ext4 qcow2 base image with the kernel and initrd
# beside it.  systemctl works on the unit files without a manager, so
# services can be enabled and disabled.  Prints the directory holding
# vmlinuz, initrd.img and base.qcow2.
#
# Two cache entries under DS_E2E_CACHE (/var/cache/driftsync-e2e), each
# named by the sha256 of its inputs: the debootstrap tree (the package
# list and build_rootfs below) and the image (this whole script and the
# package list), so a change to the guest's init costs a minute, not a
# new debootstrap.  Without a writable cache everything is built under
# DS_E2E_DIR/cache; nothing relies on a cache being there.  Progress goes
# to stderr.
set -euo pipefail

DIR=${DS_E2E_DIR:-/var/lib/driftsync-e2e}
CACHE=${DS_E2E_CACHE:-/var/cache/driftsync-e2e}
SUITE=bookworm
# Guest packages on top of debootstrap's minbase.  rpm, dnf and
# dnf-plugins-core (versionlock) turn a guest into an rpm host for
# rpm.sh: installed here they cost seconds once, while apt in a guest
# under TCG takes longer than five minutes for them (about 80 packages).
GUEST_PACKAGES="qemu-guest-agent linux-image-amd64 initramfs-tools kmod systemd
    rpm dnf dnf-plugins-core"
SELF=$(readlink -f "$0")

T0=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
say() { echo "image: [$(elapsed "$T0")s] $*" >&2; }
die() { echo "image: error: $*" >&2; exit 1; }

# Cache keys: the debootstrap stage depends on the package list and on
# how build_rootfs runs; the image on everything in this script.
rootfs_key() {
    { declare -f build_rootfs; echo "$SUITE $GUEST_PACKAGES"; } |
        sha256sum | cut -c1-16
}
image_key() {
    { cat "$SELF"; echo "$SUITE $GUEST_PACKAGES"; } | sha256sum | cut -c1-16
}

# The Debian mirror and proxy of this machine's own apt (DS_E2E_MIRROR
# first): host-mirror.sh's "mirror URL", "from WHERE", "proxy URL".
HOST_MIRROR=$(bash "$(dirname "$SELF")/host-mirror.sh" "$SUITE")
mirror() { sed -n 's/^mirror //p' <<<"$HOST_MIRROR"; }
mirror_from() { sed -n 's/^from //p' <<<"$HOST_MIRROR"; }
mirror_proxy() { sed -n 's/^proxy //p' <<<"$HOST_MIRROR"; }

# PID 1 of the guest: not systemd (booting it would cost seconds per
# guest), no udev.  Mount what qemu-ga needs, find
# the agent's virtio port by name, keep qemu-ga running.
write_guest_init() {
    local root=$1
    cat >"$root/sbin/lab-init" <<'EOF'
#!/bin/sh
# driftsync e2e guest init: pseudo file systems, then qemu-ga for ever.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /run/lock
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/lock
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -o remount,rw /
hostname "$(cat /etc/hostname)"
modprobe virtio_console
port=
n=0
while [ -z "$port" ] && [ $n -lt 200 ]; do
    for p in /sys/class/virtio-ports/*; do
        [ "$(cat "$p/name" 2>/dev/null)" = org.qemu.guest_agent.0 ] &&
            port=/dev/${p##*/}
    done
    [ -n "$port" ] && [ -e "$port" ] || { port=; n=$((n + 1)); sleep 0.05; }
done
echo "lab-init: agent port ${port:-missing}, up $(cut -d' ' -f1 /proc/uptime)s" >/dev/console
while :; do
    qemu-ga -m virtio-serial -p "$port"
    sleep 1
done
EOF
    # qemu-ga's guest-shutdown runs /sbin/shutdown; with no init system
    # behind it, sync and ask the kernel (the domain has ACPI).
    cat >"$root/sbin/shutdown" <<'EOF'
#!/bin/sh
# driftsync e2e guest: power off or reboot at once through sysrq.  qemu-ga
# runs "shutdown -h -P|-H|-r +0 MESSAGE": look at every argument.
how=o
for a; do
    [ "$a" = -r ] && how=b
done
sync
mount -o remount,ro / 2>/dev/null
echo "$how" >/proc/sysrq-trigger
EOF
    chmod 755 "$root/sbin/lab-init" "$root/sbin/shutdown"
    echo e2e >"$root/etc/hostname"
    echo "/dev/vda / ext4 rw 0 1" >"$root/etc/fstab"
}

# The debootstrap tree, cached on its own: a directory OUT/rootfs.
build_rootfs() {
    local out=$1 work
    work=$(mktemp -d "$(dirname "$out")/build.XXXXXX")
    debootstrap --variant=minbase --include="$(echo $GUEST_PACKAGES | tr ' ' ,)" \
        "$SUITE" "$work/rootfs" "$(mirror)" >"$work/debootstrap.log" 2>&1 || {
        tail -n 20 "$work/debootstrap.log" >&2
        rm -rf "$work"
        die "debootstrap failed"
    }
    rm -f "$work"/rootfs/var/cache/apt/archives/*.deb
    rm -rf "$out"
    mv "$work" "$out"
}

# The bootable image from a copy of the tree: init, kernel, qcow2.
build_image() {
    local tree=$1 out=$2 work t
    t=$(date +%s.%N)
    work=$(mktemp -d "$(dirname "$out")/build.XXXXXX")
    cp -a "$tree" "$work/rootfs"
    write_guest_init "$work/rootfs"
    cp "$work"/rootfs/boot/vmlinuz-* "$work/vmlinuz"
    cp "$work"/rootfs/boot/initrd.img-* "$work/initrd.img"
    # ext4 filled from the directory (no loop mount), then qcow2 so
    # internal snapshots work
    # (stdout carries only the result's path: tools talk to stderr)
    mke2fs -q -t ext4 -L root -d "$work/rootfs" "$work/root.raw" 2G >&2
    qemu-img convert -O qcow2 "$work/root.raw" "$work/base.qcow2" >&2
    rm -rf "$work/rootfs" "$work/root.raw"
    chmod 444 "$work/base.qcow2"
    rm -rf "$out"
    mv "$work" "$out"
    say "image built in $(elapsed "$t")s ($(du -sh "$out" | cut -f1))"
}

# Echo the directory holding vmlinuz, initrd.img and base.qcow2.
guest_image() {
    local rkey ikey store t proxy
    rkey=$(rootfs_key)
    ikey=$(image_key)
    store=$CACHE
    mkdir -p "$store" 2>/dev/null && [ -w "$store" ] || store=$DIR/cache
    mkdir -p "$store"
    exec 8>"$store/.lock"
    flock 8
    if [ -f "$store/image-$ikey/base.qcow2" ] && [ -f "$store/image-$ikey/vmlinuz" ] &&
        [ -f "$store/image-$ikey/initrd.img" ]; then
        say "guest image $ikey cached"
    else
        if [ -x "$store/rootfs-$rkey/rootfs/usr/sbin/qemu-ga" ]; then
            say "debootstrap tree $rkey cached"
        else
            t=$(date +%s.%N)
            proxy=$(mirror_proxy)
            # debootstrap fetches with wget, which takes the proxy from
            # the environment; one already there stays when apt names none
            [ -z "$proxy" ] || export http_proxy=$proxy https_proxy=$proxy
            say "debootstrap $SUITE minbase + $(echo $GUEST_PACKAGES) ($(mirror) from $(mirror_from)${proxy:+, proxy $proxy})"
            build_rootfs "$store/rootfs-$rkey"
            say "debootstrap done in $(elapsed "$t")s"
        fi
        build_image "$store/rootfs-$rkey/rootfs" "$store/image-$ikey"
        # Older images go once no domain definition in DIR uses them (the
        # bed may be shared by checkouts of different versions); debootstrap
        # trees stay (an hour to rebuild on a busy machine): `bed.sh clean`.
        for old in "$store"/image-*; do
            [ "$old" = "$store/image-$ikey" ] && continue
            grep -qs "$(basename "$old")" "$DIR"/*.xml ||
                rm -rf --one-file-system "$old"
        done
        rm -rf --one-file-system "$store"/build.*
    fi
    echo "$store/image-$ikey"
}

guest_image
