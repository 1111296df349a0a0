/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/tcp-client.c - a TCP client that keeps its connection up: a
 * non-blocking connect with a timeout, and reconnection with capped
 * exponential backoff and jitter.
 *
 *   usage: tcp-client [-c S] [-b S] [-m S] [-i S] [-n N] HOST PORT
 *
 *   -c S  connect timeout, per address (default 5 s)
 *   -b S  first retry delay (default 0.5 s); it doubles after each failure...
 *   -m S  ...up to this cap (default 30 s).  The actual wait is drawn at
 *         random between half the delay and all of it.  A connection that
 *         stayed up for at least the cap resets the delay to -b.
 *   -i S  while connected, send "hello N" every S seconds (default 1 s)
 *   -n N  stop after N replies (default 0: never, only on SIGINT/SIGTERM)
 *
 * Every line the server sends back is printed; with an echo server each
 * greeting comes back, one round trip each.  Try it:
 *
 *   $ examples/tcp-client -b 0.2 -m 2 127.0.0.1 7000 &   (refused, retrying...)
 *   $ examples/echo-server 7000 &                          (it connects)
 *   $ kill %2                                              (it reconnects...)
 *
 * Exit status: 0 after N replies or a signal, 1 if HOST cannot be resolved,
 * 64 on a usage error.
 *
 * The libev watchers used, and why:
 *   ev_io      one watcher on the socket, reused: EV_WRITE while connecting
 *              (a non-blocking connect() has finished, well or badly, when the
 *              socket becomes writable), EV_READ once connected
 *   ev_timer   one-shot: the connect timeout, the backoff delay
 *              repeating: the greeting
 *   ev_signal  SIGINT/SIGTERM as ordinary callbacks
 */
#define _POSIX_C_SOURCE 200809L

#include "tcp.h"

#include <ev.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

/* the options */
static double connect_timeout = 5., backoff_initial = 0.5, backoff_max = 30., interval = 1.;
static unsigned long replies_wanted;           /* 0: no limit */

static struct addrinfo *addrs;                 /* every address of HOST */
static struct addrinfo *addr;                  /* the one tried now */
/* numeric forms only: an IPv6 address with a scope ("fe80::1%eth0") fits in 64 */
enum { HOST_TEXT = 64, SERV_TEXT = 8 };
static char addr_text[HOST_TEXT + SERV_TEXT + 4];

static enum { IDLE, CONNECTING, CONNECTED } state = IDLE;
static ev_io sock;              /* the socket; sock.fd is open unless IDLE */
static ev_timer connect_timer;  /* one-shot: the connect attempt takes too long */
static ev_timer retry_timer;    /* one-shot: the backoff delay is over */
static ev_timer greet_timer;    /* repeating: time to send a greeting */
static ev_signal on_sigint, on_sigterm;

static unsigned failures;       /* since the last stable connection: the backoff exponent */
static unsigned long attempts, connections, sent, replies;
static bool awaiting_reply;     /* a greeting is on its way: send no other */
static ev_tstamp started, connected_at;
static char inbuf[1024];        /* what the server sent, up to the next newline */
static size_t inlen;

static void
say (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  /* ev_time, not ev_now: the loop time is that of the last wake-up, and a
   * log line should show when things really happen */
  printf ("tcp-client: [%7.3f] ", ev_time () - started);
  vprintf (fmt, ap);
  putchar ('\n');
  va_end (ap);
}

/* ---- backoff ----------------------------------------------------------------- */

/* xorshift64*: a tiny generator is enough for jitter, and it keeps the
 * program's randomness out of rand()'s global state. */
static uint64_t rng_state;

static double
random_unit (void)   /* uniform in [0, 1) */
{
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (double) ((rng_state * 0x2545F4914F6CDD1DULL) >> 11) * 0x1.0p-53;
}

/* The delay before the next attempt: backoff_initial * 2^(failures - 1),
 * capped at backoff_max, then "equal jitter": a random wait between half the
 * delay and all of it.  Without the jitter, every client that lost its
 * server at the same moment would come back in lock-step, a thundering
 * herd that can knock the restarted server over again; with it they spread
 * out, while the wait still grows (each range starts where the previous
 * ended) and never exceeds the cap. */
static double
next_delay (void)
{
  double delay = backoff_initial;
  for (unsigned i = 1; i < failures && delay < backoff_max; i++)
    delay *= 2.;
  if (delay > backoff_max)
    delay = backoff_max;
  return delay / 2. + delay / 2. * random_unit ();
}

