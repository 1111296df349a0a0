/* SPDX-License-Identifier: BSD-2-Clause */
/* Hang-ups: a pipe whose writer closed is readable (read gives 0); a pipe whose reader
 * closed is writable (write fails with EPIPE); a socketpair after shutdown. HUP/ERR count
 * as readable and writable, masked by what the watcher asked for. */
#include "scenario.h"
#include <sys/socket.h>

static void
rcb (struct ev_loop *loop, ev_io *w, int revents)
{
  char c;

  T ("%s revents=0x%x read=%d", (const char *)w->data, revents, (int)read (w->fd, &c, 1));
  ev_io_stop (loop, w);
}

static void
wcb (struct ev_loop *loop, ev_io *w, int revents)
{
  ssize_t n = write (w->fd, "x", 1);

  T ("%s revents=0x%x write=%d EPIPE=%d", (const char *)w->data, revents, (int)n,
     B (n < 0 && errno == EPIPE));
  ev_io_stop (loop, w);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_io r, w, rw;
  int p[2], q[2], s[2];

  SC_REQUIRE (pipe (p) == 0 && pipe (q) == 0);
  SC_REQUIRE (socketpair (AF_UNIX, SOCK_STREAM, 0, s) == 0);

  close (p[1]);
  ev_io_init (&r, rcb, p[0], EV_READ);
  r.data = (void *)"writer-closed";
  ev_io_start (loop, &r);
  ev_run (loop, 0);

  close (q[0]);
  ev_io_init (&w, wcb, q[1], EV_WRITE);
  w.data = (void *)"reader-closed";
  ev_io_start (loop, &w);
  ev_run (loop, 0);

  SC_REQUIRE (shutdown (s[1], SHUT_WR) == 0);
  ev_io_init (&rw, rcb, s[0], EV_READ);
  rw.data = (void *)"socket-shutdown";
  ev_io_start (loop, &rw);
  ev_run (loop, 0);

  close (p[0]);
  close (q[1]);
  close (s[0]);
  close (s[1]);
  ev_loop_destroy (loop);
}
