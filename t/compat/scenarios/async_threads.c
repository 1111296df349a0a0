/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_async from other threads: four threads send 2000 times each while the loop runs;
 * every increment made before a send is seen by a callback (no lost wakeup), sends
 * coalesce (fewer callbacks than sends); a loop blocked with nothing but the async
 * watcher is woken by a thread. Only the deterministic outcome is printed. */
#include "scenario.h"
#include <pthread.h>

#define THREADS 4
#define SENDS 2000

static struct ev_loop *loop;
static ev_async as;
static int counter; /* updated with __atomic builtins */
static int callbacks, seen_all;

static void *
sender (void *arg)
{
  int i;

  (void)arg;
  for (i = 0; i < SENDS; ++i)
    {
      __atomic_add_fetch (&counter, 1, __ATOMIC_SEQ_CST);
      ev_async_send (loop, &as);
    }
  return NULL;
}

static void
cb (struct ev_loop *l, ev_async *w, int revents)
{
  SC_REQUIRE (revents == EV_ASYNC);
  ++callbacks;
  if (__atomic_load_n (&counter, __ATOMIC_SEQ_CST) == THREADS * SENDS)
    {
      seen_all = 1;
      ev_async_stop (l, w);
    }
}

static void *
late_sender (void *arg)
{
  (void)arg;
  ev_sleep (0.02);
  ev_async_send (loop, &as);
  return NULL;
}

static void
woken_cb (struct ev_loop *l, ev_async *w, int revents)
{
  T ("woken by a thread: revents=0x%x", revents);
  ev_async_stop (l, w);
}

static void
scenario (void)
{
  pthread_t th[THREADS];
  int i, r;

  loop = sc_loop_new (0);
  ev_async_init (&as, cb);
  ev_async_start (loop, &as);
  for (i = 0; i < THREADS; ++i)
    SC_REQUIRE (pthread_create (&th[i], NULL, sender, NULL) == 0);
  r = ev_run (loop, 0);
  for (i = 0; i < THREADS; ++i)
    pthread_join (th[i], NULL);
  T ("run returned %d; every send seen %d; at least one callback %d; fewer callbacks than sends %d",
     r, seen_all, B (callbacks >= 1), B (callbacks < THREADS * SENDS));

  ev_async_init (&as, woken_cb);
  ev_async_start (loop, &as);
  SC_REQUIRE (pthread_create (&th[0], NULL, late_sender, NULL) == 0);
  r = ev_run (loop, 0);
  pthread_join (th[0], NULL);
  T ("run returned %d", r);
  ev_loop_destroy (loop);
}
