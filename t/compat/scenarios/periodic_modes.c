/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_periodic in its three modes: absolute (fires once, stopped before the callback,
 * `at` kept), interval (at = next multiple of the interval after now, offset honoured),
 * reschedule callback (called at start, at every expiry and by ev_periodic_again).
 * offset/interval are not modified by start. */
#include "scenario.h"
#include <math.h>

static int resched_calls, fired;

static void
cb (struct ev_loop *loop, ev_periodic *w, int revents)
{
  ++fired;
  T ("%s #%d revents=0x%x active=%d at>now %d", (const char *)w->data, fired, revents,
     B (ev_is_active (w)), B (ev_periodic_at (w) > ev_now (loop)));
  if (fired == 3)
    ev_periodic_stop (loop, w);
}

static ev_tstamp
resched (ev_periodic *w, ev_tstamp now)
{
  (void)w;
  ++resched_calls;
  return now + 0.002;
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_periodic p;
  ev_tstamp at, off;
  double k;

  T ("-- absolute");
  ev_periodic_init (&p, cb, ev_now (loop) + 0.005, 0., 0);
  p.data = (void *)"absolute";
  at = p.offset;
  ev_periodic_start (loop, &p);
  T ("at == offset %d", B (ev_periodic_at (&p) == at));
  T ("run returns %d", ev_run (loop, 0));
  T ("after: active %d at kept %d", B (ev_is_active (&p)), B (ev_periodic_at (&p) == at));

  T ("-- interval 0.004, offset 0.001");
  fired = 0;
  ev_periodic_set (&p, 0.001, 0.004, 0);
  p.data = (void *)"interval";
  ev_periodic_start (loop, &p);
  k = (ev_periodic_at (&p) - 0.001) / 0.004;
  T ("at = offset + N*interval %d, at > now %d, within one interval %d", B (fabs (k - floor (k + .5)) < 1e-3),
     B (ev_periodic_at (&p) > ev_now (loop)), B (ev_periodic_at (&p) - ev_now (loop) <= 0.004));
  T ("offset %g interval %g unchanged", p.offset, p.interval);
  ev_run (loop, 0);

  T ("-- reschedule callback");
  fired = 0;
  ev_periodic_init (&p, cb, 0., 0., resched);
  p.data = (void *)"resched";
  ev_periodic_start (loop, &p);
  T ("after start: resched calls %d", resched_calls);
  ev_periodic_again (loop, &p);
  T ("after again: resched calls %d", resched_calls);
  ev_run (loop, 0);
  T ("after 3 expiries: resched calls %d", resched_calls);

  T ("-- offset in the past, no interval: fires in the first iteration");
  fired = 0;
  off = ev_now (loop) - 10.;
  ev_periodic_init (&p, cb, off, 0., 0);
  p.data = (void *)"past";
  ev_periodic_start (loop, &p);
  ev_run (loop, EVRUN_NOWAIT);
  ev_loop_destroy (loop);
}
