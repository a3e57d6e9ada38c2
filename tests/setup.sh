# SPDX-License-Identifier: GPL-2.0-or-later
# tests/setup.sh: sourced by every shell test: TAP output helpers, a
# private temporary directory, and where the built program and the test
# data are.  Set DS_VALGRIND=1 to run driftsync under valgrind.
set -u

: "${DS_BUILDDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${DS_SRCDIR:=$DS_BUILDDIR}"
: "${DRIFTSYNC:=$DS_BUILDDIR/driftsync}"
DATA="$DS_SRCDIR/tests/data"
export LC_ALL=C.UTF-8 NO_COLOR=1
unset DRIFTSYNC_CONFIG

T=$(mktemp -d "${TMPDIR:-/tmp}/ds-test.XXXXXX")
ds_cleanup_hooks=""
ds_cleanup() {
    for h in $ds_cleanup_hooks; do "$h" || :; done
    rm -rf "$T"
}
trap ds_cleanup EXIT
# Register a function to run at exit (servers to stop, ...).
at_exit() { ds_cleanup_hooks="$1 $ds_cleanup_hooks"; }

ds_n=0
ds_failed=0
plan() { ds_planned=1; echo "1..$1"; }
# skip_all REASON: the whole test cannot run here (exit 77, says why).
skip_all() { echo "1..0 # SKIP $*"; exit 77; }
ok() { ds_n=$((ds_n + 1)); echo "ok $ds_n - $*"; }
not_ok() { ds_n=$((ds_n + 1)); ds_failed=$((ds_failed + 1)); echo "not ok $ds_n - $*"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
skip() { ds_n=$((ds_n + 1)); echo "ok $ds_n # SKIP $*"; }
# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
    local what=$1; shift
    if "$@" >"$T/check.out" 2>&1; then ok "$what"; else
        not_ok "$what"; diag "command: $*" "$(tail -n 20 "$T/check.out")"; fi
}
# expect_status CODE DESCRIPTION COMMAND...: ok when COMMAND exits with CODE.
# Its stdout is in $T/out, its stderr in $T/err afterwards.
expect_status() {
    local want=$1 what=$2; shift 2
    local rc=0
    "$@" >"$T/out" 2>"$T/err" || rc=$?
    if [ "$rc" -eq "$want" ]; then ok "$what"; else
        not_ok "$what (exit $rc, wanted $want)"
        diag "command: $*" "stderr: $(head -c 2000 "$T/err")"; fi
}
# grep_ok DESCRIPTION PATTERN FILE: ok when FILE matches the regex.
grep_ok() {
    if grep -Eq -- "$2" "$3"; then ok "$1"; else
        not_ok "$1"; diag "no match for /$2/ in $3:" "$(head -c 2000 "$3")"; fi
}
# jq_ok DESCRIPTION FILTER: ok when `jq -e FILTER` holds on $T/out.
jq_ok() {
    if jq -e "$2" "$T/out" >/dev/null 2>&1; then ok "$1"; else
        not_ok "$1"; diag "jq: $2" "$(head -c 3000 "$T/out")"; fi
}
grep_not() {
    if grep -Eq -- "$2" "$3"; then not_ok "$1"; diag "unexpected /$2/ in $3"; else ok "$1"; fi
}
# wait_for DESCRIPTION COMMAND...: poll COMMAND until it succeeds, for
# an event (a file written, a process started), never a fixed delay: a slow
# machine only waits longer.  After DS_WAIT_SECONDS (60) it is a failure.
wait_for() {
    local what=$1 i=0; shift
    while ! "$@" >/dev/null 2>&1; do
        i=$((i + 1))
        if [ "$i" -gt $((${DS_WAIT_SECONDS:-60} * 20)) ]; then
            not_ok "waited ${DS_WAIT_SECONDS:-60} s for $what"; return 1; fi
        sleep 0.05
    done
}
# wait_exe PID PATH: until process PID runs the executable PATH.
# (The link is read again on each try, not once when wait_for is called.)
exe_is() { [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$2" ]; }
wait_exe() { wait_for "pid $1 to run $2" exe_is "$1" "$2"; }
done_testing() { [ -n "${ds_planned:-}" ] || echo "1..$ds_n"; exit $((ds_failed > 0)); }

# ds_run PROGRAM ARGS...: a built program, under valgrind with DS_VALGRIND=1.
ds_run() {
    if [ "${DS_VALGRIND:-0}" = 1 ]; then
        valgrind -q --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite "$@"
    else
        "$@"
    fi
}
# The program, optionally under valgrind.
ds() { ds_run "$DRIFTSYNC" "$@"; }
# require_cmds COMMAND...: a required part of the suite; a missing one is a
# failure (Bail out!), not a skip.
require_cmds() {
    for p in "$@"; do
        command -v "$p" >/dev/null 2>&1 || {
            echo "Bail out! $p is missing (contrib/install-deps.sh test)"
            exit 1; }
    done
}

# use_store: a configuration file $T/ds.conf naming the store $T/store;
# dsc runs the program with it, st runs git in the store, jcheck runs a
# python3 assertion on the JSON in $T/out (as d), $GOOD are the good
# manifests and $EDIT the manifest editor.
use_store() {
    GOOD="$DATA/good"
    EDIT="python3 $DS_SRCDIR/tests/cli/edit-manifest.py"
    # the state directory too: its default is the system's
    printf '[store]\npath = %s/store\nstate = %s/state\n' "$T" "$T" >"$T/ds.conf"
}
dsc() { ds --config "$T/ds.conf" "$@"; }
# write_conf FILE [KEY=VALUE...] <<CONF: a test configuration -- [store]
# in $T/store with its state in $T/state (never the system's) plus the
# KEY = VALUE given, [lab] on the libvirt test driver's snapshot node;
# what comes on stdin goes on from [lab] (more lab keys, then the hosts).
# remote_conf N KEY=VALUE...: $T/N.conf for a store $T/N (state $T/N.state)
# with the given [store] keys; the first value of a key wins.
remote_conf() {
    local n=$1 kv; shift
    {
        printf '[store]\npath = %s/%s\nstate = %s/%s.state\n' "$T" "$n" "$T" "$n"
        for kv in "$@"; do
            printf '%s = %s\n' "${kv%%=*}" "${kv#*=}"
        done | awk -F' = ' '!seen[$1]++'
    } >"$T/$n.conf"
}

write_conf() {
    local f=$1 kv; shift
    {
        printf '[store]\npath = %s/store\nstate = %s/state\n' "$T" "$T"
        for kv in "$@"; do printf '%s = %s\n' "${kv%%=*}" "${kv#*=}"; done
        printf '\n[lab]\nuri = test://%s/snapshot-node.xml\n' "$DATA"
        cat
    } >"$f"
}
st() { git -C "$T/store" "$@"; }
jcheck() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $1" "$T/out"; }
