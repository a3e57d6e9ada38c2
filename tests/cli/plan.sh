#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/plan.sh: `driftsync plan HOST`: the ordered actions that bring
# a lab to prod, from manifests recorded with `record --from`: phases in
# order, one pinned apt transaction, -v commands, --json, ignore rules,
# exit 0 / 1 / 2.
. "$DS_SRCDIR/tests/setup.sh"
plan 36

GOOD="$DATA/good"
printf '[store]\npath = %s/store\n' "$T" >"$T/ds.conf"
dsc() { ds --config "$T/ds.conf" "$@"; }
jcheck() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $1" "$T/out"; }

# prod: the fixture as it is.  lab: the same host drifted in every phase.
cp "$GOOD/web01.json" "$T/prod.json"
python3 - "$T/prod.json" "$T/lab.json" <<'EOF' || { echo "Bail out! python3"; exit 1; }
import json, sys
m = json.load(open(sys.argv[1]))
m["role"] = "lab"
m["collected_at"] = "2026-11-27T03:00:00Z"
p = m["packages"]
p["openssl"]["version"] = "3.0.11-1~deb12u2"      # prod newer: upgrade
p["curl"]["version"] = "7.88.1-10+deb12u9"         # prod older: downgrade
del p["nginx"]                                     # prod has it: install
p["vim-tiny"] = {"arch": "amd64", "version": "2:9.0.1378-2"}  # removal
s = m["sources"]
s.remove("deb http://deb.debian.org/debian bookworm-updates main")
s.append("deb http://deb.debian.org/debian bookworm-backports main")
s.sort()
m["kernel"]["running"] = "6.1.0-27-amd64"
m["services"]["cron.service"] = {"enabled": "disabled", "active": "inactive"}
del m["services"]["nginx.service"]
f = m["files"]
f["/etc/ssh/sshd_config"]["mode"] = "0600"         # chmod only
f["/etc/shadow"]["hmac"] = "00" * 32               # secret differs
del f["/etc/nginx/sites-enabled/default"]          # link to create
f["/etc/lab-only.conf"] = dict(f["/etc/nginx/nginx.conf"])  # to remove
json.dump(m, open(sys.argv[2], "w"), indent=2, sort_keys=True)
EOF

dsc init >/dev/null || { echo "Bail out! init failed"; exit 1; }
dsc record --from "$T/prod.json" "$T/lab.json" "$GOOD/db01.json" \
    >/dev/null || { echo "Bail out! record failed"; exit 1; }

expect_status 1 "a drifted lab: exit 1" dsc plan web01
grep_ok "a header with the number of steps" \
    "^web01: [0-9]+ steps to bring the lab to prod \(1 by hand\)$" "$T/out"
# Phase headings in the order they run.
grep '^  [a-z]*:$' "$T/out" >"$T/phases"
printf '  sources:\n  packages:\n  files:\n  services:\n  reboot:\n' >"$T/want"
check "phases in order: sources, packages, files, services, reboot" \
    cmp "$T/phases" "$T/want"
grep_ok "step 1 writes prod's sources to the managed file" \
    "^ +1\. write prod's 3 apt source lines to /etc/apt/sources.list.d/driftsync.list \(1 added, 1 removed\)" "$T/out"
grep_ok "step 2 sets the other sources files aside" "^ +2\. set the lab's other apt sources" "$T/out"
grep_ok "step 3 refreshes the package lists" "^ +3\. refresh the package lists" "$T/out"
grep_ok "step 4 is one transaction" \
    "^ +4\. one package transaction: 1 install, 1 upgrade, 1 downgrade, 1 removal$" "$T/out"
grep_ok "the upgrade shows both versions" \
    "upgrade openssl 3\.0\.11-1~deb12u2 -> 3\.0\.15-1~deb12u1" "$T/out"
grep_ok "the downgrade shows both versions" \
    "downgrade curl 7\.88\.1-10\+deb12u9 -> 7\.88\.1-10\+deb12u8" "$T/out"
grep_ok "a file only in the lab is removed" "remove /etc/lab-only.conf" "$T/out"
grep_ok "a link prod has is created" \
    "link /etc/nginx/sites-enabled/default -> /etc/nginx/sites-available/default" "$T/out"
grep_ok "a mode difference is a chmod" "set the mode of /etc/ssh/sshd_config to 0644" "$T/out"
grep_ok "a secret file is listed for copying by hand" \
    "\[by hand\] /etc/shadow: secret file differs: cannot be replayed, must be copied by hand" "$T/out"
grep_ok "services: cron enabled" "enable cron\.service" "$T/out"
grep_ok "services: nginx started" "start nginx\.service" "$T/out"
tail -n 1 "$T/out" >"$T/last"
grep_ok "the last step is the reboot" \
    "reboot: prod runs kernel 6\.1\.0-28-amd64, the lab runs 6\.1\.0-27-amd64" \
    "$T/last"
