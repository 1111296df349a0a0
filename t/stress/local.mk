# SPDX-License-Identifier: BSD-2-Clause
# t/stress/local.mk - fragment of Makefile.am: `make check-stress`, the project's own stress
# suite: faults, misuse and scale, each program checking that libev-ng never does worse than
# libev 4.33 (no abort, hang, spin, silent loss or leak) and printing its figures.
#
#   make check-stress                          # the short version (CI)
#   make check-stress STRESS_MODE=long         # the long runs (hours are fine)
#   make check-stress STRESS_ONLY='model badinput'   # a selection
#
# Each group of programs has its own fragment below and appends to STRESS_PROGS (the
# programs, built like the test suites) and EXTRA_DIST.  t/stress/run runs them (a program
# NAME with a t/stress/NAME.sh beside it is run through that script), collects the lines
# they print that start with "figure:" into t/stress/scoreboard.txt, and fails if any
# program fails.  `make check-sanitize` runs the STRESS_SANITIZE subset in its ASan+UBSan
# build too.

STRESS_PROGS =
STRESS_SANITIZE =
STRESS_MODE = short
STRESS_ONLY =

check_LTLIBRARIES += t/stress/libstress.la
t_stress_libstress_la_SOURCES = t/stress/stress.c t/stress/stress.h
t_stress_libstress_la_CFLAGS = -Wall -Wextra -Wshadow $(WERROR)

STRESS_CFLAGS = -Wall -Wextra -Wshadow $(WERROR)
STRESS_CXXFLAGS = -std=c++17 -Wall -Wextra $(WERROR)
STRESS_EV_LIBS = t/stress/libstress.la libev.la $(PTHREAD_LIBS)

include t/stress/model.mk
include t/stress/faults.mk
include t/stress/lifecycle.mk
include t/stress/signals.mk
include t/stress/forks.mk
include t/stress/scale.mk
include t/stress/timers.mk
include t/stress/servers.mk
include t/stress/post.mk
include t/stress/streams.mk

check_PROGRAMS += $(STRESS_PROGS)
EXTRA_DIST += t/stress/run
CLEANFILES += t/stress/scoreboard.txt

check-stress: libev.la t/stress/libstress.la
	@$(MAKE) $(AM_MAKEFLAGS) $(STRESS_PROGS)
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' CC='$(CC)' CXX='$(CXX)' \
	STRESS_MODE='$(STRESS_MODE)' $(SHELL) '$(abs_top_srcdir)/t/stress/run' \
	  $(if $(STRESS_ONLY),$(STRESS_ONLY),$(notdir $(STRESS_PROGS)))

PHONY_TARGETS += check-stress
