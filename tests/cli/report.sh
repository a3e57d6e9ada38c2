#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/report.sh: `driftsync report`: the HTML page and JSON document
# of a store recorded with `record --from`, the last run of a real
# `driftsync mirror` (libvirt's test driver, as tests/cli/mirror.sh), a
# trial result and an audit in the state directory.  Checks the JSON
# content, the HTML structure (xmllint), that hostile names are escaped,
# atomic writes, --days, --json, --output, exit codes and --help.
. "$DS_SRCDIR/tests/setup.sh"

require_cmds jq git python3 dpkg-deb xmllint

sh "$DATA/dpkg/mkroot.sh" "$T/r1" >/dev/null 2>&1 || {
    echo "1..1"; echo "not ok 1 - building the Debian root (mkroot.sh)"; exit 1; }
ROOT=$T/r1/root
EDIT="python3 $DS_SRCDIR/tests/cli/edit-manifest.py"
OUT=$T/state/reports
write_conf "$T/ds.conf" <<CONF

[host web01]
source = local:$ROOT
lab = lab-web01

[host db01]
source = local:$ROOT
lab = lab-db01

[host nolab]
source = local:$ROOT
CONF
dsc() { ds --config "$T/ds.conf" "$@"; }
jq_ok() { check "$1" jq -e "$2" "$OUT/report.json"; }
# xpath_count EXPR: how many nodes EXPR matches in the page.
xpath_count() {
    xmllint --html --xpath "count($1)" "$OUT/report.html" 2>/dev/null
}
xpath_ok() { # DESCRIPTION EXPR WANTED
    got=$(xpath_count "$2")
    if [ "$got" = "$3" ]; then ok "$1"; else not_ok "$1 (got $got, wanted $3)"; fi
}

# ---- usage and errors ----
expect_status 0 "--help" dsc report --help
grep_ok "--help lists --output" '--output=DIR' "$T/out"
grep_ok "--help lists --days" '--days=N' "$T/out"
ds --help >"$T/help"
grep_ok "driftsync --help lists the verb" '^  report \[--output DIR\]' "$T/help"
expect_status 2 "a host argument is refused" dsc report web01
grep_ok "one line naming it" "^driftsync: report: unexpected argument 'web01'" "$T/err"
expect_status 2 "--days 0 is refused" dsc report --days 0
grep_ok "says the range" 'days must be between 1 and' "$T/err"
expect_status 2 "--days garbage is refused" dsc report --days soon
expect_status 2 "no store" dsc report
check "nothing written without a store" test ! -e "$OUT"

# ---- an empty store: an empty report, no mirror, no audit, no trial ----
check "init" dsc init
expect_status 0 "report of an empty store" dsc report
jq_ok "no hosts, nothing else yet" \
    '.schema == "driftsync/report/v1" and .hosts == [] and .head == null
     and .mirror == null and .audit == null and .trials == [] and .days == 30'
grep_ok "the page says no audit yet" 'no audit yet' "$OUT/report.html"
grep_ok "and no mirror run yet" 'no mirror run in this state directory yet' "$OUT/report.html"

# ---- a real mirror run: web01 in sync, db01 drifted (fails: no agent) ----
dsc mirror >/dev/null 2>&1
for h in web01 db01; do
    git --git-dir="$T/store" show "HEAD:prod/$h.json" >"$T/$h.json"
done
$EDIT "$T/web01.json" "$T/web01-lab.json" role=lab
$EDIT "$T/db01.json" "$T/db01-lab.json" role=lab pkg:ds-conf=1:2.3-3 \
    svc:ds-extra.service=enabled/active
check "record the labs" dsc record --from "$T/web01-lab.json" "$T/db01-lab.json"
expect_status 1 "mirror: db01 fails at its lab (test driver, no agent)" dsc mirror

# A prod host with hostile data: a file path and an apt source line are
# free text (host, package and service names are validated on record).
python3 - "$T/web01.json" "$T/evil.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
m["host"] = "evil"
m["sources"].append('deb http://x/"><script>alert(1)</script> bookworm main')
f = dict(next(iter(m["files"].values())))
f.pop("content_ref", None)
m["files"]['/etc/<img src=x onerror=alert(2)>&\'".conf'] = f
json.dump(m, open(sys.argv[2], "w"))
EOF
python3 - "$T/web01.json" "$T/evil-lab.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
m["host"] = "evil"; m["role"] = "lab"
json.dump(m, open(sys.argv[2], "w"))
EOF
check "record the hostile host" dsc record --from "$T/evil.json" "$T/evil-lab.json"
$EDIT "$T/web01.json" "$T/web01-b.json" pkg:ds-new=1.0-1
check "record a change of web01" dsc record --from "$T/web01-b.json"

