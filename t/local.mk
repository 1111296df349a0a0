# SPDX-License-Identifier: BSD-2-Clause
# t/local.mk - fragment of Makefile.am: the cmocka suites, one per ev(3) section
#, each run once per backend (select, poll, epoll) by t/harness.c;
# plus `make check-valgrind` and `make check-sanitize`.
#
# Other fragments reuse the harness: link t/libharness.la, and append programs that should
# also run under memcheck to VALGRIND_TESTS.

if HAVE_CMOCKA

check_LTLIBRARIES += t/libharness.la
t_libharness_la_SOURCES = t/harness.c t/harness.h t/refuse.c t/refuse.h
t_libharness_la_CFLAGS = $(T_CFLAGS)
# dladdr() (harness_is_real_libev) is in libc since glibc 2.34
t_libharness_la_LIBADD = $(CMOCKA_LIBS)

T_CFLAGS = $(CMOCKA_CFLAGS) -Wall -Wextra -Wshadow $(WERROR)
# no -Wshadow in C++: ev.h's libev-3 function ev_loop() "hides" struct ev_loop, by design
T_CXXFLAGS = -std=c++17 $(CMOCKA_CFLAGS) -Wall -Wextra $(WERROR)
T_LDADD = t/libharness.la libev.la $(CMOCKA_LIBS)

T_EV_SUITES = \
	t/ev_timer \
	t/loop_control \
	t/global_functions \
	t/ev_io \
	t/ev_io_special_problems \
	t/generic_watcher_functions \
	t/watcher_states \
	t/watcher_priority \
	t/ev_idle \
	t/ev_prepare_check \
	t/cxx_exceptions \
	t/libev_ng_version \
	t/libev_ng_extensions \
	t/libev_ng_boottime \
	t/libev_ng_any_loop \
	t/libev_ng_debug \
	t/libev_ng_metrics \
	t/posting_work \
	t/ev_ng_stream

check_PROGRAMS += $(T_EV_SUITES)
TESTS += $(T_EV_SUITES)
EXTRA_DIST += t/valgrind.supp t/system-libev.sh t/sanitize.sh t/proc_status.h t/next.h t/time64.h

t_libev_ng_extensions_SOURCES = t/libev_ng_extensions.c
t_libev_ng_extensions_CFLAGS = $(T_CFLAGS)
t_libev_ng_extensions_LDADD = $(T_LDADD) -lm

# defines clock_gettime of its own (simulated suspends)
t_libev_ng_boottime_SOURCES = t/libev_ng_boottime.c
t_libev_ng_boottime_CFLAGS = $(T_CFLAGS)
t_libev_ng_boottime_LDADD = $(T_LDADD) $(PTHREAD_LIBS)

t_libev_ng_any_loop_SOURCES = t/libev_ng_any_loop.c
t_libev_ng_any_loop_CFLAGS = $(T_CFLAGS)
t_libev_ng_any_loop_LDADD = $(T_LDADD) $(PTHREAD_LIBS)

t_libev_ng_debug_SOURCES = t/libev_ng_debug.c
t_libev_ng_debug_CFLAGS = $(T_CFLAGS)
t_libev_ng_debug_LDADD = $(T_LDADD) $(PTHREAD_LIBS)

t_libev_ng_metrics_SOURCES = t/libev_ng_metrics.c
t_libev_ng_metrics_CFLAGS = $(T_CFLAGS)
t_libev_ng_metrics_LDADD = $(T_LDADD)

t_ev_ng_stream_SOURCES = t/ev_ng_stream.c
t_ev_ng_stream_CFLAGS = $(T_CFLAGS)
t_ev_ng_stream_LDADD = $(T_LDADD)

t_posting_work_SOURCES = t/posting_work.c
t_posting_work_CFLAGS = $(T_CFLAGS)
t_posting_work_LDADD = $(T_LDADD) $(PTHREAD_LIBS)

# loads the built library with dlopen, so it links no libev of its own
check_PROGRAMS += t/posting_work_unload
TESTS += t/posting_work_unload
t_posting_work_unload_SOURCES = t/posting_work_unload.c
t_posting_work_unload_CFLAGS = -Wall -Wextra -Wshadow $(WERROR)
t_posting_work_unload_LDADD = $(PTHREAD_LIBS) -ldl

t_libev_ng_version_SOURCES = t/libev_ng_version.c
t_libev_ng_version_CFLAGS = $(T_CFLAGS)
t_libev_ng_version_LDADD = $(T_LDADD)

t_global_functions_SOURCES = t/global_functions.c
t_global_functions_CFLAGS = $(T_CFLAGS)
t_global_functions_LDADD = $(T_LDADD)

t_loop_control_SOURCES = t/loop_control.c
t_loop_control_CFLAGS = $(T_CFLAGS)
t_loop_control_LDADD = $(T_LDADD)

