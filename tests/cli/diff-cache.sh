#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/diff-cache.sh: the store's diff cache (STORE/driftsync-diff-cache):
# `diff` (text, --json, -p) gives the same output from it as without it; it
# is filled by the first diff, one file per manifest blob, and really read
# (a doctored entry shows); a damaged, truncated, empty or foreign entry is
# not believed (the output is the full parse's) and is written again;
# another user's store is not written to; the store stays clean for
# `git fsck`.
. "$DS_SRCDIR/tests/setup.sh"
require_cmds jq python3 git
plan 21

use_store
dsc init >/dev/null || { echo "Bail out! init failed"; exit 1; }
C=$T/store/driftsync-diff-cache

# app01: prod and lab share their packages, differ in a file's mode, a
# service and a source (the cache's small documents answer); same01: one
# state, another collection time; web01: the packages differ (full parse).
jq '.host = "app01"' "$GOOD/web01.json" >"$T/app01.json"
jq '.host = "app01" | .role = "lab"
    | .files["/etc/nginx/nginx.conf"].mode = "0640"
    | .services["nginx.service"].active = "inactive"
    | .sources += ["deb http://deb.debian.org/debian bookworm-backports main"]' \
    "$GOOD/web01.json" >"$T/app01-lab.json"
jq '.host = "same01"' "$GOOD/db01.json" >"$T/same01.json"
jq '.host = "same01" | .role = "lab" | .collected_at = "2026-11-28T00:00:00Z"' \
    "$GOOD/db01.json" >"$T/same01-lab.json"
dsc record --from "$GOOD/web01.json" "$GOOD/web01-lab.json" "$T/app01.json" \
    "$T/app01-lab.json" "$T/same01.json" "$T/same01-lab.json" >/dev/null ||
    { echo "Bail out! record failed"; exit 1; }

# without the cache (each run fills it), then from it
for form in plain json patch; do
    case $form in
    plain) set -- diff ;; json) set -- --json diff ;; patch) set -- diff -p ;;
    esac
    rm -rf "$C"
    dsc "$@" >"$T/$form.miss" 2>&1
    echo $? >"$T/$form.miss.rc"
    dsc "$@" >"$T/$form.hit" 2>&1
    echo $? >"$T/$form.hit.rc"
done
check "diff drifts: exit 1" [ "$(cat "$T/plain.miss.rc")" = 1 ]
check "app01's file, service and source changes are found without the cache" \
    sh -c "grep -q 'nginx.conf' '$T/plain.miss' && grep -q 'nginx.service' '$T/plain.miss' && grep -q 'bookworm-backports' '$T/plain.miss'"
grep_ok "same01 does not drift" "^same01: lab matches prod$" "$T/plain.miss"
for form in plain json patch; do
    check "diff ($form) from the cache: the same output and status" \
        sh -c "cmp -s '$T/$form.miss' '$T/$form.hit' && cmp -s '$T/$form.miss.rc' '$T/$form.hit.rc'"
done
cp "$T/json.hit" "$T/out"
jq_ok "--json from the cache: app01 drifts, same01 is the same" \
    '[.hosts[] | select(.host == "app01" or .host == "same01") | .status] == ["drift", "same"]'

entry() { id=$(st rev-parse "HEAD:$1"); echo "$C/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-)"; }
PE=$(entry prod/app01.json)
LE=$(entry lab/app01.json)
check "the first diff wrote an entry per manifest blob" \
    sh -c "[ -f '$PE' ] && [ -f '$LE' ] && [ -f '$(entry lab/web01.json)' ] && [ \$(find '$C' -type f | wc -l) = 6 ]"
check "an entry names its blob and holds no packages" \
    sh -c "sed -n 2p '$LE' | grep -q '^$(st rev-parse HEAD:lab/app01.json) ' && grep -q '\"packages\": {}' '$LE' && ! grep -q openssl '$LE'"
check "entries are private to the store's owner, as the store" \
    [ "$(stat -c %a "$LE")" = 600 ]
cp "$LE" "$T/good-entry"

# A doctored entry with a sound checksum shows: the cache is what is read.
python3 - "$LE" <<'PY'
import sys, zlib
path = sys.argv[1]
data = open(path, "rb").read()
head, meta, doc = data.split(b"\n", 2)
doc = doc.replace(b'"inactive"', b'"doctored"')
f = meta.split(b" ")
f[3] = str(len(doc)).encode()
f[4] = b"%08x" % zlib.crc32(doc)
open(path, "wb").write(head + b"\n" + b" ".join(f) + b"\n" + doc)
PY
dsc diff app01 >"$T/doctored" 2>&1
grep_ok "a sound entry is believed (the pair is not parsed again)" "doctored" "$T/doctored"

# Damaged entries are not believed, and are written again.
damage() {
    cp "$T/good-entry" "$LE"
    case $1 in
    flip) python3 -c "import sys; p=sys.argv[1]; d=bytearray(open(p,'rb').read()); i=d.rindex(b'inactive'); d[i]=ord('I'); open(p,'wb').write(d)" "$LE" ;;
    truncated) head -c "$(($(wc -c <"$T/good-entry") / 2))" "$T/good-entry" >"$LE" ;;
    empty) : >"$LE" ;;
    version) sed -i '1s/.*/driftsync-diff-cache 1 0.0.0-other/' "$LE" ;;
    garbage) head -c 3000 /dev/urandom >"$LE" ;;
    esac
}
for how in flip truncated empty version garbage; do
    damage $how
    dsc diff >"$T/damaged" 2>&1
    check "a $how entry is not believed: the output of a full parse" \
        cmp -s "$T/plain.miss" "$T/damaged"
done
check "the damaged entry was written again, sound" cmp -s "$T/good-entry" "$LE"

# A missing entry on one side: that side is parsed, the output the same.
rm -f "$PE"
dsc diff >"$T/half" 2>&1
check "one side without an entry: the same output" cmp -s "$T/plain.miss" "$T/half"

# Another user's store (root reading the store of nobody) is not written to.
if [ "$(id -u)" = 0 ]; then
    rm -rf "$C"
    chown 65534 "$T/store"
    dsc diff >"$T/other" 2>&1
    chown 0 "$T/store"
    check "another owner's store: the same output, no cache written" \
        sh -c "cmp -s '$T/plain.miss' '$T/other' && [ ! -e '$C' ]"
else
    skip "another owner's store: needs root to give the store away"
fi

st fsck --strict --no-progress >"$T/fsck" 2>&1
check "git fsck of the store passes" [ $? = 0 ]
check "git fsck says nothing of the cache" sh -c "! grep -qi 'cache\|warning\|error' '$T/fsck'"
done_testing
