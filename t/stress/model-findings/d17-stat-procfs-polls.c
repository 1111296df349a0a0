/* SPDX-License-Identifier: BSD-2-Clause */
/* ev_stat of a path on a filesystem libev does not know as local (procfs, sysfs): does the
 * watcher start an internal polling timer?  Seen in the heap index of the next timer.  Both
 * print
 *   /proc/self: timer active=4; /sys: timer active=4; /tmp: 3
 * (libev-ng used to poll only known remote filesystems: 3 everywhere.)
 * Status: same */
#include <ev.h>
#include <stdio.h>

static void scb (struct ev_loop *l, ev_stat *w, int r) { (void)l, (void)w, (void)r; }
static void tcb (struct ev_loop *l, ev_timer *w, int r) { (void)l, (void)w, (void)r; }

int
main (void)
{
  static const char *paths[] = { "/proc/self", "/sys", "/tmp" };
  for (int i = 0; i < 3; ++i)
    {
      struct ev_loop *l = ev_loop_new (EVBACKEND_POLL | EVFLAG_NOENV);
      ev_stat s;
      ev_stat_init (&s, scb, paths[i], 0.);
      ev_stat_start (l, &s);
      ev_timer t;
      ev_timer_init (&t, tcb, 100., 0.);
      ev_timer_start (l, &t);
      printf ("%s: timer active=%d\n", paths[i], ev_is_active (&t));
      ev_timer_stop (l, &t);
      ev_stat_stop (l, &s);
      ev_loop_destroy (l);
    }
  return 0;
}
