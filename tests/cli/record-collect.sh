#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/record-collect.sh: `driftsync record` collecting real hosts: a
# Debian root built with real dpkg (local:DIR), this machine (--local), and
# a host that cannot be reached: the reachable ones are committed, the
# failure is named with its cause, exit 3, and recording an unchanged host
# again makes no commit.
. "$DS_SRCDIR/tests/setup.sh"
command -v dpkg-deb >/dev/null || skip_all "dpkg-deb is not installed"

sh "$DATA/dpkg/mkroot.sh" "$T/r1" >/dev/null 2>&1 || { echo "1..1"; echo "not ok 1 - mkroot"; exit 1; }
S=$T/store
cat >"$T/c.conf" <<CONF
[store]
path = $S
state = $T/state
parallel = 3

# app.conf is 0640: secret by its mode unless exempted
[secrets]
mode-exempt = /etc/app/app.conf

[host alpha]
source = local:$T/r1/root
files = /etc/ds-conf/ /etc/shadow /etc/ssh/ /etc/app/

[host gone]
source = ssh://root@127.0.0.1:1
CONF
dsc() { ds --config "$T/c.conf" "$@"; }
dsc init >/dev/null

expect_status 3 "record with an unreachable host exits 3" dsc record
grep_ok "the unreachable host is named with the cause" \
    '^driftsync: gone: .*(refused|unreachable|connect)' "$T/err"
grep_ok "the host is named once, then ssh's reason" \
    '^driftsync: gone: ssh: connect to host 127\.0\.0\.1 port 1: Connection refused$' "$T/err"
grep_ok "the reachable host is reported" '^alpha \(prod\): new host' "$T/out"
check "the reachable host is in the store" git --git-dir="$S" cat-file -e HEAD:prod/alpha.json
if git --git-dir="$S" cat-file -e HEAD:prod/gone.json 2>/dev/null; then
    not_ok "nothing stored for the failed host"; else ok "nothing stored for the failed host"; fi
check "git fsck --strict is clean" git --git-dir="$S" fsck --strict
git --git-dir="$S" show HEAD:prod/alpha.json >"$T/alpha.json"
grep_ok "the collected versions are dpkg's" '"version": "1:2.3-4"' "$T/alpha.json"
check "captured file content is in the store" \
    git --git-dir="$S" cat-file -e HEAD:files/prod/alpha/etc/ds-conf/a.conf
check "a non-secret file under a captured directory is stored" \
    git --git-dir="$S" cat-file -e HEAD:files/prod/alpha/etc/app/app.conf
# Secret files: a keyed HMAC in the manifest, no byte of content anywhere
# in the git objects (shadow, an ssh host key, a PEM key by its content).
git --git-dir="$S" cat-file --batch-all-objects --batch >"$T/objects"
grep_not "no secret byte reaches the git objects" \
    'SECRETHASHSHADOW|SECRETHOSTKEYBODY|SECRETPEMBODY|PRIVATE KEY' "$T/objects"
if python3 - "$T/alpha.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))["files"]
for p in ("/etc/shadow", "/etc/ssh/ssh_host_ed25519_key", "/etc/app/sub/tls.pem"):
    e = f[p]
    assert e.get("secret") is True and len(e["hmac"]) == 64, p
    assert "sha256" not in e and "content_ref" not in e, p
assert "sha256" in f["/etc/ssh/ssh_host_ed25519_key.pub"]
PY
then ok "secret files carry an HMAC only"; else not_ok "secret files carry an HMAC only"; fi

head1=$(git --git-dir="$S" rev-parse HEAD)
expect_status 0 "recording one unchanged host exits 0" dsc record alpha
grep_ok "and says nothing changed" '^no changes$' "$T/out"
head2=$(git --git-dir="$S" rev-parse HEAD)
if [ "$head1" = "$head2" ]; then ok "no commit for an unchanged host"; else
    not_ok "no commit for an unchanged host"; fi

echo 'setting = changed on the host' >"$T/r1/root/etc/ds-conf/a.conf"
expect_status 0 "recording a changed host exits 0" dsc record alpha
grep_ok "the change is summarised" 'alpha \(prod\): .*/etc/ds-conf/a.conf' "$T/out"
n=$(git --git-dir="$S" rev-list --count HEAD)
if [ "$n" = 2 ]; then ok "one commit per run ($n)"; else not_ok "one commit per run ($n)"; fi

expect_status 3 "--json with a failed host exits 3" dsc --json record gone
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["failed"][0]["host"]=="gone" and d["failed"][0]["error"]' "$T/out"; then
    ok "--json lists the failed host with its error"; else not_ok "--json lists the failed host with its error"; fi

expect_status 2 "an unknown host name exits 2" dsc record nosuch
grep_ok "and names it" 'nosuch' "$T/err"

expect_status 0 "record --local --root --host records a root without hosts" \
    dsc record --local --root "$T/r1/root" --host beta
check "beta is in the store" git --git-dir="$S" cat-file -e HEAD:prod/beta.json
expect_status 2 "a hostile --host is refused" dsc record --local --host '../x'
expect_status 2 "--root without --local is refused" dsc record --root /
check "git fsck --strict is still clean" git --git-dir="$S" fsck --strict
done_testing
