#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/contrib.sh: what `make install` adds around the program: the
# systemd units (systemd-analyze verify), the bash completion (sourced in
# bash and run on real command lines), and the apt hook (read by
# apt-config, its command run as dpkg would: a real `record --local` of
# this machine, and failing or missing programs that must not fail apt).
. "$DS_SRCDIR/tests/setup.sh"

require_cmds bash apt-config git

B=$DS_BUILDDIR/contrib
S=$DS_SRCDIR/contrib
for f in "$B/systemd/driftsync-mirror.service" "$B/bash-completion/driftsync" \
    "$B/apt/50driftsync"; do
    check "built: ${f#"$B/"}" test -s "$f"
    grep_not "no @VAR@ left in ${f#"$B/"}" '@[a-z]+@' "$f"
done

# ---- systemd ----
mkdir -p "$T/units"
# ExecStart names the installed program; verify needs one that exists.
sed "s|^ExecStart=[^ ]*/driftsync |ExecStart=$DRIFTSYNC |" \
    "$B/systemd/driftsync-mirror.service" >"$T/units/driftsync-mirror.service"
cp "$S/systemd/driftsync-mirror.timer" "$T/units/"
grep_ok "the service runs mirror" '^ExecStart=.*/driftsync mirror$' "$B/systemd/driftsync-mirror.service"
grep_ok "as a dedicated user" '^User=driftsync$' "$B/systemd/driftsync-mirror.service"
grep_ok "oneshot" '^Type=oneshot$' "$B/systemd/driftsync-mirror.service"
grep_ok "the timer is persistent" '^Persistent=true$' "$S/systemd/driftsync-mirror.timer"
grep_ok "with a random delay" '^RandomizedDelaySec=30min$' "$S/systemd/driftsync-mirror.timer"
if command -v systemd-analyze >/dev/null 2>&1; then
    check "systemd-analyze verify: no error" systemd-analyze verify --man=no \
        "$T/units/driftsync-mirror.service" "$T/units/driftsync-mirror.timer"
    systemd-analyze verify --man=no "$T/units/driftsync-mirror.service" \
        "$T/units/driftsync-mirror.timer" >"$T/verify" 2>&1
    check "and no warning" test ! -s "$T/verify"
    check "the calendar is nightly at 02:00" sh -c \
        'systemd-analyze calendar "*-*-* 02:00" | grep -q "Normalized form: \*-\*-\* 02:00:00"'
else
    skip "systemd-analyze is not installed (package systemd): units not verified"
fi

# ---- bash completion ----
check "bash -n" bash -n "$B/bash-completion/driftsync"
cat >"$T/ds.conf" <<'CONF'
[store]
path = /nonexistent

[host web01]
source = local:/
lab = web01-lab

[host  db-02.example ]
source = ssh://root@db02
CONF
printf '[host other9]\nsource = local:/\n' >"$T/env.conf"
complete_line() { # WORDS... (the last one is being completed): COMPREPLY
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        _driftsync; [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}" | sort' - \
        "$B/bash-completion/driftsync" "$@" >"$T/compl"
}
PATH_DS=$(dirname "$DRIFTSYNC")
export PATH="$PATH_DS:$PATH"
complete_line driftsync ''
for v in init record show diff log snapshot plan trial sync mirror; do
    grep_ok "verb $v" "^$v\$" "$T/compl"
done
complete_line driftsync mi
check "a prefix: mirror only" test "$(cat "$T/compl")" = mirror
complete_line driftsync --co
grep_ok "global option --config" '^--config$' "$T/compl"
complete_line driftsync --config "$T/ds.conf" diff ''
grep_ok "host web01 from --config" '^web01$' "$T/compl"
grep_ok "host db-02.example" '^db-02\.example$' "$T/compl"
grep_not "not the other config's" '^other9$' "$T/compl"
complete_line driftsync -c "$T/ds.conf" sync w
check "sync w: web01 only" test "$(cat "$T/compl")" = web01
DRIFTSYNC_CONFIG=$T/env.conf complete_line driftsync show ''
grep_ok "\$DRIFTSYNC_CONFIG without --config" '^other9$' "$T/compl"
complete_line driftsync --config "$T/ds.conf" mirror --
grep_ok "mirror's options: --metrics" '^--metrics$' "$T/compl"
grep_ok "mirror's options: --dry-run" '^--dry-run$' "$T/compl"
complete_line driftsync --config "$T/ds.conf" snapshot ''
grep_ok "snapshot sub-commands" '^revert$' "$T/compl"
complete_line driftsync --config "$T/ds.conf" snapshot list ''
grep_ok "then a host" '^web01$' "$T/compl"
complete_line driftsync --config "$T/ds.conf" mirror ''
check "mirror takes no hosts" test ! -s "$T/compl"

# ---- apt hook ----
HOOK=$B/apt/50driftsync
check "apt-config reads the hook" sh -c \
    'apt-config -c "$1" dump DPkg::Post-Invoke | grep -q "driftsync -q record --local"' - "$HOOK"
