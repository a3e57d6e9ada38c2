#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/show.sh: `driftsync show HOST[@REV]`: the human summary with the
# counts of the manifest, the canonical JSON, the lab side, older
# revisions, and errors for unknown hosts and revisions.
. "$DS_SRCDIR/tests/setup.sh"
plan 27

use_store
count() { python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))[sys.argv[2]]))' "$@"; }

dsc init >/dev/null &&
    dsc record --from "$GOOD/web01.json" "$GOOD/web01-lab.json" "$GOOD/db01.json" >/dev/null ||
    { echo "Bail out! cannot set up the store"; exit 1; }

expect_status 0 "show web01 exits 0" dsc show web01
grep_ok "host and role" "^host +web01 \(prod\)$" "$T/out"
grep_ok "collected at" "^collected at +2026-11-27T02:00:05Z$" "$T/out"
grep_ok "os" "^os +.*debian" "$T/out"
grep_ok "running and installed kernels" "^kernel +6\.1\.0-28-amd64 \(installed: 6\.1\.0-27-amd64 6\.1\.0-28-amd64\)$" "$T/out"
grep_ok "reboot not required" "^reboot +not required$" "$T/out"
for cat in packages sources files services; do
    grep_ok "the $cat count matches the manifest" \
        "^$cat \($(count "$GOOD/web01.json" "$cat")\)$" "$T/out"
done
grep_ok "a package line with version and arch" "^  openssl 3\.0\.15-1~deb12u1 amd64" "$T/out"
grep_ok "a secret file shows no digest" "^  /etc/shadow .*secret" "$T/out"
grep_ok "the revision is shown" "^revision +$(st rev-parse --short=12 HEAD)$" "$T/out"
grep_not "no colour when not on a terminal" "$(printf '\033')" "$T/out"

expect_status 0 "show db01 exits 0" dsc show db01
grep_ok "db01 needs a reboot" "^reboot +required$" "$T/out"

expect_status 0 "show --json exits 0" dsc show --json web01
check "show --json prints the canonical stored bytes" \
    sh -c "git -C '$T/store' show HEAD:prod/web01.json | cmp - '$T/out'"

expect_status 0 "show --lab web01 exits 0" dsc show --lab web01
grep_ok "the lab side is shown" "^host +web01 \(lab\)$" "$T/out"

# An older revision.
$EDIT "$GOOD/web01.json" "$T/web01-v2.json" pkg:openssl=3.0.16-1~deb12u1
dsc record --from "$T/web01-v2.json" >/dev/null
dsc show web01@HEAD~1 >"$T/old" 2>&1
dsc show web01 >"$T/new" 2>&1
if grep -q "^  openssl 3\.0\.15-1~deb12u1 " "$T/old" &&
    grep -q "^  openssl 3\.0\.16-1~deb12u1 " "$T/new"; then
    ok "web01@HEAD~1 shows the older version, web01 the newer"
else not_ok "web01@HEAD~1 shows the older version, web01 the newer"; fi

expect_status 0 "a date revision (today) works" dsc show "web01@$(date +%Y-%m-%d)"
expect_status 2 "a date before the first commit exits 2" dsc show web01@2000-01-01
expect_status 2 "an unknown host exits 2" dsc show web99
grep_ok "one line naming the host" "^driftsync: web99: " "$T/err"
expect_status 2 "an unknown revision exits 2" dsc show web01@nosuchrev
expect_status 2 "a hostile host name exits 2" dsc show ../../etc/passwd
done_testing
