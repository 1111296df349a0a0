/* SPDX-License-Identifier: BSD-2-Clause */
/* Usage errors both libraries abort on, with different messages: each misuse runs in a
 * forked child whose first stderr line and end are printed.
 * libev-ng: "libev-ng: usage error in CALL (ARG = VALUE): "libev: MESSAGE"" + SIGABRT.
 * libev 4.33: an assertion failure message with its source location + SIGABRT.
 * The last cases are checked by libev-ng only (ev(3): More misuse is detected): a NaN
 * periodic interval, a NaN ev_stat interval, a loop embedded into itself, changing the
 * priority of a pending watcher. */
#include "../scenarios/scenario.h"
#include <math.h>

static struct ev_loop *loop;

static void
noop (struct ev_loop *l, ev_watcher *w, int revents)
{
  (void)l;
  (void)w;
  (void)revents;
}

static void
negative_fd (void)
{
  ev_io w;
  ev_io_init (&w, 0, -1, EV_READ);
  ev_io_start (loop, &w);
}

static void
bad_io_events (void)
{
  ev_io w;
  ev_io_init (&w, 0, 0, 0x100);
  ev_io_start (loop, &w);
}

static void
signal_out_of_range (void)
{
  ev_signal w;
  ev_signal_init (&w, 0, 65);
  ev_signal_start (loop, &w);
}

static void
negative_repeat (void)
{
  ev_timer w;
  ev_timer_init (&w, 0, 1., -1.);
  ev_timer_start (loop, &w);
}

static void
child_not_default (void)
{
  ev_child w;
  ev_child_init (&w, 0, 0, 0);
  ev_child_start (loop, &w);
}

static void
negative_interval (void)
{
  ev_periodic w;
  ev_periodic_init (&w, 0, 0., -1., 0);
  ev_periodic_start (loop, &w);
}

static void
nan_interval (void)
{
  ev_periodic w;
  ev_periodic_init (&w, 0, 0., NAN, 0);
  ev_periodic_start (loop, &w);
}

static void
nan_stat_interval (void)
{
  ev_stat w;
  ev_stat_init (&w, 0, "/", NAN);
  ev_stat_start (loop, &w);
  ev_run (loop, EVRUN_NOWAIT);
}

static void
embed_self (void)
{
  struct ev_loop *l = ev_loop_new (EVBACKEND_EPOLL);
  ev_embed w;
  ev_embed_init (&w, 0, l);
  ev_embed_start (l, &w);
}

static void
pending_priority (void)
{
  ev_idle w;
  ev_idle_init (&w, (void (*) (struct ev_loop *, ev_idle *, int))noop);
  ev_feed_event (loop, &w, EV_CUSTOM);
  ev_set_priority (&w, 2);
  ev_clear_pending (loop, &w); /* works on the pending state: libev-ng notices here */
}

static void
attempt (const char *name, void (*fn) (void))
{
  int err[2];
  char buf[512];
  ssize_t n;
  pid_t pid;

  SC_REQUIRE (pipe (err) == 0);
  pid = sc_fork ();
  SC_REQUIRE (pid >= 0);
  if (pid == 0)
    {
      dup2 (err[1], 2);
      close (err[0]);
      loop = sc_loop_new (0);
      fn ();
      _exit (0);
    }
  close (err[1]);
  n = read (err[0], buf, sizeof buf - 1);
  close (err[0]);
  buf[n > 0 ? n : 0] = 0;
  if (strchr (buf, '\n'))
    *strchr (buf, '\n') = 0;
  T ("%s: stderr: %s", name, buf);
  sc_print_status (name, sc_wait_status (pid));
}

static void
scenario (void)
{
  attempt ("negative fd", negative_fd);
  attempt ("io events 0x100", bad_io_events);
  attempt ("signal 65", signal_out_of_range);
  attempt ("timer repeat -1", negative_repeat);
  attempt ("child watcher in a non-default loop", child_not_default);
  attempt ("periodic interval -1", negative_interval);
  attempt ("periodic interval NaN", nan_interval);
  attempt ("stat interval NaN", nan_stat_interval);
  attempt ("embed a loop into itself", embed_self);
  attempt ("priority of a pending watcher changed", pending_priority);
}
