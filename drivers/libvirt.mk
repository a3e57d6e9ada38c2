# SPDX-License-Identifier: GPL-2.0-or-later
# drivers/libvirt.mk: libvirt connections, domains and the guest agent.
libdriftsync_la_SOURCES += drivers/libvirt.h
libdriftsync_la_SOURCES += drivers/libvirt.c

unit_tests += tests/unit/test-libvirt
tests_unit_test_libvirt_SOURCES = tests/unit/test-libvirt.c
tests_unit_test_libvirt_LDADD = $(ds_test_ldadd)
EXTRA_DIST += tests/data/test-node.xml

# The agent:DOMAIN transport (registered with drivers/transport.c).
libdriftsync_la_SOURCES += drivers/transport-agent.c drivers/transport-agent.h \
	drivers/transport-agent-reply.c drivers/transport-agent-reply.h
unit_tests += tests/unit/test-transport-agent
tests_unit_test_transport_agent_SOURCES = tests/unit/test-transport-agent.c
tests_unit_test_transport_agent_LDADD = $(ds_test_ldadd)

# End-to-end test bed: a real Debian guest under libvirt/QEMU (make check-e2e).
check_PROGRAMS += tests/e2e/agent-tool
tests_e2e_agent_tool_SOURCES = tests/e2e/agent-tool.c
tests_e2e_agent_tool_LDADD = $(ds_test_ldadd)
# Not in TESTS: they boot VMs.  `make check-e2e` brings the bed up
# (tests/e2e/bed.sh) and runs them one at a time with DS_E2E=1.
e2e_tests = \
	tests/e2e/agent-collect.sh \
	tests/e2e/agent-exec.sh \
	tests/e2e/agent-files.sh \
	tests/e2e/agent-limits.sh \
	tests/e2e/agent-power.sh
EXTRA_DIST += $(e2e_tests) tests/e2e/lib.sh tests/e2e/bed.sh \
	tests/e2e/image.sh tests/e2e/run.sh

check-e2e: all
	DS_E2E=1 $(SHELL) $(srcdir)/tests/e2e/run.sh $(MAKE) $(AM_MAKEFLAGS) \
		-j1 check TESTS="$(e2e_tests)"
e2e-up:
	$(SHELL) $(srcdir)/tests/e2e/bed.sh up
e2e-down:
	$(SHELL) $(srcdir)/tests/e2e/bed.sh down
.PHONY: check-e2e e2e-up e2e-down
