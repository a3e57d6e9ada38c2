# SPDX-License-Identifier: GPL-2.0-or-later
# sync/cli/local.mk: the program -- argv, the terminal, exit codes, one
# file per verb.
driftsync_SOURCES += \
	sync/cli/main.c sync/cli/cmd.h sync/cli/cli.c sync/cli/cli-text.c \
	sync/cli/cli-patch.c \
	sync/cli/cmd-init.c sync/cli/cmd-record.c sync/cli/cmd-show.c \
	sync/cli/cmd-diff.c sync/cli/cmd-log.c sync/cli/cmd-plan.c \
	sync/cli/cmd-sync.c sync/cli/cmd-mirror.c sync/cli/cmd-audit.c \
	sync/cli/cmd-report.c sync/cli/cmd-snapshot.c sync/cli/cmd-trial.c \
	sync/cli/cmd-bundle.c \
	sync/cli/cmd-patches.c
