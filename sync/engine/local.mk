# SPDX-License-Identifier: GPL-2.0-or-later
# sync/engine/local.mk: the sync engine -- lock, journal, apply, one host's
# run, going back, the batch.
libdriftsync_la_SOURCES += \
	sync/engine/sync.h sync/engine/sync-host.h sync/engine/sync.c \
	sync/engine/sync-revert.c sync/engine/sync-batch.c \
	sync/engine/journal.c sync/engine/apply.c sync/engine/apply-private.h \
	sync/engine/apply-rpm.c
