#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/patches.sh: `driftsync patches`: pending updates per host from
# the store (--stored) with their age from its history, security first,
# held-back ones, stale lists, exit 0 / 1 / 2, --json; live on a real dpkg
# root whose apt reads a local repository with a security suite, by an
# apt-only collection that says what a full one says; holds as drift in
# `diff`.
. "$DS_SRCDIR/tests/setup.sh"
require_cmds jq dpkg-deb dpkg-scanpackages apt-cache
plan 44

use_store
dsc init >/dev/null || { echo "Bail out! init failed"; exit 1; }
W=$GOOD/web01.json

# Three records of web01: openssl pending from the first on (its candidate
# changes on the way), curl pending only in the first, bash from the second.
$EDIT "$W" "$T/w1.json" at=2026-11-20T02:00:00Z pending: \
    pending:openssl=3.0.16-1~deb12u1:security pending:curl=7.88.1-10+deb12u9 \
    hold:nginx lists=2026-11-19T23:00:00Z
$EDIT "$W" "$T/w2.json" at=2026-11-25T02:00:00Z pending: \
    pending:openssl=3.0.17-1~deb12u1:security pending:bash=5.2.15-2+b9 \
    pending:nginx=1.22.1-9+deb12u1 hold:nginx lists=2026-11-24T23:00:00Z
$EDIT "$W" "$T/w3.json" at=2026-11-26T02:00:00Z pending: \
    pending:openssl=3.0.17-1~deb12u1:security pending:bash=5.2.15-2+b9 \
    pending:nginx=1.22.1-9+deb12u1 hold:nginx lists=2026-11-24T23:00:00Z \
    auto:curl
for f in w1 w2 w3; do
    dsc record --from "$T/$f.json" >/dev/null ||
        { echo "Bail out! record $f failed"; exit 1; }
done

expect_status 1 "something pending: exit 1" dsc patches --stored web01
grep_ok "a summary line per host" \
    "^web01: 2 pending \(1 security\), 1 held back; lists updated [0-9]+ d ago$" "$T/out"
if [ "$(sed -n 2p "$T/out" | awk '{print $1, $2}')" = "security openssl" ]; then
    ok "security first"; else not_ok "security first"; diag "$(cat "$T/out")"; fi
grep_ok "candidate, installed version and archive" \
    "security openssl 3\.0\.15-1~deb12u1 -> 3\.0\.17-1~deb12u1  Debian:bookworm-security  pending for [0-9]+ d" "$T/out"
grep_ok "the held package is held back, not pending" \
    "^  held +nginx 1\.22\.1-9 -> 1\.22\.1-9\+deb12u1 .*on hold" "$T/out"
grep_ok "lists older than max-list-age (7 d by default): a finding" \
    "finding: the package lists are [0-9]+ d old, older than \[patches\] max-list-age \(7 d\)" "$T/out"

expect_status 1 "--json exits 1 too" dsc --json patches --stored web01
jq_ok "--json: openssl pending since its first pending record" \
    '.hosts[0].pending[] | select(.name == "openssl") | .since == "2026-11-20T02:00:00Z" and .security and .version == "3.0.17-1~deb12u1"'
jq_ok "--json: bash since the record where it appeared" \
    '.hosts[0].pending[] | select(.name == "bash") | .since == "2026-11-25T02:00:00Z" and (.security | not)'
jq_ok "--json: curl no longer pending" \
    '[.hosts[0].pending[].name] == ["openssl", "bash"]'
jq_ok "--json: held back, stale lists, summary, exit" \
    '.hosts[0].held_back[0].name == "nginx" and .hosts[0].findings[0].kind == "stale-lists" and .summary.pending == 2 and .summary.security == 1 and .exit == 1 and .source == "store"'
jq_ok "--json: the age is counted from the first record" \
    '.hosts[0].pending[0].age_s >= (.hosts[0].pending[1].age_s + 5 * 86400)'

expect_status 1 "--security: only security updates" dsc patches --stored --security web01
grep_not "--security: bash is not listed" "bash" "$T/out"
grep_ok "--security: openssl is" "security openssl" "$T/out"

# A generous max-list-age: no finding.
printf '[patches]\nmax-list-age = 1000w\n' >>"$T/ds.conf"
expect_status 1 "max-list-age read from [patches]" dsc patches --stored web01
grep_not "lists younger than max-list-age: no finding" "finding" "$T/out"

# Nothing pending: exit 0.
$EDIT "$W" "$T/w4.json" at=2026-11-27T02:00:00Z pending: lists=2026-11-27T01:00:00Z
dsc record --from "$T/w4.json" >/dev/null
expect_status 0 "nothing pending: exit 0" dsc patches --stored web01
grep_ok "it says so" "^web01: nothing pending, 0 held back" "$T/out"

