#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/diff-values.sh: every change with its old and new value, on a
# store recorded from real Debian roots (tests/data/dpkg/mkroot.sh, then
# dpkg upgrades, chmod, a retargeted symlink, a disabled unit, a new apt
# source): the words of a change in time (`diff HOST@REV HOST@REV`,
# `log`), of two hosts (`diff web01@HEAD db01@HEAD`) and of a lab against
# prod (`diff HOST`), --json with the values and fields, secret content
# never shown, --stat, --name-only and the closing line over all hosts.
. "$DS_SRCDIR/tests/setup.sh"

require_cmds jq git python3 dpkg-deb dpkg

sh "$DATA/dpkg/mkroot.sh" "$T/r1" >/dev/null 2>&1 || {
    echo "1..1"; echo "not ok 1 - building the Debian root (mkroot.sh)"; exit 1; }
R1=$T/r1/root
R2=$T/r2/root
mkdir -p "$T/r2"
cp -a "$R1" "$R2"
plan 68
EDIT="python3 $DS_SRCDIR/tests/cli/edit-manifest.py"
write_conf "$T/ds.conf" <<CONF

[host web01]
source = local:$R1
files = /etc/app/ /etc/shadow

[host db01]
source = local:$R2
files = /etc/app/ /etc/shadow
CONF
dsc() { ds --config "$T/ds.conf" "$@"; }
dpkg_root() { # ROOT ARGS...: dpkg on a root, as mkroot.sh does
    root=$1; shift
    dpkg --root="$root" --admindir="$root/var/lib/dpkg" \
        --force-script-chrootless --force-not-root --force-unsafe-io "$@" \
        >"$T/dpkg.log" 2>&1
}

check "init" dsc init
check "record both hosts as they were built" dsc record

# ---- web01 changes in time: real dpkg, chmod, ln, a unit disabled ----
sed -i 's/^Version: .*/Version: 1.0-1/' "$T/r1/pkg/ds-svc/DEBIAN/control"
dpkg-deb --build --root-owner-group "$T/r1/pkg/ds-svc" "$T/ds-svc-1.0.deb" >/dev/null
check "dpkg upgrades ds-svc on web01" dpkg_root "$R1" -i "$T/ds-svc-1.0.deb"
rm "$R1/etc/systemd/system/multi-user.target.wants/ds-svc.service"
printf 'setting = tuned for prod\n' >"$R1/etc/ds-conf/a.conf"
chmod 0664 "$R1/etc/ds-conf/a.conf"
ln -sfn sub/tls.pem "$R1/etc/app/current"
printf 'listen = 9090 TOPSECRETVALUE\n' >"$R1/etc/app/app.conf"
echo 'deb http://new.example.com/debian bookworm main' >"$R1/etc/apt/sources.list.d/new.list"
check "record web01 again" dsc record web01
# db01 gets a package web01 lacks (dpkg, installed again after its removal)
check "dpkg installs ds-gone on db01" dpkg_root "$R2" -i "$T/r1/ds-gone.deb"
check "record db01 again" dsc record db01

expect_status 1 "web01 in time: exit 1" dsc diff web01@HEAD~2 web01@HEAD
grep_ok "a header counting changes from one revision to the other" \
    '^web01: [0-9]+ changes from web01@[0-9a-f]{12} to web01@[0-9a-f]{12}$' "$T/out"
grep_ok "the word and both versions, by dpkg's order" \
    '^    ~ ds-svc upgraded 0\.9~rc1-1 -> 1\.0-1$' "$T/out"
grep_ok "content and the mode with both values" \
    '^    ~ /etc/ds-conf/a\.conf changed \(content, mode 0644 -> 0664\)$' "$T/out"
grep_ok "the symlink's old and new target" \
    '^    ~ /etc/app/current changed \(target app\.conf -> sub/tls\.pem\)$' "$T/out"
grep_ok "a secret file: that its content changed, nothing more" \
    '^    ~ /etc/app/app\.conf changed \(secret content\)$' "$T/out"
