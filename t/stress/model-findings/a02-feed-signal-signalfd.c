/* SPDX-License-Identifier: BSD-2-Clause */
/* libev 4.33 aborts, libev-ng does not (t/stress/model.c does not generate it): ev_feed_signal
 * of a signal that a loop with EVFLAG_SIGNALFD watches, then ev_run.
 *   libev 4.33:  ev.c:4165: ev_run: Assertion `("libev: pipe_w not active, but pipe not
 *                written", ev_is_active (&pipe_w))' failed.
 * (libev-ng keeps a wake-up fd for ev_feed_signal in such a loop, out of sight otherwise:
 * see d04, d11)
 * Status: libev aborts
 * Expect: signal callback 0x400
 * Expect: ok */
#include <ev.h>
#include <signal.h>
#include <stdio.h>

static void scb (struct ev_loop *l, ev_signal *w, int r) { (void)l, (void)w; printf ("signal callback %#x\n", r); }

int
main (void)
{
  struct ev_loop *l = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV | EVFLAG_SIGNALFD);
  ev_signal s;
  ev_signal_init (&s, scb, SIGURG);
  ev_signal_start (l, &s);
  ev_feed_signal (SIGURG);
  ev_run (l, EVRUN_NOWAIT);
  printf ("ok\n");
  return 0;
}
