#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/store-modes.sh: who may read the store.  init makes it its
# owner's only (0700), or its owner's and [store] group's (02750); objects
# written later keep that; a looser store gets one warning naming the
# fix, which works; temporary objects left by a killed writer are removed
# by the next writer, under the store lock, and by nobody else.
. "$DS_SRCDIR/tests/setup.sh"
require_cmds dpkg-query git find stat

S=$T/store
conf() {
    printf '[store]\npath = %s\nstate = %s/state\n%s\n[host here]\nsource = local:\nfiles = /etc/hostname\n' \
        "$S" "$T" "$1" >"$T/c.conf"
}
dsc() { ds --config "$T/c.conf" "$@"; }

conf ""
expect_status 0 "init" dsc init
check "the store is 0700" test "$(stat -c %a "$S")" = 700
l=$(find "$S" ! -type l -perm /077)
if [ -z "$l" ]; then ok "nothing in the new store is open to group or others"
else not_ok "nothing in the new store is open to group or others"; diag "$l"; fi
check "the git CLI is told so too" \
    test "$(git --git-dir="$S" config core.sharedRepository)" = 0600

expect_status 0 "record" dsc record here
l=$(find "$S/objects" ! -type l -perm /077)
if [ -z "$l" ]; then ok "objects written later are the owner's only"
else not_ok "objects written later are the owner's only"; diag "$l"; fi
check "objects are 0400" \
    test "$(find "$S/objects" -type f -path '*/objects/??/*' -perm 0400 | wc -l)" -gt 0
check "git fsck --strict is clean" git --git-dir="$S" fsck --strict
expect_status 0 "show" dsc show here
grep_not "a tight store gets no warning" "warning" "$T/err"

# A store made before, open to everyone: one warning, naming the fix.
chmod 0755 "$S" "$S/objects"
expect_status 0 "show on a store open to others still works" dsc show here
check "one warning" test "$(grep -c warning "$T/err")" = 1
grep_ok "it names the store, the mode and the fix" \
    "^driftsync: warning: store $S can be read by other users \\(mode 0755\\); fix: chmod -R go-rwx '$S'" "$T/err"
chmod -R go-rwx "$S"
expect_status 0 "show after the fix" dsc show here
grep_not "the fix silences it" "warning" "$T/err"

# Temporary objects of a killed writer: left alone by readers, removed by
# the next writer (record takes the store lock even with nothing new).
tmp=$S/objects/tmp_object_git2_k1Lled
printf 'half an object' >"$tmp"
printf 'not ours' >"$S/objects/keep-me"
expect_status 0 "show (a reader)" dsc show here
check "a reader leaves the temporary object" test -e "$tmp"
expect_status 0 "record (a writer)" dsc record here
check "the writer removed it" test ! -e "$tmp"
check "and nothing else" test -e "$S/objects/keep-me"
rm -f "$S/objects/keep-me"
check "git fsck --strict is still clean" git --git-dir="$S" fsck --strict

# A group of readers.
conf "group = no-such-group-$$"
expect_status 2 "an unknown group is refused" dsc show here
grep_ok "the error names the file, line and group" \
    "^driftsync: $T/c.conf:4: \\[store\\] group: no group 'no-such-group-$$'" "$T/err"
if getent group daemon >/dev/null; then
    rm -rf "$S"
    conf "group = daemon"
    expect_status 0 "init with a group" dsc init
    check "the store is 02750 and the group's" \
        test "$(stat -c '%a %G' "$S")" = "2750 daemon"
    expect_status 0 "record" dsc record here
    l=$(find "$S/objects" ! -type l \( -perm /027 -o ! -group daemon \))
    if [ -z "$l" ]; then ok "objects are the group's, read-only, closed to others"
    else not_ok "objects are the group's, read-only, closed to others"; diag "$l"; fi
    check "objects are 0440" \
        test "$(find "$S/objects" -type f -path '*/objects/??/*' -perm 0440 | wc -l)" -gt 0
    grep_not "no warning" "warning" "$T/err"
    chmod o+rx "$S"
    expect_status 0 "show on a group store open to others" dsc show here
    grep_ok "the warning names the group fix" \
        "warning: store $S is open to more than its owner and group daemon .*; fix: chgrp -R 'daemon' '$S' && chmod -R g\\+rX,g-w,o-rwx '$S'" "$T/err"
else
    skip "no group 'daemon' here"
fi
done_testing
