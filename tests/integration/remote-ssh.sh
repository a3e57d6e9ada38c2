#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/remote-ssh.sh: [store] remote over ssh:// (libgit2 and
# libssh2) to a bare repository behind a real OpenSSH server on 127.0.0.1
# whose user can only run git-shell: every commit pushed, a runner's store
# made from the remote, readers fetching first, 20 hosts pushing at once
# (none lost, the remote fsck-clean), and a wrong host key, an unknown
# one, a refused key and a server that refuses: one clear warning, the
# local commit kept and pushed by the next run, no secret shown or stored.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/sshd.sh"
command -v dpkg-deb >/dev/null || skip_all "dpkg-deb is not installed"
require_cmds git git-shell
PUSHERS=20

# The login runs git-shell whatever the client asks: only git's own
# commands (receive-pack, upload-pack) are served.  sshd's default
# MaxStartups (10:30:100) drops some of 20 logins begun at once, as it
# would on a real git server: the pushers of part 4 are let in.
# shellcheck disable=SC2016 # expanded by sshd's shell, not here
SSHD_EXTRA_CONF='ForceCommand git-shell -c "$SSH_ORIGINAL_COMMAND"
MaxStartups 100'
start_sshd
PORT=$SSHD_PORT
sh "$DATA/dpkg/mkroot.sh" "$T/r" >/dev/null 2>&1 || {
    not_ok "mkroot"; exit 1; }
ROOT=$T/r/root
R=$T/srv/store.git
git init -q --bare -b main "$R"
URL="ssh://root@127.0.0.1:$PORT$R"
G() { git --git-dir="$R" "$@"; }
export GIT_CONFIG_NOSYSTEM=1 HOME="$T"
ssh-keygen -q -t ed25519 -N '' -f "$T/other_host_key" -C other
known_hosts_line "$PORT" "$T/other_host_key.pub" >"$T/wrong_known_hosts"
: >"$T/empty_known_hosts"
ssh-keygen -q -t ed25519 -N '' -f "$T/stranger_key" -C stranger

check "git-shell refuses anything but git" sh -c "! ssh -i '$T/user_key' \
    -o BatchMode=yes -o UserKnownHostsFile='$T/known_hosts' -p $PORT \
    root@127.0.0.1 touch '$T/canary'"
check "... and nothing ran" test ! -e "$T/canary"

# conf NAME [KEY=VALUE...]: a store $T/NAME pushing to the remote, the
# KEY=VALUE given instead of the good settings.
conf() {
    local n=$1; shift
    remote_conf "$n" "$@" "remote=$URL" "remote-credentials=$T/user_key" \
        "remote-known-hosts=$T/known_hosts"
}
on() { local n=$1; shift; ds --config "$T/$n.conf" "$@"; }
rec() { local n=$1 h=$2; shift 2; on "$n" "$@" record --local --root "$ROOT" --host "$h"; }

# 1. Every commit is pushed.
conf a
check "init store a" on a init
expect_status 0 "record h1 in store a" rec a h1
check "nothing said on stderr" test ! -s "$T/err"
check "the remote has the commit" test "$(G rev-parse main)" = \
    "$(git --git-dir="$T/a" rev-parse main)"
check "... with h1's manifest" G cat-file -e main:prod/h1.json
check "git fsck --strict on the remote is clean" G fsck --strict

# 2. A runner's store made from the remote, 0700; readers fetch first.
conf b
expect_status 0 "init --from the remote" on b init --from "$URL"
grep_ok "says where from" "^Created the store $T/b from $URL\$" "$T/out"
check "the new store has h1" git --git-dir="$T/b" cat-file -e main:prod/h1.json
check "the new store is 0700" test "$(stat -c %a "$T/b")" = 700
check "nothing in it readable by group or others" \
    test -z "$(find "$T/b" -perm /077 ! -type l)"
expect_status 0 "record h2 in store b" rec b h2
expect_status 2 "store a does not know h2 yet" on a diff h2
expect_status 0 "diff --fetch brings it" on a diff --fetch h2
grep_ok "... and compares it" "^h2: " "$T/out"
expect_status 0 "record h2x in store b" rec b h2x
expect_status 0 "log --fetch brings the next one" on a log --fetch h2x
grep_ok "... and shows its history" "first record" "$T/out"
expect_status 0 "record h2y in store b" rec b h2y
expect_status 0 "report --fetch" on a report --fetch -o "$T/rep"
check "the report covers what b recorded last" grep -q '"h2y"' "$T/rep/report.json"
conf nofetch
sed -i '/^remote/d' "$T/nofetch.conf"
expect_status 2 "--fetch without a remote: an error" ds --config \
    "$T/nofetch.conf" --store "$T/a" log --fetch h1
grep_ok "... naming the missing key" "log --fetch: no \[store\] remote in" "$T/err"

