#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/sudo.sh: `become = sudo` for a non-root ssh user (a
# user made here, logging in to a real sshd on loopback): with a NOPASSWD
# sudoers rule, record reads root-only files (a secret kept as its HMAC
# only, a config file with its content) and sync writes one back as
# root through the same user; without NOPASSWD, one clear error naming
# the host and saying sudo wants a password, exit non-zero, nothing
# stored, the lab untouched.  Without become, a directory the user
# cannot enter fails the record by name instead of losing its files.
# The user and its sudoers drop-in (checked with visudo -cf) are removed
# at exit.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/sshd.sh"

require_cmds sudo visudo useradd userdel jq git python3 stat
[ "$(id -u)" = 0 ] || skip_all "making a user and a sudoers rule needs root"
[ -d /etc/sudoers.d ] || skip_all "no /etc/sudoers.d for a drop-in"
grep -Eq '^[@#]includedir[[:space:]]+/etc/sudoers.d' /etc/sudoers ||
    skip_all "/etc/sudoers does not read /etc/sudoers.d"

U=dsbecome$$
SUDOERS=/etc/sudoers.d/ds-test-$U
HOME_U=$(mktemp -d /tmp/ds-become.XXXXXX)
remove_user() {
    rm -f "$SUDOERS" "$SUDOERS.new"
    userdel -f "$U" 2>/dev/null
    rm -rf "$HOME_U"
}
at_exit remove_user
useradd -M -d "$HOME_U" -s /bin/sh -p '*' "$U" ||
    { echo "Bail out! useradd $U failed"; exit 1; }

# The user's own authorized_keys (sshd reads them as the user); root's
# sessions find a sudo that leaves a mark first on their PATH.
mkdir "$T/bin"
printf '#!/bin/sh\n: >"%s"\nexec /usr/bin/sudo "$@"\n' "$T/root-ran-sudo" >"$T/bin/sudo"
chmod 0755 "$T/bin/sudo"
# shellcheck disable=SC2034 # read by start_sshd
SSHD_EXTRA_CONF="Match User $U
    AuthorizedKeysFile $HOME_U/.ssh/authorized_keys
Match User root
    SetEnv PATH=$T/bin:/usr/sbin:/usr/bin:/sbin:/bin"
start_sshd
PORT=$SSHD_PORT
mkdir -p "$HOME_U/.ssh"
cp "$T/user_key.pub" "$HOME_U/.ssh/authorized_keys"
chown -R "$U:" "$HOME_U"
chmod 0700 "$HOME_U"

# sudoers RULE: the user's drop-in, checked first, put in place at once
# (sudo skips names with a '.').
sudoers() {
    printf '%s ALL=(root) %s\n' "$U" "$1" >"$T/sudoers"
    check "visudo -cf accepts '$1'" visudo -cf "$T/sudoers"
    install -m 0440 "$T/sudoers" "$SUDOERS.new" && mv -f "$SUDOERS.new" "$SUDOERS"
}
sudoers "NOPASSWD: ALL"

# Root-only files: a secret and a config file (0600 in a 0700 directory).
D=$T/app
mkdir -m 0700 "$D"
SECRET=ds-secret-$$-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
printf 'token=%s\n' "$SECRET" >"$D/token"
printf 'listen = 8080\n' >"$D/app.conf"
chmod 0600 "$D/token" "$D/app.conf"

# Both sides are this machine through the user: prod recorded first, then
# app.conf changed, and sync must put prod's content back.  Whatever else
# this machine has never enters a plan.
write_conf "$T/ds.conf" <<CONF

[ignore]
packages = *
sources = *
services = *

[secrets]
mode-exempt = $D/app.conf

[defaults]
become = sudo
identity-file = $T/user_key
known-hosts = $T/known_hosts

[host web]
source = ssh://$U@127.0.0.1:$PORT
lab = lab-web01
lab-access = ssh://$U@127.0.0.1:$PORT
files = $D/

CONF
dsc() { ds --config "$T/ds.conf" "$@"; }
head_of() { git --git-dir="$T/store" rev-parse HEAD; }
check "init" dsc init

expect_status 0 "record through the user with become = sudo from [defaults]" dsc record web
grep_ok "the user logged in" "Accepted publickey for $U from 127.0.0.1" "$T/sshd.log"
grep_not "nobody logged in as root" "Accepted publickey for root" "$T/sshd.log"
git --git-dir="$T/store" show HEAD:prod/web.json >"$T/web.json"
if python3 - "$T/web.json" "$D" >"$T/py.out" 2>&1 <<'PY'
import json, re, sys
f = json.load(open(sys.argv[1]))["files"]
d = sys.argv[2]
t = f[d + "/token"]
assert t.get("secret") is True and re.fullmatch("[0-9a-f]{64}", t.get("hmac", "")), t
assert "sha256" not in t and "content_ref" not in t, t
c = f[d + "/app.conf"]
assert "content_ref" in c and not c.get("secret"), c
assert c["mode"] == "0600" and c["owner"] == "root", c
PY
then ok "root-only files: the secret as its HMAC, app.conf with its content"
else not_ok "root-only files: the secret as its HMAC, app.conf with its content"
    diag "$(cat "$T/py.out")"; fi
