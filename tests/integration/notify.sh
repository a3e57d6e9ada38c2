#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/notify.sh: `driftsync mirror` with [notify] webhook
# against real local HTTP(S) servers (one python program): one that
# records each request, one that answers 500 then 200, one that always
# answers 500, one that never answers (timeout), a TLS one with a test CA,
# and a closed port.  Prod is a Debian root built with real dpkg
# (local:DIR), the lab a domain of libvirt's test driver.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/webhook.sh"

require_cmds jq git python3 dpkg-deb openssl

sh "$DATA/dpkg/mkroot.sh" "$T/r1" >/dev/null 2>&1 || {
    echo "1..1"; echo "not ok 1 - building the Debian root (mkroot.sh)"; exit 1; }
ROOT=$T/r1/root

# A CA and a certificate for 127.0.0.1 (as tests/integration/https.sh).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ca.key" -out "$T/ca.pem" -subj /CN=notify-test-ca -days 2 \
    -addext 'basicConstraints=critical,CA:TRUE' 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/server.key" -out "$T/server.csr" -subj /CN=127.0.0.1 \
    2>/dev/null
printf '%s\n' 'subjectAltName=IP:127.0.0.1' 'basicConstraints=CA:FALSE' \
    'extendedKeyUsage=serverAuth' >"$T/ext"
openssl x509 -req -in "$T/server.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -out "$T/server.pem" -days 2 -extfile "$T/ext" 2>/dev/null

start_webhook "$T/server.pem" "$T/server.key"
PORT=$WEBHOOK_PORT TLSPORT=$WEBHOOK_TLS_PORT DEAD=$WEBHOOK_DEAD

conf() { # FILE WEBHOOK [HOSTS] [EXTRA [notify] LINES...]
    f=$1 url=$2 hosts=$3; shift 3
    cat >"$f" <<CONF
[store]
path = $T/store
state = $T/state

[lab]
uri = test://$DATA/snapshot-node.xml
CONF
    case $hosts in *web01*)
        printf '\n[host web01]\nsource = local:%s\nlab = lab-web01\n' "$ROOT" >>"$f" ;;
    esac
    printf '\n[host nolab]\nsource = local:%s\n' "$ROOT" >>"$f"
    printf '\n[notify]\nwebhook = %s\nretry-delay = 0\n' "$url" >>"$f"
    for l in "$@"; do printf '%s\n' "$l" >>"$f"; done
}
SECRET=s3cr3t-t0ken
conf "$T/ok.conf" "http://hook:$SECRET@127.0.0.1:$PORT/ok/$SECRET?token=$SECRET" web01
check "init the store" ds --config "$T/ok.conf" init

# ---- a webhook that answers 200 ----
expect_status 1 "mirror with a webhook: web01's lab fails (no agent), exit 1" \
    ds --config "$T/ok.conf" mirror
REQ=$T/req-ok-1.json
check "one request was posted" test -e "$REQ" -a ! -e "$T/req-ok-2.json"
grep_ok "as application/json" '^Content-Type: application/json$' "$T/req-ok-1.hdr"
grep_ok "to the webhook's path" "^path /ok/$SECRET\?token=$SECRET\$" "$T/req-ok-1.hdr"
check "the body is JSON" jq -e . "$REQ"
check "text says what happened" jq -e \
    '.text | test("^driftsync mirror: 0 synced, 0 in sync, 1 failed \\(web01: .+\\), 1 skipped \\[run [0-9TZ]+-[0-9a-f]{8}\\]$")' "$REQ"
RUN=$(jq -r .run_id "$T/state/reports/latest.json")
check "run_id is the report's" jq -e --arg r "$RUN" '.run_id == $r' "$REQ"
check "summary counts" jq -e '.summary.failed == 1 and .summary.skipped == 1 and .summary.recorded == 2' "$REQ"
check "labs: web01 failed with a reason" jq -e \
    '.labs[0] | .host == "web01" and .status == "failed" and (.reason | length > 0)' "$REQ"
check "labs: nolab skipped" jq -e '.labs[1] | .host == "nolab" and .status == "skipped"' "$REQ"
check "exit code in the payload" jq -e '.exit == 1' "$REQ"
check "the report records the notification" jq -e \
    '.notify == {"sent": true, "attempts": 1, "status": 200, "error": null}' \
    "$T/state/reports/latest.json"
check "the run's own report too" jq -e '.notify.sent' "$T/state/reports/mirror-$RUN.json"
grep_not "no warning" 'warning' "$T/err"
grep_ok "engine lines carry the run id (stderr is no terminal)" \
    "^driftsync\[$RUN\] web01: " "$T/err"

