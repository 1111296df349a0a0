/* SPDX-License-Identifier: BSD-2-Clause */
/* The raw `active` values libev stores, for every watcher kind: io/signal/child/stat/embed
 * 1; timers and periodics their heap index (4-ary heap rooted at 3); idle the index within
 * its priority; prepare/check/fork/cleanup/async their array index; what stopping a
 * middle element does to the others. Also EV__IOFDSET (0x80) consumed by ev_io_start. */
#include "scenario.h"

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_timer t[6];
  ev_periodic p[3];
  ev_idle id[4];
  ev_prepare pr[3];
  ev_check ck[3];
  ev_fork fk[2];
  ev_async as[3];
  ev_io io;
  ev_signal sig;
  ev_stat st;
  int i;

  for (i = 0; i < 6; ++i)
    {
      ev_timer_init (&t[i], 0, 10. + (i % 3), 0.);
      ev_timer_start (loop, &t[i]);
    }
  T ("timers: %d %d %d %d %d %d", t[0].active, t[1].active, t[2].active, t[3].active,
     t[4].active, t[5].active);
  ev_timer_stop (loop, &t[0]);
  T ("timers after stopping t0: - %d %d %d %d %d", t[1].active, t[2].active, t[3].active,
     t[4].active, t[5].active);
  ev_timer_stop (loop, &t[3]);
  T ("after stopping t3: - %d %d - %d %d", t[1].active, t[2].active, t[4].active, t[5].active);
  ev_timer_set (&t[0], 5., 0.);
  ev_timer_start (loop, &t[0]);
  T ("t0 restarted earliest: %d %d %d - %d %d", t[0].active, t[1].active, t[2].active,
     t[4].active, t[5].active);
  for (i = 0; i < 6; ++i)
    ev_timer_stop (loop, &t[i]);

  for (i = 0; i < 3; ++i)
    {
      ev_periodic_init (&p[i], 0, ev_now (loop) + 100. - i, 0., 0);
      ev_periodic_start (loop, &p[i]);
    }
  T ("periodics (later first): %d %d %d", p[0].active, p[1].active, p[2].active);
  for (i = 0; i < 3; ++i)
    ev_periodic_stop (loop, &p[i]);

  for (i = 0; i < 4; ++i)
    {
      ev_idle_init (&id[i], 0);
      ev_set_priority (&id[i], i < 2 ? 0 : 1);
      ev_idle_start (loop, &id[i]);
    }
  T ("idles (prio 0 0 1 1): %d %d %d %d", id[0].active, id[1].active, id[2].active, id[3].active);
  ev_idle_stop (loop, &id[0]);
  T ("after stopping idle 0: - %d %d %d", id[1].active, id[2].active, id[3].active);
  for (i = 1; i < 4; ++i)
    ev_idle_stop (loop, &id[i]);

  for (i = 0; i < 3; ++i)
    {
      ev_prepare_init (&pr[i], 0);
      ev_prepare_start (loop, &pr[i]);
      ev_check_init (&ck[i], 0);
      ev_check_start (loop, &ck[i]);
      ev_async_init (&as[i], 0);
      ev_async_start (loop, &as[i]);
    }
  for (i = 0; i < 2; ++i)
    {
      ev_fork_init (&fk[i], 0);
      ev_fork_start (loop, &fk[i]);
    }
  T ("prepare %d %d %d check %d %d %d async %d %d %d fork %d %d", pr[0].active, pr[1].active,
     pr[2].active, ck[0].active, ck[1].active, ck[2].active, as[0].active, as[1].active,
     as[2].active, fk[0].active, fk[1].active);
  ev_prepare_stop (loop, &pr[0]);
  ev_check_stop (loop, &ck[1]);
  ev_async_stop (loop, &as[2]);
  ev_fork_stop (loop, &fk[0]);
  T ("after stops: prepare - %d %d check %d - %d async %d %d - fork - %d", pr[1].active,
     pr[2].active, ck[0].active, ck[2].active, as[0].active, as[1].active, fk[1].active);
  for (i = 0; i < 3; ++i)
    {
      ev_prepare_stop (loop, &pr[i]);
      ev_check_stop (loop, &ck[i]);
      ev_async_stop (loop, &as[i]);
    }
  ev_fork_stop (loop, &fk[1]);

  ev_io_init (&io, 0, 0, EV_READ);
  T ("io events before start 0x%x", io.events);
  ev_io_start (loop, &io);
  T ("io active %d events 0x%x", io.active, io.events);
  ev_io_modify (&io, EV_READ | EV_WRITE);
  T ("io_modify while active: events 0x%x", io.events);
  ev_io_stop (loop, &io);
  ev_io_init (&io, 0, 0, EV_READ);
  ev_io_modify (&io, EV_WRITE);
  T ("io_modify keeps an unconsumed 0x80: events 0x%x", io.events);

  ev_signal_init (&sig, 0, SIGUSR2);
  ev_signal_start (loop, &sig);
  ev_stat_init (&st, 0, "/", 0.);
  ev_stat_start (loop, &st);
  T ("signal %d stat %d", sig.active, st.active);
  ev_signal_stop (loop, &sig);
  ev_stat_stop (loop, &st);
  T ("stopped: signal %d stat %d", sig.active, st.active);
  ev_loop_destroy (loop);
}
