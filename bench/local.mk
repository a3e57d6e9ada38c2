# SPDX-License-Identifier: GPL-2.0-or-later
# bench/local.mk: benchmarks against the peers (not run by make check).
EXTRA_DIST += bench/store bench/genmanifests.py bench/collect bench/sync \
	bench/diffpatch \
	bench/patches bench/ssh-hosts.sh \
	bench/report bench/remote bench/scale bench/rpm-collect
