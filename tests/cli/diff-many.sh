#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/diff-many.sh: `diff` over more hosts than are computed ahead
# of the output (the hosts' drifts are worked out on threads while the
# first are printed): every host is reported once, in name order, with
# its own status, in text, --json, --stat and -p alike, and the closing
# tally counts them all.
. "$DS_SRCDIR/tests/setup.sh"
require_cmds jq
plan 8

use_store
dsc init >/dev/null || { echo "Bail out! init failed"; exit 1; }

# 150 hosts: every third one's lab has nginx.conf at 0640 (drift), every
# fifth has no lab at all, the rest are the same as prod.
N=150
mkdir "$T/m"
i=0
while [ $i -lt $N ]; do
    h=$(printf 'h%03d' $i)
    jq --arg h "$h" '.host = $h' "$GOOD/web01.json" >"$T/m/$h.json"
    if [ $((i % 5)) != 0 ]; then
        if [ $((i % 3)) = 0 ]; then
            jq --arg h "$h" '.host = $h | .role = "lab"
                | .files["/etc/nginx/nginx.conf"].mode = "0640"' \
                "$GOOD/web01.json" >"$T/m/$h-lab.json"
        else
            jq --arg h "$h" '.host = $h | .role = "lab"' "$GOOD/web01.json" \
                >"$T/m/$h-lab.json"
        fi
    fi
    i=$((i + 1))
done
dsc record --from "$T"/m/*.json >/dev/null || { echo "Bail out! record failed"; exit 1; }

# what each host must be, in name order
i=0
: >"$T/want"
while [ $i -lt $N ]; do
    h=$(printf 'h%03d' $i)
    if [ $((i % 5)) = 0 ]; then s=no-lab
    elif [ $((i % 3)) = 0 ]; then s=drift
    else s=same; fi
    echo "$h $s" >>"$T/want"
    i=$((i + 1))
done
drift=$(grep -c ' drift$' "$T/want")
nolab=$(grep -c ' no-lab$' "$T/want")
same=$(grep -c ' same$' "$T/want")

dsc diff >"$T/text" 2>&1
check "diff: exit 1 (drift)" [ $? = 1 ]
sed -n 's/^\(h[0-9]*\): \(.*\)/\1 \2/p' "$T/text" |
    sed 's/ lab matches prod$/ same/; s/ no lab manifest.*/ no-lab/; s/ [0-9]* differences* .*/ drift/' \
        >"$T/got"
check "text: every host once, in order, with its own status" cmp -s "$T/want" "$T/got"
grep_ok "text: the tally counts every host" \
    "^$N hosts: $drift drifted \\($drift differences\\), $same in sync, $nolab without a lab manifest$" "$T/text"

dsc --json diff >"$T/out" 2>&1
check "--json: exit 1" [ $? = 1 ]
jq -r '.hosts[] | "\(.host) \(.status)"' "$T/out" >"$T/got"
check "--json: every host once, in order, with its own status" cmp -s "$T/want" "$T/got"

dsc diff --stat >"$T/stat" 2>&1
cut -d' ' -f1 "$T/want" >"$T/hosts"
check "--stat: a line per host, in order" \
    sh -c "sed -n 's/^\(h[0-9]*\): .*/\1/p' '$T/stat' | cmp -s - '$T/hosts'"

dsc diff -p >"$T/patch" 2>&1
check "-p: the same hosts drift" \
    sh -c "grep -c '^h[0-9]*: 1 difference (lab -> prod)$' '$T/patch' | grep -qx $drift"
check "-p: each drifted host's mode change, once" \
    sh -c "[ \$(grep -c 'nginx.conf differs (mode: the lab has 0640, prod 0644)' '$T/patch') = $drift ]"
done_testing
