#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/trial.sh: `driftsync trial` refuses bad input before it touches
# the lab, and fails cleanly (exit 2, no snapshot taken, nothing recorded)
# when the lab cannot take the trial: a domain that does not exist, one
# that is shut off, a raw disk with internal snapshots, a guest without an
# agent (libvirt's test driver has none).  The trial itself runs in
# tests/e2e/trial.sh.
. "$DS_SRCDIR/tests/setup.sh"

write_conf "$T/ds.conf" <<CONF

[host web01]
source = local:
lab = lab-web01

[host web02]
source = local:
lab = lab-web02

[host raw]
source = local:
lab = lab-raw

[host ghost]
source = local:
lab = lab-nosuch

[host nolab]
source = local:
CONF
sed 's/^\[lab\]$/[lab]\nsnapshots = internal/' "$T/ds.conf" >"$T/internal.conf"
trial() { ds --config "$T/ds.conf" trial "$@"; }

# ---- the command line ----
expect_status 2 "no --check" trial web01 --run true
grep_ok "says what is missing and how to use it" \
    'trial: no --check; usage: driftsync trial HOST .*--install PKG=VERSION.*--deb FILE.*--run CMD.*--check CMD' "$T/err"
expect_status 2 "no change" trial web01 --check true
grep_ok "says a change is needed" 'no change \(--install, --deb or --run\)' "$T/err"
expect_status 2 "no host" trial --run true --check true
expect_status 2 "two hosts" trial web01 web02 --run true --check true
grep_ok "one host at a time" 'one host at a time' "$T/err"
expect_status 2 "a negative --timeout" trial web02 --run true --check true --timeout -1

# ---- --install PKG=VERSION ----
expect_status 2 "--install without a version" trial web02 --install curl --check true
grep_ok "asks for PKG=VERSION" 'web02: --install curl: expected PKG=VERSION' "$T/err"
expect_status 2 "--install with a shell in the name" \
    trial web02 --install 'curl;reboot=1.0' --check true
grep_ok "names the bad package name" 'curl;reboot is not a package name' "$T/err"
expect_status 2 "--install with a shell in the version" \
    trial web02 --install 'curl=1.0 $(reboot)' --check true
grep_ok "names the bad version" 'is not a Debian version' "$T/err"
expect_status 2 "--install with an option for a version" \
    trial web02 --install 'curl=-o' --check true

# ---- --deb FILE ----
expect_status 2 "--deb of a file that does not exist" \
    trial web02 --deb "$T/nosuch_1.0_all.deb" --check true
grep_ok "names the file" "nosuch_1.0_all.deb" "$T/err"
printf 'not a package\n' >"$T/fake_1.0_all.deb"
expect_status 2 "--deb of a file that is not a package" \
    trial web02 --deb "$T/fake_1.0_all.deb" --check true
grep_ok "says it is not a package" 'fake_1.0_all.deb: not a Debian package' "$T/err"
cp "$T/fake_1.0_all.deb" "$T/bad name;x.deb"
expect_status 2 "--deb with a hostile file name" \
    trial web02 --deb "$T/bad name;x.deb" --check true
grep_ok "asks for a rename" 'the file name must end in .deb' "$T/err"

# ---- the configuration ----
expect_status 2 "a host not in the configuration" trial nosuch --run true --check true
grep_ok "names the host" '^driftsync: nosuch: no \[host nosuch\]' "$T/err"
expect_status 2 "a host without a lab" trial nolab --run true --check true
grep_ok "says what is missing" 'nolab: the host has no lab domain' "$T/err"

# ---- labs that cannot take a trial: exit 2, nothing touched ----
expect_status 2 "a domain that does not exist" trial ghost --run true --check true
grep_ok "names host and domain" '^driftsync: ghost: .*lab-nosuch' "$T/err"
expect_status 2 "a raw disk with snapshots = internal" \
    ds --config "$T/internal.conf" trial raw --run true --check true
grep_ok "internal refused, overlay suggested" \
    '^driftsync: raw: lab-raw: cannot take an internal snapshot: .*raw.*snapshots = overlay' "$T/err"
expect_status 2 "a shut-off lab" trial web01 --run true --check true
grep_ok "says it must run" \
    '^driftsync: web01: lab lab-web01 is shut off: a trial needs its guest running' "$T/err"
expect_status 2 "a guest without an agent" trial web02 --install 'curl=7.88.1-10' --check true
grep_ok "fails before the trial, naming the host" \
    '^driftsync: web02: before the trial \(nothing changed\): ' "$T/err"
grep_not "took no snapshot" 'snapshot driftsync-' "$T/err"
check "recorded no trial" test ! -e "$T/state/trials"

expect_status 0 "--help" trial --help
for opt in --install --deb --run --check --keep --timeout; do
    grep_ok "--help lists $opt" ", $opt" "$T/out"
done

done_testing
