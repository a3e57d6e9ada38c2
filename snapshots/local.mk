# SPDX-License-Identifier: GPL-2.0-or-later
# snapshots/local.mk: what snapshots/ adds to the build.
libdriftsync_la_SOURCES += \
	snapshots/snapshot.h snapshots/snapshot-priv.h snapshots/snapshot.c \
	snapshots/internal.c snapshots/overlay.c snapshots/metadata.c \
	snapshots/domxml.c

unit_tests += tests/unit/test-snapshot
tests_unit_test_snapshot_SOURCES = tests/unit/test-snapshot.c
tests_unit_test_snapshot_LDADD = $(ds_test_ldadd)
EXTRA_DIST += tests/data/snapshot-node.xml

# The libvirt daemon lost mid-run (a private unprivileged libvirtd).
unit_tests += tests/unit/test-snapshot-daemon
tests_unit_test_snapshot_daemon_SOURCES = tests/unit/test-snapshot-daemon.c
tests_unit_test_snapshot_daemon_LDADD = $(ds_test_ldadd)

# Overlay snapshots on a real libvirt daemon with QEMU (skipped without).
unit_tests += tests/unit/test-snapshot-qemu
tests_unit_test_snapshot_qemu_SOURCES = tests/unit/test-snapshot-qemu.c
tests_unit_test_snapshot_qemu_LDADD = $(ds_test_ldadd)

shell_tests += tests/cli/snapshot.sh

# The `snapshot` verb.
driftsync_SOURCES += sync/cmd-snapshot.c

# End-to-end (make check-e2e, DS_E2E=1): both modes on the bed's lab VM.
e2e_tests += tests/e2e/snapshot.sh
EXTRA_DIST += tests/e2e/own-lab.sh

# The `trial` verb.
driftsync_SOURCES += sync/cmd-trial.c
shell_tests += tests/cli/trial.sh
e2e_tests += tests/e2e/trial.sh
driftsync_SOURCES += sync/trial.h sync/trial-run.c sync/trial-guard.h \
	sync/trial-guard.c
