#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/sync-rpm.sh: replaying onto an rpm host, on real roots: packages
# built with rpmbuild in a createrepo_c repository (tests/data/rpm/
# mkrepo.sh), a prod and a lab root made with dnf --installroot, both
# recorded; `plan` gives ONE dnf transaction (an upgrade, a downgrade
# across an epoch, a removal, an install, a second version of an
# install-only package); its package step, run on the lab root through
# local:ROOT (tests/tools/apply-tool: sync itself needs a libvirt lab),
# leaves `rpm --root -qa` equal to prod's.  A version the repositories
# lack changes nothing; a failing %post fails the step; a hold becomes a
# versionlock, refused by name where the plugin is missing.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/rpm.sh"
rpm_setup rpm rpmbuild createrepo_c dnf jq
APPLY=$DS_BUILDDIR/tests/tools/apply-tool
COLLECT=$DS_BUILDDIR/tests/tools/collect-tool

rpm_replay_repo
"$T/mkroot" "$T/prod"
"$T/mkroot" "$T/lab"
dnfr "$T/prod" install ds-a-2.0-1.noarch ds-b-1.0-1.noarch ds-d-1.0-1.noarch \
    ds-e-0:3.0-1.noarch ds-kernel-6.1.0-1.noarch ds-kernel-6.2.0-1.noarch
dnfr "$T/lab" install ds-a-1.0-1.noarch ds-b-2.0-1.noarch ds-c-1.0-1.noarch \
    ds-e-1:0.5-1.noarch ds-kernel-6.1.0-1.noarch
qa() { rpm --root "$1" -qa | sort; }
qa "$T/prod" >"$T/prod.qa"

cat >"$T/c.conf" <<CONF
[store]
path = $T/store
state = $T/state

[host rh]
source = local:$T/prod
lab = lab-rh
CONF
dsc() { ds --config "$T/c.conf" "$@"; }
dsc init >/dev/null
rpm_first_record dsc record rh
plan 30
git --git-dir="$T/store" show HEAD:prod/rh.json >"$T/prod.json"
# lab MANIFEST: the lab root collected as rh's lab
lab() {
    "$COLLECT" --host rh "local:$T/lab" |
        jq '.role = "lab"' >"$1" || echo "Bail out! collect"
}
lab "$T/lab.json"
expect_status 0 "the lab's manifest is recorded" dsc record --from "$T/lab.json"

expect_status 1 "plan shows the drift of the rpm host" dsc plan rh
grep_ok "one dnf transaction with every kind of change" \
    'one dnf transaction: 2 installs, 1 upgrade, 2 downgrades, 1 removal$' "$T/out"
grep_ok "an upgrade to prod's version" '^ +upgrade ds-a\.noarch 1\.0-1 -> 2\.0-1$' "$T/out"
grep_ok "a downgrade across an epoch" '^ +downgrade ds-e\.noarch 1:0\.5-1 -> 3\.0-1$' "$T/out"
grep_ok "the second version of an install-only package installed beside the first" \
    '^ +install ds-kernel\.noarch 6\.2\.0-1$' "$T/out"
grep_ok "a package prod lacks removed" '^ +remove ds-c\.noarch 1\.0-1$' "$T/out"
expect_status 1 "plan -v exits 1" dsc plan -v rh
grep_ok "-v shows the transaction file's lines" '^ +downgrade ds-e-0:3\.0-1\.noarch$' "$T/out"
expect_status 1 "plan --json exits 1" dsc --json plan rh
jq_ok "the exact transaction lines, epochs written" \
    '[.actions[] | select(.kind == "packages")][0].requests == ["upgrade ds-a-0:2.0-1.noarch", "downgrade ds-b-0:1.0-1.noarch", "remove ds-c.noarch", "install ds-d-0:1.0-1.noarch", "downgrade ds-e-0:3.0-1.noarch", "install ds-kernel-0:6.2.0-1.noarch"]'
