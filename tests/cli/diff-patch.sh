#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/diff-patch.sh: content diffs on a store recorded from a real
# Debian root (dpkg): `diff -p` between two revisions and lab against
# prod, `log -p`, `show --file`: the exact changed lines under each file's
# line, -U N, a missing final newline, CRLF, binary, too large and not
# stored files said so, secret files never shown (text or --json),
# control characters escaped, --json hunks, --color and NO_COLOR.
. "$DS_SRCDIR/tests/setup.sh"
command -v dpkg-deb >/dev/null || skip_all "dpkg-deb is not installed"
require_cmds jq python3

sh "$DATA/dpkg/mkroot.sh" "$T/r" >/dev/null 2>&1 || { echo "Bail out! mkroot failed"; exit 1; }
R=$T/r/root
cat >"$T/c.conf" <<CONF
[store]
path = $T/store
state = $T/state

[secrets]
mode-exempt = /etc/app/app.conf

[host alpha]
source = local:$R
files = /etc/ds-conf/ /etc/shadow /etc/app/
CONF
dsc() { ds --config "$T/c.conf" "$@"; }
dsc init >/dev/null

# revision 1: 20 numbered lines, a CRLF file, a file without final newline,
# a binary one, a big text one (under the collector's 1 MiB, over the
# diff's limit) and one over 1 MiB (hashed only)
seq 1 20 | sed 's/^/line /' >"$R/etc/app/app.conf"
printf 'a = 1\r\nb = 2\r\nc = 3\r\n' >"$R/etc/app/dos.ini"
printf 'first\nlast' >"$R/etc/app/nonl.conf"
printf 'BIN\000\001\002' >"$R/etc/app/data.bin"
python3 -c "import sys; sys.stdout.write('big line %d\n' * 30000 % tuple(range(30000)))" >"$R/etc/app/big.txt"
head -c 1200000 /dev/zero | tr '\0' 'x' >"$R/etc/app/huge.txt"
cp "$R/etc/app/app.conf" "$T/app.conf.v1"
dsc record >/dev/null || { echo "Bail out! record failed"; exit 1; }

# revision 2
sed -i 's/^line 10$/line ten/; /^line 15$/d' "$R/etc/app/app.conf"
printf 'line 21 \033[31mRED\033[0m\r\n' >>"$R/etc/app/app.conf"
printf 'a = 1\r\nb = 20\r\nc = 3\r\n' >"$R/etc/app/dos.ini"
printf 'first\nlast\n' >"$R/etc/app/nonl.conf"
printf 'BIN\000\001\003' >"$R/etc/app/data.bin"
sed -i 's/^big line 5$/big line five/' "$R/etc/app/big.txt"
printf 'y' >>"$R/etc/app/huge.txt"
printf 'root:$y$SECRETNEWSHADOW:19001:0:99999:7:::\n' >"$R/etc/shadow"
printf 'fresh = yes\n' >"$R/etc/app/new.conf"
dsc record >/dev/null || { echo "Bail out! second record failed"; exit 1; }

expect_status 1 "diff -p between two revisions exits 1" \
    dsc diff -p alpha@HEAD~1 alpha@HEAD
cp "$T/out" "$T/p.out"
# the exact hunk of app.conf, below its line, in the order of git diff
python3 - "$T/p.out" >"$T/hunk" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().split("\n")
i = next(k for k, l in enumerate(lines) if l.strip().startswith("~ /etc/app/app.conf"))
out = []
for l in lines[i + 1:]:
    if not l.startswith("      "):
        break
    out.append(l[6:])
print("\n".join(out))
PY
cat >"$T/want" <<'W'
--- alpha@@OLD@/etc/app/app.conf
+++ alpha@@NEW@/etc/app/app.conf
@@ -7,14 +7,14 @@
 line 7
 line 8
 line 9
-line 10
+line ten
 line 11
 line 12
 line 13
 line 14
-line 15
 line 16
 line 17
 line 18
 line 19
 line 20
