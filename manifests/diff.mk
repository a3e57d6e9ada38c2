# SPDX-License-Identifier: GPL-2.0-or-later
# manifests/diff.mk: version ordering, ignore rules, semantic diff.
libdriftsync_la_SOURCES += manifests/version.c manifests/version.h manifests/ignore.c manifests/ignore.h manifests/diff.c manifests/diff.h

unit_tests += tests/unit/test-version
tests_unit_test_version_SOURCES = tests/unit/test-version.c
tests_unit_test_version_LDADD = $(ds_test_ldadd)
EXTRA_DIST += tests/data/version-pairs.txt tests/data/gen-version-pairs.sh

unit_tests += tests/unit/test-ignore
tests_unit_test_ignore_SOURCES = tests/unit/test-ignore.c
tests_unit_test_ignore_LDADD = $(ds_test_ldadd)

unit_tests += tests/unit/test-diff
tests_unit_test_diff_SOURCES = tests/unit/test-diff.c \
	tests/unit/diff-hosts.c tests/unit/diff-hosts.h
tests_unit_test_diff_LDADD = $(ds_test_ldadd)

unit_tests += tests/unit/test-change
tests_unit_test_change_SOURCES = tests/unit/test-change.c \
	tests/unit/diff-hosts.c tests/unit/diff-hosts.h
tests_unit_test_change_LDADD = $(ds_test_ldadd)
