/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_child in the default loop: a pid-specific watcher, an any-pid (0) watcher, a watcher
 * for a child that never changes state; rpid/rstatus, EV_CHILD, the priority forced to
 * EV_MAXPRI, the watcher stays active after the child exited; a child killed by a signal.
 * (When a pid-specific and an any-pid watcher match the same child, libev's order depends
 * on the pid's hash bucket: not deterministic, so each child here matches one watcher.) */
#include "scenario.h"

static pid_t kids[3];

static const char *
who (pid_t pid)
{
  return pid == kids[0] ? "kid0" : pid == kids[1] ? "kid1" : pid == kids[2] ? "kid2" : "other";
}

static void
cb (struct ev_loop *loop, ev_child *w, int revents)
{
  int st = w->rstatus;

  T ("%s revents=0x%x rpid=%s prio=%d active=%d exited=%d code=%d signaled=%d sig=%d",
     (const char *)w->data, revents, who (w->rpid), ev_priority (w), B (ev_is_active (w)),
     B (WIFEXITED (st)), WIFEXITED (st) ? WEXITSTATUS (st) : -1, B (WIFSIGNALED (st)),
     WIFSIGNALED (st) ? WTERMSIG (st) : -1);
  ev_break (loop, EVBREAK_ONE);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_default_loop (0);
  ev_child c0, any, idle_kid;
  int go[2];
  char c;

  /* kid2 lives until the end: its watcher must stay silent */
  kids[2] = sc_fork ();
  SC_REQUIRE (kids[2] >= 0);
  if (kids[2] == 0)
    {
      pause ();
      _exit (92);
    }
  ev_child_init (&idle_kid, cb, kids[2], 0);
  idle_kid.data = (void *)"watcher of kid2";
  ev_child_start (loop, &idle_kid);

  SC_REQUIRE (pipe (go) == 0);
  kids[0] = sc_fork ();
  SC_REQUIRE (kids[0] >= 0);
  if (kids[0] == 0)
    {
      /* wait for the parent's go, so that the watcher is started first */
      close (go[1]);
      if (read (go[0], &c, 1) < 0)
        _exit (90);
      _exit (3);
    }
  ev_child_init (&c0, cb, kids[0], 0);
  c0.data = (void *)"c0 (pid of kid0)";
  ev_child_start (loop, &c0);
  T ("c0 priority after start %d", ev_priority (&c0));
  T ("-- kid0 exits with 3");
  close (go[0]);
  close (go[1]);
  ev_run (loop, 0);
  T ("c0 still active %d", B (ev_is_active (&c0)));
  ev_child_stop (loop, &c0);

  kids[1] = sc_fork ();
  SC_REQUIRE (kids[1] >= 0);
  if (kids[1] == 0)
    {
      pause ();
      _exit (91);
    }
  ev_child_init (&any, cb, 0, 0);
  any.data = (void *)"any (pid 0)";
  ev_set_priority (&any, -2);
  ev_child_start (loop, &any);
  T ("-- kid1 killed with SIGTERM");
  kill (kids[1], SIGTERM);
  ev_run (loop, 0);
  ev_child_stop (loop, &any);

  T ("-- kid2 killed: its watcher");
  kill (kids[2], SIGKILL);
  ev_run (loop, 0);
  ev_child_stop (loop, &idle_kid);
  ev_loop_destroy (loop);
}
