#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/audit.sh: `driftsync audit` on the bed's real guests.  prod-e2e
# gets a newer kernel package (whose postinst asks for a reboot the way
# Debian's hooks do) and an upgrade of a package whose old executable
# still runs; the audit of prod finds the reboot (newer kernel, the flag
# and its packages), the restart (that process, by pid and path) and the
# drift since the lab was recorded; the audit of the lab against a patch
# bundle finds the package it misses.  Then `driftsync report` shows the
# findings.  Both guests are put back as they were at the end.  Runs only
# with DS_E2E=1.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/e2e/lib.sh"

require_cmds dpkg-deb dpkg-scanpackages git
baselines e2e-audit-baseline $PROD $LAB

cat >"$T/ds.conf" <<CONF
[store]
path = $T/store
state = $T/state
[lab]
uri = $E2E_URI
[host e2e]
source = agent:$PROD
lab = $LAB
files = /etc/ds-e2e/
CONF
dsc() { ds --config "$T/ds.conf" "$@"; }
# A daemon: /bin/sleep under its own name, so that an upgrade replaces a
# running executable.  A kernel newer than the guest's, which asks for a
# reboot in its postinst as Debian's kernel hooks do.
mkdir -p "$T/d1/usr/lib/ds-e2e" "$T/k/boot"
cp /bin/sleep "$T/d1/usr/lib/ds-e2e/ds-daemon"
mkdeb ds-daemon 1.0 '' "$T/d1"
mkdeb ds-daemon 2.0 '' "$T/d1"
KREL=6.99.0-1-e2e
echo "not a kernel: the end-to-end audit test's stand-in" >"$T/k/boot/vmlinuz-$KREL"
mkdeb linux-image-$KREL 1.0 \
    "echo '*** System restart required ***' >/run/reboot-required; echo linux-image-$KREL >>/run/reboot-required.pkgs" \
    "$T/k"
repo_index
for d in $PROD $LAB; do
    check "$d: the test repository" setup_guest $d
    check "$d: ds-daemon 1.0" at $d run env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q ds-daemon=1.0
done

check "init the store" dsc init
expect_status 0 "record prod" dsc record e2e
expect_status 0 "record the lab" dsc record --lab e2e
t=$(now_ms)
expect_status 0 "audit prod: nothing pending, no drift" dsc audit e2e
CLEAN_MS=$(($(now_ms) - t))
grep_ok "says the host is clean" '^e2e \(prod\): clean$' "$T/out"

# ---- a day on prod: a kernel installed, a running daemon upgraded -------
at $PROD run sh -c '/usr/lib/ds-e2e/ds-daemon 3600 </dev/null >/dev/null 2>&1 & echo $!' >"$T/pid"
PID=$(tr -dc 0-9 <"$T/pid")
check "prod: the daemon runs (pid $PID)" at $PROD run test -d "/proc/$PID"
check "prod: a newer kernel package, and ds-daemon upgraded under it" \
    at $PROD run env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q ds-daemon=2.0 linux-image-$KREL=1.0
RUNNING=$(vexec $PROD /bin/uname -r)
check "the guest runs its own kernel ($RUNNING)" test -n "$RUNNING" -a "$RUNNING" != "$KREL"

t=$(now_ms)
expect_status 1 "audit prod: findings, exit 1" dsc --json audit e2e
PROD_MS=$(($(now_ms) - t))
cp "$T/out" "$T/prod.json"
jq_ok "one host, prod" '.hosts | length == 1 and .[0].host == "e2e" and .[0].role == "prod"'
jq_ok "reboot: running $RUNNING, newest installed $KREL" \
    '[.hosts[0].findings[] | select(.kind == "reboot" and .have == "'"$RUNNING"'" and .want == "'$KREL'")] | length == 1'
jq_ok "reboot: /run/reboot-required, naming the kernel package" \
    '[.hosts[0].findings[] | select(.kind == "reboot" and .path == "/run/reboot-required" and .packages == ["linux-image-'$KREL'"])] | length == 1'
jq_ok "restart: the daemon's pid and its deleted executable" \
    '[.hosts[0].findings[] | select(.kind == "restart" and .pid == '"$PID"' and .path == "/usr/lib/ds-e2e/ds-daemon")] | length == 1'
jq_ok "drift since the lab was recorded: the upgrade" \
    '[.hosts[0].findings[] | select(.kind == "drift" and .package == "ds-daemon" and .have == "1.0" and .want == "2.0")] | length == 1'
jq_ok "and the new kernel package" \
    '[.hosts[0].findings[] | select(.kind == "drift" and .package == "linux-image-'$KREL'")] | length == 1'
check "the audit wrote STATE/audit/latest.json" \
    jq -e '.schema == "driftsync/audit/v1" and .hosts[0].host == "e2e"' "$T/state/audit/latest.json"

expect_status 1 "the same audit, for people" dsc audit e2e
grep_ok "grouped under the host" '^e2e' "$T/out"
grep_ok "names the process to restart" "$PID.*/usr/lib/ds-e2e/ds-daemon" "$T/out"

# ---- the lab against a patch bundle --------------------------------------
printf 'ds-daemon=2.0\n' >"$T/bundle.txt"
t=$(now_ms)
expect_status 1 "audit --lab --expect: the lab misses the patch" \
    dsc --json audit --lab --expect "$T/bundle.txt" e2e
LAB_MS=$(($(now_ms) - t))
jq_ok "ds-daemon 1.0 below 2.0, and nothing else" \
    '.hosts == [{"host":"e2e","role":"lab","findings":[{"kind":"missing","package":"ds-daemon","have":"1.0","want":"2.0","detail":.hosts[0].findings[0].detail}]}]'
expect_status 1 "prod against the same bundle: no package missing" \
    dsc --json audit --expect "$T/bundle.txt" e2e
jq_ok "no missing finding on prod" '[.hosts[0].findings[] | select(.kind == "missing")] == []'

# ---- the daemon restarted: its finding goes ------------------------------
check "prod: the old daemon stopped" at $PROD run kill "$PID"
expect_status 1 "audit prod again" dsc --json audit e2e
jq_ok "no restart finding left" '[.hosts[0].findings[] | select(.kind == "restart")] == []'
jq_ok "the reboot still pending" '[.hosts[0].findings[] | select(.kind == "reboot")] | length == 2'

# ---- the report shows what the audit found -------------------------------
expect_status 0 "report" dsc report --output "$T/report"
check "report.html written" test -s "$T/report/report.html"
grep_ok "the page names the pending reboot" "$KREL" "$T/report/report.html"
check "report.json holds the audit's findings" \
    jq -e '[.. | objects | select(.kind? == "reboot")] | length >= 1' "$T/report/report.json"
check "git fsck is clean" git --git-dir="$T/store" fsck --strict --no-progress

diag "audit wall times: clean prod ${CLEAN_MS} ms, prod with findings ${PROD_MS} ms, lab --expect ${LAB_MS} ms; report.html $(stat -c %s "$T/report/report.html") bytes"
done_testing
