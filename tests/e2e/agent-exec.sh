#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/agent-exec.sh: commands through guest-exec: hostile arguments
# arrive byte for byte (no shell anywhere), stdin, stdout and stderr stay
# apart, exit codes and signals come back.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/e2e/lib.sh"

plan 14
hostile=('a b' "it's" '"dq"' '$(reboot)' '`id`' '; rm -rf /' '| cat' '&&' '*'
    '~root' '$HOME' "two
lines" '' '-n' '--' 'tab	sep' 'back\slash' 'ünïcødé ✓' '%s%n' '\')
printf '[%s]\n' "${hostile[@]}" >"$T/want"
t=$(now_ms)
expect_status 0 "printf with hostile arguments" at $PROD run printf '[%s]\n' "${hostile[@]}"
diag "one guest-exec round trip: $(($(now_ms) - t)) ms"
check "every argument arrives unchanged" cmp "$T/want" "$T/out"
# the same bytes as the reference path through virsh
vexec $PROD /usr/bin/printf '[%s]\n' "${hostile[@]}" >"$T/ref"
check "same as guest-exec through virsh" cmp "$T/ref" "$T/out"
# a file name that looks like an option or a command is only a name
expect_status 2 "ls of a hostile name fails like ls does" at $PROD run ls -- '$(touch /tmp/pwned)'
expect_status 1 "nothing was executed from it" at $PROD run test -e /tmp/pwned

# stdin: binary data, NUL bytes included
head -c 100000 /dev/urandom >"$T/in"
printf '\0\0end' >>"$T/in"
expect_status 0 "stdin passed to the command" at -i "$T/in" $PROD run cat
check "stdin comes back byte for byte" cmp "$T/in" "$T/out"

# stdout and stderr apart, exit codes and signals
expect_status 7 "exit status returned" at $PROD run sh -c 'echo out; echo err >&2; exit 7'
check "stdout separate" test "$(cat "$T/out")" = out
check "stderr separate" test "$(cat "$T/err")" = err
expect_status 143 "killed by SIGTERM: 128+15" at $PROD run sh -c 'kill -TERM $$'
# a program that does not exist: "not found", naming it
expect_status 102 "missing program: not found" at $PROD run /nonexistent/prog
grep_ok "the error names the program and the host" \
    "$PROD: cannot run /nonexistent/prog" "$T/err"
# the wrapper's private directory is gone afterwards
check "no temporary directory left in the guest" \
    test -z "$(vexec $PROD /bin/sh -c 'ls -A /tmp | grep "^\.driftsync-"')"
done_testing
