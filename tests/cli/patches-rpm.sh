#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/patches-rpm.sh: pending updates of an rpm host, from its own
# dnf: a RHEL-like root (tests/data/rpm/mkroot.sh) with older packages
# installed and newer ones in an rpm repository whose updateinfo
# classifies them (tests/data/rpm/mkrepo.sh pending: createrepo_c, modifyrepo_c),
# collected as local:ROOT and with record --local --root.  `patches` lists
# the security updates first, the most severe first, with their advisories,
# and the others as updates; `audit` finds the security ones (`trial
# --pending` refuses the rpm host: apt cannot try them); a repository
# dnf cannot read, metadata never fetched and hostile dnf output are each
# one error naming the host.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/rpm.sh"
for c in rpm rpmbuild createrepo_c modifyrepo_c dnf jq; do
    command -v "$c" >/dev/null || skip_all "$c is not installed (contrib/install-deps.sh test)"
done

mk() {
    { sh "$DATA/rpm/mkroot.sh" "$T/r" && sh "$DATA/rpm/mkrepo.sh" pending "$T/r"; } \
        >"$T/mkroot.log" 2>&1
}
mk || { cat "$T/mkroot.log" >&2; echo "1..1"; echo "not ok 1 - mkroot"; exit 1; }
R=$T/r/root
S=$T/store
# dnf --installroot finds the root's rpm database where this machine's
# rpm macros say: Debian's rpm keeps its own under the home directory.
mkdir -p "$T/home"
echo '%_dbpath /var/lib/rpm' >"$T/home/.rpmmacros"
export HOME="$T/home"
cat >"$T/c.conf" <<CONF
[store]
path = $S
state = $T/state

[host rh1]
source = local:$R
groups = el
CONF
dsc() { ds --config "$T/c.conf" "$@"; }
dsc init >/dev/null

rpm_first_record dsc record rh1
git --git-dir="$S" show HEAD:prod/rh1.json >"$T/rh1.json"
if jq -e 'has("pending")' "$T/rh1.json" >/dev/null; then
    not_ok "no pending updates recorded while dnf cannot answer"
else ok "no pending updates recorded while dnf cannot answer"; fi

# The root's own repositories point at hosts that do not exist: dnf
# cannot read them, which is an error, not "nothing pending".
expect_status 2 "patches fails while a repository cannot be read" \
    dsc patches rh1
grep_ok "naming the host and what dnf said" \
    "rh1: dnf repoquery --upgrades failed \(exit status 1\).*Cache-only enabled but no cache for 'baseos'" "$T/err"
expect_status 3 "record --refresh-lists fails when dnf makecache does" \
    dsc record --refresh-lists rh1
grep_ok "naming the host and dnf's error" \
    "rh1: dnf makecache failed \(exit status 1\): .*baseos" "$T/err"
rm "$R/etc/yum.repos.d/base.repo" "$R/etc/yum.repos.d/private.repo"
expect_status 2 "patches fails before dnf's metadata was ever fetched" \
    dsc patches rh1
grep_ok "saying there is no cache for the repository" \
    "rh1: dnf repoquery --upgrades failed.*no cache for 'dstest'" "$T/err"

# A record that refreshes the metadata (dnf makecache) sees the updates.
expect_status 0 "record --refresh-lists fetches dnf's metadata" \
    dsc record --refresh-lists rh1
git --git-dir="$S" show HEAD:prod/rh1.json >"$T/rh1.json"
jf() {
    if jq -e "$2" "$T/rh1.json" >/dev/null 2>&1; then ok "$1"; else
        not_ok "$1"; diag "jq: $2"; fi
}
jf "six pending updates are recorded" '.pending | length == 6'
jf "ds-sec is a Critical security update with both its advisories" \
    '.pending["ds-sec.noarch"] == {"version": "1.1-1", "origin": "dstest", "security": true, "severity": "Critical", "advisories": ["DSSA-2026:0001", "DSSA-2026:0003"]}'
jf "the epoch of ds-crit's candidate is kept" \
    '.pending["ds-crit.noarch"].version == "1:1.2-1" and .pending["ds-crit.noarch"].security'
jf "a security advisory without a severity still makes a security update" \
    '.pending["ds-unk.noarch"].security and (.pending["ds-unk.noarch"] | has("severity") | not)'
jf "bugfix and enhancement updates are not security updates" \
    '(.pending["ds-fix.noarch"].security | not) and (.pending["ds-doc.noarch"].security | not)'
jf "an advisory for a newer version than the candidate does not count" \
    '(.pending["ds-late.noarch"].security | not) and (.pending["ds-late.noarch"] | has("advisories") | not)'
jf "when dnf's metadata was fetched is kept" '.lists_updated_at | test("^20")'

# patches: security first (the most severe first), then the others.
expect_status 1 "patches says something is pending" dsc patches rh1
grep_ok "the host's summary counts the security updates" \
    '^rh1: 6 pending \(3 security\)' "$T/out"
sed -n 's/^  \(security\|update\) *\([^ ]*\) .*/\1 \2/p' "$T/out" >"$T/order"
printf '%s\n' "security ds-crit.noarch" "security ds-sec.noarch" \
    "security ds-unk.noarch" "update ds-doc.noarch" "update ds-fix.noarch" \
    "update ds-late.noarch" >"$T/want"
check "security updates first, the most severe first, then by name" \
    cmp "$T/want" "$T/order"
