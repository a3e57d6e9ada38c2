#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/trial.sh: `driftsync trial` refuses bad input and fails
# cleanly when the lab cannot be reached (libvirt's test driver has no
# guest agent); the trial itself runs in tests/e2e/trial.sh.
. "$DS_SRCDIR/tests/setup.sh"

cat >"$T/ds.conf" <<CONF
[store]
path = $T/store
state = $T/state

[lab]
uri = test://$DATA/snapshot-node.xml

[host web01]
source = local:
lab = lab-web01

[host nolab]
source = local:
CONF
trial() { ds --config "$T/ds.conf" trial "$@"; }

expect_status 2 "no --check" trial web01 --run true
grep_ok "says how to use it" 'usage: driftsync trial HOST --run CMD --check CMD' "$T/err"
expect_status 2 "no --run" trial web01 --check true
expect_status 2 "no host" trial --run true --check true
expect_status 2 "a host not in the configuration" trial nosuch --run true --check true
grep_ok "names the host" '^driftsync: nosuch: no \[host nosuch\]' "$T/err"
expect_status 2 "a host without a lab" trial nolab --run true --check true
grep_ok "says what is missing" 'nolab: the host has no lab domain' "$T/err"
expect_status 2 "a lab without a guest agent" trial web01 --run true --check true
grep_ok "fails before the trial, naming the host" '^driftsync: web01: before the trial: ' "$T/err"
grep_not "took no snapshot" 'snapshot driftsync-' "$T/err"
expect_status 0 "--help" trial --help
grep_ok "--help lists --keep" '--keep' "$T/out"

done_testing
