#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/agent-power.sh: reboot through the guest agent (a new boot
# id), shut down and wait, start again and wait for the agent.  Uses the
# lab domain only; it is up again at the end.  Timeouts are generous: a
# TCG guest on a busy 2-core machine takes minutes to boot.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/e2e/lib.sh"

plan 8
boot_id() { vexec $LAB /bin/cat /proc/sys/kernel/random/boot_id; }
b0=$(boot_id)
check "boot id readable" test -n "$b0"
t=$(now_ms)
expect_status 0 "reboot through the agent" at $LAB reboot 600000
diag "reboot to agent answering: $(($(now_ms) - t)) ms"
b1=$(boot_id)
check "a new boot id ($b0 -> $b1)" test -n "$b1" -a "$b1" != "$b0"
t=$(now_ms)
expect_status 0 "shutdown through the agent" at $LAB shutdown 300000
diag "shutdown: $(($(now_ms) - t)) ms"
check "the domain is off" test "$(virsh -c "$E2E_URI" domstate $LAB)" = "shut off"
expect_status 0 "start it again" at $LAB start
t=$(now_ms)
expect_status 0 "the agent answers again" at $LAB wait 600000
diag "start to agent answering: $(($(now_ms) - t)) ms"
check "and runs commands" at $LAB run true
done_testing
