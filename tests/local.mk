# SPDX-License-Identifier: GPL-2.0-or-later
# tests/local.mk: unit tests (GTest, --tap), CLI and integration tests
# (shell, sourcing tests/setup.sh).  All run under the TAP driver.
LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/tap-wrap.sh
SH_LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/tap-wrap.sh $(SHELL)
EXTRA_DIST += tests/tap-wrap.sh tests/setup.sh tests/sshd.sh tests/webhook.sh \
	tests/run-all.sh

ds_test_ldadd = libdriftsync.la $(DS_LIBS)

# Unit tests: tests/unit/test-NAME.c -> tests/unit/test-NAME
unit_tests =
check_PROGRAMS += $(unit_tests)
TESTS += $(unit_tests)

# Shell tests (CLI, integration): tests/*/NAME.sh
shell_tests =
TESTS += $(shell_tests)
EXTRA_DIST += $(shell_tests)


# The unit tests alone (what CI runs again under --enable-sanitizers and
# with DS_VALGRIND=1, which tests/tap-wrap.sh applies to compiled tests).
check-unit:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(unit_tests)'
.PHONY: check-unit
