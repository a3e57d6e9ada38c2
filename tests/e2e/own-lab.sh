# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/own-lab.sh: sourced after tests/e2e/lib.sh by the snapshot and
# trial tests.  By default they use the bed's lab-e2e.  With DS_E2E_LAB
# set to another name, they use a domain of their own by that name, a
# clone of lab-e2e's definition on its own overlay of the bed's image
# (defined and booted here when absent), so that they can run beside
# other tests that reboot or revert lab-e2e.
own_lab() {
    local name=${DS_E2E_LAB:-$LAB} dir=${DS_E2E_DIR:-/var/lib/driftsync-e2e}
    local xml img i
    [ "$name" = "$LAB" ] && return 0
    if ! virsh -q -c "$E2E_URI" dominfo "$name" >/dev/null 2>&1; then
        xml=$(virsh -q -c "$E2E_URI" dumpxml --inactive "$LAB") || return 1
        img=$(sed -n 's|.*<kernel>\(.*\)/vmlinuz</kernel>.*|\1|p' <<<"$xml")
        [ -f "$img/base.qcow2" ] || return 1
        rm -f "$dir/$name.qcow2"
        qemu-img create -q -f qcow2 -b "$img/base.qcow2" -F qcow2 "$dir/$name.qcow2" || return 1
        sed -e "s|<name>$LAB</name>|<name>$name</name>|" -e '/<uuid>/d' \
            -e "s|<source file='[^']*'/>|<source file='$dir/$name.qcow2'/>|" \
            -e "s|$LAB-console.log|$name-console.log|g" <<<"$xml" >"$dir/$name.xml"
        virsh -q -c "$E2E_URI" define "$dir/$name.xml" >/dev/null || return 1
    fi
    [ "$(virsh -q -c "$E2E_URI" domstate "$name")" = running ] ||
        virsh -q -c "$E2E_URI" start "$name" >/dev/null || return 1
    LAB=$name
    for i in $(seq 1200); do
        virsh -q -c "$E2E_URI" qemu-agent-command "$LAB" '{"execute":"guest-ping"}' \
            --timeout 5 >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    return 1
}
own_lab || { echo "1..1"; echo "not ok 1 - a lab of our own (${DS_E2E_LAB:-})"; exit 1; }
