#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/notify-audit.sh: `driftsync audit` with [notify]
# audit = yes against real local HTTP servers (one python program): one
# that records each request and answers 200, one that always answers 500,
# and a closed port.  The hosts are Debian roots built with real dpkg
# (local:DIR), audited live and from the store.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/webhook.sh"

require_cmds jq git python3 dpkg-deb

sh "$DATA/dpkg/mkroot.sh" "$T/base" >/dev/null 2>&1 || {
    echo "1..1"; echo "not ok 1 - building the Debian root (mkroot.sh)"; exit 1; }
setver() { # ROOT PACKAGE VERSION: what dpkg says is installed
    sed -i "/^Package: $2\$/,/^\$/s/^Version: .*/Version: $3/" \
        "$1/var/lib/dpkg/status"
}
for r in r1 r2 rb; do cp -a "$T/base/root" "$T/$r"; done
setver "$T/r2" ds-conf 1:2.3-5
mkdir -p "$T/rb/run"
: >"$T/rb/run/reboot-required"
printf 'libc6\n' >"$T/rb/run/reboot-required.pkgs"
printf 'ds-conf = 1:2.3-5\n' >"$T/bundle"

start_webhook
PORT=$WEBHOOK_PORT DEAD=$WEBHOOK_DEAD

SECRET=s3cr3t-t0ken
conf() { # FILE [NOTIFY LINES...]: the hosts, then [notify] with the lines
    f=$1; shift
    cat >"$f" <<CONF
[store]
path = $T/store
state = $T/state

[host web1]
source = local:$T/r1

[host web2]
source = local:$T/r2

[host rb]
source = local:$T/rb

[host broken]
source = local:$T/does-not-exist

[host lab1]
source = local:$T/r1
lab = lab1-lab

[notify]
retry-delay = 0
CONF
    for l in "$@"; do printf '%s\n' "$l" >>"$f"; done
}
OKURL="http://hook:$SECRET@127.0.0.1:$PORT/ok/$SECRET?token=$SECRET"
DOWNURL="http://user:$SECRET@127.0.0.1:$PORT/down/$SECRET?k=$SECRET"
conf "$T/ok.conf" "webhook = $OKURL" "audit = yes"
conf "$T/down.conf" "webhook = $DOWNURL" "audit = yes"
conf "$T/dead.conf" "webhook = http://127.0.0.1:$DEAD/x?k=$SECRET" "audit = true"
conf "$T/no.conf" "webhook = $OKURL" "audit = no"
conf "$T/default.conf" "webhook = $OKURL"
conf "$T/nohook.conf" "audit = yes"
check "init the store" ds --config "$T/ok.conf" init
nreq() { find "$T" -maxdepth 1 -name 'req-*.json' | wc -l; }
# no_secret WHAT: neither stdout nor stderr shows the URL's secret parts
no_secret() {
    if grep -q -- "$SECRET" "$T/out" "$T/err"; then
        not_ok "$1: no credentials, path or query of the URL in the output"
        diag "$(grep -- "$SECRET" "$T/out" "$T/err")"
    else ok "$1: no credentials, path or query of the URL in the output"; fi
}
# one_warning WHAT PATTERN: stderr has exactly one warning, matching
one_warning() {
    if [ "$(grep -c warning "$T/err")" = 1 ] && grep -Eq -- "$2" "$T/err"; then
        ok "$1"; else not_ok "$1"; diag "$(cat "$T/err")"; fi
}

# ---- findings: one POST with the run's summary ----
expect_status 1 "audit with findings and a webhook: exit 1" \
    ds --config "$T/ok.conf" audit --expect "$T/bundle" web1 web2 rb
REQ=$T/req-ok-1.json
check "one request was posted" test "$(nreq)" = 1 -a -e "$REQ"
grep_ok "as application/json" '^Content-Type: application/json$' "$T/req-ok-1.hdr"
grep_ok "to the webhook's full URL" "^path /ok/$SECRET\?token=$SECRET\$" "$T/req-ok-1.hdr"
check "the body is JSON" jq -e . "$REQ"
check "kind audit, prod, live, exit 1" jq -e \
    '.kind == "audit" and .format == "driftsync/notify/v1" and .role == "prod" and .source == "live" and .exit == 1' "$REQ"
