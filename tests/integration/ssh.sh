#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/ssh.sh: the ssh transport against a real OpenSSH
# server on 127.0.0.1 (own host key, own authorized_keys, random port):
# hostile arguments, files, master reuse, changed host keys, dead ports.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/sshd.sh"

TOOL="$DS_BUILDDIR/tests/tools/transport-tool"
# The test program, under valgrind with DS_VALGRIND=1.
tool_bin() { ds_run "$TOOL" "$@"; }
plan 44

start_sshd
PORT=$SSHD_PORT
ssh-keygen -q -t ed25519 -N '' -f "$T/other_host_key" -C other
known_hosts_line "$PORT" "$T/other_host_key.pub" >"$T/wrong_known_hosts"
: >"$T/empty_known_hosts"
STALL_PID=""
stop_stall() {
    [ -n "$STALL_PID" ] || return 0
    kill "$STALL_PID" 2>/dev/null; wait "$STALL_PID" 2>/dev/null
}
at_exit stop_stall

URI="ssh://root@127.0.0.1:$PORT"
tool() {
    tool_bin --host web01 --identity "$T/user_key" --known-hosts \
        "$T/known_hosts" --control-dir "$CTL" --connect-timeout 10000 "$@"
}

# 1. Arguments round-trip byte for byte, and none of them runs.
nl='
'
expect_status 0 "run with hostile arguments" tool "$URI" run printf '%s\000' \
    "\$(touch $T/canary1)" ';' "touch $T/canary2" "'" '"' "a${nl}b" \
    "\`touch $T/canary3\`" '-n' '*' '&&' '|' "\\" ' lead' '' 'end'
printf '%s\000' "\$(touch $T/canary1)" ';' "touch $T/canary2" "'" '"' \
    "a${nl}b" "\`touch $T/canary3\`" '-n' '*' '&&' '|' "\\" ' lead' '' 'end' \
    >"$T/want"
check "the remote command saw exactly these arguments" cmp "$T/out" "$T/want"
if [ -e "$T/canary1" ] || [ -e "$T/canary2" ] || [ -e "$T/canary3" ]; then
    not_ok "no injected command ran"; else ok "no injected command ran"; fi

expect_status 7 "exit status and stderr pass through" tool "$URI" run \
    sh -c 'echo to-out; echo to-err >&2; exit 7'
grep_ok "stdout captured" '^to-out$' "$T/out"
grep_ok "stderr captured" '^to-err$' "$T/err"

head -c 300000 /dev/urandom >"$T/blob"
expect_status 0 "stdin data reaches the command" tool --stdin-file \
    "$T/blob" "$URI" run cat
check "stdin round-trips (300 kB)" cmp "$T/out" "$T/blob"

# 2. Files.
printf 'line one\nline two\n' >"$T/remote file"
expect_status 0 "read_file" tool "$URI" read "$T/remote file"
check "read_file content" cmp "$T/out" "$T/remote file"
expect_status 102 "read_file of a missing file: not found" tool "$URI" read \
    "$T/missing"
grep_ok "missing file named in the error" \
    "^transport-tool: web01: cannot read $T/missing: No such file" "$T/err"
write_it() { printf 'new\n$x' | tool "$URI" write "$T/written it" 640; }
expect_status 0 "write_file" write_it
check "write_file content" sh -c "printf 'new\\n\$x' | cmp - '$T/written it'"
check "write_file mode 0640" test "$(stat -c %a "$T/written it")" = 640
check "no temporary file left" test -z "$(ls -A "$T" | grep '\.ds-')"
expect_status 106 "read_file over the size limit" tool --max-output 10 \
    "$URI" read "$T/remote file"
grep_ok "size limit names the file" \
    "^transport-tool: web01: $T/remote file: file over 10 bytes$" "$T/err"
write_missing() { echo x | tool "$URI" write "$T/no/such/dir/f" 644; }
expect_status 102 "write_file into a missing directory" write_missing

# 3. One master connection for several commands.
before=$(grep -c 'Accepted publickey' "$T/sshd.log")
expect_status 0 "two commands through one transport" tool --repeat 2 \
    "$URI" run sh -c "ls -A '$CTL'"
after=$(grep -c 'Accepted publickey' "$T/sshd.log")
diag "$(grep '^run' "$T/err")"
check "one login for two commands (ControlMaster)" \
    test "$((after - before))" -eq 1
