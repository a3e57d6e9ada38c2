#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/remote-https.sh: [store] remote over https:// (libgit2)
# to a bare repository served by git-http-backend under a real lighttpd on
# 127.0.0.1, TLS from a test CA, basic authentication: every commit
# pushed, a store made from the remote, hosts pushing at once, and a wrong
# password, an untrusted certificate and a server that refuses pushes:
# one clear warning, the commit kept and pushed by the next run, the
# password never shown nor stored.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/sshd.sh" # free_port
command -v dpkg-deb >/dev/null || skip_all "dpkg-deb is not installed"
PATH=$PATH:/usr/sbin
require_cmds git openssl python3 lighttpd
BACKEND=$(git --exec-path)/git-http-backend
[ -x "$BACKEND" ] || { echo "Bail out! $BACKEND is missing"; exit 1; }
PUSHERS=10
export GIT_CONFIG_NOSYSTEM=1 HOME="$T"

# ca NAME: a CA; the server's certificate (localhost) from the first.
ca() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$T/$1.key" -out "$T/$1.pem" -days 2 -subj "/CN=$1" \
        -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
ca test-ca
ca other-ca
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/server.key" -out "$T/server.csr" -subj /CN=localhost 2>/dev/null
printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
    'basicConstraints=CA:FALSE' 'extendedKeyUsage=serverAuth' >"$T/ext"
openssl x509 -req -in "$T/server.csr" -CA "$T/test-ca.pem" \
    -CAkey "$T/test-ca.key" -CAcreateserial -out "$T/server.pem" -days 2 \
    -extfile "$T/ext" 2>/dev/null
check "test certificates made" openssl verify -CAfile "$T/test-ca.pem" \
    "$T/server.pem"

PASSWORD="pw-$$-Zq9"
mkdir -p "$T/srv" "$T/www"
R=$T/srv/store.git
git init -q --bare -b main "$R"
G() { git --git-dir="$R" "$@"; }
printf 'pusher:%s\n' "$PASSWORD" >"$T/users"
printf 'pusher:%s\n' "$PASSWORD" >"$T/cred"
printf 'pusher:wrong-%s\n' "$PASSWORD" >"$T/bad-cred"
chmod 600 "$T/users" "$T/cred" "$T/bad-cred"
PORT=$(free_port)
cat >"$T/lighttpd.conf" <<CONF
server.document-root = "$T/www"
server.bind = "127.0.0.1"
server.port = $PORT
server.pid-file = "$T/lighttpd.pid"
server.errorlog = "$T/lighttpd.log"
server.modules = ("mod_auth", "mod_authn_file", "mod_alias", "mod_setenv",
                  "mod_cgi", "mod_openssl")
ssl.engine = "enable"
ssl.pemfile = "$T/server.pem"
ssl.privkey = "$T/server.key"
auth.backend = "plain"
auth.backend.plain.userfile = "$T/users"
auth.require = ("/git/" => ("method" => "basic", "realm" => "driftsync test",
                            "require" => "valid-user"))
alias.url = ("/git/" => "$BACKEND/")
\$HTTP["url"] =~ "^/git/" {
    cgi.assign = ("" => "")
    setenv.add-environment = ("GIT_PROJECT_ROOT" => "$T/srv",
                              "GIT_HTTP_EXPORT_ALL" => "1")
}
CONF
lighttpd -D -f "$T/lighttpd.conf" 2>"$T/lighttpd.err" &
LIGHTTPD_PID=$!
stop_lighttpd() { kill "$LIGHTTPD_PID" 2>/dev/null; wait "$LIGHTTPD_PID" 2>/dev/null; }
at_exit stop_lighttpd
up() { python3 -c "import socket; socket.create_connection(('127.0.0.1',$PORT),1)"; }
if wait_for "lighttpd to listen" up; then ok "lighttpd listens on 127.0.0.1:$PORT"; else
    diag "$(cat "$T/lighttpd.err" "$T/lighttpd.log" 2>/dev/null)"; exit 1; fi
URL="https://localhost:$PORT/git/store.git"

sh "$DATA/dpkg/mkroot.sh" "$T/r" >/dev/null 2>&1 || { not_ok "mkroot"; exit 1; }
ROOT=$T/r/root
conf() {
    local n=$1; shift
    remote_conf "$n" "$@" "remote=$URL" "remote-credentials=$T/cred" \
        "remote-ca-file=$T/test-ca.pem"
}
on() { local n=$1; shift; ds --config "$T/$n.conf" "$@"; }
rec() { local n=$1 h=$2; shift 2; on "$n" "$@" record --local --root "$ROOT" --host "$h"; }

