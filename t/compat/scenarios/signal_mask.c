/* SPDX-License-Identifier: BSD-2-Clause */
/* The signal mask (libev 4.33 quirks): by default starting a watcher leaves the mask
 * alone; EVFLAG_NOSIGMASK (inverted test) unblocks the signal; EVFLAG_SIGNALFD blocks it
 * while watched and unblocks it on stop even if it was blocked before, and delivers
 * through the signalfd. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void)loop;
  (void)w;
  T ("signal revents=0x%x", revents);
}

static int
blocked (int sig)
{
  sigset_t s;

  SC_REQUIRE (sigprocmask (SIG_BLOCK, NULL, &s) == 0);
  return sigismember (&s, sig);
}

static void
block (int sig, int how)
{
  sigset_t s;

  sigemptyset (&s);
  sigaddset (&s, sig);
  SC_REQUIRE (sigprocmask (how, &s, NULL) == 0);
}

static void
probe (unsigned int flags, const char *what, int pre_blocked)
{
  struct ev_loop *loop = sc_loop_new (flags);
  ev_signal w;

  block (SIGUSR1, pre_blocked ? SIG_BLOCK : SIG_UNBLOCK);
  ev_signal_init (&w, cb, SIGUSR1);
  ev_signal_start (loop, &w);
  T ("%s, %s before: blocked after start %d", what, pre_blocked ? "blocked" : "unblocked",
     blocked (SIGUSR1));
  if (!blocked (SIGUSR1) || (flags & EVFLAG_SIGNALFD))
    {
      raise (SIGUSR1);
      ev_run (loop, EVRUN_NOWAIT);
    }
  ev_signal_stop (loop, &w);
  T ("  blocked after stop %d", blocked (SIGUSR1));
  ev_loop_destroy (loop);
  block (SIGUSR1, SIG_UNBLOCK);
}

static void
scenario (void)
{
  probe (0, "default", 0);
  probe (0, "default", 1);
  probe (EVFLAG_NOSIGMASK, "NOSIGMASK", 0);
  probe (EVFLAG_NOSIGMASK, "NOSIGMASK", 1);
  probe (EVFLAG_SIGNALFD, "SIGNALFD", 0);
  probe (EVFLAG_SIGNALFD, "SIGNALFD", 1);
}
