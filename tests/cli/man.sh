#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/man.sh: the man pages format without warnings, document every
# verb the program offers and every key the configuration accepts.
. "$DS_SRCDIR/tests/setup.sh"
command -v groff >/dev/null 2>&1 || skip_all "groff is not installed"
MAN1="$DS_SRCDIR/doc/driftsync.1"
MAN5="$DS_SRCDIR/doc/driftsync.conf.5"

verbs=$(ds --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
keys="path remote state parallel uri snapshots on-failure keep-snapshots
      source lab lab-access lab-uri files groups identity-file known-hosts
      ssh-options ca-file auth-file allow-http packages sources services
      cache repository webhook timeout attempts retry-delay audit
      mode-exempt group"
plan $((2 + $(echo "$verbs" | wc -w) + $(echo "$keys" | wc -w)))

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
# Keys may be hyphenated by groff at line ends: look at key lines only.
for k in $keys; do
    grep_ok "driftsync.conf(5) documents the key $k" "^ +$k( |$)" "$T/man5"
done
done_testing
