/* SPDX-License-Identifier: BSD-2-Clause */
/* bench/post.c - ev_ng_post (ev(3) "Posting work to a loop") against the pattern programs
 * build with libev 4.33: a mutex, a queue and an ev_async.  Producer threads hand the loop
 * small items as fast as they can (saturation); the loop's thread sums them.  Both patterns
 * run in one process, one after the other, with the same producers and the same items, and
 * the program prints items per second of each and the ratio.
 *
 *   bench/bench-post [both|post|mutex] [PRODUCERS [ITEMS]]     (defaults: both 2 10000000)
 *
 * Wake-up system calls per item: run one pattern under strace and divide its write(2) calls
 * (the wake-up eventfd's; nothing else writes) by ITEMS:
 *
 *   strace -f -c -e trace=write bench/bench-post post 2 10000000
 *
 * Built by `make bench` (not by make or make check); see bench/README.md. */
#define _GNU_SOURCE 1
#include <ev.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#if !EV_NG_FEATURE_POST
#error "bench-post needs libev-ng's ev.h (EV_NG_FEATURE_POST)"
#endif

enum
{
  MAX_PRODUCERS = 16
};

static struct ev_loop *loop;
static long per_producer, expected;
static long received;      /* loop thread only */
static uint64_t sum;       /* loop thread only: keeps the work from being optimised away */
static int producers;

/* CPU seconds the process used (every thread, user and system) */
static double
cpu_now (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec
         + (double)ru.ru_stime.tv_usec * 1e-6;
}

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
take (uintptr_t item)
{
  sum += item;
  if (++received == expected)
    ev_break (loop, EVBREAK_ALL);
}

/* ---- ev_ng_post ---------------------------------------------------------------------------- */

static void
posted_cb (struct ev_loop *l, void *arg)
{
  (void)l;
  take ((uintptr_t)arg);
}

static void *
post_producer (void *arg)
{
  (void)arg;
  for (long i = 0; i < per_producer; ++i)
    while (ev_ng_post (loop, posted_cb, (void *)(uintptr_t)i) != 0)
      ;
  return NULL;
}

/* ---- a mutex, a queue and an ev_async ------------------------------------------------------ */

struct item
{
  struct item *next;
  uintptr_t value;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct item *head, *tail;
static ev_async doorbell;

static void
doorbell_cb (struct ev_loop *l, ev_async *w, int revents)
{
  (void)l, (void)w, (void)revents;
  pthread_mutex_lock (&lock);
  struct item *it = head;
  head = tail = NULL;
  pthread_mutex_unlock (&lock);
  while (it)
    {
      struct item *next = it->next;
      take (it->value);
      free (it);
      it = next;
    }
}

static void *
mutex_producer (void *arg)
{
  (void)arg;
  for (long i = 0; i < per_producer; ++i)
    {
      struct item *it = malloc (sizeof *it);
      if (!it)
        abort ();
      it->next = NULL;
      it->value = (uintptr_t)i;
      pthread_mutex_lock (&lock);
      if (tail)
        tail->next = it;
      else
        head = it;
      tail = it;
      pthread_mutex_unlock (&lock);
      ev_async_send (loop, &doorbell);
    }
  return NULL;
}

/* ---- the runs ------------------------------------------------------------------------------ */

/* Items per second of the whole run, from the first producer's start until the loop has taken
 * the last item.  It also prints the process's CPU time (all threads, user and system) per item,
 * which a loaded machine moves less than the wall-clock rate, and the items a loop iteration. */
static double
run (const char *name, void *(*producer) (void *))
{
  pthread_t t[MAX_PRODUCERS];
  received = 0;
  unsigned iterations = ev_iteration (loop);
  double start = now (), cpu_start = cpu_now ();
  for (int p = 0; p < producers; ++p)
    if (pthread_create (&t[p], NULL, producer, NULL))
      abort ();
  ev_run (loop, 0);
  double secs = now () - start;
  double cpu = cpu_now () - cpu_start;
  for (int p = 0; p < producers; ++p)
    pthread_join (t[p], NULL);
  if (received != expected)
    {
      fprintf (stderr, "bench-post: %ld of %ld items arrived\n", received, expected);
      exit (1);
    }
  double rate = (double)expected / secs;
  printf ("%s %d producers, %ld items: %.2f M items/s, %.1f ns of CPU an item, %.0f items a loop iteration\n",
          name, producers, expected, rate / 1e6, cpu * 1e9 / (double)expected,
          (double)expected / (double)(ev_iteration (loop) - iterations));
  return rate;
}

int
main (int argc, char **argv)
{
  const char *which = argc > 1 ? argv[1] : "both";
  producers = argc > 2 ? atoi (argv[2]) : 2;
  long items = argc > 3 ? atol (argv[3]) : 10000000;
  if (producers < 1 || producers > MAX_PRODUCERS || items < producers
      || (strcmp (which, "both") && strcmp (which, "post") && strcmp (which, "mutex")))
    {
      fprintf (stderr, "usage: %s [both|post|mutex] [PRODUCERS [ITEMS]]\n", argv[0]);
      return 64;
    }
  per_producer = items / producers;
  expected = per_producer * producers;
  loop = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  if (!loop)
    return 1;
  ev_ng_post_enable (loop);
  ev_async_init (&doorbell, doorbell_cb);
  ev_async_start (loop, &doorbell); /* also the reference that lets ev_run wait */

  double post_rate = 0, mutex_rate = 0;
  if (strcmp (which, "mutex"))
    post_rate = run ("ev_ng_post:              ", post_producer);
  if (strcmp (which, "post"))
    mutex_rate = run ("mutex + queue + ev_async:", mutex_producer);
  if (post_rate > 0 && mutex_rate > 0)
    printf ("ratio: ev_ng_post is %.1fx the mutex pattern\n", post_rate / mutex_rate);
  ev_async_stop (loop, &doorbell);
  ev_loop_destroy (loop);
  return 0;
}
