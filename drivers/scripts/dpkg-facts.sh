# SPDX-License-Identifier: GPL-2.0-or-later
# drivers/scripts/dpkg-facts.sh: everything a dpkg host can tell without
# knowing which files to capture, in one round-trip (platform-dpkg-facts.c).
# $1 marker, $2 root ("" for the host itself), $3 dpkg-query format,
# $4 "refresh" to run apt-get update first, $5 "pending" for only what
# the pending updates need (packages, holds, apt's candidates and the
# lists' age: `driftsync patches`), without conffile checksums, kernel,
# layout, os-release, sources, services or automatic marks.
# dpkg-query runs once: the conffiles whose md5 is taken are the
# " /path MD5" lines of its own output.
# Under a root only commands run here: files are read by the transport,
# which keeps symlinks inside the root.
# The library embeds what follows these opening comments (drivers/local.mk).
n=$1 r=$2 fmt=$3 ref=$4 scope=$5
s() { printf '\n%s %s\n' "$n" "$1"; }
[ -f "$r/var/lib/dpkg/status" ] || { s no-dpkg; s end; exit 0; }
full() { [ "$scope" != pending ]; }
if full; then
s uname; uname -r
s probe
find "$r/boot" "$r/etc/apt/sources.list" "$r/etc/apt/sources.list.d" "$r/run/systemd/system" "$r/run/reboot-required" "$r/etc/systemd/system" "$r/lib/systemd/system" "$r/usr/lib/systemd/system" -maxdepth 2 -printf '%y %p\0%l\0' 2>/dev/null
fi
s dpkg; q=$(dpkg-query "--admindir=$r/var/lib/dpkg" -W -f "$fmt")
st=$?; printf '%s\n' "$q"
s "dpkg-status $st"
if full; then
s md5
printf '%s\n' "$q" | sed -n 's/^ \(\/.*\) [0-9a-f]\{32\}\( .*\)\{0,1\}$/\1/p' | while IFS= read -r p; do printf '%s%s\0' "$r" "$p"; done | xargs -0r md5sum -z -- 2>/dev/null
if [ -z "$r" ]; then
  s os-release
  cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do
    case ${f##*/} in *[!A-Za-z0-9_.-]*) continue;; esac
    case $f in /etc/apt/sources.list|*.list|*.sources) ;; *) continue;; esac
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
# apt's own answers (platform-dpkg-select.c): the package files, the
# installed packages' policy (candidates), automatic marks, the lists'
# modification times.  Under a root apt reads the root's state.
if command -v apt-cache >/dev/null 2>&1; then
  if [ -n "$r" ]; then
    set -- -o "Dir=$r/" -o "Dir::State::status=$r/var/lib/dpkg/status"
  else
    set --
  fi
  export LC_ALL=C
  if [ "$ref" = refresh ]; then
    e=$(apt-get -q "$@" update 2>&1 >/dev/null); st=$?
    s refresh; printf '%s\n%s\n' "$st" "$e"
  fi
  s arch; dpkg --print-architecture
  s apt-files; apt-cache "$@" policy; a=$?
  s apt-policy
  printf '%s\n' "$q" | awk -F '\t' 'NF == 4 && $4 ~ /^.[itW]/ { print $1 }' | xargs -r apt-cache "$@" policy; b=$?
  # without the marks ("pending"), their status says "not collected"
  c=1; if full; then s apt-auto; apt-mark "$@" showauto; c=$?; fi
  s apt-status; printf '%s %s %s\n' "$a" "$b" "$c"
  s apt-lists
  find "$r/var/lib/apt/lists" "$r/var/lib/apt/periodic/update-success-stamp" -maxdepth 1 -printf '%T@\n' 2>/dev/null
fi
s end
