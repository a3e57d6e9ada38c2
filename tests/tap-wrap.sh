#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/tap-wrap.sh: run one TAP test.  Automake puts the log flags (--tap
# for GTest programs) before the program: move them after it.  Exit status
# 77 (skipped, with a "1..0 # SKIP reason" plan already printed) becomes 0
# for the TAP driver.
#
# No test may hang the suite: each one runs under timeout(1) (its whole
# process group), DS_TEST_TIMEOUT seconds (default 900; `make check-e2e`
# gives the VM tests longer).  A test that runs out of time is a failure
# that says so.
if [ "${1-}" = --tap ]; then
    shift
    set -- "$@" --tap
fi
# DS_VALGRIND=1: a compiled test (an ELF file, not a script) runs under
# valgrind too; a memory error or a definite leak fails it (exit 99).  The
# shell that runs a shell test is no test of ours (its driftsync runs
# under valgrind through tests/setup.sh).
case ${1##*/} in
sh | bash | dash) is_shell=1 ;;
*) is_shell=0 ;;
esac
if [ "${DS_VALGRIND:-0}" = 1 ] && [ "$is_shell" = 0 ] && [ -f "$1" ] &&
    [ "$(head -c 4 "$1")" = "$(printf '\177ELF')" ]; then
    G_SLICE=always-malloc
    export G_SLICE
    set -- valgrind -q --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite "$@"
fi
limit=${DS_TEST_TIMEOUT:-900}
timeout -k 20 "$limit" "$@"
rc=$?
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "Bail out! $* did not finish within $limit s (killed)"
    exit 1
fi
[ "$rc" -eq 77 ] && exit 0
exit "$rc"
