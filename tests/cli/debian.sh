#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/debian.sh: the Debian packaging.  Always: debian/changelog is
# at the version configure reports, debian/control build-depends on every
# library configure requires, every file of debian/ is in the release
# tarball.  When `make deb` has built the package here: lintian has no
# error or warning on it, and it holds the program, the man pages, the
# completion, the units and the hook where apt does not read it, with
# the user made by postinst and everything undone by postrm purge.
. "$DS_SRCDIR/tests/setup.sh"

require_cmds dpkg-parsechangelog dpkg-deb
S=$DS_SRCDIR
VERSION=$("$DRIFTSYNC" --version | awk '{ print $2 }')
check "debian/changelog is at configure's version ($VERSION)" test \
    "$(dpkg-parsechangelog -l "$S/debian/changelog" -S Version)" = "$VERSION"
sed -n 's/^DS_REQUIRE(\[[A-Z0-9_]*\], \[[^]]*\], \[\([^]]*\)\])$/\1/p' "$S/configure.ac" >"$T/devs"
check "configure.ac names its libraries' Debian packages" test "$(wc -l <"$T/devs")" -ge 5
sed -n '/^Build-Depends:/,/^[A-Z]/p' "$S/debian/control" >"$T/bdeps"
for p in $(sort -u "$T/devs"); do
    grep_ok "debian/control build-depends on $p" "(^|[ ,])$p( |,|\$)" "$T/bdeps"
done
for f in $(cd "$S" && find debian -type f ! -name '*.swp' | sort); do
    grep_ok "$f is in the tarball (debian/local.mk)" "(^|[ 	])$f( |\\\\|\$)" "$S/debian/local.mk"
done

ARCH=$(dpkg --print-architecture)
D=$DS_BUILDDIR/deb
DEB=$D/driftsync_${VERSION}_$ARCH.deb
if [ -f "$DEB" ] && command -v lintian >/dev/null 2>&1; then
    lintian --fail-on error,warning "$D/driftsync_${VERSION}_$ARCH.changes" >"$T/lintian" 2>&1
    check "lintian: no error, no warning" test $? = 0
    diag "$(grep -v 'root privileges' "$T/lintian")"
    dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|' >"$T/files"
    for f in /usr/bin/driftsync /usr/share/man/man1/driftsync.1.gz \
        /usr/share/man/man5/driftsync.conf.5.gz \
        /usr/share/bash-completion/completions/driftsync \
        /lib/systemd/system/driftsync-mirror.service \
        /lib/systemd/system/driftsync-mirror.timer \
        /usr/share/driftsync/apt/50driftsync; do
        grep_ok "ships $f" "^$f\$" "$T/files"
    done
    grep_not "nothing in /etc/apt (the hook is inactive)" '^/etc/apt' "$T/files"
    grep_not "nothing under /usr/local" '^/usr/local' "$T/files"
    dpkg-deb -e "$DEB" "$T/ctl"
    grep_ok "depends on adduser" '^Depends:.*adduser' "$T/ctl/control"
    # loaded on first call, not linked: named in Depends by debian/rules
    for p in libvirt0 libcurl4; do
        grep_ok "depends on $p" "^Depends:.*(^|[ ,])$p( |,|\$)" "$T/ctl/control"
    done
    grep_ok "postinst makes the system user" 'adduser --system --group' "$T/ctl/postinst"
    grep_ok "postinst makes the state directory 0750" 'install -d -o driftsync -g driftsync -m 0750' "$T/ctl/postinst"
    grep_ok "postrm purge removes the user" 'deluser --system' "$T/ctl/postrm"
    grep_ok "and the units' links" "deb-systemd-helper purge 'driftsync-mirror.timer'" "$T/ctl/postrm"
    dpkg-deb -x "$DEB" "$T/root"
    grep_ok "the hook runs the installed program" 'timeout -k 10 120 /usr/bin/driftsync -q record --local' \
        "$T/root/usr/share/driftsync/apt/50driftsync"
    grep_ok "the service runs /usr/bin/driftsync" '^ExecStart=/usr/bin/driftsync mirror$' \
        "$T/root/lib/systemd/system/driftsync-mirror.service"
    diag "package size: $(stat -c %s "$DEB") bytes, installed $(sed -n 's/^Installed-Size: //p' "$T/ctl/control") KiB"
else
    skip "no $DEB (make deb) or no lintian: the built package is not checked"
fi

done_testing
