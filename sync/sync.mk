# SPDX-License-Identifier: GPL-2.0-or-later
# sync/sync.mk: the sync engine (library: lock, journal, apply, run), the
# mirror job, the audit checks, and `driftsync sync`, `driftsync mirror`
# and `driftsync audit` (program).
libdriftsync_la_SOURCES += sync/sync.h sync/sync-host.h sync/sync.c \
	sync/sync-revert.c sync/sync-batch.c sync/journal.c \
	sync/apply.c sync/mirror.h sync/mirror.c \
	sync/notify.h sync/notify.c sync/metrics.h sync/metrics.c \
	sync/audit.h sync/audit.c sync/audit-proc.c \
	sync/patches-report.h sync/patches-report.c

driftsync_SOURCES += sync/cmd-sync.c sync/cmd-mirror.c sync/cmd-audit.c \
	sync/report.h sync/report.c sync/report-html.c sync/cmd-report.c

unit_tests += tests/unit/test-sync-journal
tests_unit_test_sync_journal_SOURCES = tests/unit/test-sync-journal.c
tests_unit_test_sync_journal_LDADD = $(ds_test_ldadd)

unit_tests += tests/unit/test-notify
tests_unit_test_notify_SOURCES = tests/unit/test-notify.c
tests_unit_test_notify_LDADD = $(ds_test_ldadd)
unit_tests += tests/unit/test-audit
tests_unit_test_audit_SOURCES = tests/unit/test-audit.c
tests_unit_test_audit_LDADD = $(ds_test_ldadd)

shell_tests += tests/cli/sync.sh tests/cli/mirror.sh tests/cli/metrics.sh \
	tests/integration/notify.sh tests/integration/notify-audit.sh \
	tests/cli/audit.sh \
	tests/integration/audit-ssh.sh
shell_tests += tests/cli/report.sh tests/integration/report-browser.sh

# End-to-end (make check-e2e, DS_E2E=1): a real sync of the bed's lab VM,
# the nightly mirror over two labs, an audit of the real guests.
e2e_tests += tests/e2e/sync.sh tests/e2e/mirror.sh tests/e2e/audit.sh