static void
schedule_retry (struct ev_loop *loop)
{
  failures++;
  double wait = next_delay ();
  say ("retrying in %.3f s", wait);
  /* Set the delay every time: a one-shot timer that fired has used up its
   * "after", and is inactive, so ev_timer_set is allowed. */
  ev_timer_set (&retry_timer, wait, 0.);
  ev_timer_start (loop, &retry_timer);
}

/* ---- connecting -------------------------------------------------------------- */

static void on_connected (struct ev_loop *loop);

static void
describe_addr (void)
{
  char host[HOST_TEXT], serv[SERV_TEXT];
  if (getnameinfo (addr->ai_addr, addr->ai_addrlen, host, sizeof host, serv, sizeof serv,
                   NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    snprintf (addr_text, sizeof addr_text, "(unprintable address)");
  else if (addr->ai_family == AF_INET6)
    snprintf (addr_text, sizeof addr_text, "[%s]:%s", host, serv);
  else
    snprintf (addr_text, sizeof addr_text, "%s:%s", host, serv);
}

static void start_attempt (struct ev_loop *loop);

/* The attempt on `addr` failed: try HOST's next address at once (an IPv6
 * address that does not work says nothing about the IPv4 one), or, when
 * all have failed, wait and start over. */
static void
attempt_failed (struct ev_loop *loop, const char *why)
{
  say ("connect to %s failed: %s", addr_text, why);
  if (addr->ai_next)
    {
      addr = addr->ai_next;
      start_attempt (loop);
      return;
    }
  addr = addrs;
  schedule_retry (loop);
}

static void
start_attempt (struct ev_loop *loop)
{
  attempts++;
  describe_addr ();
  say ("connecting to %s (attempt %lu)", addr_text, attempts);

  int fd = socket (addr->ai_family, addr->ai_socktype, addr->ai_protocol);
  if (fd < 0)
    {
      /* EMFILE and friends: backing off is the right answer here too */
      attempt_failed (loop, strerror (errno));
      return;
    }
  /* Non-blocking before connect(): a blocking connect() would freeze the
   * whole loop for as long as the kernel retries SYNs (minutes), and no
   * ev_timer could interrupt it. */
  if (tcp_set_nonblocking (fd) < 0 || fcntl (fd, F_SETFD, FD_CLOEXEC) < 0)
    {
      int err = errno;
      close (fd);
      attempt_failed (loop, strerror (err));
      return;
    }

  if (connect (fd, addr->ai_addr, addr->ai_addrlen) == 0)
    {
      /* It may succeed at once (possible on loopback): nothing to wait for. */
      ev_io_set (&sock, fd, EV_READ);
      on_connected (loop);
      return;
    }
  if (errno != EINPROGRESS && errno != EINTR)
    {
      /* refused or unreachable right away (again typical of loopback) */
      int err = errno;
      close (fd);
      attempt_failed (loop, strerror (err));
      return;
    }

  /* The handshake goes on in the kernel.  Its outcome is reported by
   * writability, success and failure alike; the timer bounds the wait,
   * which the kernel would otherwise stretch to minutes of SYN retries. */
  state = CONNECTING;
  ev_io_set (&sock, fd, EV_WRITE);
  ev_io_start (loop, &sock);
  ev_timer_set (&connect_timer, connect_timeout, 0.);
  ev_timer_start (loop, &connect_timer);
}

/* EV_WRITE while CONNECTING: the handshake is over. */
static void
on_connect_done (struct ev_loop *loop)
{
  ev_io_stop (loop, &sock);
  ev_timer_stop (loop, &connect_timer);

  /* Writable does not mean connected: a failed connect makes the socket
   * writable too.  SO_ERROR holds the outcome (and reading it clears it). */
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt (sock.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
    err = errno;
  if (err)
    {
      close (sock.fd);
      state = IDLE;
      attempt_failed (loop, strerror (err));
      return;
    }

  /* the watcher is stopped, so it may be reconfigured */
  ev_io_set (&sock, sock.fd, EV_READ);
  on_connected (loop);
}

static void
on_connect_timeout (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void) w;
  (void) revents;
  /* closing the socket aborts the handshake; stop the watcher first, a
   * watcher must never outlive its descriptor */
  ev_io_stop (loop, &sock);
  close (sock.fd);
  state = IDLE;
  char why[64];
  snprintf (why, sizeof why, "timed out after %g s", connect_timeout);
  attempt_failed (loop, why);
}

static void
on_retry (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void) w;
  (void) revents;
  start_attempt (loop);
}

/* ---- connected ------------------------------------------------------------- */

static void stop_everything (struct ev_loop *loop);

static void
disconnect (struct ev_loop *loop, const char *why)
{
  ev_io_stop (loop, &sock);
  ev_timer_stop (loop, &greet_timer);
  close (sock.fd);
  state = IDLE;

  ev_tstamp lasted = ev_now (loop) - connected_at;
  say ("disconnected after %.3f s: %s", lasted, why);
  /* A server that accepts and then drops every connection at once (crash
   * loop, overload) must not be hammered at the initial rate, so a
   * connection only resets the backoff once it has proved stable: up for
   * at least the longest delay we would ever wait. */
  if (lasted >= backoff_max)
    failures = 0;
  schedule_retry (loop);
}

static void
send_greeting (struct ev_loop *loop)
{
  if (awaiting_reply)
    {
      say ("no reply to greeting %lu yet, not sending another", sent);
      return;
    }

  char line[64];
  int len = snprintf (line, sizeof line, "hello %lu\n", sent + 1);
  /* MSG_NOSIGNAL: a write to a connection the peer has reset would raise
   * SIGPIPE, whose default action kills the process; we want EPIPE. */
  ssize_t n = send (sock.fd, line, (size_t) len, MSG_NOSIGNAL);
  if (n == len)
    {
      sent++;
      awaiting_reply = true;
      say ("sent: hello %lu", sent);
    }
  else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    say ("socket buffer full, greeting skipped");
  else
    /* With at most one short line outstanding the socket buffer always
     * has room, so a partial write means trouble: start over rather than
     * keep the rest of the line around. */
    disconnect (loop, n < 0 ? strerror (errno) : "short write");
}

static void
on_connected (struct ev_loop *loop)
{
  state = CONNECTED;
  connections++;
  connected_at = ev_now (loop);
  say ("connected to %s", addr_text);
  addr = addrs;                 /* next time, start with the first address again */

  inlen = 0;
  awaiting_reply = false;
  ev_io_start (loop, &sock);    /* set to EV_READ by the caller */
  send_greeting (loop);
  if (state != CONNECTED)
    return;                     /* the very first send failed */
  /* after = repeat = interval: the next greeting one interval from now */
  ev_timer_set (&greet_timer, interval, interval);
  ev_timer_start (loop, &greet_timer);
}

static void
on_greet (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void) w;
  (void) revents;
  send_greeting (loop);
}

