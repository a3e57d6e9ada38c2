# SPDX-License-Identifier: GPL-2.0-or-later
# tests/rpm.sh: sourced after tests/setup.sh by the tests that build rpm
# packages and roots with Debian's rpm tools (rpm, rpmbuild, createrepo_c,
# dnf).  rpm hosts are optional (configure --with-rpm), so a missing tool
# skips the test, naming it.

# rpm_setup [COMMAND...]: skips the test when one of the COMMANDs is
# missing; points HOME at $T/home, whose .rpmmacros keeps a root's rpm
# database in /var/lib/rpm as RHEL does (Debian's rpm keeps its own under
# the home directory, where dnf --installroot would look).
rpm_setup() {
    for c in "$@"; do
        command -v "$c" >/dev/null ||
            skip_all "$c is not installed (contrib/install-deps.sh test)"
    done
    export HOME="$T/home"
    mkdir -p "$HOME"
    echo '%_dbpath /var/lib/rpm' >"$HOME/.rpmmacros"
}

# rpm_replay_repo: the replay packages (tests/data/rpm/mkrepo.sh replay)
# in the repository $T/repo, and $T/mkroot ROOT to make an empty root
# that uses it.  A failure bails out with the script's output.
rpm_replay_repo() {
    sh "$DATA/rpm/mkrepo.sh" replay "$T" >"$T/mkrepo.log" 2>&1 || {
        cat "$T/mkrepo.log" >&2; echo "Bail out! mkrepo failed"; exit 1; }
}

# dnfr ROOT ARGUMENT...: dnf -y on the root ROOT; a failure bails out with
# dnf's output.
dnfr() {
    r=$1; shift
    dnf -y --installroot="$r" --releasever=9 "$@" >"$T/dnf.log" 2>&1 || {
        cat "$T/dnf.log" >&2; echo "Bail out! dnf $*"; exit 1; }
}

# rpm_first_record COMMAND...: the first record of an rpm host (its stdout
# in $T/out, its stderr in $T/err, for the checks that follow); skips the
# test when driftsync was built without librpm.
rpm_first_record() {
    if ! "$@" >"$T/out" 2>"$T/err" &&
        grep -q 'built without librpm' "$T/err"; then
        skip_all "driftsync was built without librpm (configure --with-rpm)"
    fi
}
