#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/mirror.sh: `driftsync mirror`, the nightly job, on real guests:
# prod-e2e is the production host of two lab copies (lab-e2e and a third
# guest, lab2-e2e, from the bed's image).  The first run records prod and
# finds both labs equal; then prod gets an upgrade, a downgrade, a removal,
# a new package, a changed config file (content and mode), a new apt
# source and a service disabled, and one mirror run brings both labs
# there, two at a time; then the same one lab at a time.  A version that
# only driftsync's package cache has (no repository the labs reach) is
# installed from the cache.  A prod manifest tampered with in the store (a
# hostile package name, a path with ../) is refused before anything runs
# in a guest (the next mirror would record prod over it).  Every scenario
# ends with `driftsync diff` exit 0 and the git store checked.  Runs only
# with DS_E2E=1.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/e2e/lib.sh"

require_cmds dpkg-deb dpkg-scanpackages git
V="virsh -q -c $E2E_URI"
LAB2=lab2-e2e
G="git --git-dir=$T/store"
# svc_state DOMAIN: ds-svc's enablement, as the guest's systemctl says.
svc_state() { vexec "$1" /usr/bin/systemctl is-enabled ds-svc.service 2>/dev/null; }

remove_lab2() { bash "$DS_SRCDIR/tests/e2e/bed.sh" remove $LAB2 >/dev/null 2>&1; }
baselines e2e-mirror-baseline $PROD $LAB
remove_lab2 # what an interrupted run left
at_exit remove_lab2
check "a second lab guest ($LAB2) from the bed's image" \
    bash "$DS_SRCDIR/tests/e2e/bed.sh" add $LAB2

# One repository on all three guests: every version the scenarios use.
mkdeb ds-up 1.0 && mkdeb ds-up 2.0
mkdeb ds-down 1.0 && mkdeb ds-down 2.0
mkdeb ds-gone 1.0 && mkdeb ds-new 1.0
# a service, enabled when installed (the guests have systemctl, which
# works on the unit files with no systemd running)
mkdir -p "$T/svc/lib/systemd/system"
printf '[Unit]\nDescription=driftsync e2e service\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n' \
    >"$T/svc/lib/systemd/system/ds-svc.service"
mkdeb ds-svc 1.0 'systemctl enable ds-svc.service' "$T/svc"
repo_index
mkdir -p "$T/repo2" && : >"$T/repo2/Packages" # the new source: empty
for d in $PROD $LAB $LAB2; do
    check "$d: the test repository" setup_guest $d
    check "$d: a second (empty) repository for the new source" \
        at $d run mkdir -p /srv/ds-repo2
    check "$d: its index" at $d write /srv/ds-repo2/Packages 0644 </dev/null
    check "$d: the starting packages" at $d run env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q ds-up=1.0 ds-down=2.0 ds-gone=1.0 ds-svc=1.0
    check "$d: ds-svc enabled" test "$(svc_state $d)" = enabled
    printf 'mode = start\n' | at $d write /etc/ds-e2e/app.conf 0644
done

cat >"$T/ds.conf" <<CONF
[store]
path = $T/store
state = $T/state
[lab]
uri = $E2E_URI
snapshots = auto
keep-snapshots = 1
parallel = 2
[packages]
cache = $T/pkgcache
repository = $T/cache-repo
# app.conf is 0600 (not readable by others): secret by its mode unless exempted
[secrets]
mode-exempt = /etc/ds-e2e/app.conf
[host copy1]
source = agent:$PROD
lab = $LAB
files = /etc/ds-e2e/
[host copy2]
source = agent:$PROD
lab = $LAB2
files = /etc/ds-e2e/
CONF
dsc() { ds --config "$T/ds.conf" "$@"; }
both_in_sync() { dsc diff copy1 && dsc diff copy2; }
# lab_pkg DOMAIN NAME: "VERSION STATUS" of the package in the guest.
lab_pkg() {
    vexec "$1" /usr/bin/dpkg-query -W -f '${Version} ${db:Status-Abbrev}' "$2" 2>/dev/null
}
report() { jq -e "$1" "$T/state/reports/latest.json" >/dev/null; }

