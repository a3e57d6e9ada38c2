# SPDX-License-Identifier: GPL-2.0-or-later
# sync/bundles.mk: the patch cycle's bundles: `driftsync bundle` and the
# tests of the bundle document and of bundles in the store.
driftsync_SOURCES += sync/cmd-bundle.c sync/trial-pending.c

unit_tests += tests/unit/test-bundle
tests_unit_test_bundle_SOURCES = tests/unit/test-bundle.c
tests_unit_test_bundle_LDADD = $(ds_test_ldadd)

shell_tests += tests/cli/bundle.sh tests/cli/trial-pending.sh \
	tests/cli/patch-history.sh
