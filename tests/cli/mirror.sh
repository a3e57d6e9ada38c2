#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/mirror.sh: `driftsync mirror` without a VM: prod hosts are
# Debian roots built with real dpkg (local:DIR), labs are domains of
# libvirt's test driver (no guest agent, so a drifted lab's sync is tried
# and stops at collecting the lab; tests/e2e/sync.sh syncs for real).
# Checks: usage, exit codes, labs in sync left alone, drifted labs tried,
# a held lab lock, hosts without a lab or not recorded, the JSON report
# in the state directory and the store's commits.
. "$DS_SRCDIR/tests/setup.sh"

require_cmds jq git flock python3 dpkg-deb

sh "$DATA/dpkg/mkroot.sh" "$T/r1" >/dev/null 2>&1 || {
    echo "1..1"; echo "not ok 1 - building the Debian root (mkroot.sh)"; exit 1; }
ROOT=$T/r1/root
EDIT="python3 $DS_SRCDIR/tests/cli/edit-manifest.py"
REPORTS=$T/state/reports

conf() { # FILE HOST-SECTIONS...
    f=$1; shift
    write_conf "$f" <<CONF
snapshots = auto
CONF
    for h in "$@"; do
        case $h in
        web01) printf '\n[host web01]\nsource = local:%s\nlab = lab-web01\n' "$ROOT" ;;
        db01) printf '\n[host db01]\nsource = local:%s\nlab = lab-db01\n' "$ROOT" ;;
        app01) printf '\n[host app01]\nsource = local:%s\nlab = lab-web02\n' "$ROOT" ;;
        nolab) printf '\n[host nolab]\nsource = local:%s\n' "$ROOT" ;;
        gone) printf '\n[host gone]\nsource = ssh://root@127.0.0.1:1\nlab = lab-uefi\n' ;;
        slow) printf '\n[host slow]\nsource = http://127.0.0.1:%s/slow.json\nallow-http = true\n' "$PORT" ;;
        esac >>"$f"
    done
}
conf "$T/ds.conf" web01 db01 app01 nolab
conf "$T/insync.conf" web01 nolab
conf "$T/gone.conf" web01 gone
conf "$T/allgone.conf" gone
mirror() { ds --config "$T/ds.conf" mirror "$@"; }
commits() { git --git-dir="$T/store" rev-list --count HEAD; }
report_ok() { # DESCRIPTION JQ-EXPRESSION (on the report in $T/report)
    check "$1" jq -e "$2" "$T/report"
}

# ---- usage ----
expect_status 0 "--help" mirror --help
grep_ok "--help names the phases" 'record: collect every configured prod host' "$T/out"
grep_ok "--help gives the exit codes" 'Exit status: 0 every lab matches' "$T/out"
grep_ok "--help lists --parallel" '--parallel=N' "$T/out"
grep_ok "--help names the report" 'STATE/reports/mirror-RUN\.json' "$T/out"
ds --help >"$T/help"
grep_ok "driftsync --help lists the verb" '^  mirror \[--dry-run\]' "$T/help"
expect_status 2 "an unknown host" mirror nosuch
grep_ok "is named" "^driftsync: mirror: nosuch: no such host in $T/ds.conf\$" "$T/err"
expect_status 2 "an unknown option" mirror --bogus
grep_ok "names it" 'mirror: Unknown option --bogus' "$T/err"
expect_status 2 "--parallel 0" mirror --parallel 0
grep_ok "is refused" "mirror: --parallel: expected a positive integer, got '0'" "$T/err"
expect_status 2 "--parallel garbage" mirror --parallel 2x
grep_ok "is refused" "got '2x'" "$T/err"
expect_status 2 "--parallel -1" mirror --parallel=-1
check "nothing written for bad usage" test ! -e "$T/state"

# ---- no store, bad configuration ----
expect_status 2 "no store" mirror
grep_ok "says there is none" "^driftsync: .*$T/store" "$T/err"
check "no report without a store" test ! -e "$REPORTS"
sed 's/^snapshots = auto$/parallel = many/' "$T/ds.conf" >"$T/bad.conf"
expect_status 2 "a bad [lab] parallel" ds --config "$T/bad.conf" mirror
grep_ok "names the key" 'parallel: expected a positive integer' "$T/err"

check "init the store" ds --config "$T/ds.conf" init

