#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/pkgcache.sh: the package cache end to end without a VM: a
# Debian root built with real dpkg (local:DIR) is recorded, its packages
# change, and `record` caches the new versions from a file:// repository
# or the host's apt cache (a warning names what is nowhere); `plan` then
# installs the cached files in the one apt-get call, and drops the
# refresh of the package lists once everything comes from the cache.
. "$DS_SRCDIR/tests/setup.sh"
require_cmds dpkg-deb dpkg sha256sum python3
plan 30

sh "$DATA/dpkg/mkroot.sh" "$T/r1" >/dev/null 2>&1 ||
    { echo "Bail out! mkroot failed"; exit 1; }
R=$T/r1/root
ARCH=$(dpkg --print-architecture)
cat >"$T/c.conf" <<CONF
[store]
path = $T/store
state = $T/state

[host alpha]
source = local:$R
lab = lab-alpha

[packages]
cache = $T/cache
repository = file://$T/repo
CONF
dsc() { ds --config "$T/c.conf" "$@"; }
jcheck() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $1" "$T/out"; }
dpkg_root() {
    dpkg --root="$R" --admindir="$R/var/lib/dpkg" --force-script-chrootless \
        --force-not-root --force-unsafe-io "$@" >"$T/dpkg.log" 2>&1 ||
        { cat "$T/dpkg.log"; echo "Bail out! dpkg $*"; exit 1; }
}
# mkdeb NAME VERSION ARCH: $T/pkg/NAME_VERSION_ARCH.deb
mkdeb() {
    rm -rf "$T/build"
    mkdir -p "$T/build/DEBIAN" "$T/build/usr/share/doc/$1" "$T/pkg"
    printf 'Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: t <t@example.com>\nDescription: test\n' \
        "$1" "$2" "$3" >"$T/build/DEBIAN/control"
    echo "$2" >"$T/build/usr/share/doc/$1/VERSION"
    dpkg-deb --root-owner-group -b "$T/build" "$T/pkg/$1_$2_$3.deb" >/dev/null
}
# stanza FILE NAME VERSION ARCH: a Packages stanza for repo/pool/FILE
stanza() {
    f="$T/repo/pool/$1"
    printf 'Package: %s\nVersion: %s\nArchitecture: %s\nFilename: pool/%s\nSize: %s\nSHA256: %s\n\n' \
        "$2" "$3" "$4" "$1" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"
}

dsc init >/dev/null
expect_status 0 "the first record of a host exits 0" dsc record
n=$(ls "$T/cache/index" 2>/dev/null | wc -l)
if [ "$n" -eq 0 ]; then ok "a new host caches nothing (its packages did not change)"
else not_ok "a new host caches nothing"; diag "$(ls "$T/cache/index")"; fi
git --git-dir="$T/store" show HEAD:prod/alpha.json >"$T/first.json"

# prod changes: ds-svc upgraded (an epoch), ds-new and ds-miss installed.
mkdeb ds-svc 1:1.0-1 "$ARCH"
mkdeb ds-new 2.0-1 all
mkdeb ds-miss 1.0 all
dpkg_root -i "$T/pkg/ds-svc_1:1.0-1_$ARCH.deb" "$T/pkg/ds-new_2.0-1_all.deb" \
    "$T/pkg/ds-miss_1.0_all.deb"
# The repository has ds-svc; the host's apt cache has ds-new (apt's name
# for it); ds-miss is nowhere.
mkdir -p "$T/repo/pool" "$R/var/cache/apt/archives"
cp "$T/pkg/ds-svc_1:1.0-1_$ARCH.deb" "$T/repo/pool/ds-svc_1.0-1_$ARCH.deb"
stanza "ds-svc_1.0-1_$ARCH.deb" ds-svc 1:1.0-1 "$ARCH" >"$T/repo/Packages"
cp "$T/pkg/ds-new_2.0-1_all.deb" "$R/var/cache/apt/archives/"

expect_status 0 "record with a package nowhere still exits 0" dsc record
grep_ok "the changes are recorded" '^alpha \(prod\): [0-9]+ changes: ds-miss 1\.0 installed; ds-new 2\.0-1 installed; ds-svc upgraded 0\.9~rc1-1 -> 1:1\.0-1' "$T/out"
grep_ok "the missing package is a warning naming where it was looked for" \
    "^driftsync: warning: alpha: ds-miss 1.0 all is not in the package cache: not in $T/repo/Packages; not in alpha's apt cache \(/var/cache/apt/archives/ds-miss_1.0_all.deb\)$" \
    "$T/err"
grep_not "the cached packages are not warned about" 'ds-svc|ds-new' "$T/err"
check "ds-svc is indexed under apt's name" \
    test -f "$T/cache/index/ds-svc_1%3a1.0-1_$ARCH"
check "ds-new is indexed" test -f "$T/cache/index/ds-new_2.0-1_all"
svc_sha=$(sha256sum "$T/pkg/ds-svc_1:1.0-1_$ARCH.deb" | cut -d' ' -f1)
new_sha=$(sha256sum "$T/pkg/ds-new_2.0-1_all.deb" | cut -d' ' -f1)
check "the repository's file is stored under its SHA-256" \
    cmp "$T/cache/sha256/$svc_sha" "$T/pkg/ds-svc_1:1.0-1_$ARCH.deb"
check "the host's file is stored under its SHA-256" \
    cmp "$T/cache/sha256/$new_sha" "$T/pkg/ds-new_2.0-1_all.deb"
check "the index names the content" grep -qx "$svc_sha" \
    "$T/cache/index/ds-svc_1%3a1.0-1_$ARCH"