# A trial result and an audit, in their documented schemas.
mkdir -p "$T/state/trials" "$T/state/audit"
cat >"$T/state/trials/20261127T100000Z-ab12.json" <<'EOF'
{"schema": "driftsync/trial/v1", "run": "20261127T100000Z-ab12", "host": "web01",
 "started_at": "2026-11-27T10:00:00Z", "finished_at": "2026-11-27T10:01:00Z",
 "seconds": 60.0, "passed": false, "reverted": true,
 "error": "check `<b>curl</b>` exited 7"}
EOF
cat >"$T/state/trials/20261126T100000Z-cd34.json" <<'EOF'
{"schema": "driftsync/trial/v1", "run": "20261126T100000Z-cd34", "host": "db01",
 "started_at": "2026-11-26T10:00:00Z", "passed": true, "reverted": true, "error": null}
EOF
echo '{"schema": "driftsync/trial/v1", "run": "trunc' >"$T/state/trials/broken.json"

HEAD=$(git --git-dir="$T/store" rev-parse HEAD)
expect_status 0 "report exits 0" dsc report
check "it prints both paths" test "$(cat "$T/out")" = "$OUT/report.html
$OUT/report.json"
check "no temporary file left" sh -c '! ls "$1" | grep -q tmp' - "$OUT"
check "the JSON is valid" jq -e . "$OUT/report.json"
jq_ok "head, hosts and totals" \
    ".head == \"$HEAD\" and ([.hosts[].host] == [\"db01\", \"evil\", \"nolab\", \"web01\"])
     and .totals.hosts == 4 and .totals.drifted == 3"
jq_ok "db01 drifts by one package and one service" \
    '.hosts[0] | .status == "drift" and .drift.packages == 1 and .drift.services == 1
     and .drift.files == 0 and .drift_total == 2
     and ([.differences[].category] | sort) == ["packages", "services"]'
jq_ok "evil drifts in sources and files" \
    '.hosts[1] | .drift.sources == 1 and .drift.files == 1 and .drift.packages == 0'
jq_ok "nolab has no lab" '.hosts[2].status == "no-lab"'
jq_ok "web01: its lab lacks the new package" \
    '.hosts[3] | .status == "drift" and .drift_total == 1
     and .differences == [.differences[0]] and .differences[0].name == "ds-new"
     and .differences[0].category == "packages"'
jq_ok "web01's history: two records today, the newest its new package" \
    '.hosts[3].history | .commits == 2 and .days == [[(now | strftime("%Y-%m-%d")), 2]]
     and .recent[0].changes == "ds-new 1.0-1 installed"
     and (.recent[1].changes | test("^first record \\([0-9]+ packages"))'
jq_ok "evil (prod and lab in one commit): its prod line of the message" \
    '.hosts[1].history | .commits == 1
     and (.recent[0].changes | test("^first record \\([0-9]+ packages"))'
jq_ok "the mirror run: db01 failed with its reason, web01 in sync" \
    '.mirror | .exit == 1 and .summary.in_sync == 1 and .summary.failed == 1
     and .summary.skipped == 1
     and (.labs[] | select(.host == "db01") | .status == "failed" and (.reason | test("guest agent")))
     and ([.labs[].host] | index("web01") == null)'
jq_ok "trials newest first, the broken one left out" \
    '[.trials[].run] == ["20261127T100000Z-ab12", "20261126T100000Z-cd34"]
     and .trials[0].passed == false and .trials[1].passed == true'
jq_ok "still no audit" '.audit == null'

# The page: well-formed HTML, one matrix row per host, links to anchors.
check "the page is well-formed (polyglot HTML: xmllint parses it as XML)" \
    sh -c 'xmllint --noout "$1" 2>"$2" && ! [ -s "$2" ]' - "$OUT/report.html" "$T/lint"
xpath_ok "the matrix has one row per host" '//table[@id="matrix"]/tbody/tr' 4
xpath_ok "a header per category, plus host and status" '//table[@id="matrix"]/thead/tr/th[@scope="col"]' 7
xpath_ok "row headers name the hosts" '//table[@id="matrix"]/tbody/tr/th[@scope="row"]/a[@href="#h-db01"]' 1
xpath_ok "db01's package cell links to its detail" \
    '//table[@id="matrix"]//a[@href="#h-db01-packages" and .="1"]' 1
xpath_ok "and the detail is there" '//h4[@id="h-db01-packages"]' 1
xpath_ok "in the summary of a folded <details>, coloured by its category" \
    '//article[@id="h-db01"]//details[@class="c-packages" and not(@open)]/summary/h4[@id="h-db01-packages"]' 1
xpath_ok "the package's lab and prod versions" \
    '//details[@class="c-packages"]//li[contains(.,"ds-conf: the lab has 1:2.3-3, prod 1:2.3-4")]/span[@class="ov"][del="1:2.3-3" and ins="1:2.3-4"]' 1
xpath_ok "the service's states, lab first" \
    '//article[@id="h-db01"]//details[@class="c-services"]//li[contains(.,"the lab has ds-extra.service (enabled/active)") or contains(.,"ds-extra.service (enabled/active) only in the lab")]' 1