grep_not "no commands without -v" '\$ ' "$T/out"

expect_status 1 "plan -v exits 1" dsc plan -v web01
grep_ok "-v shows the one apt-get command, pinned, removal suffixed" \
    '\$ env DEBIAN_FRONTEND=noninteractive apt-get install -y --allow-downgrades --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -- curl=7\.88\.1-10\+deb12u8 nginx=1\.22\.1-9 openssl=3\.0\.15-1~deb12u1 vim-tiny-$' \
    "$T/out"
grep_ok "-v shows systemctl with --" '\$ systemctl enable -- cron\.service$' "$T/out"
grep_ok "-v shows the desired source lines" \
    "^ +deb http://deb\.debian\.org/debian bookworm-updates main$" "$T/out"

expect_status 1 "plan --json exits 1" dsc plan --json web01
check "plan --json: host, steps, phases in order, argv arrays" jcheck '
order = ["sources", "packages", "files", "services", "reboot"]
acts = d["actions"]
assert d["host"] == "web01" and d["drift"] is True, d
assert d["count"] == len(acts) and d["manual"] == 1, d
assert [a["step"] for a in acts] == list(range(1, len(acts) + 1))
ph = [order.index(a["phase"]) for a in acts]
assert ph == sorted(ph), ph
pk = [a for a in acts if a["kind"] == "packages"]
assert len(pk) == 1, pk
assert pk[0]["requests"] == ["curl=7.88.1-10+deb12u8", "nginx=1.22.1-9",
                             "openssl=3.0.15-1~deb12u1", "vim-tiny-"], pk
assert pk[0]["argv"][2:4] == ["apt-get", "install"], pk
sw = acts[0]
assert sw["kind"] == "sources-write" and sw["path"].endswith("driftsync.list")
assert "deb http://deb.debian.org/debian bookworm-backports main" not in sw["sources"]
assert len(sw["sources"]) == 3 and sw["stdin_bytes"] > 0, sw
man = [a for a in acts if not a["applicable"]]
assert all("argv" not in a for a in man), man
assert [a["path"] for a in man] == ["/etc/shadow"], man
assert acts[-1]["kind"] == "reboot" and acts[-1]["argv"] == ["systemctl", "reboot"]'
if command -v jq >/dev/null 2>&1; then
    check "plan --json through jq: the first step is in the sources phase" \
        sh -c "jq -e '.actions[0].phase == \"sources\"' '$T/out' >/dev/null"
else
    skip "jq is not installed"
fi

# Ignore rules from the config apply to the plan.
printf '[store]\npath = %s/store\n[ignore]\npackages = vim-tiny\nservices = nginx.*\n' \
    "$T" >"$T/ign.conf"
expect_status 1 "with ignore rules: still exit 1" \
    ds --config "$T/ign.conf" plan --json web01
check "ignored package and service leave the plan" jcheck '
acts = d["actions"]
pk = [a for a in acts if a["kind"] == "packages"][0]
assert "vim-tiny-" not in pk["requests"] and len(pk["requests"]) == 3, pk
assert not [a for a in acts if "nginx.service" in a.get("argv", [])], acts
assert [a for a in acts if "cron.service" in a.get("argv", [])], acts'

# A lab that mirrors prod: nothing to do.
python3 -c "
import json, sys
m = json.load(open(sys.argv[1])); m['role'] = 'lab'
json.dump(m, open(sys.argv[2], 'w'), indent=2, sort_keys=True)" \
    "$GOOD/db01.json" "$T/db01-lab.json"
dsc record --from "$T/db01-lab.json" >/dev/null
expect_status 0 "a lab equal to prod: exit 0" dsc plan db01
grep_ok "it says there is nothing to do" "^db01: nothing to do, the lab matches prod$" "$T/out"
expect_status 0 "--json for an equal lab exits 0" dsc plan --json db01
check "--json: no actions, no drift" jcheck '
assert d["actions"] == [] and d["drift"] is False and d["count"] == 0, d'

# Errors: exit 2 with one clear line.
expect_status 2 "an unknown host: exit 2" dsc plan nosuch
grep_ok "it names the host and says prod is missing" \
    "^driftsync: nosuch: no prod manifest in the store" "$T/err"
python3 -c "
import json, sys
m = json.load(open(sys.argv[1])); m['host'] = 'app01'
json.dump(m, open(sys.argv[2], 'w'), indent=2, sort_keys=True)" \
    "$GOOD/db01.json" "$T/app01.json"
dsc record --from "$T/app01.json" >/dev/null
expect_status 2 "a host without a lab manifest: exit 2" dsc plan app01
grep_ok "it says to record the lab first" \
    "^driftsync: app01: no lab manifest in the store; record the lab first" "$T/err"
expect_status 2 "a hostile host name: exit 2" dsc plan -- '-x;reboot'
expect_status 2 "no host: exit 2" dsc plan