# 3. Failures: one clear warning, the commit kept, pushed next run.
# fails NAME WHAT PATTERN [KEY=VALUE...]: record a new host in store a
# with the configuration broken by KEY=VALUE; then record it again with a
# good configuration and nothing new: the remote gets it.
fails() {
    local h=$1 what=$2 pat=$3; shift 3
    conf a "$@"
    expect_status 0 "$what: the record itself succeeds" rec a "$h"
    if [ "$(grep -c . "$T/err")" = 1 ]; then ok "$what: one line on stderr"
    else not_ok "$what: one line on stderr"; diag "$(cat "$T/err")"; fi
    grep_ok "$what: it names the remote and the cause" \
        "^driftsync: warning: store remote $URL: push: $pat; the commit stays in $T/a and the next run pushes it\$" \
        "$T/err"
    cp "$T/err" "$T/err.$h"
    check "$what: the commit is in store a" \
        git --git-dir="$T/a" cat-file -e "main:prod/$h.json"
    check "$what: not on the remote" sh -c "! git --git-dir='$R' cat-file -e main:prod/$h.json"
    conf a
    expect_status 0 "$what: the next run (nothing new to record)" rec a "$h"
    grep_ok "$what: ... has nothing to commit" "^no changes\$" "$T/out"
    check "$what: ... and pushes the kept commit" G cat-file -e "main:prod/$h.json"
}
fails h3 "wrong host key" \
    "ssh host key for \\[127.0.0.1\\]:$PORT does not match $T/wrong_known_hosts \\(possible man-in-the-middle\\); refusing" \
    remote-known-hosts="$T/wrong_known_hosts"
fails h4 "unknown host key" \
    "ssh host key for \\[127.0.0.1\\]:$PORT is not in $T/empty_known_hosts; refusing" \
    remote-known-hosts="$T/empty_known_hosts"
fails h5 "key not authorised" \
    "authentication refused with the credentials in $T/stranger_key" \
    remote-credentials="$T/stranger_key"
check "sshd saw no login with the stranger's key" \
    sh -c "! grep -q \"Accepted publickey.*$(ssh-keygen -lf "$T/stranger_key.pub" | cut -d' ' -f2)\" '$T/sshd.log'"

# A server that refuses every push.
printf '#!/bin/sh\necho "pushes are closed for maintenance" >&2\nexit 1\n' \
    >"$R/hooks/pre-receive"
chmod +x "$R/hooks/pre-receive"
conf a
expect_status 0 "refusing server: the record succeeds" rec a h6
grep_ok "refusing server: the refusal and the server's words" \
    "^driftsync: warning: store remote $URL refused the push: refs/heads/main: pre-receive hook declined \\(pushes are closed for maintenance\\); the commit stays" \
    "$T/err"
check "refusing server: one line" test "$(grep -c . "$T/err")" = 1
rm "$R/hooks/pre-receive"
expect_status 0 "refusing server: the next run pushes" rec a h6
check "refusing server: h6 on the remote" G cat-file -e main:prod/h6.json

# 4. Hosts pushing at once, each from its own store (half made from the
# remote, half empty and unrelated): nothing is lost.
for i in $(seq 1 $PUSHERS); do
    conf "p$i"
    if [ $((i % 2)) = 0 ]; then on "p$i" init --from "$URL" >/dev/null
    else on "p$i" init >/dev/null; fi
done
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
diag "$PUSHERS concurrent pushers over ssh: $ms ms (load: $(cut -d' ' -f1-3 /proc/loadavg))"
check "all $PUSHERS records succeeded" test "$failed" = 0
check "none of them warned" sh -c "! cat '$T'/p*.err | grep -q ."
check "$PUSHERS more commits on the remote" \
    test "$(G rev-list --count main)" = $((before + PUSHERS))
missing=""
for i in $(seq 1 $PUSHERS); do
    G cat-file -e "main:prod/n$i.json" 2>/dev/null || missing="$missing n$i"
done
check "every host's manifest is on the remote${missing:+ (missing:$missing)}" test -z "$missing"
check "... and the earlier ones still" sh -c "for h in h1 h2 h3 h4 h5 h6; do git --git-dir='$R' cat-file -e main:prod/\$h.json || exit 1; done"
check "git fsck --strict on the remote is clean" G fsck --strict
check "the history is linear" test -z "$(G rev-list --min-parents=2 main)"

# 5. No secret in any output or any store.
key=$(sed -n 2p "$T/user_key")
check "no private key in any output" sh -c "! cat '$T'/*.err '$T'/*.out '$T'/err.* | grep -qF -- '$key'"
check "no private key in the stores' configuration or logs" sh -c \
    "! grep -rqF -- '$key' '$T/a/config' '$T/a/logs' '$T/b/config' '$T/p1/config'"
check "no private key in the remote's history" sh -c \
    "! git --git-dir='$R' log -p --all | grep -qF -- '$key'"
done_testing