# ---- the first run: prod recorded in one commit, no lab manifests yet ----
expect_status 1 "labs never recorded go to the sync (no agent here: failed)" mirror
grep_ok "web01 is collected as it is" 'web01: lab lab-web01 was never recorded: collecting it as it is' "$T/err"
grep_ok "and stops at the agent" '^web01: failed: .*before the sync' "$T/out"
grep_ok "the host without a lab is skipped" '^nolab: skipped: no lab domain' "$T/out"
grep_ok "the summary" '^mirror: 4 hosts recorded, 0 synced, 0 in sync, 3 failed, 1 skipped; report in ' "$T/out"
check "one commit" test "$(commits)" = 1
check "a record commit" sh -c 'git --git-dir="$1" log -1 --format=%s | grep -q "^record: 4 hosts changed"' - "$T/store"
for h in web01 db01 app01 nolab; do
    check "prod/$h.json is in the store" git --git-dir="$T/store" cat-file -e "HEAD:prod/$h.json"
done
check "git fsck is clean" git --git-dir="$T/store" fsck --no-progress --strict
check "each lab was tried under its lock" test -e "$T/state/lock/lab-web01.lock"
# The later cases check which labs a run touches: start them afresh.
rm -rf "$T/state/lock"

# The labs' manifests: web01's lab is prod's state, db01's and app01's an
# older ds-conf (drift).
for h in web01 db01 app01; do
    git --git-dir="$T/store" show "HEAD:prod/$h.json" >"$T/$h.json"
done
$EDIT "$T/web01.json" "$T/web01-lab.json" role=lab
$EDIT "$T/db01.json" "$T/db01-lab.json" role=lab pkg:ds-conf=1:2.3-3
$EDIT "$T/app01.json" "$T/app01-lab.json" role=lab pkg:ds-conf=1:2.3-3
check "record the lab manifests" ds --config "$T/ds.conf" record --from \
    "$T/web01-lab.json" "$T/db01-lab.json" "$T/app01-lab.json"
HEAD1=$(git --git-dir="$T/store" rev-parse HEAD)

# ---- every lab in sync: exit 0, nothing touched ----
expect_status 0 "labs in sync exit 0" ds --config "$T/insync.conf" mirror
grep_ok "web01 is in sync" '^web01: in sync$' "$T/out"
grep_ok "the summary" '^mirror: 2 hosts recorded, 0 synced, 1 in sync, 0 failed, 1 skipped; report in ' "$T/out"
grep_not "the engine never ran for it" '^(driftsync\[[^]]+\] )?web01: ' "$T/err"
check "no lock, no journal: the lab was not touched" \
    test ! -e "$T/state/lock" -a ! -e "$T/state/journal"
check "unchanged prod makes no commit" test "$(git --git-dir="$T/store" rev-parse HEAD)" = "$HEAD1"
cp "$REPORTS/latest.json" "$T/report"
report_ok "the report says in_sync, no snapshot, exit 0" \
    '.format == "driftsync/mirror/v1" and .exit == 0 and .recorded.commit == null
     and (.labs[] | select(.host == "web01") | .status == "in_sync" and .snapshot == null and .steps == 0)
     and .summary.in_sync == 1 and .summary.skipped == 1 and .summary.failed == 0'

# ---- drifted labs: tried, fail at the lab (no agent); exit 1 ----
rm -f "$REPORTS"/*
expect_status 1 "drifted labs that fail exit 1" mirror --parallel 2
grep_ok "web01 in sync" '^web01: in sync$' "$T/out"
grep_ok "db01 was tried and failed at the lab" \
    '^db01: failed: before the sync: .*lab-db01: this libvirt driver cannot talk to a guest agent' "$T/out"
grep_ok "app01 was tried as well" '^app01: failed: before the sync: .*lab-web02' "$T/out"
grep_ok "the engine collected db01's lab" '^(driftsync\[[^]]+\] )?db01: collecting lab lab-db01$' "$T/err"
grep_ok "and started it (it was shut off)" '^(driftsync\[[^]]+\] )?db01: lab lab-db01 is shut off: starting it' "$T/err"
grep_not "web01's lab was left alone" '^(driftsync\[[^]]+\] )?web01: ' "$T/err"
grep_ok "the summary" '^mirror: 4 hosts recorded, 0 synced, 1 in sync, 2 failed, 1 skipped; report in .*/reports/mirror-.*\.json$' "$T/out"
check "the drifted labs' locks were taken (and released)" \
    flock -n "$T/state/lock/lab-db01.lock" flock -n "$T/state/lock/lab-web02.lock" true
check "not web01's" test ! -e "$T/state/lock/lab-web01.lock"
check "no commit for a run that recorded and synced nothing" \
    test "$(git --git-dir="$T/store" rev-parse HEAD)" = "$HEAD1"

