/* SPDX-License-Identifier: BSD-2-Clause */
/* Was known difference 3 of t/stress/model.c: io watchers of one priority on several ready
 * fds, the order of their callbacks per backend.  Both print, for select, ascending fd
 * numbers (libev-ng used to call them in descending order).
 * Status: same */
#include <ev.h>
#include <stdio.h>
#include <unistd.h>

static void cb (struct ev_loop *l, ev_io *w, int r) { (void)l, (void)r; printf (" fd%d", w->fd); }

int
main (void)
{
  static const struct { const char *name; unsigned flag; } be[] = {
    { "select", EVBACKEND_SELECT }, { "poll", EVBACKEND_POLL }, { "epoll", EVBACKEND_EPOLL } };
  for (int b = 0; b < 3; ++b)
    {
      struct ev_loop *l = ev_loop_new (be[b].flag | EVFLAG_NOENV);
      int p[6][2];
      ev_io w[6];
      static const int order[6] = { 3, 0, 5, 1, 4, 2 }; /* started in this order */
      for (int i = 0; i < 6; ++i)
        if (pipe (p[i]))
          return 1;
      for (int k = 0; k < 6; ++k)
        {
          int i = order[k];
          ev_io_init (&w[i], cb, p[i][0], EV_READ);
          ev_io_start (l, &w[i]);
          if (write (p[i][1], "x", 1) != 1)
            return 1;
        }
      printf ("%s:", be[b].name);
      ev_run (l, EVRUN_NOWAIT);
      printf ("\n");
      for (int i = 0; i < 6; ++i)
        ev_io_stop (l, &w[i]), close (p[i][0]), close (p[i][1]);
      ev_loop_destroy (l);
    }
  return 0;
}
