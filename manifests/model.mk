# SPDX-License-Identifier: GPL-2.0-or-later
# manifests/model.mk: the manifest model, parsing and canonical JSON.
libdriftsync_la_SOURCES += manifests/manifest.c manifests/manifest.h
