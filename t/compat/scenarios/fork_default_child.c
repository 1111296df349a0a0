/* SPDX-License-Identifier: BSD-2-Clause */
/* The default loop across fork: the child calls ev_default_fork (libev 3 name of
 * ev_loop_fork on the default loop), forks a grandchild and collects it with an ev_child
 * watcher (the SIGCHLD machinery works in the child); the parent collects the child the
 * same way. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_child *w, int revents)
{
  T ("%s: child watcher revents=0x%x exit code %d", (const char *)w->data, revents,
     WEXITSTATUS (w->rstatus));
  ev_break (loop, EVBREAK_ONE);
}

static void
fork_cb (struct ev_loop *loop, ev_fork *w, int revents)
{
  (void)loop;
  (void)w;
  T ("child: fork watcher revents=0x%x", revents);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_default_loop (0);
  ev_child cw;
  ev_fork fk;
  pid_t pid;

  ev_fork_init (&fk, fork_cb);
  ev_fork_start (loop, &fk);
  pid = sc_fork ();
  SC_REQUIRE (pid >= 0);
  if (pid == 0)
    {
      pid_t g;

      ev_default_fork ();
      g = sc_fork ();
      SC_REQUIRE (g >= 0);
      if (g == 0)
        _exit (21);
      ev_child_init (&cw, cb, g, 0);
      cw.data = (void *)"child";
      ev_child_start (loop, &cw);
      ev_run (loop, 0);
      ev_child_stop (loop, &cw);
      _exit (20);
    }
  ev_child_init (&cw, cb, pid, 0);
  cw.data = (void *)"parent";
  ev_child_start (loop, &cw);
  ev_run (loop, 0);
  ev_child_stop (loop, &cw);
  ev_fork_stop (loop, &fk);
  ev_loop_destroy (loop);
}