/* EV_READ while CONNECTED: data, end of file or an error. */
static void
on_data (struct ev_loop *loop)
{
  /* One read per callback is enough: the watcher is level-triggered, so
   * whatever is left makes it fire again in the next iteration. */
  ssize_t n = recv (sock.fd, inbuf + inlen, sizeof inbuf - inlen, 0);
  if (n < 0)
    {
      /* libev reports readiness, which may be gone by the time we read */
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        disconnect (loop, strerror (errno));
      return;
    }
  if (n == 0)
    {
      disconnect (loop, "closed by the server");
      return;
    }

  inlen += (size_t) n;
  char *line = inbuf, *nl;
  while ((nl = memchr (line, '\n', inlen - (size_t) (line - inbuf))))
    {
      say ("reply: %.*s", (int) (nl - line), line);
      line = nl + 1;
      replies++;
      awaiting_reply = false;
      if (replies_wanted && replies >= replies_wanted)
        {
          say ("got %lu replies, done", replies);
          stop_everything (loop);
          return;
        }
    }
  inlen -= (size_t) (line - inbuf);
  memmove (inbuf, line, inlen);
  if (inlen == sizeof inbuf)
    disconnect (loop, "line too long");
}

static void
on_socket (struct ev_loop *loop, ev_io *w, int revents)
{
  (void) w;
  (void) revents;
  if (state == CONNECTING)
    on_connect_done (loop);
  else
    on_data (loop);
}

/* ---- the whole client ------------------------------------------------------ */

