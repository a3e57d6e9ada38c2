#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/run-all.sh: from a fresh Debian 12 machine (root): install what the
# tests need, build, run the whole suite, and print "N passed, N failed,
# N skipped" counted from the real test results.
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
make -j"$(nproc)" check || rc=$?
if [ -z "${DS_NO_E2E:-}" ] && grep -q '^check-e2e:' Makefile; then
    make check-e2e || rc=$?
fi
# Count every TAP result the driver recorded.
pass=0 fail=0 skip=0
while IFS= read -r line; do
    case "$line" in
    ":test-result: PASS"* | ":test-result: XFAIL"*) pass=$((pass + 1)) ;;
    ":test-result: SKIP"*) skip=$((skip + 1)) ;;
    ":test-result: "*) fail=$((fail + 1)) ;;
    esac
done < <(find . -name '*.trs' -exec cat {} +)
for f in $(find . -name '*.log' -path '*tests*' -newer configure.out); do
    grep -q '^\(FAIL\|ERROR\)' "$f" 2>/dev/null && { echo "--- $f"; tail -n 30 "$f"; }
done | head -n 300
[ "$rc" -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
