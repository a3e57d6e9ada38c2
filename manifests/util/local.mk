# SPDX-License-Identifier: GPL-2.0-or-later
# manifests/util/local.mk: the base layer every other layer may use.
libdriftsync_la_SOURCES += \
	manifests/util/autoptr.h \
	manifests/util/error.c manifests/util/error.h \
	manifests/util/log.c manifests/util/log.h \
	manifests/util/file.c manifests/util/file.h \
	manifests/util/lock.c manifests/util/lock.h \
	manifests/util/known-hosts.c manifests/util/known-hosts.h \
	manifests/util/lazylib.c manifests/util/lazylib.h \
	manifests/util/parallel.c manifests/util/parallel.h \
	manifests/util/run-id.c manifests/util/run-id.h \
	manifests/util/shell.c manifests/util/shell.h \
	manifests/util/signals.c manifests/util/signals.h \
	manifests/util/textdiff.c manifests/util/textdiff.h
