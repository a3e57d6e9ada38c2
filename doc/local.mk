# SPDX-License-Identifier: GPL-2.0-or-later
# doc/local.mk: what doc/ adds to the build.
dist_man_MANS += doc/driftsync.1 doc/driftsync.conf.5
EXTRA_DIST += doc/manifest-format.md doc/hacking.md doc/platform-windows.md \
	doc/scaling.md
