/* SPDX-License-Identifier: BSD-2-Clause */
/* t/observe/slow_plugin.c - a plugin that t/observe/slow_program.c loads with dlopen (3)
 * after its loop, and the watchdog's helper, are made: the watchdog must name the plugin's
 * static callback all the same (t/observe/watchdog.sh). */
#include <ev.h>
#include <time.h>

static void
plugin_slow_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  struct timespec ts = { 0, 300 * 1000000L };
  (void)loop, (void)w, (void)revents;
  while (nanosleep (&ts, &ts))
    ;
}

typedef void (*timer_cb) (struct ev_loop *, ev_timer *, int);

timer_cb
slow_plugin_callback (void)
{
  return plugin_slow_cb;
}
