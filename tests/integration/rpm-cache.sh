#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/rpm-cache.sh: the package cache for an rpm host, from an
# rpm repository (rpmbuild packages, createrepo_c metadata) served by a
# real TLS server on 127.0.0.1: `record` of a changed prod root caches the
# new versions by SHA-256 (repomd.xml, primary.xml.gz, each .rpm checked),
# warns by name about one the repository lacks; `plan` takes them from the
# cache; the package step installs them into a lab root whose own
# repository is disabled (so only the cached files can serve), leaving
# `rpm --root -qa` equal to prod's.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/rpm.sh"
rpm_setup openssl python3 rpm rpmbuild createrepo_c dnf jq
APPLY=$DS_BUILDDIR/tests/tools/apply-tool
COLLECT=$DS_BUILDDIR/tests/tools/collect-tool

rpm_replay_repo
# What the server serves: the repository without ds-fail.
cp -r "$T/repo" "$T/www"
rm -f "$T"/www/noarch/ds-fail-* && createrepo_c -q --update "$T/www"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ca.key" -out "$T/ca.pem" -days 2 -subj /CN=driftsync-test-ca \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/server.key" -out "$T/server.csr" -subj /CN=127.0.0.1 \
    2>/dev/null
printf '%s\n' 'subjectAltName=IP:127.0.0.1' 'basicConstraints=CA:FALSE' \
    'extendedKeyUsage=serverAuth' >"$T/ext"
openssl x509 -req -in "$T/server.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -out "$T/server.pem" -days 2 -extfile "$T/ext" 2>/dev/null
cat >"$T/server.py" <<'EOF'
import functools, http.server, os, ssl, sys, threading
T = sys.argv[1]
threading.Timer(240, lambda: os._exit(0)).start()
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        with open(os.path.join(T, "server.log"), "a") as f:
            f.write("%s\n" % self.path)
s = http.server.ThreadingHTTPServer(
    ("127.0.0.1", 0), functools.partial(H, directory=os.path.join(T, "www")))
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(T, "server.pem"), os.path.join(T, "server.key"))
s.socket = ctx.wrap_socket(s.socket, server_side=True)
with open(os.path.join(T, "port.tmp"), "w") as f:
    f.write("%d\n" % s.server_port)
os.rename(os.path.join(T, "port.tmp"), os.path.join(T, "port"))
s.serve_forever()
EOF
python3 "$T/server.py" "$T" 2>"$T/server.err" &
SERVER_PID=$!
stop_server() { kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; }
at_exit stop_server
wait_for "the server's port" test -e "$T/port"
[ -e "$T/port" ] || { cat "$T/server.err" >&2; echo "Bail out! no server"; exit 1; }
read -r PORT <"$T/port"
URL="https://127.0.0.1:$PORT"

# prod and the lab start equal
for r in prod lab; do
    "$T/mkroot" "$T/$r"
    dnfr "$T/$r" install ds-a-1.0-1.noarch ds-c-1.0-1.noarch \
        ds-e-1:0.5-1.noarch ds-kernel-6.1.0-1.noarch
done
cat >"$T/c.conf" <<CONF
[store]
path = $T/store
state = $T/state

[host rh]
source = local:$T/prod
lab = lab-rh

[packages]
cache = $T/cache
repository = $URL/
ca-file = $T/ca.pem
CONF
dsc() { ds --config "$T/c.conf" "$@"; }
dsc init >/dev/null
if ! dsc record rh >"$T/out" 2>"$T/err" &&
    grep -q 'built without librpm' "$T/err"; then
    skip_all "driftsync was built without librpm (configure --with-rpm)"
fi
plan 21
"$COLLECT" --host rh "local:$T/lab" | jq '.role = "lab"' >"$T/lab.json"
expect_status 0 "the lab is recorded" dsc record --from "$T/lab.json"

# prod changes: an upgrade, a downgrade across an epoch, an install, a
# second kernel, a removal, and ds-fail, which the server lacks.
dnfr "$T/prod" --setopt=tsflags=noscripts shell /dev/stdin <<'TX'
upgrade ds-a-0:2.0-1.noarch
downgrade ds-e-0:3.0-1.noarch
install ds-d-0:1.0-1.noarch ds-kernel-0:6.2.0-1.noarch ds-fail-0:1.0-1.noarch
remove ds-c.noarch
run
TX
expect_status 0 "record --json of the changed prod exits 0" dsc --json record rh
jq_ok "four versions cached, one warning" \
    '.package_cache.cached == 4 and (.package_cache.warnings | length) == 1'
