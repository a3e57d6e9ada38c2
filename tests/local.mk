# SPDX-License-Identifier: GPL-2.0-or-later
# tests/local.mk: the harness every test tier shares -- the TAP wrapper,
# the shell helpers (setup, sshd, webhook, rpm) and the lists the tiers fill.
LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/tap-wrap.sh
SH_LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/tap-wrap.sh $(SHELL)
EXTRA_DIST += tests/tap-wrap.sh tests/setup.sh tests/sshd.sh tests/webhook.sh \
	tests/rpm.sh tests/run-all.sh

# Every test program links the internal library (programs named after
# their one source file: tests/unit/test-foo is tests/unit/test-foo.c).
# The unit tests' shared helper (tests/unit/testutil.h) comes first.
check_LIBRARIES = tests/unit/libtestutil.a
tests_unit_libtestutil_a_SOURCES = tests/unit/testutil.c tests/unit/testutil.h
# Tests call libvirt, libcurl, librpm and GIO functions of their own too: they
# link them (the library's wrappers then load the same copy).
ds_test_ldadd = tests/unit/libtestutil.a libdriftsync.la $(DS_LIBS) \
	$(LIBVIRT_LIBS) $(LIBVIRT_QEMU_LIBS) $(LIBCURL_LIBS) $(RPM_LIBS) \
	$(GIO_LIBS)
LDADD = $(ds_test_ldadd)

unit_tests =
check_PROGRAMS += $(unit_tests)
TESTS += $(unit_tests)

shell_tests =
TESTS += $(shell_tests)
EXTRA_DIST += $(shell_tests)

include tests/tools/local.mk
include tests/unit/local.mk
include tests/cli/local.mk
include tests/integration/local.mk
include tests/e2e/local.mk
include tests/fuzz/local.mk

# The unit tests alone (what CI runs again under --enable-sanitizers and
# with DS_VALGRIND=1, which tests/tap-wrap.sh applies to compiled tests).
check-unit:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(unit_tests)'
.PHONY: check-unit
