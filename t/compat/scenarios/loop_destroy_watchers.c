/* SPDX-License-Identifier: BSD-2-Clause */
/* The watchers of a loop destroyed while they were active or pending: ev_loop_destroy does
 * not touch them (ev(3): "ev_is_active might still return true"), so they say what they said
 * before.  (A later stop reads the freed loop, in libev 4.33 and in libev-ng alike.) */
#include "../scenarios/scenario.h"

static void
nop (struct ev_loop *loop, ev_watcher *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_io io;
  ev_timer timer;
  ev_periodic periodic;
  ev_idle idle;
  ev_prepare prepare;
  ev_check check;
  ev_async async;
  ev_signal sig;
  ev_watcher fed;
  int p[2];

  SC_REQUIRE (pipe (p) == 0);
  ev_io_init (&io, (void (*) (struct ev_loop *, ev_io *, int))nop, p[0], EV_READ);
  ev_io_start (loop, &io);
  ev_timer_init (&timer, (void (*) (struct ev_loop *, ev_timer *, int))nop, 100., 0.);
  ev_timer_start (loop, &timer);
  ev_periodic_init (&periodic, (void (*) (struct ev_loop *, ev_periodic *, int))nop, 0., 100., 0);
  ev_periodic_start (loop, &periodic);
  ev_idle_init (&idle, (void (*) (struct ev_loop *, ev_idle *, int))nop);
  ev_idle_start (loop, &idle);
  ev_prepare_init (&prepare, (void (*) (struct ev_loop *, ev_prepare *, int))nop);
  ev_prepare_start (loop, &prepare);
  ev_check_init (&check, (void (*) (struct ev_loop *, ev_check *, int))nop);
  ev_check_start (loop, &check);
  ev_async_init (&async, (void (*) (struct ev_loop *, ev_async *, int))nop);
  ev_async_start (loop, &async);
  ev_signal_init (&sig, (void (*) (struct ev_loop *, ev_signal *, int))nop, SIGUSR1);
  ev_signal_start (loop, &sig);
  ev_init (&fed, nop);
  ev_feed_event (loop, &io, EV_CUSTOM); /* io is pending as well */
  ev_loop_destroy (loop);
  T ("after destroy: io active %d pending %d, timer %d, periodic %d, idle %d, prepare %d, check %d, async %d, "
     "signal %d",
     B (ev_is_active (&io)), B (ev_is_pending (&io)), B (ev_is_active (&timer)), B (ev_is_active (&periodic)),
     B (ev_is_active (&idle)), B (ev_is_active (&prepare)), B (ev_is_active (&check)), B (ev_is_active (&async)),
     B (ev_is_active (&sig)));
  close (p[0]);
  close (p[1]);
}
