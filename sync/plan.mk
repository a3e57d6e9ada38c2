# SPDX-License-Identifier: GPL-2.0-or-later
# sync/plan.mk: the plan engine (library) and `driftsync plan` (program).
libdriftsync_la_SOURCES += sync/plan.c sync/plan-steps.c sync/plan-io.c \
	sync/plan.h sync/plan-private.h

driftsync_SOURCES += sync/cmd-plan.c

unit_tests += tests/unit/test-plan
tests_unit_test_plan_SOURCES = tests/unit/test-plan.c
tests_unit_test_plan_LDADD = $(ds_test_ldadd)

shell_tests += tests/cli/plan.sh