# 1. Pushed, and a store made from the remote.
conf a
check "init store a" on a init
expect_status 0 "record h1: pushed over https" rec a h1
check "nothing said on stderr" test ! -s "$T/err"
check "the remote has h1" G cat-file -e main:prod/h1.json
check "the same commit" test "$(G rev-parse main)" = "$(git --git-dir="$T/a" rev-parse main)"
conf b
expect_status 0 "init --from the https remote" on b init --from "$URL"
check "the new store has h1" git --git-dir="$T/b" cat-file -e main:prod/h1.json
check "the new store is 0700" test "$(stat -c %a "$T/b")" = 700
expect_status 0 "record h2 in store b" rec b h2
expect_status 0 "store a: log --fetch sees h2" on a log --fetch h2

# 2. Failures: one line, the commit kept, pushed by the next run.
fails() {
    local h=$1 what=$2 pat=$3; shift 3
    conf a "$@"
    expect_status 0 "$what: the record itself succeeds" rec a "$h"
    check "$what: one line on stderr" test "$(grep -c . "$T/err")" = 1
    grep_ok "$what: it names the remote and the cause" \
        "^driftsync: warning: store remote $URL: push: $pat; the commit stays in $T/a and the next run pushes it\$" \
        "$T/err"
    cp "$T/err" "$T/err.$h"
    check "$what: not on the remote" sh -c "! git --git-dir='$R' cat-file -e main:prod/$h.json"
    conf a
    expect_status 0 "$what: the next run pushes the kept commit" rec a "$h"
    check "$what: ... it is on the remote" G cat-file -e "main:prod/$h.json"
}
fails h3 "wrong password" \
    "authentication refused with the credentials in $T/bad-cred" \
    remote-credentials="$T/bad-cred"
fails h4 "certificate from another CA" \
    "the TLS certificate of localhost is not trusted by $T/other-ca.pem; refusing" \
    remote-ca-file="$T/other-ca.pem"
G config http.receivepack false
conf a
expect_status 0 "server refusing pushes: the record succeeds" rec a h5
grep_ok "server refusing pushes: the status named" \
    "^driftsync: warning: store remote $URL: push: .*403.*; the commit stays in $T/a and the next run pushes it\$" \
    "$T/err"
check "... one line" test "$(grep -c . "$T/err")" = 1
cp "$T/err" "$T/err.h5"
G config --unset http.receivepack
expect_status 0 "... the next run pushes" rec a h5
check "... h5 on the remote" G cat-file -e main:prod/h5.json

# 3. Hosts pushing at once over https.
for i in $(seq 1 $PUSHERS); do conf "p$i"; on "p$i" init >/dev/null; done
before=$(G rev-list --count main)
t0=$(date +%s%N)
pids=""
for i in $(seq 1 $PUSHERS); do
    rec "p$i" "n$i" >"$T/p$i.out" 2>"$T/p$i.err" &
    pids="$pids $!"
done
failed=0
for p in $pids; do wait "$p" || failed=$((failed + 1)); done
ms=$((($(date +%s%N) - t0) / 1000000))
diag "$PUSHERS concurrent pushers over https: $ms ms (load: $(cut -d' ' -f1-3 /proc/loadavg))"
check "all $PUSHERS records succeeded" test "$failed" = 0
check "none of them warned" sh -c "! cat '$T'/p*.err | grep -q ."
check "$PUSHERS more commits on the remote" \
    test "$(G rev-list --count main)" = $((before + PUSHERS))
check "git fsck --strict on the remote is clean" G fsck --strict

# 4. The password is nowhere.
check "the password in no output" sh -c "! cat '$T'/*.err '$T'/*.out '$T'/err.* '$T/out' '$T/err' | grep -qF -- '$PASSWORD'"
check "the password in no store's configuration or logs" sh -c \
    "! grep -rqF -- '$PASSWORD' '$T/a/config' '$T/a/logs' '$T/b/config' '$T/b/logs' '$T/p1/config'"
check "nor in the remote's history" sh -c \
    "! git --git-dir='$R' log -p --all | grep -qF -- '$PASSWORD'"
done_testing
