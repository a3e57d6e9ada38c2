#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/patches.sh: the patch cycle on the bed's real guests.  A real
# apt repository built here with apt-ftparchive (an ordinary suite and a
# security suite labelled Debian-Security, with Release files) is served
# to both guests; prod records pending security and ordinary updates; the
# audit finds the security one pending; `trial --pending --security`
# refuses a lab that differs from prod, then with --sync-first passes and
# stores a bundle while the lab ends as it was; the admin installs the
# bundle on prod with the line `bundle show --format apt` gives; `audit
# --bundle` goes from a missing package to clean once `mirror` has
# brought the lab there; a second security update whose maintainer script
# fails ends in a reverted lab, a failed trial in the store and no
# bundle; a hold on prod turns a pending update into a held-back one and
# is mirrored to the lab; the report and the metrics show the latency.
# Both guests are put back as they were at the end.  Runs only with
# DS_E2E=1.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/e2e/lib.sh"

require_cmds dpkg-deb apt-ftparchive git tar jq
baselines e2e-patches-baseline $PROD $LAB

# ---- the repository ----------------------------------------------------
R=$T/repo
# pkg SUITE NAME VERSION [POSTINST-BODY]: a package in pool/SUITE
pkg() {
    local d=$T/build/$2-$3
    mkdir -p "$d/DEBIAN" "$d/usr/share/doc/$2" "$R/pool/$1"
    printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: driftsync tests <tests@driftsync.invalid>\nSection: misc\nPriority: optional\nDescription: driftsync end-to-end patch cycle package\n' \
        "$2" "$3" >"$d/DEBIAN/control"
    printf '#!/bin/sh\nset -e\n%s\nexit 0\n' "${4:-}" >"$d/DEBIAN/postinst"
    chmod 0755 "$d/DEBIAN/postinst"
    echo "$2 $3" >"$d/usr/share/doc/$2/version"
    dpkg-deb --root-owner-group -Zgzip -b "$d" "$R/pool/$1/${2}_${3}_all.deb" >/dev/null
}
# index: Packages and a Release file per suite, by apt-ftparchive
index() {
    local s codename label suite
    for s in main security; do
        if [ $s = main ]; then codename=bookworm-e2e label=Debian suite=stable
        else codename=bookworm-e2e-security label=Debian-Security suite=stable-security; fi
        mkdir -p "$R/dists/$codename/main/binary-amd64" "$R/pool/$s"
        (cd "$R" && apt-ftparchive packages "pool/$s") \
            >"$R/dists/$codename/main/binary-amd64/Packages" || return 1
        (cd "$R" && apt-ftparchive -o APT::FTPArchive::Release::Origin=Debian \
            -o APT::FTPArchive::Release::Label=$label \
            -o APT::FTPArchive::Release::Suite=$suite \
            -o APT::FTPArchive::Release::Codename=$codename \
            -o APT::FTPArchive::Release::Architectures=amd64 \
            -o APT::FTPArchive::Release::Components=main \
            release "dists/$codename") >"$T/Release" || return 1
        mv "$T/Release" "$R/dists/$codename/Release"
    done
}
# serve DOMAIN: the repository copied to /srv/ds-repo in the guest, its
# only apt sources, the lists updated
serve() {
    local d=$1
    tar -C "$T" -cf "$T/repo.tar" repo || return 1
    at "$d" write /var/tmp/ds-repo.tar 0600 <"$T/repo.tar" || return 1
    at "$d" run sh -c 'rm -rf /srv/ds-repo && mkdir -p /srv && tar -C /srv -xf /var/tmp/ds-repo.tar && mv /srv/repo /srv/ds-repo && rm /var/tmp/ds-repo.tar' || return 1
    if at "$d" run test -e /etc/apt/sources.list; then
        at "$d" run mv /etc/apt/sources.list /etc/apt/sources.list.e2e-off || return 1
    fi
    printf 'deb [trusted=yes] file:/srv/ds-repo bookworm-e2e main\ndeb [trusted=yes] file:/srv/ds-repo bookworm-e2e-security main\n' |
        at "$d" write /etc/apt/sources.list.d/ds-e2e.list 0644 || return 1
    at "$d" run apt-get update -q >/dev/null
}
install_on() {
    local d=$1; shift
    at "$d" run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}
version_on() { vexec "$1" /usr/bin/dpkg-query -W -f '${Version}' "$2" 2>/dev/null; }

pkg main ds-app 1.0
pkg main ds-tool 1.0
pkg main ds-bad 1.0
pkg main ds-extra 1.0
check "the repository: an ordinary suite and an empty security one" index
for d in $PROD $LAB; do
    check "$d: served the repository" serve $d
    check "$d: ds-app, ds-tool, ds-bad 1.0" install_on $d ds-app=1.0 ds-tool=1.0 ds-bad=1.0
done

cat >"$T/ds.conf" <<CONF
[store]
path = $T/store
state = $T/state
[lab]
uri = $E2E_URI
[host e2e]
source = agent:$PROD
lab = $LAB
CONF
sed 's/^\[host e2e\]$/[patches]\nsecurity-sla = 1s\n\n&/' "$T/ds.conf" >"$T/sla.conf"
dsc() { ds --config "$T/ds.conf" "$@"; }
check "init the store" dsc init
expect_status 0 "record prod" dsc record e2e
expect_status 0 "record the lab" dsc record --lab e2e

