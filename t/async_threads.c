/* t/async_threads.c - ev(3) "ev_async" and "THREADS": ev_async_send from many threads at
 * once, with no lost wake-up.  Also the test that `make check-tsan` runs under
 * ThreadSanitizer, where it must produce no report.
 *
 * 1. Eight threads send 10^6 times each to one watcher, incrementing an atomic counter before
 *    every send.  The loop must eventually run a callback after the last send: one that sees
 *    the final count, and nothing may be left pending afterwards.
 * 2. Ping-pong: a thread sends, then waits until the loop's callback has acknowledged that
 *    send, thousands of times.  A single lost wake-up leaves the loop blocked and fails the
 *    round (each round has its own timeout).
 *
 * The counts shrink with the environment: ASYNC_THREADS_SENDS (per thread) and
 * ASYNC_THREADS_ROUNDS; under valgrind (HARNESS_TIME_SCALE > 1) the defaults are divided by
 * 100. */
#define _GNU_SOURCE 1
#include "harness.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NTHREADS 8

static long
count_from_env (const char *name, long dflt)
{
  const char *s = getenv (name);
  long v = s ? atol (s) : 0;
  if (v > 0)
    return v;
  const char *scale = getenv ("HARNESS_TIME_SCALE");
  if (scale && atoi (scale) > 1)
    return dflt / 100;
  return dflt;
}

static void
guard_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)revents;
  *(int *)w->data = 1;
  ev_break (loop, EVBREAK_ALL);
}

/* ---- 1. many senders ------------------------------------------------------------------------ */

static struct
{
  struct ev_loop *loop;
  ev_async async;
  long per_thread;
  atomic_long count;     /* incremented before every send */
  atomic_int finished;   /* threads whose last send has returned */
  /* loop thread only */
  long calls;
  long last_seen;
  int went_back;
  int all_finished_seen;
} many;

static void *
sender (void *arg)
{
  (void)arg;
  for (long i = 0; i < many.per_thread; ++i)
    {
      atomic_fetch_add (&many.count, 1);
      ev_async_send (many.loop, &many.async);
    }
  atomic_fetch_add (&many.finished, 1);
  return NULL;
}

static void
many_cb (struct ev_loop *loop, ev_async *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  /* read `finished` first: if all threads had finished, the count is final */
  int finished = atomic_load (&many.finished);
  long seen = atomic_load (&many.count);
  ++many.calls;
  if (seen < many.last_seen)
    many.went_back = 1;
  many.last_seen = seen;
  if (finished == NTHREADS)
    many.all_finished_seen = 1;
}

static void
async_threads__eight_threads_send_a_million_times_each (void **state)
{
  skip_where_valgrind_holds_wakeups ();
  struct ev_loop *loop = *state;
  many.loop = loop;
  many.per_thread = count_from_env ("ASYNC_THREADS_SENDS", 1000000);
  atomic_store (&many.count, 0);
  atomic_store (&many.finished, 0);
  many.calls = many.last_seen = 0;
  many.went_back = many.all_finished_seen = 0;
  ev_async_init (&many.async, many_cb);
  ev_async_start (loop, &many.async);

  int expired = 0;
  ev_timer guard;
  ev_timer_init (&guard, guard_cb, harness_slack (40.), 0.);
  guard.data = &expired;
  ev_timer_start (loop, &guard);

  pthread_t t[NTHREADS];
  for (int i = 0; i < NTHREADS; ++i)
    assert_int_equal (pthread_create (&t[i], NULL, sender, NULL), 0);
  /* until a callback ran after every thread's last send had returned */
  while (!many.all_finished_seen && !expired)
    ev_run (loop, EVRUN_ONCE);
  for (int i = 0; i < NTHREADS; ++i)
    pthread_join (t[i], NULL);
  ev_timer_stop (loop, &guard);

  long total = many.per_thread * NTHREADS;
  if (expired)
    fail_msg ("lost wake-up: after %ld callbacks the loop saw count %ld of %ld (%d threads finished)", many.calls,
              many.last_seen, total, atomic_load (&many.finished));
  assert_int_equal (atomic_load (&many.count), total);
  assert_int_equal (many.last_seen, total);
  assert_false (many.went_back);
  assert_true (many.calls >= 1 && many.calls <= total);

  /* A send may still be outstanding (set after the loop took the previous one): it must
   * wake the loop by itself, with nothing else active. */
  if (ev_async_pending (&many.async))
    {
      long before = many.calls;
      expired = 0;
      ev_timer_set (&guard, harness_slack (5.), 0.);
      ev_timer_start (loop, &guard);
      while (many.calls == before && !expired)
        ev_run (loop, EVRUN_ONCE);
      ev_timer_stop (loop, &guard);
      assert_false (expired);
    }
  ev_run (loop, EVRUN_NOWAIT);
  assert_false (ev_async_pending (&many.async));
  print_message ("  %ld sends from %d threads, %ld callbacks\n", total, NTHREADS, many.calls);
  ev_async_stop (loop, &many.async);
}

