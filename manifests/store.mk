# SPDX-License-Identifier: GPL-2.0-or-later
# manifests/store.mk: the git store.
libdriftsync_la_SOURCES += manifests/store.c manifests/store.h
