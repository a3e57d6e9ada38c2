#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/agent-collect.sh: collect the package list of both guests
# through the agent transport and check it against dpkg-query run in the
# guest with virsh alone.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/e2e/lib.sh"

plan 10
fmt='${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\n'
for d in $PROD $LAB; do
    t=$(now_ms)
    expect_status 0 "$d: dpkg-query through the agent transport" \
        at "$d" run dpkg-query -W -f "$fmt"
    diag "$d: collected $(wc -l <"$T/out") packages in $(($(now_ms) - t)) ms"
    cp "$T/out" "$T/$d.ours"
    vexec "$d" /usr/bin/dpkg-query -W -f "$fmt" >"$T/$d.ref" 2>"$T/$d.referr"
    check "$d: the same list as dpkg-query via virsh" cmp "$T/$d.ours" "$T/$d.ref"
    n=$(wc -l <"$T/$d.ours")
    check "$d: a real package database ($n packages)" test "$n" -gt 50
    grep_ok "$d: qemu-guest-agent installed" \
        '^qemu-guest-agent	1:7\.2[^	]*	amd64	ii ' "$T/$d.ours"
done
# Both guests come from the same image: their package lists agree.
check "prod and lab start identical" cmp "$T/$PROD.ours" "$T/$LAB.ours"
at "$PROD" read /var/lib/dpkg/status >"$T/status" 2>&1
grep_ok "dpkg's status file read through the agent" '^Package: dpkg$' "$T/status"
done_testing
