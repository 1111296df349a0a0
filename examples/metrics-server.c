/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/metrics-server.c - an echo server that exports its loop's metrics
 * (libev-ng extension EVFLAG_NG_METRICS) in the Prometheus text format.
 *
 *   usage: metrics-server [PORT [METRICS_PORT]]
 *
 * Echoes on 127.0.0.1:PORT (the connections of echo-conn.c) and answers
 * "GET /metrics" on 127.0.0.1:METRICS_PORT (0 or nothing: any free port; both
 * are printed at start) with what the loop measured: iterations, time blocked
 * in the kernel, time in callbacks per priority, events per poll, timer lag.
 * "GET /metrics?reset" answers, then starts the counts again.  Try it:
 *
 *   $ examples/metrics-server 7000 9100 &
 *   $ examples/echo-client 7000 10 100000
 *   $ curl -s 127.0.0.1:9100/metrics
 *
 * What to read here: ev_metrics_get with its size member (a program built
 * with this header keeps working when later releases append members), and
 * how to keep the extension optional: built against libev 4.33's ev.h this
 * program still compiles (EV_NG_FEATURE_METRICS is not defined there) and
 * serves the echo port, with a metrics page that says so.
 */
#define _POSIX_C_SOURCE 200809L

#include "echo-conn.h"
#include "tcp.h"

#include <ev.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define REQUEST_MAX 2048               /* a scraper's request fits many times */
#define RESPONSE_MAX 8192
#define SCRAPE_TIMEOUT 5.              /* seconds a metrics client may take */

/* One metrics request: read it, write the answer, close. */
struct scrape
{
  ev_io io;                            /* EV_READ, then EV_WRITE */
  ev_timer timeout;                    /* a silent client is closed */
  char buf[RESPONSE_MAX];              /* the request, then the response */
  size_t len, sent;
  int reset;                           /* "?reset": reset the counts once answered */
};

static ev_io echo_listener, metrics_listener;
static ev_signal on_sigint, on_sigterm;
static struct echo_conns conns;
static unsigned long scrapes_open;

static size_t
append (char *buf, size_t len, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

static size_t
append (char *buf, size_t len, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (buf + len, RESPONSE_MAX - len, fmt, ap);
  va_end (ap);
  if (n < 0 || (size_t) n >= RESPONSE_MAX - len)
    return RESPONSE_MAX - 1;           /* truncated; the page is far smaller */
  return len + (size_t) n;
}

/* The body: one line per value, with the # HELP and # TYPE lines scrapers use. */
static size_t
metrics_body (struct ev_loop *loop, char *b)
{
  size_t n = 0;
  n = append (b, n, "# HELP echo_connections_total Echo connections accepted.\n"
                    "# TYPE echo_connections_total counter\n"
                    "echo_connections_total %lu\n"
                    "# HELP echo_bytes_total Bytes echoed back.\n"
                    "# TYPE echo_bytes_total counter\n"
                    "echo_bytes_total %llu\n",
              conns.accepted, conns.echoed);
#ifdef EV_NG_FEATURE_METRICS
  /* size in: what this program knows; out: what the library filled.  A newer
   * library appends members and fills no more than we asked for. */
  struct ev_metrics m = { .size = sizeof m };
  if (ev_metrics_get (loop, &m) != 0)
    return append (b, n, "# the loop's metrics are off\n");
  n = append (b, n, "# HELP libev_elapsed_seconds Time since the counts started.\n"
                    "# TYPE libev_elapsed_seconds gauge\n"
                    "libev_elapsed_seconds %.6f\n"
                    "# HELP libev_iterations_total Loop iterations (polls).\n"
                    "# TYPE libev_iterations_total counter\n"
                    "libev_iterations_total %lu\n"
                    "# HELP libev_blocked_seconds_total Time waiting in the kernel for events.\n"
                    "# TYPE libev_blocked_seconds_total counter\n"
                    "libev_blocked_seconds_total %.6f\n",
              m.elapsed, m.iterations, m.time_blocked);
  n = append (b, n, "# HELP libev_callback_seconds_total Time in callbacks, per watcher priority.\n"
                    "# TYPE libev_callback_seconds_total counter\n");
  for (int i = 0; i < EV_METRICS_PRIORITIES; i++)
    n = append (b, n, "libev_callback_seconds_total{priority=\"%d\"} %.6f\n",
                i + EV_MINPRI, m.time_callbacks[i]);
  n = append (b, n, "# HELP libev_poll_events_total Watcher events the polls reported.\n"
                    "# TYPE libev_poll_events_total counter\n"
                    "libev_poll_events_total %lu\n"
                    "# HELP libev_poll_events_max Most events one poll reported.\n"
                    "# TYPE libev_poll_events_max gauge\n"
                    "libev_poll_events_max %lu\n"
                    "# HELP libev_pending_max Most watchers pending at once.\n"
                    "# TYPE libev_pending_max gauge\n"
                    "libev_pending_max %lu\n"
                    "# HELP libev_timer_lag_seconds How late the loop came back to due timers.\n"
                    "# TYPE libev_timer_lag_seconds summary\n"
                    "libev_timer_lag_seconds_sum %.6f\n"
                    "libev_timer_lag_seconds_count %lu\n"
                    "# HELP libev_timer_lag_seconds_max The latest the loop came back to a due timer.\n"
                    "# TYPE libev_timer_lag_seconds_max gauge\n"
                    "libev_timer_lag_seconds_max %.6f\n",
              m.poll_events, m.poll_events_max, m.pending_max,
              m.lag_total, m.lag_count, m.lag_max);
#else
  (void) loop;
  n = append (b, n, "# built against a libev without metrics (a libev-ng extension)\n");
#endif
  return n;
}

static void
scrape_close (struct ev_loop *loop, struct scrape *s)
{
  /* Stop before close and free: an active watcher must never be freed (in
   * debug mode libev-ng would report it; see examples/debug-misuse.c). */
  ev_io_stop (loop, &s->io);
  ev_timer_stop (loop, &s->timeout);
  close (s->io.fd);
  free (s);
  scrapes_open--;
}

static void
on_scrape_timeout (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void) revents;
  scrape_close (loop, (struct scrape *) ((char *) w - offsetof (struct scrape, timeout)));
}

