#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/agent-limits.sh: a command that runs too long is stopped and
# reported; output beyond the limit is refused with a clear error instead
# of filling memory; large output within the limit arrives intact.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/e2e/lib.sh"

plan 11
marker=$RANDOM$RANDOM
t=$(now_ms)
expect_status 105 "a command over its timeout is interrupted" \
    at -t 2000 $PROD run sleep "6$marker"
took=$(($(now_ms) - t))
diag "timeout reported after $took ms"
check "reported soon after the timeout (${took} ms)" test "$took" -lt 15000
grep_ok "the error says it timed out" 'did not finish within 2000 ms' "$T/err"
# the guest process was killed, not left behind
vexec $PROD /bin/sh -c 'cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\0" " "' >"$T/procs"
grep_not "the timed-out process is gone" "sleep 6$marker" "$T/procs"

# 10 MB of output against a 1 MiB limit
t=$(now_ms)
expect_status 106 "10 MB of output over a 1 MiB limit is refused" \
    at -m 1048576 $PROD run head -c 10000000 /dev/zero
diag "refused after $(($(now_ms) - t)) ms"
grep_ok "the error names the limit" 'output over 1048576 bytes' "$T/err"
# with the default limit the 10 MB arrive whole (read back from the
# guest in chunks: one agent reply that large would break libvirt's agent
# channel for the domain)
t=$(now_ms)
at $PROD run sh -c 'head -c 10000000 /dev/zero | tr "\0" x; echo end' >"$T/big" 2>"$T/err"
diag "10 MB of output: $(($(now_ms) - t)) ms"
check "10 MB of output arrive whole" test "$(wc -c <"$T/big")" -eq 10000004
check "and end as they should" test "$(tail -c 4 "$T/big")" = "end"
# within the limit: 2 MB arrive intact
expect_status 0 "2 MB of output within the limit" \
    at -m 4194304 $PROD run head -c 2000000 /dev/urandom
check "all 2 000 000 bytes" test "$(wc -c <"$T/out")" -eq 2000000
# the agent still answers afterwards
expect_status 0 "the agent answers after all this" at $PROD run true
done_testing
