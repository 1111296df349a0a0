/* SPDX-License-Identifier: BSD-2-Clause */
/* t/harness.h - cmocka glue shared by the ev(3) test suites.
 *
 * What it gives a test file:
 *   - harness_run_groups(): run one array of tests once per backend (select, poll, epoll),
 *     each test named "[<backend>] <name>", with the global test_backend set;
 *   - test_loop_new() and the loop fixtures (harness_setup_loop / harness_teardown_loop);
 *   - a call-order trace: trace_add("A"), expect_trace("A,B"), expect_trace_empty();
 *   - fork helpers: run a function in a child with a timeout and assert it died by SIGABRT
 *     with a given message (usage errors), or collect its results through shared memory;
 *   - a counting, fault-injecting allocator for ev_set_allocator;
 *   - harness_is_real_libev(): tests of documented libev-ng divergences skip() there.
 *
 * Works against both the system libev 4.33 (compile with -I<libev-ng>, link -lev) and
 * libev-ng (link libev.la): it only uses the public ev.h API.  t/system-libev.sh builds and
 * runs the suites against the system libev (or any other libev.so.4).
 *
 * Running one suite by hand (after make check):
 *   HARNESS_BACKENDS=epoll HARNESS_FILTER='*again*' t/ev_timer
 *   HARNESS_SEED=0x1234 t/ev_timer            (the randomized timer test's seed)
 *   HARNESS_TIME_SCALE=10                     (stretch time limits, e.g. under valgrind)
 *   HARNESS_RUN_DIVERGENCES=1                 (run libev-ng-only tests on the real libev)
 *   HARNESS_SKIP_FILE=t/port/cross-skip.txt HARNESS_SKIP_TAGS='arm64 qemu qemu:arm64'
 *                                             (skip the cases an emulator cannot run; harness.c)
 */
#ifndef LIBEV_NG_T_HARNESS_H
#define LIBEV_NG_T_HARNESS_H

#include <float.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "ev.h"

