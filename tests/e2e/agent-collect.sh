#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/agent-collect.sh: collect the package list of both guests
# through the agent transport and check it against dpkg-query run in the
# guest with virsh alone.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/e2e/lib.sh"

plan 18
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
# The real collector (the dpkg platform) over the agent transport: its
# manifest lists exactly the installed packages, the captured file's hash
# matches the guest's file.
for d in $PROD $LAB; do
    t=$(now_ms)
    expect_status 0 "$d: manifest collected through the agent" \
        at "$d" collect /etc/debian_version
    diag "$d: whole manifest collected in $(($(now_ms) - t)) ms"
    cp "$T/out" "$T/$d.json"
    jq -r '.packages | to_entries[] | "\(.key | sub(":.*"; ""))\t\(.value.version)"' \
        "$T/$d.json" | LC_ALL=C sort >"$T/$d.manifest-pkgs"
    awk -F'\t' '$4 ~ /^.[itW]/ { print $1 "\t" $2 }' "$T/$d.ref" | LC_ALL=C sort >"$T/$d.ref-pkgs"
    check "$d: manifest packages = dpkg-query in the guest" \
        cmp "$T/$d.manifest-pkgs" "$T/$d.ref-pkgs"
    sum=$(vexec "$d" /usr/bin/sha256sum /etc/debian_version | cut -d' ' -f1)
    check "$d: /etc/debian_version captured with the guest's sha256" \
        test "$(jq -r '.files["/etc/debian_version"].sha256' "$T/$d.json")" = "$sum"
    check "$d: collected through the agent transport" \
        test "$(jq -r .collector.transport "$T/$d.json")" = agent
done
# Both guests come from the same image: their package lists agree.
check "prod and lab start identical" cmp "$T/$PROD.ours" "$T/$LAB.ours"
at "$PROD" read /var/lib/dpkg/status >"$T/status" 2>&1
grep_ok "dpkg's status file read through the agent" '^Package: dpkg$' "$T/status"
done_testing
