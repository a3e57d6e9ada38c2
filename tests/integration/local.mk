# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/local.mk: the integration tests.
