/* SPDX-License-Identifier: BSD-2-Clause */
/* t/embed/prog.c - a C program that compiles libev-ng's core into itself (t/embed/kit.sh):
 * an io watcher on a pipe and two timers, written with ev(3)'s MACRO MAGIC so that the same
 * source works with and without EV_MULTIPLICITY, for every configuration of the test; then
 * a function handed to the loop with ev_ng_post, which must run in configurations without
 * ev_async too, since posts wake the loop through the async flag. */
#include <ev.h>
#include <stdio.h>
#include <unistd.h>

static int order[4], n;
static int fds[2];
static ev_tstamp started, read_at; /* the loop's time before the timers start, and in io_cb */

static void
io_cb (EV_P_ ev_io *w, int revents)
{
  char c;
  read_at = ev_now (EV_A);
  if (read (w->fd, &c, 1) == 1 && (revents & EV_READ))
    order[n++] = 'r';
  ev_io_stop (EV_A_ w);
}

static void
timer_cb (EV_P_ ev_timer *w, int revents)
{
  (void)revents;
  order[n++] = w->repeat ? 'R' : 't';
  if (w->repeat)
    ev_timer_stop (EV_A_ w);
  else if (write (fds[1], "x", 1) != 1)
    order[n++] = '!';
}

static int posted;

static void
posted_cb (EV_P_ void *arg)
{
#if EV_MULTIPLICITY
  (void)EV_A;
#endif
  *(int *)arg += 1;
}

int
main (void)
{
  ev_io io;
  ev_timer once, rep;

  if (pipe (fds))
    return 2;
#if EV_MULTIPLICITY
  struct ev_loop *loop = ev_default_loop (0);
  if (!loop)
    return 3;
#else
  if (!ev_default_loop (0))
    return 3;
#endif
  ev_io_init (&io, io_cb, fds[0], EV_READ);
  ev_io_start (EV_A_ &io);
  started = ev_now (EV_A);
  ev_timer_init (&once, timer_cb, 0.001, 0.);
  ev_timer_start (EV_A_ &once);
  ev_timer_init (&rep, timer_cb, 0.02, 0.02);
  ev_timer_start (EV_A_ &rep);
  ev_run (EV_A_ 0);
  /* from the loop's own thread: no wake-up write, the iteration finds the flag */
  if (ev_ng_post_enable (EV_A) || ev_ng_post (EV_A_ posted_cb, &posted))
    return 5;
  ev_run (EV_A_ EVRUN_NOWAIT);
  int posted_in_run = posted; /* before ev_loop_destroy, which would run it too */
  ev_loop_destroy (EV_DEFAULT_UC);
  if (posted_in_run != 1 || posted != 1)
    {
      printf ("embed: ev_ng_post's function ran %d times in ev_run, %d in all\n", posted_in_run, posted);
      return 1;
    }
  if (n != 3 || order[0] != 't' || order[1] != 'r' || order[2] != 'R')
    {
      /* the read's iteration came after the 20 ms timer was due (a loaded machine held the
       * program up): both were due together, and their order proves nothing (kit.sh runs
       * the program again) */
      if (n == 3 && order[0] == 't' && read_at >= started + 0.02)
        {
          printf ("embed: too late to tell (the read came %.3f s after the start)\n", read_at - started);
          return 4;
        }
      printf ("embed: wrong order (%d events)\n", n);
      return 1;
    }
  printf ("embed: ok, backend %u\n", ev_supported_backends ());
  return 0;
}
