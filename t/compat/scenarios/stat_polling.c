/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_stat without inotify (EVFLAG_NOINOTIFY): changes are found by the polling timer; a
 * small interval is raised to the minimum (written back to the field); wd
 * stays -2; the polling timer holds no reference. */
#include "scenario.h"
#include <fcntl.h>
#include <sys/stat.h>

static void
cb (struct ev_loop *loop, ev_stat *w, int revents)
{
  T ("stat revents=0x%x nlink %d->%d size %d", revents, (int)w->prev.st_nlink,
     (int)w->attr.st_nlink, w->attr.st_nlink ? (int)w->attr.st_size : -1);
  ev_break (loop, EVBREAK_ONE);
}

static void
timeout_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w;
  (void)revents;
  T ("no change reported within 2 s");
  ev_break (loop, EVBREAK_ONE);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (EVFLAG_NOINOTIFY);
  char dir[64], path[96];
  ev_stat st;
  ev_timer guard;
  int fd;

  snprintf (dir, sizeof dir, "/tmp/ev-compat-stat-XXXXXX");
  SC_REQUIRE (mkdtemp (dir));
  snprintf (path, sizeof path, "%s/file", dir);

  ev_stat_init (&st, cb, path, 0.01);
  ev_stat_start (loop, &st);
  T ("started: interval field %g wd is -2 %d", st.interval, B (st.wd == -2));
  T ("NOWAIT returns %d", ev_run (loop, EVRUN_NOWAIT));
  ev_timer_init (&guard, timeout_cb, 2., 0.);
  ev_timer_start (loop, &guard);

  fd = open (path, O_CREAT | O_WRONLY, 0600);
  SC_REQUIRE (fd >= 0);
  SC_REQUIRE (write (fd, "abc", 3) == 3);
  close (fd);
  T ("-- created with 3 bytes");
  ev_run (loop, 0);
  SC_REQUIRE (unlink (path) == 0);
  T ("-- deleted");
  ev_run (loop, 0);
  T ("wd still -2 %d", B (st.wd == -2));
  ev_timer_stop (loop, &guard);
  ev_stat_stop (loop, &st);
  SC_REQUIRE (rmdir (dir) == 0);
  ev_loop_destroy (loop);
}
