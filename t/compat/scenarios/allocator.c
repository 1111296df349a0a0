/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_set_allocator: the library obtains its memory through the installed allocator
 * (realloc contract, size 0 frees), and a loop with watchers of every kind gives all of it
 * back when destroyed. Counts are not printed: how often a library allocates is its own
 * business; that it uses the hook and balances it is not. */
#include "scenario.h"

static long live, calls;

static void *
counting_realloc (void *ptr, long size)
{
  ++calls;
  if (size == 0)
    {
      if (ptr)
        --live;
      free (ptr);
      return NULL;
    }
  if (!ptr)
    ++live;
  return realloc (ptr, (size_t)size);
}

static void
noop (struct ev_loop *loop, ev_watcher *w, int revents)
{
  (void)loop;
  (void)w;
  (void)revents;
}

#define NOOP(type) ((void (*) (struct ev_loop *, type *, int))noop)

static void
scenario (void)
{
  struct ev_loop *loop;
  ev_io io[20];
  ev_timer t[50];
  ev_idle id[10];
  ev_signal sig;
  ev_async as;
  ev_stat st;
  int p[2], i;

  ev_set_allocator (counting_realloc);
  loop = sc_loop_new (0);
  T ("loop created through the allocator %d", B (calls > 0 && live > 0));
  SC_REQUIRE (pipe (p) == 0);
  for (i = 0; i < 20; ++i)
    {
      ev_io_init (&io[i], NOOP (ev_io), i % 2 ? p[1] : p[0], i % 2 ? EV_WRITE : EV_READ);
      ev_io_start (loop, &io[i]);
    }
  for (i = 0; i < 50; ++i)
    {
      ev_timer_init (&t[i], NOOP (ev_timer), 10. + i, 0.);
      ev_timer_start (loop, &t[i]);
    }
  for (i = 0; i < 10; ++i)
    {
      ev_idle_init (&id[i], NOOP (ev_idle));
      ev_set_priority (&id[i], i % 5 - 2);
      ev_idle_start (loop, &id[i]);
      ev_idle_stop (loop, &id[i]);
    }
  ev_signal_init (&sig, NOOP (ev_signal), SIGUSR1);
  ev_signal_start (loop, &sig);
  ev_async_init (&as, NOOP (ev_async));
  ev_async_start (loop, &as);
  ev_stat_init (&st, NOOP (ev_stat), "/", 0.);
  ev_stat_start (loop, &st);
  ev_run (loop, EVRUN_NOWAIT);
  ev_signal_stop (loop, &sig);
  ev_stat_stop (loop, &st);
  ev_loop_destroy (loop);
  T ("after destroy: everything given back %d", B (live == 0));
  close (p[0]);
  close (p[1]);
  ev_set_allocator (0);
}