# ---- updates published: a security one and an ordinary one -------------
pkg security ds-app 1.1 'mkdir -p /var/lib/ds-app && echo 1.1 >/var/lib/ds-app/patched'
pkg main ds-tool 2.0
check "the repository: ds-app 1.1 (security), ds-tool 2.0" index
check "Release of the security suite, Label Debian-Security" \
    grep -qx 'Label: Debian-Security' "$R/dists/bookworm-e2e-security/Release"
for d in $PROD $LAB; do check "$d: the new lists" serve $d; done
expect_status 0 "record prod: updates pending" dsc record e2e
expect_status 0 "show prod" dsc --json show e2e
jq_ok "prod's manifest: ds-app 1.1 pending, a security update from Debian-Security's suite" \
    '.pending["ds-app"] | .version == "1.1" and .security == true and .suite == "bookworm-e2e-security" and .origin == "Debian"'
jq_ok "ds-tool 2.0 pending, not a security update" \
    '.pending["ds-tool"] | .version == "2.0" and .security == false and .suite == "bookworm-e2e"'
jq_ok "nothing else pending" '.pending | keys == ["ds-app", "ds-tool"]'
expect_status 1 "audit prod: the security update is pending" dsc --json audit --stored e2e
jq_ok "a pending finding for ds-app, none for ds-tool" \
    '[.hosts[0].findings[] | select(.kind == "pending") | [.package, .have, .want]] == [["ds-app", "1.0", "1.1"]]'

# ---- the trial: refused while the lab differs, then synced first --------
check "the lab drifts: ds-extra installed there" install_on $LAB ds-extra=1.0
C0=$(git --git-dir="$T/store" rev-list --count HEAD)
CHECKS=(--check 'test "$(cat /var/lib/ds-app/patched)" = 1.1' --check 'dpkg-query -W -f "\${Version}" ds-app | grep -qx 1.1')
expect_status 2 "trial --pending --security: the lab must match prod first" \
    dsc trial e2e --pending --security --bundle sec1 "${CHECKS[@]}"
grep_ok "says so, naming the difference" "lab $LAB does not match prod \\(1 difference, first: .*ds-extra.*\\): sync it first \\(\`driftsync sync e2e\`\\) or add --sync-first; nothing changed" "$T/err"
check "no snapshot, no commit" test "$(git --git-dir="$T/store" rev-list --count HEAD)" = "$C0"
t0=$(now_ms)
expect_status 0 "trial --pending --security --sync-first passes" \
    dsc --json trial e2e --pending --security --sync-first --bundle sec1 "${CHECKS[@]}"
TRIAL_MS=$(($(now_ms) - t0))
cp "$T/out" "$T/trial.json"
grep_ok "the lab was synced first" 'syncing lab .* to prod first' "$T/err"
jq_ok "passed, reverted and verified" '.passed and .reverted and .verified and (.kept | not)'
jq_ok "exactly prod's pending security version was installed" \
    '.change.install == ["ds-app=1.1"] and .steps[0].step == "install" and .steps[0].status == 0'
jq_ok "the bundle was stored" '.pending.bundle == "sec1" and .pending.bundle_stored and (.pending.commit | length == 40)'
check "the lab ends as it was: ds-app 1.0" test "$(version_on $LAB ds-app)" = 1.0
if version_on $LAB ds-extra >/dev/null; then not_ok "ds-extra is gone from the lab"; else ok "ds-extra is gone from the lab"; fi
if vexec $LAB /bin/sh -c 'test -e /var/lib/ds-app/patched'; then
    not_ok "the trial's change is gone"; else ok "the trial's change is gone"; fi
expect_status 0 "bundle list" dsc bundle list
grep_ok "lists sec1" '^sec1 +e2e .* 1 package +passed +security$' "$T/out"
expect_status 0 "bundle show sec1 --format json" dsc bundle show sec1 --format json
jq_ok "host, lab, prod revision, checks, when" \
    '.host == "e2e" and .lab == "'"$LAB"'" and (.prod_revision | length == 40) and .packages == {"ds-app": "1.1"} and (.checks | length == 2) and all(.checks[]; .status == 0) and .passed'
expect_status 0 "bundle show --format apt" dsc bundle show sec1 --format apt
APT_LINE=$(cat "$T/out")
check "the apt-get install line" test "$APT_LINE" = "apt-get install -y --no-remove ds-app=1.1"

# ---- verified deployment ----------------------------------------------
expect_status 1 "audit --bundle sec1: prod misses it" dsc --json audit --bundle sec1 e2e
jq_ok "missing ds-app 1.1" '[.hosts[0].findings[] | select(.kind == "missing") | [.package, .have, .want]] == [["ds-app", "1.0", "1.1"]]'
read -r -a APT_ARGV <<<"$APT_LINE"
check "the admin installs the bundle on prod with that line" \
    at $PROD run env DEBIAN_FRONTEND=noninteractive "${APT_ARGV[@]}"
