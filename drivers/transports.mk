# SPDX-License-Identifier: GPL-2.0-or-later
# drivers/transports.mk: the transport registry and the transports.
libdriftsync_la_SOURCES += drivers/transport.c drivers/transport.h \
	drivers/transport-int.h drivers/transport-spawn.c \
	drivers/transport-local.c

unit_tests += tests/unit/test-transport
tests_unit_test_transport_SOURCES = tests/unit/test-transport.c
tests_unit_test_transport_LDADD = $(ds_test_ldadd)
