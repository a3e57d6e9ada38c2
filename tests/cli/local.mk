# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/local.mk: the cli tests.
