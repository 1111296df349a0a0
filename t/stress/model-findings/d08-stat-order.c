/* SPDX-License-Identifier: BSD-2-Clause */
/* Was known difference 8 of t/stress/model.c: three ev_stat watchers of one file in one loop
 * (inotify), one change: the order of their callbacks.  Both print
 *   called: first second third   (start order, as for io watchers of one fd)
 * (libev-ng used to print them in reverse.  After every further change the order flips in
 * both: each watcher that saw the change gets a watch anew, at the head of its list.)
 * Status: same */
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static void scb (struct ev_loop *l, ev_stat *w, int r) { (void)l, (void)r; printf (" %s", (const char *)w->data); }

int
main (void)
{
  const char *path = "/tmp/libev-ng-d08.dat";
  int fd = open (path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  close (fd);
  struct ev_loop *l = ev_loop_new (EVBACKEND_EPOLL | EVFLAG_NOENV);
  ev_stat s[3];
  static const char *names[3] = { "first", "second", "third" };
  for (int i = 0; i < 3; ++i)
    {
      ev_stat_init (&s[i], scb, path, 0.);
      s[i].data = (void *)names[i];
      ev_stat_start (l, &s[i]);
    }
  ev_run (l, EVRUN_NOWAIT);
  fd = open (path, O_WRONLY | O_APPEND);
  if (write (fd, "x", 1) != 1)
    return 1;
  close (fd);
  printf ("called:");
  ev_run (l, EVRUN_NOWAIT);
  printf ("\n");
  unlink (path);
  return 0;
}
