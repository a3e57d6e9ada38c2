#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/https.sh: the https source against a real TLS server
# on 127.0.0.1 (a CA and a certificate made here): verification, size and
# time limits, plain http only when allowed, credentials from a file.
. "$DS_SRCDIR/tests/setup.sh"

TOOL="$DS_BUILDDIR/tests/tools/transport-tool"
# The test program, under valgrind with DS_VALGRIND=1.
tool_bin() { ds_run "$TOOL" "$@"; }
plan 46

require_cmds openssl python3

# A CA, and a server certificate for 127.0.0.1 and localhost.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ca.key" -out "$T/ca.pem" -days 2 -subj /CN=driftsync-test-ca \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/server.key" -out "$T/server.csr" -subj /CN=127.0.0.1 \
    2>/dev/null
printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
    'basicConstraints=CA:FALSE' 'extendedKeyUsage=serverAuth' >"$T/ext"
openssl x509 -req -in "$T/server.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -out "$T/server.pem" -days 2 -extfile "$T/ext" 2>/dev/null
check "test certificates made" openssl verify -CAfile "$T/ca.pem" \
    "$T/server.pem"

TOKEN="s3cr3t-token-$$-XYZ"
mkdir "$T/www"
printf '{"host": "web01", "packages": {}}\n' >"$T/www/web01.json"
head -c 2000000 /dev/urandom >"$T/www/big"
printf 'Bearer %s\n' "$TOKEN" >"$T/auth-bearer"
printf 'Bearer wrong-%s\n' "$TOKEN" >"$T/auth-wrong"
printf 'admin:pa55:word\n' >"$T/auth-basic"
printf 'just-a-token\n' >"$T/auth-bad"
chmod 600 "$T"/auth-*

# One python program: the TLS server, a plain http server, and a listener
# that accepts and never answers.  Ports go to $T/ports; gone after 240 s.
cat >"$T/server.py" <<'EOF'
import base64, http.server, os, socket, ssl, sys, threading, time
T, token = sys.argv[1], sys.argv[2]
www = os.path.join(T, "www")
threading.Timer(240, lambda: os._exit(0)).start()

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def log_message(self, fmt, *args):
        with open(os.path.join(T, "server.log"), "a") as f:
            f.write("%s %s\n" % (self.path, self.headers.get("Authorization", "-")))
    def send_body(self, body, length=True, code=200):
        self.send_response(code)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        p = self.path
        auth = self.headers.get("Authorization", "")
        if p == "/bearer.json":
            if auth != "Bearer " + token:
                return self.send_body(b"denied\n", code=401)
            p = "/web01.json"
        if p == "/basic.json":
            want = "Basic " + base64.b64encode(b"admin:pa55:word").decode()
            if auth != want:
                return self.send_body(b"denied\n", code=401)
            p = "/web01.json"
        if p == "/to-http":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:%d/web01.json" % plain.server_port)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if p == "/stall":  # headers read, answer never comes
            time.sleep(30)
            return
        if p in ("/moved", "/loop"):
            self.send_response(302)
            self.send_header("Location", "/web01.json" if p == "/moved" else "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if p == "/error":
            return self.send_body(b"oops\n", code=503)
        name = os.path.join(www, p.lstrip("/").replace("/", "_"))
        stream = p == "/big-stream"
        if stream:
            name = os.path.join(www, "big")
        if not os.path.isfile(name):
            return self.send_body(b"not found\n", code=404)
        with open(name, "rb") as f:
            self.send_body(f.read(), length=not stream)

def serve(srv):
    threading.Thread(target=srv.serve_forever, daemon=True).start()

tls = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(T, "server.pem"), os.path.join(T, "server.key"))
tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
serve(tls); serve(plain)
mute = socket.socket(); mute.bind(("127.0.0.1", 0)); mute.listen(8)
with open(os.path.join(T, "ports.tmp"), "w") as f:
    f.write("%d %d %d\n" % (tls.server_port, plain.server_port, mute.getsockname()[1]))
os.rename(os.path.join(T, "ports.tmp"), os.path.join(T, "ports"))
held = []
while True:
    held.append(mute.accept())
EOF
python3 "$T/server.py" "$T" "$TOKEN" 2>"$T/server.err" &
SERVER_PID=$!
stop_server() { kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; }
at_exit stop_server
wait_for "the servers' ports" test -e "$T/ports"
if [ -e "$T/ports" ]; then ok "servers started"; else
    not_ok "servers did not start"; diag "$(cat "$T/server.err")"; exit 1; fi
read -r PORT PLAIN MUTE <"$T/ports"
BASE="https://127.0.0.1:$PORT"

# Generous limits for the normal cases; the timeout case sets its own.
tool() { tool_bin --host web01 --connect-timeout 10000 --timeout 20000 "$@"; }

# 1. Verification.
expect_status 0 "valid certificate with the CA file" tool --ca-file \
    "$T/ca.pem" "$BASE/web01.json" fetch
check "the body is returned exactly" cmp "$T/out" "$T/www/web01.json"
expect_status 0 "the certificate's DNS name works too" tool --ca-file \
    "$T/ca.pem" "https://localhost:$PORT/web01.json" fetch
