/* SPDX-License-Identifier: BSD-2-Clause */
/* The idle rule: idle watchers run only when nothing of their priority or above is
 * pending; only the highest priority level that has idle watchers runs them (idles at 1
 * lock out idles at 0); a pending priority -1 watcher does not block a priority 0 idle, a
 * pending priority 0 watcher does; an active idle makes the poll non-blocking. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  (void)loop;
  T ("%s revents=0x%x", (const char *)w->data, revents);
}

static ev_idle *
mk_idle (ev_idle *w, const char *name, int prio)
{
  ev_idle_init (w, (void (*) (struct ev_loop *, ev_idle *, int))cb);
  w->data = (void *)name;
  ev_set_priority (w, prio);
  return w;
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_idle i0a, i0b, i1;
  ev_timer t;
  ev_timer block;
  unsigned int it;

  ev_idle_start (loop, mk_idle (&i0a, "idle0a", 0));
  ev_idle_start (loop, mk_idle (&i0b, "idle0b", 0));
  T ("-- two idles at 0");
  ev_run (loop, EVRUN_NOWAIT);
  ev_idle_start (loop, mk_idle (&i1, "idle1", 1));
  T ("-- plus one at 1: only it runs");
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  ev_idle_stop (loop, &i1);

  T ("-- a due timer at -1 does not block the idles at 0");
  ev_timer_init (&t, (void (*) (struct ev_loop *, ev_timer *, int))cb, 0., 0.);
  t.data = (void *)"timer-1";
  ev_set_priority (&t, -1);
  ev_timer_start (loop, &t);
  ev_run (loop, EVRUN_NOWAIT);

  T ("-- a due timer at 0 does");
  t.data = (void *)"timer0";
  ev_set_priority (&t, 0);
  ev_timer_start (loop, &t);
  ev_run (loop, EVRUN_NOWAIT);
  T ("-- next iteration");
  ev_run (loop, EVRUN_NOWAIT);

  T ("-- an idle watcher keeps a 10 s timer from blocking: ONCE returns at once");
  ev_timer_init (&block, 0, 10., 0.);
  ev_timer_start (loop, &block);
  ev_idle_stop (loop, &i0b);
  it = ev_iteration (loop);
  ev_run (loop, EVRUN_ONCE);
  T ("iterations %u", ev_iteration (loop) - it);
  ev_timer_stop (loop, &block);
  ev_idle_stop (loop, &i0a);
  ev_loop_destroy (loop);
}
