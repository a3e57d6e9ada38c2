#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/audit.sh: `driftsync audit` on Debian roots built with real
# dpkg (local:DIR) and on this machine: packages below a patch bundle (JSON
# and name=version; malformed and hostile bundles refused) or below the
# newest of a group, a reboot flag with its packages, a kernel newer than
# the running one (a stored manifest), prod drift since the lab was last
# recorded, a real process running a deleted executable, a host that
# cannot be collected, and STATE/audit/latest.json.
. "$DS_SRCDIR/tests/setup.sh"
command -v dpkg-deb >/dev/null || skip_all "dpkg-deb is not installed"
require_cmds jq git

sh "$DATA/dpkg/mkroot.sh" "$T/base" >/dev/null 2>&1 ||
    { echo "1..1"; echo "not ok 1 - mkroot"; exit 1; }
# setver ROOT PACKAGE VERSION: what dpkg says is installed
setver() {
    sed -i "/^Package: $2\$/,/^\$/s/^Version: .*/Version: $3/" \
        "$1/var/lib/dpkg/status"
}
for r in r1 r2 r3 rb rd; do cp -a "$T/base/root" "$T/$r"; done
setver "$T/r2" ds-conf 1:2.3-5
mkdir -p "$T/rb/run"
: >"$T/rb/run/reboot-required"
printf 'libc6\nopenssl\nlibc6\n' >"$T/rb/run/reboot-required.pkgs"

S=$T/store
cat >"$T/c.conf" <<CONF
[store]
path = $S
state = $T/state

[host web1]
source = local:$T/r1
groups = web

[host web2]
source = local:$T/r2
groups = web

[host web3]
source = local:$T/r3
groups = web other

[host rb]
source = local:$T/rb

[host db1]
source = local:$T/rd
lab = db1-lab

[host nolab]
source = local:$T/r1
lab = nolab-lab

[host here]
source = local:

[host broken]
source = local:$T/does-not-exist
CONF
dsc() { ds --config "$T/c.conf" "$@"; }
dsc init >/dev/null
LATEST=$T/state/audit/latest.json
# --like: the newest version in the group is what the laggards miss.
expect_status 1 "--like over a group with a laggard exits 1" \
    dsc --json audit --like web
jq_ok "the group's three hosts are audited" \
    '[.hosts[].host] == ["web1","web2","web3"]'
jq_ok "web1 misses ds-conf 1:2.3-5" \
    '.hosts[0].findings == [{"kind":"missing","package":"ds-conf","have":"1:2.3-4","want":"1:2.3-5","detail":"ds-conf 1:2.3-4 is older than 1:2.3-5"}]'
jq_ok "web3 too" '.hosts[2].findings[0].package == "ds-conf"'
jq_ok "web2, the newest, is clean" '.hosts[1].findings == []'
jq_ok "the document has the audit schema" \
    '.schema == "driftsync/audit/v1" and (.run_id | test("^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$")) and (.generated | test("Z$"))'
dsc audit --like web web3 >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 1 ] && ok "--like with a host named: exit 1" || not_ok "--like with a host named: exit 1 ($rc)"
grep_ok "human output: the host and its finding" \
    '^web3 \(prod\): 1 finding$' "$T/out"
grep_ok "human output: what is missing" \
    '^  missing: ds-conf 1:2.3-4 is older than 1:2.3-5$' "$T/out"
grep_not "only the named host is reported" '^web[12] ' "$T/out"
expect_status 0 "--like a group whose hosts agree: clean, exit 0" \
    dsc audit --like other
grep_ok "and says so" '^web3 \(prod\): clean$' "$T/out"
expect_status 2 "--like an empty group exits 2" dsc audit --like nosuch
grep_ok "naming the group" "^driftsync: audit: no host in group 'nosuch'$" "$T/err"

# --expect: a patch bundle, JSON or name=version.
printf '{"ds-conf": "1:2.3-5", "ds-svc": "0.9~rc1-1", "+ds-needed": "1.0", "ds-optional": "2.0"}\n' >"$T/b.json"
expect_status 1 "--expect JSON: findings exit 1" dsc --json audit --expect "$T/b.json" web1 web2
jq_ok "web1: ds-conf below the bundle, ds-needed not installed" \
    '[.hosts[0].findings[] | [.package, .have, .want]] == [["ds-conf","1:2.3-4","1:2.3-5"],["ds-needed",null,"1.0"]]'
jq_ok "web2: only the required package that is absent" \
    '[.hosts[1].findings[].package] == ["ds-needed"] and (.hosts[1].findings[0].detail | test("not installed"))'
