/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/glib-loop.c - libev inside a GLib main loop, on one thread: GLib
 * runs the loop, libev does the waiting, and both libraries' watchers and
 * sources fire on time.
 *
 *   usage: glib-loop [-n N] [-e SECONDS] [-g SECONDS]
 *
 * Four event sources, two per library, each talking to the other:
 *   libev  ev_timer every -e seconds (default 0.05), writes a byte into pipe B
 *   libev  ev_io on pipe A, written by GLib's timeout
 *   GLib   g_timeout_add every -g seconds (default 0.5), writes a byte into pipe A
 *   GLib   g_unix_fd_add on pipe B, written by libev's timer
 * After N events of each (default 5) the program calls g_main_loop_quit and
 * prints a summary, including how late libev's timer was at worst.  SIGINT
 * and SIGTERM (libev signal watchers) quit early.  Exit status 0, 1 if not
 * every source got its N events, 64 on a usage error.
 *
 * Build (not part of the libev build: it needs GLib):
 *   cc -std=c11 -I. examples/glib-loop.c $(pkg-config --cflags --libs glib-2.0) -lev
 *
 * ---- How to put libev into someone else's loop -----------------------------
 *
 * Two loops cannot both block in the kernel on one thread: one of them must
 * do the waiting for both, and learn from the other what to wait for.  ev(3)
 * lists the ways (the "Examples" of "ev_prepare and ev_check" in libev's
 * manual, "Method 1" to "Method 4"):
 *
 * a) Let GLib wait on libev's backend descriptor (an epoll descriptor is
 *    readable when one of the descriptors registered in it is ready).  Not
 *    possible with the libev API: no function returns the backend
 *    descriptor; only ev_embed uses it, between two libev loops, and only
 *    for backends in ev_embeddable_backends() (epoll: select and poll have
 *    no descriptor at all).  It would not be enough anyway: libev's timers
 *    live in a heap in user space, not in the kernel, so the descriptor
 *    never becomes readable when a timer is due, and libev does not export
 *    its next deadline either.  Its timers would fire only when some other
 *    event happened to wake GLib up: late, by up to GLib's longest sleep.
 *    ev(3) (ev_embed) says the same of embedded loops: only their ev_io
 *    watchers are served reliably.
 *
 * b) Let libev drive and treat GLib as a foreign library (ev(3), ev_prepare
 *    and ev_check, Method 1; the Perl module EV::Glib): an ev_prepare
 *    callback asks GLib (g_main_context_prepare/query) for its descriptors
 *    and timeout and starts matching ev_io and ev_timer watchers, an
 *    ev_check callback stops them and lets GLib check and dispatch.  Sound,
 *    but the main loop is then ev_run: code that runs g_main_loop_run
 *    itself (a toolkit's main function, a modal dialog's nested loop)
 *    would wait without libev.
 *
 * c) Let GLib drive and libev wait (ev(3) Method 4; the Perl module
 *    Glib::EV): GLib lets a program replace the poll() it blocks in, with
 *    g_main_context_set_poll_func.  Ours hands GLib's descriptors and
 *    timeout to libev as ev_io and ev_timer watchers and blocks in
 *    ev_run (EVRUN_ONCE).  libev computes how long to block from all of its
 *    watchers, its own timers included, so those fire on time; its
 *    callbacks run inside that call; any backend works, no embedding is
 *    involved.  GLib keeps its whole API, nested loops included.
 *
 * This program does (c): GLib owns the loop (the demo asks for
 * g_main_loop_quit), and it is the simplest: one function.  The cost, as
 * ev(3) warns, is that libev no longer controls the loop: ev_run is only
 * ever called from inside GLib's poll step, for one iteration, so ev_break
 * and an ev_run returning when libev has nothing left to do do not end
 * anything; ending is g_main_loop_quit's job.
 */
#define _POSIX_C_SOURCE 200809L

#include <ev.h>
#include <glib.h>
#include <glib-unix.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct ev_loop *loop;
static GMainLoop *main_loop;

