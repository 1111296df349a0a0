/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_stat_stat refreshes attr synchronously, also on a watcher never started; lstat
 * semantics (a symlink's own attributes); start takes a first snapshot, so only later
 * changes are reported; a change that restores the attributes before the loop looks is
 * still reported by inotify only if the attributes differ. */
#include "scenario.h"
#include <fcntl.h>
#include <sys/stat.h>

static int calls;

static void
cb (struct ev_loop *loop, ev_stat *w, int revents)
{
  (void)loop;
  ++calls;
  T ("%s revents=0x%x", (const char *)w->data, revents);
}

static void
scenario (void)
{
  struct ev_loop *loop = sc_loop_new (0);
  char dir[64], file[96], link_[96];
  ev_stat f, l;
  int fd;

  snprintf (dir, sizeof dir, "/tmp/ev-compat-stat-XXXXXX");
  SC_REQUIRE (mkdtemp (dir));
  snprintf (file, sizeof file, "%s/file", dir);
  snprintf (link_, sizeof link_, "%s/link", dir);
  fd = open (file, O_CREAT | O_WRONLY, 0600);
  SC_REQUIRE (fd >= 0 && write (fd, "1234567", 7) == 7);
  close (fd);
  SC_REQUIRE (symlink ("file", link_) == 0);

  ev_stat_init (&f, cb, file, 0.);
  f.data = (void *)"file";
  ev_stat_init (&l, cb, link_, 0.);
  l.data = (void *)"link";
  ev_stat_stat (loop, &f);
  ev_stat_stat (loop, &l);
  T ("unstarted ev_stat_stat: file nlink %d size %d regular %d; link is a symlink %d",
     (int)f.attr.st_nlink, (int)f.attr.st_size, B (S_ISREG (f.attr.st_mode)),
     B (S_ISLNK (l.attr.st_mode)));
  STATE ("file", &f);

  ev_stat_start (loop, &f);
  ev_stat_start (loop, &l);
  T ("started: nothing to report, NOWAIT returns %d", ev_run (loop, EVRUN_NOWAIT));
  T ("calls %d", calls);

  /* the link target grows: only the file watcher sees it (lstat of the link is unchanged) */
  fd = open (file, O_WRONLY | O_APPEND);
  SC_REQUIRE (fd >= 0 && write (fd, "89", 2) == 2);
  close (fd);
  ev_sleep (0.01);
  ev_run (loop, EVRUN_NOWAIT);
  ev_run (loop, EVRUN_NOWAIT);
  T ("after the append: calls %d, file size %d", calls, (int)f.attr.st_size);

  ev_stat_stop (loop, &f);
  ev_stat_stop (loop, &l);
  unlink (link_);
  unlink (file);
  SC_REQUIRE (rmdir (dir) == 0);
  ev_loop_destroy (loop);
}
