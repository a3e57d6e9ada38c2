#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/trial-pending.sh: `driftsync trial HOST --pending` refuses what
# it cannot try before it touches the lab or the store: options that do
# not go together, a host never recorded, a manifest without pending
# updates, nothing (security) pending, a bundle name already taken, a lab
# that cannot take a trial (libvirt's test driver: shut off, no agent);
# none of these leaves a commit or a bundle.  The trial itself, and the
# bundle it stores, run on real VMs in tests/e2e/patches.sh.
. "$DS_SRCDIR/tests/setup.sh"
require_cmds jq git

cat >"$T/ds.conf" <<CONF
[store]
path = $T/store
state = $T/state

[lab]
uri = test://$DATA/snapshot-node.xml

[host web01]
source = local:
lab = lab-web02

[host web02]
source = local:
lab = lab-web01

[host db1]
source = local:
lab = lab-web02

[host fresh]
source = local:
lab = lab-web02

[host unrecorded]
source = local:
lab = lab-web02
CONF
trial() { ds --config "$T/ds.conf" trial "$@"; }
TOOL=$DS_BUILDDIR/tests/tools/store-tool
ds --config "$T/ds.conf" init >/dev/null
# web01: one security and one ordinary update pending; web02 the same
# host's manifest under another name; db1: only an ordinary update; fresh:
# a manifest from before the pending member.
mkdir -p "$T/m"
jq '.pending = {"openssl": {"version": "3.0.16-1~deb12u1", "origin": "Debian", "suite": "bookworm-security", "security": true},
                "curl": {"version": "7.88.1-10+deb12u9", "origin": "Debian", "suite": "bookworm", "security": false}}' \
    "$DATA/good/web01.json" >"$T/m/web01.json"
jq '.host = "web02"' "$T/m/web01.json" >"$T/m/web02.json"
jq '.host = "db1" | .pending = {"curl": {"version": "7.88.1-10+deb12u9", "security": false}}' \
    "$DATA/good/web01.json" >"$T/m/db1.json"
jq '.host = "fresh" | del(.pending)' "$DATA/good/web01.json" >"$T/m/fresh.json"
check "prod manifests with pending updates are stored" \
    "$TOOL" commit "$T/store" "$T"/m/*.json
commits() { git -C "$T/store" rev-list --count HEAD; }
C0=$(commits)

# ---- the command line ----
expect_status 2 "--pending with --install" trial web01 --pending --install curl=1 --check true
grep_ok "says --pending is the change" '\-\-pending is the change: no --install, --deb or --run with it' "$T/err"
expect_status 2 "--pending with --run" trial web01 --pending --run true --check true
expect_status 2 "--security without --pending" trial web01 --security --run true --check true
grep_ok "says they go with --pending" '\-\-security, --bundle and --sync-first go with --pending' "$T/err"
expect_status 2 "--bundle without --pending" trial web01 --bundle b1 --run true --check true
expect_status 2 "--pending without --check" trial web01 --pending
grep_ok "no --check" 'no --check' "$T/err"
expect_status 2 "a hostile bundle name" trial web01 --pending --bundle '../x' --check true
grep_ok "says which names are allowed" "\-\-bundle: the name takes letters" "$T/err"

# ---- the store ----
expect_status 2 "a host not configured" trial nosuch --pending --check true
expect_status 2 "a host never recorded" trial unrecorded --pending --check true
grep_ok "says to record it first" 'unrecorded: no prod manifest in the store: record the host first \(`driftsync record unrecorded`\)' "$T/err"
expect_status 2 "a manifest from before pending updates" trial fresh --pending --check true
grep_ok "a manifest without pending updates: record again" \
    "fresh: prod's manifest at [0-9a-f]{12} lists no pending updates .*record it again" "$T/err"
expect_status 0 "nothing security pending: no trial" trial db1 --pending --security --check true
grep_ok "says nothing is pending" 'db1: nothing security pending at [0-9a-f]{12}: no trial run' "$T/err"
check "a bundle of that name is stored already" sh -c "jq -n '{schema: \"driftsync/bundle/v1\", name: \"taken\", host: \"web01\", run: \"r1\", tested_at: \"2026-12-01T00:00:00Z\", passed: true, packages: {openssl: \"3.0.16-1~deb12u1\"}}' >'$T/taken.json' && '$TOOL' bundle '$T/store' '$T/taken.json' >/dev/null"
C0=$(commits)
expect_status 2 "a bundle name already taken" trial web01 --pending --bundle taken --check true
grep_ok "says so before the trial" 'web01: bundle taken exists already in the store' "$T/err"

# ---- labs that cannot take the trial ----
expect_status 2 "a shut-off lab" trial web02 --pending --security --check true
grep_ok "says how many updates it would try" 'web02: 1 security pending update from prod at [0-9a-f]{12}, bundle web02-[0-9]{8}T[0-9]{6}Z' "$T/err"
grep_ok "then that the lab must run" 'lab lab-web01 is shut off: a trial needs its guest running' "$T/err"
expect_status 2 "a guest without an agent" trial web01 --pending --check true
grep_ok "two updates, fails before the trial" 'web01: 2 pending updates' "$T/err"
grep_ok "nothing changed" 'web01: before the trial \(nothing changed\)' "$T/err"
check "no commit was made by the refusals" test "$(commits)" = "$C0"
check "no bundle for web01 but the one stored by hand" \
    test "$(git -C "$T/store" ls-tree --name-only HEAD bundles/)" = "bundles/taken.json"
check "no trial record but the hand-made bundle's" \
    test "$(git -C "$T/store" ls-tree -r --name-only HEAD trials/)" = "trials/web01/r1.json"

expect_status 0 "--help" trial --help
for opt in --pending --security --bundle --sync-first; do
    grep_ok "--help lists $opt" ", $opt|$opt" "$T/out"
done
done_testing
