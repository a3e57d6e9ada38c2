#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/host-mirror.sh: the Debian mirror (and proxy) this machine's
# own apt uses, for building the guest image with debootstrap: a machine
# that reaches Debian only through its own mirror or proxy builds the bed
# and the demo unchanged.
#
#   host-mirror.sh [SUITE]      (default bookworm)
#
# prints three lines:
#   mirror URL     DS_E2E_MIRROR when set; else the first enabled "deb"
#                  source for SUITE in apt's order (sources.list, then
#                  sources.list.d/*.list and *.sources in name order; one-
#                  line and deb822 formats); else http://deb.debian.org/debian
#   from WHERE     DS_E2E_MIRROR, the file it came from, or default
#   proxy URL      apt's Acquire::http::Proxy (https:: for an https mirror;
#                  a per-host Acquire::http::Proxy::HOST first), empty
#                  for none or DIRECT
# Where the files are and the proxy come from apt-config, so APT_CONFIG
# points it at another configuration (the tests do).
set -euo pipefail
SUITE=${1:-bookworm}
DEFAULT=http://deb.debian.org/debian

# apt_value KEY: one value of apt's configuration (a file or directory
# with /f or /d, resolved as apt does), empty when unset.
apt_value() {
    apt-config shell v "$1" 2>/dev/null | sed -n "s/^v='\(.*\)'$/\1/p"
}

# One-line format: "deb [options] URI SUITE COMPONENT..." (options may hold
# spaces); print the URI of the first line for SUITE that debootstrap
# can use (http, https, file: not cdrom: or mirror+file:).
USABLE='^(https?://|file:/)'
from_list() {
    sed -e 's/#.*//' -e 's/^\([ \t]*deb[ \t]*\)\[[^]]*\]/\1/' "$1" 2>/dev/null |
        awk -v s="$SUITE" -v ok="$USABLE" '$1 == "deb" && $3 == s && $2 ~ ok { print $2; exit }'
}

# deb822 format: paragraphs of "Field: value" lines; print the first
# usable URI of the first enabled paragraph of type deb that lists SUITE.
from_sources() {
    awk -v s="$SUITE" -v ok="$USABLE" '
        function flush() {
            if (uris != "" && types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " s " ") &&
                enabled !~ /^(no|false)$/) {
                n = split(uris, u, " ")
                for (i = 1; i <= n; i++) if (u[i] ~ ok) { print u[i]; found = 1; exit }
            }
            types = ""; uris = ""; suites = ""; enabled = ""
        }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        /^[ \t]/ { next }
        {
            field = tolower($1); sub(/:$/, "", field); $1 = ""; sub(/^ +/, "")
            if (field == "types") types = $0
            else if (field == "uris") uris = $0
            else if (field == "suites") suites = $0
            else if (field == "enabled") enabled = tolower($0)
        }
        END { if (!found) flush() }' "$1" 2>/dev/null
}

mirror=${DS_E2E_MIRROR:-}
from=DS_E2E_MIRROR
if [ -z "$mirror" ]; then
    # apt's order: sources.list, then *.list and *.sources in name order
    list=$(apt_value Dir::Etc::sourcelist/f)
    parts=$(apt_value Dir::Etc::sourceparts/d)
    parts=${parts%/}
    files=("${list:-/etc/apt/sources.list}")
    while IFS= read -r f; do files+=("$f"); done < <(
        find "${parts:-/etc/apt/sources.list.d}/" -maxdepth 1 -type f \
            \( -name '*.list' -o -name '*.sources' \) 2>/dev/null | LC_ALL=C sort)
    for f in "${files[@]}"; do
        [ -f "$f" ] || continue
        case "$f" in
        *.sources) m=$(from_sources "$f") ;;
        *) m=$(from_list "$f") ;;
        esac
        if [ -n "$m" ]; then
            mirror=$m
            from=$f
            break
        fi
    done
    [ -n "$mirror" ] || { mirror=$DEFAULT; from=default; }
fi

proxy=
case "$mirror" in
http://* | https://*)
    scheme=${mirror%%://*}
    host=${mirror#*://}
    host=${host%%/*}
    host=${host##*@}
    host=${host%%:*}
    proxy=$(apt_value "Acquire::$scheme::Proxy::$host")
    [ -n "$proxy" ] || proxy=$(apt_value "Acquire::$scheme::Proxy")
    case "$proxy" in DIRECT | direct | false) proxy= ;; esac
    ;;
esac
echo "mirror $mirror"
echo "from $from"
echo "proxy $proxy"
