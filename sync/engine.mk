# SPDX-License-Identifier: GPL-2.0-or-later
# sync/engine.mk: the engine parts of sync/ that live in the library.
libdriftsync_la_SOURCES += sync/collect.c sync/collect.h
shell_tests += tests/cli/record-collect.sh
