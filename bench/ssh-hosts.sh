# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2154
# bench/ssh-hosts.sh: sourced by the benchmarks that reach this machine as
# many hosts through a real sshd on loopback (127.0.0.2 ... 127.0.0.N+1,
# so names and ControlPaths are distinct).  Needs $w (a scratch
# directory), $hosts and $forks; starts the sshds (one per 15 addresses),
# writes $w/known_hosts, $w/userkey and a driftsync configuration
# $w/driftsync.conf with one [host hNN] per address, and sets $port.
# BENCH_SKIP_BASHRC=1: sessions get SHLVL=1 (sshd SetEnv), so that root's
# bash skips an expensive ~/.bashrc, as on a machine where it costs
# nothing; no dotfile is touched.  bench_ssh_stop stops the sshds.
bench_ssh_start() {
    port=$((20000 + RANDOM % 20000))
    ssh-keygen -q -t ed25519 -N '' -f "$w/hostkey"
    ssh-keygen -q -t ed25519 -N '' -f "$w/userkey"
    cp "$w/userkey.pub" "$w/authorized_keys"
    mkdir -p /run/sshd
    for g in $(seq 0 $(((hosts - 1) / 15))); do
        {
            echo "Port $port"
            for i in $(seq $((g * 15 + 2)) $((g * 15 + 16))); do
                if [ "$i" -le $((hosts + 1)) ]; then echo "ListenAddress 127.0.0.$i"; fi
            done
            echo "HostKey $w/hostkey"
            echo "AuthorizedKeysFile $w/authorized_keys"
            echo "PidFile $w/sshd.$g.pid"
            echo "UsePAM no"; echo "StrictModes no"; echo "PermitRootLogin prohibit-password"
            echo "MaxStartups 200"; echo "MaxSessions 50"
            if [ "${BENCH_SKIP_BASHRC:-0}" = 1 ]; then echo "SetEnv SHLVL=1"; fi
        } >"$w/sshd_config.$g"
        /usr/sbin/sshd -t -f "$w/sshd_config.$g"
        /usr/sbin/sshd -f "$w/sshd_config.$g" -E "$w/sshd.$g.log"
        for _ in $(seq 100); do [ -s "$w/sshd.$g.pid" ] && break; sleep 0.1; done
        [ -s "$w/sshd.$g.pid" ] ||
            { echo "bench: sshd did not start:" >&2; cat "$w/sshd.$g.log" >&2; exit 1; }
    done
    : >"$w/known_hosts"
    for i in $(seq 2 $((hosts + 1))); do
        echo "[127.0.0.$i]:$port $(cat "$w/hostkey.pub")" >>"$w/known_hosts"
    done
    {
        printf '[store]\npath = %s/store\nstate = %s/state\nparallel = %s\n\n' "$w" "$w" "$forks"
        for i in $(seq 2 $((hosts + 1))); do
            printf '[host h%02d]\nsource = ssh://root@127.0.0.%d:%d\nidentity-file = %s/userkey\nknown-hosts = %s/known_hosts\n\n' \
                "$i" "$i" "$port" "$w" "$w"
        done
    } >"$w/driftsync.conf"
}
bench_ssh_stop() {
    for f in "$w"/sshd.*.pid; do [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
    return 0
}