# ---- 500 then 200: a second attempt ----
conf "$T/flaky.conf" "http://127.0.0.1:$PORT/flaky" web01
expect_status 1 "a webhook answering 500 then 200: exit unchanged" \
    ds --config "$T/flaky.conf" mirror
check "two requests" test -e "$T/req-flaky-2.json" -a ! -e "$T/req-flaky-3.json"
check "the same body both times" cmp "$T/req-flaky-1.json" "$T/req-flaky-2.json"
check "report: sent after 2 attempts" jq -e \
    '.notify.sent == true and .notify.attempts == 2' "$T/state/reports/latest.json"
grep_not "no warning" 'warning' "$T/err"

# ---- always 500, with credentials in the URL: 3 attempts, one warning ----
conf "$T/down.conf" "https://user:$SECRET@127.0.0.1:$TLSPORT/down/$SECRET?k=$SECRET" web01 \
    "ca-file = $T/ca.pem"
expect_status 1 "a failing https webhook: exit unchanged" ds --config "$T/down.conf" mirror
check "three attempts over TLS" test -e "$T/req-down-3.json" -a ! -e "$T/req-down-4.json"
check "one warning line" test "$(grep -c warning "$T/err")" = 1
grep_ok "naming the status and attempts" \
    "warning: webhook https://127\.0\.0\.1:$TLSPORT/\.\.\.: not notified: HTTP status 500 \(after 3 attempts\)" "$T/err"
grep_not "no secret on stderr" "$SECRET" "$T/err"
grep_not "no secret on stdout" "$SECRET" "$T/out"
grep_not "no secret in the report" "$SECRET" "$T/state/reports/latest.json"
check "report: not sent" jq -e \
    '.notify.sent == false and .notify.attempts == 3 and .notify.status == 500 and (.notify.error | test("HTTP status 500"))' \
    "$T/state/reports/latest.json"

# ---- TLS verified: without the CA the certificate is refused ----
conf "$T/noca.conf" "https://127.0.0.1:$TLSPORT/ok" web01 "attempts = 1"
expect_status 1 "an untrusted certificate: exit unchanged" ds --config "$T/noca.conf" mirror
check "nothing was posted past the handshake" test ! -e "$T/req-ok-2.json"
grep_ok "one warning naming the TLS failure" \
    'warning: webhook https://127\.0\.0\.1:[0-9]+/\.\.\.: not notified: .*(SSL|certificate|TLS).*\(after 1 attempt\)' "$T/err"

# ---- a webhook that never answers: the timeout ----
conf "$T/hang.conf" "http://127.0.0.1:$PORT/hang" web01 "timeout = 1" "attempts = 2"
start=$(date +%s)
expect_status 1 "a hanging webhook: exit unchanged" ds --config "$T/hang.conf" mirror
took=$(( $(date +%s) - start ))
# The server holds each request 20 s: one untimed try alone would take
# longer than the whole run.
check "it gave up after 2 tries of 1 s (took ${took} s)" test "$took" -lt 20
check "two requests reached it" test -e "$T/req-hang-2.json" -a ! -e "$T/req-hang-3.json"
grep_ok "the warning says it timed out" 'not notified: timed out \(after 2 attempts\)' "$T/err"

# ---- a dead port, on a run that succeeds: exit 0 stays 0 ----
conf "$T/dead.conf" "http://127.0.0.1:$DEAD/x" nolab
expect_status 0 "a dead webhook on a clean run: still exit 0" ds --config "$T/dead.conf" mirror
check "one warning line" test "$(grep -c warning "$T/err")" = 1
grep_ok "it names the connection failure" 'not notified: .*[Cc]onnect.*\(after 3 attempts\)' "$T/err"
grep_ok "the summary is still printed" '^mirror: 1 host recorded, 0 synced, 0 in sync, 0 failed, 1 skipped; report in ' "$T/out"

# ---- --dry-run does not notify; a bad webhook in the config ----
rm -f "$T"/req-ok-*
expect_status 1 "--dry-run" ds --config "$T/ok.conf" mirror --dry-run
check "does not notify" test ! -e "$T/req-ok-1.json"
conf "$T/bad.conf" "ftp://user:$SECRET@example.com/" web01
expect_status 2 "an ftp:// webhook is refused" ds --config "$T/bad.conf" mirror
grep_ok "naming the key" 'webhook: expected an https:// or http:// URL' "$T/err"
grep_not "without showing it" "$SECRET" "$T/err"

done_testing
