# SPDX-License-Identifier: GPL-2.0-or-later
# manifests/store.mk: the git store.
libdriftsync_la_SOURCES += manifests/store.c manifests/store.h \
	manifests/store-private.h manifests/store-txn.c \
	manifests/store-history.c manifests/store-lock.c \
	manifests/bundle.c manifests/bundle.h \
	manifests/store-bundle.c manifests/store-bundle.h \
	manifests/patch-history.c manifests/patch-history.h

unit_tests += tests/unit/test-store
tests_unit_test_store_SOURCES = tests/unit/test-store.c
tests_unit_test_store_LDADD = $(ds_test_ldadd)

# A small writer for the shell tests: puts manifest files into a store.
check_PROGRAMS += tests/unit/store-tool
tests_unit_store_tool_SOURCES = tests/unit/store-tool.c
tests_unit_store_tool_LDADD = $(ds_test_ldadd)

shell_tests += tests/integration/store-git.sh
