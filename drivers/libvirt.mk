# SPDX-License-Identifier: GPL-2.0-or-later
# drivers/libvirt.mk: libvirt connections, domains and the guest agent.
libdriftsync_la_SOURCES += drivers/libvirt.h
