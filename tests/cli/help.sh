#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/help.sh: --help on the program and on each verb, usage errors
# (unknown verb, unknown option, missing verb) exit 2 with one line.
. "$DS_SRCDIR/tests/setup.sh"

verbs="init record show diff log"
plan 27

expect_status 0 "driftsync --help exits 0" ds --help
for v in $verbs; do
    grep_ok "driftsync --help lists $v" "^  $v( |$)" "$T/out"
done

for v in $verbs; do
    expect_status 0 "driftsync $v --help exits 0" ds "$v" --help
    grep_ok "$v --help shows its usage line" "^  driftsync .*$v" "$T/out"
done
expect_status 0 "log --help documents --since" ds log --help
grep_ok "log --help lists --since DATE" "--since=DATE" "$T/out"

expect_status 2 "an unknown verb exits 2" ds frobnicate
grep_ok "the message names the unknown verb" \
    "^driftsync: unknown verb 'frobnicate'" "$T/err"
if [ "$(wc -l <"$T/err")" -eq 1 ]; then ok "the error is one line"; else
    not_ok "the error is one line"; diag "$(cat "$T/err")"; fi

expect_status 2 "an unknown verb option exits 2" ds show --bogus web01
grep_ok "the message names the option" "bogus" "$T/err"
expect_status 2 "an unknown global option exits 2" ds --bogus show web01
expect_status 2 "no verb at all exits 2" ds
expect_status 0 "--version exits 0" ds --version
grep_ok "--version prints the version" "^driftsync [0-9]+\.[0-9]+" "$T/out"
done_testing
