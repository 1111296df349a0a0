/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/servers.c - the watcher patterns of real servers and proxies (nghttpd, gdnsd,
 * sniproxy, shadowsocks) under every backend, with many connections at once: no client may
 * ever wait for an answer or for the end of its connection (the io_uring stall of issue 42:
 * a socket closed by the server stayed open in the kernel, held by a poll request left
 * armed in a ring that a forked child still mapped).
 *
 * A client thread (plain poll(), no libev) keeps CONCURRENCY connections open to a Unix
 * stream socket at all times; each sends one to three requests, one after the other or
 * pipelined, and wants every answer in full, then the end of the connection.  The server,
 * a libev loop in the main thread, accepts them and serves each with one of the patterns
 * servers use, chosen by the connection's number:
 *   switch     one watcher, stop / ev_io_set / start between EV_READ and EV_WRITE
 *   pair       a read and a write watcher on the fd, the write one started while output
 *              is pending (both active at once)
 *   both       one watcher with EV_READ | EV_WRITE while output is pending
 * It reads 16 bytes per callback (a request left in the socket must be reported again:
 * level-triggered readiness), answers some requests with 256 KiB (many writes, each on
 * its own readiness), keeps an idle timer per connection (ev_timer_again on activity; it
 * never expires unless an event was lost), and ends each connection in one of the ways
 * servers do: stop then close; close then stop (close while active); shut down the
 * sending side and close once the client's end arrives; the client closes first; or the
 * connection stays idle, its read watcher active, until a keep-alive time (20-90 ms) ends
 * (a request armed in an io_uring ring given up would keep such a socket open).
 * Before the first connection the server forks a child that inherits the loop and every fd
 * and never touches them (sniproxy's binder), and halfway another that closes every fd it
 * inherited but keeps the loop's memory (a daemon's helper): both live until the end, and
 * must keep no connection alive.
 *
 * Findings: an answer missing or wrong, a connection whose end the client never saw (10 s),
 * an idle timer that expired, an fd left open, any crash or hang (the watchdog).  Every
 * backend runs in a child process of its own; io_uring runs with every feature this kernel
 * offers and again as Debian 12's kernel (Linux 6.1) and Linux 5.6, the first it takes, would
 * have it, and without its wait in the ring (LIBEV_NG_IOURING, backends/iouring_ring.h).
 *
 * Short mode: 3000 connections at 150 at once per backend; long mode: 100000 at 400. */
#define _GNU_SOURCE 1
#include "stress.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

enum { BIG = 256 * 1024, READ_CHUNK = 16, WRITE_CHUNK = 65536, REQ_MAX = 3 };
enum pattern { P_SWITCH, P_PAIR, P_BOTH, PATTERNS };
enum ending { E_STOP_CLOSE, E_CLOSE_STOP, E_SHUTDOWN, E_CLIENT_FIRST, E_KEEPALIVE, ENDINGS };

static long total_conns;
static int concurrency;
static struct sockaddr_un addr;
static socklen_t addr_len;

/* ---- the server (libev) ---- */

struct answer
{
  char head[32];
  int head_len, head_off;
  long body_left;
};

struct conn
{
  int fd;
  unsigned id;
  enum pattern pattern;
  enum ending ending; /* ENDINGS until the last request came */
  ev_io r, w;         /* w: P_PAIR only */
  ev_timer idle;
  char line[64];
  int line_len;
  struct answer out[REQ_MAX]; /* answers not written yet, in order */
  int nout;
  int draining; /* E_SHUTDOWN, E_KEEPALIVE: the last answer sent, waiting for the end */
};

static struct ev_loop *loop;
static ev_io accept_w;
static ev_async done_w;
static long accepted, idle_expired, server_errors;
static int live;
static pid_t binders[2];
static int nbinders;
static int binder_pipe[2] = { -1, -1 };
static char big_buf[WRITE_CHUNK];

static void
server_fail (const struct conn *c, const char *what)
{
  stress_fail ("connection %u: %s: %s", c->id, what, strerror (errno));
  ++server_errors;
}

