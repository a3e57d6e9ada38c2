#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/metrics.sh: `driftsync mirror --metrics FILE`: the Prometheus
# text exposition format checked line by line by a strict parser (HELP and
# TYPE before the samples, metric and label names, label escaping, float
# values), the values of a real run (prod: a Debian root built with real
# dpkg; labs: libvirt's test driver), and the atomic write.
. "$DS_SRCDIR/tests/setup.sh"

require_cmds jq git python3 dpkg-deb

sh "$DATA/dpkg/mkroot.sh" "$T/r1" >/dev/null 2>&1 || {
    echo "1..1"; echo "not ok 1 - building the Debian root (mkroot.sh)"; exit 1; }
ROOT=$T/r1/root
write_conf "$T/ds.conf" <<CONF

[host web01]
source = local:$ROOT
lab = lab-web01

[host nolab]
source = local:$ROOT

[host gone]
source = ssh://root@127.0.0.1:1
lab = lab-uefi
CONF

# A strict reader of the text format (version 0.0.4): prints
# "NAME{label=value,...} VALUE" per sample, sorted labels, or fails.
cat >"$T/prom.py" <<'EOF'
import re, sys
name_re = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
label_re = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"'
sample_re = re.compile(r"^(%s)(?:\{((?:%s)(?:,%s)*)?\})? (\S+)$" % (name_re, label_re, label_re))
helped, typed, seen_samples, out = set(), {}, set(), []
for n, line in enumerate(open(sys.argv[1], encoding="utf-8").read().split("\n")):
    if line == "":
        continue
    def bad(why):
        sys.exit("line %d: %s: %r" % (n + 1, why, line))
    if line.startswith("#"):
        m = re.match(r"^# (HELP|TYPE) (%s) (.+)$" % name_re, line)
        if not m:
            bad("a comment that is not HELP or TYPE")
        kind, name, rest = m.groups()
        if name in seen_samples:
            bad("HELP/TYPE after the samples")
        if kind == "HELP":
            if name in helped: bad("second HELP")
            helped.add(name)
        else:
            if rest not in ("gauge", "counter", "untyped"): bad("unknown type")
            if name in typed: bad("second TYPE")
            typed[name] = rest
        continue
    m = sample_re.match(line)
    if not m:
        bad("not a sample line")
    name, labels, value = m.group(1), m.group(2) or "", m.group(m.lastindex)
    if name not in typed or name not in helped:
        bad("sample without HELP and TYPE")
    seen_samples.add(name)
    float(value)  # fails on a bad number
    pairs = re.findall(label_re, labels)
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)): bad("a label twice")
    vals = ",".join("%s=%s" % (k, v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\"))
                    for k, v in sorted(pairs))
    out.append("%s{%s} %s" % (name, vals, value))
if not out:
    sys.exit("no samples")
print("\n".join(out))
EOF
M=$T/node/driftsync.prom
mkdir -p "$T/node"
prom() { python3 "$T/prom.py" "$M" >"$T/samples"; }
has() { # DESCRIPTION SAMPLE-REGEX (on the parsed samples)
    grep_ok "$1" "$2" "$T/samples"
}

check "init" ds --config "$T/ds.conf" init
expect_status 2 "--metrics needs a value" ds --config "$T/ds.conf" mirror --metrics=
grep_ok "says so" 'mirror: --metrics: expected a file name' "$T/err"
check "--help lists --metrics" sh -c '"$1" mirror --help | grep -q -- "--metrics=FILE"' - "$DRIFTSYNC"
expect_status 1 "a run with --metrics (web01 fails at the lab, gone not recorded)" \
    ds --config "$T/ds.conf" mirror --metrics "$M"
check "the file is written" test -s "$M"
check "it parses strictly" prom
RUN=$(jq -r .run_id "$T/state/reports/latest.json")
now=$(date +%s)
ts=$(sed -n 's/^driftsync_mirror_last_run_timestamp_seconds{} //p' "$T/samples")
check "the timestamp is now ($ts)" test "$ts" -le "$now" -a "$ts" -gt $((now - 120))
has "duration" '^driftsync_mirror_duration_seconds\{\} [0-9.e+-]+$'
has "exit code 1" '^driftsync_mirror_exit_code\{\} 1$'
has "not a success" '^driftsync_mirror_last_run_success\{\} 0$'
has "web01 failed" '^driftsync_lab_status\{domain=lab-web01,host=web01,status=failed\} 1$'
has "nolab skipped, no domain" '^driftsync_lab_status\{domain=,host=nolab,status=skipped\} 1$'
has "gone skipped" '^driftsync_lab_status\{domain=lab-uefi,host=gone,status=skipped\} 1$'
has "labs per status: 1 failed" '^driftsync_mirror_labs\{status=failed\} 1$'
has "labs per status: 2 skipped" '^driftsync_mirror_labs\{status=skipped\} 2$'
has "labs per status: 0 synced" '^driftsync_mirror_labs\{status=synced\} 0$'
check "every status is given" test "$(grep -c '^driftsync_mirror_labs' "$T/samples")" = 7
has "web01 recorded" '^driftsync_host_recorded\{host=web01\} 1$'
has "gone not recorded" '^driftsync_host_recorded\{host=gone\} 0$'
for c in packages sources files services kernel; do
    has "drift of web01's $c" "^driftsync_lab_drift\\{category=$c,host=web01\\} [0-9]+$"
done
check "mode 0644 for node_exporter" test "$(stat -c %a "$M")" = 644
check "no temporary file left" sh -c '! ls "$1" | grep -v "^driftsync.prom$"' - "$T/node"

# Drift per category: the lab recorded with an older package set.
git --git-dir="$T/store" show HEAD:prod/web01.json >"$T/web01.json"
python3 "$DS_SRCDIR/tests/cli/edit-manifest.py" "$T/web01.json" "$T/lab.json" \
    role=lab pkg:ds-conf=1:2.3-3
check "record the lab with an older ds-conf" ds --config "$T/ds.conf" record --from "$T/lab.json"
ino=$(stat -c %i "$M")
expect_status 1 "a second run" ds --config "$T/ds.conf" mirror --metrics "$M"
check "parses" prom
has "web01: one package of drift before the sync" '^driftsync_lab_drift\{category=packages,host=web01\} 1$'
has "web01: no file drift" '^driftsync_lab_drift\{category=files,host=web01\} 0$'
check "the file was replaced by a rename (new inode)" test "$(stat -c %i "$M")" != "$ino"
check "the report has the drift too" jq -e '.labs[0].drift.packages == 1' "$T/state/reports/latest.json"

# A directory that does not exist: one warning, exit status unchanged.
expect_status 1 "--metrics into a missing directory: exit unchanged" \
    ds --config "$T/ds.conf" mirror --metrics "$T/nope/x.prom"
grep_ok "one warning naming the file" "^driftsync: warning: --metrics: cannot create a file in $T/nope" "$T/err"
# No store: the run failed; the metrics say so.
sed "s|^path = .*|path = $T/nostore|" "$T/ds.conf" >"$T/nostore.conf"
expect_status 2 "no store" ds --config "$T/nostore.conf" mirror --metrics "$M"
check "parses" prom
has "exit code 2" '^driftsync_mirror_exit_code\{\} 2$'
grep_not "no lab lines then" '^driftsync_lab_status' "$T/samples"
expect_status 1 "--dry-run" ds --config "$T/ds.conf" mirror --dry-run --metrics "$T/node/dry.prom"
check "writes no metrics" test ! -e "$T/node/dry.prom"

done_testing
