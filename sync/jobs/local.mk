# SPDX-License-Identifier: GPL-2.0-or-later
# sync/jobs/local.mk: the jobs built on the engine -- collection, record
# staging and the package cache fill, the mirror, the audit, the trial.
libdriftsync_la_SOURCES += \
	sync/jobs/collect.c sync/jobs/collect.h \
	sync/jobs/cache.h sync/jobs/cache-fill.c \
	sync/jobs/mirror.h sync/jobs/mirror.c \
	sync/jobs/audit.h sync/jobs/audit.c sync/jobs/audit-proc.c

# Still report to the user through the command line's helpers.
driftsync_SOURCES += \
	sync/jobs/record-stage.h sync/jobs/record-stage.c \
	sync/jobs/trial.h sync/jobs/trial-run.c \
	sync/jobs/trial-guard.h sync/jobs/trial-guard.c
