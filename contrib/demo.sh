#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# contrib/demo.sh: from a fresh Debian 12 machine (root): install what
# driftsync needs, build it, and run the main job -- the nightly mirror --
# on a small demo lab: two small Debian VMs under libvirt/QEMU from the
# end-to-end test bed, "web-prod" played by prod-e2e and its lab copy by
# lab-e2e.  A change is made on prod (a package from the company's own
# repository, a configuration file), `driftsync mirror` records it and
# brings the lab there behind a snapshot, and `driftsync diff` shows no
# drift left.  Takes a few minutes (the guest image is built once, cached).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
demo=${DS_DEMO_DIR:-$src/demo}
build=$src/build-demo
URI=qemu:///system
PROD=prod-e2e
LAB=lab-e2e
step() { printf '\n== %s\n' "$*"; }
[ "$(id -u)" = 0 ] || { echo "demo: run as root (libvirt qemu:///system, apt-get)" >&2; exit 1; }
cd "$src"

step "installing build and lab dependencies (apt-get)"
bash contrib/install-deps.sh e2e
step "building driftsync"
./autogen.sh >/dev/null
mkdir -p "$build"
(cd "$build" && { [ -f Makefile ] || "$src/configure" >/dev/null; } &&
    make -j"$(nproc)" >/dev/null && make tests/tools/agent-tool >/dev/null)
ds() { "$build/driftsync" --config "$demo/driftsync.conf" "$@"; }
# guest DOMAIN VERB ARGS...: run or write in a guest through its agent.
guest() { "$build/tests/tools/agent-tool" -c "$URI" "$@"; }

step "booting the two demo VMs (a fresh start of the test bed)"
bash tests/e2e/bed.sh fresh

step "the company's apt repository, on both VMs"
rm -rf "$demo"
mkdir -p "$demo/state" "$demo/pkg/DEBIAN" "$demo/pkg/usr/share/doc/hello-demo" "$demo/repo"
printf 'Package: hello-demo\nVersion: 1.0\nArchitecture: all\nMaintainer: driftsync demo <demo@driftsync.invalid>\nDescription: driftsync demo package\n' \
    >"$demo/pkg/DEBIAN/control"
echo "hello from the demo package" >"$demo/pkg/usr/share/doc/hello-demo/README"
dpkg-deb --root-owner-group -Zgzip -b "$demo/pkg" "$demo/repo/hello-demo_1.0_all.deb" >/dev/null
(cd "$demo/repo" && dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null)
for d in $PROD $LAB; do
    guest "$d" run mkdir -p /srv/repo /etc/webapp
    for f in "$demo"/repo/*; do guest "$d" write "/srv/repo/${f##*/}" 0644 <"$f"; done
    # the VMs have no route to a Debian mirror: the company's repository
    # is their only apt source
    guest "$d" run mv /etc/apt/sources.list /etc/apt/sources.list.no-route
    echo 'deb [trusted=yes] file:/srv/repo ./' | guest "$d" write /etc/apt/sources.list.d/company.list 0644
    guest "$d" run apt-get update -q >/dev/null
    printf 'port = 8080\n' | guest "$d" write /etc/webapp/webapp.conf 0644
done

cat >"$demo/driftsync.conf" <<CONF
# Demo: one production host (the VM prod-e2e, read through its guest
# agent) and its lab copy (the VM lab-e2e).
[store]
path = $demo/store
state = $demo/state

[lab]
uri = $URI
snapshots = auto
keep-snapshots = 2

# webapp.conf is 0640 (not readable by others), which makes a file secret
# by default; its content is not, so it is stored and synced.
[secrets]
mode-exempt = /etc/webapp/webapp.conf

[host web-prod]
source = agent:$PROD
lab = $LAB
files = /etc/webapp/ /etc/apt/sources.list.d/
CONF

set -x
ds init
ds mirror                      # the first night: prod recorded, the lab matches
{ set +x; } 2>/dev/null

step "a change on production: a package installed, a configuration file edited"
guest $PROD run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q hello-demo >/dev/null
printf 'port = 8443\ntls = on\n' | guest $PROD write /etc/webapp/webapp.conf 0640
guest $PROD run chmod 0640 /etc/webapp/webapp.conf

set -x
ds record                      # what the nightly job does first
ds diff web-prod || :          # drift: exit 1
ds mirror                      # record, sync the drifted lab, report
ds diff web-prod               # no drift left: exit 0
ds log web-prod
{ set +x; } 2>/dev/null

step "checks"
guest $LAB run dpkg-query -W hello-demo
guest $LAB run cat /etc/webapp/webapp.conf
jq '{summary, labs: [.labs[] | {host, status, duration_s}]}' "$demo/state/reports/latest.json"
git -C "$demo/store" log --format='%h %s'
git -C "$demo/store" fsck --strict && echo "demo: the store is a clean git repository"
echo "demo: done; the VMs stay up (bash tests/e2e/bed.sh down removes them)"