expect_status 1 "audit --bundle sec1 after the rollout: only drift left" dsc --json audit --bundle sec1 e2e
jq_ok "no missing, no pending finding; the lab is behind (drift)" \
    '[.hosts[0].findings[].kind] | (index("missing") == null) and (index("pending") == null) and (index("drift") != null)'
expect_status 0 "mirror brings the lab there" dsc mirror --metrics "$T/m.prom"
check "the lab has ds-app 1.1" test "$(version_on $LAB ds-app)" = 1.1
expect_status 0 "audit --bundle sec1: clean" dsc audit --bundle sec1 e2e
grep_ok "clean" '^e2e \(prod\): clean$' "$T/out"
grep_ok "metrics: no security update pending" '^driftsync_patches_pending\{host="e2e",kind="security"\} 0$' "$T/m.prom"
grep_ok "metrics: ds-tool still pending" '^driftsync_patches_pending\{host="e2e",kind="other"\} 1$' "$T/m.prom"

# ---- a second security update whose maintainer script fails -------------
pkg security ds-bad 1.1 'echo "ds-bad: cannot migrate its data" >&2; exit 1'
check "the repository: ds-bad 1.1 (security)" index
for d in $PROD $LAB; do check "$d: the new lists" serve $d; done
expect_status 0 "record prod: ds-bad 1.1 pending" dsc record e2e
C1=$(git --git-dir="$T/store" rev-list --count HEAD)
expect_status 1 "trial --pending --security: the install fails" \
    dsc --json trial e2e --pending --security --bundle bad1 --check true
jq_ok "the change failed, reverted and verified" \
    '(.passed | not) and (.change_ok | not) and .steps[0].status != 0 and (.steps[0].stderr + .steps[0].stdout | test("cannot migrate")) and .reverted and .verified'
jq_ok "no bundle stored" '.pending.bundle_stored == false'
check "the lab is reverted: ds-bad 1.0" test "$(version_on $LAB ds-bad)" = 1.0
check "one commit: the failed trial's record" test "$(git --git-dir="$T/store" rev-list --count HEAD)" = $((C1 + 1))
expect_status 2 "bundle show bad1: no such bundle" dsc bundle show bad1
expect_status 0 "bundle list --trials" dsc bundle list --trials
grep_ok "the failed trial is in the history" 'e2e .* 1 package +FAILED +security$' "$T/out"
expect_status 1 "audit past the SLA: ds-bad overdue" ds --config "$T/sla.conf" --json audit --stored e2e
jq_ok "ds-bad overdue" '[.hosts[0].findings[] | select(.kind == "overdue") | .package] == ["ds-bad"]'

# ---- a hold on prod: held back, not pending, and mirrored to the lab ----
held_on() { vexec "$1" /usr/bin/apt-mark showhold 2>/dev/null | grep -qx "$2"; }
check "prod: ds-tool put on hold" at $PROD run apt-mark hold ds-tool
expect_status 0 "record prod: the hold" dsc record e2e
expect_status 1 "patches --stored: something is pending" dsc --json patches --stored e2e
jq_ok "patches lists ds-bad, a security update, and no longer ds-tool" \
    '[.hosts[0].pending[] | [.name, .security]] == [["ds-bad", true]]'
jq_ok "ds-tool is held back" '[.hosts[0].held_back[].name] == ["ds-tool"]'
expect_status 1 "diff: the lab lacks prod's hold" dsc diff e2e
grep_ok "the hold is the difference" 'ds-tool held' "$T/out"
expect_status 0 "mirror brings the hold to the lab" dsc mirror
check "the lab holds ds-tool" held_on $LAB ds-tool
expect_status 0 "diff: none left" dsc diff e2e

# ---- the latency in the report ------------------------------------------
expect_status 0 "report" dsc report --output "$T/report"
cp "$T/report/report.json" "$T/out"
jq_ok "time-to-patch: one patch installed" '.patches.latency.count == 1 and .patches.latency.median_s >= 0'
jq_ok "ds-app: pending, tested in sec1, installed, the lab got it" \
    '[.patches.events[] | select(.package == "ds-app")][0] | .bundle == "sec1" and .installed != null and .lab != null and .security'
jq_ok "sec1 deployed on e2e" '.patches.bundles[0] | .name == "sec1" and .deployed_on == ["e2e"]'
grep_ok "the page has the patches section" 'id="patches-table"' "$T/report/report.html"
check "git fsck is clean" git --git-dir="$T/store" fsck --strict --no-progress

INSTALL_S=$(jq '[.steps[] | select(.step == "install")][0].seconds' "$T/trial.json")
CHECKS_S=$(jq '[.steps[] | select(.step == "check") | .seconds] | add' "$T/trial.json")
TOTAL_S=$(jq '.seconds' "$T/trial.json")
diag "trial --pending --security --sync-first: ${TRIAL_MS} ms wall (trial ${TOTAL_S} s: install ${INSTALL_S} s, checks ${CHECKS_S} s; the rest is snapshot, collect, compare, revert, verify, store)"
done_testing
