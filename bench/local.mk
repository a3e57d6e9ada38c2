# SPDX-License-Identifier: GPL-2.0-or-later
# bench/local.mk: what bench/ adds to the build.
