# SPDX-License-Identifier: GPL-2.0-or-later
# drivers/dpkg.mk: platforms (dpkg/apt).
libdriftsync_la_SOURCES += drivers/platform.c drivers/platform.h \
	drivers/platform-dpkg.h drivers/platform-dpkg.c \
	drivers/platform-dpkg-parse.c drivers/platform-dpkg-apt.c \
	drivers/platform-dpkg-files.c drivers/platform-tar.c \
	drivers/platform-dpkg-facts.c \
	drivers/secret.h drivers/secret.c drivers/secret-content.c

unit_tests += tests/unit/test-secret
tests_unit_test_secret_SOURCES = tests/unit/test-secret.c
tests_unit_test_secret_LDADD = $(ds_test_ldadd)

unit_tests += tests/unit/test-dpkg
tests_unit_test_dpkg_SOURCES = tests/unit/test-dpkg.c
tests_unit_test_dpkg_LDADD = $(ds_test_ldadd)
EXTRA_DIST += tests/data/dpkg/mkroot.sh tests/data/dpkg/mksecrets.sh

# Driven by the integration test below (not a test itself).
check_PROGRAMS += tests/unit/collect-tool
tests_unit_collect_tool_SOURCES = tests/unit/collect-tool.c
tests_unit_collect_tool_LDADD = $(ds_test_ldadd)
shell_tests += tests/integration/dpkg-ssh.sh tests/integration/secrets.sh

# The package cache ([packages] cache): the store and its filling, what
# record puts in it (sync/cache-fill.c) and the plan's use of it
# (sync/plan-cache.c).
libdriftsync_la_SOURCES += drivers/pkgcache.h drivers/pkgcache.c \
	drivers/pkgcache-private.h drivers/pkgcache-fill.c \
	sync/cache.h sync/cache-fill.c sync/plan-cache.c

unit_tests += tests/unit/test-pkgcache
tests_unit_test_pkgcache_SOURCES = tests/unit/test-pkgcache.c
tests_unit_test_pkgcache_LDADD = $(ds_test_ldadd)
shell_tests += tests/cli/pkgcache.sh
