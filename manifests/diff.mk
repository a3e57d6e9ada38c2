# SPDX-License-Identifier: GPL-2.0-or-later
# manifests/diff.mk: version ordering, ignore rules, semantic diff.
libdriftsync_la_SOURCES += manifests/version.c manifests/version.h manifests/ignore.c manifests/ignore.h manifests/diff.c manifests/diff.h
