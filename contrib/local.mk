# SPDX-License-Identifier: GPL-2.0-or-later
# contrib/local.mk: set-up and demo scripts, service units, hooks.
EXTRA_DIST += contrib/install-deps.sh contrib/demo.sh

# Where `make install` puts the systemd units (systemdunitdir), the bash
# completion (bashcompletiondir) and the apt hook: all under the prefix by
# default, so that `make distcheck` writes nothing outside it; configure
# --with-systemdsystemunitdir=DIR|auto and --with-bashcompletiondir=DIR|auto
# (auto: ask pkg-config) move the first two.
aptconfdir = $(sysconfdir)/apt/apt.conf.d

systemdunit_DATA = contrib/systemd/driftsync-mirror.service
dist_systemdunit_DATA = contrib/systemd/driftsync-mirror.timer
bashcompletion_DATA = contrib/bash-completion/driftsync
aptconf_DATA = contrib/apt/50driftsync

contrib_generated = contrib/systemd/driftsync-mirror.service \
	contrib/bash-completion/driftsync contrib/apt/50driftsync
EXTRA_DIST += $(contrib_generated:=.in)
CLEANFILES += $(contrib_generated)

# Installation paths are substituted at build time.
contrib_edit = sed -e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@localstatedir[@]|$(localstatedir)|g'
$(contrib_generated): Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(contrib_edit) $(srcdir)/$@.in >$@.tmp && mv $@.tmp $@
contrib/systemd/driftsync-mirror.service: \
	contrib/systemd/driftsync-mirror.service.in
contrib/bash-completion/driftsync: contrib/bash-completion/driftsync.in
contrib/apt/50driftsync: contrib/apt/50driftsync.in

