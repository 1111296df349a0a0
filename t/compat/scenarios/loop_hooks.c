/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_set_userdata/ev_userdata, ev_set_invoke_pending_cb (also used by ev_loop_destroy),
 * ev_set_loop_release_cb: exactly one release/acquire pair per iteration; ev_verify;
 * ev_set_syserr_cb (not called in normal operation). */
#include "scenario.h"

static int invokes, releases, acquires;

static void
my_invoke (struct ev_loop *loop)
{
  ++invokes;
  T ("invoke_pending_cb: pending_count=%u userdata=%s", ev_pending_count (loop),
     (const char *)ev_userdata (loop));
  ev_invoke_pending (loop);
}

static void
my_release (struct ev_loop *loop)
{
  (void)loop;
  ++releases;
}

static void
my_acquire (struct ev_loop *loop)
{
  (void)loop;
  ++acquires;
}

static int syserrs;

static void
my_syserr (const char *msg)
{
  (void)msg;
  ++syserrs;
}

static void
cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  T ("%s revents=0x%x", (const char *)w->data, revents);
  (void)loop;
}

static void
cleanup_cb (struct ev_loop *loop, ev_cleanup *w, int revents)
{
  (void)w;
  T ("cleanup revents=0x%x depth=%d", revents, ev_depth (loop));
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_watcher a, b;
  ev_cleanup cl;
  ev_idle idle;
  unsigned int it;
  int i;

  ev_set_syserr_cb (my_syserr);
  T ("userdata initially NULL %d", B (ev_userdata (loop) == NULL));
  ev_set_userdata (loop, (void *)"U");
  ev_set_invoke_pending_cb (loop, my_invoke);
  ev_set_loop_release_cb (loop, my_release, my_acquire);

  ev_init (&a, cb);
  a.data = (void *)"a";
  ev_init (&b, cb);
  b.data = (void *)"b";
  ev_feed_event (loop, &a, EV_CUSTOM);
  ev_feed_event (loop, &b, EV_READ);
  it = ev_iteration (loop);
  T ("run returns %d", ev_run (loop, EVRUN_NOWAIT));
  T ("iterations %u invokes %d releases %d acquires %d", ev_iteration (loop) - it, invokes,
     releases, acquires);

  ev_idle_init (&idle, (void (*) (struct ev_loop *, ev_idle *, int))cb);
  idle.data = (void *)"idle";
  ev_idle_start (loop, &idle);
  invokes = releases = acquires = 0;
  it = ev_iteration (loop);
  for (i = 0; i < 3; ++i)
    ev_run (loop, EVRUN_NOWAIT);
  T ("3 NOWAIT runs: iterations %u invokes %d releases %d acquires %d", ev_iteration (loop) - it,
     invokes, releases, acquires);
  ev_idle_stop (loop, &idle);

  ev_verify (loop); /* all invariants hold: returns quietly */

  /* back to the built-in invoker */
  ev_set_invoke_pending_cb (loop, ev_invoke_pending);
  invokes = 0;
  ev_feed_event (loop, &a, EV_WRITE);
  ev_run (loop, EVRUN_NOWAIT);
  T ("restored: my invoker called %d times", invokes);

  /* destroy invokes through the user's callback too */
  ev_set_invoke_pending_cb (loop, my_invoke);
  ev_cleanup_init (&cl, cleanup_cb);
  ev_cleanup_start (loop, &cl);
  ev_feed_event (loop, &b, EV_CUSTOM);
  ev_loop_destroy (loop);
  T ("destroyed: invokes %d; system errors reported %d", invokes, syserrs);
  ev_set_syserr_cb (0);
}