#ifdef __cplusplus
extern "C" {
#endif

/* cmocka.h has no C++ guard of its own */
#include <cmocka.h>

#define HARNESS_PRINTF(f, a) __attribute__ ((format (printf, f, a)))

/* ---- backends ------------------------------------------------------------------------- */

/* The backend of the pass that is running (EVBACKEND_SELECT, _POLL or _EPOLL). */
extern unsigned int test_backend;
/* Its name: "select", "poll" or "epoll". */
extern const char *test_backend_name;

/* Runs tests[0..n) once per backend; the environment variable HARNESS_BACKENDS (comma
 * separated names, e.g. "epoll,poll") restricts the passes, HARNESS_FILTER is handed to
 * cmocka_set_test_filter (glob on the full "[backend] name").  Returns 0 if every test of
 * every pass passed (or was skipped), else 1: the exit status for main(). */
int harness_run_groups (const char *suite, const struct CMUnitTest *tests, size_t n);
#define HARNESS_RUN(suite, tests) harness_run_groups ((suite), (tests), sizeof (tests) / sizeof ((tests)[0]))

/* ev_loop_new (test_backend | EVFLAG_NOENV), asserting that the backend really is the one
 * asked for (a loop silently falling back to another backend would make a pass meaningless). */
struct ev_loop *test_loop_new (void);

/* Fixtures: *state = a fresh test_loop_new() loop; teardown runs ev_verify, destroys it and
 * checks that no file descriptor was leaked by the test or the loop (the set of open fds is
 * recorded by setup).  Also resets the trace. */
int harness_setup_loop (void **state);
int harness_teardown_loop (void **state);
/* Fixtures for tests that create their own loops: only the trace reset and the fd check. */
int harness_setup_plain (void **state);
int harness_teardown_plain (void **state);

/* A cmocka_unit_test with the loop fixtures. */
#define loop_test(f) cmocka_unit_test_setup_teardown (f, harness_setup_loop, harness_teardown_loop)
#define plain_test(f) cmocka_unit_test_setup_teardown (f, harness_setup_plain, harness_teardown_plain)

/* What the library has, from ev_supported_backends ():
 *   harness_linux_apis (): 1 where it was built with Linux's facilities (signalfd, timerfd,
 *     inotify, eventfd, pidfd, ...), which its epoll backend tells: the portable build
 *     (./configure --disable-linux-apis) has neither, and the tests of those facilities skip
 *     there (skip_without_linux_apis ());
 *   harness_default_backend (): the backend ev_loop_new (0) picks, the first recommended one
 *     in libev's order (epoll, poll, select);
 *   harness_embeddable_backend (): a backend that can be embedded here (the first of
 *     ev_embeddable_backends () & ev_supported_backends ()), 0 if none. */
int harness_linux_apis (void);
#define skip_without_linux_apis()                                                          \
  do { if (!harness_linux_apis ()) { print_message ("skipped: needs Linux's facilities, which this build has not\n"); skip (); } } while (0)
unsigned harness_default_backend (void);
unsigned harness_embeddable_backend (void);
#define skip_without_embeddable_backend()                                                  \
  do { if (!harness_embeddable_backend ()) { print_message ("skipped: no backend can be embedded here\n"); skip (); } } while (0)

/* Number of open file descriptors of this process (counts /proc/self/fd). */
int harness_open_fds (void);

/* A descriptor number that is not open now (the lowest free one, closed again). */
int harness_unused_fd (void);

/* Runs the loop until *flag becomes non-zero, at most `seconds` stretched by harness_slack
 * (then fails the test): an upper bound.  The loop must have the flag set from a callback;
 * uses EVRUN_ONCE iterations. */
void harness_run_until (struct ev_loop *loop, volatile int *flag, double seconds);

/* The loop does not spin: with a timer `after` seconds away started, EVRUN_ONCE iterations
 * block until it expires: at least 80% of `after` passes, in one iteration, or two where the
 * first ended early on a millisecond boundary (fails the test otherwise). */
void harness_expect_blocks_until_timer (struct ev_loop *loop, double after);

/* ---- call-order trace ------------------------------------------------------------------ */

/* Appends one comma-separated entry (printf format) to the trace. */
void trace_add (const char *fmt, ...) HARNESS_PRINTF (1, 2);
/* The trace so far ("" when empty). */
const char *trace_get (void);
void trace_reset (void);
/* Compare the trace with `expected` ("a,b,c"), then reset it. */
#define expect_trace(expected) _expect_trace ((expected), __FILE__, __LINE__)
#define expect_trace_empty() _expect_trace ("", __FILE__, __LINE__)
void _expect_trace (const char *expected, const char *file, int line);

/* Defines `static void trace_<type>_cb (loop, ev_<type> *w, revents)` that appends the
 * watcher's name (a string in w->data) to the trace; TRACE_REVENTS_CB also appends the
 * revents in hex ("name:0x1"). */
#define TRACE_CB(type)                                                           \
  static void trace_##type##_cb (struct ev_loop *l_, ev_##type *w_, int r_)      \
  {                                                                              \
    (void)l_, (void)r_;                                                          \
    trace_add ("%s", (const char *)w_->data);                                    \
  }
#define TRACE_REVENTS_CB(type)                                                   \
  static void trace_##type##_revents_cb (struct ev_loop *l_, ev_##type *w_, int r_) \
  {                                                                              \
    (void)l_;                                                                    \
    trace_add ("%s:0x%x", (const char *)w_->data, (unsigned)r_);                 \
  }

/* ---- forked children ------------------------------------------------------------------- */

struct harness_child
{
  int exited;      /* 1 if it exited normally, then: */
  int status;      /*   its exit status */
  int signaled;    /* 1 if a signal killed it, then: */
  int signo;       /*   the signal */
  char err[4096];  /* what it wrote to stderr (truncated, NUL-terminated) */
};

/* Runs fn(arg) in a forked child whose stderr is captured; the child is killed by SIGALRM
 * after timeout_s seconds, and _exit(0)s if fn returns.  Fatal-signal dispositions are
 * reset to their defaults in the child so the library's abort() is not intercepted. */
void harness_child_run (void (*fn) (void *arg), void *arg, unsigned timeout_s, struct harness_child *out);

/* Fails the test unless fn(arg), run in a child (harness_child_run), exits with status 0; the
 * message names `what` (may be NULL) and carries the child's stderr. */
void harness_expect_child_ok (void (*fn) (void *arg), void *arg, unsigned timeout_s, const char *what);

/* In a child: CHECK(cond) ends it with status 1 and a line naming the condition, the pid and
 * the trace, which harness_expect_child_ok shows. */
#define CHECK(cond) do { if (!(cond)) harness_child_check_failed (__FILE__, __LINE__, #cond); } while (0)
void harness_child_check_failed (const char *file, int line, const char *what) __attribute__ ((noreturn));

/* Asserts that fn(arg) run in a child dies by SIGABRT and that its stderr contains
 * `message` (for usage errors use the "libev: <assertion text>" part, which both
 * libev's assert() output and libev-ng's usage-error line contain). */
#define expect_abort(fn, arg, message) _expect_abort ((fn), (arg), (message), __FILE__, __LINE__)
void _expect_abort (void (*fn) (void *), void *arg, const char *message, const char *file, int line);

/* Zeroed memory shared with forked children (MAP_SHARED): how a child reports results. */
void *harness_shared_new (size_t size);
void harness_shared_free (void *p, size_t size);

/* ---- allocator --------------------------------------------------------------------------- */

/* The harness installs its own allocator with ev_set_allocator() before any test runs (and
 * never removes it): a pass-through to realloc/free that counts what the library does. */
struct harness_alloc_stats
{
  long calls;       /* calls with size > 0 (allocations and resizes) */
  long frees;       /* calls with size 0 and a non-NULL pointer */
  long live;        /* blocks allocated and not yet freed */
  long failed;      /* calls answered with NULL by the fault injection */
};
void harness_alloc_stats (struct harness_alloc_stats *out);
void harness_alloc_reset_stats (void);
/* Make the nth allocating call from now on (1-based) and all later ones return NULL;
 * 0 disables the fault injection. */
void harness_alloc_fail_at (long nth);
/* From now on at most `count` blocks of more than `size` bytes, allocated from now on, are live
 * at once: the next such allocation returns NULL (count 0: no limit).  The fixtures reset it. */
void harness_alloc_limit_large (long size, long count);
/* From now on (on != 0) every block gets a mapping of its own that is unmapped when it is
 * freed: a later access to freed memory faults at once (for tests run in a child). */
void harness_alloc_unmap_freed (int on);

/* ---- which library is loaded ------------------------------------------------------------- */

/* 1 if ev_run comes from the system libev 4.33 (a libev.so.4 without ev_ng_version),
 * 0 for libev-ng.  Tests of documented divergences (where libev-ng does better) call
 * skip_on_real_libev() first.  HARNESS_RUN_DIVERGENCES=1 in the environment makes it answer 0,
 * to watch the real libev fail those tests. */
int harness_is_real_libev (void);
#define skip_on_real_libev()                                                               \
  do { if (harness_is_real_libev ()) { print_message ("skipped: a documented divergence from libev 4.33\n"); skip (); } } while (0)

/* 1 when running under valgrind (it puts its vgpreload libraries into LD_PRELOAD): for the
 * rare test that needs the real kernel view of resource limits. */
int harness_under_valgrind (void);

/* For a test that opens more descriptors than a shell's usual soft limit (1024 for a user
 * who is not root): raises the soft RLIMIT_NOFILE to n (the hard limit permitting) or skips
 * the test. */
void harness_need_fds (long n);
#define need_fds(n) harness_need_fds (n)

/* 1 when the loop under test waits in io_uring_enter under valgrind: valgrind 3.19 does not know
 * that system call blocks, so while it waits no other thread runs and no signal is delivered
 * (the real libev 4.33 hangs there the same way).  Tests that need another thread or a signal
 * to end a blocking wait call skip_where_valgrind_holds_wakeups() first (in the test process,
 * before forking a child).  Everything else of io_uring still runs under valgrind. */
int harness_valgrind_holds_wakeups (void);
#define skip_where_valgrind_holds_wakeups()                                                \
  do { if (harness_valgrind_holds_wakeups ()) { print_message ("skipped: valgrind holds io_uring's wake-ups\n"); skip (); } } while (0)

/* Time helpers. */
double harness_monotonic (void);
/* An upper time bound for an assertion, stretched by HARNESS_TIME_SCALE (make check-valgrind
 * sets it to 10): lower bounds ("never early") stay exact, upper bounds get slack. */
double harness_slack (double seconds);
/* How far apart two ev_now readings may be from the monotonic time between them: ev_now is the
 * monotonic time plus the wall clock's offset, a sum near 1.7e9 s rounded to a double, so a
 * difference of two is exact only to one unit in the last place (about 0.24 us; ev(3) "Loop time,
 * real time and other clocks").  A timer measured in ev_now terms may seem early by that much
 * where the backend wakes less than that after the deadline (select under Wine). */
#define harness_ev_now_rounding(loop) (ev_now (loop) * DBL_EPSILON)

/* ---- timing on a loaded machine ---------------------------------------------------------- */

/* On a loaded machine (other builds, other engineers, a slow CI host) a 10 ms busy-wait may
 * take 30 ms and a timer's wake-up may come 100 ms late: that is the scheduler's doing, not the
 * library's.  So a test does not compare what the library measured or did with the time it
 * asked for, but with what it measured itself of the same stretch (marks in its callbacks and
 * around ev_run), and bounds only what the library controls: its own work, and how late it
 * asks the kernel to wake it.  A mark is a clock reading with the time the thread had waited
 * for a CPU by then (runnable and not running: preempted, or woken and not yet scheduled);
 * two marks tell how long a stretch took and how much of it was the scheduler's. */
struct harness_mark
{
  double at;     /* harness_monotonic () */
  double waited; /* seconds this thread waited for a CPU so far (/proc/thread-self/schedstat;
                    always 0 where the kernel does not tell: see harness_sched_known) */
};
struct harness_mark harness_mark (void);
/* 1 when harness_mark's `waited` is real (Linux with schedstat), else 0. */
int harness_sched_known (void);
/* The seconds from one mark to another less those the thread waited for a CPU in between: how
 * long the stretch took on its own (its work and its sleeps), which is what a bound like "the
 * loop did not wait for the timer 30 s away" is about. */
double harness_elapsed_unloaded (struct harness_mark from, struct harness_mark to);

/* The most time the loop's own work between two marks of the test takes when the thread is not
 * kept waiting for a CPU (computing a timeout, the clock update, queueing what is due, a pass's
 * bookkeeping: microseconds; interrupts and a page fault or two included): 2 ms, stretched by
 * HARNESS_TIME_SCALE.  Far below the callback times and waits the tests use, so a figure
 * counted twice, or a wait counted as a callback, still fails. */
double harness_loop_work (void);

/* A case whose tight bounds hold only when the scheduler did not hold the thread up where the
 * loop works (a figure within harness_loop_work of what the test measured) runs in attempts.
 * Each attempt asserts at once the bounds that hold under any load (the figure lies between
 * the marks around its stretch), and counts when the tight ones hold:
 *
 *     for (int attempt = 1;; ++attempt)
 *       {
 *         ... run, assert the bounds that hold under any load ...
 *         if (<the tight bounds hold>)
 *           {
 *             harness_counted (attempt);
 *             break;
 *           }
 *         harness_retry (attempt, "%.6f s more than the callback (%.6f s waiting for a CPU)", ...);
 *       }
 *
 * harness_retry prints why the attempt did not count and returns while attempts remain (3,
 * or HARNESS_ATTEMPTS); after the last it fails the test with that reason.  harness_counted
 * prints which attempt counted, when it was not the first.  Load can only
 * widen the gap between a figure and the test's measurement, never close it: a library that
 * is wrong fails every attempt, and retrying only spares a right one the machine's load. */
void harness_retry (int attempt, const char *fmt, ...) HARNESS_PRINTF (2, 3);
void harness_counted (int attempt);

/* Whether attempt is the last one allowed: for a case whose precondition is the machine's
 * (the kernel woke the loop on time) and that still asserts its figure without it then. */
int harness_last_attempt (int attempt);

#ifdef __cplusplus
}
#endif

#endif
