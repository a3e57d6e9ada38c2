# SPDX-License-Identifier: GPL-2.0-or-later
# manifests/util/local.mk: the base layer every other layer may use.
libdriftsync_la_SOURCES += \
	manifests/util/error.c manifests/util/error.h
