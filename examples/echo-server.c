/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/echo-server.c - a TCP echo server on one libev loop.
 *
 *   usage: echo-server [PORT]
 *
 * Listens on 127.0.0.1:PORT (default 0: any free port, printed at start),
 * sends every byte each client sends back to it, and shuts down cleanly on
 * SIGINT or SIGTERM, printing what it served.  Try it:
 *
 *   $ examples/echo-server 7000 &
 *   $ nc 127.0.0.1 7000            (type lines, they come back)
 *   $ kill %1
 *
 * What to read here: the accept watcher, the signal watchers, and how the
 * loop ends by itself once no watcher is left.  The per-connection reading
 * and writing is in echo-conn.c.
 */
#define _POSIX_C_SOURCE 200809L

#include "echo-conn.h"
#include "tcp.h"

#include <ev.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static ev_io listener;                /* EV_READ on the listening socket: a client is waiting */
static ev_timer accept_pause;         /* out of descriptors: try accepting again later */
static ev_signal on_sigint, on_sigterm;
static struct echo_conns conns;       /* every open connection, to close them at shutdown */

static void
on_connection (struct ev_loop *loop, ev_io *w, int revents)
{
  (void) revents;

  /* Accept everything that is waiting, until accept() says EAGAIN: cheaper
   * than one loop iteration per client under a burst of connections. */
  for (;;)
    {
      int fd = accept (w->fd, NULL, NULL);
      if (fd >= 0)
        {
          echo_conn_start (loop, &conns, fd);
          continue;
        }
      if (errno == EINTR || errno == ECONNABORTED)
        continue;                      /* the client gave up already: next one */
      if (errno == EMFILE || errno == ENFILE)
        {
          /* The waiting client stays in the queue, so the listener stays
           * readable: without a pause this level-triggered watcher would
           * spin at 100% CPU until a descriptor is free.  Stop it and let a
           * one-shot timer start it again. */
          fprintf (stderr, "echo-server: accept: %s, pausing\n", strerror (errno));
          ev_io_stop (loop, w);
          /* Set the delay every time: once a one-shot timer fired, its
           * "after" is used up, and restarting it as is would fire at once. */
          ev_timer_set (&accept_pause, 0.1, 0.);
          ev_timer_start (loop, &accept_pause);
        }
      else if (errno != EAGAIN && errno != EWOULDBLOCK)
        perror ("echo-server: accept");
      return;
    }
}

static void
on_accept_pause_over (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void) w;
  (void) revents;
  ev_io_start (loop, &listener);       /* a non-repeating timer stops by itself */
}

static void
on_signal (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void) revents;
  printf ("echo-server: caught signal %d, shutting down\n", w->signum);

  /* Stop every watcher: once none is active, ev_run() returns by itself.
   * (ev_break would return too, but then a forgotten watcher would go
   * unnoticed; this way the loop only ends when everything is clean.) */
  ev_io_stop (loop, &listener);
  ev_timer_stop (loop, &accept_pause);
  close (listener.fd);
  echo_conns_close_all (loop, &conns);
  ev_signal_stop (loop, &on_sigint);
  ev_signal_stop (loop, &on_sigterm);
}

int
main (int argc, char **argv)
{
  unsigned port = 0, bound_port;
  if (argc > 2 || (argc == 2 && tcp_parse_port (argv[1], &port) < 0))
    {
      fprintf (stderr, "usage: %s [PORT]    (0 or nothing: any free port)\n", argv[0]);
      return 64;
    }

  int fd = tcp_listen_loopback (port, &bound_port);
  if (fd < 0)
    return 1;

  /* The default loop: the one loop of a single-threaded program, and the
   * only one that can also watch child processes. */
  struct ev_loop *loop = EV_DEFAULT;

  /* init = set the callback and what to watch; start = hand the watcher to
   * the loop.  Nothing happens until ev_run(). */
  ev_io_init (&listener, on_connection, fd, EV_READ);
  ev_io_start (loop, &listener);
  ev_timer_init (&accept_pause, on_accept_pause_over, 0.1, 0.);   /* started on EMFILE only */

  /* A signal watcher turns the asynchronous signal into an ordinary
   * callback run by the loop, where calling anything (printf, close, free)
   * is safe, unlike in a raw signal handler. */
  ev_signal_init (&on_sigint, on_signal, SIGINT);
  ev_signal_start (loop, &on_sigint);
  ev_signal_init (&on_sigterm, on_signal, SIGTERM);
  ev_signal_start (loop, &on_sigterm);

  printf ("echo-server: listening on 127.0.0.1:%u\n", bound_port);
  fflush (stdout);                     /* whoever started us waits for this line */

  ev_run (loop, 0);                    /* until on_signal stopped every watcher */

  printf ("echo-server: served %lu connections, echoed %llu bytes\n",
          conns.accepted, conns.echoed);
  ev_loop_destroy (loop);              /* not required at exit, but keeps valgrind quiet */
  return 0;
}