check "text is one line naming the hosts with findings" jq -e \
    '.text == "driftsync audit: 3 hosts, 2 with findings (web1: 1 missing; rb: 1 missing, 1 reboot), 0 errors"' "$REQ"
check "hosts: each with its count of findings, by kind" jq -e \
    '.hosts == [{"host":"web1","role":"prod","findings":1,"kinds":{"missing":1}},
                {"host":"web2","role":"prod","findings":0,"kinds":{}},
                {"host":"rb","role":"prod","findings":2,"kinds":{"missing":1,"reboot":1}}]' "$REQ"
check "summary" jq -e \
    '.summary == {"hosts":3,"clean":1,"with_findings":2,"errors":0}' "$REQ"
RUN=$(jq -r .run_id "$T/state/audit/latest.json")
check "run_id is the audit document's" jq -e --arg r "$RUN" '.run_id == $r' "$REQ"
grep_not "no warning" 'warning' "$T/err"
grep_ok "the human output is still printed" '^rb \(prod\): 2 findings$' "$T/out"
no_secret "webhook answering 200"

# ---- --json: the document carries the outcome ----
expect_status 1 "--json audit with a webhook: exit 1" \
    ds --config "$T/ok.conf" --json audit --expect "$T/bundle" web1
check "a second request" test "$(nreq)" = 2 -a -e "$T/req-ok-2.json"
check "the document says it was sent" jq -e \
    '.notify == {"sent": true, "attempts": 1, "status": 200, "error": null}' "$T/out"
check "and is still the audit document" jq -e \
    '.schema == "driftsync/audit/v1" and .hosts[0].host == "web1" and (.hosts[0].findings | length) == 1' "$T/out"
check "the payload of a single host" jq -e \
    '.text == "driftsync audit: 1 host, 1 with findings (web1: 1 missing), 0 errors" and .summary.hosts == 1' "$T/req-ok-2.json"

# ---- clean: exit 0, still notified ----
expect_status 0 "a clean audit: exit 0" ds --config "$T/ok.conf" -v audit web2
check "notified" jq -e \
    '.text == "driftsync audit: 1 host, 0 with findings, 0 errors" and .exit == 0 and .summary.clean == 1' "$T/req-ok-3.json"
grep_ok "-v says so" '^audit: notified the webhook \(1 attempt\)$' "$T/err"

# ---- a host that cannot be audited: counted as an error ----
expect_status 2 "an uncollectable host: exit 2" \
    ds --config "$T/ok.conf" audit --expect "$T/bundle" web2 broken
check "notified" test "$(nreq)" = 4
check "the error is in the payload" jq -e \
    '.exit == 2 and .summary == {"hosts":2,"clean":1,"with_findings":0,"errors":1} and (.hosts[1] | .host == "broken" and (.error | test("^broken: ")))' \
    "$T/req-ok-4.json"
check "text names the host once, with the cause" jq -e \
    '.text | test("^driftsync audit: 2 hosts, 0 with findings, 1 error \\(broken: [^;]+\\)$") and (test("broken: broken") | not)' \
    "$T/req-ok-4.json"

# ---- --stored, and --lab ----
expect_status 0 "record rb" ds --config "$T/ok.conf" record rb
expect_status 1 "--stored: the recorded reboot flag, exit 1" \
    ds --config "$T/ok.conf" audit --stored rb
check "a --stored audit notifies too" jq -e \
    '.source == "store" and .hosts == [{"host":"rb","role":"prod","findings":1,"kinds":{"reboot":1}}] and .exit == 1' \
    "$T/req-ok-5.json"
