# SPDX-License-Identifier: GPL-2.0-or-later
# sync/jobs/scripts/audit-proc.sh: the processes of a host still running
# deleted code (audit-proc.c).  Takes no argument and reads no host data
# as code; a few processes in all, however many processes the host runs.
# It prints "M PID PATH" for each deleted file a process maps (the kernel
# escapes newlines in maps), "E PID PATH (deleted)" for a deleted
# executable in the code directories (where no user can put a newline in
# a name) and "C PID CGROUP" (the unified hierarchy's line) for every
# process, then "END".
# The library embeds what follows these opening comments
# (sync/jobs/local.mk).
cd /proc || exit 1
grep -F ' (deleted)' [0-9]*/maps 2>/dev/null | sed -n 's|^\([0-9][0-9]*\)/maps:[^ ]* [^ ]* [^ ]* [^ ]* [^ ]*  *\(/.*\) (deleted)$|M \1 \2|p' | sort -u
find [0-9]* -maxdepth 1 -name exe -lname '* (deleted)' \( -lname '/usr/*' -o -lname '/lib*' -o -lname '/bin/*' -o -lname '/sbin/*' \) -printf 'E %h %l\n' 2>/dev/null
grep -H '^0::' [0-9]*/cgroup 2>/dev/null | sed -n 's|^\([0-9][0-9]*\)/cgroup:0::|C \1 |p'
echo END
