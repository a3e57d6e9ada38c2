#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/dpkg-ssh.sh: the dpkg platform collecting this machine
# through the ssh transport (a real OpenSSH server on 127.0.0.1) gives the
# same manifest as through local:, with hostile file names passing through
# the remote shell as data, secrets kept out, big files hashed only.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/sshd.sh"

TOOL="$DS_BUILDDIR/tests/tools/collect-tool"
plan 15

require_cmds dpkg-query
start_sshd
PORT=$SSHD_PORT

# Files to capture: names that are shell code (a canary shows whether
# anything ran, in the login's home or here), a secret, a big file.
C="$T/conf"
CANARY=ds-canary-$$
HOME_DIR=$(getent passwd root | cut -d: -f6)
mkdir -p "$C/sub dir"
printf 'a\n' >"$C/\$(touch $CANARY)"
printf 'b\n' >"$C/;touch $CANARY;'\"\`touch $CANARY\`"
printf 'c\n' >"$C/sub dir/-rf *"
printf 'plain\n' >"$C/sub dir/app.conf"
ln -s 'app.conf' "$C/sub dir/link"
printf -- '-----BEGIN PRIVATE KEY-----\nSSHSECRETBODY\n-----END PRIVATE KEY-----\n' >"$C/tls.key"
head -c 300000 /dev/urandom >"$C/big.bin"
chmod 0751 "$C/sub dir/app.conf"

collect() {
    (cd "$T" && "$TOOL" --host web01 --identity "$T/user_key" \
        --known-hosts "$T/known_hosts" --control-dir "$CTL" \
        --key "$T/hmac.key" --file "$C/" --max-file-size 100000 "$@")
}
expect_status 0 "collect through ssh" collect "ssh://root@127.0.0.1:$PORT"
cp "$T/out" "$T/ssh.json"
expect_status 0 "collect through local:" collect local:
cp "$T/out" "$T/local.json"

if [ -e "$HOME_DIR/$CANARY" ] || [ -e "$T/$CANARY" ] || [ -e "/$CANARY" ]; then
    not_ok "no file name ran as code"; rm -f "$HOME_DIR/$CANARY" "/$CANARY"
else ok "no file name ran as code"; fi

# Apart from when and how it was collected, the host is the same.
strip() { grep -v -e '"collected_at"' -e '"transport"' "$1"; }
strip "$T/ssh.json" >"$T/ssh.cmp"
strip "$T/local.json" >"$T/local.cmp"
if cmp -s "$T/ssh.cmp" "$T/local.cmp"; then ok "ssh and local: manifests agree"
else not_ok "ssh and local: manifests agree"; diag "$(diff "$T/local.cmp" "$T/ssh.cmp" | head -20)"; fi
grep_ok "transport recorded" '"transport": "ssh"' "$T/ssh.json"

n=$(dpkg-query -W -f '${db:Status-Abbrev}\n' | cut -c2 | grep -c '[itW]')
got=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["packages"]))' "$T/ssh.json")
if [ "$n" = "$got" ]; then ok "all $n installed packages"; else
    not_ok "installed packages: $got collected, dpkg-query says $n"; fi
v=$(dpkg-query -W -f '${Version}' dpkg)
grep_ok "dpkg's version" "\"dpkg\": \\{\$" "$T/ssh.json"
python3 - "$T/ssh.json" "$v" "$C" >"$T/py.out" 2>&1 <<'PY'
import json, sys, hashlib
m = json.load(open(sys.argv[1])); c = sys.argv[3]
assert m["packages"]["dpkg"]["version"] == sys.argv[2], m["packages"]["dpkg"]
f = m["files"]
for name in ["$(touch", ";touch"]:
    assert any(p.startswith(c + "/" + name) for p in f), name
assert f[c + "/sub dir/-rf *"]["sha256"] == hashlib.sha256(b"c\n").hexdigest()
assert f[c + "/sub dir/app.conf"]["mode"] == "0751"
assert f[c + "/sub dir/link"]["target"] == "app.conf"
big = open(c + "/big.bin", "rb").read()
assert f[c + "/big.bin"]["sha256"] == hashlib.sha256(big).hexdigest()
assert "content_ref" not in f[c + "/big.bin"]
k = f[c + "/tls.key"]
assert k.get("secret") is True and len(k["hmac"]) == 64, k
assert "sha256" not in k and "content_ref" not in k, k
PY
if [ $? -eq 0 ]; then ok "files: hostile names, modes, symlink, big file, secret"
else not_ok "files: hostile names, modes, symlink, big file, secret"; diag "$(cat "$T/py.out")"; fi
grep_not "the secret's body is not in the manifest" SSHSECRETBODY "$T/ssh.json"
keysum=$(sha256sum "$C/tls.key" | cut -d' ' -f1)
grep_not "nor its sha256" "$keysum" "$T/ssh.json"

# A change of the secret changes its HMAC (the key file is reused; local:
# gives the same HMAC as ssh, checked above, and costs no round-trip).
h1=$(grep -A3 '/tls.key"' "$T/ssh.json" | grep '"hmac"')
printf -- '-----BEGIN PRIVATE KEY-----\nOTHER\n-----END PRIVATE KEY-----\n' >"$C/tls.key"
expect_status 0 "collect again" collect local:
h2=$(grep -A3 '/tls.key"' "$T/out" | grep '"hmac"')
if [ -n "$h1" ] && [ "$h1" != "$h2" ]; then ok "secret change seen through its HMAC"
else not_ok "secret change seen through its HMAC"; diag "$h1 / $h2"; fi

# A configured path that is not a path: one clear line, nothing collected.
expect_status 106 "a relative configured path is refused" \
    collect --file 'etc/x;id' "ssh://root@127.0.0.1:$PORT"
grep_ok "error names host and path" "^collect-tool: web01: configured file 'etc/x;id'" "$T/err"
done_testing
