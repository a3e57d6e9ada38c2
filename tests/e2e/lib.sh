# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/lib.sh: sourced by the end-to-end tests after tests/setup.sh:
# skips unless DS_E2E=1, makes sure the bed is up, and gives two ways into
# a guest: `at` (driftsync's agent transport, through agent-tool) and
# `vexec` (virsh qemu-agent-command + jq, independent of driftsync's code)
# to check the first against.
[ "${DS_E2E:-}" = 1 ] ||
    skip_all "end-to-end test boots VMs: run make check-e2e (or set DS_E2E=1)"
[ "$(id -u)" = 0 ] || skip_all "the end-to-end bed needs root"
for tool in virsh jq base64; do
    command -v "$tool" >/dev/null || { echo "1..1"; echo "not ok 1 - $tool missing (install-deps.sh e2e)"; exit 1; }
done

E2E_URI=${DS_E2E_URI:-qemu:///system}
AGENT_TOOL=$DS_BUILDDIR/tests/tools/agent-tool
PROD=prod-e2e
LAB=lab-e2e
[ -x "$AGENT_TOOL" ] || { echo "1..1"; echo "not ok 1 - $AGENT_TOOL not built"; exit 1; }

# The bed is brought up by `make check-e2e`; up is idempotent and quick
# when it already runs, so a test started on its own works too.
if ! bash "$DS_SRCDIR/tests/e2e/bed.sh" up >"$T/bed.log" 2>&1; then
    echo "1..1"
    echo "not ok 1 - test bed up"
    sed 's/^/# /' "$T/bed.log"
    exit 1
fi

# at DOMAIN [agent-tool options] VERB ARGS...: through driftsync's code.
at() { "$AGENT_TOOL" -c "$E2E_URI" "$@"; }

# vexec DOMAIN PATH ARGS...: run in the guest with virsh alone; stdout to
# stdout, stderr to stderr, the guest's exit status as ours.
vexec() {
    local dom=$1 path=$2 args pid st
    shift 2
    args=$(for a in "$@"; do printf '%s' "$a" | jq -Rs .; done | jq -sc .)
    pid=$(virsh -c "$E2E_URI" qemu-agent-command "$dom" --timeout 30 \
        "$(jq -nc --arg p "$path" --argjson a "$args" \
            '{execute: "guest-exec", arguments: {path: $p, arg: $a, "capture-output": true}}')" |
        jq -r .return.pid) || return 125
    local end=$(($(date +%s) + ${VEXEC_TIMEOUT:-300}))
    while :; do
        st=$(virsh -c "$E2E_URI" qemu-agent-command "$dom" --timeout 30 \
            "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}") || return 125
        [ "$(jq -r .return.exited <<<"$st")" = true ] && break
        [ "$(date +%s)" -lt "$end" ] || { echo "vexec: $dom: $path still running" >&2; return 124; }
        sleep 0.05
    done
    jq -r '.return["out-data"] // ""' <<<"$st" | base64 -d
    jq -r '.return["err-data"] // ""' <<<"$st" | base64 -d >&2
    return "$(jq -r '.return.exitcode // 255' <<<"$st")"
}

# now_ms: wall clock in milliseconds, for timings in the log.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_agent DOMAIN [SECONDS]: until the guest agent answers a ping (300 s).
wait_agent() {
    local end=$(($(date +%s) + ${2:-300}))
    while [ "$(date +%s)" -lt "$end" ]; do
        virsh -q -c "$E2E_URI" qemu-agent-command "$1" '{"execute":"guest-ping"}' \
            --timeout 5 >/dev/null 2>&1 && return 0
        sleep 0.3
    done
    return 1
}

# baseline_back DOMAIN SNAPSHOT: back to a snapshot a test took of a bed
# guest at its start (when it exists), the guest's clock set to the host's
# again, the snapshot deleted: the next test finds the guest as it was.
baseline_back() {
    virsh -q -c "$E2E_URI" snapshot-info "$1" "$2" >/dev/null 2>&1 || return 0
    virsh -q -c "$E2E_URI" snapshot-revert "$1" "$2" >/dev/null && wait_agent "$1" &&
        virsh -q -c "$E2E_URI" domtime "$1" --now >/dev/null 2>&1
    virsh -q -c "$E2E_URI" snapshot-delete "$1" "$2" >/dev/null 2>&1
    # and driftsync's own, left by the test's syncs (retention keeps some)
    virsh -q -c "$E2E_URI" snapshot-list "$1" --name 2>/dev/null | grep '^driftsync-' |
        while read -r s; do virsh -q -c "$E2E_URI" snapshot-delete "$1" "$s" >/dev/null 2>&1; done
    return 0
}

# baselines NAME DOMAIN...: the guests' agents answer, each gets a
# snapshot NAME (one left by an interrupted run is gone back to first),
# and at exit each goes back to it: the next test finds them as they were.
baselines() {
    local d
    BASELINE=$1
    shift
    BASELINE_DOMS=$*
    baselines_back
    at_exit baselines_back
    for d in "$@"; do
        check "$d: the guest agent answers" wait_agent "$d"
        check "$d: a baseline to end on" \
            virsh -q -c "$E2E_URI" snapshot-create-as "$d" "$BASELINE"
    done
}
baselines_back() {
    local d
    for d in $BASELINE_DOMS; do baseline_back "$d" "$BASELINE"; done
}

# mkdeb NAME VERSION [POSTINST-BODY [TREE]]: a package built here with
# dpkg-deb, into $T/repo, shipping TREE's files when given; repo_index
# writes that repository's Packages index.
mkdeb() {
    local d=$T/build/$1
    mkdir -p "$d/DEBIAN" "$d/usr/share/doc/$1" "$T/repo"
    [ -z "${4:-}" ] || cp -a "$4/." "$d/"
    printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: driftsync tests <tests@driftsync.invalid>\nSection: misc\nPriority: optional\nDescription: driftsync end-to-end test package\n' \
        "$1" "$2" >"$d/DEBIAN/control"
    printf '#!/bin/sh\nset -e\n%s\nexit 0\n' "${3:-}" >"$d/DEBIAN/postinst"
    chmod 0755 "$d/DEBIAN/postinst"
    echo "$1 $2" >"$d/usr/share/doc/$1/README"
    dpkg-deb --root-owner-group -Zgzip -b "$d" "$T/repo/${1}_${2}_all.deb" >/dev/null
}
repo_index() { (cd "$T/repo" && dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null); }

# publish DOMAIN: $T/repo's files copied to /srv/ds-repo in the guest
# (again), apt's lists updated.
publish() {
    local f
    for f in "$T"/repo/*; do
        at "$1" write "/srv/ds-repo/$(basename "$f")" 0644 <"$f" || return 1
    done
    at "$1" run apt-get update -q >/dev/null
}

# setup_guest DOMAIN: $T/repo published to /srv/ds-repo in the guest, the
# guest's only apt source (the Debian mirror's list set aside).
setup_guest() {
    local d=$1
    at "$d" run mkdir -p /srv/ds-repo /etc/ds-e2e || return 1
    at "$d" run mv /etc/apt/sources.list /etc/apt/sources.list.e2e-off || return 1
    printf 'deb [trusted=yes] file:/srv/ds-repo ./\n' |
        at "$d" write /etc/apt/sources.list.d/ds-e2e.list 0644 || return 1
    publish "$d"
}

# pkg_version DOMAIN NAME: the version of NAME the guest's dpkg has
# installed (status ii), or "none"; read with virsh alone.
pkg_version() {
    vexec "$1" /usr/bin/dpkg-query -W -f '${Version} ${db:Status-Abbrev}' "$2" 2>/dev/null |
        awk '$2 == "ii" { print $1; found = 1 } END { if (!found) print "none" }'
}

# e2e_conf [LAB-LINES [HOST-LINES]]: $T/ds.conf for one host, e2e: prod
# read over the agent, the lab its lab, the store and state under $T.
# LAB-LINES go into [lab] after its uri (they may open further sections),
# HOST-LINES into [host e2e].  dsc runs driftsync with that file.
e2e_conf() {
    {
        printf '[store]\npath = %s\nstate = %s\n' "$T/store" "$T/state"
        printf '[lab]\nuri = %s\n' "$E2E_URI"
        [ -z "${1:-}" ] || printf '%s\n' "$1"
        printf '[host e2e]\nsource = agent:%s\nlab = %s\n' "$PROD" "$LAB"
        [ -z "${2:-}" ] || printf '%s\n' "$2"
    } >"$T/ds.conf"
}
dsc() { ds --config "$T/ds.conf" "$@"; }

# The last sync's journal (jq FILTER), and the lab's snapshots.
journal() { jq -r "$1" "$T/state/journal/e2e.json"; }
ours() { virsh -q -c "$E2E_URI" snapshot-list "$LAB" --name | grep -c '^driftsync-'; }
has_snapshot() { virsh -q -c "$E2E_URI" snapshot-list "$LAB" --name | grep -qx "$1"; }
