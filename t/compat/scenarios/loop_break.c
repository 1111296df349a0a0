/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_break: ONE ends the innermost ev_run, ALL every nested one, CANCEL undoes a break
 * requested in the same pass; breaking outside ev_run has no effect; a break in a
 * prepare callback leaves before the poll (iteration counter unchanged); the rest of the
 * current pass still runs. */
#include "scenario.h"

static int how_inner;
static ev_idle idle;

static void
inner_idle_cb (struct ev_loop *loop, ev_idle *w, int revents)
{
  (void)w;
  T ("inner idle revents=0x%x depth=%d", revents, ev_depth (loop));
  ev_break (loop, how_inner);
}

static void
outer_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  int r;

  (void)w;
  T ("outer timer revents=0x%x depth=%d", revents, ev_depth (loop));
  ev_idle_init (&idle, inner_idle_cb);
  ev_idle_start (loop, &idle);
  r = ev_run (loop, 0);
  T ("inner ev_run returned %d depth=%d", r, ev_depth (loop));
  ev_idle_stop (loop, &idle);
}

static ev_timer guard;

static void
guard_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w;
  (void)revents;
  T ("guard timer fired: outer loop needed it");
  ev_break (loop, EVBREAK_ONE);
}

static void
nested (struct ev_loop *loop, int how)
{
  ev_timer t;
  int r;

  how_inner = how;
  ev_timer_init (&t, outer_timer_cb, 0., 0.);
  ev_timer_start (loop, &t);
  ev_timer_init (&guard, guard_cb, 0.05, 0.);
  ev_timer_start (loop, &guard);
  r = ev_run (loop, 0);
  T ("outer ev_run returned %d depth=%d", r, ev_depth (loop));
  ev_timer_stop (loop, &guard);
}

static void
fed_cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  const char *name = (const char *)w->data;

  T ("fed %s revents=0x%x", name, revents);
  if (name[0] == 'C')
    ev_break (loop, EVBREAK_ONE);
  if (name[0] == 'X')
    ev_break (loop, EVBREAK_CANCEL);
}

static void
prepare_cb (struct ev_loop *loop, ev_prepare *w, int revents)
{
  (void)w;
  T ("prepare revents=0x%x", revents);
  ev_break (loop, EVBREAK_ONE);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_watcher a, b, c;
  ev_prepare p;
  unsigned int it;
  int r;

  T ("-- nested, inner breaks ONE");
  nested (loop, EVBREAK_ONE);
  T ("-- nested, inner breaks ALL");
  nested (loop, EVBREAK_ALL);

  T ("-- break outside ev_run is ignored");
  ev_break (loop, EVBREAK_ALL);
  ev_init (&a, fed_cb);
  a.data = (void *)"A";
  ev_feed_event (loop, &a, EV_CUSTOM);
  r = ev_run (loop, EVRUN_NOWAIT);
  T ("run returned %d", r);

  T ("-- break in the first callback: the pass completes");
  ev_init (&b, fed_cb);
  ev_init (&c, fed_cb);
  b.data = (void *)"B";
  c.data = (void *)"C";
  ev_timer_init (&guard, guard_cb, 0.05, 0.);
  ev_timer_start (loop, &guard);
  ev_feed_event (loop, &a, EV_CUSTOM);
  ev_feed_event (loop, &b, EV_CUSTOM);
  ev_feed_event (loop, &c, EV_CUSTOM);
  r = ev_run (loop, 0);
  T ("run returned %d, guard still active %d", r, B (ev_is_active (&guard)));

  T ("-- break then cancel in the same pass");
  b.data = (void *)"X";
  ev_feed_event (loop, &a, EV_CUSTOM);
  ev_feed_event (loop, &b, EV_CUSTOM);
  ev_feed_event (loop, &c, EV_CUSTOM);
  r = ev_run (loop, 0);
  T ("run returned %d, guard still active %d", r, B (ev_is_active (&guard)));
  ev_timer_stop (loop, &guard);

  T ("-- break in prepare: no poll");
  ev_prepare_init (&p, prepare_cb);
  ev_prepare_start (loop, &p);
  it = ev_iteration (loop);
  r = ev_run (loop, 0);
  T ("run returned %d, iterations %u", r, ev_iteration (loop) - it);
  ev_prepare_stop (loop, &p);

  ev_loop_destroy (loop);
}