static void
on_scrape_writable (struct ev_loop *loop, ev_io *w, int revents)
{
  (void) revents;
  struct scrape *s = (struct scrape *) w;  /* io is the first member */
  ssize_t n = write (w->fd, s->buf + s->sent, s->len - s->sent);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;                            /* the watcher fires again */
  if (n > 0 && (s->sent += (size_t) n) < s->len)
    return;
#ifdef EV_NG_FEATURE_METRICS
  if (s->reset && n > 0)
    ev_metrics_reset (loop);           /* after the answer: a reset never loses a scrape */
#endif
  scrape_close (loop, s);              /* all sent, or the client went away */
}

static void
on_scrape_readable (struct ev_loop *loop, ev_io *w, int revents)
{
  (void) revents;
  struct scrape *s = (struct scrape *) w;
  ssize_t n = read (w->fd, s->buf + s->len, REQUEST_MAX - 1 - s->len);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;
  if (n <= 0)
    {
      scrape_close (loop, s);
      return;
    }
  s->len += (size_t) n;
  s->buf[s->len] = 0;
  if (!strstr (s->buf, "\r\n\r\n") && !strstr (s->buf, "\n\n"))
    {
      if (s->len == REQUEST_MAX - 1)
        scrape_close (loop, s);        /* no end of headers in 2 KB: not a scraper */
      return;
    }

  int found = strncmp (s->buf, "GET /metrics ", 13) == 0
              || strncmp (s->buf, "GET /metrics?", 13) == 0;
  s->reset = strncmp (s->buf, "GET /metrics?reset ", 19) == 0;
  static char body[RESPONSE_MAX - 256];
  size_t body_len = found ? metrics_body (loop, body)
                          : (size_t) snprintf (body, sizeof body, "not found: try /metrics\n");
  s->len = (size_t) snprintf (s->buf, sizeof s->buf,
                              "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
                              "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                              found ? "200 OK" : "404 Not Found", body_len, body);
  if (s->len >= sizeof s->buf)
    s->len = sizeof s->buf - 1;
  s->sent = 0;

  /* Same watcher, now for writing: stop, set, start (never ev_io_set on an
   * active watcher). */
  ev_io_stop (loop, w);
  ev_io_init (w, on_scrape_writable, w->fd, EV_WRITE);
  ev_io_start (loop, w);
}

static void
on_metrics_connection (struct ev_loop *loop, ev_io *w, int revents)
{
  (void) revents;
  for (;;)
    {
      int fd = accept (w->fd, NULL, NULL);
      if (fd < 0)
        {
          if (errno == EINTR || errno == ECONNABORTED)
            continue;
          if (errno != EAGAIN && errno != EWOULDBLOCK)
            perror ("metrics-server: accept (metrics)");
          return;
        }
      struct scrape *s = calloc (1, sizeof *s);
      if (!s || tcp_set_nonblocking (fd) < 0)
        {
          free (s);
          close (fd);
          continue;
        }
      scrapes_open++;
      ev_io_init (&s->io, on_scrape_readable, fd, EV_READ);
      ev_io_start (loop, &s->io);
      ev_timer_init (&s->timeout, on_scrape_timeout, SCRAPE_TIMEOUT, 0.);
      ev_timer_start (loop, &s->timeout);
    }
}

static void
on_echo_connection (struct ev_loop *loop, ev_io *w, int revents)
{
  (void) revents;
  for (;;)
    {
      int fd = accept (w->fd, NULL, NULL);
      if (fd >= 0)
        {
          echo_conn_start (loop, &conns, fd);
          continue;
        }
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        perror ("metrics-server: accept (echo)");
      return;
    }
}

static void
on_signal (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void) revents;
  printf ("metrics-server: caught signal %d, shutting down\n", w->signum);
  ev_io_stop (loop, &echo_listener);
  ev_io_stop (loop, &metrics_listener);
  close (echo_listener.fd);
  close (metrics_listener.fd);
  echo_conns_close_all (loop, &conns);
  ev_signal_stop (loop, &on_sigint);
  ev_signal_stop (loop, &on_sigterm);
  /* a scrape still open ends by its own timeout (at most SCRAPE_TIMEOUT) */
}

