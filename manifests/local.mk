# SPDX-License-Identifier: GPL-2.0-or-later
# manifests/local.mk: the model, canonical JSON, diff, ignore rules, store.
libdriftsync_la_SOURCES += \
	manifests/error.c manifests/error.h \
	manifests/manifest.c manifests/manifest.h \
	manifests/version.c manifests/version.h \
	manifests/ignore.c manifests/ignore.h \
	manifests/diff.c manifests/diff.h \
	manifests/store.c manifests/store.h