# The report: written atomically, named by its run, latest.json a copy.
set -- "$REPORTS"/mirror-*.json
check "one report file" test $# = 1 -a -f "$1"
cp "$1" "$T/report"
check "latest.json is the same report" cmp "$1" "$REPORTS/latest.json"
check "latest.json is a file, not a link" test ! -L "$REPORTS/latest.json"
check "no temporary file left" sh -c '! ls "$1" | grep -q tmp' - "$REPORTS"
check "named by its run id" sh -c \
    'test "$(basename "$1")" = "mirror-$(jq -r .run_id "$1").json"' - "$1"
report_ok "run, times, parallel" \
    '(.run_id | test("^[0-9]{8}T[0-9]{6}Z-")) and (.started | test("Z$")) and (.finished | test("Z$"))
     and .duration_s >= 0 and .parallel == 2 and .dry_run == false'
report_ok "every host recorded, none failed" \
    '.recorded.hosts == ["web01", "db01", "app01", "nolab"] and .recorded.failed == []'
report_ok "one entry per host, in configuration order" \
    '[.labs[].host] == ["web01", "db01", "app01", "nolab"]'
report_ok "db01: failed, with the reason, its domain, its drift" \
    '.labs[1] | .status == "failed" and .domain == "lab-db01" and .changes == 1
     and (.reason | test("guest agent")) and .snapshot == null and .duration_s >= 0'
report_ok "app01 likewise" '.labs[2] | .status == "failed" and .domain == "lab-web02"'
report_ok "nolab skipped, no domain" '.labs[3] | .status == "skipped" and .domain == null'
report_ok "the counts" \
    '.summary == {"hosts": 4, "recorded": 4, "record_failed": 0, "synced": 0, "in_sync": 1,
                  "planned": 0, "reverted": 0, "kept": 0, "failed": 2, "skipped": 1,
                  "packages_cached": 0} and .exit == 1'

# --json: the same report on stdout.
rm -f "$REPORTS"/mirror-*.json
expect_status 1 "--json" ds --config "$T/ds.conf" --json mirror --parallel 1
check "stdout is the report written" sh -c 'cmp "$1" "$2"' - "$T/out" "$REPORTS/latest.json"
cp "$T/out" "$T/report"
report_ok "with --parallel 1 every lab is still done" \
    '.parallel == 1 and .summary.failed == 2 and .summary.in_sync == 1'
grep_not "no lab lines on stdout" '^db01: ' "$T/out"

# ---- a lab held by another run ----
flock "$T/state/lock/lab-db01.lock" sh -c \
    'echo "$$ 2026-11-27T12:00:00Z" >"$1"; exec sleep 30' - "$T/state/lock/lab-db01.lock" &
holder=$!
stop_holder() { kill "$holder" 2>/dev/null; }
at_exit stop_holder
wait_for "the holder to write its lock" test -s "$T/state/lock/lab-db01.lock"
expect_status 1 "a locked lab" ds --config "$T/ds.conf" --json mirror
cp "$T/out" "$T/report"
report_ok "db01 failed: another run holds its lock" \
    '.labs[1] | .status == "failed" and (.reason | test("lab lab-db01 is busy: another run holds its lock"))'
report_ok "the others are still done" \
    '(.labs[2] | .status == "failed" and (.reason | test("guest agent"))) and .labs[0].status == "in_sync"'
kill "$holder"; wait "$holder" 2>/dev/null

# ---- a lab in sync on paper whose last run was interrupted ----
mkdir -p "$T/state/journal"
cat >"$T/state/journal/web01.json" <<EOF
{"format": "driftsync/journal/v1", "run_id": "zz-killed", "host": "web01",
 "domain": "lab-web01", "uri": "test:///x", "snapshot": "driftsync-zz-killed",
 "state": "started", "pid": 999999, "total": 2, "steps": []}
EOF
expect_status 1 "an interrupted run's lab is not taken as in sync" \
    ds --config "$T/insync.conf" mirror
grep_ok "the engine recovers it first" \
    '^(driftsync\[[^]]+\] )?web01: found interrupted run zz-killed: it stopped before taking its snapshot; nothing to revert' "$T/err"
grep_ok "then tries the lab" '^web01: failed: before the sync: ' "$T/out"
check "the journal is closed" jq -e '.state == "recovered"' "$T/state/journal/web01.json"
expect_status 0 "the next run finds it in sync again" ds --config "$T/insync.conf" mirror
grep_ok "web01 in sync" '^web01: in sync$' "$T/out"
rm -rf "$T/state/journal"

