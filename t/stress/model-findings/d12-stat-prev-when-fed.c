/* SPDX-License-Identifier: BSD-2-Clause */
/* Was known difference 12 of t/stress/model.c (a libev-ng defect): an ev_stat watcher that is
 * pending (fed by a check watcher of higher priority) when the change of its file is found.
 * Both print
 *   stat cb 0x1001: attr size 5 nlink 1, prev size 3 nlink 1
 * (libev-ng used to leave prev at size 0 nlink 0.)
 * Status: same */
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static ev_stat s;

static void
scb (struct ev_loop *l, ev_stat *w, int r)
{
  (void)l;
  printf ("stat cb %#x: attr size %ld nlink %ld, prev size %ld nlink %ld\n", r, (long)w->attr.st_size,
          (long)w->attr.st_nlink, (long)w->prev.st_size, (long)w->prev.st_nlink);
}

static void
ccb (struct ev_loop *l, ev_check *w, int r)
{
  (void)r;
  ev_feed_event (l, &s, EV_READ);
  ev_check_stop (l, w);
}

int
main (void)
{
  const char *path = "/tmp/libev-ng-d12.dat";
  int fd = open (path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (write (fd, "abc", 3) != 3)
    return 1;
  close (fd);
  struct ev_loop *l = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  ev_check c;
  ev_check_init (&c, ccb);
  ev_set_priority (&c, 2);
  ev_check_start (l, &c);
  ev_stat_init (&s, scb, path, 0.);
  ev_stat_start (l, &s);
  for (int i = 0; i < 2; ++i)
    {
      fd = open (path, O_WRONLY | O_APPEND);
      if (write (fd, "x", 1) != 1)
        return 1;
      close (fd);
    }
  ev_run (l, EVRUN_NOWAIT);
  unlink (path);
  return 0;
}
