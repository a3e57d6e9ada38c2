# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/local.mk: the program from the outside, one script per verb or
# area, on local stores, dpkg roots and libvirt's test:/// driver.
shell_tests += \
	tests/cli/help.sh tests/cli/config.sh tests/cli/init.sh \
	tests/cli/record.sh tests/cli/record-bad.sh tests/cli/record-collect.sh \
	tests/cli/show.sh tests/cli/diff.sh tests/cli/diff-values.sh tests/cli/log.sh \
	tests/cli/man.sh \
	tests/cli/plan.sh tests/cli/pkgcache.sh tests/cli/sync.sh \
	tests/cli/mirror.sh tests/cli/mirror-group.sh tests/cli/metrics.sh tests/cli/audit.sh \
	tests/cli/report.sh tests/cli/snapshot.sh tests/cli/trial.sh \
	tests/cli/contrib.sh tests/cli/shellcheck.sh tests/cli/patches.sh \
	tests/cli/config-hostile.sh tests/cli/store-stale.sh \
	tests/cli/record-inputs.sh tests/cli/terminal.sh \
	tests/cli/bundle.sh tests/cli/trial-pending.sh tests/cli/patch-history.sh \
	tests/cli/store-modes.sh tests/cli/host-mirror.sh \
	tests/cli/debian.sh tests/cli/remote-file.sh tests/cli/record-fast.sh tests/cli/lazy-libs.sh \
	tests/cli/diff-patch.sh tests/cli/diff-cache.sh tests/cli/diff-many.sh tests/cli/record-rpm.sh tests/cli/patches-rpm.sh \
	tests/cli/sync-rpm.sh tests/cli/hold-rpm.sh tests/cli/audit-rpm.sh
EXTRA_DIST += tests/cli/edit-manifest.py
