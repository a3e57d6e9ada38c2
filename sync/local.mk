# SPDX-License-Identifier: GPL-2.0-or-later
# sync/local.mk: the engine (in the library) and the program (verbs, one
# file each).
libdriftsync_la_SOURCES += \
	sync/config.c sync/config.h

driftsync_SOURCES += \
	sync/main.c sync/cmd.h sync/cli.c \
	sync/cmd-init.c sync/cmd-record.c sync/cmd-show.c sync/cmd-diff.c \
	sync/cmd-log.c
