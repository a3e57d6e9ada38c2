#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/deb.sh: the Debian package on a real production guest.  The
# .deb `make deb` built is installed into prod with `apt-get install
# ./driftsync_*.deb`, its dependencies served from a repository made here
# (the guests have no route to a mirror: the packages come from this
# machine's apt cache, or are downloaded by its apt); then: the user, the
# state directories, the units (not enabled) and the apt hook (installed,
# inactive); the hook turned on records a commit at each `apt-get
# install`; a missing or crashing driftsync never makes apt fail; `remove`
# leaves apt working and `purge` leaves no unit, hook, state or user
# behind.  The guest goes back to its snapshot at the end.  Runs only
# with DS_E2E=1.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/e2e/lib.sh"

require_cmds dpkg-deb dpkg-scanpackages apt-get tar git jq

VERSION=$("$DRIFTSYNC" --version | awk '{ print $2 }')
ARCH=$(dpkg --print-architecture)
DEB=$DS_BUILDDIR/deb/driftsync_${VERSION}_$ARCH.deb
if [ ! -f "$DEB" ]; then
    command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null &&
        command -v lintian >/dev/null ||
        skip_all "no $DEB and no debhelper/lintian to build it (contrib/install-deps.sh test)"
    make -C "$DS_BUILDDIR" deb >"$T/make-deb.log" 2>&1 || {
        echo "1..1"; echo "not ok 1 - make deb"; sed 's/^/# /' "$T/make-deb.log" | tail -n 40
        exit 1
    }
fi

