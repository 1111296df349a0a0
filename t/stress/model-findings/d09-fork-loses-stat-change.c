/* SPDX-License-Identifier: BSD-2-Clause */
/* Known difference 9 of t/stress/model.c: a file changes, then ev_loop_fork before the loop
 * noticed (inotify).
 *   libev 4.33:  done                              (the change is never reported)
 *   libev-ng:    stat callback at iteration 2, done
 * Status: better
 * Expect: stat callback at iteration 2
 * Expect: done */
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static void scb (struct ev_loop *l, ev_stat *w, int r) { (void)w, (void)r; printf ("stat callback at iteration %u\n", ev_iteration (l)); }

int
main (void)
{
  const char *path = "/tmp/libev-ng-d09.dat";
  int fd = open (path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  close (fd);
  struct ev_loop *l = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  ev_stat s;
  ev_stat_init (&s, scb, path, 0.);
  ev_stat_start (l, &s);
  ev_run (l, EVRUN_NOWAIT);
  fd = open (path, O_WRONLY | O_APPEND);
  if (write (fd, "x", 1) != 1)
    return 1;
  close (fd);
  ev_loop_fork (l);
  for (int k = 0; k < 3; ++k)
    ev_run (l, EVRUN_NOWAIT);
  printf ("done\n");
  unlink (path);
  return 0;
}
