#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/rpm.sh: `driftsync sync` onto rpm guests: the bed's Debian
# guests made RHEL-like (rpm, dnf and its versionlock plugin come with the
# bed's image, tests/e2e/image.sh; os-release of Rocky, rpm's database in
# /var/lib/rpm, dpkg's set aside), packages built here with rpmbuild in a
# createrepo_c repository copied into both (tests/data/rpm/mkrepo.sh).
# prod upgrades, downgrades across an epoch, removes, installs a second
# version of an install-only package; one sync leaves the lab equal as
# `rpm -qa` reports it; a failing %post reverts the lab.  Both guests go
# back to their baselines at the end.  Runs only with DS_E2E=1.
. "$DS_SRCDIR/tests/setup.sh"
grep -q '^#define HAVE_RPM 1' "$DS_BUILDDIR/config.h" ||
    skip_all "driftsync was built without librpm (configure --with-rpm)"
. "$DS_SRCDIR/tests/e2e/lib.sh"

require_cmds rpmbuild createrepo_c git
baselines e2e-rpm-baseline $PROD $LAB
for d in $PROD $LAB; do
    check "$d: the image carries rpm, dnf and versionlock" \
        vexec $d /usr/bin/test -x /usr/bin/rpm -a -x /usr/bin/dnf -a \
        -f /usr/lib/python3/dist-packages/dnf-plugins/versionlock.py
done

mkdir -p "$T/rpm"
sh "$DATA/rpm/mkrepo.sh" replay "$T/rpm" >"$T/mkrepo.log" 2>&1 ||
    { cat "$T/mkrepo.log" >&2; echo "Bail out! mkrepo"; exit 1; }