grep_ok "the service's new state and the old one" \
    '^    ~ ds-svc\.service disabled \(was enabled\)$' "$T/out"
grep_ok "the source added, with its line" \
    '^    \+ source added: deb http://new\.example\.com/debian bookworm main$' "$T/out"
grep_not "no secret content" 'TOPSECRETVALUE|9090|8080' "$T/out"
HMAC=$(git --git-dir="$T/store" show HEAD:prod/web01.json |
    jq -r '.files["/etc/app/app.conf"].hmac')
check "the store has the secret's HMAC" test "${#HMAC}" = 64
grep_not "nor its HMAC" "$(printf %.12s "$HMAC")" "$T/out"

expect_status 1 "the same in --json" dsc --json diff web01@HEAD~2 web01@HEAD
jq_ok "a time comparison" '.comparison == "time"'
jq_ok "the upgrade: old and new versions" \
    '.changes[] | select(.name == "ds-svc" and .category == "packages")
     | .kind == "package-upgraded" and .old == "0.9~rc1-1" and .new == "1.0-1"'
jq_ok "the file: both sides' attributes and a field per attribute" \
    '.changes[] | select(.name == "/etc/ds-conf/a.conf")
     | .old == "0644 root:root" and .new == "0664 root:root"
       and .changed == ["content", "mode"]
       and .fields.mode == {"old": "0644", "new": "0664"}
       and (.fields.content.old | test("^[0-9a-f]{64}$"))
       and .fields.content.old != .fields.content.new'
jq_ok "the symlink: its targets" \
    '.changes[] | select(.name == "/etc/app/current")
     | .fields.target == {"old": "app.conf", "new": "sub/tls.pem"}
       and .old == "symlink -> app.conf"'
jq_ok "the secret: marked, no content value" \
    '.changes[] | select(.name == "/etc/app/app.conf")
     | .secret == true and .fields.content == {"old": null, "new": null}'
jq_ok "the service: enablement before and after" \
    '.changes[] | select(.name == "ds-svc.service")
     | .kind == "service-disabled" and .old == "enabled" and .new == "disabled"'
jq_ok "the source: its line as the new value" \
    '.changes[] | select(.kind == "source-added")
     | .new == "deb http://new.example.com/debian bookworm main" and .old == null'
grep_not "no HMAC in the JSON either" "$(printf %.12s "$HMAC")" "$T/out"

# ---- log keeps the words of time ----
expect_status 0 "log web01" dsc log web01
grep_ok "log: the upgrade with its word" '^    ~ ds-svc upgraded 0\.9~rc1-1 -> 1\.0-1$' "$T/out"

# ---- two hosts ----
expect_status 1 "web01 against db01: exit 1" dsc diff web01@HEAD db01@HEAD
grep_ok "a header naming both" \
    '^web01: [0-9]+ differences between web01@[0-9a-f]{12} and db01@[0-9a-f]{12}$' "$T/out"
grep_ok "what each host has" \
    '^    ~ ds-svc: web01 has 1\.0-1, db01 has 0\.9~rc1-1$' "$T/out"
grep_ok "only on db01" '^    \+ ds-gone 1\.0 only on db01$' "$T/out"
grep_ok "a source only on web01" \
    '^    - source only on web01: deb http://new\.example\.com/debian bookworm main$' "$T/out"
grep_ok "a file's mode on each host" \
    '^    ~ /etc/ds-conf/a\.conf differs \(content; mode: web01 has 0664, db01 has 0644\)$' "$T/out"
grep_ok "a service's state on each host" \
    '^    ~ ds-svc\.service: web01 has disabled, db01 has enabled$' "$T/out"
grep_not "no words of time between two hosts" ' (installed|removed|upgraded|downgraded)' "$T/out"
expect_status 1 "two hosts in --json" dsc --json diff web01@HEAD db01@HEAD
jq_ok "a comparison of hosts" '.comparison == "hosts" and .from.host == "web01" and .to.host == "db01"'