# ---- what the guest lacks, from this machine's apt --------------------
# g CMD...: a command in prod (up to 10 minutes: dpkg under TCG is slow)
g() { "$AGENT_TOOL" -c "$E2E_URI" -t 600000 "$PROD" run "$@"; }
gsh() { g sh -c "$1"; }
install_on_prod() { g env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"; }

baselines e2e-deb-baseline "$PROD"
at "$PROD" read /var/lib/dpkg/status >"$T/status"
check "the guest's dpkg status, read" grep -q '^Package: qemu-guest-agent$' "$T/status"
# What apt-get install ./driftsync.deb would install on a system in that
# state, resolved by this machine's apt on its own lists (same release).
sim() {
    apt-get -s -q --no-install-recommends -o Debug::NoLocking=1 \
        -o Dir::State::status="$T/status" install "$DEB" >"$T/sim" 2>&1
}
check "apt resolves the package's dependencies for the guest" sim
mkdir -p "$T/repo" "$T/dl"
chmod 0777 "$T/dl"
missing=""
while read -r name ver; do
    [ "$name" = driftsync ] && continue
    f=$(ls /var/cache/apt/archives/"${name}_${ver//:/%3a}"_*.deb 2>/dev/null | head -n 1)
    if [ -n "$f" ]; then cp "$f" "$T/repo/"; else missing="$missing $name=$ver"; fi
done < <(sed -n 's/^Inst \([^ ]*\) \(\[[^]]*\] \)\?(\([^ ]*\) .*/\1 \3/p' "$T/sim")
if [ -n "$missing" ]; then
    # shellcheck disable=SC2086
    if ! (cd "$T/dl" && apt-get download -q $missing) >"$T/dl.log" 2>&1; then
        skip "the guest lacks$missing, not in this machine's apt cache, and apt-get download failed: $(tail -n 1 "$T/dl.log")"
        done_testing
    fi
    mv "$T"/dl/*.deb "$T/repo/"
fi
diag "dependencies served to the guest: $(cd "$T/repo" && ls | wc -l) packages, $(du -sh "$T/repo" | cut -f1)"
cp "$DEB" "$T/repo/"
# and the packages the hook's transactions install
for p in ds-hook-a ds-hook-b ds-hook-c ds-hook-d ds-hook-e; do mkdeb "$p" 1.0; done
repo_index

tar -C "$T" -cf "$T/repo.tar" repo
put() { at "$PROD" write "$2" 0600 <"$1"; }
check "the repository copied into prod" put "$T/repo.tar" /var/tmp/ds-repo.tar
check "and made prod's only apt source" gsh '
    rm -rf /srv/ds-repo && mkdir -p /srv && tar -C /srv -xf /var/tmp/ds-repo.tar &&
    mv /srv/repo /srv/ds-repo && rm /var/tmp/ds-repo.tar &&
    if [ -e /etc/apt/sources.list ]; then mv /etc/apt/sources.list /etc/apt/sources.list.e2e-off; fi &&
    echo "deb [trusted=yes] file:/srv/ds-repo ./" >/etc/apt/sources.list.d/ds-e2e.list &&
    apt-get update -q >/dev/null'

# ---- install ----------------------------------------------------------
t0=$(now_ms)
check "apt-get install ./driftsync_${VERSION}_$ARCH.deb in prod" \
    install_on_prod "/srv/ds-repo/driftsync_${VERSION}_$ARCH.deb"
diag "installed in $(($(now_ms) - t0)) ms"
v=$(at "$PROD" run /usr/bin/driftsync --version)
check "the program runs: $VERSION" test "$v" = "driftsync $VERSION"
check "a system user driftsync, home /var/lib/driftsync, no login" gsh '
    IFS=: read -r n _ uid _ _ home sh <<EOF
$(getent passwd driftsync)
EOF
    [ "$n" = driftsync ] && [ "$uid" -lt 1000 ] && [ "$home" = /var/lib/driftsync ] &&
    [ "$sh" = /usr/sbin/nologin ] && getent group driftsync >/dev/null'
check "its state directories: driftsync's, 0750" gsh '
    test "$(stat -c "%U:%G %a" /var/lib/driftsync /var/lib/driftsync/state | sort -u)" = "driftsync:driftsync 750"'
check "man pages, completion, units" gsh '
    test -f /usr/share/man/man1/driftsync.1.gz && test -f /usr/share/man/man5/driftsync.conf.5.gz &&
    test -f /usr/share/bash-completion/completions/driftsync &&
    test -f /lib/systemd/system/driftsync-mirror.service && test -f /lib/systemd/system/driftsync-mirror.timer'
check "the timer is not enabled" gsh \
    'test "$(systemctl is-enabled driftsync-mirror.timer 2>/dev/null)" = disabled'
check "the hook is installed, inactive: not in apt's configuration" gsh '
    test -f /usr/share/driftsync/apt/50driftsync && ! test -e /etc/apt/apt.conf.d/50driftsync &&
    ! apt-config dump | grep -q driftsync'

# ---- the hook -----------------------------------------------------------
store_commits() { # the commit count of prod's store, read with git here
    rm -rf "$T/store" "$T/store.tar"
    gsh 'tar -C /var/lib/driftsync -cf /var/tmp/store.tar store' &&
        at "$PROD" read /var/tmp/store.tar >"$T/store.tar" &&
        tar -C "$T" -xf "$T/store.tar" &&
        git --git-dir="$T/store" rev-list --count HEAD
}
check "an apt transaction with the hook inactive" install_on_prod ds-hook-a
check "records nothing (no store made)" gsh '! test -e /var/lib/driftsync/store'
check "driftsync init (the store at its default place)" g /usr/bin/driftsync init
check "the hook turned on: copied into apt.conf.d" \
    g cp /usr/share/driftsync/apt/50driftsync /etc/apt/apt.conf.d/50driftsync
check "apt reads it" gsh 'apt-config dump DPkg::Post-Invoke | grep -q "driftsync -q record --local"'
t0=$(now_ms)
check "apt-get install ds-hook-b: exit 0" install_on_prod ds-hook-b
diag "install with the hook: $(($(now_ms) - t0)) ms"
check "the hook recorded one commit" test "$(store_commits)" = 1
# manifest_has PACKAGE: prod's manifest at HEAD of the store read last lists it at 1.0
manifest_has() {
    git --git-dir="$T/store" show HEAD:prod/e2e.json >"$T/m.json" &&
        jq -e --arg p "$1" '.packages[$p].version == "1.0"' "$T/m.json" >/dev/null
}
check "with ds-hook-b in prod's manifest" manifest_has ds-hook-b
check "apt-get install ds-hook-c: exit 0" install_on_prod ds-hook-c
check "a second commit" test "$(store_commits)" = 2
check "with ds-hook-c" manifest_has ds-hook-c

# ---- the hook never fails apt -------------------------------------------
check "driftsync moved away" g mv /usr/bin/driftsync /usr/bin/driftsync.e2e-off
check "apt-get install with the program missing: exit 0" install_on_prod ds-hook-d
check "a driftsync that crashes (killed by SIGKILL)" gsh '
    printf "#!/bin/sh\ntouch /var/tmp/ds-hook-ran\nkill -9 \$\$\n" >/usr/bin/driftsync && chmod 0755 /usr/bin/driftsync'
check "apt-get install with it: exit 0" install_on_prod ds-hook-e
check "the hook did run it" g test -e /var/tmp/ds-hook-ran
check "the program back" g mv /usr/bin/driftsync.e2e-off /usr/bin/driftsync

# ---- remove, purge --------------------------------------------------------
check "the timer enabled by the admin" g systemctl enable driftsync-mirror.timer
check "apt-get remove driftsync: exit 0" g env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q driftsync
check "apt still works with the hook left behind" \
    g env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall ds-hook-a
check "apt-get purge driftsync: exit 0" g env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q driftsync
check "no unit left (files, enablement links)" gsh '
    test -z "$(find /lib/systemd /usr/lib/systemd /etc/systemd -name "driftsync*" 2>/dev/null)"'
check "no hook left" gsh '! test -e /etc/apt/apt.conf.d/50driftsync && ! apt-config dump | grep -q driftsync'
check "no user or group left" gsh '! getent passwd driftsync && ! getent group driftsync'
check "no state left" gsh '! test -e /var/lib/driftsync'
check "no file of the package left" gsh '! test -e /usr/bin/driftsync && ! test -e /usr/share/driftsync && ! test -e /usr/share/doc/driftsync'
check "dpkg forgot it" gsh '! dpkg-query -W -f "\${db:Status-Abbrev}" driftsync 2>/dev/null | grep -q "^[a-z]i"'
check "apt works after the purge" \
    g env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall ds-hook-a

done_testing
