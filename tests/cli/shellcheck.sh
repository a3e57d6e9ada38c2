#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/shellcheck.sh: the shell scripts driftsync runs on hosts
# (FOLDER/scripts/*.sh, embedded in the program) pass shellcheck as POSIX
# sh and parse with this machine's sh; so do the project's own scripts
# listed below, checked as the shell their first line names.
. "$DS_SRCDIR/tests/setup.sh"
require_cmds shellcheck

cd "$DS_SRCDIR" || exit 1
embedded=""
for f in */scripts/*.sh */*/scripts/*.sh; do
    [ -f "$f" ] && embedded="$embedded $f"
done
# The project's scripts kept clean (the test scripts, which share
# tests/setup.sh's local variables, are not among them).
own="autogen.sh autotools/embed-scripts.sh contrib/install-deps.sh
     contrib/demo.sh tests/tap-wrap.sh tests/data/gen-version-pairs.sh
     tests/e2e/run.sh tests/e2e/host-mirror.sh tests/fuzz/run.sh
     debian/driftsync.postinst debian/driftsync.postrm"
plan $((1 + 2 * $(echo "$embedded" | wc -w) + $(echo "$own" | wc -w)))

# drivers/scripts/ and sync/jobs/scripts/ at least.
case $embedded in
*drivers/scripts/dpkg-facts.sh*sync/jobs/scripts/audit-proc.sh*)
    ok "the embedded scripts are found" ;;
*) not_ok "the embedded scripts are found"; diag "found: $embedded" ;;
esac
for f in $embedded; do
    if shellcheck -s sh -- "$f" >"$T/sc" 2>&1; then ok "shellcheck -s sh $f"
    else not_ok "shellcheck -s sh $f"; diag "$(head -n 40 "$T/sc")"; fi
    check "sh -n $f" sh -n "$f"
done
for f in $own; do
    if shellcheck -- "$f" >"$T/sc" 2>&1; then ok "shellcheck $f"
    else not_ok "shellcheck $f"; diag "$(head -n 40 "$T/sc")"; fi
done
done_testing