jq_ok "run by dnf shell from the transaction file" \
    '[.actions[] | select(.kind == "packages")][0].argv == ["dnf", "-y", "--setopt=install_weak_deps=False", "--setopt=strict=True", "shell", "--", "/var/cache/driftsync/rpms/transaction"]'

expect_status 0 "the package step runs on the lab root" \
    "$APPLY" "$T/lab.json" "$T/prod.json" "local:$T/lab"
grep_ok "as one step" '^step 1: one dnf transaction' "$T/out"
qa "$T/lab" >"$T/lab.qa"
if cmp -s "$T/prod.qa" "$T/lab.qa"; then ok "rpm -qa of the lab now equals prod's"
else not_ok "rpm -qa of the lab now equals prod's"; diag "$(diff "$T/prod.qa" "$T/lab.qa")"; fi
dnf --installroot="$T/lab" history list >"$T/history" 2>/dev/null
n=$(grep -c '^ *[0-9]' "$T/history")
if [ "$n" -eq 2 ]; then ok "dnf history shows one transaction for the sync (after the setup's)"
else not_ok "one transaction"; diag "$(cat "$T/history")"; fi
check "the transaction file is removed" test ! -e "$T/lab/var/cache/driftsync/rpms/transaction"
lab "$T/lab2.json"
expect_status 0 "the synced lab is recorded" dsc record --from "$T/lab2.json"
expect_status 0 "plan: nothing left to do" dsc plan rh
grep_ok "the lab matches prod" 'nothing to do, the lab matches prod' "$T/out"

# A version no repository has: refused before anything runs.
jq '.packages["ds-d.noarch"].version = "9.9-1" | .packages["ds-c.noarch"] = {"arch": "noarch", "version": "1.0-1"}' \
    "$T/prod.json" >"$T/prod-missing.json"
expect_status 1 "a version the lab's repositories lack fails the step" \
    "$APPLY" "$T/lab2.json" "$T/prod-missing.json" "local:$T/lab"
grep_ok "naming the version, and that nothing changed" \
    "not in the lab's enabled repositories: ds-d-0:9\\.9-1\\.noarch \\(nothing was changed\\)" "$T/err"
qa "$T/lab" >"$T/lab.qa"
check "nothing changed indeed (ds-c is not installed)" cmp -s "$T/prod.qa" "$T/lab.qa"

# A failing %post: dnf exits 0, the step fails all the same.
jq '.packages["ds-fail.noarch"] = {"arch": "noarch", "version": "1.0-1"}' \
    "$T/prod.json" >"$T/prod-fail.json"
expect_status 1 "a failing %post fails the step" \
    "$APPLY" "$T/lab2.json" "$T/prod-fail.json" "local:$T/lab"
grep_ok "saying what dnf reported" \
    'dnf reported: Error in POSTIN scriptlet in rpm package ds-fail' "$T/err"

# Holds: dnf's versionlock, prod's exact version.
rpm --root "$T/lab" -e ds-fail
jq '.holds = ["ds-a.noarch"]' "$T/prod.json" >"$T/prod-hold.json"
jq '.holds = []' "$T/lab2.json" >"$T/lab-hold.json"
expect_status 0 "a hold is replayed" \
    "$APPLY" "$T/lab-hold.json" "$T/prod-hold.json" "local:$T/lab"
grep_ok "as a versionlock of prod's version" \
    'hold as on prod \(versionlock\): ds-a-0:2\.0-1\.noarch' "$T/out"
grep_ok "the lock is in the lab's list" '^ds-a-0:2\.0-1' \
    "$T/lab/etc/dnf/plugins/versionlock.list"
sed -i 's/enabled=1/enabled=0/' "$T/lab/etc/dnf/plugins/versionlock.conf"
expect_status 1 "without the versionlock plugin the hold is refused" \
    "$APPLY" "$T/lab-hold.json" "$T/prod-hold.json" "local:$T/lab"
grep_ok "naming the plugin" \
    "holds are replayed with dnf's versionlock plugin, which the lab lacks" "$T/err"
done_testing
