/* SPDX-License-Identifier: BSD-2-Clause */
/* Was known difference 1 of t/stress/model.c: idle watchers in the iteration after an ev_stat
 * watcher (inotify) reported a change.  Both print
 *   idle@1 stat@2 idle@4     (nothing at all in iteration 3)
 * libev 4.33 reads the inotify fd once per iteration (287 bytes) and watches the file anew
 * after a change, so the old watch's IN_IGNORED keeps the inotify fd readable in iteration 3:
 * an internal watcher pending there keeps the idle watchers from being queued.  libev-ng
 * used to run them; it now reads and re-watches as libev does (watchers/stat.cc).
 * Status: same */
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static void icb (struct ev_loop *l, ev_idle *w, int r) { (void)w, (void)r; printf (" idle@%u", ev_iteration (l)); }
static void scb (struct ev_loop *l, ev_stat *w, int r) { (void)w, (void)r; printf (" stat@%u", ev_iteration (l)); }

int
main (void)
{
  const char *path = "/tmp/libev-ng-d01.dat";
  int fd = open (path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  close (fd);
  struct ev_loop *l = ev_loop_new (EVBACKEND_POLL | EVFLAG_NOENV);
  ev_stat s;
  ev_stat_init (&s, scb, path, 0.);
  ev_stat_start (l, &s);
  ev_idle i;
  ev_idle_init (&i, icb);
  ev_idle_start (l, &i);
  ev_run (l, EVRUN_NOWAIT);
  fd = open (path, O_WRONLY | O_APPEND);
  if (write (fd, "y", 1) != 1)
    return 1;
  close (fd);
  for (int k = 0; k < 3; ++k)
    ev_run (l, EVRUN_NOWAIT);
  printf ("\n");
  unlink (path);
  return 0;
}
