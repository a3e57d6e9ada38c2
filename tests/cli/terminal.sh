#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/terminal.sh: text from configuration files, the command line,
# the store and hosts never reaches the terminal raw: control characters
# (ESC, CR, C1, bidirectional overrides) are shown escaped in messages
# and output, driftsync's own colours are kept; global options are
# accepted after the verb as well (`log -v HOST`).
. "$DS_SRCDIR/tests/setup.sh"
require_cmds git python3
plan 25

ESC=$(printf '\033')
CR=$(printf '\r')
# raw_free DESCRIPTION FILE: no ESC, CR, BEL or C1 CSI byte in FILE.
raw_free() {
    if LC_ALL=C grep -q "$(printf '[\033\r\007]')" "$2" ||
        LC_ALL=C grep -q "$(printf '\302\233')" "$2"; then
        not_ok "$1"; diag "$(od -c "$2" | head -5)"
    else ok "$1"; fi
}

use_store
dsc init >/dev/null && dsc record --from "$DATA/good/web01.json" >/dev/null ||
    { echo "Bail out! cannot set up the store"; exit 1; }

# 1. A host name in a section header.
printf '[store]\npath = %s/store\n[host web%s[2J%sX]\nsource = local:\n' \
    "$T" "$ESC" "$CR" >"$T/name.conf"
expect_status 2 "a control character in a host name is refused" \
    ds --config "$T/name.conf" diff
raw_free "the error shows no raw control character" "$T/err"
grep_ok "it shows them escaped" 'web\\e\[2J\\rX' "$T/err"

# 2. Configuration text quoted in an error.
printf '[store]\npath = %s/store\nnot a key%s]0;pwned%s\n' "$T" "$ESC" \
    "$(printf '\007')" >"$T/text.conf"
expect_status 2 "a bad line is refused" ds --config "$T/text.conf" diff
raw_free "the quoted line shows no raw control character" "$T/err"
grep_ok "ESC and BEL are shown escaped" 'not a key\\e\]0;pwned\\a' "$T/err"

# 3. A path from the command line; a CR would hide what follows.
expect_status 2 "a store path with CR and ESC" \
    ds --store "$T/nothing${CR}all good${ESC}[8m" show web01
raw_free "the path is shown without raw control characters" "$T/err"
grep_ok "the CR and ESC are visible" 'nothing\\rall good\\e\[8m' "$T/err"

# 4. An unknown verb, an unknown option.
expect_status 2 "an unknown verb" ds "x${ESC}[31m"
raw_free "the verb is escaped" "$T/err"
expect_status 2 "an unknown option after the verb" dsc log "--x${ESC}]2;t" web01
raw_free "the option is escaped" "$T/err"

# 5. Text from the store: a commit whose summary carries escapes, made
# by hand; Unicode bidirectional overrides and C1 controls as well.
$EDIT "$DATA/good/web01.json" "$T/web01-v2.json" pkg:ds-test-tool=1.0-1
dsc record --from "$T/web01-v2.json" >/dev/null
msg=$(printf 'evil %s[2J%sX \342\200\256gnp.exe \302\233H' "$ESC" "$CR")
new=$(st commit-tree "$(st rev-parse 'HEAD^{tree}')" -p HEAD~1 -m "$msg")
st update-ref refs/heads/main "$new"
expect_status 0 "log shows the hand-made commit" dsc log web01
raw_free "log's output has no raw control character" "$T/out"
grep_ok "the summary is shown escaped" 'evil \\e\[2J\\rX \\u202egnp\.exe \\u009bH' "$T/out"
expect_status 0 "log --json" dsc --json log web01
check "--json carries the summary exactly (JSON escapes it)" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert any(c["summary"] == sys.argv[2] for c in d["commits"]), d' "$T/out" "$msg"

# 6. Global options after the verb, as log itself suggests.
expect_status 0 "log -v HOST is accepted" dsc log -v web01
grep_ok "-v after the verb lists the first record's changes" '^    \+ apt ' "$T/out"
expect_status 0 "-q and --store after the verb" \
    ds log -q --store "$T/store" web01
expect_status 0 "--config after the verb" ds show web01 --config "$T/ds.conf"
expect_status 2 "an option that is neither the verb's nor global is refused" \
    dsc log --bogus web01
grep_ok "the error says where to look" "see driftsync log --help" "$T/err"

# 7. On a terminal, driftsync's own colours are kept, hostile ones not.
if command -v script >/dev/null 2>&1; then
    env -u NO_COLOR TERM=xterm script -qec \
        "'$DRIFTSYNC' --config '$T/ds.conf' log web01" /dev/null >"$T/tty" 2>&1
    if grep -q "$(printf '\033\\[33m')" "$T/tty" &&
        ! grep -q "$(printf '\033\\[2J')" "$T/tty"; then
        ok "on a terminal: our colour kept, the commit's escape not"
    else not_ok "on a terminal: our colour kept, the commit's escape not"
        diag "$(od -c "$T/tty" | head -8)"; fi
else
    skip "script(1) is not installed: no terminal to test colours on"
fi
done_testing