# The command as apt passes it to sh, for a program in $T/bin.
mkdir -p "$T/bin"
sed "s|@bindir@|$T/bin|g" "$S/apt/50driftsync.in" >"$T/50driftsync"
apt-config -c "$T/50driftsync" dump --format '%v%n' DPkg::Post-Invoke |
    grep driftsync >"$T/hookcmd"
check "one hook command" test "$(wc -l <"$T/hookcmd")" = 1
grep_ok "the hook bounds the run in time" "timeout -k 10 120 $T/bin/driftsync" "$T/hookcmd"
run_hook() { sh -c "$(cat "$T/hookcmd")" >"$T/out" 2>"$T/err"; }
check "no driftsync installed: apt goes on (exit 0)" run_hook
# The real program, on a configuration whose store does not exist: it fails.
ln -s "$DRIFTSYNC" "$T/bin/driftsync"
printf '[store]\npath = %s/store\nstate = %s/state\n' "$T" "$T" >"$T/local.conf"
export DRIFTSYNC_CONFIG="$T/local.conf"
check "record --local fails (no store) but the hook exits 0" run_hook
grep_ok "the failure is shown to the admin" "^driftsync: .*$T/store" "$T/err"
# With a store: this machine is recorded for real (real dpkg database).
check "init a store" "$DRIFTSYNC" init
check "the hook exits 0" run_hook
check "and this machine was recorded in one commit" test \
    "$(git --git-dir="$T/store" rev-list --count HEAD)" = 1
check "with its packages" sh -c \
    'git --git-dir="$1" show HEAD --stat | grep -q "prod/.*\.json"' - "$T/store"
# A program that is killed by a signal still leaves apt alone.
rm "$T/bin/driftsync"
printf '#!/bin/sh\nkill -9 $$\n' >"$T/bin/driftsync"
chmod +x "$T/bin/driftsync"
check "a crashing driftsync: the hook exits 0" run_hook

# ---- a real apt transaction (dpkg in a private root) runs the hook ----
if command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 &&
    sh "$DATA/dpkg/mkroot.sh" "$T/r" >/dev/null 2>&1; then
    R=$T/r/root
    mkdir -p "$T/apt/parts" "$T/apt/state/lists/partial" \
        "$T/apt/cache/archives/partial" "$T/apt/log"
    : >"$T/apt/sources.list"
    apt_run() { # CONFIG-FILE: reinstall a package in the private root
        timeout 120 apt-get -q -y -c "$1" \
            -o Dir::Etc::sourcelist="$T/apt/sources.list" \
            -o Dir::Etc::sourceparts="$T/apt/parts" \
            -o Dir::State="$T/apt/state" \
            -o Dir::State::status="$R/var/lib/dpkg/status" \
            -o Dir::Cache="$T/apt/cache" -o Dir::Log="$T/apt/log" \
            -o DPkg::Options::=--root="$R" \
            -o DPkg::Options::=--force-script-chrootless \
            -o DPkg::Options::=--force-not-root \
            -o Debug::NoLocking=1 -o APT::Sandbox::User=root \
            install --reinstall "$T/r/ds-conf.deb" >"$T/apt.out" 2>&1
    }
    printf 'DPkg::Post-Invoke { "touch %s/plain-hook-ran; false"; };\n' "$T" \
        >"$T/apt/failing"
    rc=0; apt_run "$T/apt/failing" || rc=$?
    check "harness: a failing Post-Invoke does fail apt (exit $rc)" test "$rc" = 100
    check "harness: the hook ran after dpkg" test -e "$T/plain-hook-ran"
    # driftsync crashes: apt still succeeds.
    printf '#!/bin/sh\ntouch "%s/crashed"\nkill -9 $$\n' "$T" >"$T/bin/driftsync"
    rc=0; apt_run "$T/50driftsync" || rc=$?
    check "apt with the hook and a crashing driftsync: exit 0 ($rc)" test "$rc" = 0
    check "the hook did run it" test -e "$T/crashed"
    # The real program records this machine after the transaction.
    rm "$T/bin/driftsync"
    ln -s "$DRIFTSYNC" "$T/bin/driftsync"
    rm -rf "$T/store" "$T/state"
    "$DRIFTSYNC" init >/dev/null
    rc=0; apt_run "$T/50driftsync" || rc=$?
    check "apt with the hook and driftsync: exit 0 ($rc)" test "$rc" = 0
    check "the hook recorded this machine in a new store" test \
        "$(git --git-dir="$T/store" rev-list --count HEAD 2>/dev/null)" = 1
    grep_ok "dpkg really reinstalled the package" 'Setting up ds-conf' "$T/apt.out"
else
    skip "no apt-get/dpkg-deb or the Debian root could not be built"
fi
unset DRIFTSYNC_CONFIG

done_testing
