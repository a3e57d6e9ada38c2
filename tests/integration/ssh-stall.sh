#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/ssh-stall.sh: an ssh server that stalls in the middle
# of a stream.  A real OpenSSH server on 127.0.0.1 sends a command's
# output line by line; halfway, every sshd process serving the connection
# is stopped (SIGSTOP: the TCP connection stays open, nothing more comes).
# The ssh transport ends in bounded time -- the server's silence, not the
# command's long timeout -- with one clear error naming the host and the
# cause.  Then a file read stalled the same way, with a shorter keepalive
# interval from ssh-options.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/sshd.sh"

TOOL="$DS_BUILDDIR/tests/tools/transport-tool"


start_sshd
URI="ssh://root@127.0.0.1:$SSHD_PORT"
# A command may run for 10 minutes: a stall must be found long before.
tool() {
    ds_run "$TOOL" --host web01 --identity "$T/user_key" --known-hosts \
        "$T/known_hosts" --control-dir "$CTL" --connect-timeout 10000 \
        --timeout 600000 "$@"
}

# descendants PID: every process below PID.
descendants() {
    for c in $(ps -o pid= --ppid "$1"); do echo "$c"; descendants "$c"; done
}
# The sshd processes serving connections (not the listener): stopped,
# continued at exit so that sshd can be stopped.
STOPPED=""
stall_server() {
    STOPPED=$(descendants "$SSHD_PID")
    for p in $STOPPED; do kill -STOP "$p" 2>/dev/null; done
    [ -n "$STOPPED" ]
}
resume_server() { [ -z "$STOPPED" ] || kill -CONT $STOPPED 2>/dev/null; STOPPED=""; }
at_exit resume_server

# stream_then_stall WHAT [OPTIONS] URI ACTION...: the tool in the background; once the
# remote side has written $T/streaming, stall the server; the tool's exit
# status in $rc, the milliseconds from the stall to its end in $ms.
stream_then_stall() {
    what=$1; shift
    rm -f "$T/streaming"
    tool "$@" >"$T/out" 2>"$T/err" &
    pid=$!
    wait_for "$what: the stream to begin" test -e "$T/streaming"
    check "$what: the server's processes stopped mid-stream" stall_server
    t0=$(date +%s%N)
    rc=0; wait "$pid" || rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
    diag "$what: ended $ms ms after the stall, exit $rc: $(cat "$T/err")"
    resume_server
    # the master connection is gone with the stalled server
    rm -f "$CTL"/* 2>/dev/null
}

# 1. A command streaming its output (a line every 0.1 s for 60 s).
stream_then_stall "command" "$URI" run sh -c "
    i=0
    while [ \$i -lt 600 ]; do
        echo line \$i; i=\$((i + 1)); [ \$i = 20 ] && : >'$T/streaming'
        sleep 0.1
    done"
check "command: an error (status 105: interrupted)" test "$rc" = 105
check "command: within 60 s of the stall (the command's timeout is 600 s)" test "$ms" -lt 60000
grep_ok "command: one line naming the host and the cause" \
    "^transport-tool: web01: ssh: connection to 127\.0\.0\.1:$SSHD_PORT lost in the middle of \`sh\`: the server stopped answering" "$T/err"
check "command: one line only" test "$(wc -l <"$T/err")" = 1

# 2. A file read: cat of a FIFO fed slowly, so the stream is mid-way.
mkfifo "$T/fifo"
(
    exec >"$T/fifo"
    i=0
    while [ $i -lt 600 ]; do
        echo "chunk $i"; i=$((i + 1)); [ $i = 20 ] && : >"$T/streaming"
        sleep 0.1
    done
) &
FEEDER=$!
# ssh-options may shorten the wait (theirs come first, and win)
stream_then_stall "file read" --ssh-option ServerAliveInterval=1 "$URI" read "$T/fifo"
kill "$FEEDER" 2>/dev/null; wait "$FEEDER" 2>/dev/null
check "file read: an error" test "$rc" != 0
check "file read: within 20 s of the stall (ServerAliveInterval=1)" test "$ms" -lt 20000
grep_ok "file read: one line naming the host and the cause" \
    "^transport-tool: web01: ssh: connection to 127\.0\.0\.1:$SSHD_PORT lost in the middle of \`$T/fifo\`: the server stopped answering" "$T/err"

done_testing
