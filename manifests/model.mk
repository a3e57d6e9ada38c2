# SPDX-License-Identifier: GPL-2.0-or-later
# manifests/model.mk: the manifest model, parsing and canonical JSON.
libdriftsync_la_SOURCES += manifests/manifest.c manifests/manifest.h \
	manifests/manifest-check.c manifests/manifest-json.c \
	manifests/manifest-parse.c manifests/manifest-selection.c \
	manifests/manifest-serialise.c \
	manifests/manifest-private.h

unit_tests += tests/unit/test-manifest
tests_unit_test_manifest_SOURCES = tests/unit/test-manifest.c
tests_unit_test_manifest_LDADD = $(ds_test_ldadd)

EXTRA_DIST += \
	tests/data/good/db01.json \
	tests/data/good/web01-lab.json \
	tests/data/good/web01.json \
	tests/data/bad/bom.json \
	tests/data/bad/collected-at-february-30.json \
	tests/data/bad/collected-at-not-a-date.json \
	tests/data/bad/collected-at-not-utc.json \
	tests/data/bad/collector-null.json \
	tests/data/bad/comments.json \
	tests/data/bad/deep-nesting-unclosed.json \
	tests/data/bad/deep-nesting.json \
	tests/data/bad/duplicate-keys.json \
	tests/data/bad/duplicate-package.json \
	tests/data/bad/empty.json \
	tests/data/bad/file-content-ref-bad.json \
	tests/data/bad/file-mode-integer.json \
	tests/data/bad/file-mode-not-octal.json \
	tests/data/bad/file-mode-too-big.json \
	tests/data/bad/file-owner-missing.json \
	tests/data/bad/file-path-dotdot.json \
	tests/data/bad/file-path-double-slash.json \
	tests/data/bad/file-path-newline.json \
	tests/data/bad/file-path-nul.json \
	tests/data/bad/file-path-relative.json \
	tests/data/bad/file-secret-with-content-ref.json \
	tests/data/bad/file-secret-with-sha256.json \
	tests/data/bad/file-secret-without-hmac.json \
	tests/data/bad/file-sha256-short.json \
	tests/data/bad/file-sha256-uppercase.json \
	tests/data/bad/file-symlink-without-target.json \
	tests/data/bad/file-type-directory.json \
	tests/data/bad/host-dotdot.json \
	tests/data/bad/host-integer.json \
	tests/data/bad/host-nul.json \
	tests/data/bad/host-shell.json \
	tests/data/bad/host-slash.json \
	tests/data/bad/invalid-json.json \
	tests/data/bad/kernel-installed-not-array.json \
	tests/data/bad/kernel-running-with-space.json \
	tests/data/bad/missing-files.json \
	tests/data/bad/missing-host.json \
	tests/data/bad/missing-packages.json \
	tests/data/bad/missing-schema.json \
	tests/data/bad/nested-too-deep-in-field.json \
	tests/data/bad/non-utf8.json \
	tests/data/bad/nul-byte-raw.json \
	tests/data/bad/os-name-control-char.json \
	tests/data/bad/os-name-too-long.json \
	tests/data/bad/os-not-object.json \
	tests/data/bad/overlong-utf8.json \
	tests/data/bad/package-arch-mismatch.json \
	tests/data/bad/package-name-newline.json \
	tests/data/bad/package-name-semicolon.json \
	tests/data/bad/package-name-shell.json \
	tests/data/bad/package-not-object.json \
	tests/data/bad/package-version-empty.json \
	tests/data/bad/package-version-integer.json \
	tests/data/bad/package-version-missing.json \
	tests/data/bad/package-version-whitespace.json \
	tests/data/bad/reboot-required-missing.json \
	tests/data/bad/reboot-required-string.json \
	tests/data/bad/role-staging.json \
	tests/data/bad/schema-not-string.json \
	tests/data/bad/service-bad-name.json \
	tests/data/bad/service-no-suffix.json \
	tests/data/bad/service-state-bad.json \
	tests/data/bad/single-quotes.json \
	tests/data/bad/sources-entry-integer.json \
	tests/data/bad/sources-newline.json \
	tests/data/bad/sources-not-array.json \
	tests/data/bad/top-level-array.json \
	tests/data/bad/top-level-null.json \
	tests/data/bad/top-level-string.json \
	tests/data/bad/trailing-comma.json \
	tests/data/bad/trailing-garbage.json \
	tests/data/bad/truncated.json \
	tests/data/bad/unknown-file-key.json \
	tests/data/bad/unknown-top-level-key.json \
	tests/data/bad/whitespace-only.json \
	tests/data/bad/wrong-schema.json
EXTRA_DIST += doc/manifest-format.md

unit_tests += tests/unit/test-manifest-selection
tests_unit_test_manifest_selection_SOURCES = \
	tests/unit/test-manifest-selection.c
tests_unit_test_manifest_selection_LDADD = $(ds_test_ldadd)
