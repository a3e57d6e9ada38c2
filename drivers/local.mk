# SPDX-License-Identifier: GPL-2.0-or-later
# drivers/local.mk: transports (one file each) and platforms.
libdriftsync_la_SOURCES += \
	drivers/transport.c drivers/transport.h \
	drivers/platform.c drivers/platform.h