/* The end of a connection on the server's side, in the order its ending says. */
static void
conn_close (struct conn *c)
{
  if (c->ending == E_CLOSE_STOP)
    close (c->fd); /* while its watchers are active: stopped right after */
  ev_io_stop (loop, &c->r);
  ev_io_stop (loop, &c->w);
  ev_timer_stop (loop, &c->idle);
  if (c->ending != E_CLOSE_STOP)
    close (c->fd);
  --live;
  free (c);
}

/* What the connection's watchers wait for now. */
static void
conn_interest (struct conn *c)
{
  const int want_write = c->nout > 0;
  int ev;
  switch (c->pattern)
    {
    case P_SWITCH:
      ev = want_write ? EV_WRITE : EV_READ;
      break;
    case P_BOTH:
      ev = EV_READ | (want_write ? EV_WRITE : 0);
      break;
    default: /* P_PAIR: the read watcher stays */
      if (want_write)
        ev_io_start (loop, &c->w);
      else
        ev_io_stop (loop, &c->w);
      return;
    }
  if (c->r.events != ev)
    {
      ev_io_stop (loop, &c->r);
      ev_io_set (&c->r, c->fd, ev);
      ev_io_start (loop, &c->r);
    }
}

/* A request line: "<id> <n> <big> <ending>", answered with "ok <id> <n>\n" and BIG bytes
 * more if big; ending is ENDINGS but on the last request. */
static int
request (struct conn *c)
{
  unsigned id, n, big, ending;
  if (sscanf (c->line, "%u %u %u %u", &id, &n, &big, &ending) != 4 || id != c->id || c->nout == REQ_MAX
      || ending > ENDINGS)
    {
      stress_fail ("connection %u: bad request '%s'", c->id, c->line);
      ++server_errors;
      return -1;
    }
  c->ending = (enum ending)ending;
  struct answer *a = &c->out[c->nout++];
  a->head_len = snprintf (a->head, sizeof a->head, "ok %u %u\n", id, n);
  a->head_off = 0;
  a->body_left = big ? BIG : 0;
  return 0;
}

/* Writes what the socket takes now (as servers do before they ask for EV_WRITE).  Returns
 * -1 on an error (the connection is to be closed). */
static int
conn_flush (struct conn *c)
{
  while (c->nout)
    {
      struct answer *a = &c->out[0];
      const char *p;
      size_t n;
      if (a->head_off < a->head_len)
        {
          p = a->head + a->head_off;
          n = (size_t)(a->head_len - a->head_off);
        }
      else
        {
          p = big_buf;
          n = a->body_left < WRITE_CHUNK ? (size_t)a->body_left : WRITE_CHUNK;
        }
      if (n)
        {
          ssize_t put = write (c->fd, p, n);
          if (put < 0)
            {
              if (errno == EAGAIN || errno == EINTR)
                return 0;
              server_fail (c, "write");
              return -1;
            }
          if (a->head_off < a->head_len)
            a->head_off += (int)put;
          else
            a->body_left -= put;
          if (a->head_off < a->head_len || a->body_left)
            continue;
        }
      memmove (&c->out[0], &c->out[1], sizeof c->out[0] * (size_t)--c->nout);
    }
  return 0;
}

/* After a read or a write: the answers go out, then the connection ends as its client asked
 * (once the last request is answered in full), or waits for what comes next. */
static void
conn_progress (struct conn *c)
{
  if (conn_flush (c) < 0)
    return conn_close (c);
  if (!c->nout && c->ending != ENDINGS && !c->line_len)
    switch (c->ending)
      {
      case E_STOP_CLOSE:
      case E_CLOSE_STOP:
        return conn_close (c);
      case E_SHUTDOWN:
        if (!c->draining)
          {
            c->draining = 1;
            shutdown (c->fd, SHUT_WR); /* the client closes when it sees the end */
          }
        break;
      case E_KEEPALIVE:
        if (!c->draining)
          {
            /* idle from now on, its read watcher active: closed when the keep-alive time ends */
            c->draining = 1;
            c->idle.repeat = 0.02 + 0.01 * (c->id % 8);
            ev_timer_again (loop, &c->idle);
          }
        break;
      default: /* E_CLIENT_FIRST: the client closes */
        break;
      }
  conn_interest (c);
}

