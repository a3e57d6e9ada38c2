# SPDX-License-Identifier: GPL-2.0-or-later
# drivers/transports.mk: the transport registry and the transports.
libdriftsync_la_SOURCES += drivers/transport.c drivers/transport.h
