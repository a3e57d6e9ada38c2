# SPDX-License-Identifier: GPL-2.0-or-later
# tests/tools/local.mk: small programs the shell tests drive (not tests
# themselves): one library call each, from the command line.
check_PROGRAMS += tests/tools/collect-tool tests/tools/store-tool \
	tests/tools/transport-tool tests/tools/agent-tool tests/tools/config-keys \
	tests/tools/apply-tool
