# SPDX-License-Identifier: BSD-2-Clause
# t/watchers3.mk - fragment of Makefile.am: the cmocka suites of the remaining ev(3) watcher
# sections (ev_periodic, ev_signal, ev_child, ev_stat, ev_embed, ev_fork, ev_cleanup, ev_async,
# OTHER FUNCTIONS), the ev_async thread test, and `make check-tsan`.
#
# Include it after t/local.mk: it links t/libharness.la and appends to VALGRIND_TESTS.
# Signal, child and fork tests run in forked children (t/harness.h), so the test processes
# keep clean signal dispositions and never own the default loop.

W3_SUITES = \
	t/ev_periodic \
	t/ev_signal \
	t/ev_child \
	t/ev_stat \
	t/ev_embed \
	t/ev_fork \
	t/ev_cleanup \
	t/ev_async \
	t/other_functions \
	t/async_threads

if HAVE_CMOCKA

check_PROGRAMS += $(W3_SUITES)
TESTS += $(W3_SUITES)

W3_CFLAGS = $(CMOCKA_CFLAGS) -Wall -Wextra -Wshadow $(WERROR)
W3_LDADD = t/libharness.la libev.la $(CMOCKA_LIBS) $(PTHREAD_LIBS)

# defines clock_gettime/gettimeofday/timerfd_* of its own (simulated wall-clock jumps)
t_ev_periodic_SOURCES = t/ev_periodic.c
t_ev_periodic_CFLAGS = $(W3_CFLAGS)
t_ev_periodic_LDADD = $(W3_LDADD) -lm

t_ev_signal_SOURCES = t/ev_signal.c
t_ev_signal_CFLAGS = $(W3_CFLAGS)
t_ev_signal_LDADD = $(W3_LDADD)

# defines waitpid of its own (widens the window of a fork while another thread reaps)
t_ev_child_SOURCES = t/ev_child.c
t_ev_child_CFLAGS = $(W3_CFLAGS)
t_ev_child_LDADD = $(W3_LDADD)

t_ev_stat_SOURCES = t/ev_stat.c
t_ev_stat_CFLAGS = $(W3_CFLAGS)
t_ev_stat_LDADD = $(W3_LDADD)

t_ev_embed_SOURCES = t/ev_embed.c
t_ev_embed_CFLAGS = $(W3_CFLAGS)
t_ev_embed_LDADD = $(W3_LDADD)

t_ev_fork_SOURCES = t/ev_fork.c
t_ev_fork_CFLAGS = $(W3_CFLAGS)
t_ev_fork_LDADD = $(W3_LDADD)

t_ev_cleanup_SOURCES = t/ev_cleanup.c
t_ev_cleanup_CFLAGS = $(W3_CFLAGS)
t_ev_cleanup_LDADD = $(W3_LDADD)

t_ev_async_SOURCES = t/ev_async.c
t_ev_async_CFLAGS = $(W3_CFLAGS)
t_ev_async_LDADD = $(W3_LDADD)

t_other_functions_SOURCES = t/other_functions.c
t_other_functions_CFLAGS = $(W3_CFLAGS)
t_other_functions_LDADD = $(W3_LDADD)

t_async_threads_SOURCES = t/async_threads.c
t_async_threads_CFLAGS = $(W3_CFLAGS)
t_async_threads_LDADD = $(W3_LDADD)

endif HAVE_CMOCKA

# Under memcheck (make check-valgrind sets HARNESS_TIME_SCALE=10) the stress counts shrink by
# themselves: 100 instead of 1000 children, 1/100 of the async sends and rounds.
VALGRIND_TESTS += $(W3_SUITES)

# ---- make check-tsan -----------------------------------------------------------------------
# A separate build tree (_tsan/, made by t/sanitize.sh like _sanitize/ for check-sanitize)
# with ThreadSanitizer; there only the thread tests are built and run (ev_async's, and
# ev_ng_post's suite and stress program in its short mode), then the watchdog's
# (t/observe/watchdog.sh: ev-watchdog reads the memory of a program of several threads; it
# builds its own programs, so no test program is built for it).  halt_on_error turns the first
# report into a failure of the test.
TSAN_FLAGS = -O1 -g -fsanitize=thread -fno-omit-frame-pointer
# the ev_ng_post suite and stress program, after sanitize.sh (whose make command is split into words)
TSAN_TESTS = t/posting_work t/stress/post

check-tsan:
	TSAN_OPTIONS="$${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"; export TSAN_OPTIONS; \
	$(SHELL) $(abs_top_srcdir)/t/sanitize.sh '$(abs_top_srcdir)' '$(abs_top_builddir)/_tsan' \
	  '$(TSAN_FLAGS)' '$(MAKE) TESTS=t/async_threads check_PROGRAMS=t/async_threads' && \
	cd '$(abs_top_builddir)/_tsan/build' && \
	$(MAKE) check TESTS='$(TSAN_TESTS)' check_PROGRAMS='$(TSAN_TESTS)' && \
	LIBEV_NG_SANITIZE=-fsanitize=thread $(MAKE) check TESTS=t/observe/watchdog.sh check_PROGRAMS=

PHONY_TARGETS += check-tsan
