/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_stat with inotify: a path that does not exist yet (watched through its parent
 * directory), its creation, growth, a chmod and its deletion, each reported once with
 * prev/attr; the wd field; the reference an ev_stat holds. */
#include "scenario.h"
#include <fcntl.h>
#include <sys/stat.h>

static char dir[64], path[96];

static void
cb (struct ev_loop *loop, ev_stat *w, int revents)
{
  T ("stat revents=0x%x nlink %d->%d size %d->%d mode changed %d", revents,
     (int)w->prev.st_nlink, (int)w->attr.st_nlink, w->prev.st_nlink ? (int)w->prev.st_size : -1,
     w->attr.st_nlink ? (int)w->attr.st_size : -1,
     B (w->prev.st_nlink && w->attr.st_nlink && w->prev.st_mode != w->attr.st_mode));
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
step (struct ev_loop *loop, ev_timer *guard, const char *what)
{
  T ("-- %s", what);
  ev_timer_again (loop, guard);
  ev_run (loop, 0);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  ev_stat st;
  ev_timer guard;
  int fd;

  snprintf (dir, sizeof dir, "/tmp/ev-compat-stat-XXXXXX");
  SC_REQUIRE (mkdtemp (dir));
  snprintf (path, sizeof path, "%s/file", dir);

  ev_stat_init (&st, cb, path, 0.);
  T ("fresh: wd is -2 %d", B (st.wd == -2));
  ev_stat_start (loop, &st);
  T ("started on a missing path: nlink %d wd >= 0 %d interval %g", (int)st.attr.st_nlink,
     B (st.wd >= 0), st.interval);
  T ("only the stat watcher: NOWAIT returns %d", ev_run (loop, EVRUN_NOWAIT));

  ev_timer_init (&guard, timeout_cb, 0., 2.);
  fd = open (path, O_CREAT | O_WRONLY, 0600);
  SC_REQUIRE (fd >= 0);
  step (loop, &guard, "created");
  SC_REQUIRE (write (fd, "hello", 5) == 5);
  step (loop, &guard, "5 bytes written");
  close (fd);
  SC_REQUIRE (chmod (path, 0644) == 0);
  step (loop, &guard, "chmod");
  SC_REQUIRE (unlink (path) == 0);
  step (loop, &guard, "deleted");
  ev_timer_stop (loop, &guard);

  ev_stat_stop (loop, &st);
  T ("stopped: wd is -2 %d", B (st.wd == -2));
  SC_REQUIRE (rmdir (dir) == 0);
  ev_loop_destroy (loop);
}
