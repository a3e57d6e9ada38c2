# SPDX-License-Identifier: GPL-2.0-or-later
# drivers/dpkg.mk: platforms (dpkg/apt).
libdriftsync_la_SOURCES += drivers/platform.c drivers/platform.h \
	drivers/platform-dpkg.h drivers/platform-dpkg.c \
	drivers/platform-dpkg-parse.c drivers/platform-dpkg-apt.c \
	drivers/platform-dpkg-files.c drivers/platform-tar.c