# A manifest from before pending updates were collected: not known, exit 2.
dsc record --from "$GOOD/db01.json" >/dev/null
expect_status 2 "pending unknown: exit 2" dsc patches --stored db01
grep_ok "it says why" "^db01: pending updates not known" "$T/out"
expect_status 2 "all stored hosts: db01 makes it 2" dsc patches --stored
expect_status 2 "a host without a manifest: exit 2" dsc patches --stored nosuch
grep_ok "one clear error naming the host" "nosuch: no prod manifest in the store" "$T/err"
expect_status 2 "a bad host name: exit 2" dsc patches --stored '../x'

# Holds are drift: the lab lacks prod's hold on nginx.
$EDIT "$GOOD/web01-lab.json" "$T/lab.json" pending: auto:curl
$EDIT "$T/w3.json" "$T/w5.json" at=2026-11-28T02:00:00Z
dsc record --from "$T/w5.json" "$T/lab.json" >/dev/null
expect_status 1 "diff: the lab's holds differ" dsc diff web01
grep_ok "diff shows the hold" "nginx held" "$T/out"
expect_status 1 "diff --json: a hold-changed change" dsc --json diff web01
jq_ok "hold-changed, unheld -> held" \
    '[.hosts[0].changes[] | select(.kind == "hold-changed")][0] | .name == "nginx" and .old == "unheld" and .new == "held"'

# The plan replays the hold after the package transaction, as argv.
printf '[host web01]\nsource = local:\nlab = web01-lab\n' >>"$T/ds.conf"
expect_status 1 "plan: actions to take" dsc plan web01
grep_ok "plan: the hold as a step of the packages phase" \
    "^ +[0-9]+\. hold as on prod: nginx$" "$T/out"
expect_status 1 "plan --json" dsc --json plan web01
jq_ok "plan --json: apt-mark hold -- nginx, after the transaction" \
    '[.actions[] | select(.phase == "packages") | .kind] as $k | ($k | index("apt-mark")) > ($k | index("packages")) and ([.actions[] | select(.kind == "apt-mark")][0].argv == ["apt-mark", "hold", "--", "nginx"])'

# Live: a real dpkg root reading a local repository.
sh "$DATA/dpkg/mkrepo.sh" "$T/repo" || { echo "Bail out! mkrepo.sh failed"; exit 1; }
cat >>"$T/ds.conf" <<EOF2
[host rootweb]
source = local:$T/repo/root
EOF2
expect_status 1 "live: pending updates from the host's repository" dsc patches rootweb
grep_ok "live: the security update from the Debian-Security suite" \
    "security ds-sec 1\.0-1 -> 1\.0-2  Debian:bookworm-security" "$T/out"
grep_ok "live: the ordinary one" "update +ds-upd 2\.0-1 -> 2\.1-1  Debian:bookworm " "$T/out"
grep_ok "live: the held package is held back" "held +ds-held 1\.0-1 -> 1\.1-1" "$T/out"
sed -i 's/^max-list-age = 1000w$/max-list-age = 1000w\nsecurity-origins = ACME-Security\nsecurity-suites = *-hotfix/' "$T/ds.conf"
expect_status 0 "live: a company's rule: no security update here" dsc patches --security rootweb

# Live, `patches` collects only what pending needs (no kernel, no conffile
# checksums: the full collection's `uname` never runs), and says what a
# full `record` says.  The shim logs each run of uname, then runs it.
real_uname=$(command -v uname)
mkdir -p "$T/shim"
printf '#!/bin/sh\necho uname >>"%s"\nexec "%s" "$@"\n' "$T/ran" "$real_uname" >"$T/shim/uname"
chmod 0755 "$T/shim/uname"
sed -i '/^security-origins = /d; /^security-suites = /d' "$T/ds.conf"
path0=$PATH
PATH=$T/shim:$PATH
expect_status 1 "live patches --json" dsc --json patches rootweb
cp "$T/out" "$T/live.json"
check "live patches ran no full collection (no uname)" test ! -e "$T/ran"
expect_status 0 "record rootweb (a full collection)" dsc record rootweb
check "the full collection did run uname (the shim works)" test -s "$T/ran"
PATH=$path0
expect_status 1 "patches --stored --json" dsc --json patches --stored rootweb
keep='[.hosts[0] | (.pending, .held_back)[] | del(.since, .age_s)]'
if [ "$(jq -c "$keep" "$T/live.json")" = "$(jq -c "$keep" "$T/out")" ] &&
    [ "$(jq -c "$keep | length" "$T/out")" -ge 3 ]; then
    ok "live and stored agree: the same pending and held-back updates"
else
    not_ok "live and stored agree: the same pending and held-back updates"
    diag "live: $(jq -c "$keep" "$T/live.json")"; diag "stored: $(jq -c "$keep" "$T/out")"
fi
