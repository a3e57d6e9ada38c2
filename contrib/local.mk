# SPDX-License-Identifier: GPL-2.0-or-later
# contrib/local.mk: set-up and demo scripts, service units, hooks.
EXTRA_DIST += contrib/install-deps.sh contrib/demo.sh
