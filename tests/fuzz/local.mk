# SPDX-License-Identifier: GPL-2.0-or-later
# tests/fuzz/local.mk: libFuzzer targets, one per parser of data from
# outside (built with configure CC=clang --enable-fuzzing), and
# `make fuzz FUZZ_SECONDS=N`, which runs each for N seconds from its seed
# corpus in tests/fuzz/corpus/NAME.
fuzz_targets = tests/fuzz/fuzz-manifest tests/fuzz/fuzz-config \
	tests/fuzz/fuzz-dpkg-query tests/fuzz/fuzz-apt-sources \
	tests/fuzz/fuzz-os-release tests/fuzz/fuzz-apt-policy \
	tests/fuzz/fuzz-dpkg-collect \
	tests/fuzz/fuzz-tar tests/fuzz/fuzz-pkgcache-index \
	tests/fuzz/fuzz-agent-reply tests/fuzz/fuzz-journal \
	tests/fuzz/fuzz-audit-expect tests/fuzz/fuzz-audit-restart \
	tests/fuzz/fuzz-bundle tests/fuzz/fuzz-report-state \
	tests/fuzz/fuzz-rpm
# (They link the library like every test program: LDADD in tests/local.mk.)
fuzz_ldflags = $(AM_LDFLAGS) $(DS_FUZZ_LDFLAGS)
EXTRA_DIST += tests/fuzz/fuzz.h tests/fuzz/run.sh tests/fuzz/corpus
FUZZ_SECONDS = 60

tests_fuzz_fuzz_manifest_SOURCES = tests/fuzz/fuzz-manifest.c
tests_fuzz_fuzz_manifest_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz-config.c
tests_fuzz_fuzz_config_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_dpkg_query_SOURCES = tests/fuzz/fuzz-dpkg-query.c
tests_fuzz_fuzz_dpkg_query_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_apt_sources_SOURCES = tests/fuzz/fuzz-apt-sources.c
tests_fuzz_fuzz_apt_sources_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_os_release_SOURCES = tests/fuzz/fuzz-os-release.c
tests_fuzz_fuzz_os_release_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_apt_policy_SOURCES = tests/fuzz/fuzz-apt-policy.c
tests_fuzz_fuzz_apt_policy_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_dpkg_collect_SOURCES = tests/fuzz/fuzz-dpkg-collect.c \
	tests/unit/scripted-transport.c tests/unit/scripted-transport.h
tests_fuzz_fuzz_dpkg_collect_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_tar_SOURCES = tests/fuzz/fuzz-tar.c
tests_fuzz_fuzz_tar_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_pkgcache_index_SOURCES = tests/fuzz/fuzz-pkgcache-index.c
tests_fuzz_fuzz_pkgcache_index_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_agent_reply_SOURCES = tests/fuzz/fuzz-agent-reply.c
tests_fuzz_fuzz_agent_reply_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_journal_SOURCES = tests/fuzz/fuzz-journal.c
tests_fuzz_fuzz_journal_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_audit_expect_SOURCES = tests/fuzz/fuzz-audit-expect.c
tests_fuzz_fuzz_audit_expect_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_audit_restart_SOURCES = tests/fuzz/fuzz-audit-restart.c
tests_fuzz_fuzz_audit_restart_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_bundle_SOURCES = tests/fuzz/fuzz-bundle.c
tests_fuzz_fuzz_bundle_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_report_state_SOURCES = tests/fuzz/fuzz-report-state.c
tests_fuzz_fuzz_report_state_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_rpm_SOURCES = tests/fuzz/fuzz-rpm.c
tests_fuzz_fuzz_rpm_LDFLAGS = $(fuzz_ldflags)

if DS_FUZZING
noinst_PROGRAMS += $(fuzz_targets)
fuzz: $(fuzz_targets)
	$(SHELL) $(srcdir)/tests/fuzz/run.sh $(FUZZ_SECONDS) $(srcdir) \
		$(fuzz_targets)
else
fuzz:
	@echo "make fuzz: configure with CC=clang --enable-fuzzing first" >&2
	@exit 1
endif
CLEANFILES += tests/fuzz/*.log
.PHONY: fuzz