/* ---- GLib's poll step, done by libev ------------------------------------------ */

static ev_io *glib_fds;          /* one per GPollFD of the current poll step */
static guint glib_fds_allocated;
static ev_timer glib_timeout;    /* GLib's timeout for this poll step */

/* Neither callback has anything to do: their events merely end the
 * ev_run (EVRUN_ONCE) in poll_with_libev, which then asks poll() what
 * exactly happened. */
static void
on_glib_fd (struct ev_loop *l, ev_io *w, int revents)
{
  (void) l;
  (void) w;
  (void) revents;
}

static void
on_glib_timeout (struct ev_loop *l, ev_timer *w, int revents)
{
  (void) l;
  (void) w;
  (void) revents;
}

/* GLib calls this instead of poll() in each iteration of its loop, with the
 * descriptors its sources watch (always including its own wake-up
 * descriptor) and a timeout in milliseconds (-1: none, 0: do not block).
 * It must fill in revents and return the number of ready descriptors, like
 * poll().  GLib releases its context lock around the call, so libev
 * callbacks may use GLib (add sources, g_main_loop_quit) freely. */
static gint
poll_with_libev (GPollFD *fds, guint nfds, gint timeout)
{
  if (nfds > glib_fds_allocated)
    {
      /* Resizing moves the watchers: allowed, since they are all stopped
       * between two calls.  g_renew aborts when out of memory. */
      glib_fds = g_renew (ev_io, glib_fds, nfds);
      for (guint i = glib_fds_allocated; i < nfds; i++)
        ev_init (&glib_fds[i], on_glib_fd);
      glib_fds_allocated = nfds;
    }

  for (guint i = 0; i < nfds; i++)
    {
      /* libev only knows readable and writable.  Error and hang-up
       * conditions make a descriptor readable and writable, so they wake us
       * too, and poll() below reports them exactly.  (A descriptor watched
       * for nothing but G_IO_ERR/G_IO_HUP, or for G_IO_PRI, cannot be
       * waited for this way; its conditions are still reported whenever
       * something else wakes us.) */
      int events = (fds[i].events & G_IO_IN ? EV_READ : 0) | (fds[i].events & G_IO_OUT ? EV_WRITE : 0);
      fds[i].revents = 0;
      if (events && fds[i].fd >= 0)
        {
          ev_io_set (&glib_fds[i], fds[i].fd, events);
          ev_io_start (loop, &glib_fds[i]);
        }
    }
  if (timeout > 0)
    {
      ev_timer_set (&glib_timeout, timeout * 1e-3, 0.);
      ev_timer_start (loop, &glib_timeout);
    }

  /* The wait.  It ends when a GLib descriptor is ready, when GLib's
   * timeout expires, or after any libev watcher fired: its callback runs
   * right here.  A zero timeout means GLib has work pending: let libev
   * handle whatever is ready, without blocking. */
  ev_run (loop, timeout == 0 ? EVRUN_NOWAIT : EVRUN_ONCE);

  /* Stop the watchers again: GLib may close any of these descriptors
   * before its next poll step (a source removed by a callback), and a
   * watcher must never outlive its descriptor.  Keeping a watcher running
   * because the next step lists the same number would be wrong: the number
   * may by then belong to a new file that the kernel's epoll set knows
   * nothing about (ev(3), ev_io: "The special problem of disappearing file
   * descriptors"; libev-ng's ev(3): "Reused, duplicated and closed
   * descriptors").  libev takes every ev_io_set as "possibly a new
   * descriptor" and registers it with the kernel again: one epoll_ctl per
   * descriptor and poll step, cheap for GLib's handful of descriptors. */
  ev_timer_stop (loop, &glib_timeout);
  for (guint i = 0; i < nfds; i++)
    ev_io_stop (loop, &glib_fds[i]);

  /* libev said *when* to look; poll() says exactly *what* happened
   * (G_IO_HUP, G_IO_ERR, G_IO_NVAL included), without blocking. */
  return nfds ? g_poll (fds, nfds, 0) : 0;
}