# ---- the first night: prod recorded, both labs found equal --------------
check "init the store" dsc init
ours() { $V snapshot-list "$1" --name | grep -c '^driftsync-'; }
SNAPS0="$(ours $LAB) $(ours $LAB2)"
expect_status 0 "the first mirror: every lab already matches" dsc -v mirror
diag "$(cat "$T/err")"
grep_ok "copy1 in sync" '^copy1: in sync' "$T/out"
grep_ok "copy2 in sync" '^copy2: in sync' "$T/out"
grep_ok "the summary" '^mirror: 2 hosts recorded, 0 synced, 2 in sync, 0 failed' "$T/out"
check "the report says so" report '.summary.in_sync == 2 and .summary.failed == 0'
expect_status 0 "diff copy1: no drift" dsc diff copy1
expect_status 0 "diff copy2: no drift" dsc diff copy2
check "no snapshot was taken" test "$(ours $LAB) $(ours $LAB2)" = "$SNAPS0"

# ---- a day of changes on prod -------------------------------------------
check "prod: upgrade, downgrade, install" at $PROD run env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --allow-downgrades ds-up=2.0 ds-down=1.0 ds-new=1.0
check "prod: remove a package" at $PROD run dpkg --purge ds-gone
printf 'mode = production\nworkers = 4\n' | at $PROD write /etc/ds-e2e/app.conf 0600
check "prod: the config file's mode" at $PROD run chmod 0600 /etc/ds-e2e/app.conf
printf 'deb [trusted=yes] file:/srv/ds-repo2 ./\n' |
    at $PROD write /etc/apt/sources.list.d/ds-extra.list 0644
check "prod: the new source works" at $PROD run apt-get update -q
check "prod: a service disabled" at $PROD run systemctl disable ds-svc.service
# A version only the package cache can give: built here, installed on prod
# from a file copied in, in no repository the labs can reach; the record
# takes it into the cache from [packages] repository, a directory here.
mkdeb ds-cached 1.0 && mkdir -p "$T/cache-repo" &&
    mv "$T/repo/ds-cached_1.0_all.deb" "$T/cache-repo/" &&
    (cd "$T/cache-repo" && dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null)
at $PROD write /root/ds-cached_1.0_all.deb 0644 <"$T/cache-repo/ds-cached_1.0_all.deb"
check "prod: dpkg -i a package no lab repository has" at $PROD run dpkg -i /root/ds-cached_1.0_all.deb

SYNCS0=$($G log --format=%s | grep -c '^sync: ')
t=$(now_ms)
expect_status 0 "mirror: both labs synced, two at a time" dsc --json mirror
diag "mirror of two labs, parallel 2: $(($(now_ms) - t)) ms"
cp "$T/out" "$T/run1.json"
check "the report: 2 synced" jq -e '.summary.synced == 2 and .summary.failed == 0 and .parallel == 2' "$T/run1.json"
check "the record put the new versions into the package cache" \
    jq -e '.summary.packages_cached >= 1' "$T/run1.json"
check "the cache holds ds-cached's file" \
    test -s "$T/pkgcache/index/ds-cached_1.0_all"
check "the report is the one in the state directory" \
    sh -c 'jq -S . "$1" >"$1.a" && jq -S . "$2" >"$1.b" && cmp "$1.a" "$1.b"' - "$T/run1.json" "$T/state/reports/latest.json"
expect_status 0 "diff copy1: no drift" dsc diff copy1
expect_status 0 "diff copy2: no drift" dsc diff copy2
for d in $LAB $LAB2; do
    check "$d: ds-up upgraded to 2.0" test "$(lab_pkg $d ds-up)" = "2.0 ii "
    check "$d: ds-down downgraded to 1.0" test "$(lab_pkg $d ds-down)" = "1.0 ii "
    check "$d: ds-new installed" test "$(lab_pkg $d ds-new)" = "1.0 ii "
    check "$d: ds-gone removed" test -z "$(lab_pkg $d ds-gone | grep ' ii')"
    check "$d: ds-cached installed from the package cache" test "$(lab_pkg $d ds-cached)" = "1.0 ii "
    at $d read /etc/ds-e2e/app.conf >"$T/app.conf"
    grep_ok "$d: the config file's content" '^workers = 4$' "$T/app.conf"
    check "$d: the config file's mode" \
        test "$(vexec $d /usr/bin/stat -c %a /etc/ds-e2e/app.conf)" = 600
    # prod's source lines, in the lab's driftsync.list
    at $d run sh -c 'cat /etc/apt/sources.list.d/*.list' >"$T/lists"
    grep_ok "$d: the new apt source" '^deb \[trusted=yes\] file:/srv/ds-repo2 \./' "$T/lists"
    check "$d: ds-svc disabled, as on prod" test "$(svc_state $d)" = disabled