# rpmguest DOMAIN: a RHEL-like guest with $T/rpm/repo's rpms as its one
# dnf repository.
rpmguest() {
    local d=$1 f
    at "$d" run mkdir -p /srv/ds-rpm/repodata /srv/ds-rpm/noarch \
        /etc/yum.repos.d /etc/rpm /var/lib/rpm || return 1
    for f in "$T"/rpm/repo/noarch/*.rpm "$T"/rpm/repo/repodata/*; do
        at "$d" write "/srv/ds-rpm/${f#"$T"/rpm/repo/}" 0644 <"$f" || return 1
    done
    printf '%%_dbpath /var/lib/rpm\n' | at "$d" write /etc/rpm/macros.dbpath 0644 &&
    printf '[main]\ngpgcheck=0\ninstallonly_limit=3\nskip_if_unavailable=False\n' |
        at "$d" write /etc/dnf/dnf.conf 0644 &&
    printf '[main]\nenabled=0\n' | at "$d" write /etc/dnf/plugins/local.conf 0644 &&
    printf '[ds-e2e]\nname=ds-e2e\nbaseurl=file:///srv/ds-rpm\ngpgcheck=0\n' |
        at "$d" write /etc/yum.repos.d/ds-e2e.repo 0644 &&
    printf 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n' |
        at "$d" write /etc/os-release.rocky 0644 &&
    at "$d" run mv -f /etc/os-release.rocky /etc/os-release &&
    at "$d" run mv /var/lib/dpkg/status /var/lib/dpkg/status.e2e-off &&
    at "$d" run dnf -y -q --releasever=9 install ds-a-0:1.0-1.noarch \
        ds-b-0:2.0-1.noarch ds-c-0:1.0-1.noarch ds-e-1:0.5-1.noarch \
        ds-kernel-0:6.1.0-1.noarch >/dev/null
}
check "prod: a RHEL-like guest with dnf" rpmguest $PROD
check "lab: the same" rpmguest $LAB
qa() { vexec "$1" /usr/bin/rpm -qa | sort; }

e2e_conf 'snapshots = auto
keep-snapshots = 1'
check "init the store" dsc init
expect_status 0 "record prod" dsc record e2e
git --git-dir="$T/store" show HEAD:prod/e2e.json >"$T/prod.json"
check "prod is recorded as an rpm host" jq -e '.platform == "rpm" and .packages["ds-e.noarch"].version == "1:0.5-1"' "$T/prod.json"
t=$(now_ms)
expect_status 0 "record the lab" dsc record --lab e2e
diag "the lab collected and recorded in $(($(now_ms) - t)) ms"
expect_status 0 "prod and lab start equal" dsc diff e2e

# ---- prod changes in every way; one mirror brings the lab along ---------
printf 'upgrade ds-a-0:2.0-1.noarch\ndowngrade ds-b-0:1.0-1.noarch\ndowngrade ds-e-0:3.0-1.noarch\nremove ds-c.noarch\ninstall ds-d-0:1.0-1.noarch ds-kernel-0:6.2.0-1.noarch\nrun\n' |
    at $PROD write /root/tx 0600
t=$(now_ms)
check "prod: one dnf transaction" at $PROD run dnf -y -q --releasever=9 shell /root/tx
diag "the same transaction run on prod by dnf alone: $(($(now_ms) - t)) ms"
expect_status 1 "mirror --dry-run: 1, a lab would be synced" dsc mirror --dry-run e2e
grep_ok "the lab would be synced" \
    '^mirror \(host e2e\): 1 host recorded, 1 would be synced, 0 in sync, 0 failed' "$T/out"
# stamp CMD...: CMD with each line of its standard error prefixed by the
# milliseconds since it started (the sync's progress, timed, in the log)
stamp() {
    local t0
    t0=$(now_ms)
    { "$@" 2>&1 >&3 3>&- | while IFS= read -r l; do
        printf '%6d ms %s\n' $(($(now_ms) - t0)) "$l"; done >&2; } 3>&1
    return "${PIPESTATUS[0]}"
}
# cpu_ms: CPU, the CPU time (user + system) in ms of this shell's
# finished children (not in a subshell: those are its own)
cpu_ms() {
    times >"$T/times"
    CPU=$(awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/)
        printf "%d\n", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * 1000 }' "$T/times")
}
t=$(now_ms)
cpu_ms
c=$CPU
expect_status 0 "mirror: prod recorded, the lab synced" stamp dsc -v --json mirror e2e
cpu_ms
diag "mirror took $(($(now_ms) - t)) ms, driftsync's CPU $((CPU - c)) ms; its progress:" "$(cat "$T/err")"
check "the report: a record commit, the lab synced" jq -e \
    '.recorded.commit != null and .labs[0].status == "synced" and .summary.synced == 1 and .summary.failed == 0' "$T/out"
check "the lab's packages in one dnf transaction" test \
    "$(journal '[.steps[] | select(.kind == "packages") | .description] | tojson')" = \
    '["one dnf transaction: 2 installs, 1 upgrade, 2 downgrades, 1 removal"]'
qa $PROD >"$T/prod.qa"
qa $LAB >"$T/lab.qa"
if cmp -s "$T/prod.qa" "$T/lab.qa" && grep -q '^ds-e-3.0-1.noarch$' "$T/lab.qa" &&
    grep -q '^ds-kernel-6.2.0-1.noarch$' "$T/lab.qa" &&
    grep -q '^ds-kernel-6.1.0-1.noarch$' "$T/lab.qa"; then
    ok "rpm -qa on the lab equals prod's (via virsh)"
else not_ok "rpm -qa on the lab equals prod's"; diag "$(diff "$T/prod.qa" "$T/lab.qa")"; fi
expect_status 0 "diff: the lab matches prod" dsc diff e2e
expect_status 0 "a second sync: nothing to do" dsc sync e2e
grep_ok "already in sync" '^e2e: already in sync' "$T/out"

# ---- a %post that fails on the lab ---------------------------------------
check "prod: ds-fail installed without its scripts" \
    at $PROD run dnf -y -q --releasever=9 --setopt=tsflags=noscripts install ds-fail-0:1.0-1.noarch
expect_status 0 "record it" dsc record e2e
qa $LAB >"$T/lab.before"
expect_status 1 "sync: the package step fails" dsc sync e2e
grep_ok "reverted, saying what dnf reported" \
    '^e2e: reverted: .*dnf reported: Error in POSTIN scriptlet in rpm package ds-fail' "$T/out"
qa $LAB >"$T/lab.after"
check "the lab's packages are as before" cmp "$T/lab.before" "$T/lab.after"
check "journal: reverted" test "$(journal .state)" = reverted
done_testing
