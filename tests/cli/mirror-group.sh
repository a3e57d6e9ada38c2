#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/mirror-group.sh: `driftsync mirror --group NAME` and
# `mirror HOST...`: only those hosts are recorded and their labs tried
# (libvirt's test driver: no guest agent, so a lab never recorded fails at
# collecting it); the run's report says which hosts it covered; an unknown
# host or group does nothing.  Then two runners, each mirroring its own
# group into its own store, share a file:/// remote, and a third clone's
# report shows every host of both.
. "$DS_SRCDIR/tests/setup.sh"

require_cmds jq git dpkg-deb
export GIT_CONFIG_NOSYSTEM=1 HOME="$T"
sh "$DATA/dpkg/mkroot.sh" "$T/r1" >/dev/null 2>&1 || {
    echo "1..1"; echo "not ok 1 - building the Debian root (mkroot.sh)"; exit 1; }
ROOT=$T/r1/root
R=$T/remote.git
URL="file://$R"

hosts() {
    printf '\n[host web01]\nsource = local:%s\nlab = lab-web01\ngroups = web\n' "$ROOT"
    printf '\n[host app01]\nsource = local:%s\nlab = lab-web02\ngroups = web\n' "$ROOT"
    printf '\n[host db01]\nsource = local:%s\nlab = lab-db01\ngroups = db\n' "$ROOT"
    printf '\n[host nolab]\nsource = local:%s\n' "$ROOT"
}
hosts | write_conf "$T/ds.conf"
# runner N: store $T/N, state $T/N.state, the shared remote.
runner_conf() {
    {
        printf '[store]\npath = %s/%s\nstate = %s/%s.state\nremote = %s\n' \
            "$T" "$1" "$T" "$1" "$URL"
        printf '\n[lab]\nuri = test://%s/snapshot-node.xml\n' "$DATA"
        hosts
    } >"$T/$1.conf"
}
mirror() { ds --config "$T/ds.conf" mirror "$@"; }
on() { local n=$1; shift; ds --config "$T/$n.conf" "$@"; }
latest() { cp "$T/state/reports/latest.json" "$T/out"; }
stored() { git --git-dir="$T/store" ls-tree --name-only HEAD prod/ | sed 's,^prod/,,; s,\.json$,,' | sort | tr '\n' ' '; }

# ---- usage ----
expect_status 0 "--help" mirror --help
grep_ok "--help lists --group" '--group=NAME' "$T/out"
grep_ok "--help names the hosts" 'only the HOSTs named and the hosts of each --group NAME' "$T/out"
check "init the store" ds --config "$T/ds.conf" init
expect_status 2 "an unknown group" mirror --group nosuch
grep_ok "is named, with the key to set" "^driftsync: mirror: group nosuch: no host in $T/ds.conf is in it \\(groups = nosuch in its \\[host\\] section\\)\$" "$T/err"
expect_status 2 "an unknown host among known ones" mirror web01 nosuch
grep_ok "is named" "^driftsync: mirror: nosuch: no such host in $T/ds.conf\$" "$T/err"
expect_status 2 "a known group and an unknown one" mirror --group web --group nosuch
expect_status 2 "a host name that is not one" mirror ../web01
grep_ok "is refused" "^driftsync: mirror: '\\.\\./web01' is not a host name\$" "$T/err"
expect_status 2 "a group name that is not one" mirror --group 'a b'
grep_ok "is refused" "^driftsync: mirror: 'a b' is not a group name\$" "$T/err"
check "nothing was recorded" test -z "$(git --git-dir="$T/store" rev-parse -q --verify HEAD)"
check "no state written" test ! -e "$T/state"

# ---- --group web: web01 and app01 only ----
expect_status 1 "mirror --group web (labs never recorded: failed, no agent)" mirror --group web
grep_ok "web01's lab is tried" '^web01: failed: before the sync: ' "$T/out"
grep_ok "app01's too" '^app01: failed: before the sync: ' "$T/out"
grep_not "db01 is another group's" '^db01:' "$T/out"
grep_not "nolab is in no group" '^nolab:' "$T/out"
grep_ok "the summary names the group and counts its hosts" '^mirror \(group web\): 2 hosts recorded, 0 synced, 0 in sync, 2 failed; report in ' "$T/out"
check "only the group's prod hosts are in the store" test "$(stored)" = "app01 web01 "
latest
jq_ok "the report records its scope" \
    '.scope == {"all": false, "groups": ["web"], "hosts": [], "covered": ["web01", "app01"]}'
