/* SPDX-License-Identifier: BSD-2-Clause */
/* Different signals that arrive before the same iteration: the order in which their
 * watchers run (all at the same priority). libev 4.33 runs the lower signal number first:
 * USR1 (10) before USR2 (12) before ALRM (14), whatever order they were raised in, with
 * and without EVFLAG_SIGNALFD. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void)loop;
  T ("%s revents=0x%x", (const char *)w->data, revents);
}

static void
probe (unsigned int flags)
{
  struct ev_loop *loop = sc_loop_new (flags);
  ev_signal u1, u2, al;

  ev_signal_init (&u1, cb, SIGUSR1);
  u1.data = (void *)"USR1";
  ev_signal_init (&u2, cb, SIGUSR2);
  u2.data = (void *)"USR2";
  ev_signal_init (&al, cb, SIGALRM);
  al.data = (void *)"ALRM";
  ev_signal_start (loop, &u2);
  ev_signal_start (loop, &al);
  ev_signal_start (loop, &u1);
  T ("-- raised USR2, USR1");
  raise (SIGUSR2);
  raise (SIGUSR1);
  ev_run (loop, EVRUN_NOWAIT);
  T ("-- raised ALRM, USR1, USR2");
  raise (SIGALRM);
  raise (SIGUSR1);
  raise (SIGUSR2);
  ev_run (loop, EVRUN_NOWAIT);
  ev_signal_stop (loop, &u1);
  ev_signal_stop (loop, &u2);
  ev_signal_stop (loop, &al);
  ev_loop_destroy (loop);
}

static void
scenario (void)
{
  T ("== signal handler and wake-up fd");
  probe (0);
  T ("== EVFLAG_SIGNALFD");
  probe (EVFLAG_SIGNALFD);
}
