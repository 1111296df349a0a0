/* SPDX-License-Identifier: BSD-2-Clause */
/* Regular files and /dev/null are always ready (epoll cannot watch them: libev treats
 * them as permanently ready), for reading and writing, every iteration. */
#include "scenario.h"
#include <fcntl.h>

static int calls;

static void
cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop;
  ++calls;
  T ("%s revents=0x%x", (const char *)w->data, revents);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  char path[] = "/tmp/ev-compat-file-XXXXXX";
  ev_io f, n;
  int fd, nul;

  fd = mkstemp (path);
  SC_REQUIRE (fd >= 0);
  unlink (path);
  nul = open ("/dev/null", O_RDWR);
  SC_REQUIRE (nul >= 0);

  ev_io_init (&f, cb, fd, EV_READ | EV_WRITE);
  f.data = (void *)"file";
  ev_io_start (loop, &f);
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_stop (loop, &f);
  ev_io_set (&f, fd, EV_READ);
  ev_io_start (loop, &f);
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_stop (loop, &f);

  ev_io_init (&n, cb, nul, EV_WRITE);
  n.data = (void *)"/dev/null";
  ev_io_start (loop, &n);
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  ev_io_stop (loop, &n);
  T ("calls %d", calls);

  close (fd);
  close (nul);
  ev_loop_destroy (loop);
}
