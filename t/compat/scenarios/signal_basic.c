/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_signal: several watchers per signal run in start order, repeated signals before the
 * loop looks coalesce into one call, EV_SIGNAL revents, stopping one watcher, a signal
 * raised in a callback arrives in a later iteration, the handler is installed on start and
 * the disposition reset to SIG_DFL when the last watcher stops (a handler the program had
 * before is not restored). */
#include "scenario.h"

static int hits;

static void
program_handler (int s)
{
  (void)s;
  ++hits;
}

static const char *
disposition (int sig)
{
  struct sigaction sa;

  SC_REQUIRE (sigaction (sig, NULL, &sa) == 0);
  if (sa.sa_handler == SIG_DFL)
    return "SIG_DFL";
  if (sa.sa_handler == SIG_IGN)
    return "SIG_IGN";
  if (sa.sa_handler == program_handler)
    return "program's handler";
  return "another handler";
}

static int raise_in_cb;

static void
cb (struct ev_loop *loop, ev_signal *w, int revents)
{
  T ("%s signum=%s revents=0x%x iteration %u", (const char *)w->data,
     w->signum == SIGUSR1 ? "USR1" : "USR2", revents, ev_iteration (loop));
  if (raise_in_cb)
    {
      raise_in_cb = 0;
      raise (SIGUSR2);
    }
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_signal a, b, c;

  signal (SIGUSR1, program_handler);
  T ("USR1 before start: %s", disposition (SIGUSR1));
  ev_signal_init (&a, cb, SIGUSR1);
  a.data = (void *)"a";
  ev_signal_init (&b, cb, SIGUSR1);
  b.data = (void *)"b";
  ev_signal_init (&c, cb, SIGUSR2);
  c.data = (void *)"c";
  ev_signal_start (loop, &a);
  ev_signal_start (loop, &b);
  ev_signal_start (loop, &c);
  T ("USR1 after start: %s; raw active %d", disposition (SIGUSR1), a.active);

  T ("-- USR1 raised three times");
  raise (SIGUSR1);
  raise (SIGUSR1);
  raise (SIGUSR1);
  ev_run (loop, EVRUN_NOWAIT);
  T ("-- USR2 raised twice");
  raise (SIGUSR2);
  raise (SIGUSR2);
  ev_run (loop, EVRUN_NOWAIT);
  T ("-- nothing raised");
  T ("NOWAIT returns %d", ev_run (loop, EVRUN_NOWAIT));

  T ("-- b stopped, a raises USR2 in its callback");
  ev_signal_stop (loop, &b);
  raise_in_cb = 1;
  raise (SIGUSR1);
  ev_run (loop, EVRUN_ONCE);
  ev_run (loop, EVRUN_ONCE);

  ev_signal_stop (loop, &a);
  T ("USR1 after the last stop: %s; program handler ran %d times", disposition (SIGUSR1), hits);
  ev_signal_stop (loop, &c);
  ev_loop_destroy (loop);
}