git --git-dir="$T/store" cat-file --batch-all-objects --batch >"$T/objects"
grep_not "the secret is in no git object" "$SECRET" "$T/objects"
check "the config file's content is in the store" sh -c \
    'git --git-dir="$1" show "HEAD:files/prod/web$2/app.conf" | grep -qx "listen = 8080"' \
    - "$T/store" "$D"

# What the user alone may not read (as the files are).
check "the user alone cannot read the secret" \
    sh -c '! setpriv --reuid="$1" --regid="$1" --clear-groups cat "$2"' - "$U" "$D/token"

# Without become, a directory the user cannot enter fails the record,
# naming the host and the directory, rather than storing a manifest
# without its files: one inside a start point the user can read, and
# one above a start point (the test's own 0700 directory above $D).
P=$HOME_U/pub
mkdir -p "$P/locked"
printf 'a = 1\n' >"$P/open.conf"
printf 'b = 2\n' >"$P/locked/inner.conf"
chown "$U:" "$P" "$P/open.conf"
chmod 0755 "$HOME_U" "$P"
chmod 0700 "$P/locked"
sed -i "s|^\[host web\]|[host plain]\nsource = ssh://$U@127.0.0.1:$PORT\nbecome = none\nfiles = $P/\n\n[host plain2]\nsource = ssh://$U@127.0.0.1:$PORT\nbecome = none\nfiles = $D/\n\n&|" "$T/ds.conf"
HEAD0=$(head_of)
expect_status 3 "record without become: a directory inside is not readable" dsc record plain
grep_ok "one clear error naming the host and the directory" \
    "^driftsync: plain: cannot read the directory '$P/locked' \(permission denied\): its files would be missing from the manifest; collect as root or set become = sudo\$" "$T/err"
expect_status 3 "record without become: the start point cannot be reached" dsc record plain2
grep_ok "naming the directory above it" \
    "^driftsync: plain2: cannot read the directory '$T' \(permission denied\)" "$T/err"
check "nothing stored for either" test "$(head_of)" = "$HEAD0"
chmod 0700 "$HOME_U"

# A login as root needs no sudo: none is run, even with become = sudo.
sed -i "s|^\[host web\]|[host rooted]\nsource = ssh://root@127.0.0.1:$PORT\nfiles = $D/\n\n&|" "$T/ds.conf"
check "root's sessions run the marking sudo" sh -c \
    'ssh -i "$1/user_key" -o BatchMode=yes -o UserKnownHostsFile="$1/known_hosts" \
        -p "$2" root@127.0.0.1 sudo -n true && test -e "$1/root-ran-sudo"' - "$T" "$PORT"
rm -f "$T/root-ran-sudo"
expect_status 0 "record a root login with become = sudo" dsc record rooted
check "without sudo" test ! -e "$T/root-ran-sudo"
git --git-dir="$T/store" show HEAD:prod/rooted.json >"$T/rooted.json"
grep_ok "reading the root-only files all the same" '"hmac": "[0-9a-f]{64}"' "$T/rooted.json"

# A lab that drifted: one file step, applied as root through sudo.
printf 'listen = 9090\n' >"$D/app.conf"
expect_status 0 "record the lab through the user" dsc record --lab web
rc=0; dsc plan --json web >"$T/plan.json" 2>"$T/err" || rc=$?
n=$(jq '.actions | length' "$T/plan.json" 2>/dev/null)
if [ "$rc" = 1 ] && [ "$n" = 1 ] && jq -e --arg p "$D/app.conf" \
    '.actions[0].description | contains($p)' "$T/plan.json" >/dev/null; then
    ok "the plan is the one file step"
    expect_status 0 "sync applies it through sudo" dsc sync web
    check "app.conf has prod's content again" grep -qx 'listen = 8080' "$D/app.conf"
    check "still root's, mode 0600" test "$(stat -c '%U %a' "$D/app.conf")" = "root 600"
    check "the lab recorded in sync" sh -c \
        'git --git-dir="$1" show HEAD:lab/web.json | grep -q "app.conf"' - "$T/store"
else
    # never sync this machine with any other step
    not_ok "the plan is the one file step (exit $rc, ${n:-no} actions)"
    diag "$(head -c 2000 "$T/plan.json")" "$(cat "$T/err")"
fi

# Without NOPASSWD: one clear error, nothing stored, nothing touched.
sudoers "ALL"
HEAD1=$(head_of)
printf 'listen = 7070\n' >"$D/app.conf"
want="^driftsync: web: sudo on 127.0.0.1:$PORT wants a password for $U; become = sudo needs a NOPASSWD rule for that user in the host's sudoers\$"
expect_status 3 "record: sudo wants a password" dsc record web
grep_ok "one clear error naming the host" "$want" "$T/err"
check "said once" test "$(grep -c 'sudo' "$T/err")" = 1
grep_ok "and that nothing was stored" '^driftsync: record: no host could be collected; the store is unchanged$' "$T/err"
check "nothing stored" test "$(head_of)" = "$HEAD1"
expect_status 2 "sync: sudo wants a password" dsc sync web
grep_ok "says so before touching the lab" \
    "^driftsync: web: before the sync: sudo on 127.0.0.1:$PORT wants a password for $U" "$T/err"
check "the lab's file untouched" grep -qx 'listen = 7070' "$D/app.conf"
check "nothing stored" test "$(head_of)" = "$HEAD1"
done_testing