static void
conn_read (struct conn *c)
{
  char buf[READ_CHUNK];
  ssize_t got = read (c->fd, buf, sizeof buf); /* a little at a time: the rest must come again */
  if (got < 0)
    {
      if (errno == EAGAIN || errno == EINTR)
        return;
      if (errno != ECONNRESET)
        server_fail (c, "read");
      return conn_close (c);
    }
  if (got == 0)
    {
      /* the client's end: after its last answer (E_CLIENT_FIRST, E_SHUTDOWN) */
      if (c->ending != E_CLIENT_FIRST && c->ending != E_SHUTDOWN)
        {
          stress_fail ("connection %u: the client's end before its last request", c->id);
          ++server_errors;
        }
      return conn_close (c);
    }
  if (!c->draining)
    ev_timer_again (loop, &c->idle);
  for (ssize_t i = 0; i < got; ++i)
    {
      if (buf[i] != '\n')
        {
          if (c->line_len < (int)sizeof c->line - 1)
            c->line[c->line_len++] = buf[i];
          continue;
        }
      c->line[c->line_len] = 0;
      c->line_len = 0;
      if (request (c) < 0)
        return conn_close (c);
    }
  conn_progress (c);
}

static void
conn_cb (struct ev_loop *l, ev_io *w, int revents)
{
  (void)l;
  struct conn *c = w->data;
  if (revents & EV_ERROR)
    {
      stress_fail ("connection %u: EV_ERROR", c->id);
      ++server_errors;
      return conn_close (c);
    }
  if (revents & EV_WRITE)
    {
      if (!c->draining)
        ev_timer_again (loop, &c->idle);
      if (!(revents & EV_READ))
        return conn_progress (c);
      if (conn_flush (c) < 0)
        return conn_close (c);
    }
  if (revents & EV_READ)
    conn_read (c);
}

static void
conn_idle_cb (struct ev_loop *l, ev_timer *w, int revents)
{
  (void)l;
  (void)revents;
  struct conn *c = w->data;
  if (c->ending == E_KEEPALIVE && c->draining)
    return conn_close (c); /* the keep-alive time is over */
  stress_fail ("connection %u: idle for 5 s (pattern %d, ending %d, %d answers pending)", c->id, c->pattern,
               c->ending, c->nout);
  ++idle_expired;
  conn_close (c);
}

/* A child that inherits the loop and never touches it (sniproxy's binder); all_fds: it keeps
 * every fd, else only its mappings (a helper that closes what it inherited). */
static void
fork_binder (int all_fds)
{
  pid_t pid = fork ();
  if (pid < 0)
    {
      stress_fail ("fork: %s", strerror (errno));
      return;
    }
  if (pid == 0)
    {
      close (binder_pipe[1]);
      if (!all_fds)
        for (int fd = 3; fd < 4096; ++fd)
          if (fd != binder_pipe[0])
            close (fd);
      char b;
      while (read (binder_pipe[0], &b, 1) < 0 && errno == EINTR)
        ;
      _exit (0);
    }
  binders[nbinders++] = pid;
}

static void
accept_cb (struct ev_loop *l, ev_io *w, int revents)
{
  (void)revents;
  for (;;)
    {
      int fd = accept4 (w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0)
        {
          if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
            {
              stress_fail ("accept: %s", strerror (errno));
              ++server_errors;
            }
          return;
        }
      struct conn *c = calloc (1, sizeof *c);
      if (!c)
        abort ();
      c->fd = fd;
      c->id = (unsigned)accepted++;
      c->pattern = (enum pattern) (c->id % PATTERNS);
      c->ending = ENDINGS;
      ev_io_init (&c->r, conn_cb, fd, EV_READ);
      c->r.data = c;
      ev_io_init (&c->w, conn_cb, fd, EV_WRITE);
      c->w.data = c;
      ev_init (&c->idle, conn_idle_cb);
      c->idle.repeat = 5.;
      c->idle.data = c;
      ev_io_start (l, &c->r);
      ev_timer_again (l, &c->idle);
      ++live;
      /* halfway, with the most armed: a helper that keeps only the loop's mappings */
      if (accepted == total_conns / 2)
        fork_binder (0);
    }
}

