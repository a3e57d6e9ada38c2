#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/config-hostile.sh: driftsync.conf values that would run a
# command or reach the wrong place through ssh (ssh-options off the
# allow-list, hostile ssh:// URIs, unsafe paths) are refused when the file
# is read: exit 2, "FILE:LINE: [host NAME] KEY: ...", nothing created and
# nothing run, whatever the verb.
. "$DS_SRCDIR/tests/setup.sh"
plan 44

# conf NAME KEY = VALUE...: a config whose [host web01] has the lines given
# (one per argument); the first of them is on line 5.
conf() {
    name=$1; shift
    { printf '[store]\npath = %s/store-%s\n\n[host web01]\n' "$T" "$name"
      for l in "$@"; do printf '%s\n' "$l"; done
      case "$*" in *source*) ;; *) printf 'source = ssh://root@web01\n' ;; esac
    } >"$T/$name.conf"
}
# refused NAME LINE KEY PATTERN: init with $T/NAME.conf exits 2, the error
# names the file, line and key, and no store is created.
refused() {
    expect_status 2 "$1: refused (exit 2)" ds --config "$T/$1.conf" init
    grep_ok "$1: the error names file, line $2 and key $3" \
        "^driftsync: $T/$1.conf:$2: \[host web01\] $3: .*$4" "$T/err"
    if [ -e "$T/store-$1" ]; then not_ok "$1: no store created"
    else ok "$1: no store created"; fi
}

pwned="$T/pwned"
# ssh options that run a command, in any case, are not on the allow-list.
conf proxycmd "ssh-options = ConnectTimeout=5 ProxyCommand=touch$pwned"
refused proxycmd 5 ssh-options "ssh option 'ProxyCommand' is not allowed"
conf localcmd "ssh-options = PermitLocalCommand=yes LocalCommand=touch$pwned"
refused localcmd 5 ssh-options "'PermitLocalCommand' is not allowed"
conf khcmd "ssh-options = KnownHostsCommand=/bin/touch$pwned"
refused khcmd 5 ssh-options "'KnownHostsCommand' is not allowed"
conf lower "ssh-options = proxycommand=touch$pwned"
refused lower 5 ssh-options "'proxycommand' is not allowed"
# A jump host must be a checked host name, not an option.
conf jump "ssh-options = ProxyJump=-oProxyCommand=touch$pwned"
refused jump 5 ssh-options "ProxyJump=.*expected none or"
conf port "ssh-options = Port=22x"
refused port 5 ssh-options "'Port=22x': expected a port number"

# Hostile ssh:// URIs: a shell separator, an option, a path.
conf semi "source = ssh://root@h;reboot"
refused semi 5 source "unsafe ssh host name"
conf dashopt "source = ssh://-oProxyCommand=reboot"
refused dashopt 5 source "unsafe ssh host name"
conf dotdot "source = ssh://root@h/../../x"
refused dotdot 5 source "no path"
conf labssh "lab-access = ssh://-oProxyCommand=reboot"
refused labssh 5 lab-access "unsafe ssh host name"
# Paths handed to ssh: no blanks, no leading '-'.
conf idspace "identity-file = /root/my key"
refused idspace 5 identity-file "must not start with '-' nor contain blanks"
conf khdash "known-hosts = -oProxyCommand=x"
refused khdash 5 known-hosts "must not start with '-'"
# Credentials in an https source are refused at once, not shown.
conf creds "source = https://admin:hunter2@inv.example.com/web01.json"
refused creds 5 source "credentials in a source URL are refused"
grep_not "the password is not shown" "hunter2" "$T/err"

if [ -e "$pwned" ]; then not_ok "nothing was run"; else ok "nothing was run"; fi

# The same checks hold for every verb, before any host is reached.
expect_status 2 "record refuses the file before collecting" \
    ds --config "$T/proxycmd.conf" record
grep_ok "record names the line" "proxycmd.conf:5: \[host web01\] ssh-options" "$T/err"

# Harmless options are accepted.
conf fine "ssh-options = Port=2222 ConnectTimeout=5 ServerAliveInterval=10 Ciphers=aes128-ctr,chacha20-poly1305@openssh.com ProxyJump=admin@bastion.example.com:2222,jump2 Compression=no" \
    "identity-file = /etc/driftsync/id_ed25519" "lab-access = ssh://root@web01-lab:2200"
expect_status 0 "allow-listed ssh options, a jump host and safe paths pass" \
    ds --config "$T/fine.conf" init
done_testing
