# SPDX-License-Identifier: GPL-2.0-or-later
# tests/webhook.sh: sourced after tests/setup.sh by the tests that need a
# real webhook: local HTTP(S) servers in one python program on 127.0.0.1,
# stopped at exit.  Each POST is kept as $T/req-MODE-N.json (the body) and
# $T/req-MODE-N.hdr (the path, then the headers), MODE being the path's
# first segment, N counting from 1.  The answer depends on MODE: "down"
# always 500, "flaky" 500 then 200, "hang" never (20 s), anything else 200.

# start_webhook [CERT KEY]: requires python3 (missing: Bail out!).  Starts
# the plain server on $WEBHOOK_PORT and, given a certificate and its key,
# a TLS one on $WEBHOOK_TLS_PORT; $WEBHOOK_DEAD is a port nobody listens
# on.  Asserts (one test point) that the servers answer.
start_webhook() {
    require_cmds python3
    cat >"$T/webhook.py" <<'EOF'
import http.server, os, socket, ssl, sys, threading, time
T = sys.argv[1]
lock = threading.Lock()
count = {}
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        mode = self.path.strip("/").split("/")[0].split("?")[0]
        with lock:
            n = count[mode] = count.get(mode, 0) + 1
            with open(os.path.join(T, "req-%s-%d.json" % (mode, n)), "wb") as f:
                f.write(body)
            with open(os.path.join(T, "req-%s-%d.hdr" % (mode, n)), "w") as f:
                f.write("path %s\n" % self.path)
                for k, v in self.headers.items():
                    f.write("%s: %s\n" % (k, v))
        if mode == "hang":
            time.sleep(20)
            return
        status = 200
        if mode == "down" or (mode == "flaky" and n == 1):
            status = 500
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
def serve(srv):
    threading.Thread(target=srv.serve_forever, daemon=True).start()
plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
serve(plain)
tls_port = 0
if len(sys.argv) > 3:
    tls = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    serve(tls)
    tls_port = tls.server_port
closed = socket.socket(); closed.bind(("127.0.0.1", 0))
with open(os.path.join(T, "ports.tmp"), "w") as f:
    f.write("%d %d %d\n" % (plain.server_port, tls_port, closed.getsockname()[1]))
closed.close()
os.rename(os.path.join(T, "ports.tmp"), os.path.join(T, "ports"))
time.sleep(120)  # bounded: the test is over long before
EOF
    python3 "$T/webhook.py" "$T" "$@" 2>"$T/webhook.err" &
    WEBHOOK_PID=$!
    at_exit stop_webhook
    wait_for "the webhook servers' ports" test -e "$T/ports"
    if [ -e "$T/ports" ]; then ok "webhook servers started"; else
        not_ok "webhook servers did not start"; diag "$(cat "$T/webhook.err")"; exit 1; fi
    read -r WEBHOOK_PORT WEBHOOK_TLS_PORT WEBHOOK_DEAD <"$T/ports"
}
stop_webhook() { kill "$WEBHOOK_PID" 2>/dev/null; wait 2>/dev/null; }
