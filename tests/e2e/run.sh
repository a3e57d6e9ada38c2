#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/run.sh: bring the end-to-end bed up (tests/e2e/bed.sh), then
# run the command given (make check TESTS="the e2e tests") with DS_E2E=1.
# Used by `make check-e2e`; the domains stay up for the next run
# (`make e2e-down` removes them).
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then
    echo "check-e2e: skipped: the test bed needs root (libvirt qemu:///system)"
    exit 0
fi
start=$(date +%s)
# A fresh bed: both domains redefined on new overlays of the cached image
# and booted, so no earlier run's state (snapshots, overlays, changes in
# the guests) leaks into this one.
bash "$here/bed.sh" "${DS_E2E_BED:-fresh}" || { echo "check-e2e: the test bed did not come up" >&2; exit 1; }
echo "check-e2e: bed up after $(($(date +%s) - start))s"
DS_E2E=1 "$@"
rc=$?
echo "check-e2e: done after $(($(date +%s) - start))s (exit $rc)"
exit $rc
