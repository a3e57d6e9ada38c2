# SPDX-License-Identifier: GPL-2.0-or-later
# manifests/local.mk: error codes shared by every module.
libdriftsync_la_SOURCES += \
	manifests/error.c manifests/error.h
