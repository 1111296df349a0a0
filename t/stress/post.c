/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/post.c - ev(3) "Posting work to a loop" (ev_ng_post) under load: 1, 2 and 4
 * producer threads post as fast as they can to one loop, on every backend; every item must
 * run exactly once, in its producer's order, in the loop's thread: 0 lost, 0 duplicated, 0
 * out of order.  Every 1024th post a producer pauses for a few microseconds, so the loop also
 * runs out of work, blocks and must be woken.  `make check-tsan` runs it too, with no report
 * allowed.
 *
 * Short mode: 2 x 10^5 posts per run (STRESS_POSTS overrides); long mode: 10^8. */
#define _GNU_SOURCE 1
#include "stress.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum
{
  MAX_PRODUCERS = 4
};
/* an item is its producer (2 bits) above its sequence number, in a pointer of any width */
#define SEQ_BITS (sizeof (uintptr_t) * 8 - 2)

static struct
{
  struct ev_loop *loop;
  pthread_t loop_thread;
  long per_producer;
  int producers;
  /* loop thread only */
  long next[MAX_PRODUCERS];
  long ran, duplicated, skipped, wrong_thread;
  /* producers */
  long failed_posts;
} run;

static void
item_cb (struct ev_loop *loop, void *arg)
{
  uintptr_t item = (uintptr_t)arg;
  int producer = (int)(item >> SEQ_BITS);
  long seq = (long)(item & (((uintptr_t)1 << SEQ_BITS) - 1));
  if (!pthread_equal (pthread_self (), run.loop_thread))
    ++run.wrong_thread;
  if (seq < run.next[producer])
    ++run.duplicated;
  else
    {
      run.skipped += seq - run.next[producer];
      run.next[producer] = seq + 1;
    }
  if (++run.ran == run.per_producer * run.producers)
    ev_break (loop, EVBREAK_ALL);
}

static void *
producer_main (void *arg)
{
  uintptr_t producer = (uintptr_t)arg;
  for (long i = 0; i < run.per_producer; ++i)
    {
      while (ev_ng_post (run.loop, item_cb, (void *)(producer << SEQ_BITS | (uintptr_t)i)) != 0)
        {
          __atomic_fetch_add (&run.failed_posts, 1, __ATOMIC_RELAXED);
          usleep (100);
        }
      if ((i & 1023) == 1023)
        usleep ((unsigned)(i >> 10) % 8);
    }
  return NULL;
}

static void
guard_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w, (void)revents;
  stress_fail ("the loop stopped hearing of posts");
  ev_break (loop, EVBREAK_ALL);
}

static void
one_run (const struct stress_backend *b, int producers, long posts)
{
  pthread_t t[MAX_PRODUCERS];
  ev_timer guard;
  memset (&run, 0, sizeof run);
  run.loop = ev_loop_new (b->flag | EVFLAG_NOENV);
  if (!run.loop)
    {
      /* a backend the kernel has that the machine refuses (io_uring under qemu-user, or a
       * seccomp filter), as the other stress programs skip it */
      printf ("%s: no loop (skipped)\n", b->name);
      return;
    }
  run.loop_thread = pthread_self ();
  run.producers = producers;
  run.per_producer = posts / producers;
  ev_ng_post_enable (run.loop);
  /* a reference, so that the loop blocks when it has nothing to do; it fires only when a post
   * was lost and no other post wakes the loop for its whole period */
  ev_timer_init (&guard, guard_cb, 60., 60.);
  ev_timer_start (run.loop, &guard);
  double start = stress_now ();
  for (int p = 0; p < producers; ++p)
    pthread_create (&t[p], NULL, producer_main, (void *)(uintptr_t)p);
  /* the guard restarts while posts arrive: a quiet minute means a lost wake-up */
  while (run.ran < run.per_producer * producers && !stress_failures ())
    {
      long before = run.ran;
      ev_run (run.loop, EVRUN_ONCE);
      if (run.ran != before)
        ev_timer_again (run.loop, &guard);
    }
  double secs = stress_now () - start;
  for (int p = 0; p < producers; ++p)
    pthread_join (t[p], NULL);
  ev_timer_stop (run.loop, &guard);
  long left = ev_ng_post_drain (run.loop);
  ev_loop_destroy (run.loop);

  long expected = run.per_producer * producers;
  long lost = expected - run.ran + run.duplicated;
  if (lost || run.duplicated || run.skipped || run.wrong_thread || left)
    stress_fail ("%s, %d producers: %ld lost, %ld duplicated, %ld out of order, %ld in another thread, "
                 "%ld left over",
                 b->name, producers, lost, run.duplicated, run.skipped, run.wrong_thread, left);
  for (int p = 0; p < producers; ++p)
    if (run.next[p] != run.per_producer)
      stress_fail ("%s, %d producers: producer %d ended at %ld of %ld", b->name, producers, p, run.next[p],
                   run.per_producer);
  stress_figure ("%s, %d producers: %ld posts, 0 lost, 0 duplicated, order kept: %.2f M posts/s%s", b->name,
                 producers, expected, (double)expected / secs / 1e6,
                 run.failed_posts ? " (allocation refused, retried)" : "");
}

int
main (int argc, char **argv)
{
  struct stress_backend backends[4];
  static const int counts[] = {1, 2, 4};
  stress_init (argc, argv);
  const char *env = getenv ("STRESS_POSTS");
  long posts = env && atol (env) > 0 ? atol (env) : stress_scale (200000, 100000000);
  stress_watchdog (stress_long () ? 4 * 3600. : 600., "post");
  int n = stress_backends (backends);
  for (int i = 0; i < n; ++i)
    for (unsigned c = 0; c < sizeof counts / sizeof counts[0]; ++c)
      one_run (&backends[i], counts[c], posts);
  return stress_exit_status ();
}
