#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/record-fast.sh: what `record --from` and `diff` skip must not
# change what they find: an input that is the stored state (the stored
# bytes, or a non-canonical file whose canonical form is stored, known
# from the store's driftsync-inputs table) makes no commit; a changed one
# among many (more than one batch of 32) is committed whole; a damaged
# table is not believed; a lab manifest that is prod's but for its role
# matches without being parsed.
. "$DS_SRCDIR/tests/setup.sh"
require_cmds python3 git
plan 21

use_store
# odd IN OUT: the same manifest as another exporter writes it (4-space
# indent, keys in reverse order, no references to stored contents):
# valid, not canonical.
odd() {
    python3 -c 'import json, sys
def rev(o):
    if isinstance(o, dict):
        return {k: rev(o[k]) for k in sorted(o, reverse=True)}
    if isinstance(o, list):
        return [rev(x) for x in o]
    return o
m = json.load(open(sys.argv[1]))
for f in m["files"].values():
    f.pop("content_ref", None)
json.dump(rev(m), open(sys.argv[2], "w"), indent=4, separators=(",", " : "))' "$1" "$2"
}
dsc init >/dev/null || { echo "Bail out! cannot create the store"; exit 1; }

# 1. Forty hosts, non-canonical, recorded: stored canonical, remembered.
mkdir "$T/in"
for i in $(seq -w 1 40); do
    $EDIT "$GOOD/web01.json" "$T/c.json" "host=h$i"
    odd "$T/c.json" "$T/in/h$i.json"
done
expect_status 0 "forty non-canonical files are recorded" \
    dsc record --from "$T/in"/*.json
head1=$(st rev-parse HEAD)
dsc show --json h07 >"$T/show.json"
st cat-file blob HEAD:prod/h07.json >"$T/stored.json"
check "the stored manifest is canonical (show --json's bytes)" \
    cmp "$T/stored.json" "$T/show.json"
check "the store keeps what the inputs became" \
    test "$(grep -c ' prod h[0-9]* ' "$T/store/driftsync-inputs")" -eq 40

# 2. The same files again: all known without parsing, no commit.
expect_status 0 "the same files again" dsc -v record --from "$T/in"/*.json
grep_ok "no changes" "^no changes" "$T/out"
check "no new commit" test "$(st rev-parse HEAD)" = "$head1"
check "every file was found as stored" \
    test "$(grep -c 'as stored' "$T/err")" -eq 40

# 3. Two of forty changed: one commit with exactly those two, the
# others untouched.
$EDIT "$GOOD/web01.json" "$T/c.json" host=h05 pkg:openssl=9.9.9-1
odd "$T/c.json" "$T/in/h05.json"
$EDIT "$GOOD/web01.json" "$T/c.json" host=h38 pkg:newpkg=1.0-1
odd "$T/c.json" "$T/in/h38.json"
expect_status 0 "two changed files among forty" dsc record --from "$T/in"/*.json
check "one new commit" test "$(st rev-parse HEAD~1)" = "$head1"
check "it changes exactly prod/h05.json and prod/h38.json" \
    test "$(st diff --name-only HEAD~1 HEAD | tr '\n' ' ')" = "prod/h05.json prod/h38.json "
dsc show --json h05 >"$T/out"
check "h05's new version is stored" \
    jcheck 'assert d["packages"]["openssl"]["version"] == "9.9.9-1"'
dsc show --json h38 >"$T/out"
check "h38's new package is stored" jcheck 'assert "newpkg" in d["packages"]'
check "git fsck --strict is clean" st fsck --strict --no-progress
head2=$(st rev-parse HEAD)

# 4. A damaged table is not believed: h05's line now claims a changed
# input is the stored blob, with a checksum that does not match.
$EDIT "$GOOD/web01.json" "$T/c.json" host=h05 pkg:openssl=10.0-1
odd "$T/c.json" "$T/in/h05.json"
in_id=$(git hash-object "$T/in/h05.json")
stored=$(st rev-parse HEAD:prod/h05.json)
grep -v ' prod h05 ' "$T/store/driftsync-inputs" >"$T/tbl"
echo "$in_id prod h05 $stored 0123456789abcdef" >>"$T/tbl"
cp "$T/tbl" "$T/store/driftsync-inputs"
expect_status 0 "record with a damaged line" dsc record --from "$T/in"/*.json
check "the change is committed all the same" \
    test "$(st rev-parse HEAD~1)" = "$head2"
dsc show --json h05 >"$T/out"
check "h05's version is the file's" \
    jcheck 'assert d["packages"]["openssl"]["version"] == "10.0-1"'

# 5. A table of another driftsync version is not believed either.
$EDIT "$GOOD/web01.json" "$T/c.json" host=h06 pkg:openssl=11.0-1
odd "$T/c.json" "$T/in/h06.json"
sed '1s/.*/driftsync-inputs 1 0.0-other/' "$T/store/driftsync-inputs" >"$T/tbl"
cp "$T/tbl" "$T/store/driftsync-inputs"
head3=$(st rev-parse HEAD)
expect_status 0 "record with a table of another version" \
    dsc record --from "$T/in"/*.json
check "h06's change is committed" \
    test "$(st diff --name-only "$head3" HEAD)" = "prod/h06.json"

# 6. diff: a lab manifest that is prod's but for its role matches.
$EDIT "$GOOD/web01.json" "$T/lab.json" host=h01 role=lab
dsc record --from "$T/lab.json" >/dev/null
expect_status 0 "diff h01: prod and lab the same but for the role" dsc diff h01
grep_ok "lab matches prod" "^h01: lab matches prod" "$T/out"
$EDIT "$GOOD/web01.json" "$T/lab.json" host=h05 role=lab
dsc record --from "$T/lab.json" >/dev/null
expect_status 1 "diff h05: prod has a newer openssl" dsc diff h05
