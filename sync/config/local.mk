# SPDX-License-Identifier: GPL-2.0-or-later
# sync/config/local.mk: driftsync.conf.
libdriftsync_la_SOURCES += \
	sync/config/config-file.c sync/config/config-file.h \
	sync/config/config-values.c sync/config/config-private.h \
	sync/config/config-table.c sync/config/config-table.h \
	sync/config/config-check.c \
	sync/config/config-hosts.c
