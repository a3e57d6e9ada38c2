# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/local.mk: the end-to-end suite on real Debian guests under
# libvirt/QEMU.  Not in TESTS: they boot VMs.  `make check-e2e` brings the
# bed up (tests/e2e/bed.sh) and runs them one at a time with DS_E2E=1.
e2e_tests = \
	tests/e2e/agent-collect.sh tests/e2e/agent-exec.sh \
	tests/e2e/agent-files.sh tests/e2e/agent-limits.sh \
	tests/e2e/agent-power.sh tests/e2e/snapshot.sh tests/e2e/trial.sh \
	tests/e2e/sync.sh tests/e2e/mirror.sh tests/e2e/audit.sh \
	tests/e2e/patches.sh tests/e2e/trial-cache.sh tests/e2e/deb.sh \
	tests/e2e/diff-patch.sh tests/e2e/faults.sh tests/e2e/rpm.sh
# faults.sh runs one case per kind of fault; DS_FAULTS_FULL=1 adds a kill
# at every point of a sync (about three times as long).
# mirror-daemons.sh (a second libvirt daemon, a user's session daemon
# over ssh, with a guest of its own) boots a third guest and took 7 to 9
# minutes after the bed was up on a loaded two-core machine (12 with
# DS_HV_COMPARE=1): run it on its own, `make check-e2e
# e2e_tests=tests/e2e/mirror-daemons.sh`.  rpm.sh turns the two guests
# into rpm hosts with the rpm and dnf the bed's image carries (image.sh):
# 4 to 5 minutes after the bed is up on a loaded two-core machine.
EXTRA_DIST += $(e2e_tests) tests/e2e/lib.sh tests/e2e/bed.sh \
	tests/e2e/image.sh tests/e2e/run.sh tests/e2e/own-lab.sh \
	tests/e2e/host-mirror.sh tests/e2e/mirror-daemons.sh

check-e2e: all tests/tools/agent-tool
	DS_E2E=1 DS_TEST_TIMEOUT=$${DS_TEST_TIMEOUT:-2400} \
		$(SHELL) $(srcdir)/tests/e2e/run.sh $(MAKE) $(AM_MAKEFLAGS) \
		-j1 check TESTS="$(e2e_tests)"
e2e-up:
	$(SHELL) $(srcdir)/tests/e2e/bed.sh up
e2e-down:
	$(SHELL) $(srcdir)/tests/e2e/bed.sh down
.PHONY: check-e2e e2e-up e2e-down