jq_ok "its labs and recorded hosts are the group's" \
    '([.labs[].host] == ["web01", "app01"]) and (.recorded.hosts == ["web01", "app01"])'

# ---- hosts named, and a host named that is in a group named too ----
expect_status 0 "mirror nolab (no lab: skipped)" mirror nolab
grep_ok "nolab is recorded and skipped" '^nolab: skipped: no lab domain' "$T/out"
grep_ok "the summary names the host" '^mirror \(host nolab\): 1 host recorded, ' "$T/out"
check "nolab is now in the store" test "$(stored)" = "app01 nolab web01 "
latest
jq_ok "the report names the host" '.scope == {"all": false, "groups": [], "hosts": ["nolab"], "covered": ["nolab"]}'
expect_status 1 "mirror --group db db01 web01" mirror --group db db01 web01
grep_ok "the summary names both" '^mirror \(group db; host db01, web01\): 2 hosts recorded, ' "$T/out"
latest
jq_ok "each host once, the named first" \
    '.scope.covered == ["db01", "web01"] and .scope.groups == ["db"] and .scope.hosts == ["db01", "web01"]'
expect_status 1 "mirror with neither: every host" mirror
latest
jq_ok "covers all" '.scope.all == true and (.scope.covered | length) == 4'

# ---- the report of this runner says what its last run covered ----
mirror --group web >/dev/null 2>&1
check "report" ds --config "$T/ds.conf" report --output "$T/rep"
check "the report's mirror section has the scope" \
    jq -e '.mirror.scope.groups == ["web"] and .mirror.scope.covered == ["web01", "app01"]' "$T/rep/report.json"
grep_ok "the page says which hosts the run covered" \
    '<p id="mirror-scope">Covered only group web \(2 hosts\); the other hosts were not part of this run\.</p>' "$T/rep/report.html"

# ---- two runners share a remote, each mirroring its group ----
git init -q --bare -b main "$R"
runner_conf a
runner_conf b
runner_conf c
check "runner a: init" on a init
check "runner b: init --from the (empty) remote" on b init --from "$URL"
expect_status 1 "runner a mirrors group web" on a mirror --group web
grep_not "no push warning" 'warning' "$T/err"
expect_status 1 "runner b mirrors group db (behind the remote: re-applied)" on b mirror --group db
grep_not "no push warning" 'warning' "$T/err"
G() { git --git-dir="$R" "$@"; }
check "the remote has web01, app01 and db01" \
    sh -c "git --git-dir='$R' cat-file -e main:prod/web01.json && git --git-dir='$R' cat-file -e main:prod/app01.json && git --git-dir='$R' cat-file -e main:prod/db01.json"
check "git fsck --strict on the remote is clean" G fsck --strict
check "one record commit from each runner" \
    test "$(G log --format=%s main | grep -c '^record: ')" = 2
check "the remote's tree holds both groups' hosts and nothing else of theirs" \
    test "$(G ls-tree -r --name-only main | grep -v '^files/' | tr '\n' ' ')" = "prod/app01.json prod/db01.json prod/web01.json "
check "runner a's state covers its group" \
    jq -e '.scope.covered == ["web01", "app01"]' "$T/a.state/reports/latest.json"
check "runner b's state covers its group" \
    jq -e '.scope.covered == ["db01"]' "$T/b.state/reports/latest.json"
check "a third clone: init --from the remote" on c init --from "$URL"
expect_status 0 "its report --fetch" on c --json report --fetch --output "$T/crep"
jq_ok "shows the hosts of both runners" \
    '([.hosts[].host] | sort) == ["app01", "db01", "web01"]'
jq_ok "and no mirror run (that state is each runner's own)" '.mirror == null'
expect_status 0 "runner a's report --fetch" on a --json report --fetch --output "$T/arep"
jq_ok "shows the other runner's host too" '([.hosts[].host] | sort) == ["app01", "db01", "web01"]'
jq_ok "and its own last run, scoped to its group" '.mirror.scope.groups == ["web"]'
done_testing
