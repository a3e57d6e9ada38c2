# SPDX-License-Identifier: GPL-2.0-or-later
# tests/sshd.sh: sourced after tests/setup.sh by the tests that need a real
# OpenSSH server on 127.0.0.1: its own host key, its own authorized_keys, a
# free port, stopped at exit.
SSHD=/usr/sbin/sshd

# free_port: a TCP port on 127.0.0.1 nobody listens on right now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# known_hosts_line PORT PUBKEY_FILE: a known_hosts entry for 127.0.0.1:PORT.
known_hosts_line() {
    printf '[127.0.0.1]:%s %s\n' "$1" "$(cut -d' ' -f1,2 "$2")"
}

# start_sshd: requires sshd, ssh, ssh-keygen and python3 (missing: Bail
# out!) and root (else the test is skipped).  Makes $T/host_key and
# $T/user_key (authorised for root), starts sshd on $SSHD_PORT (pid
# $SSHD_PID, log $T/sshd.log), writes $T/known_hosts, makes $CTL, a short
# private directory for ssh's ControlPath sockets, and asserts (one test
# point) that sshd listens.  With $SSHD_WRAPPER set, sshd runs as
# "$SSHD_WRAPPER" sshd ARGS... (a script that execs its arguments, e.g. in
# a mount namespace of its own).  $SSHD_EXTRA_CONF, when set, ends
# sshd_config (e.g. a ForceCommand).
start_sshd() {
    require_cmds "$SSHD" ssh ssh-keygen python3
    [ "$(id -u)" = 0 ] || skip_all "sshd must start as root to log in as root"
    CTL=$(mktemp -d /tmp/ds-ssh.XXXXXX)
    mkdir -p /run/sshd
    ssh-keygen -q -t ed25519 -N '' -f "$T/host_key" -C host
    ssh-keygen -q -t ed25519 -N '' -f "$T/user_key" -C user
    cp "$T/user_key.pub" "$T/authorized_keys"
    SSHD_PORT=$(free_port)
    cat >"$T/sshd_config" <<CONF
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $T/host_key
PidFile $T/sshd.pid
AuthorizedKeysFile $T/authorized_keys
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
LogLevel INFO
${SSHD_EXTRA_CONF:-}
CONF
    ${SSHD_WRAPPER:+"$SSHD_WRAPPER"} "$SSHD" -D -f "$T/sshd_config" -e \
        2>"$T/sshd.log" &
    SSHD_PID=$!
    at_exit stop_sshd
    known_hosts_line "$SSHD_PORT" "$T/host_key.pub" >"$T/known_hosts"
    local up=no
    for _ in $(seq 1 600); do # 60 s: a loaded machine
        if python3 -c "import socket; socket.create_connection(('127.0.0.1',$SSHD_PORT),1)" 2>/dev/null; then
            up=yes; break; fi
        kill -0 "$SSHD_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [ "$up" = yes ]; then ok "sshd listens on 127.0.0.1:$SSHD_PORT"; else
        not_ok "sshd did not start"; diag "$(cat "$T/sshd.log")"; exit 1; fi
}

stop_sshd() {
    kill "$SSHD_PID" 2>/dev/null
    wait "$SSHD_PID" 2>/dev/null
    rm -rf "$CTL"
}
