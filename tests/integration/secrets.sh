#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/secrets.sh: no secret reaches the store.  Credentials
# of every form the rules know (tests/data/dpkg/mksecrets.sh) are planted
# in a Debian root, which is recorded as local:ROOT and over ssh (a real
# sshd on loopback whose /etc, /srv and dpkg database are the root's, in a
# mount namespace of its own); then every git object of the store is
# searched for every secret string and for a piece of every binary key:
# none is there, while each secret file is in both manifests, "secret":
# true with the same HMAC, and the apt sources are kept without their
# passwords.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/sshd.sh"

require_cmds dpkg-deb openssl python3 git unshare
[ "$(id -u)" = 0 ] || skip_all "the ssh half mounts a namespace: needs root"
unshare -m true 2>/dev/null || skip_all "no mount namespaces here (unshare -m)"
[ -d /srv ] && [ -d /var/lib/dpkg ] || skip_all "no /srv or /var/lib/dpkg to mount over"

if ! { sh "$DATA/dpkg/mkroot.sh" "$T/r" && sh "$DATA/dpkg/mksecrets.sh" "$T/r"; } \
    >"$T/mk.log" 2>&1; then
    echo "Bail out! planting the secrets failed: $(tail -n 3 "$T/mk.log")"
    exit 1
fi
R=$T/r/root

# sshd (and every session) sees the root's /etc over this machine's, and
# the root's /srv and dpkg database; nothing outside the namespace moves.
cat >"$T/in-root.sh" <<SH
#!/bin/sh
exec unshare -m --propagation private sh -c '
set -e; r=\$1; shift
mount -t overlay ds-etc -o "lowerdir=\$r/etc:/etc" /etc
mount --bind "\$r/srv" /srv
mount --bind "\$r/var/lib/dpkg" /var/lib/dpkg
exec "\$@"' sh "$R" "\$@"
SH
chmod +x "$T/in-root.sh"
# shellcheck disable=SC2034 # read by start_sshd
SSHD_WRAPPER=$T/in-root.sh
start_sshd

FILES="/etc/shadow- /etc/shadow.bak /etc/gshadow- /etc/apt/ /srv/"
cat >"$T/c.conf" <<CONF
[store]
path = $T/store
state = $T/state

[secrets]
mode-exempt = /srv/app/exempt.conf

[host rooted]
source = local:$R
files = $FILES

[host viassh]
source = ssh://root@127.0.0.1:$SSHD_PORT
identity-file = $T/user_key
known-hosts = $T/known_hosts
files = $FILES
CONF
dsc() { ds --config "$T/c.conf" "$@"; }
dsc init >/dev/null

expect_status 0 "record the root through local: and through ssh" dsc record rooted viassh
check "git fsck --strict is clean" git --git-dir="$T/store" fsck --strict
git --git-dir="$T/store" cat-file --batch-all-objects --batch >"$T/objects"
for h in rooted viassh; do
    git --git-dir="$T/store" show "HEAD:prod/$h.json" >"$T/$h.json"
done

# check WHAT: one python3 assertion block; problems on stdout, one a line.
pycheck() {
    what=$1; shift
    if python3 - "$T/r" "$T/objects" "$T/rooted.json" "$T/viassh.json" \
        >"$T/py.out" 2>&1; then ok "$what"
    else not_ok "$what"; diag "$(head -n 30 "$T/py.out")"; fi
}

pycheck "no secret string is in any git object" <<'PY'
import sys
d, objects = sys.argv[1], open(sys.argv[2], "rb").read()
strings = open(d + "/secret-strings").read().split()
assert len(strings) >= 30, strings
bad = [s for s in strings if s.encode() in objects]
print("\n".join("found in the store: " + s for s in bad))
sys.exit(bool(bad))
PY

pycheck "no piece of a binary key is in any git object" <<'PY'
import sys, hashlib
d, objects = sys.argv[1], open(sys.argv[2], "rb").read()
bad = []
for p in ["/srv/keys/server.p8", "/srv/keys/server.rsa", "/srv/keys/ec.bin",
          "/srv/keys/web01.pfx", "/srv/krb/service.kt"]:
    data = open(d + "/root" + p, "rb").read()
    mid = len(data) // 2
    for piece in (data[mid:mid + 16], data[-16:]):
        if piece in objects:
            bad.append(p)
for p in open(d + "/secret-files").read().split():
    data = open(d + "/root" + p, "rb").read()
    if hashlib.sha256(data).hexdigest().encode() in objects:
        bad.append(p + " (its sha256)")
print("\n".join("found in the store: " + p for p in bad))
sys.exit(bool(bad))
PY

pycheck "every secret file is in both manifests, secret, with one HMAC" <<'PY'
import sys, json, re
d = sys.argv[1]
ms = [json.load(open(f))["files"] for f in sys.argv[3:5]]
bad = []
for p in open(d + "/secret-files").read().split():
    hmacs = set()
    for name, f in zip(("local", "ssh"), ms):
        e = f.get(p)
        if not e:
            bad.append("%s: %s is missing" % (name, p)); continue
        if e.get("secret") is not True or not re.fullmatch("[0-9a-f]{64}", e.get("hmac", "")):
            bad.append("%s: %s is not secret with an HMAC: %s" % (name, p, e))
        if "sha256" in e or "content_ref" in e:
            bad.append("%s: %s has a digest or content" % (name, p))
        hmacs.add(e.get("hmac"))
    if len(hmacs) != 1:
        bad.append("%s: the two HMACs differ" % p)
print("\n".join(bad))
sys.exit(bool(bad))
PY

pycheck "files that are no secret keep their content" <<'PY'
import sys, json
for m in sys.argv[3:5]:
    f = json.load(open(m))["files"]
    for p in ("/srv/app/exempt.conf", "/srv/home/ann/.ssh/id_ed25519.pub"):
        assert "content_ref" in f[p] and not f[p].get("secret"), (m, p, f[p])
PY

pycheck "apt sources are kept without their passwords" <<'PY'
import sys, json
for m in sys.argv[3:5]:
    s = json.load(open(m))["sources"]
    for want in ("deb https://apt.example.com/debian bookworm main",
                 "deb https://apt2.example.com/debian bookworm main"):
        assert want in s, (m, want, s)
PY

check "the exempt file's content is in the store" \
    git --git-dir="$T/store" cat-file -e HEAD:files/prod/rooted/srv/app/exempt.conf
done_testing