expect_status 101 "default CA store: refused" tool "$BASE/web01.json" fetch
grep_ok "translated certificate error" \
    "^transport-tool: web01: $BASE/web01.json: SSL certificate problem: unable to get local issuer certificate$" \
    "$T/err"
check "nothing on stdout when refused" test ! -s "$T/out"

# 2. Size limits: announced (Content-Length) and streamed.
expect_status 0 "a body under the limit" tool --ca-file "$T/ca.pem" \
    --max-output 3000000 "$BASE/big" fetch
check "big body intact" cmp "$T/out" "$T/www/big"
expect_status 106 "announced body over the limit" tool --ca-file \
    "$T/ca.pem" --max-output 100000 "$BASE/big" fetch
grep_ok "size error" "^transport-tool: web01: $BASE/big: body over 100000 bytes$" \
    "$T/err"
expect_status 106 "streamed body over the limit" tool --ca-file \
    "$T/ca.pem" --max-output 100000 "$BASE/big-stream" fetch
grep_ok "streamed size error" "body over 100000 bytes" "$T/err"

# 3. A server that accepts and never answers.
t0=$(date +%s%N)
expect_status 105 "silent server: timed out" tool --ca-file "$T/ca.pem" \
    --connect-timeout 2000 --timeout 2000 "https://127.0.0.1:$MUTE/web01.json" fetch
ms=$((($(date +%s%N) - t0) / 1000000))
diag "reported after $ms ms: $(cat "$T/err")"
check "within the 2 s limit (+slack for a loaded machine)" test "$ms" -lt 8000
grep_ok "timeout named" "web01: https://127.0.0.1:$MUTE/web01.json: .*[Tt]imed out" \
    "$T/err"

t0=$(date +%s%N)
expect_status 105 "server that never answers the request: timed out" tool \
    --ca-file "$T/ca.pem" --timeout 2000 "$BASE/stall" fetch
ms=$((($(date +%s%N) - t0) / 1000000))
diag "reported after $ms ms: $(cat "$T/err")"
check "within the 2 s limit again" test "$ms" -lt 8000
grep_ok "operation timeout named" "web01: $BASE/stall: Operation timed out" \
    "$T/err"

# 4. Plain http only when allowed; https never redirects to it.
expect_status 106 "http:// refused by default" tool \
    "http://127.0.0.1:$PLAIN/web01.json" fetch
grep_ok "http refusal says so" "plain http is refused" "$T/err"
expect_status 0 "http:// when allowed" tool --allow-http \
    "http://127.0.0.1:$PLAIN/web01.json" fetch
check "http body" cmp "$T/out" "$T/www/web01.json"
expect_status 101 "redirect from https to http refused" tool --allow-http \
    --ca-file "$T/ca.pem" "$BASE/to-http" fetch
expect_status 0 "an https redirect is followed" tool --ca-file "$T/ca.pem" \
    "$BASE/moved" fetch
check "redirected body" cmp "$T/out" "$T/www/web01.json"
expect_status 101 "endless redirects stop" tool --ca-file "$T/ca.pem" \
    "$BASE/loop" fetch
grep_ok "redirect limit named" "Maximum \(3\) redirects followed" "$T/err"

# 5. Credentials from a file, never in messages.
expect_status 0 "bearer token sent" tool --ca-file "$T/ca.pem" \
    --auth-file "$T/auth-bearer" "$BASE/bearer.json" fetch
check "bearer: the protected body" cmp "$T/out" "$T/www/web01.json"
expect_status 101 "wrong token: HTTP 401" tool --ca-file "$T/ca.pem" \
    --auth-file "$T/auth-wrong" "$BASE/bearer.json" fetch
grep_ok "401 named" "^transport-tool: web01: $BASE/bearer.json: HTTP status 401$" \
    "$T/err"
grep_not "token not in the error" "$TOKEN" "$T/err"
expect_status 101 "token with an untrusted certificate: refused" tool \
    --auth-file "$T/auth-bearer" "$BASE/bearer.json" fetch
grep_not "token not in the TLS error" "$TOKEN" "$T/err"
expect_status 0 "user:password as basic auth" tool --ca-file "$T/ca.pem" \
    --auth-file "$T/auth-basic" "$BASE/basic.json" fetch
expect_status 106 "malformed auth file refused" tool --ca-file "$T/ca.pem" \
    --auth-file "$T/auth-bad" "$BASE/bearer.json" fetch
grep_not "auth file content not echoed" "just-a-token" "$T/err"
expect_status 106 "credentials in the URL refused" tool --ca-file \
    "$T/ca.pem" "https://admin:hunter2@127.0.0.1:$PORT/web01.json" fetch
grep_not "URL password not echoed" "hunter2" "$T/err"

# 6. HTTP errors name the status; other operations are unsupported.
expect_status 102 "404: not found" tool --ca-file "$T/ca.pem" \
    "$BASE/nothing.json" fetch
expect_status 101 "503 named" tool --ca-file "$T/ca.pem" "$BASE/error" fetch
grep_ok "503 in the message" "HTTP status 503$" "$T/err"
expect_status 103 "run is unsupported" tool "$BASE/web01.json" run true
grep_ok "unsupported message" \
    "^transport-tool: web01: the https transport cannot run commands$" "$T/err"
done_testing