t_generic_watcher_functions_SOURCES = t/generic_watcher_functions.c
t_generic_watcher_functions_CFLAGS = $(T_CFLAGS)
t_generic_watcher_functions_LDADD = $(T_LDADD)

t_watcher_states_SOURCES = t/watcher_states.c
t_watcher_states_CFLAGS = $(T_CFLAGS)
t_watcher_states_LDADD = $(T_LDADD)

t_watcher_priority_SOURCES = t/watcher_priority.c
t_watcher_priority_CFLAGS = $(T_CFLAGS)
t_watcher_priority_LDADD = $(T_LDADD)

t_ev_io_SOURCES = t/ev_io.c
t_ev_io_CFLAGS = $(T_CFLAGS)
t_ev_io_LDADD = $(T_LDADD)

# defines poll() of its own (counts the sets the closed-fd sweep looks at)
t_ev_io_special_problems_SOURCES = t/ev_io_special_problems.c
t_ev_io_special_problems_CFLAGS = $(T_CFLAGS)
t_ev_io_special_problems_LDADD = $(T_LDADD)

t_ev_timer_SOURCES = t/ev_timer.c
t_ev_timer_CFLAGS = $(T_CFLAGS)
t_ev_timer_LDADD = $(T_LDADD) -lm

t_ev_idle_SOURCES = t/ev_idle.c
t_ev_idle_CFLAGS = $(T_CFLAGS)
t_ev_idle_LDADD = $(T_LDADD)

t_ev_prepare_check_SOURCES = t/ev_prepare_check.c
t_ev_prepare_check_CFLAGS = $(T_CFLAGS)
t_ev_prepare_check_LDADD = $(T_LDADD)

# C++ test: compiled as C++17 and, having a .cc source, linked by $(CXX)
t_cxx_exceptions_SOURCES = t/cxx_exceptions.cc
t_cxx_exceptions_CXXFLAGS = $(T_CXXFLAGS)
t_cxx_exceptions_LDADD = $(T_LDADD)

endif HAVE_CMOCKA

# ---- CHECK_JOBS ----------------------------------------------------------------------------
# The other builds' suites (check-valgrind, check-sanitize, check-clang, check-portable,
# check-musl, the chroot's make check of check-trixie/-bookworm) run their tests one at a time,
# as make check does, or CHECK_JOBS=N at once: most tests wait on timers and the network
# rather than the processor, so N above the number of cores shortens them; their time limits
# hold at 3 on 2 cores (CI's setting, which also runs `make -j3 check`).  (Not through
# AM_MAKEFLAGS: a sub-make given -jN makes a jobserver pipe of its own that the tests inherit,
# two descriptors fewer for a test under a descriptor limit.)

# ---- make check-valgrind ------------------------------------------------------------------
# The suites under memcheck through the automake test driver (parallel with -j; logs in
# t/*.log).  Forked children (usage-error aborts, ev_verify in the teardown) are followed
# silently: their exit status still reports errors to the parent test, and an abort()
# expected by a test would otherwise print a (correct) leak report for the child.  A child
# that fails with status 1 and prints nothing had a memcheck error: rerun that test with
# --child-silent-after-fork=no to see it.
VALGRIND_TESTS = $(T_EV_SUITES)
VALGRIND_FLAGS = -q --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite \
	--show-leak-kinds=definite --error-exitcode=1 --child-silent-after-fork=yes \
	--suppressions=$(abs_top_srcdir)/t/valgrind.supp

check-valgrind:
	@if test -z "$(VALGRIND)"; then echo "check-valgrind: valgrind not found by configure" >&2; exit 1; fi
	$(MAKE) $(AM_MAKEFLAGS) -j$${CHECK_JOBS:-1} check TESTS="$(VALGRIND_TESTS)" \
	  TEST_SUITE_LOG=t/valgrind-suite.log \
	  LOG_COMPILER="env HARNESS_TIME_SCALE=10 $(LIBTOOL) --mode=execute $(VALGRIND) $(VALGRIND_FLAGS)"

# ---- make check-sanitize -----------------------------------------------------------------
# A separate build tree (_sanitize/, from a clean copy of the sources when this tree is
# built in place) with ASan+UBSan, any report fatal; then its `make check` but for the checks
# of the build's files, which run no library code (lint, ABI, man page, install, imports),
# and io_uring's feature levels (its suites run at the kernel's level here).
SANITIZE_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SANITIZE_TESTS = $(filter-out t/lint/% t/abi/% man/% t/install/% t/port/% t/iouring_levels.sh,$(TESTS))

check-sanitize:
	SANITIZE_TESTS='$(SANITIZE_TESTS)' \
	$(SHELL) $(abs_top_srcdir)/t/sanitize.sh '$(abs_top_srcdir)' '$(abs_top_builddir)/_sanitize' \
	  '$(SANITIZE_FLAGS)' '$(MAKE)' '$(STRESS_SANITIZE)'

PHONY_TARGETS += check-valgrind check-sanitize