jq_ok "the warning names the package and the primary metadata it is not in" \
    '.package_cache.warnings[0] | test("^rh: ds-fail\\.noarch 1\\.0-1 noarch is not in the package cache: not in https://127\\.0\\.0\\.1:[0-9]+/repodata/[0-9a-f]+-primary\\.xml\\.gz; rh.s own packages: not read for rpm hosts$")'
for f in ds-a-2.0-1.noarch ds-e-3.0-1.noarch ds-d-1.0-1.noarch ds-kernel-6.2.0-1.noarch; do
    sha=$(sha256sum "$T/www/noarch/$f.rpm" | cut -d' ' -f1)
    if [ "$(cat "$T/cache/index/$f.rpm" 2>/dev/null)" = "$sha" ] &&
        cmp -s "$T/cache/sha256/$sha" "$T/www/noarch/$f.rpm"; then
        ok "$f is cached under its SHA-256"
    else not_ok "$f is cached under its SHA-256"; diag "$(ls "$T/cache/index")"; fi
done
grep_ok "the repository's metadata was read over https" '^/repodata/repomd\.xml$' "$T/server.log"
grep_ok "and the packages" '^/noarch/ds-a-2\.0-1\.noarch\.rpm$' "$T/server.log"

git --git-dir="$T/store" show HEAD:prod/rh.json | jq 'del(.packages["ds-fail.noarch"])' >"$T/prod.json"
expect_status 1 "plan shows the drift" dsc plan rh
grep_ok "the transaction says how many files come from the cache" \
    'one dnf transaction: 3 installs, 1 upgrade, 1 downgrade, 1 removal; 4 from the package cache$' "$T/out"
grep_ok "the downgrade across the epoch comes from the cache" \
    'downgrade ds-e\.noarch 1:0\.5-1 -> 3\.0-1 \(from cache\)$' "$T/out"
grep_ok "the version not cached is asked of the lab's repositories" \
    '^ +install ds-fail\.noarch 1\.0-1$' "$T/out"
expect_status 1 "plan --json exits 1" dsc --json plan rh
jq_ok "the cached files by digest, copied under /var/cache/driftsync/rpms" \
    '[.actions[] | select(.kind == "packages")][0].from_cache | map(select(.file == "/var/cache/driftsync/rpms/ds-e-3.0-1.noarch.rpm" and .request == "downgrade ds-e-0:3.0-1.noarch")) | length == 1'

# The lab's own repository off: only the cached files can serve.
sed -i 's/^gpgcheck=0$/gpgcheck=0\nenabled=0/' "$T/lab/etc/yum.repos.d/ds-test.repo"
expect_status 0 "the package step installs the cached files into the lab root" \
    "$APPLY" --cache "$T/cache" "$T/lab.json" "$T/prod.json" "local:$T/lab"
rpm --root "$T/prod" -qa | grep -v '^ds-fail' | sort >"$T/prod.qa"
rpm --root "$T/lab" -qa | sort >"$T/lab.qa"
if cmp -s "$T/prod.qa" "$T/lab.qa"; then ok "rpm -qa of the lab equals prod's"
else not_ok "rpm -qa of the lab equals prod's"; diag "$(diff "$T/prod.qa" "$T/lab.qa")"; fi
n=$(find "$T/lab/var/cache/driftsync/rpms" -type f | wc -l)
if [ "$n" -eq 0 ]; then ok "the copies are removed after the transaction"
else not_ok "the copies are removed"; diag "$(ls -R "$T/lab/var/cache/driftsync")"; fi

# A damaged file in the cache is refused before anything runs.
sha=$(cat "$T/cache/index/ds-d-1.0-1.noarch.rpm")
chmod u+w "$T/cache/sha256/$sha"
printf 'x' >>"$T/cache/sha256/$sha"
dnfr "$T/lab" remove ds-d
expect_status 1 "a damaged cached file fails the step" \
    "$APPLY" --cache "$T/cache" "$T/lab.json" "$T/prod.json" "local:$T/lab"
grep_ok "naming it" "ds-d-0:1\\.0-1\\.noarch: the package cache's .* is damaged" "$T/err"
done_testing