/* ---- the demo ------------------------------------------------------------------ */

static unsigned n_wanted = 5;
static double ev_interval = 0.05, glib_interval = 0.5;

static unsigned ev_ticks, ev_reads, glib_ticks, glib_reads;
static double t0;                /* when the timers were started */
static double max_lateness;      /* of libev's timer */
static int pipe_a[2], pipe_b[2]; /* A: GLib -> libev, B: libev -> GLib */

static ev_timer ev_tick;
static ev_io ev_pipe;
static ev_signal on_sigint, on_sigterm;

static double
since_start (void)
{
  return ev_time () - t0;
}

static void
quit_if_done (void)
{
  if (ev_ticks >= n_wanted && ev_reads >= n_wanted && glib_ticks >= n_wanted && glib_reads >= n_wanted)
    g_main_loop_quit (main_loop);
}

static void
poke (int fd)
{
  /* a pipe holds far more than the few bytes in flight here */
  if (write (fd, "x", 1) != 1)
    perror ("glib-loop: write");
}

/* A byte (or more) from the pipe; returns how many, 0 if none. */
static unsigned
drain (int fd)
{
  char buf[64];
  ssize_t n = read (fd, buf, sizeof buf);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    perror ("glib-loop: read");
  return n > 0 ? (unsigned) n : 0;
}

static void
on_ev_tick (struct ev_loop *l, ev_timer *w, int revents)
{
  (void) revents;
  ev_ticks++;
  /* A repeating timer is scheduled from its previous deadline, not from
   * when its callback ran: tick k is due at t0 + k * interval. */
  double late = ev_time () - (t0 + ev_ticks * ev_interval);
  if (late > max_lateness)
    max_lateness = late;
  printf ("glib-loop: [%6.3f] libev timer %u (%.1f ms late)\n", since_start (), ev_ticks, late * 1e3);
  poke (pipe_b[1]);
  if (ev_ticks == n_wanted)
    ev_timer_stop (l, w);
  quit_if_done ();
}

static void
on_ev_pipe (struct ev_loop *l, ev_io *w, int revents)
{
  (void) revents;
  unsigned got = drain (w->fd);
  for (unsigned i = 0; i < got; i++)
    printf ("glib-loop: [%6.3f] libev io %u\n", since_start (), ++ev_reads);
  if (ev_reads >= n_wanted)
    ev_io_stop (l, w);
  quit_if_done ();
}

