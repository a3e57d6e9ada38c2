#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/data/gen-version-pairs.sh: write version-pairs.txt, lines "A B REL"
# where REL (lt, eq, gt) is what `dpkg --compare-versions` says of A and B.
# The versions are real ones from this system (installed packages and the
# apt package lists) plus hand-picked corner cases.  Run once; the output is
# committed and test-version re-checks a sample of it against dpkg live.
#   usage: tests/data/gen-version-pairs.sh > tests/data/version-pairs.txt
set -eu
export LC_ALL=C
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "package version" from the apt lists (compressed or not) and dpkg.
for f in /var/lib/apt/lists/*_Packages /var/lib/apt/lists/*_Packages.*; do
    [ -e "$f" ] || continue
    /usr/lib/apt/apt-helper cat-file "$f"
done | awk '/^Package:/ { p = $2 } /^Version:/ { print p, $2 }' \
    >"$tmp/avail"
dpkg-query -W -f '${Package} ${Version}\n' | awk 'NF == 2' >"$tmp/inst"
sort -u "$tmp/avail" "$tmp/inst" >"$tmp/pv"

{
    # Corner cases.
    cat <<'PAIRS'
1.0~rc1 1.0
1.0~rc1 1.0~rc2
1.0~~ 1.0~
1.0~ 1.0
1:0.1 2.0
0:2.0 2.0
1.0-1 1.0-1+deb12u1
1.0-1+deb12u1 1.0-1+deb12u2
1.0-1~deb12u1 1.0-1
1.0a 1.0
1.0a 1.0+
1.0+ 1.0.
1.0. 1.0~
2.30-1 2.4-1
2.4-1 2.4-01
1.0-0 1.0
1.0 1.0-
0~ 0
0 00
1.001 1.1
1.0 1.0.0
a 1
~ 0
~~a ~
1.2.3 1.2.3a
1.2.3a 1.2.3b
1.2.3A 1.2.3a
9 10
99999999999999999999999 100000000000000000000000
123456789012345678901234567890 123456789012345678901234567891
2:1.0 10:0.1
10:1.0 9:2.0
1.0-1 1.0-1.1
1.0-1.1 1.0-1a
3.0.11-1~deb12u2 3.0.13-1~deb12u1
6.1.0-25 6.1.0-26
6.1.106-3 6.1.112-1
1:9.2p1-2+deb12u3 1:9.2p1-2+deb12u4
2.36-9+deb12u7 2.36-9+deb12u10
1.22.1-9 1.22.1-9+deb12u1
5.2.15-2+b7 5.2.15-2+b2
1.0+dfsg-1 1.0-1
1.0+dfsg-1 1.0~dfsg-1
20230311 20230311.1
2:1.2.3-4 1:5.6.7-8
1.0-1-1 1.0-1
1.0-a 1.0-1
1:1:1 1:1.1
PAIRS
    # Real upgrade pairs: each package's versions, pairwise (the lists
    # often hold bookworm and bookworm-security/-updates versions).
    awk '{ v[$1] = ($1 in v) ? v[$1] " " $2 : $2 }
         END { for (p in v) { n = split(v[p], a, " ");
               for (i = 1; i < n; i++) for (j = i + 1; j <= n; j++)
                   print a[i], a[j] } }' "$tmp/pv" | sort -u | head -n 250
    # Neighbours in byte order share prefixes: the cases that need care.
    cut -d' ' -f2 "$tmp/pv" | sort -u >"$tmp/v"
    awk 'NR % 60 == 1 && prev != "" { print prev, $0 } { prev = $0 }' "$tmp/v"
    # Random pairs (fixed seed).
    awk 'BEGIN { srand(20261127) } { v[NR] = $0 }
         END { for (i = 0; i < 300; i++) {
                 a = v[int(rand() * NR) + 1]; b = v[int(rand() * NR) + 1];
                 print a, b } }' "$tmp/v"
} | awk 'NF == 2' | while read -r a b; do
    if dpkg --compare-versions "$a" lt "$b" 2>/dev/null; then rel=lt
    elif dpkg --compare-versions "$a" eq "$b" 2>/dev/null; then rel=eq
    elif dpkg --compare-versions "$a" gt "$b" 2>/dev/null; then rel=gt
    else continue # dpkg refuses it: not a comparable pair
    fi
    echo "$a $b $rel"
done