# ---- a lab against prod: the lab is db01 as recorded ----
git --git-dir="$T/store" show HEAD:prod/db01.json >"$T/db01.json"
$EDIT "$T/db01.json" "$T/web01-lab.json" host=web01 role=lab
check "record web01's lab" dsc record --from "$T/web01-lab.json"
expect_status 1 "diff web01: its lab drifts" dsc diff web01
grep_ok "what the lab lacks" \
    '^    \+ the lab lacks source: deb http://new\.example\.com/debian bookworm main$' "$T/out"
grep_ok "what only the lab has" '^    - ds-gone 1\.0 only in the lab$' "$T/out"
grep_ok "the lab's version first, then prod's" \
    '^    ~ ds-svc: the lab has 0\.9~rc1-1, prod 1\.0-1$' "$T/out"
grep_ok "the lab's mode, then prod's" \
    '^    ~ /etc/ds-conf/a\.conf differs \(content; mode: the lab has 0644, prod 0664\)$' "$T/out"
grep_not "no closing line when hosts are named" '^[0-9]+ hosts?:' "$T/out"

# ---- --stat, --name-only, the closing line ----
expect_status 1 "diff over all hosts" dsc diff
grep_ok "ends with a one-line summary" \
    '^2 hosts: 1 drifted \([0-9]+ differences\), 0 in sync, 1 without a lab manifest$' "$T/out"
check "the summary is the last line" sh -c 'tail -n 1 "$1" | grep -q "^2 hosts: "' - "$T/out"
expect_status 1 "diff --stat" dsc diff --stat
N=$(dsc --json diff web01 | jq '.hosts[0].changes | length')
grep_ok "one line per host with counts by category" \
    "^web01: $N differences: packages 2, sources 1, files 4, services 1$" "$T/out"
grep_ok "a host without a lab says so" '^db01: no lab manifest$' "$T/out"
check "three lines: two hosts and the summary" test "$(wc -l <"$T/out")" = 3
expect_status 1 "diff --name-only" dsc diff --name-only
check "one line per difference" test "$(wc -l <"$T/out")" = "$N"
grep_ok "host, category and name, tab-separated" \
    "^web01	packages	ds-svc$" "$T/out"
grep_ok "a file's path" "^web01	files	/etc/ds-conf/a\.conf$" "$T/out"
expect_status 2 "--stat with --name-only is refused" dsc diff --stat --name-only
grep_ok "one line saying so" '^driftsync: diff: --stat and --name-only do not go together$' "$T/err"
expect_status 2 "--stat with --json is refused" dsc --json diff --stat
expect_status 2 "-p with --name-only is refused" dsc diff -p --name-only
grep_ok "one line saying why" '^driftsync: diff: -p shows changes in full; it does not go with --name-only$' "$T/err"
expect_status 1 "diff -p web01: the lab's words with the content diff below" dsc diff -p web01
grep_ok "the line of the file, then its hunk from the lab to prod" \
    '^    ~ /etc/ds-conf/a\.conf differs \(content; mode: the lab has 0644, prod 0664\)$' "$T/out"
check "the hunk follows it" sh -c 'grep -A6 "a\.conf differs" "$1" | grep -q "^      +setting = tuned for prod$"' - "$T/out"
expect_status 1 "diff -p between two hosts" dsc diff -p web01@HEAD db01@HEAD
check "the two hosts' words, then the hunk" sh -c 'grep -A4 "a\.conf differs (content; mode: web01 has 0664, db01 has 0644)" "$1" | grep -q "^      -setting = tuned for prod$"' - "$T/out"
expect_status 0 "--json carries the summary" dsc --json diff db01
jq_ok "the summary's counts" '.summary == {"hosts": 1, "drift": 0, "same": 0, "no_lab": 1, "no_prod": 0, "error": 0, "differences": 0}'
done_testing