grep_ok "each with its versions, repository, severity and advisories" \
    '^  security ds-sec\.noarch 1\.0-1 -> 1\.1-1  dstest  \[Critical DSSA-2026:0001 DSSA-2026:0003\]' "$T/out"
grep_ok "the epoch is shown" 'ds-crit\.noarch 1:1\.0-1 -> 1:1\.2-1' "$T/out"
grep_ok "a bugfix is listed as an update" \
    '^  update   ds-fix\.noarch 2\.0-1 -> 2\.1-1  dstest  pending for' "$T/out"

expect_status 1 "patches --security --json" dsc --json patches --security rh1
jq_ok "only the three security updates" \
    '[.hosts[0].pending[].name] == ["ds-crit.noarch", "ds-sec.noarch", "ds-unk.noarch"]'
jq_ok "with severity and advisories in the JSON" \
    '.hosts[0].pending[1] | .severity == "Critical" and .advisories == ["DSSA-2026:0001", "DSSA-2026:0003"] and .installed == "1.0-1"'
jq_ok "the summary counts them" '.summary.security == 3 and .summary.pending == 3'

expect_status 1 "patches --stored reads the recorded ones" \
    dsc --json patches --stored rh1
jq_ok "the same six from the store" \
    '(.hosts[0].pending | length) == 6 and .hosts[0].pending[0].name == "ds-crit.noarch"'

# record --local --root: the same pending updates.
expect_status 0 "record --local --root records the same root" \
    dsc record --local --root "$R" --host rh2
git --git-dir="$S" show HEAD:prod/rh2.json >"$T/rh2.json"
check "with the same pending updates" \
    cmp "$(jq -S .pending "$T/rh1.json" >"$T/p1"; echo "$T/p1")" \
    "$(jq -S .pending "$T/rh2.json" >"$T/p2"; echo "$T/p2")"

# audit: the security updates are findings, the others are not.
expect_status 1 "audit finds the pending security updates" dsc --json audit rh1
jq_ok "one pending finding per security update, with its advisories" \
    '[.hosts[0].findings[] | select(.kind == "pending") | .package] == ["ds-crit.noarch", "ds-sec.noarch", "ds-unk.noarch"] and (.hosts[0].findings[] | select(.package == "ds-sec.noarch") | .detail | test("Critical DSSA-2026:0001 DSSA-2026:0003"))'
jq_ok "and no error" '.hosts[0] | has("error") | not'
expect_status 1 "audit --like checks the rpm host too (tests/cli/audit-rpm.sh)" \
    dsc audit --like el rh1
grep_not "without refusing it" 'an rpm host' "$T/err"

# The report's patch cycle: pending since recorded, closed once installed.
rpm --root "$R" --dbpath /var/lib/rpm -U --nodeps --noscripts \
    "$T"/r/out/noarch/ds-sec-1.1-1.noarch.rpm
expect_status 0 "the upgraded root is recorded" dsc record rh1
expect_status 0 "report" dsc report --output "$T/rep"
jq '.patches' "$T/rep/report.json" >"$T/out"
jq_ok "the report counts the host's pending updates, security ones apart" \
    '.hosts.rh1.security == 2 and .hosts.rh1.other == 3'
jq_ok "and the installed security update's event is closed" \
    '[.events[] | select(.host == "rh1" and .package == "ds-sec.noarch")][0] | .security and .installed != null and .version == "1.1-1"'

# trial --pending does not try dnf's pending set with apt.
cat >"$T/lab.conf" <<CONF
[store]
path = $S
state = $T/state

[lab]
uri = test://$DATA/snapshot-node.xml

[host rh1]
source = local:$R
lab = lab-web01
CONF
expect_status 2 "trial --pending refuses the rpm host" \
    ds --config "$T/lab.conf" trial rh1 --pending --check true
grep_ok "saying it tries dpkg hosts only" \
    'rh1: an rpm host: trial --pending tries pending updates on dpkg hosts only' "$T/err"

# Hostile output from dnf is one error naming the host.
mkdir -p "$T/bin"
cat >"$T/bin/dnf" <<'SH'
#!/bin/sh
for a in "$@"; do
    case $a in
    repoquery) printf 'ds-sec\t0\t1.1\t1\tnoarch\tdst\033[2Jest\n'; exit 0 ;;
    updateinfo) exit 0 ;;
    esac
done
exit 0
SH
chmod +x "$T/bin/dnf"
PATH="$T/bin:$PATH" expect_status 2 "patches refuses hostile dnf output" \
    dsc patches rh1
grep_ok "naming the host, the command and the line" \
    '^driftsync: rh1: dnf repoquery --upgrades output line 1: not a repository id' "$T/err"
grep_not "without the escape reaching the terminal" "$(printf '\033')" "$T/err"
cat >"$T/bin/dnf" <<'SH'
#!/bin/sh
for a in "$@"; do
    case $a in
    updateinfo) printf 'Name Type Severity Package Issued\n'; exit 0 ;;
    esac
done
exit 0
SH
PATH="$T/bin:$PATH" expect_status 2 "patches refuses advisories it cannot read" \
    dsc patches rh1
grep_ok "naming the host and the command" \
    '^driftsync: rh1: dnf updateinfo list output line 1: expected ID, KIND and NEVRA' "$T/err"
PATH="$T/bin:$PATH" expect_status 3 "record refuses hostile dnf output too" \
    dsc record rh1
grep_ok "naming the host" 'rh1: dnf updateinfo list output line 1' "$T/err"
done_testing
