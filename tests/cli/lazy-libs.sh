#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/lazy-libs.sh: libvirt, libcurl and librpmio are loaded when a
# run first calls them, not when the program starts: the program does not
# name them as needed libraries, the store's verbs (init, record, log,
# diff, show) run without loading them, and a verb that drives a lab VM
# (snapshot list, on libvirt's test driver) loads libvirt and works.  GIO
# is not linked at all (the program gunzips with zlib).
. "$DS_SRCDIR/tests/setup.sh"
require_cmds readelf
[ "${DS_VALGRIND:-0}" = 1 ] && skip_all "the loader's trace is valgrind's under DS_VALGRIND"
plan 9

# loaded NAME FILE: the loader's trace in FILE says NAME was loaded.
loaded() { grep -Eq "(calling init|file=).*$1" "$2"; }

readelf -d "$DRIFTSYNC" >"$T/dyn"
for lib in libvirt libcurl librpmio libgio; do
    grep_not "the program does not need $lib at start-up" \
        "NEEDED.*\[$lib[.-]" "$T/dyn"
done

use_store
dsc init >/dev/null || { echo "Bail out! cannot create the store"; exit 1; }
$EDIT "$GOOD/web01.json" "$T/h1.json" host=h1
LD_DEBUG=files dsc record --from "$T/h1.json" >"$T/out" 2>"$T/trace"
dsc record --from "$T/h1.json" >/dev/null 2>&1
LD_DEBUG=files dsc log h1 >>"$T/out" 2>>"$T/trace"
LD_DEBUG=files dsc diff h1 >>"$T/out" 2>>"$T/trace"
LD_DEBUG=files dsc show h1 >>"$T/out" 2>>"$T/trace"
grep_ok "the store's verbs ran" "h1" "$T/out"
if loaded 'libvirt\.so' "$T/trace"; then not_ok "record, log, diff, show: no libvirt"
else ok "record, log, diff, show: no libvirt"; fi
if loaded 'libcurl\.so' "$T/trace"; then not_ok "record, log, diff, show: no libcurl"
else ok "record, log, diff, show: no libcurl"; fi

write_conf "$T/lab.conf" <<CONF
[host web01]
source = local:
lab = lab-web01
CONF
LD_DEBUG=files ds --config "$T/lab.conf" snapshot list web01 >"$T/out" 2>"$T/trace"
check "snapshot list on the test driver works" grep -q baseline "$T/out"
if loaded 'libvirt\.so' "$T/trace"; then ok "snapshot list loaded libvirt"
else not_ok "snapshot list loaded libvirt"; fi
done_testing
