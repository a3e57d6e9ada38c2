# SPDX-License-Identifier: GPL-2.0-or-later
# drivers/scripts/rpm-facts.sh: everything an rpm host can tell without
# knowing which files to capture, in one round-trip (platform-rpm.c).
# $1 marker, $2 root ("" for the host itself), $3 rpm --queryformat.
# Sections as dpkg-facts.sh names them where they mean the same (uname,
# probe, os-release, unit-files, units, install, "source PATH" for each
# .repo file), plus rpm, "rpm-status N" and verify (rpm -Va of the
# %config files).  Under a root only commands run here: rpm reads the
# root's database (/usr/lib/sysimage/rpm, else /var/lib/rpm), and the
# .repo files are read by the transport, which keeps symlinks inside it.
# The library embeds what follows these opening comments (drivers/local.mk).
n=$1 r=$2 fmt=$3
s() { printf '\n%s %s\n' "$n" "$1"; }
command -v rpm >/dev/null 2>&1 || { s no-rpm; s end; exit 0; }
set --
if [ -n "$r" ]; then
  for d in /usr/lib/sysimage/rpm /var/lib/rpm; do
    if [ -d "$r$d" ]; then set -- --root "$r" --dbpath "$d"; break; fi
  done
  [ $# -gt 0 ] || { s no-rpm; s end; exit 0; }
fi
export LC_ALL=C
s uname; uname -r
s probe
find "$r/etc/yum.repos.d" "$r/run/systemd/system" "$r/etc/systemd/system" "$r/lib/systemd/system" "$r/usr/lib/systemd/system" -maxdepth 2 -printf '%y %p\0%l\0' 2>/dev/null
s rpm; rpm "$@" -qa --qf "$fmt"; st=$?
s "rpm-status $st"
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
s end
