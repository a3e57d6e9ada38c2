#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/run-all.sh: from a fresh Debian 12 machine (root): install what the
# tests need, build, build the Debian package, run the whole suite, then
# the unit tests under ASan/UBSan and under valgrind and a short run of
# every fuzz target, and print "N passed, N failed, N skipped" counted
# from the real results.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
build=${DS_TEST_BUILDDIR:-$src/build-tests}
cd "$src"
bash contrib/install-deps.sh "${DS_DEPS:-e2e}" || { echo "0 passed, 1 failed"; exit 1; }
# make check's QEMU snapshot test talks to the system libvirtd: start it.
if [ "$(id -u)" = 0 ] && [ "${DS_DEPS:-e2e}" = e2e ]; then
    bash tests/e2e/bed.sh daemon || echo "run-all: libvirtd did not start" >&2
fi
./autogen.sh >/dev/null 2>&1 || { echo "autogen failed" >&2; echo "0 passed, 1 failed"; exit 1; }
mkdir -p "$build" && cd "$build" || exit 1
if ! "$src/configure" --enable-werror ${DS_CONFIGURE_FLAGS:-} >configure.out 2>&1; then
    tail -n 20 configure.out; echo "0 passed, 1 failed"; exit 1
fi
if ! make -j"$(nproc)" >make.out 2>&1; then
    tail -n 40 make.out; echo "0 passed, 1 failed"; exit 1
fi
rc=0
# The Debian package (make deb: dpkg-buildpackage and lintian, about a
# minute and a half on two idle cores) before the tests: tests/cli/debian.sh
# checks it and the end-to-end suite installs it.  One result of its own.
deb_start=$(date +%s)
if make deb >deb.out 2>&1; then deb_rc=0; else deb_rc=1; tail -n 40 deb.out; fi
echo "run-all: make deb took $(($(date +%s) - deb_start)) s"
make -j"$(nproc)" check || rc=$?
if [ -z "${DS_NO_E2E:-}" ] && grep -q '^check-e2e:' Makefile; then
    make check-e2e || rc=$?
fi
# Count every TAP result the driver recorded: count_trs DIR [FIND-TEST...]
pass=0 fail=0 skip=0
count_trs() {
    local dir=$1 line
    shift
    while IFS= read -r line; do
        case "$line" in
        ":test-result: PASS"* | ":test-result: XFAIL"*) pass=$((pass + 1)) ;;
        ":test-result: SKIP"*) skip=$((skip + 1)) ;;
        ":test-result: "*) fail=$((fail + 1)) ;;
        esac
    done < <(find "$dir" -name '*.trs' "$@" -exec cat {} +)
}
# The tail of every failed test's log under DIR newer than STAMP.
show_failures() {
    find "$1" -name '*.log' -path '*tests*' -newer "$2" | while IFS= read -r f; do
        grep -q '^\(FAIL\|ERROR\)' "$f" 2>/dev/null && { echo "--- $f"; tail -n 30 "$f"; }
    done | head -n 300
}
count_trs .
show_failures . configure.out
if [ "$deb_rc" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi

# Then (unless DS_NO_EXTRA is set), each counted like the suite: the unit
# tests again under ASan/UBSan (a build of their own, $build-asan) and
# under valgrind (this build, DS_VALGRIND=1), and every fuzz target for
# DS_FUZZ_SECONDS (default 20) from its seed corpus (a clang build of its
# own, $build-fuzz; one result per target).  Each step says its time.
step_start=0
step() { step_start=$(date +%s); echo "run-all: $*"; }
step_done() { echo "run-all: $* took $(($(date +%s) - step_start)) s"; }
if [ -z "${DS_NO_EXTRA:-}" ]; then
    step "unit tests under ASan and UBSan"
    mkdir -p "$build-asan"
    if (cd "$build-asan" &&
        "$src/configure" --enable-werror --enable-sanitizers >configure.out 2>&1); then
        (cd "$build-asan" && make -j"$(nproc)" check-unit >check.out 2>&1) || rc=1
        count_trs "$build-asan"
        show_failures "$build-asan" "$build-asan/configure.out"
    else
        tail -n 20 "$build-asan/configure.out"; fail=$((fail + 1))
    fi
    step_done "ASan/UBSan unit tests"

    step "unit tests under valgrind"
    touch valgrind.stamp
    DS_VALGRIND=1 make -j"$(nproc)" check-unit >valgrind.out 2>&1 || rc=1
    count_trs tests/unit -newer valgrind.stamp
    show_failures tests/unit valgrind.stamp
    step_done "valgrind unit tests"

    step "fuzz targets, ${DS_FUZZ_SECONDS:-20} s each"
    mkdir -p "$build-fuzz"
    (cd "$build-fuzz" &&
        "$src/configure" CC=clang --enable-werror --enable-fuzzing >configure.out 2>&1 &&
        make -j"$(nproc)" fuzz FUZZ_SECONDS="${DS_FUZZ_SECONDS:-20}" >fuzz.out 2>&1) || rc=1
    if grep -q '^\(PASS\|FAIL\): fuzz-' "$build-fuzz/fuzz.out" 2>/dev/null; then
        grep '^\(PASS\|FAIL\): fuzz-\|^  | ' "$build-fuzz/fuzz.out"
        pass=$((pass + $(grep -c '^PASS: fuzz-' "$build-fuzz/fuzz.out")))
        fail=$((fail + $(grep -c '^FAIL: fuzz-' "$build-fuzz/fuzz.out")))
    else
        tail -n 40 "$build-fuzz/configure.out" "$build-fuzz/fuzz.out" 2>/dev/null
        fail=$((fail + 1))
    fi
    step_done "fuzz targets"
fi
[ "$rc" -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