/* Stop every watcher: ev_run() then returns by itself. */
static void
stop_everything (struct ev_loop *loop)
{
  if (state != IDLE)
    {
      ev_io_stop (loop, &sock);
      close (sock.fd);
      state = IDLE;
    }
  ev_timer_stop (loop, &connect_timer);
  ev_timer_stop (loop, &retry_timer);
  ev_timer_stop (loop, &greet_timer);
  ev_signal_stop (loop, &on_sigint);
  ev_signal_stop (loop, &on_sigterm);
}

static void
on_signal (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void) revents;
  say ("caught signal %d, stopping", w->signum);
  stop_everything (loop);
}

static int
parse_seconds (const char *arg, double *out)
{
  char *end;
  double v = strtod (arg, &end);
  if (end == arg || *end || !(v > 0. && v <= 86400.))
    return -1;
  *out = v;
  return 0;
}

static int
usage (const char *argv0)
{
  fprintf (stderr,
           "usage: %s [-c S] [-b S] [-m S] [-i S] [-n N] HOST PORT\n"
           "  -c S  connect timeout (default 5 s)\n"
           "  -b S  first retry delay, doubling after each failure (default 0.5 s)...\n"
           "  -m S  ...up to this cap (default 30 s); each wait is random, from half the delay to all of it\n"
           "  -i S  send a greeting every S seconds while connected (default 1 s)\n"
           "  -n N  stop after N replies (default 0: run until SIGINT/SIGTERM)\n",
           argv0);
  return 64;
}

int
main (int argc, char **argv)
{
  int opt;
  while ((opt = getopt (argc, argv, "c:b:m:i:n:")) != -1)
    {
      char *end;
      switch (opt)
        {
        case 'c':
          if (parse_seconds (optarg, &connect_timeout) < 0)
            return usage (argv[0]);
          break;
        case 'b':
          if (parse_seconds (optarg, &backoff_initial) < 0)
            return usage (argv[0]);
          break;
        case 'm':
          if (parse_seconds (optarg, &backoff_max) < 0)
            return usage (argv[0]);
          break;
        case 'i':
          if (parse_seconds (optarg, &interval) < 0)
            return usage (argv[0]);
          break;
        case 'n':
          errno = 0;
          replies_wanted = strtoul (optarg, &end, 10);
          if (errno || end == optarg || *end || optarg[0] == '-')
            return usage (argv[0]);
          break;
        default:
          return usage (argv[0]);
        }
    }
  unsigned port;
  if (argc - optind != 2 || tcp_parse_port (argv[optind + 1], &port) < 0 || port == 0
      || backoff_max < backoff_initial)
    return usage (argv[0]);

  setvbuf (stdout, NULL, _IOLBF, 0);   /* whoever reads our output sees each line at once */
  started = ev_time ();
  rng_state = (uint64_t) (started * 1e6) ^ ((uint64_t) getpid () << 32) ^ 0x9E3779B97F4A7C15ULL;

  /* getaddrinfo() blocks (DNS), which is why it runs once, here, before the
   * loop starts.  A client that must re-resolve while running would do it
   * in a thread and hand the result back with an ev_async, or use an
   * asynchronous resolver. */
  struct addrinfo hints;
  memset (&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  int rc = getaddrinfo (argv[optind], argv[optind + 1], &hints, &addrs);
  if (rc != 0)
    {
      fprintf (stderr, "tcp-client: %s: %s\n", argv[optind], gai_strerror (rc));
      return 1;
    }
  addr = addrs;

  struct ev_loop *loop = EV_DEFAULT;

  /* init once (callback, dummy configuration); the code sets the details
   * with ev_io_set/ev_timer_set each time, while the watcher is stopped */
  ev_io_init (&sock, on_socket, -1, EV_WRITE);
  ev_timer_init (&connect_timer, on_connect_timeout, connect_timeout, 0.);
  ev_timer_init (&retry_timer, on_retry, 0., 0.);
  ev_timer_init (&greet_timer, on_greet, interval, interval);
  ev_signal_init (&on_sigint, on_signal, SIGINT);
  ev_signal_start (loop, &on_sigint);
  ev_signal_init (&on_sigterm, on_signal, SIGTERM);
  ev_signal_start (loop, &on_sigterm);

  start_attempt (loop);
  ev_run (loop, 0);             /* until stop_everything stopped the last watcher */

  printf ("tcp-client: %lu replies to %lu greetings, %lu connection attempts, %lu connections\n",
          replies, sent, attempts, connections);
  freeaddrinfo (addrs);
  ev_loop_destroy (loop);
  return 0;
}
