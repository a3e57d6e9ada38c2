# SPDX-License-Identifier: GPL-2.0-or-later
# tests/unit/local.mk: GTest programs (TAP with --tap), one per module,
# and their fixtures under tests/data/.
unit_tests += \
	tests/unit/test-manifest tests/unit/test-version tests/unit/test-ignore \
	tests/unit/test-store tests/unit/test-patch-history \
	tests/unit/test-transport tests/unit/test-transport-agent \
	tests/unit/test-dpkg tests/unit/test-secret tests/unit/test-pkgcache \
	tests/unit/test-libvirt \
	tests/unit/test-snapshot tests/unit/test-snapshot-daemon \
	tests/unit/test-snapshot-qemu \
	tests/unit/test-config tests/unit/test-plan tests/unit/test-sync-journal \
	tests/unit/test-notify tests/unit/test-audit \
	tests/unit/test-manifest-selection tests/unit/test-dpkg-apt \
	tests/unit/test-selection \
	tests/unit/test-trial tests/unit/test-collect tests/unit/test-mirror \
	tests/unit/test-report \
	tests/unit/test-util \
	tests/unit/test-bundle \
	tests/unit/test-textdiff \
	tests/unit/test-rpm tests/unit/test-rpm-pending \
	tests/unit/test-pkgcache-rpm tests/unit/test-plan-rpm

# The dpkg collector against scripted answers (a "scripted:" transport,
# also used by the fuzz target tests/fuzz/fuzz-dpkg-collect).
unit_tests += tests/unit/test-dpkg-answers
tests_unit_test_dpkg_answers_SOURCES = tests/unit/test-dpkg-answers.c \
	tests/unit/scripted-transport.c tests/unit/scripted-transport.h

# Two tests share the hosts they diff.
unit_tests += tests/unit/test-diff tests/unit/test-change
tests_unit_test_diff_SOURCES = tests/unit/test-diff.c \
	tests/unit/diff-hosts.c tests/unit/diff-hosts.h
tests_unit_test_change_SOURCES = tests/unit/test-change.c \
	tests/unit/diff-hosts.c tests/unit/diff-hosts.h

EXTRA_DIST += tests/data/version-pairs.txt tests/data/gen-version-pairs.sh \
	tests/data/test-node.xml tests/data/snapshot-node.xml \
	tests/data/dpkg/mkroot.sh tests/data/dpkg/mksecrets.sh \
	tests/data/dpkg/mkrepo.sh \
	tests/data/dpkg/apt/files.txt tests/data/dpkg/apt/packages.txt \
	tests/data/dpkg/apt/local-repo.txt \
	tests/data/rpm/mkroot.sh tests/data/rpm/gen-vercmp-pairs.sh \
	tests/data/rpm/vercmp-pairs.txt tests/data/rpm/mkrepo.sh \
	tests/data/rpm/dnf-upgrades.txt tests/data/rpm/dnf-updateinfo-list.txt
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
	tests/data/bad/package-version-semicolon.json \
	tests/data/bad/package-version-subst.json \
	tests/data/bad/package-version-backquote.json \
	tests/data/bad/package-version-dash.json \
	tests/data/bad/package-version-pipe.json \
	tests/data/bad/pending-version-semicolon.json \
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
