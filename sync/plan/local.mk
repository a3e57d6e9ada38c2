# SPDX-License-Identifier: GPL-2.0-or-later
# sync/plan/local.mk: the plan -- what would bring a lab to prod.
libdriftsync_la_SOURCES += \
	sync/plan/plan.c sync/plan/plan.h sync/plan/plan-private.h \
	sync/plan/plan-steps.c sync/plan/plan-io.c sync/plan/plan-cache.c \
	sync/plan/plan-selection.c sync/plan/plan-rpm.c
