# SPDX-License-Identifier: GPL-2.0-or-later
# sync/local.mk: the engine (in the library) and the program (verbs, one
# file each).
libdriftsync_la_SOURCES += \
	sync/config.c sync/config.h sync/config-values.c sync/config-private.h \
	sync/config-patches.c

driftsync_SOURCES += \
	sync/main.c sync/cmd.h sync/cli.c \
	sync/cmd-init.c sync/cmd-record.c sync/record-stage.h sync/record-stage.c \
	sync/cmd-show.c sync/cmd-diff.c \
	sync/cmd-log.c

unit_tests += tests/unit/test-config
tests_unit_test_config_SOURCES = tests/unit/test-config.c
tests_unit_test_config_LDADD = $(ds_test_ldadd)

shell_tests += tests/cli/help.sh tests/cli/config.sh tests/cli/init.sh \
	tests/cli/record.sh tests/cli/record-bad.sh tests/cli/show.sh \
	tests/cli/diff.sh tests/cli/log.sh tests/cli/man.sh
EXTRA_DIST += tests/cli/edit-manifest.py