check "master socket present while the transport is open" test -s "$T/out"
check "master stopped at close (ssh -O exit)" test -z "$(ls -A "$CTL")"

# 4. Host keys.
expect_status 101 "changed host key refused" tool_bin --host web01 \
    --identity "$T/user_key" --known-hosts "$T/wrong_known_hosts" \
    --control-dir "$CTL" "$URI" run touch "$T/canary4"
grep_ok "changed key: clear message" \
    "^transport-tool: web01: ssh host key for 127.0.0.1:$PORT does not match known_hosts \\(possible man-in-the-middle\\); refusing$" \
    "$T/err"
check "nothing ran on a host with a changed key" test ! -e "$T/canary4"
expect_status 106 "extra ssh options that would turn host key checks off are refused" \
    tool_bin --host web01 --identity "$T/user_key" --known-hosts \
    "$T/wrong_known_hosts" --control-dir "$CTL" --ssh-option \
    StrictHostKeyChecking=no --ssh-option UserKnownHostsFile=/dev/null \
    "$URI" run touch "$T/canary4"
grep_ok "refused by name, off the allow-list" \
    "^transport-tool: web01: ssh option 'StrictHostKeyChecking' is not allowed" "$T/err"
check "still nothing ran" test ! -e "$T/canary4"
# Options that run a command on this machine are refused before ssh
# starts, on a host ssh could reach (an accepted option still works).
expect_status 106 "ProxyCommand is refused" tool --ssh-option \
    "ProxyCommand=sh -c 'touch $T/canary5; exec nc 127.0.0.1 $PORT'" \
    "$URI" run true
grep_ok "ProxyCommand: refused by name" \
    "^transport-tool: web01: ssh option 'ProxyCommand' is not allowed" "$T/err"
expect_status 106 "LocalCommand is refused" tool --ssh-option \
    PermitLocalCommand=yes --ssh-option "LocalCommand=touch $T/canary5" \
    "$URI" run true
check "neither command ran" test ! -e "$T/canary5"
expect_status 0 "an allow-listed option is passed on" tool --ssh-option \
    ServerAliveInterval=5 --ssh-option "Port=$PORT" "$URI" run true
expect_status 101 "unknown host key refused" tool_bin --host web01 \
    --identity "$T/user_key" --known-hosts "$T/empty_known_hosts" \
    --control-dir "$CTL" "$URI" run true
grep_ok "unknown key: clear message" \
    "web01: ssh host key for 127.0.0.1:$PORT is not in known_hosts; refusing" \
    "$T/err"

# 5. Dead ports: refused at once; a silent listener within the timeout.
DEAD=$(free_port)
expect_status 101 "closed port reported" tool "ssh://root@127.0.0.1:$DEAD" \
    run true
grep_ok "closed port: ssh's reason" \
    "^transport-tool: web01: ssh: connect to host 127.0.0.1 port $DEAD: Connection refused" \
    "$T/err"
# A listener that accepts and never says a word (gone after 30 s).
STALL=$(free_port)
python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $STALL)); s.listen(5)
open('$T/stall.ready', 'w').close()
conns = []
t = time.time() + 30
while time.time() < t:
    s.settimeout(max(0.1, t - time.time()))
    try: conns.append(s.accept())
    except socket.timeout: pass
" &
STALL_PID=$!
wait_for "the silent server" test -e "$T/stall.ready"
t0=$(date +%s%N)
expect_status 105 "silent server: timed out" tool --connect-timeout 2000 \
    "ssh://root@127.0.0.1:$STALL" run true
ms=$((($(date +%s%N) - t0) / 1000000))
diag "silent server reported after $ms ms: $(cat "$T/err")"
check "reported within the 2 s connect timeout (+slack for a loaded machine)" test "$ms" -lt 8000
grep_ok "silent server: ssh says it timed out" \
    "^transport-tool: web01: ssh: .*timed out" "$T/err"

# 6. Hostile URIs never reach ssh's argv.
expect_status 106 "user with a leading '-' refused" tool \
    "ssh://-oProxyCommand=id@127.0.0.1:$PORT" run true
expect_status 106 "host with a leading '-' refused" tool \
    "ssh://root@-oProxyCommand=x:$PORT" run true
done_testing