int
main (int argc, char **argv)
{
  unsigned port = 0, metrics_port = 0, bound, metrics_bound;
  if (argc > 3 || (argc >= 2 && tcp_parse_port (argv[1], &port) < 0)
      || (argc == 3 && tcp_parse_port (argv[2], &metrics_port) < 0))
    {
      fprintf (stderr, "usage: %s [PORT [METRICS_PORT]]    (0 or nothing: any free port)\n", argv[0]);
      return 64;
    }
  int efd = tcp_listen_loopback (port, &bound);
  if (efd < 0)
    return 1;
  int mfd = tcp_listen_loopback (metrics_port, &metrics_bound);
  if (mfd < 0)
    return 1;

  /* The flag switches the measurements on from the loop's creation; libev
   * 4.33 ignores unknown flags, so the same call works there (without them).
   * ev_metrics_enable (loop, 1) would switch them on later. */
#ifdef EV_NG_FEATURE_METRICS
  struct ev_loop *loop = ev_default_loop (EVFLAG_NG_METRICS);
#else
  struct ev_loop *loop = ev_default_loop (0);
#endif
  if (!loop)
    {
      fprintf (stderr, "metrics-server: no event loop (bad LIBEV_FLAGS?)\n");
      return 1;
    }

  ev_io_init (&echo_listener, on_echo_connection, efd, EV_READ);
  ev_io_start (loop, &echo_listener);
  ev_io_init (&metrics_listener, on_metrics_connection, mfd, EV_READ);
  ev_io_start (loop, &metrics_listener);
  ev_signal_init (&on_sigint, on_signal, SIGINT);
  ev_signal_start (loop, &on_sigint);
  ev_signal_init (&on_sigterm, on_signal, SIGTERM);
  ev_signal_start (loop, &on_sigterm);

  printf ("metrics-server: listening on 127.0.0.1:%u, metrics on 127.0.0.1:%u/metrics\n",
          bound, metrics_bound);
  fflush (stdout);

  ev_run (loop, 0);

#ifdef EV_NG_FEATURE_METRICS
  struct ev_metrics m = { .size = sizeof m };
  if (ev_metrics_get (loop, &m) == 0)
    printf ("metrics-server: %lu iterations, %.3f s blocked, %lu events polled\n",
            m.iterations, m.time_blocked, m.poll_events);
#endif
  printf ("metrics-server: served %lu connections, echoed %llu bytes\n",
          conns.accepted, conns.echoed);
  ev_loop_destroy (loop);
  return 0;
}
