#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/config.sh: the configuration as the program sees it: values
# with trailing comments are used, a wrong file is refused with its line
# number and nothing is done.
. "$DS_SRCDIR/tests/setup.sh"
plan 24

cat >"$T/good.conf" <<CONF
# a comment
; another
[store]
path = $T/store      ; the store, trailing comment
parallel = 2         # another style

[lab]
uri = test:///default

[host web01]
source = ssh://root@web01.example.com   ; production
lab = web01-lab
files = /etc/nginx/ /etc/ssh/sshd_config

[ignore]
packages = linux-image-*
CONF
expect_status 0 "init with a commented config" ds --config "$T/good.conf" init
check "the store is at [store] path, comment stripped" \
    git -C "$T/store" rev-parse --is-bare-repository
grep_ok "init says where" "$T/store" "$T/out"

# A bad value on line 7.
cat >"$T/bad.conf" <<CONF
[store]
path = $T/store2

[lab]
uri = test:///default

parallel = many
CONF
expect_status 2 "a bad value exits 2" ds --config "$T/bad.conf" init
grep_ok "the error gives file, line, section, key and value" \
    "^driftsync: $T/bad.conf:7: \[lab\] parallel: expected a positive integer, got 'many'$" \
    "$T/err"
if [ -e "$T/store2" ]; then not_ok "nothing created on a config error"; else
    ok "nothing created on a config error"; fi

printf '[store]\npath = %s\n[lab]\nparalel = 2\n' "$T/store3" >"$T/typo.conf"
expect_status 2 "a typo in a key exits 2" ds --config "$T/typo.conf" init
grep_ok "the typo is named with its line and a suggestion" \
    "typo.conf:4: \[lab\] unknown key 'paralel' \(did you mean 'parallel'\?\)" \
    "$T/err"

printf '[store]\npath = %s\n\n[hosts web01]\nsource = local:\n' "$T/s" \
    >"$T/section.conf"
expect_status 2 "an unknown section exits 2" ds --config "$T/section.conf" init
grep_ok "the section is named with its line" \
    "section.conf:4: unknown section \[hosts web01\]" "$T/err"

printf '[host web01]\nsource = ftp://web01\n' >"$T/source.conf"
expect_status 2 "a bad source exits 2" ds --config "$T/source.conf" diff
grep_ok "the bad source is named with its line" \
    "source.conf:2: \[host web01\] source: .*got 'ftp://web01'" "$T/err"

expect_status 2 "a missing --config file exits 2" \
    ds --config "$T/nonexistent.conf" init
grep_ok "the missing file is named" "nonexistent.conf" "$T/err"

# $DRIFTSYNC_CONFIG stands in for --config.
expect_status 2 "\$DRIFTSYNC_CONFIG is read" env DRIFTSYNC_CONFIG="$T/bad.conf" "$DRIFTSYNC" init
grep_ok "its error has the line number" "bad.conf:7: \[lab\] parallel" "$T/err"
expect_status 2 "a missing \$DRIFTSYNC_CONFIG is an error" \
    env DRIFTSYNC_CONFIG="$T/none.conf" "$DRIFTSYNC" --store "$T/s4" init

# [patches]: a duration and globs; [host] refresh-lists.
printf '[store]\npath = %s\n[patches]\nsecurity-origins = Debian-Security ACME-*\nmax-list-age = 7 days\n' \
    "$T/s5" >"$T/patches.conf"
expect_status 2 "a bad max-list-age exits 2" ds --config "$T/patches.conf" init
grep_ok "its error names the line and the value" \
    "patches.conf:5: \[patches\] max-list-age: expected a duration such as 30m, 12h, 7d or 2w, got '7 days'" \
    "$T/err"
printf '[store]\npath = %s\n[patches]\nmax-list-age = 36h\nsecurity-suites = *-security *-hotfix\n[host w]\nsource = local:\nrefresh-lists = yes\n' \
    "$T/s6" >"$T/patches2.conf"
expect_status 0 "[patches] and refresh-lists are read" ds --config "$T/patches2.conf" init
printf '[store]\npath = %s\n[patches]\nmax-lists-age = 7d\n' "$T/s7" >"$T/patches3.conf"
expect_status 2 "an unknown [patches] key exits 2" ds --config "$T/patches3.conf" init

# --store wins over [store] path.
expect_status 0 "--store overrides [store] path" \
    ds --config "$T/good.conf" --store "$T/other" init
check "the store went to --store" test -f "$T/other/HEAD"
if [ "$(wc -l <"$T/err")" -eq 0 ]; then ok "nothing on stderr on success"
else not_ok "nothing on stderr on success"; diag "$(cat "$T/err")"; fi
done_testing