static gboolean
on_glib_tick (gpointer data)
{
  (void) data;
  glib_ticks++;
  printf ("glib-loop: [%6.3f] glib timeout %u\n", since_start (), glib_ticks);
  poke (pipe_a[1]);
  quit_if_done ();
  return glib_ticks < n_wanted ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
on_glib_pipe (gint fd, GIOCondition condition, gpointer data)
{
  (void) condition;
  (void) data;
  unsigned got = drain (fd);
  for (unsigned i = 0; i < got; i++)
    printf ("glib-loop: [%6.3f] glib fd %u\n", since_start (), ++glib_reads);
  quit_if_done ();
  return glib_reads < n_wanted ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
on_signal (struct ev_loop *l, ev_signal *w, int revents)
{
  (void) l;
  (void) revents;
  printf ("glib-loop: caught signal %d, quitting\n", w->signum);
  g_main_loop_quit (main_loop);
}

static int
parse_seconds (const char *arg, double *out)
{
  char *end;
  double v = strtod (arg, &end);
  if (end == arg || *end || !(v >= 0.001 && v <= 3600.))
    return -1;
  *out = v;
  return 0;
}

static int
usage (const char *argv0)
{
  fprintf (stderr,
           "usage: %s [-n N] [-e SECONDS] [-g SECONDS]\n"
           "  -n N        events of each kind before quitting (default 5)\n"
           "  -e SECONDS  interval of the libev timer (default 0.05)\n"
           "  -g SECONDS  interval of the GLib timeout (default 0.5)\n",
           argv0);
  return 64;
}

int
main (int argc, char **argv)
{
  int opt;
  while ((opt = getopt (argc, argv, "n:e:g:")) != -1)
    {
      char *end;
      unsigned long n;
      switch (opt)
        {
        case 'n':
          errno = 0;
          n = strtoul (optarg, &end, 10);
          if (errno || end == optarg || *end || optarg[0] == '-' || n < 1 || n > 10000)
            return usage (argv[0]);
          n_wanted = (unsigned) n;
          break;
        case 'e':
          if (parse_seconds (optarg, &ev_interval) < 0)
            return usage (argv[0]);
          break;
        case 'g':
          if (parse_seconds (optarg, &glib_interval) < 0)
            return usage (argv[0]);
          break;
        default:
          return usage (argv[0]);
        }
    }
  if (optind != argc)
    return usage (argv[0]);

  setvbuf (stdout, NULL, _IOLBF, 0);
  if (pipe (pipe_a) < 0 || pipe (pipe_b) < 0)
    {
      perror ("glib-loop: pipe");
      return 1;
    }
  for (int i = 0; i < 2; i++)
    {
      fcntl (pipe_a[i], F_SETFL, fcntl (pipe_a[i], F_GETFL) | O_NONBLOCK);
      fcntl (pipe_b[i], F_SETFL, fcntl (pipe_b[i], F_GETFL) | O_NONBLOCK);
    }

  loop = EV_DEFAULT;
  /* From now on GLib's default context waits through libev (NULL: the
   * default context, the one g_main_loop_new (NULL, ...) runs). */
  g_main_context_set_poll_func (NULL, poll_with_libev);
  ev_init (&glib_timeout, on_glib_timeout);
  main_loop = g_main_loop_new (NULL, FALSE);

  /* libev's side */
  ev_io_init (&ev_pipe, on_ev_pipe, pipe_a[0], EV_READ);
  ev_io_start (loop, &ev_pipe);
  ev_signal_init (&on_sigint, on_signal, SIGINT);
  ev_signal_start (loop, &on_sigint);
  ev_signal_init (&on_sigterm, on_signal, SIGTERM);
  ev_signal_start (loop, &on_sigterm);

  /* GLib's side */
  g_timeout_add ((guint) (glib_interval * 1000. + 0.5), on_glib_tick, NULL);
  g_unix_fd_add (pipe_b[0], G_IO_IN, on_glib_pipe, NULL);

  /* The loop time is that of libev's last wake-up (here: when the loop was
   * created); refresh it so that the timer counts from now. */
  ev_now_update (loop);
  t0 = ev_now (loop);
  ev_timer_init (&ev_tick, on_ev_tick, ev_interval, ev_interval);
  ev_timer_start (loop, &ev_tick);

  g_main_loop_run (main_loop);         /* GLib's loop; libev waits inside it */

  printf ("glib-loop: libev timer %u, libev io %u, glib timeout %u, glib fd %u in %.3f s; "
          "libev timer at most %.1f ms late\n",
          ev_ticks, ev_reads, glib_ticks, glib_reads, since_start (), max_lateness * 1e3);
  int ok = ev_ticks >= n_wanted && ev_reads >= n_wanted && glib_ticks >= n_wanted && glib_reads >= n_wanted;

  /* Tidy up in the reverse order: libev's watchers, GLib's loop, then the
   * poll function (NULL: GLib's own again), and only then the libev loop. */
  ev_timer_stop (loop, &ev_tick);
  ev_io_stop (loop, &ev_pipe);
  ev_signal_stop (loop, &on_sigint);
  ev_signal_stop (loop, &on_sigterm);
  g_main_loop_unref (main_loop);
  g_main_context_set_poll_func (NULL, NULL);
  ev_loop_destroy (loop);
  g_free (glib_fds);
  return ok ? 0 : 1;
}
