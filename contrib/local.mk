# SPDX-License-Identifier: GPL-2.0-or-later
# contrib/local.mk: what contrib/ adds to the build.