xpath_ok "the matrix cell has the colour of its category" \
    '//table[@id="matrix"]//td[@class="n d c-packages"]/a[@href="#h-db01-packages"]' 1
xpath_ok "and so has the column header" '//table[@id="matrix"]/thead//th[@class="c-services"]' 1
xpath_ok "every host has a section" '//article[starts-with(@id,"h-")]' 4
xpath_ok "every host has an SVG timeline" '//article//*[local-name()="svg"]' 4
xpath_ok "web01's timeline has a bar" '//article[@id="h-web01"]//*[local-name()="rect"]' 1
xpath_ok "no script element" '//script' 0
xpath_ok "no external resource (src or stylesheet link)" '//*[@src] | //link' 0
xpath_ok "the failed lab's reason is in the mirror table" \
    '//table[@id="mirror-labs"]//td[contains(.,"guest agent")]' 1
xpath_ok "the trials table has both trials" '//table[@id="trials-table"]/tbody/tr' 2
grep_not "no raw hostile markup from the file path" '<img src=x' "$OUT/report.html"
grep_not "no raw hostile markup from the source line" '<script>' "$OUT/report.html"
grep_ok "the commit list shows what changed" \
    '<code>[0-9a-f]{12}</code> [0-9TZ:-]+: ds-new 1\.0-1 installed</li>' "$OUT/report.html"
grep_ok "the file path is escaped" '/etc/&lt;img src=x onerror=alert\(2\)&gt;&amp;&#39;&quot;\.conf' "$OUT/report.html"
grep_ok "the source line is escaped" 'x/&quot;&gt;&lt;script&gt;alert\(1\)&lt;/script&gt;' "$OUT/report.html"
grep_ok "the trial's error is escaped" 'check `&lt;b&gt;curl&lt;/b&gt;` exited 7' "$OUT/report.html"

# ---- an audit (with hostile text) replaces "no audit yet" ----
cat >"$T/state/audit/latest.json" <<'EOF'
{"schema": "driftsync/audit/v1", "generated": "2026-11-27T11:00:00Z", "exit": 1,
 "hosts": [{"host": "web01", "findings": [
   {"kind": "reboot-pending", "detail": "kernel <6.1.0-27> installed"},
   {"kind": "missing-patch", "detail": "openssl 3.0.13-1"}]},
  {"host": "db01", "findings": []}]}
EOF
expect_status 0 "report with an audit" dsc report
jq_ok "web01's two findings, db01 (none) left out" \
    '.audit.hosts == [{"host": "web01", "count": 2, "findings": [
       {"kind": "reboot-pending", "detail": "kernel <6.1.0-27> installed"},
       {"kind": "missing-patch", "detail": "openssl 3.0.13-1"}]}]'
jq_ok "the audit's time is carried" '.audit.generated_at == "2026-11-27T11:00:00Z"'
grep_not "no 'no audit yet' now" 'no audit yet' "$OUT/report.html"
grep_ok "the finding is escaped" 'kernel &lt;6\.1\.0-27&gt; installed' "$OUT/report.html"
echo '{"schema": "driftsync/audit/v9", "hosts": 3}' >"$T/state/audit/latest.json"
expect_status 0 "an audit of another schema does not stop the report" dsc report
jq_ok "it is named as such" '.audit.error | test("not a driftsync/audit/v1 document")'
echo 'not json' >"$T/state/audit/latest.json"
expect_status 0 "nor does an unreadable one" dsc report
jq_ok "the error is given" '.audit.error | test("latest.json")'

# ---- --json, --output, --days ----
expect_status 0 "--json" dsc --json report --output "$T/o2"
check "stdout is the document written" sh -c 'jq -S . "$1" >"$3"; jq -S . "$2" >"$4"; cmp "$3" "$4"' \
    - "$T/out" "$T/o2/report.json" "$T/a" "$T/b"
check "--output writes the page there too" test -s "$T/o2/report.html"
expect_status 0 "--days 1" dsc report --days 1 --output "$T/o3"
check "--days is kept" jq -e '.days == 1 and (.first_day == (now | strftime("%Y-%m-%d")))' "$T/o3/report.json"

# ---- atomic: a failed write leaves the old report whole ----
cp "$OUT/report.html" "$T/before.html"
chmod 0500 "$OUT"
if [ "$(id -u)" = 0 ]; then
    # root writes anyway: make the target a directory instead.
    chmod 0700 "$OUT"; mv "$OUT/report.json" "$T/keep.json"; mkdir "$OUT/report.json"
fi
expect_status 2 "a report that cannot be written exits 2" dsc report
grep_ok "one line naming the file" '^driftsync: report: .*report' "$T/err"
check "the old page is untouched" cmp "$OUT/report.html" "$T/before.html"
check "no temporary file left behind" sh -c '! ls "$1" | grep -q tmp' - "$OUT"
chmod 0700 "$OUT"

done_testing
