# SPDX-License-Identifier: GPL-2.0-or-later
# snapshots/local.mk: what snapshots/ adds to the build.