printf '# bundle\nds-conf = 1:2.3-4\nds-optional=2.0\n' >"$T/b.txt"
expect_status 0 "--expect name=version, all met: exit 0" dsc audit --expect "$T/b.txt" web1
grep_ok "clean" '^web1 \(prod\): clean$' "$T/out"
cp "$LATEST" "$T/latest.before"
i=0
for bad in '{"ds-conf": "1:2.3-5; reboot"}' '{"../../etc/passwd": "1.0"}' \
    'ds-conf 1:2.3-5' 'ds-conf=$(reboot)' '{"ds-conf": ["1.0"]}' \
    '{"ds-conf": "1.0", "ds-conf": "2.0"}' '# empty'; do
    i=$((i + 1))
    printf '%s\n' "$bad" >"$T/bad$i"
    expect_status 2 "bad bundle $i is refused (exit 2)" \
        dsc audit --expect "$T/bad$i" web1
    if [ "$(wc -l <"$T/err")" = 1 ] && grep -q "^driftsync: audit: $T/bad$i" "$T/err" &&
        [ ! -s "$T/out" ]; then
        ok "bad bundle $i: one line naming the file"
    else
        not_ok "bad bundle $i: one line naming the file"; diag "$(cat "$T/err")"
    fi
done
if cmp -s "$LATEST" "$T/latest.before"; then ok "a refused bundle leaves latest.json alone"; else
    not_ok "a refused bundle leaves latest.json alone"; fi
expect_status 2 "a missing bundle file exits 2" dsc audit --expect "$T/nope" web1
grep_ok "naming it" "$T/nope" "$T/err"
expect_status 2 "--expect and --like together exit 2" \
    dsc audit --expect "$T/b.txt" --like web

# The reboot flag and the packages that asked for it, read through the
# transport (under the root).
expect_status 1 "a root with /run/reboot-required: exit 1" dsc --json audit rb
jq_ok "the reboot finding names the flag and its packages (once each)" \
    '.hosts[0].findings == [{"kind":"reboot","path":"/run/reboot-required","packages":["libc6","openssl"],"detail":"/run/reboot-required exists (packages: libc6, openssl)"}]'
printf 'libc6\n$(reboot)\n' >"$T/rb/run/reboot-required.pkgs"
expect_status 2 "a hostile .pkgs file is an error of the host (exit 2)" dsc audit rb
grep_ok "naming host and file" '^driftsync: rb: /run/reboot-required.pkgs: ' "$T/err"
expect_status 0 "record rb" dsc record rb
expect_status 1 "--stored: the recorded reboot flag is a finding" \
    dsc --json audit --stored rb
jq_ok "as it was recorded (no process, no .pkgs read)" \
    '.hosts[0].findings == [{"kind":"reboot","detail":"a reboot was required when the manifest was collected"}]'

# The kernel: a root runs its newest kernel, so a host running an older
# one is audited from the store (a manifest recorded elsewhere).
expect_status 0 "record web1" dsc record web1
git --git-dir="$S" show HEAD:prod/web1.json |
    jq '.kernel.running = "6.1.0-25-amd64"' >"$T/web1-old-kernel.json"
expect_status 0 "import a web1 running an older kernel" \
    dsc record --from "$T/web1-old-kernel.json"
expect_status 1 "--stored: the older running kernel is found (exit 1)" \
    dsc --json audit --stored web1
jq_ok "reboot: running 6.1.0-25, newest installed 6.1.0-26" \
    '.source == "store" and .hosts[0].findings == [{"kind":"reboot","have":"6.1.0-25-amd64","want":"6.1.0-26-amd64","detail":"running kernel 6.1.0-25-amd64, newest installed 6.1.0-26-amd64"}]'
expect_status 0 "the live root runs its newest kernel: clean" dsc audit web1
expect_status 2 "--stored for a host never recorded exits 2" dsc audit --stored web2
grep_ok "naming it" '^driftsync: web2: no prod manifest in the store$' "$T/err"

# Drift since the lab was last recorded.
expect_status 1 "a prod host whose lab was never synced: exit 1" \
    dsc --json audit nolab