/* ---- 2. ping-pong ---------------------------------------------------------------------------- */

static struct
{
  struct ev_loop *loop;
  ev_async async;
  long rounds;
  atomic_long sent;      /* the round the pinger sent last */
  pthread_mutex_t lock;
  pthread_cond_t acked_cond;
  long acked;            /* under lock: the last round the loop saw */
  int stalled;           /* under lock: a round got no answer */
  int quit;              /* loop thread only */
} pp;

static void *
pinger (void *arg)
{
  (void)arg;
  for (long r = 1; r <= pp.rounds; ++r)
    {
      atomic_store (&pp.sent, r);
      ev_async_send (pp.loop, &pp.async);
      struct timespec deadline;
      clock_gettime (CLOCK_REALTIME, &deadline);
      deadline.tv_sec += (time_t)harness_slack (5.);
      pthread_mutex_lock (&pp.lock);
      while (pp.acked < r)
        if (pthread_cond_timedwait (&pp.acked_cond, &pp.lock, &deadline) == ETIMEDOUT && pp.acked < r)
          {
            pp.stalled = 1;
            break;
          }
      int stalled = pp.stalled;
      pthread_mutex_unlock (&pp.lock);
      if (stalled)
        break;
    }
  /* make the loop look once more, whatever happened, so that it can end */
  atomic_store (&pp.sent, -1);
  ev_async_send (pp.loop, &pp.async);
  return NULL;
}

static void
pong_cb (struct ev_loop *loop, ev_async *w, int revents)
{
  (void)loop, (void)w, (void)revents;
  long r = atomic_load (&pp.sent);
  if (r < 0)
    {
      pp.quit = 1;
      return;
    }
  pthread_mutex_lock (&pp.lock);
  if (r > pp.acked)
    pp.acked = r;
  pthread_cond_signal (&pp.acked_cond);
  pthread_mutex_unlock (&pp.lock);
}

static void
async_threads__every_send_wakes_the_blocked_loop (void **state)
{
  skip_where_valgrind_holds_wakeups ();
  struct ev_loop *loop = *state;
  pp.loop = loop;
  pp.rounds = count_from_env ("ASYNC_THREADS_ROUNDS", 5000);
  atomic_store (&pp.sent, 0);
  pp.acked = 0;
  pp.stalled = pp.quit = 0;
  pthread_mutex_init (&pp.lock, NULL);
  pthread_cond_init (&pp.acked_cond, NULL);
  ev_async_init (&pp.async, pong_cb);
  ev_async_start (loop, &pp.async);

  pthread_t t;
  assert_int_equal (pthread_create (&t, NULL, pinger, NULL), 0);
  /* nothing but the async watcher: every wake-up must come from a send */
  while (!pp.quit)
    ev_run (loop, EVRUN_ONCE);
  pthread_join (t, NULL);

  pthread_mutex_lock (&pp.lock);
  long acked = pp.acked;
  int stalled = pp.stalled;
  pthread_mutex_unlock (&pp.lock);
  if (stalled)
    fail_msg ("lost wake-up: round %ld of %ld got no callback", acked + 1, pp.rounds);
  assert_int_equal (acked, pp.rounds);
  ev_async_stop (loop, &pp.async);
  pthread_cond_destroy (&pp.acked_cond);
  pthread_mutex_destroy (&pp.lock);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    loop_test (async_threads__eight_threads_send_a_million_times_each),
    loop_test (async_threads__every_send_wakes_the_blocked_loop),
  };
  return HARNESS_RUN ("async_threads", tests);
}
