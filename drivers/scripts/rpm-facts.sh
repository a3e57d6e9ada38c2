# SPDX-License-Identifier: GPL-2.0-or-later
# drivers/scripts/rpm-facts.sh: everything an rpm host can tell without
# knowing which files to capture, in one round-trip (platform-rpm.c).
# $1 marker, $2 root ("" for the host itself), $3 rpm --queryformat,
# $4 "refresh" to run dnf makecache first, $5 "pending" for only what
# the pending updates need (packages and dnf's answers: `driftsync
# patches`), $6 dnf repoquery --queryformat.
# Sections as dpkg-facts.sh names them where they mean the same (uname,
# probe, os-release, unit-files, units, install, "source PATH" for each
# .repo file), plus rpm, "rpm-status N" and verify (rpm -Va of the
# %config files); where dnf is installed, its answers from the metadata
# it has cached (-C: the network only with "refresh"): dnf-upgrades,
# dnf-advisories, "dnf-status A B", dnf-error (their stderr, when one
# failed), dnf-cache (mtimes of the cached metadata); versionlock-conf
# and versionlock (the plugin's settings and lock list).  Under a root only commands run here: rpm reads the
# root's database (/usr/lib/sysimage/rpm, else /var/lib/rpm), and the
# .repo files are read by the transport, which keeps symlinks inside it.
# The library embeds what follows these opening comments (drivers/local.mk).
n=$1 r=$2 fmt=$3 ref=$4 scope=$5 dqf=$6
s() { printf '\n%s %s\n' "$n" "$1"; }
full() { [ "$scope" != pending ]; }
command -v rpm >/dev/null 2>&1 || { s no-rpm; s end; exit 0; }
set --
if [ -n "$r" ]; then
  for d in /usr/lib/sysimage/rpm /var/lib/rpm; do
    if [ -d "$r$d" ]; then set -- --root "$r" --dbpath "$d"; break; fi
  done
  [ $# -gt 0 ] || { s no-rpm; s end; exit 0; }
fi
export LC_ALL=C
if full; then
s uname; uname -r
s probe
find "$r/etc/yum.repos.d" "$r/run/systemd/system" "$r/etc/systemd/system" "$r/lib/systemd/system" "$r/usr/lib/systemd/system" -maxdepth 2 -printf '%y %p\0%l\0' 2>/dev/null
fi
s rpm; rpm "$@" -qa --qf "$fmt"; st=$?
s "rpm-status $st"
if full; then
s verify; rpm "$@" -Va -c --nodeps --noscripts --nomtime 2>/dev/null
if [ -z "$r" ]; then
  s os-release
  cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
  for f in /etc/yum.repos.d/*.repo; do
    case ${f##*/} in *[!A-Za-z0-9_.-]*) continue;; esac
    [ -f "$f" ] || continue
    s "source $f"; cat -- "$f"
  done
  if [ -d /run/systemd/system ]; then
    s unit-files
    systemctl list-unit-files --type=service --no-legend --no-pager
    s units
    systemctl list-units --type=service --all --no-legend --no-pager --plain
  fi
fi
if [ ! -d "$r/run/systemd/system" ] || [ -n "$r" ]; then
  s install
  find "$r/etc/systemd/system" "$r/lib/systemd/system" "$r/usr/lib/systemd/system" -maxdepth 1 -type f -name '*.service' -exec grep -HZE '^[[:space:]]*(WantedBy|RequiredBy|UpheldBy|Alias|Also|DefaultInstance)[[:space:]]*=' -- {} + 2>/dev/null
fi
fi
# dnf 4's versionlock plugin: its settings and the list they name (under
# a root both are read through the transport instead).
vc=/etc/dnf/plugins/versionlock.conf
if [ -z "$r" ] && [ -f "$vc" ]; then
  s versionlock-conf; cat -- "$vc"
  ll=$(sed -n 's/^[[:space:]]*locklist[[:space:]]*=[[:space:]]*//p' "$vc" | tail -n 1 | sed 's/[[:space:]]*$//')
  if [ -n "$ll" ] && [ -f "$ll" ]; then s versionlock; head -c 1048577 -- "$ll"; fi
fi
# dnf's own answers: the candidates and the advisories of its cached
# metadata, every repository required (an unreadable one is a failure,
# not an empty answer).  dnf's stdout goes out directly (fd 3), its
# stderr is kept for the error.  Under a root dnf reads the root's rpm
# database, repositories and cache (--installroot), the database where
# this machine's rpm macros say (%_dbpath): when that is not the root's,
# dnf would see nothing installed, and is not asked (dnf-dbpath).
samedir() { x=$(cd "$1" 2>/dev/null && pwd -P) && y=$(cd "$2" 2>/dev/null && pwd -P) && [ "$x" = "$y" ]; }
db=
[ -z "$r" ] || db=$(rpm --eval '%{_dbpath}')
if [ -n "$r" ] && command -v dnf >/dev/null 2>&1 && ! samedir "$r$db" "$r$d"; then
  s dnf-dbpath; printf '%s\n' "$db"
elif command -v dnf >/dev/null 2>&1; then
  set -- -q --setopt=skip_if_unavailable=False
  [ -z "$r" ] || set -- "$@" --installroot "$r"
  if [ "$ref" = refresh ]; then
    e=$(dnf "$@" makecache 2>&1 >/dev/null); st=$?
    s refresh; printf '%s\n%s\n' "$st" "$e"
  fi
  s dnf-upgrades
  { e=$(dnf "$@" -C repoquery --upgrades --latest-limit=1 --qf "$dqf" 2>&1 1>&3); a=$?; } 3>&1
  s dnf-advisories
  { e2=$(dnf "$@" -C updateinfo list --available 2>&1 1>&3); b=$?; } 3>&1
  s dnf-status; printf '%s %s\n' "$a" "$b"
  if [ "$a$b" != 00 ]; then s dnf-error; printf '%s\n%s\n' "$e" "$e2"; fi
  s dnf-cache
  find "$r/var/cache/dnf" -mindepth 3 -maxdepth 3 -path '*/repodata/*' -type f -printf '%T@\n' 2>/dev/null
fi
s end
