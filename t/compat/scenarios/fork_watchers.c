/* SPDX-License-Identifier: BSD-2-Clause */
/* Fork: a child that uses the loop without ev_loop_fork gets no fork callback; after
 * ev_loop_fork the next iteration runs the fork watchers (before prepare) and the loop
 * works in the child (io on a new pipe); EVFLAG_FORKCHECK detects the fork by itself; the
 * parent is unaffected and its loop keeps working. */
#include "scenario.h"

static void
cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  (void)loop;
  T ("%s %s revents=0x%x", getpid () == *(pid_t *)w->data ? "parent" : "child",
     revents == EV_FORK ? "fork" : revents == EV_PREPARE ? "prepare" : "io", revents);
}

static void
io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  char c;

  cb (loop, (ev_watcher *)w, revents);
  SC_REQUIRE (read (w->fd, &c, 1) == 1);
}

static pid_t parent;

static void
probe (unsigned int flags, int call_loop_fork)
{
  struct ev_loop *loop = sc_loop_new (flags);
  ev_fork fk;
  ev_prepare pr;
  ev_io io;
  pid_t pid;
  int p[2];

  ev_fork_init (&fk, (void (*) (struct ev_loop *, ev_fork *, int))cb);
  fk.data = &parent;
  ev_fork_start (loop, &fk);
  ev_prepare_init (&pr, (void (*) (struct ev_loop *, ev_prepare *, int))cb);
  pr.data = &parent;
  ev_prepare_start (loop, &pr);
  ev_run (loop, EVRUN_NOWAIT);

  pid = sc_fork ();
  SC_REQUIRE (pid >= 0);
  if (pid == 0)
    {
      ev_run (loop, EVRUN_NOWAIT);
      if (call_loop_fork)
        {
          T ("child: ev_loop_fork");
          ev_loop_fork (loop);
          ev_run (loop, EVRUN_NOWAIT);
        }
      /* a new fd in the child: works only if the backend state was rebuilt or is ours */
      SC_REQUIRE (pipe (p) == 0);
      SC_REQUIRE (write (p[1], "x", 1) == 1);
      ev_io_init (&io, io_cb, p[0], EV_READ);
      io.data = &parent;
      ev_io_start (loop, &io);
      if (call_loop_fork || (flags & EVFLAG_FORKCHECK))
        ev_run (loop, EVRUN_NOWAIT);
      _exit (0);
    }
  sc_print_status ("child", sc_wait_status (pid));
  T ("parent again");
  ev_run (loop, EVRUN_NOWAIT);
  SC_REQUIRE (pipe (p) == 0);
  SC_REQUIRE (write (p[1], "y", 1) == 1);
  ev_io_init (&io, io_cb, p[0], EV_READ);
  io.data = &parent;
  ev_io_start (loop, &io);
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_stop (loop, &io);
  close (p[0]);
  close (p[1]);
  ev_prepare_stop (loop, &pr);
  ev_fork_stop (loop, &fk);
  ev_loop_destroy (loop);
}

static void
scenario (void)
{
  parent = getpid ();
  T ("== child without ev_loop_fork");
  probe (0, 0);
  T ("== child with ev_loop_fork");
  probe (0, 1);
  T ("== EVFLAG_FORKCHECK");
  probe (EVFLAG_FORKCHECK, 0);
}