# ---- a host that cannot be recorded ----
expect_status 1 "a prod host that cannot be recorded" ds --config "$T/gone.conf" mirror
grep_ok "is named with the cause" '^driftsync: gone: ' "$T/err"
grep_ok "its lab is skipped" '^gone: skipped: prod not recorded: ' "$T/out"
grep_ok "web01 still in sync" '^web01: in sync$' "$T/out"
grep_ok "the summary" '^mirror: 1 host recorded \(1 failed\), 0 synced, 1 in sync, 0 failed, 1 skipped' "$T/out"
cp "$REPORTS/latest.json" "$T/report"
report_ok "the report lists the failure" \
    '.recorded.failed[0].host == "gone" and (.recorded.failed[0].reason | length > 0)
     and .labs[1].status == "skipped" and .exit == 1'
check "no lock taken for the unrecorded host's lab" test ! -e "$T/state/lock/lab-uefi.lock"
expect_status 2 "nothing could be recorded" ds --config "$T/allgone.conf" mirror
grep_ok "says so" 'mirror: no host could be recorded' "$T/err"

# ---- SIGTERM: labs not started are not started; the report is written ----
# A prod host served over HTTP that answers only after 3 s: the signal
# comes while the run records it.
python3 - "$T/port" "$T/asked" <<'PY' >/dev/null 2>&1 &
import http.server, os, sys, threading, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        open(sys.argv[2], "w").close()
        time.sleep(3)
        self.send_error(503)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
threading.Timer(30, s.shutdown).start()
s.serve_forever()
PY
server=$!
stop_server() { kill "$server" 2>/dev/null; }
at_exit stop_server
wait_file() { wait_for "$1" test -e "$1"; }
wait_file "$T/port"
PORT=$(cat "$T/port")
conf "$T/slow.conf" web01 db01 slow
rm -f "$REPORTS"/*
rm -f "$T/out"
# The program itself in the background (not through a shell function,
# whose subshell would take the signal).
"$DRIFTSYNC" --config "$T/slow.conf" --json mirror >"$T/out" 2>"$T/err" &
run=$!
wait_file "$T/asked"
kill -TERM "$run"
rc=0; wait "$run" || rc=$?
check "SIGTERM: the run ends with exit 1 (wanted 1, got $rc)" test "$rc" = 1
grep_ok "says it was interrupted" '^driftsync: interrupted: reverting the labs being synced' "$T/err"
cp "$T/out" "$T/report"
report_ok "the drifted lab was not started" \
    '.labs[1] | .host == "db01" and .status == "failed" and (.reason | test("not started: interrupted"))'
report_ok "the lab in sync is still reported" '.labs[0].status == "in_sync"'
report_ok "the slow host's failure is in the report" '.recorded.failed[0].host == "slow"'
check "the report was written" cmp "$T/out" "$REPORTS/latest.json"
grep_not "db01's lab was not touched" '^(driftsync\[[^]]+\] )?db01: collecting lab' "$T/err"

# ---- --dry-run: collects, commits and writes nothing ----
echo 'setting = changed on prod' >"$ROOT/etc/ds-conf/a.conf"
rm -f "$REPORTS"/*
HEAD2=$(git --git-dir="$T/store" rev-parse HEAD)
expect_status 1 "--dry-run with drift exits 1" mirror --dry-run
grep_ok "web01 would be synced now" '^web01: would sync lab lab-web01: [0-9]+ steps? for 1 change \(dry run\)' "$T/out"
grep_ok "db01 too, for two changes" '^db01: would sync lab lab-db01: [0-9]+ steps? for 2 changes' "$T/out"
grep_ok "the summary" '^mirror: 4 hosts recorded, 3 would be synced, 0 in sync, 0 failed, 1 skipped \(dry run' "$T/out"
check "no commit" test "$(git --git-dir="$T/store" rev-parse HEAD)" = "$HEAD2"
check "no report" sh -c '! ls "$1" | grep -q .' - "$REPORTS"
grep_not "no lab was touched" 'collecting lab' "$T/err"

# The real run records the change (one more commit) and tries web01 now.
expect_status 1 "prod changed: recorded, the lab tried" mirror
check "one new commit" test "$(commits)" = 3
check "a record commit naming the file" sh -c \
    'git --git-dir="$1" log -1 --format=%B | grep -q "/etc/ds-conf/a.conf"' - "$T/store"
grep_ok "web01 was tried" '^web01: failed: before the sync: .*lab-web01' "$T/out"
check "git fsck is clean at the end" git --git-dir="$T/store" fsck --no-progress --strict

done_testing