expect_status 0 "record lab1" ds --config "$T/ok.conf" record lab1
git --git-dir="$T/store" show HEAD:prod/lab1.json | jq '.role = "lab"' >"$T/lab1.json"
expect_status 0 "record lab1's lab" ds --config "$T/ok.conf" record --from "$T/lab1.json"
n=$(nreq)
expect_status 0 "--lab --stored: clean" ds --config "$T/ok.conf" audit --lab --stored lab1
check "the payload says lab" jq -e \
    '.role == "lab" and .hosts[0].role == "lab" and .text == "driftsync audit (lab): 1 host, 0 with findings, 0 errors"' \
    "$T/req-ok-$((n + 1)).json"

# ---- no POST: audit = no, no audit key, no webhook, no host audited ----
n=$(nreq)
expect_status 1 "audit = no: exit 1" ds --config "$T/no.conf" audit --expect "$T/bundle" web1
check "audit = no: nothing posted" test "$(nreq)" = "$n"
expect_status 1 "no audit key: exit 1" ds --config "$T/default.conf" --json audit --expect "$T/bundle" web1
check "no audit key: nothing posted" test "$(nreq)" = "$n"
check "and no notify member" jq -e 'has("notify") | not' "$T/out"
expect_status 1 "audit = yes without a webhook: exit 1" ds --config "$T/nohook.conf" audit --expect "$T/bundle" web1
check "without a webhook: nothing posted" test "$(nreq)" = "$n"
grep_not "and no warning" 'warning' "$T/err"
expect_status 2 "an unknown host: exit 2" ds --config "$T/ok.conf" audit nosuch
check "an unknown host: nothing posted" test "$(nreq)" = "$n"
printf 'ds-conf 1:2.3-5\n' >"$T/bad-bundle"
expect_status 2 "a bad bundle: exit 2" ds --config "$T/ok.conf" audit --expect "$T/bad-bundle"
check "a bad bundle: nothing posted" test "$(nreq)" = "$n"
conf "$T/bad.conf" "webhook = $OKURL" "audit = maybe"
expect_status 2 "audit = maybe is refused" ds --config "$T/bad.conf" audit web1
grep_ok "naming the key" '\[notify\] audit: expected true or false' "$T/err"
no_secret "a bad audit value"

# ---- a webhook that always answers 500: exit unchanged, one warning ----
expect_status 1 "a failing webhook: exit 1 unchanged" \
    ds --config "$T/down.conf" audit --expect "$T/bundle" web1 web2 rb
check "three attempts" test -e "$T/req-down-3.json" -a ! -e "$T/req-down-4.json"
check "the same body each time" cmp "$T/req-down-1.json" "$T/req-down-3.json"
one_warning "one warning naming the redacted URL, status and attempts" \
    "^driftsync: warning: webhook http://127\.0\.0\.1:$PORT/\.\.\.: not notified: HTTP status 500 \(after 3 attempts\)$"
grep_ok "the human output is still printed" '^web1 \(prod\): 1 finding$' "$T/out"
no_secret "webhook answering 500"
expect_status 1 "--json, failing webhook: exit 1 unchanged" \
    ds --config "$T/down.conf" --json audit --expect "$T/bundle" web1
check "the document says it was not sent" jq -e \
    '.notify.sent == false and .notify.attempts == 3 and .notify.status == 500 and (.notify.error | test("HTTP status 500"))' \
    "$T/out"
no_secret "--json, webhook answering 500"
expect_status 2 "a failing webhook on an audit that errs: exit 2 unchanged" \
    ds --config "$T/down.conf" audit broken
check "it was tried" test -e "$T/req-down-9.json"
grep_not "no secret in latest.json" "$SECRET" "$T/state/audit/latest.json"

# ---- nothing listening, on a clean audit: exit 0 stays 0 ----
expect_status 0 "a dead webhook on a clean audit: exit 0" \
    ds --config "$T/dead.conf" audit web2
one_warning "one warning naming the redacted URL and the connection failure" \
    "^driftsync: warning: webhook http://127\.0\.0\.1:$DEAD/\.\.\.: not notified: .*[Cc]onnect.*\(after 3 attempts\)$"
grep_ok "the result is still printed" '^web2 \(prod\): clean$' "$T/out"
no_secret "a dead webhook"

done_testing
