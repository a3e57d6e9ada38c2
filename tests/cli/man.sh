#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/man.sh: the man pages format without warnings, document every
# verb the program offers and every key the configuration accepts (from
# the parser's key table, each under its own section), and no other key.
. "$DS_SRCDIR/tests/setup.sh"
command -v groff >/dev/null 2>&1 || skip_all "groff is not installed"
MAN1="$DS_SRCDIR/doc/driftsync.1"
MAN5="$DS_SRCDIR/doc/driftsync.conf.5"

verbs=$(ds --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
# The keys the parser accepts, from its own table: "[store] path".
"$DS_BUILDDIR/tests/tools/config-keys" | cut -f1,2 | tr '\t' ' ' >"$T/keys"
plan $((3 + $(echo "$verbs" | wc -w) + $(wc -l <"$T/keys")))

for m in "$MAN1" "$MAN5"; do
    w=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$m" 2>&1)
    if [ -z "$w" ]; then ok "$(basename "$m") formats without warnings"
    else not_ok "$(basename "$m") formats without warnings"; diag "$w"; fi
done
# Plain text: no SGR, no overstrike.
LC_ALL=C.UTF-8 groff -man -Tutf8 -P-cbou "$MAN1" >"$T/man1" 2>/dev/null
LC_ALL=C.UTF-8 groff -man -Tutf8 -P-cbou "$MAN5" >"$T/man5" 2>/dev/null
for v in $verbs; do
    grep_ok "driftsync(1) documents the verb $v" "^   $v( |$)" "$T/man1"
done
# The keys the man page documents, under their section's heading: "key =
# ..." item lines only (groff may hyphenate words at line ends).
awk '/^[^ ]/ { sec = /^\[/ ? $0 : "" }
     sec != "" && /^       [a-z][a-z-]* = / { print sec, $1 }' \
    "$T/man5" >"$T/documented"
while IFS= read -r k; do
    if grep -Fqx -- "$k" "$T/documented"; then
        ok "driftsync.conf(5) documents the key $k"
    else
        not_ok "driftsync.conf(5) documents the key $k"
        diag "documented:" "$(cat "$T/documented")"
    fi
done <"$T/keys"
extra=$(grep -Fvx -f "$T/keys" "$T/documented")
if [ -z "$extra" ]; then ok "driftsync.conf(5) documents no key the parser refuses"
else not_ok "driftsync.conf(5) documents no key the parser refuses"; diag "$extra"; fi
done_testing
