/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_feed_signal (ignored when no loop watches the signal) and ev_feed_signal_event
 * (pending at once, ignored for a loop that does not own the signal); a signal moves to
 * another loop once its last watcher stopped; two loops with different signals. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void)loop;
  T ("%s revents=0x%x", (const char *)w->data, revents);
}

static void
scenario (void)
{
  struct ev_loop *l1 = sc_loop_new (0), *l2 = sc_loop_new (0);
  ev_signal a, b, c;

  signal (SIGUSR1, SIG_IGN); /* a stray real delivery must not kill the test */
  T ("-- ev_feed_signal with no watcher");
  ev_feed_signal (SIGUSR1);
  ev_run (l1, EVRUN_NOWAIT);

  ev_signal_init (&a, cb, SIGUSR1);
  a.data = (void *)"l1:a";
  ev_signal_start (l1, &a);
  T ("-- ev_feed_signal, l1 watches");
  ev_feed_signal (SIGUSR1);
  ev_run (l1, EVRUN_NOWAIT);

  T ("-- ev_feed_signal_event on the owner: pending at once");
  ev_feed_signal_event (l1, SIGUSR1);
  T ("pending %d count %u", B (ev_is_pending (&a)), ev_pending_count (l1));
  ev_invoke_pending (l1);
  T ("-- ev_feed_signal_event on another loop: ignored");
  ev_feed_signal_event (l2, SIGUSR1);
  T ("l2 pending count %u", ev_pending_count (l2));
  ev_run (l2, EVRUN_NOWAIT);

  T ("-- two loops, two signals");
  ev_signal_init (&b, cb, SIGUSR2);
  b.data = (void *)"l2:b";
  ev_signal_start (l2, &b);
  raise (SIGUSR1);
  raise (SIGUSR2);
  T ("l2 first");
  ev_run (l2, EVRUN_NOWAIT);
  T ("then l1");
  ev_run (l1, EVRUN_NOWAIT);

  T ("-- USR1 moves to l2");
  ev_signal_stop (l1, &a);
  ev_signal_init (&c, cb, SIGUSR1);
  c.data = (void *)"l2:c";
  ev_signal_start (l2, &c);
  raise (SIGUSR1);
  ev_run (l1, EVRUN_NOWAIT);
  ev_run (l2, EVRUN_NOWAIT);

  ev_signal_stop (l2, &b);
  ev_signal_stop (l2, &c);
  ev_loop_destroy (l1);
  ev_loop_destroy (l2);
}