static void
done_cb (struct ev_loop *l, ev_async *w, int revents)
{
  (void)w;
  (void)revents;
  ev_break (l, EVBREAK_ALL);
}

/* ---- the clients (poll, no libev) ---- */

struct client
{
  int fd;
  unsigned id;
  int requests, sent, answered;
  int pipelined;
  unsigned big_mask; /* requests answered with BIG more bytes */
  enum ending ending;
  long expect; /* bytes of the current answer still to come (after its head) */
  char head[64];
  int head_len;
  int finished; /* every answer in: waiting for the end */
  double deadline;
};

static long clients_done, stranded, bad_answers, client_errors;
static double longest_end;

static void
client_send (struct client *c, int all)
{
  while (c->sent < c->requests && (all || c->sent == c->answered))
    {
      char line[64];
      int last = c->sent == c->requests - 1;
      int len = snprintf (line, sizeof line, "%u %d %u %d\n", c->id, c->sent, (c->big_mask >> c->sent) & 1,
                          last ? (int)c->ending : (int)ENDINGS);
      if (write (c->fd, line, (size_t)len) != len)
        {
          stress_fail ("client %u: write: %s", c->id, strerror (errno));
          ++client_errors;
          return;
        }
      ++c->sent;
    }
}

static int
client_open (struct client *c, unsigned id, uint64_t *rng)
{
  memset (c, 0, sizeof *c);
  c->id = id;
  c->fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c->fd < 0 || connect (c->fd, (struct sockaddr *)&addr, addr_len) < 0)
    {
      stress_fail ("client %u: connect: %s", id, strerror (errno));
      if (c->fd >= 0)
        close (c->fd);
      c->fd = -1;
      return -1;
    }
  fcntl (c->fd, F_SETFL, O_NONBLOCK);
  c->requests = 1 + (int)stress_below (rng, REQ_MAX);
  c->pipelined = stress_below (rng, 3) == 0;
  c->big_mask = stress_below (rng, 8) == 0 ? stress_below (rng, 8) : 0;
  c->ending = (enum ending)stress_below (rng, ENDINGS);
  c->expect = -1;
  client_send (c, c->pipelined);
  return 0;
}

/* Reads what is there; returns 1 when the connection is over (closed here). */
static int
client_read (struct client *c)
{
  char buf[65536];
  for (;;)
    {
      ssize_t got = read (c->fd, buf, sizeof buf);
      if (got < 0)
        {
          if (errno == EAGAIN || errno == EINTR)
            return 0;
          stress_fail ("client %u: read: %s", c->id, strerror (errno));
          ++client_errors;
          close (c->fd);
          return 1;
        }
      if (got == 0)
        {
          if (c->answered != c->requests || c->expect > 0)
            {
              stress_fail ("client %u: the end after %d of %d answers", c->id, c->answered, c->requests);
              ++bad_answers;
            }
          close (c->fd);
          return 1;
        }
      for (ssize_t i = 0; i < got;)
        {
          if (c->expect > 0)
            {
              long take = got - i < c->expect ? got - i : c->expect;
              c->expect -= take;
              i += take;
              if (!c->expect)
                ++c->answered;
              continue;
            }
          char ch = buf[i++];
          if (ch != '\n')
            {
              if (c->head_len < (int)sizeof c->head - 1)
                c->head[c->head_len++] = ch;
              continue;
            }
          c->head[c->head_len] = 0;
          c->head_len = 0;
          unsigned id;
          int n;
          if (sscanf (c->head, "ok %u %d", &id, &n) != 2 || id != c->id || n != c->answered)
            {
              stress_fail ("client %u: answer '%s', expected 'ok %u %d'", c->id, c->head, c->id, c->answered);
              ++bad_answers;
            }
          if ((c->big_mask >> c->answered) & 1)
            c->expect = BIG;
          else
            ++c->answered;
        }
      if (c->answered == c->requests && c->expect <= 0 && !c->finished)
        {
          c->finished = 1;
          c->deadline = stress_now () + 10.;
          if (c->ending == E_CLIENT_FIRST)
            {
              close (c->fd);
              return 1;
            }
        }
      else if (!c->finished)
        client_send (c, c->pipelined);
    }
}