n=$(find "$T/cache" -name '.tmp-*' | wc -l)
if [ "$n" -eq 0 ]; then ok "no temporary file is left in the cache"
else not_ok "no temporary file is left in the cache"; fi

# The lab is prod as first recorded.
python3 - "$T/first.json" "$T/lab.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
m["role"] = "lab"
json.dump(m, open(sys.argv[2], "w"), indent=2, sort_keys=True)
EOF
dsc record --from "$T/lab.json" >/dev/null
expect_status 1 "plan shows the drift" dsc plan alpha
grep_ok "the transaction says how many files come from the cache" \
    'one package transaction: 2 installs, 1 upgrade; 2 from the package cache$' "$T/out"
grep_ok "the upgrade comes from the cache" \
    'upgrade ds-svc 0\.9~rc1-1 -> 1:1\.0-1 \(from cache\)$' "$T/out"
grep_ok "the install comes from the cache" 'install ds-new 2\.0-1 \(from cache\)$' "$T/out"
grep_ok "the missing package is asked of the lab's sources" \
    '^ +install ds-miss 1\.0$' "$T/out"
grep_ok "the package lists are refreshed for it" 'refresh the package lists' "$T/out"

expect_status 1 "plan --json exits 1" dsc --json plan alpha
if jcheck "
a = [x for x in d['actions'] if x['kind'] == 'packages']
assert len(a) == 1, a
argv = a[0]['argv']
assert argv[:4] == ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install'], argv
args = argv[argv.index('--') + 1:]
assert '/var/cache/driftsync/debs/ds-svc_1%3a1.0-1_$ARCH.deb' in args, args
assert '/var/cache/driftsync/debs/ds-new_2.0-1_all.deb' in args, args
assert 'ds-miss=1.0' in args, args
assert 'ds-svc=1:1.0-1' not in args and 'ds-new=2.0-1' not in args, args
fc = {x['request']: x for x in a[0]['from_cache']}
assert fc['ds-svc=1:1.0-1']['sha256'] == '$svc_sha', fc
assert fc['ds-new=2.0-1']['sha256'] == '$new_sha', fc
assert fc['ds-new=2.0-1']['file'] == '/var/cache/driftsync/debs/ds-new_2.0-1_all.deb'
"; then ok "one apt-get call: cached files by path, the rest as name=version"
else not_ok "one apt-get call: cached files by path, the rest as name=version"; diag "$(head -c 3000 "$T/out")"; fi
python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
print(' '.join([x for x in d['actions'] if x['kind']=='packages'][0]['argv']))" "$T/out" >"$T/argv"
diag "package step: $(cat "$T/argv")"
expect_status 0 "sync --dry-run exits 0" dsc sync --dry-run alpha
grep_ok "sync plans the same transaction from the cache" \
    'packages +one package transaction: 2 installs, 1 upgrade; 2 from the package cache' \
    "$T/out"

# ds-miss reaches the repository; prod changes again (ds-new upgraded, in
# the repository too): record --json reports what it cached.
mkdeb ds-new 2.1-1 all
cp "$T/pkg/ds-miss_1.0_all.deb" "$T/pkg/ds-new_2.1-1_all.deb" "$T/repo/pool/"
{ stanza "ds-svc_1.0-1_$ARCH.deb" ds-svc 1:1.0-1 "$ARCH"
  stanza ds-miss_1.0_all.deb ds-miss 1.0 all
  stanza ds-new_2.1-1_all.deb ds-new 2.1-1 all; } >"$T/repo/Packages"
gzip -9 "$T/repo/Packages"
dpkg_root -i "$T/pkg/ds-new_2.1-1_all.deb"
expect_status 0 "record --json exits 0" dsc --json record alpha
if jcheck "
pc = d['package_cache']
assert pc['cached'] == 1 and pc['warnings'] == [], pc"; then
    ok "record --json: the new version cached from Packages.gz, no warning"
else not_ok "record --json reports the package cache"; diag "$(cat "$T/out")"; fi
expect_status 0 "ds-new 2.1-1 is cached" test -f "$T/cache/index/ds-new_2.1-1_all"

# Everything the lab needs from the cache: no refresh of the lists.
python3 - "$T/lab.json" "$T/lab2.json" "$ARCH" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
m["packages"]["ds-miss"] = {"arch": "all", "version": "1.0"}
m["collected_at"] = "2026-11-27T04:00:00Z"
json.dump(m, open(sys.argv[2], "w"), indent=2, sort_keys=True)
EOF
dsc record --from "$T/lab2.json" >/dev/null
expect_status 1 "plan with every version cached exits 1" dsc -v plan alpha
grep_not "no refresh of the package lists" 'refresh the package lists' "$T/out"
grep_ok "-v shows the files in the apt-get command" \
    "\\\$ env DEBIAN_FRONTEND=noninteractive apt-get install .* -- /var/cache/driftsync/debs/ds-new_2\.1-1_all\.deb /var/cache/driftsync/debs/ds-svc_1%3a1\.0-1_$ARCH\.deb$" \
    "$T/out"

# A repository over plain http is refused where it is configured.
printf '[store]\npath = %s/store\n\n[packages]\ncache = %s/cache\nrepository = http://repo.example.com/debs\n' \
    "$T" "$T" >"$T/bad.conf"
expect_status 2 "a plain http repository is a configuration error" \
    ds --config "$T/bad.conf" record --from "$T/lab.json"
grep_ok "naming the file, line and key" \
    "bad.conf:6: \\[packages\\] repository: expected an https:// or file:/// URL" "$T/err"
done_testing
