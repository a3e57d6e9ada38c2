# SPDX-License-Identifier: GPL-2.0-or-later
# drivers/libvirt.mk: libvirt connections, domains and the guest agent.
libdriftsync_la_SOURCES += drivers/libvirt.h
libdriftsync_la_SOURCES += drivers/libvirt.c

unit_tests += tests/unit/test-libvirt
tests_unit_test_libvirt_SOURCES = tests/unit/test-libvirt.c
tests_unit_test_libvirt_LDADD = $(ds_test_ldadd)
EXTRA_DIST += tests/data/test-node.xml