static void *
client_thread (void *arg)
{
  (void)arg;
  uint64_t rng = stress_seed (42);
  struct client *cs = calloc ((size_t)concurrency, sizeof *cs);
  struct pollfd *pfds = calloc ((size_t)concurrency, sizeof *pfds);
  if (!cs || !pfds)
    abort ();
  long opened = 0;
  int open_now = 0;
  for (int i = 0; i < concurrency && opened < total_conns; ++i)
    if (client_open (&cs[i], (unsigned)opened++, &rng) == 0)
      ++open_now;
  while (open_now > 0)
    {
      for (int i = 0; i < concurrency; ++i)
        {
          pfds[i].fd = cs[i].fd;
          pfds[i].events = POLLIN;
        }
      int n = poll (pfds, (nfds_t)concurrency, 1000);
      if (n < 0 && errno != EINTR)
        {
          stress_fail ("poll: %s", strerror (errno));
          break;
        }
      double now = stress_now ();
      for (int i = 0; i < concurrency; ++i)
        {
          struct client *c = &cs[i];
          if (c->fd < 0)
            continue;
          int over = 0;
          if (pfds[i].revents)
            over = client_read (c);
          else if (c->finished && now > c->deadline)
            {
              stress_fail ("client %u: no end of the connection 10 s after its last answer (ending %d)",
                           c->id, c->ending);
              ++stranded;
              close (c->fd);
              over = 1;
            }
          if (!over)
            continue;
          if (c->finished)
            {
              double took = now - (c->deadline - 10.);
              if (took > longest_end)
                longest_end = took;
            }
          ++clients_done;
          c->fd = -1;
          --open_now;
          if (opened < total_conns && client_open (c, (unsigned)opened++, &rng) == 0)
            ++open_now;
        }
    }
  free (cs);
  free (pfds);
  ev_async_send (loop, &done_w);
  return NULL;
}

/* ---- one backend ---- */

static int
open_fds (void)
{
  int n = 0;
  DIR *d = opendir ("/proc/self/fd");
  if (!d)
    return -1;
  while (readdir (d))
    ++n;
  closedir (d);
  return n;
}

