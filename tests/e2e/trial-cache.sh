#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/trial-cache.sh: `trial --pending` on a lab that cannot reach its
# apt source.  Both guests read one flat repository; prod records two
# pending updates; the lab's copy of the repository then loses its package
# files (its lists still name the new versions, its downloads fail).  Without
# [packages] cache the trial fails at the install and is recorded as
# failed; with it, the lab's download fails, the exact candidates go into
# the cache (ds-app from [packages] repository, a directory here;
# ds-tool from prod's own apt cache, where apt leaves what it downloaded
# ahead), are copied into the guest and installed from there, the checks
# pass, a bundle is stored and the lab ends as it was.  Both guests are
# put back as they were at the end.  Runs only with DS_E2E=1.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/e2e/lib.sh"

require_cmds dpkg-deb dpkg-scanpackages git jq
baselines e2e-trial-cache-baseline $PROD $LAB

install_on() {
    local d=$1; shift
    at "$d" run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

mkdeb ds-app 1.0 && mkdeb ds-tool 1.0 && repo_index
for d in $PROD $LAB; do
    check "$d: the test repository" setup_guest $d
    check "$d: ds-app and ds-tool 1.0" install_on $d ds-app=1.0 ds-tool=1.0
done

e2e_conf
check "init the store" dsc init
expect_status 0 "record prod" dsc record e2e

# ---- two updates published; the lab then loses its source ---------------
mkdeb ds-app 1.1 'mkdir -p /var/lib/ds-app && echo 1.1 >/var/lib/ds-app/patched'
mkdeb ds-tool 2.0
repo_index
for d in $PROD $LAB; do check "$d: the new versions published" publish $d; done
expect_status 0 "record prod: ds-app 1.1 and ds-tool 2.0 pending" dsc record e2e
expect_status 0 "show prod" dsc --json show e2e
jq_ok "both pending, at the repository's versions" \
    '.pending["ds-app"].version == "1.1" and .pending["ds-tool"].version == "2.0"'
expect_status 0 "the lab brought to prod while it reaches its source" dsc sync e2e
check "the lab's repository loses its package files (its index stays)" \
    at $LAB run sh -c 'rm -f /srv/ds-repo/*.deb'
candidate_is() { vexec "$1" /usr/bin/apt-cache policy "$2" | grep -q "Candidate: $3\$"; }
check "the lab's apt still names ds-app 1.1 as the candidate" candidate_is $LAB ds-app 1.1

CHECKS=(--check 'test "$(cat /var/lib/ds-app/patched)" = 1.1'
    --check 'dpkg-query -W -f "\${Version}" ds-tool | grep -qx 2.0')

# ---- without a package cache: the install cannot download ---------------
expect_status 1 "trial --pending without [packages] cache: the install fails" \
    dsc --json trial e2e --pending --bundle nocache "${CHECKS[@]}"
jq_ok "no fetch step; the install could not download" \
    '.steps[0].step == "install" and .steps[0].status != 0 and (.steps[0].stderr + .steps[0].stdout | test("Failed to fetch|File not found|not found")) and .reverted and .verified and (.from_cache == null)'
jq_ok "no bundle" '.pending.bundle_stored == false'

# ---- with a package cache: from [packages] repository and prod's apt cache
mkdir -p "$T/cache-repo"
cp "$T/repo/ds-app_1.1_all.deb" "$T/cache-repo/"
(cd "$T/cache-repo" && dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null)
# apt leaves what it downloads over http in its cache (unattended-upgrades
# downloads the candidates ahead); from a file: source it reads the file
# in place, so the test puts it there.
check "prod's apt cache holds ds-tool 2.0 (downloaded ahead, not installed)" \
    at $PROD write /var/cache/apt/archives/ds-tool_2.0_all.deb 0644 <"$T/repo/ds-tool_2.0_all.deb"
check "prod still runs ds-tool 1.0" test "$(pkg_version $PROD ds-tool)" = 1.0
cat "$T/ds.conf" - >"$T/cache.conf" <<CONF
[packages]
cache = $T/pkgcache
repository = $T/cache-repo
CONF
t0=$(now_ms)
expect_status 0 "trial --pending with [packages] cache passes" \
    ds --config "$T/cache.conf" --json trial e2e --pending --bundle cached1 "${CHECKS[@]}"
TRIAL_MS=$(($(now_ms) - t0))
cp "$T/out" "$T/trial.json"
grep_ok "says the lab cannot download and the cache is used" \
    "lab $LAB cannot download prod's candidates from its apt sources \\(exit [0-9]+\\): installing them from the package cache" "$T/err"
jq_ok "the lab's download failed first (fetch step)" \
    '.steps[0].step == "fetch" and .steps[0].status != 0 and (.steps[0].argv | index("--download-only") != null)'
jq_ok "the install took the cache's files, and passed" \
    '.steps[1].step == "install" and .steps[1].status == 0 and ([.steps[1].argv[] | select(test("^/var/tmp/driftsync-trial-.*/(ds-app_1.1_all|ds-tool_2.0_all)\\.deb$"))] | length == 2)'
jq_ok "from_cache names the two cached files" '(.from_cache | length) == 2'
jq_ok "exactly prod's pending versions" '.change.install == ["ds-app=1.1", "ds-tool=2.0"]'
jq_ok "passed, reverted and verified; the bundle stored" \
    '.passed and .reverted and .verified and .pending.bundle == "cached1" and .pending.bundle_stored'
check "the cache holds ds-app 1.1 (from the repository)" test -s "$T/pkgcache/index/ds-app_1.1_all"
check "the cache holds ds-tool 2.0 (from prod's apt cache)" test -s "$T/pkgcache/index/ds-tool_2.0_all"
check "the lab ends as it was: ds-app 1.0" test "$(pkg_version $LAB ds-app)" = 1.0
check "the lab ends as it was: ds-tool 1.0" test "$(pkg_version $LAB ds-tool)" = 1.0
if vexec $LAB /bin/sh -c 'test -e /var/lib/ds-app/patched'; then
    not_ok "the trial's change is gone"; else ok "the trial's change is gone"; fi
expect_status 0 "bundle show cached1 --format apt" dsc bundle show cached1 --format apt
check "the same apt-get install line as from the sources" \
    test "$(cat "$T/out")" = "apt-get install -y --no-remove ds-app=1.1 ds-tool=2.0"
expect_status 0 "bundle list --trials" dsc bundle list --trials
grep_ok "the failed trial without the cache is in the history" 'e2e .* 2 packages +FAILED' "$T/out"
check "git fsck is clean" git --git-dir="$T/store" fsck --strict --no-progress

FETCH_S=$(jq '[.steps[] | select(.step == "fetch")][0].seconds' "$T/trial.json")
INSTALL_S=$(jq '[.steps[] | select(.step == "install")][0].seconds' "$T/trial.json")
CHECKS_S=$(jq '[.steps[] | select(.step == "check") | .seconds] | add' "$T/trial.json")
TOTAL_S=$(jq '.seconds' "$T/trial.json")
diag "trial --pending from the package cache: ${TRIAL_MS} ms wall (trial ${TOTAL_S} s: fetch ${FETCH_S} s, install ${INSTALL_S} s, checks ${CHECKS_S} s; the rest is the cache fill and copy, snapshot, collect, compare, revert, verify, store)"
done_testing
