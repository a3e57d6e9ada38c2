# SPDX-License-Identifier: GPL-2.0-or-later
# drivers/local.mk: reaching hosts -- the transport registry and the
# transports, the platforms (dpkg/apt), the package cache, libvirt.
libdriftsync_la_SOURCES += \
	drivers/transport.c drivers/transport.h drivers/transport-private.h \
	drivers/transport-spawn.c drivers/transport-local.c \
	drivers/transport-ssh.c drivers/transport-ssh-check.c \
	drivers/transport-https.c drivers/curl-lazy.c drivers/libvirt-lazy.c \
	drivers/transport-agent.c drivers/transport-agent.h \
	drivers/transport-agent-reply.c drivers/transport-agent-reply.h \
	drivers/platform.c drivers/platform.h \
	drivers/platform-dpkg.h drivers/platform-dpkg.c \
	drivers/platform-dpkg-parse.c drivers/platform-dpkg-apt.c \
	drivers/platform-dpkg-files.c drivers/platform-dpkg-facts.c \
	drivers/platform-dpkg-policy.c drivers/platform-dpkg-select.c \
	drivers/platform-tar.c \
	drivers/platform-rpm.h drivers/platform-rpm.c drivers/platform-rpm-parse.c \
	drivers/platform-rpm-pending.c drivers/platform-rpm-lock.c \
	drivers/platform-rpm-apply.h drivers/platform-rpm-apply.c \
	drivers/secret.h drivers/secret.c drivers/secret-content.c \
	drivers/pkgcache.h drivers/pkgcache.c drivers/pkgcache-private.h \
	drivers/pkgcache-fill.c drivers/pkgcache-rpm.c \
	drivers/libvirt.c drivers/libvirt.h

# The scripts the drivers run on hosts (see drivers/scripts.h).
drivers_scripts = drivers/scripts/dpkg-facts.sh drivers/scripts/dpkg-files.sh \
	drivers/scripts/rpm-facts.sh \
	drivers/scripts/ssh-write.sh
libdriftsync_la_SOURCES += drivers/scripts.h
nodist_libdriftsync_la_SOURCES += drivers/scripts.c
EXTRA_DIST += $(drivers_scripts)
CLEANFILES += drivers/scripts.c
drivers/scripts.c: $(drivers_scripts) autotools/embed-scripts.sh
	$(AM_V_GEN)$(MKDIR_P) drivers && \
	$(ds_embed_scripts) drivers/scripts.h $(drivers_scripts) >$@.tmp && \
	mv $@.tmp $@