static int
run_backend (const char *name, unsigned flag)
{
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = SIG_IGN;
  sigaction (SIGPIPE, &sa, NULL);
  memset (big_buf, 'x', sizeof big_buf);

  int lfd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  memset (&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  /* abstract: nothing to clean up */
  int len
      = snprintf (addr.sun_path + 1, sizeof addr.sun_path - 1, "libev-ng-stress-servers-%d", (int)getpid ());
  addr_len = (socklen_t)(offsetof (struct sockaddr_un, sun_path) + 1 + (size_t)len);
  if (lfd < 0 || bind (lfd, (struct sockaddr *)&addr, addr_len) < 0 || listen (lfd, 1024) < 0)
    {
      stress_fail ("listen: %s", strerror (errno));
      return 1;
    }
  if (pipe2 (binder_pipe, O_CLOEXEC) < 0)
    {
      stress_fail ("pipe: %s", strerror (errno));
      return 1;
    }
  int fds_before = open_fds ();

  loop = ev_loop_new (flag);
  if (!loop || ev_backend (loop) != flag)
    {
      stress_fail ("%s: no loop on that backend", name);
      return 1;
    }
  ev_io_init (&accept_w, accept_cb, lfd, EV_READ);
  ev_io_start (loop, &accept_w);
  ev_async_init (&done_w, done_cb);
  ev_async_start (loop, &done_w);
  /* the loop's requests armed, a child that keeps every fd open then (sniproxy forks its
   * binder after its loop is made) */
  ev_run (loop, EVRUN_NOWAIT);
  fork_binder (1);

  double t0 = stress_now (), c0 = stress_cpu ();
  pthread_t th;
  if (pthread_create (&th, NULL, client_thread, NULL))
    {
      stress_fail ("pthread_create");
      return 1;
    }
  ev_run (loop, 0);
  pthread_join (th, NULL);
  /* the server's side of connections the client ended last: their ends are queued */
  double until = stress_now () + 10.;
  while (live > 0 && stress_now () < until)
    ev_run (loop, EVRUN_ONCE);
  double secs = stress_now () - t0, cpu = stress_cpu () - c0;

  if (live)
    stress_fail ("%s: %d connections still open on the server's side", name, live);
  ev_io_stop (loop, &accept_w);
  ev_async_stop (loop, &done_w);
  ev_loop_destroy (loop);
  int fds_after = open_fds ();
  if (fds_after != fds_before)
    stress_fail ("%s: %d fds open before the loop, %d after", name, fds_before, fds_after);

  close (binder_pipe[1]);
  for (int i = 0; i < nbinders; ++i)
    waitpid (binders[i], NULL, 0);
  close (binder_pipe[0]);
  close (lfd);

  if (clients_done != total_conns || accepted != total_conns)
    stress_fail ("%s: %ld connections done, %ld accepted, of %ld", name, clients_done, accepted, total_conns);
  stress_figure ("%-22s %ld connections (%d at once, %d forked children): %.0f/s, %.1f us CPU each; "
                 "stranded %ld, bad answers %ld, idle expiries %ld, errors %ld; slowest end %.3f s",
                 name, clients_done, concurrency, nbinders, (double)clients_done / secs,
                 cpu * 1e6 / (double)clients_done, stranded, bad_answers, idle_expired,
                 server_errors + client_errors, longest_end);
  return stress_exit_status ();
}

int
main (int argc, char **argv)
{
  stress_init (argc, argv);
  total_conns = stress_scale (3000, 100000);
  concurrency = (int)stress_scale (150, 400);
  stress_watchdog (stress_long () ? 3600. : 300., "servers");

  struct stress_backend b[4];
  int nb = stress_backends (b);
  struct
  {
    const char *name;
    unsigned flag;
    const char *knob; /* LIBEV_NG_IOURING, or NULL */
  } runs[8];
  int nruns = 0;
  for (int i = 0; i < nb; ++i)
    {
      if (b[i].flag == EVBACKEND_SELECT && concurrency * 2 + 64 > FD_SETSIZE)
        continue;
      runs[nruns].name = b[i].name;
      runs[nruns].flag = b[i].flag;
      runs[nruns++].knob = NULL;
      if (b[i].flag == EVBACKEND_IOURING)
        {
          static const char *const knobs[][2] = {
            { "io_uring -epoll-wait", "-epoll-wait" },
            { "io_uring as 6.1", "6.1" },
            { "io_uring as 5.6", "5.6" },
          };
          for (unsigned k = 0; k < 3; ++k)
            {
              runs[nruns].name = knobs[k][0];
              runs[nruns].flag = b[i].flag;
              runs[nruns++].knob = knobs[k][1];
            }
        }
    }
  int failed = 0;
  for (int i = 0; i < nruns; ++i)
    {
      fflush (stdout);
      pid_t pid = fork ();
      if (pid < 0)
        {
          perror ("fork");
          return 1;
        }
      if (pid == 0)
        {
          if (runs[i].knob)
            setenv ("LIBEV_NG_IOURING", runs[i].knob, 1);
          int rc = run_backend (runs[i].name, runs[i].flag);
          fflush (stdout);
          _exit (rc);
        }
      int status;
      while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
        ;
      if (!WIFEXITED (status) || WEXITSTATUS (status))
        {
          printf ("FAIL: servers: %s: %s %d\n", runs[i].name, WIFEXITED (status) ? "exit" : "signal",
                  WIFEXITED (status) ? WEXITSTATUS (status) : WTERMSIG (status));
          failed = 1;
        }
    }
  return failed || stress_exit_status ();
}
