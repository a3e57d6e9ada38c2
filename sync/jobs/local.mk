# SPDX-License-Identifier: GPL-2.0-or-later
# sync/jobs/local.mk: the jobs built on the engine -- collection, record
# staging and the package cache fill, the mirror, the audit, the trial.
libdriftsync_la_SOURCES += \
	sync/jobs/collect.c sync/jobs/collect.h \
	sync/jobs/cache.h sync/jobs/cache-fill.c \
	sync/jobs/mirror.h sync/jobs/mirror.c sync/jobs/mirror-report.c \
	sync/jobs/audit.h sync/jobs/audit.c sync/jobs/audit-proc.c \
	sync/jobs/patches.h sync/jobs/patches.c \
	sync/jobs/audit-run.h sync/jobs/audit-run.c \
	sync/jobs/record-stage.h sync/jobs/record-stage.c \
	sync/jobs/record-prepare.h sync/jobs/record-prepare.c \
	sync/jobs/trial.h sync/jobs/trial.c sync/jobs/trial-run.c \
	sync/jobs/trial-guard.h sync/jobs/trial-guard.c \
	sync/jobs/trial-pending.c sync/jobs/trial-cache.c

# The scripts the jobs run on hosts (see sync/jobs/scripts.h).
sync_jobs_scripts = sync/jobs/scripts/audit-proc.sh
libdriftsync_la_SOURCES += sync/jobs/scripts.h
nodist_libdriftsync_la_SOURCES += sync/jobs/scripts.c
EXTRA_DIST += $(sync_jobs_scripts)
CLEANFILES += sync/jobs/scripts.c
sync/jobs/scripts.c: $(sync_jobs_scripts) autotools/embed-scripts.sh
	$(AM_V_GEN)$(MKDIR_P) sync/jobs && \
	$(ds_embed_scripts) sync/jobs/scripts.h $(sync_jobs_scripts) >$@.tmp && \
	mv $@.tmp $@
