# SPDX-License-Identifier: GPL-2.0-or-later
# drivers/dpkg.mk: platforms (dpkg/apt).
libdriftsync_la_SOURCES += drivers/platform.c drivers/platform.h
