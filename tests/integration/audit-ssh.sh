#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/audit-ssh.sh: `driftsync audit` of this machine through
# the ssh transport (a real OpenSSH server on 127.0.0.1): the restart
# script passes the remote shell intact and finds a real process running a
# deleted executable, as through local:.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/sshd.sh"

require_cmds jq dpkg-query
start_sshd
[ -w /usr/local/lib ] || skip_all "cannot write /usr/local/lib"

cat >"$T/c.conf" <<CONF
[store]
path = $T/store
state = $T/state

[host remote]
source = ssh://root@127.0.0.1:$SSHD_PORT
identity-file = $T/user_key
known-hosts = $T/known_hosts

[host here]
source = local:
CONF
dsc() { ds --config "$T/c.conf" "$@"; }

D=$(mktemp -d /usr/local/lib/driftsync-test-XXXXXX)
kill_sleeper() { [ -z "${SLEEPER:-}" ] || kill "$SLEEPER" 2>/dev/null; rm -rf "$D"; }
at_exit kill_sleeper
cp /bin/sleep "$D/sleeper"
"$D/sleeper" 120 &
SLEEPER=$!
wait_exe "$SLEEPER" "$D/sleeper"
rm -rf "$D"

dsc --json audit remote here >"$T/out" 2>"$T/err"; rc=$?
if [ $rc = 1 ]; then ok "audit through ssh and local: exits 1 (findings)"; else
    not_ok "audit through ssh and local: exits 1 (findings), got $rc"; diag "$(cat "$T/err")"; fi
for i in 0 1; do
    if jq -e --argjson pid "$SLEEPER" --arg path "$D/sleeper" \
        "[.hosts[$i].findings[] | select(.kind == \"restart\" and .pid == \$pid)] | length == 1 and .[0].path == \$path" \
        "$T/out" >/dev/null; then
        ok "host $i sees the process running its deleted executable"
    else
        not_ok "host $i sees the process running its deleted executable"
        diag "$(head -c 3000 "$T/out")"
    fi
done
# Both transports give the same finding for that process.
q='[.hosts[%s].findings[] | select(.pid == %s)]'
if [ "$(jq -c "$(printf "$q" 0 "$SLEEPER")" "$T/out")" = \
    "$(jq -c "$(printf "$q" 1 "$SLEEPER")" "$T/out")" ]; then
    ok "ssh and local: give the same finding"
else
    not_ok "ssh and local: give the same finding"
fi
grep_not "no error on stderr" "^driftsync: " "$T/err"
done_testing
