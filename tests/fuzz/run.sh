#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/fuzz/run.sh: run libFuzzer targets one after the other, each for
# SECONDS from its seed corpus, and say per target "PASS: NAME" or
# "FAIL: NAME" with its executions and coverage (libFuzzer's cov and ft).
# New inputs go to tests/fuzz/work/NAME, a crash to
# tests/fuzz/crash-NAME-*, the output to tests/fuzz/NAME.log (all in the
# build directory); the exit status is 1 when any target failed.
#   usage: run.sh SECONDS SRCDIR TARGET...
set -u
secs=$1 srcdir=$2
shift 2
failed=0
for t in "$@"; do
    name=${t##*/}
    name=${name#fuzz-}
    work=tests/fuzz/work/$name
    log=tests/fuzz/$name.log
    mkdir -p "$work"
    # -timeout: one input taking over 10 s is a hang, a failure too.
    "./$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="tests/fuzz/crash-$name-" \
        "$work" "$srcdir/tests/fuzz/corpus/$name" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
    if [ "$rc" -eq 0 ]; then
        echo "PASS: fuzz-$name (${execs:-0} executions, ${cov:-no coverage})"
    else
        failed=1
        echo "FAIL: fuzz-$name (exit $rc; see $log)"
        grep -E '^(==[0-9]+==ERROR|SUMMARY|bad verdict|.*runtime error)' "$log" |
            head -n 5 | sed 's/^/  | /'
    fi
done
exit "$failed"
