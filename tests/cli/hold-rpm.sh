#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/hold-rpm.sh: holds of an rpm host, end to end on real roots:
# packages built with rpmbuild in a createrepo_c repository
# (tests/data/rpm/mkrepo.sh replay), a prod and a lab root made with dnf
# --installroot.  A lock made with `dnf versionlock add` on prod (and one
# written by hand, by name) is recorded as a hold (as local:ROOT and with
# record --local --root), an exclude rule is not; the held package's
# update is held back, not pending; diff shows the holds as drift; plan
# holds the lab's package as prod's with `dnf versionlock add`, which the
# package step runs on the lab root (tests/tools/apply-tool), after which
# the lab records the same holds and nothing is left to do.  A hostile
# line in prod's list fails the record naming the host, the file and the
# line, and the store keeps what it had.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/rpm.sh"
rpm_setup rpm rpmbuild createrepo_c dnf jq
dnf versionlock --help >/dev/null 2>&1 ||
    skip_all "dnf's versionlock plugin is not installed (dnf-plugins-core)"
APPLY=$DS_BUILDDIR/tests/tools/apply-tool
COLLECT=$DS_BUILDDIR/tests/tools/collect-tool

rpm_replay_repo
"$T/mkroot" "$T/prod"
"$T/mkroot" "$T/lab"
for r in prod lab; do
    dnfr "$T/$r" install ds-a-2.0-1.noarch ds-b-1.0-1.noarch ds-d-1.0-1.noarch
done
LIST=$T/prod/etc/dnf/plugins/versionlock.list
# prod: ds-a locked by dnf itself, ds-b by name, an exclude rule on ds-d
dnfr "$T/prod" versionlock add ds-a
echo 'ds-b' >>"$LIST"
echo '!ds-d-0:9.0-1.*' >>"$LIST"

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

grep_ok "dnf wrote its lock in the plugin's format" '^ds-a-0:2\.0-1\.\*$' "$LIST"
git --git-dir="$T/store" show HEAD:prod/rh.json >"$T/prod.json"
cp "$T/prod.json" "$T/out"
jq_ok "prod's locks are its holds, the exclude rule is none" \
    '.holds == ["ds-a.noarch", "ds-b.noarch"]'

expect_status 0 "record --local --root sees the same locks" \
    dsc record --local --root "$T/prod" --host rh-local
git --git-dir="$T/store" show HEAD:prod/rh-local.json >"$T/out"
jq_ok "as the same holds" '.holds == ["ds-a.noarch", "ds-b.noarch"]'

# The held package's update is held back, not pending.
expect_status 0 "record --refresh-lists asks dnf for updates" \
    dsc record --refresh-lists rh
expect_status 0 "patches: nothing pending but the held package" dsc patches rh
grep_ok "ds-b's update is held back" '^  held +ds-b\.noarch 1\.0-1 -> 2\.0-1' "$T/out"
git --git-dir="$T/store" show HEAD:prod/rh.json >"$T/out"
jq_ok "recorded as held back" \
    '.held_back["ds-b.noarch"].version == "2.0-1" and (.pending | has("ds-b.noarch") | not)'

# lab MANIFEST: the lab root collected as rh's lab
lab() {
    "$COLLECT" --host rh "local:$T/lab" |
        jq '.role = "lab"' >"$1" || echo "Bail out! collect"
}
lab "$T/lab.json"
cp "$T/lab.json" "$T/out"
jq_ok "the lab, whose list is empty, holds nothing" '.holds == []'
expect_status 0 "the lab's manifest is recorded" dsc record --from "$T/lab.json"
expect_status 1 "diff shows the holds as drift" dsc diff rh
grep_ok "naming the held package" 'ds-a\.noarch.*held' "$T/out"
expect_status 1 "plan shows the holds as drift" dsc plan rh
grep_ok "one versionlock step with prod's exact versions" \
    'hold as on prod \(versionlock\): ds-a-0:2\.0-1\.noarch ds-b-0:1\.0-1\.noarch$' "$T/out"
grep_not "and no package transaction" 'dnf transaction' "$T/out"

expect_status 0 "the step runs on the lab root" \
    "$APPLY" "$T/lab.json" "$T/prod.json" "local:$T/lab"
grep_ok "the lab's list has both locks" '^ds-b-0:1\.0-1\.\*$' \
    "$T/lab/etc/dnf/plugins/versionlock.list"
lab "$T/lab2.json"
cp "$T/lab2.json" "$T/out"
jq_ok "the lab now records prod's holds" '.holds == ["ds-a.noarch", "ds-b.noarch"]'
expect_status 0 "the synced lab is recorded" dsc record --from "$T/lab2.json"
expect_status 0 "plan: nothing left to do" dsc plan rh

# A hostile line: refused, naming host, file and line; nothing recorded.
head=$(git --git-dir="$T/store" rev-parse HEAD)
echo 'ds-a;touch /tmp/pwned' >>"$LIST"
expect_status 3 "a hostile lock line fails the record" dsc record rh
grep_ok "naming the host, the list and the line" \
    "rh: /etc/dnf/plugins/versionlock.list line [0-9]+: 'ds-a;touch /tmp/pwned' is not a versionlock entry" "$T/err"
check "the store keeps what it had" \
    test "$(git --git-dir="$T/store" rev-parse HEAD)" = "$head"
done_testing