+line 21 \e[31mRED\e[0m\r
W
old=$(git --git-dir="$T/store" rev-parse --short=12 HEAD~1)
new=$(git --git-dir="$T/store" rev-parse --short=12 HEAD)
sed -i "s/@OLD@/$old/; s/@NEW@/$new/" "$T/want"
if diff -u "$T/want" "$T/hunk" >"$T/d"; then
    ok "app.conf: the exact changed lines, 3 of context, control characters escaped"
else
    not_ok "app.conf: the exact changed lines, 3 of context, control characters escaped"
    diag "$(cat "$T/d")"
fi
grep_not "no raw escape byte from the file reaches the output" "$(printf '\033')" "$T/p.out"
grep_ok "CRLF lines keep their \\r, one changed line shown" '^      \+b = 20\\r$' "$T/p.out"
grep_ok "a missing final newline is marked" '^      \\ No newline at end of file$' "$T/p.out"
grep_ok "a binary file says so" '^      Binary files alpha@[0-9a-f]+/etc/app/data.bin and alpha@[0-9a-f]+/etc/app/data.bin differ$' "$T/p.out"
grep_ok "a file over the diff limit says so, with its sizes" '^      \(too large to diff: [0-9]+ bytes -> [0-9]+ bytes; the limit is [0-9]+ bytes\)$' "$T/p.out"
grep_ok "a file whose content is not stored says so" '^      \(content not stored' "$T/p.out"
grep_ok "a secret file says only that its fingerprint changed" '^      \(secret file: .*fingerprint changed\)$' "$T/p.out"
grep_not "no secret content anywhere" 'SECRET|root:x:|root:\$' "$T/p.out"
grep_ok "an added file: from /dev/null" '^      --- /dev/null$' "$T/p.out"
grep_ok "an added file: its line" '^      \+fresh = yes$' "$T/p.out"
grep_ok "the semantic lines are still there" '^    ~ /etc/app/app.conf changed \(content\)$' "$T/p.out"

expect_status 1 "diff without -p" dsc diff alpha@HEAD~1 alpha@HEAD
grep_not "without -p, no content" '^      (@@|\+line|---)' "$T/out"

expect_status 1 "-U 0" dsc diff -U 0 alpha@HEAD~1 alpha@HEAD
grep_ok "-U 0: hunks without context" '^      @@ -10 \+10 @@$' "$T/out"
grep_not "-U 0: no context line" '^       line 9$' "$T/out"
expect_status 1 "-U0 in one word, as diff and git take it" dsc diff alpha@HEAD~1 alpha@HEAD -U0
grep_ok "-U0: the same hunks" '^      @@ -10 \+10 @@$' "$T/out"
expect_status 1 "--unified 1" dsc diff --unified 1 alpha@HEAD~1 alpha@HEAD
grep_ok "-U 1: one line of context" '^      @@ -9,3 \+9,3 @@$' "$T/out"
expect_status 2 "-U with a negative number is refused" dsc diff -U -2 alpha@HEAD~1 alpha@HEAD
grep_ok "it says why" '^driftsync: diff: -U/--unified takes a number of lines' "$T/err"

# --json carries the hunks; a secret file carries none
expect_status 1 "diff -p --json" dsc diff -p --json alpha@HEAD~1 alpha@HEAD
jq_ok "--json: app.conf's hunk and its lines" \
    '.changes[] | select(.name == "/etc/app/app.conf") | .patch | .kind == "text" and .added == 2 and .removed == 2 and (.hunks[0].lines | index("-line 10") != null and index("+line ten") != null) and .hunks[0].old_start == 7'
jq_ok "--json: the secret file is only a kind" \
    '.changes[] | select(.name == "/etc/shadow") | .patch | .kind == "secret" and (has("hunks") | not)'
jq_ok "--json: binary, too large, not stored" \
    '[.changes[] | select(.patch) | .patch.kind] | (index("binary") != null and index("too-large") != null and index("not-stored") != null)'
jq_ok "--json: the missing newline marker" \
    '.changes[] | select(.name == "/etc/app/nonl.conf") | .patch.hunks[0].lines | index("\\ No newline at end of file") != null'
grep_not "--json: no secret content" 'SECRETNEWSHADOW|SECRETHASHSHADOW' "$T/out"
expect_status 1 "diff --json without -p" dsc diff --json alpha@HEAD~1 alpha@HEAD
jq_ok "--json without -p has no patch" '[.changes[] | has("patch")] | any | not'

# log -p
expect_status 0 "log -p" dsc log -p alpha
grep_ok "log -p: the changed line under its commit" '^      \+line ten$' "$T/out"
grep_ok "log -p: labels name the parent and the commit" "^      --- alpha@$old/etc/app/app.conf$" "$T/out"
grep_not "log -p: no secret content" 'SECRET' "$T/out"
expect_status 0 "log -p --json" dsc log -p --json alpha
jq_ok "log -p --json: the hunk in the newest commit" \
    '.commits[0].changes[] | select(.name == "/etc/app/app.conf") | .patch.hunks | length >= 1'

# show --file: the stored bytes at a revision
expect_status 0 "show --file at HEAD~1" dsc show --file /etc/app/app.conf alpha@HEAD~1
check "show --file gives the old content byte for byte" cmp "$T/out" "$T/app.conf.v1"
expect_status 0 "show --file at HEAD" dsc show --file /etc/app/app.conf alpha
check "show --file gives the new content byte for byte" cmp "$T/out" "$R/etc/app/app.conf"
expect_status 2 "show --file of a secret file is refused" dsc show --file /etc/shadow alpha
grep_ok "it says it is secret" '^driftsync: alpha: /etc/shadow is a secret file' "$T/err"
grep_not "and shows nothing of it" 'SECRET' "$T/out"
expect_status 2 "show --file of a file not captured" dsc show --file /etc/app/huge.txt alpha
grep_ok "it says no content is stored" '^driftsync: alpha: no stored content for /etc/app/huge.txt' "$T/err"
expect_status 2 "show --file of a path not in the manifest" dsc show --file /etc/nope alpha
expect_status 0 "show --file --json" dsc show --json --file /etc/app/new.conf alpha
jq_ok "--json: the content as text" '.content == "fresh = yes\n" and .binary == false and .path == "/etc/app/new.conf"'

# lab against prod: the lab recorded as prod was at revision 1 (its
# manifest keeps the content references, so the blobs are shared)
git --git-dir="$T/store" show HEAD~1:prod/alpha.json >"$T/old.json"
python3 "$DS_SRCDIR/tests/cli/edit-manifest.py" "$T/old.json" "$T/lab.json" role=lab
dsc record --from "$T/lab.json" >/dev/null
expect_status 1 "diff -p HOST: lab against prod" dsc diff -p alpha
grep_ok "the lab side is labelled lab/" '^      --- lab/alpha/etc/app/app.conf$' "$T/out"
grep_ok "the prod side is labelled prod/" '^      \+\+\+ prod/alpha/etc/app/app.conf$' "$T/out"
grep_ok "lab vs prod: the changed line" '^      \+line ten$' "$T/out"

# colour: only when asked or on a terminal; NO_COLOR honoured
expect_status 1 "--color=always" dsc diff -p --color=always alpha
grep_ok "--color=always: added lines in green" "$(printf '\033')\[32m\+line ten" "$T/out"
grep_ok "--color=always: hunk headers in cyan" "$(printf '\033')\[36m@@ " "$T/out"
grep_ok "--color=always: the file's escape bytes are still escaped" '\+line 21 \\e\[31mRED' "$T/out"
expect_status 1 "--color=never" dsc --color=never diff -p alpha
grep_not "--color=never: no colour" "$(printf '\033')" "$T/out"
expect_status 2 "a bad --color" dsc diff -p --color=sometimes alpha
grep_ok "it names the option" "^driftsync: diff: --color: expected auto, always or never, got 'sometimes'" "$T/err"
if command -v script >/dev/null 2>&1; then
    env -u NO_COLOR script -qec "'$DRIFTSYNC' --config '$T/c.conf' diff -p alpha" \
        /dev/null >"$T/tty" 2>&1 </dev/null
    grep_ok "on a terminal: colour" "$(printf '\033')\[31m-line 10" "$T/tty"
    NO_COLOR=1 script -qec "'$DRIFTSYNC' --config '$T/c.conf' diff -p alpha" \
        /dev/null >"$T/tty" 2>&1 </dev/null
    grep_not "NO_COLOR on a terminal: none" "$(printf '\033')\[3" "$T/tty"
else
    skip "script(1) is not installed"; skip "script(1) is not installed"
fi
done_testing
