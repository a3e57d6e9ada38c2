# SPDX-License-Identifier: GPL-2.0-or-later
# snapshots/local.mk: protecting a lab VM (internal and overlay snapshots,
# the domain metadata).
libdriftsync_la_SOURCES += \
	snapshots/snapshot.h snapshots/snapshot-private.h snapshots/snapshot.c \
	snapshots/internal.c snapshots/overlay.c snapshots/metadata.c \
	snapshots/domxml.c
