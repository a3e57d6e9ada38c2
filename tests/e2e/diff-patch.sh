#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/diff-patch.sh: `driftsync diff -p` on the bed's real guests:
# after a change of a configuration file on prod-e2e (written through the
# agent), `diff -p` shows exactly the lines diff -u finds between the two
# versions read back from the guest with virsh alone; the lab against
# prod shows prod's lines; a secret file on the guest changes and only
# its fingerprint is said to have changed; `show --file` gives the bytes
# the guest has.  prod-e2e is put back as it was.  Runs only with
# DS_E2E=1.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/e2e/lib.sh"

require_cmds git diff
baselines e2e-diffp-baseline $PROD

cat >"$T/ds.conf" <<CONF
[store]
path = $T/store
state = $T/state
[lab]
uri = $E2E_URI
[host e2e]
source = agent:$PROD
lab = $LAB
files = /etc/ds-e2e-diff/
CONF
dsc() { ds --config "$T/ds.conf" "$@"; }

conf_v1() { seq 1 12 | sed 's/.*/option.&= value &/'; printf 'workers = 3\n'; }
conf_v2() { seq 1 12 | sed 's/.*/option.&= value &/; s/^option.7= value 7$/option.7= seven/'; printf 'workers = 5\ntimeout = 60\n'; }
key() { printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----\n' "$1"; }

check "prod: a directory of config files" at $PROD run mkdir -p /etc/ds-e2e-diff
conf_v1 | at $PROD write /etc/ds-e2e-diff/app.conf 0644
key E2EKEYBODYONE | at $PROD write /etc/ds-e2e-diff/deploy.key 0644
vexec $PROD /bin/cat /etc/ds-e2e-diff/app.conf >"$T/v1" 2>/dev/null
check "prod: version 1 written (read back with virsh)" cmp "$T/v1" <(conf_v1)

check "init the store" dsc init
expect_status 0 "record prod" dsc record e2e
expect_status 0 "record the lab" dsc record --lab e2e

conf_v2 | at $PROD write /etc/ds-e2e-diff/app.conf 0644
key E2EKEYBODYTWO | at $PROD write /etc/ds-e2e-diff/deploy.key 0644
vexec $PROD /bin/cat /etc/ds-e2e-diff/app.conf >"$T/v2" 2>/dev/null
check "prod: version 2 written (read back with virsh)" cmp "$T/v2" <(conf_v2)
expect_status 0 "record the change" dsc record e2e

expect_status 1 "diff -p between the two records" dsc diff -p e2e@HEAD~1 e2e@HEAD
cp "$T/out" "$T/p"
# our hunk lines against diff -u of the two versions the guest had
diff -U3 "$T/v1" "$T/v2" | sed -n '/^@@/,$p' >"$T/want"
sed -n '/~ \/etc\/ds-e2e-diff\/app.conf/,/^    [~+-] /p' "$T/p" |
    sed -n 's/^      //p' | sed -n '/^@@/,$p' >"$T/got"
if cmp -s "$T/want" "$T/got"; then
    ok "the changed lines are exactly diff -u's of the guest's file"
else
    not_ok "the changed lines are exactly diff -u's of the guest's file"
    diag "$(diff "$T/want" "$T/got")"
fi
grep_ok "the changed line" '^      -option\.7= value 7$' "$T/p"
grep_ok "its new value" '^      \+option\.7= seven$' "$T/p"
grep_ok "the new line" '^      \+timeout = 60$' "$T/p"
grep_ok "the secret file: only its fingerprint" '^    ~ /etc/ds-e2e-diff/deploy.key changed \(secret content\)$' "$T/p"
grep_ok "said so below it" '^      \(secret file: .*fingerprint changed\)$' "$T/p"
grep_not "no byte of the key" 'E2EKEYBODY|PRIVATE KEY' "$T/p"
expect_status 1 "diff -p --json" dsc diff -p --json e2e@HEAD~1 e2e@HEAD
check "--json: the hunk's lines" jq -e '.changes[] | select(.name == "/etc/ds-e2e-diff/app.conf") | .patch.hunks[0].lines | index("+timeout = 60") != null' "$T/out"
grep_not "--json: no byte of the key" 'E2EKEYBODY|PRIVATE KEY' "$T/out"

expect_status 1 "diff -p e2e: the lab against prod" dsc diff -p e2e
grep_ok "prod's side named" '^      \+\+\+ prod/e2e/etc/ds-e2e-diff/app.conf$' "$T/out"
grep_ok "prod's new line" '^      \+timeout = 60$' "$T/out"

expect_status 0 "show --file" dsc show --file /etc/ds-e2e-diff/app.conf e2e
check "show --file gives the bytes the guest has" cmp "$T/out" "$T/v2"
expect_status 0 "show --file at the first record" dsc show --file /etc/ds-e2e-diff/app.conf e2e@HEAD~1
check "and the guest's first version there" cmp "$T/out" "$T/v1"
check "git fsck is clean" git --git-dir="$T/store" fsck --strict --no-progress

done_testing
