# SPDX-License-Identifier: GPL-2.0-or-later
# drivers/transports.mk: the transport registry and the transports.
libdriftsync_la_SOURCES += drivers/transport.c drivers/transport.h \
	drivers/transport-int.h drivers/transport-spawn.c \
	drivers/transport-local.c drivers/transport-ssh.c \
	drivers/transport-ssh-check.c \
	drivers/transport-https.c

unit_tests += tests/unit/test-transport
tests_unit_test_transport_SOURCES = tests/unit/test-transport.c
tests_unit_test_transport_LDADD = $(ds_test_ldadd)

# Driven by the integration tests below (not a test itself).
check_PROGRAMS += tests/unit/transport-tool
tests_unit_transport_tool_SOURCES = tests/unit/transport-tool.c
tests_unit_transport_tool_LDADD = $(ds_test_ldadd)

shell_tests += tests/integration/ssh.sh tests/integration/https.sh