jq_ok "says so" '.hosts[0].findings[0].kind == "drift" and .hosts[0].findings[0].detail == "the lab was never synced"'
expect_status 0 "record db1" dsc record db1
git --git-dir="$S" show HEAD:prod/db1.json | jq '.role = "lab"' >"$T/db1-lab.json"
expect_status 0 "record db1's lab" dsc record --from "$T/db1-lab.json"
expect_status 0 "prod unchanged since the lab's record: clean" dsc audit db1
setver "$T/rd" ds-conf 1:2.3-5
expect_status 1 "prod changed since (live): drift, exit 1" dsc --json audit db1
jq_ok "the drift names the upgraded package" \
    '.hosts[0].findings == [{"kind":"drift","package":"ds-conf","have":"1:2.3-4","want":"1:2.3-5","detail":.hosts[0].findings[0].detail}] and (.hosts[0].findings[0].detail | test("^ds-conf .*1:2.3-4.*1:2.3-5.* \\(package-upgraded\\) since the lab was last synced$"))'
expect_status 0 "stored prod still as at the lab's record: clean" dsc audit --stored db1
expect_status 0 "record the changed db1" dsc record db1
expect_status 1 "--stored sees the drift once recorded" dsc --json audit --stored db1
jq_ok "the same package" '[.hosts[0].findings[].package] == ["ds-conf"]'
expect_status 0 "--lab --stored audits the lab manifest" dsc --json audit --lab --stored db1
jq_ok "as a lab, without drift" '.hosts == [{"host":"db1","role":"lab","findings":[]}]'
expect_status 2 "--lab for a host without a lab exits 2" dsc audit --lab web1

# A host that cannot be collected: named, the others still audited, exit 2.
expect_status 2 "an uncollectable host makes the run exit 2" \
    dsc --json audit broken web2
grep_ok "the failure names the host" '^driftsync: broken: ' "$T/err"
jq_ok "the other host is still audited, the failed one carries its error" \
    '.hosts[0].host == "broken" and (.hosts[0].error | test("broken")) and .hosts[1] == {"host":"web2","role":"prod","findings":[]}'
if jq -e '.hosts[1].host == "web2"' "$LATEST" >/dev/null &&
    [ -z "$(find "$T/state/audit" -type f ! -name latest.json)" ]; then
    ok "latest.json holds the last run, no temporary file left"
else
    not_ok "latest.json holds the last run, no temporary file left"
fi
expect_status 2 "an unknown host exits 2" dsc audit nosuch
grep_ok "naming it" 'nosuch: no such host' "$T/err"

# Restart pending, for real on this machine: a copy of sleep in a code
# directory, started, then deleted while it runs.
if [ "$(id -u)" != 0 ] || ! [ -w /usr/local/lib ]; then
    for n in 1 2 3 4 5; do skip "restart checks need root (to write /usr/local/lib)"; done
else
    D=$(mktemp -d /usr/local/lib/driftsync-test-XXXXXX)
    kill_sleeper() {
        for p in ${SLEEPER:-} ${LIBUSER:-}; do kill "$p" 2>/dev/null; done
        rm -rf "$D"
    }
    at_exit kill_sleeper
    cp /bin/sleep "$D/sleeper"
    "$D/sleeper" 120 &
    SLEEPER=$!
    # and a process mapping a deleted library (its executable stays)
    for z in /usr/lib/*/libz.so.1 /lib/*/libz.so.1; do [ -f "$z" ] && break; done
    cp "$z" "$D/libdstest.so.1"
    LD_PRELOAD="$D/libdstest.so.1" /bin/sleep 120 &
    LIBUSER=$!
    wait_exe "$SLEEPER" "$D/sleeper"
    wait_for "pid $LIBUSER to map the library" grep -q "$D/libdstest.so.1" "/proc/$LIBUSER/maps"
    rm -rf "$D"
    dsc --json audit here >"$T/out" 2>"$T/err"; rc=$?
    [ $rc = 1 ] && ok "a process running a deleted executable: exit 1" ||
        { not_ok "a process running a deleted executable: exit 1 ($rc)"; diag "$(cat "$T/err")"; }
    jq_ok "its pid and path are found" \
        "[.hosts[0].findings[] | select(.kind == \"restart\" and .pid == $SLEEPER)] | length == 1 and .[0].path == \"$D/sleeper\""
    jq_ok "the deleted library is found in the other process, not its executable" \
        "[.hosts[0].findings[] | select(.pid == $LIBUSER) | .path] == [\"$D/libdstest.so.1\"]"
    dsc audit here >"$T/out" 2>"$T/err"
    grep_ok "human output names pid and path" "^  restart: .*pid ([0-9]+ )*$SLEEPER( [0-9]+)*\)?: $D/sleeper\$" "$T/out"
    kill "$SLEEPER"; wait "$SLEEPER" 2>/dev/null; SLEEPER=
    dsc --json audit here >"$T/out" 2>"$T/err"
    jq_ok "once it is gone, so is the finding" \
        "[.hosts[0].findings[] | select(.path == \"$D/sleeper\")] == []"
fi
done_testing
