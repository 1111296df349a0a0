/* SPDX-License-Identifier: BSD-2-Clause */
/* The default loop reaps every child, watched or not (its SIGCHLD handler is installed
 * when the loop is created); a child watcher started after the child already exited still
 * gets the status, if it is started before the loop runs. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_child *w, int revents)
{
  (void)loop;
  T ("%s revents=0x%x exit code %d", (const char *)w->data, revents, WEXITSTATUS (w->rstatus));
}

/* waits until pid is a zombie without reaping it */
static void
wait_zombie (pid_t pid)
{
  siginfo_t si;

  while (waitid (P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0)
    SC_REQUIRE (errno == EINTR);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_default_loop (0);
  ev_child late;
  pid_t unwatched, watched;
  struct sigaction sa;

  SC_REQUIRE (sigaction (SIGCHLD, NULL, &sa) == 0);
  T ("SIGCHLD handler installed by the default loop %d", B (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN));

  unwatched = sc_fork ();
  SC_REQUIRE (unwatched >= 0);
  if (unwatched == 0)
    _exit (5);
  watched = sc_fork ();
  SC_REQUIRE (watched >= 0);
  if (watched == 0)
    _exit (6);
  wait_zombie (unwatched);
  wait_zombie (watched);

  ev_child_init (&late, cb, watched, 0);
  late.data = (void *)"started after the exit";
  ev_child_start (loop, &late);
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  T ("unwatched child reaped by the loop %d", B (waitpid (unwatched, NULL, WNOHANG) < 0 && errno == ECHILD));
  ev_child_stop (loop, &late);
  ev_loop_destroy (loop);
}
