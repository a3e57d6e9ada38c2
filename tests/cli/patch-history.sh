#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/patch-history.sh: the patch cycle read from a real store's
# history: audit's `pending` finding for a security update (not for an
# ordinary one) and `overdue` past [patches] security-sla; the report's
# patches section (pending per host, the oldest age, overdue ones, the
# bundles and where they are deployed, time-to-patch) once prod has
# installed the bundle and the lab has it too.  Ages count from when a
# state was collected (collected_at), as `patches` counts them.
. "$DS_SRCDIR/tests/setup.sh"
require_cmds jq git

cat >"$T/ds.conf" <<CONF
[store]
path = $T/store
state = $T/state

[host web01]
source = local:
CONF
sed 's/^\[host web01\]$/[patches]\nsecurity-sla = 1s\n\n&/' "$T/ds.conf" >"$T/sla.conf"
dsc() { ds --config "$T/ds.conf" "$@"; }
TOOL=$DS_BUILDDIR/tests/tools/store-tool
dsc init >/dev/null
mkdir -p "$T/m1" "$T/m2" "$T/lab"
jq '.pending = {"openssl": {"version": "3.0.16-1~deb12u1", "origin": "Debian", "suite": "bookworm-security", "security": true},
                "curl": {"version": "7.88.1-10+deb12u9", "origin": "Debian", "suite": "bookworm", "security": false}}
    | .collected_at = (now - 30 | todate)' \
    "$DATA/good/web01.json" >"$T/m1/web01.json"
check "prod with a security and an ordinary update pending" "$TOOL" commit "$T/store" "$T/m1/web01.json"

expect_status 1 "audit: a security update pending is a finding" dsc --json audit --stored web01
jq_ok "one pending finding, for openssl, with both versions" \
    '[.hosts[0].findings[] | select(.kind == "pending")] == [.hosts[0].findings[] | select(.kind == "pending" and .package == "openssl" and .have == "3.0.15-1~deb12u1" and .want == "3.0.16-1~deb12u1")] and ([.hosts[0].findings[] | select(.kind == "pending")] | length == 1)'
jq_ok "the ordinary update is no finding" '[.hosts[0].findings[] | select(.package == "curl")] | length == 0'
expect_status 1 "audit, human" dsc audit --stored web01
grep_ok "names origin and suite and the age" '^  pending: openssl 3.0.15-1~deb12u1 -> 3.0.16-1~deb12u1 \(Debian:bookworm-security\) pending for [0-9]+s' "$T/out"
sleep 2
expect_status 1 "audit past the security SLA" ds --config "$T/sla.conf" --json audit --stored web01
jq_ok "overdue instead of pending" \
    '[.hosts[0].findings[] | select(.package == "openssl") | .kind] == ["overdue"]'
expect_status 1 "overdue, human" ds --config "$T/sla.conf" audit --stored web01
grep_ok "says it is over the SLA" 'overdue: openssl .* pending for [0-9]+s, over the security SLA of 1s' "$T/out"
check "a bad SLA is refused" sh -c "sed 's/= 1s/= soon/' '$T/sla.conf' >'$T/bad.conf'; ! '$DRIFTSYNC' --config '$T/bad.conf' audit --stored web01 2>'$T/bad.err'"
grep_ok "naming the key" '\[patches\] security-sla: expected a duration such as 30m, 12h, 7d or 2w' "$T/bad.err"

expect_status 0 "report while pending" ds --config "$T/sla.conf" report --output "$T/r1"
cp "$T/r1/report.json" "$T/out"
jq_ok "patches: web01 has 1 security, 1 other pending, 1 overdue" \
    '.patches.hosts.web01 | .security == 1 and .other == 1 and .overdue == 1 and .oldest_pending_s >= 2'
jq_ok "nothing installed yet: no latency" '.patches.latency.count == 0'
grep_ok "the page has a patches section" 'id="patches-table"' "$T/r1/report.html"

# The trial's bundle, then prod installs it, then the lab gets it.
jq -n '{schema: "driftsync/bundle/v1", name: "sec1", host: "web01", lab: "web01-lab",
        run: "20261202T101500Z-00000001", tested_at: (now | todate), passed: true,
        security_only: true, packages: {openssl: "3.0.16-1~deb12u1"},
        checks: [{command: "true", status: 0, seconds: 0.1}]}' >"$T/sec1.json"
check "the bundle is stored" "$TOOL" bundle "$T/store" "$T/sec1.json"
sleep 1
jq '.packages.openssl.version = "3.0.16-1~deb12u1" | del(.pending.openssl) | .collected_at = (now | todate)' "$T/m1/web01.json" >"$T/m2/web01.json"
check "prod has installed it" "$TOOL" commit "$T/store" "$T/m2/web01.json"
jq '.role = "lab" | del(.pending)' "$T/m2/web01.json" >"$T/lab/web01.json"
check "the lab has it" "$TOOL" commit "$T/store" "$T/lab/web01.json"

expect_status 0 "audit --bundle: deployed, nothing security pending" dsc audit --stored --bundle sec1 web01
expect_status 0 "report after the rollout" dsc report --output "$T/r2"
cp "$T/r2/report.json" "$T/out"
jq_ok "only the ordinary update is pending" '.patches.hosts.web01 | .security == 0 and .other == 1 and .overdue == 0'
jq_ok "one patch installed, its time-to-patch at least a second" \
    '.patches.latency.count == 1 and .patches.latency.median_s >= 1 and .patches.latency.worst_s == .patches.latency.median_s'
jq_ok "the openssl event: pending, tested in sec1, installed, the lab got it" \
    '[.patches.events[] | select(.package == "openssl")][0] | .security and .bundle == "sec1" and .tested != null and .installed != null and .lab != null and .version == "3.0.16-1~deb12u1" and (.pending_since <= .installed)'
M1_AT=$(jq -r .collected_at "$T/m1/web01.json")
M2_AT=$(jq -r .collected_at "$T/m2/web01.json")
jq_ok "pending since prod's state was collected, installed when the next was (not the commits' times)" \
    '[.patches.events[] | select(.package == "openssl")][0] | .pending_since == "'"$M1_AT"'" and .installed == "'"$M2_AT"'"'
jq_ok "the curl event is still open" \
    '[.patches.events[] | select(.package == "curl")][0] | .installed == null and (.security | not)'
jq_ok "the bundle is deployed on web01" '.patches.bundles == [{"name": "sec1", "host": "web01", "tested_at": .patches.bundles[0].tested_at, "packages": 1, "security_only": true, "deployed_on": ["web01"]}]'
grep_ok "the page lists the bundle" '<th scope="row">sec1</th><td>web01</td>' "$T/r2/report.html"
done_testing