done
check "git fsck is clean" $G fsck --strict --no-progress
$G log --format=%s >"$T/log"
grep_ok "a record commit" '^record: ' "$T/log"
grep_ok "one sync commit for both labs" '^sync: ' "$T/log"
check "exactly one sync commit for the run" test "$(grep -c '^sync: ' "$T/log")" = $((SYNCS0 + 1))

# ---- the next night, one lab at a time ----------------------------------
printf 'mode = production\nworkers = 8\n' | at $PROD write /etc/ds-e2e/app.conf 0600
check "prod: ds-up back to 1.0" at $PROD run env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --allow-downgrades ds-up=1.0
t=$(now_ms)
expect_status 0 "mirror --parallel 1" dsc --json mirror --parallel 1
diag "mirror of two labs, parallel 1: $(($(now_ms) - t)) ms"
check "the report: 2 synced, parallel 1" jq -e '.summary.synced == 2 and .parallel == 1' "$T/out"
expect_status 0 "diff copy1: no drift" dsc diff copy1
expect_status 0 "diff copy2: no drift" dsc diff copy2
expect_status 0 "a third run: nothing to do" dsc mirror
grep_ok "both in sync" '^mirror: 2 hosts recorded, 0 synced, 2 in sync, 0 failed' "$T/out"
check "retention: one driftsync snapshot per lab" \
    test "$($V snapshot-list $LAB2 --name | grep -c '^driftsync-')" = 1

# ---- a prod manifest tampered with in the store -------------------------
# Written with git itself, behind driftsync's back: a package name that is
# a shell command and a file path that climbs out of /etc.
H=$($G rev-parse HEAD)
$G show HEAD:prod/copy1.json |
    jq '.packages["x;touch /tmp/pwned"] = {"version": "1.0", "arch": "all"}' >"$T/evil-pkg.json"
$G show HEAD:prod/copy1.json |
    jq '.files["/etc/ds-e2e/../../tmp/pwned"] = .files["/etc/ds-e2e/app.conf"]' >"$T/evil-path.json"
tamper() { # FILE: HEAD's tree with prod/copy1.json replaced, as a commit
    local blob tree c
    blob=$($G hash-object -w "$1") &&
        GIT_INDEX_FILE=$T/index $G read-tree HEAD &&
        GIT_INDEX_FILE=$T/index $G update-index --cacheinfo "100644,$blob,prod/copy1.json" &&
        tree=$(GIT_INDEX_FILE=$T/index $G write-tree) &&
        c=$(echo tampered | $G commit-tree "$tree" -p "$H") &&
        $G update-ref HEAD "$c" "$H"
}
for kind in pkg path; do
    check "$kind: a tampered commit" tamper "$T/evil-$kind.json"
    expect_status 2 "$kind: sync refuses it" dsc sync copy1
    grep_ok "$kind: one line naming the host and the cause" \
        '^driftsync: copy1: prod/copy1.json@[0-9a-f]+: .*(not a safe|not a valid|invalid|\.\.)' "$T/err"
    check "$kind: no snapshot was taken" \
        test "$($V snapshot-list $LAB --name | grep -c '^driftsync-')" = 1
    if vexec $LAB /usr/bin/test -e /tmp/pwned; then not_ok "$kind: nothing ran in the guest"
    else ok "$kind: nothing ran in the guest"; fi
    expect_status 2 "$kind: plan refuses it too" dsc plan copy1
    check "$kind: the lab is untouched" test "$(lab_pkg $LAB ds-up)" = "1.0 ii "
    $G update-ref HEAD "$H"
done
check "git fsck is clean" $G fsck --strict --no-progress

done_testing
