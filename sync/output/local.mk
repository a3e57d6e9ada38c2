# SPDX-License-Identifier: GPL-2.0-or-later
# sync/output/local.mk: what runs leave behind for people and machines --
# notifications, metrics, the report.
libdriftsync_la_SOURCES += \
	sync/output/notify.h sync/output/notify.c \
	sync/output/metrics.h sync/output/metrics.c \
	sync/output/report.h sync/output/report.c sync/output/report-html.c \
	sync/output/report-html-private.h sync/output/report-html-changes.c \
	sync/output/patches-report.h sync/output/patches-report.c \
	sync/output/publish.h sync/output/publish.c
