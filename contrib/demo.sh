#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# contrib/demo.sh: from a fresh Debian 12 machine (root): install what
# driftsync needs, build it, and run the main job on a small demo: a demo
# store, this machine recorded into it (what a nightly run records for
# every production host), and the result shown.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
demo=${DS_DEMO_DIR:-$src/demo}
build=$src/build-demo
cd "$src"
bash contrib/install-deps.sh build
./autogen.sh >/dev/null
mkdir -p "$build"
(cd "$build" && { [ -f Makefile ] || "$src/configure" >/dev/null; } &&
    make -j"$(nproc)" >/dev/null)
ds=$build/driftsync
rm -rf "$demo"
mkdir -p "$demo/state"
cat >"$demo/driftsync.conf" <<CONF
# Demo configuration: this machine is the only "production" host.
[store]
path = $demo/store
state = $demo/state

[host $(hostname -s)]
source = local:
files = /etc/hostname /etc/apt/

[ignore]
files = /etc/machine-id
CONF
set -x
"$ds" --config "$demo/driftsync.conf" init
"$ds" --config "$demo/driftsync.conf" record
"$ds" --config "$demo/driftsync.conf" record   # nothing changed: no commit
"$ds" --config "$demo/driftsync.conf" show "$(hostname -s)" >"$demo/show.txt"
"$ds" --config "$demo/driftsync.conf" log "$(hostname -s)" >"$demo/log.txt"
{ set +x; } 2>/dev/null
sed -n '1,25p' "$demo/show.txt"
echo "... (the whole manifest summary is in $demo/show.txt)"
cat "$demo/log.txt"
git -C "$demo/store" log --format='%h %s%n%(trailers)'
git -C "$demo/store" fsck --strict && echo "demo: the store is a clean git repository"
