# SPDX-License-Identifier: GPL-2.0-or-later
# manifests/model.mk: the manifest model, parsing and canonical JSON.
libdriftsync_la_SOURCES += manifests/manifest.c manifests/manifest.h \
	manifests/manifest-check.c manifests/manifest-json.c \
	manifests/manifest-private.h

unit_tests += tests/unit/test-manifest
tests_unit_test_manifest_SOURCES = tests/unit/test-manifest.c
tests_unit_test_manifest_LDADD = $(ds_test_ldadd)

EXTRA_DIST += \
	tests/data/good/db01.json \
	tests/data/good/web01-lab.json \
	tests/data/good/web01.json
