/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/prefork-server.c - pre-forked worker processes sharing one
 * listening socket, each with its own loop; the parent restarts the ones
 * that die.
 *
 *   usage: prefork-server [-w WORKERS] [PORT]
 *
 * The parent listens on 127.0.0.1:PORT (default 0: any free port, printed at
 * start), forks WORKERS processes (default 4) and serves nothing itself.
 * Each worker accepts connections from the shared socket, greets each client
 * with "hello from worker PID" and then echoes what it sends (echo-conn.c,
 * the same code as echo-server).  The parent watches its workers with
 * ev_child: a worker that dies is replaced after a short delay, which grows
 * while replacements keep dying young.  SIGINT or SIGTERM: the parent sends
 * SIGTERM to every worker, waits for them, prints a summary and exits 0.
 * Try it:
 *
 *   $ examples/prefork-server -w 3 7000 &
 *   $ nc 127.0.0.1 7000              (a few times: different workers answer)
 *   $ pkill -KILL -n -f 'prefork-server -w'   (the newest worker; it is replaced)
 *   $ kill %1
 *
 * Why this design: several processes make use of several cores and survive
 * the crash of one of them, without any locking (nothing is shared but the
 * socket).  The kernel hands each new connection to whichever worker
 * accepts first.
 *
 * What to read here: spawn() and become_worker() (what a child must do with
 * the loop it inherited, ev(3) FORK), on_worker_exit() (ev_child, restart
 * with backoff), on_connection() (accepting on a shared socket).
 */
#define _POSIX_C_SOURCE 200809L

#include "echo-conn.h"
#include "tcp.h"

#include <ev.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORKERS 64
#define RESTART_DELAY_MIN 0.1   /* seconds before replacing a worker that died */
#define RESTART_DELAY_MAX 5.
#define YOUNG 1.                /* a worker that dies younger than this doubles the delay */
#define GRACE 5.                /* after SIGTERM, SIGKILL the workers still there */

/* One worker slot, seen from the parent. */
struct worker
{
  unsigned id;                  /* 1 .. WORKERS */
  pid_t pid;                    /* 0 while no process fills the slot */
  ev_tstamp born;               /* ev_now() at the fork */
  double delay;                 /* the last restart delay (backoff) */
  ev_child exited;              /* the process ended */
  ev_timer restart;             /* one-shot: time to fork a replacement */
};

static struct worker workers[MAX_WORKERS];
static unsigned nworkers = 4;
static int listen_fd;
static bool stopping;           /* parent: a signal asked us to stop */
static unsigned long forks, restarts;

static ev_signal sigint_watcher, sigterm_watcher;
static ev_timer grace_timer;    /* parent: SIGKILL what ignored our SIGTERM */

/* In a worker process: the slot it fills (NULL in the parent). */
static struct worker *me;
static ev_io listener;          /* worker: EV_READ on the shared listening socket */
static ev_timer accept_pause;   /* worker: out of descriptors, accept again later */
static struct echo_conns conns; /* worker: its open connections */

static void
say (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  fputs ("prefork-server: ", stdout);
  vprintf (fmt, ap);
  putchar ('\n');
  va_end (ap);
}

/* ---- the worker ------------------------------------------------------------ */

static void
on_connection (struct ev_loop *loop, ev_io *w, int revents)
{
  (void) revents;

  /* Every worker watches the same socket, and for each new connection the
   * kernel wakes all of them (the "thundering herd"): one wins accept(), the
   * others get EAGAIN and go back to their loop.  That is normal, not an
   * error, and the reason the socket must be non-blocking (tcp.h): a
   * blocking accept() would freeze the loser's loop until the next client.
   * With a handful of workers the wasted wake-ups cost little.  (Linux can
   * avoid them with EPOLLEXCLUSIVE or with one SO_REUSEPORT socket per
   * worker; neither is visible through ev_io, and the shared socket is the
   * portable design.)
   *
   * Unlike echo-server, take only one connection per wake-up: a worker that
   * drained the whole queue would starve its siblings, woken for the same
   * burst; returning to the loop spreads the burst over the workers (nginx's
   * "multi_accept off" does the same).  If more are waiting, the watcher
   * fires again in the next iteration: ev_io is level-triggered. */
  int fd = accept (w->fd, NULL, NULL);
  if (fd < 0)
    {
      if (errno == EMFILE || errno == ENFILE)
        {
          /* as in echo-server: a waiting client keeps the listener readable,
           * so stop it for a while instead of spinning */
          fprintf (stderr, "prefork-server: worker %u: accept: %s, pausing\n", me->id, strerror (errno));
          ev_io_stop (loop, w);
          ev_timer_set (&accept_pause, 0.1, 0.);
          ev_timer_start (loop, &accept_pause);
        }
      else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
        fprintf (stderr, "prefork-server: worker %u: accept: %s\n", me->id, strerror (errno));
      return;
    }

  /* The greeting.  A fresh connection's socket buffer is empty, so these few
   * bytes always fit at once; MSG_DONTWAIT makes sure we never block even
   * so (the socket is still in blocking mode: accepted sockets do not
   * inherit O_NONBLOCK on Linux; echo_conn_start sets it). */
  char hello[64];
  int n = snprintf (hello, sizeof hello, "hello from worker %ld\n", (long) getpid ());
  if (send (fd, hello, (size_t) n, MSG_DONTWAIT | MSG_NOSIGNAL) != n)
    {
      close (fd);              /* the client is already gone */
      return;
    }
  echo_conn_start (loop, &conns, fd);
}

static void
on_accept_pause_over (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void) w;
  (void) revents;
  ev_io_start (loop, &listener);
}

/* A worker's SIGINT/SIGTERM: stop everything, so that its ev_run returns. */
static void
on_worker_signal (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void) w;
  (void) revents;
  ev_io_stop (loop, &listener);
  ev_timer_stop (loop, &accept_pause);
  echo_conns_close_all (loop, &conns);
  ev_signal_stop (loop, &sigint_watcher);
  ev_signal_stop (loop, &sigterm_watcher);
}

/* Runs in the child right after fork(), possibly from inside one of the
 * parent's callbacks (a restart), i.e. inside the parent's ev_run.
 *
 * Which loop does the worker use?  The default loop, continued with
 * ev_loop_fork(), not a new one from ev_loop_new().  ev(3), FORK, says that
 * a new loop is usually the cleanest choice for a child; here it is not:
 *
 *   - The child has a copy of the parent's default loop, in which SIGINT and
 *     SIGTERM are watched.  A signal belongs to one loop at a time (ev(3),
 *     ev_signal), so a new loop could not watch them until the copy let
 *     go of them, which means stopping watchers in the copy anyway.
 *   - Keeping the copy lets the worker take over the very same signal
 *     watchers with ev_set_cb(): SIGTERM is handled at every moment of the
 *     child's life, even one that arrives between fork() and here (it is
 *     recorded in the copy and reported to the new callback).
 *   - The parent must use the default loop anyway: only it can have ev_child
 *     watchers (ev(3), ev_child).
 *
 * ev_loop_fork() is required because some of the loop's kernel objects (the
 * epoll set, the wake-up descriptor) are shared with the parent after fork:
 * used as they are, the child would change what the parent's loop waits for
 * and steal its wake-ups.  The call only sets a flag; the next iteration
 * recreates them for this process (ev(3), FORK). */
static void
become_worker (struct ev_loop *loop, struct worker *w)
{
  me = w;
  ev_loop_fork (loop);

  /* The parent's other watchers were copied too, active, some maybe even
   * pending in the iteration that is running: stop them.  This changes only
   * our copy (the parent still has its own), and stopping a pending watcher
   * also drops its event, so none of the parent's callbacks can run here. */
  for (unsigned i = 0; i < nworkers; i++)
    {
      ev_child_stop (loop, &workers[i].exited);
      ev_timer_stop (loop, &workers[i].restart);
    }
  ev_timer_stop (loop, &grace_timer);
  ev_set_cb (&sigint_watcher, on_worker_signal);
  ev_set_cb (&sigterm_watcher, on_worker_signal);

  /* Leave the parent's code path: if we are inside the parent's ev_run
   * (forked from a restart timer), make it return once this callback is
   * done; main() then runs the worker.  Outside ev_run this does nothing. */
  ev_break (loop, EVBREAK_ALL);
}

static int
worker_main (struct ev_loop *loop)
{
  ev_io_init (&listener, on_connection, listen_fd, EV_READ);
  ev_io_start (loop, &listener);
  ev_timer_init (&accept_pause, on_accept_pause_over, 0.1, 0.);

  ev_run (loop, 0);             /* the first iteration completes ev_loop_fork's work */

  say ("worker %u (pid %ld) served %lu connections, echoed %llu bytes",
       me->id, (long) getpid (), conns.accepted, conns.echoed);
  close (listen_fd);
  ev_loop_destroy (loop);
  return 0;
}

/* ---- the parent ---------------------------------------------------------------- */

static unsigned
running (void)
{
  unsigned n = 0;
  for (unsigned i = 0; i < nworkers; i++)
    n += workers[i].pid != 0;
  return n;
}

static void schedule_restart (struct ev_loop *loop, struct worker *w);

/* Forks the process for slot w.  In the child it returns after
 * become_worker(); the caller checks "me". */
static void
spawn (struct ev_loop *loop, struct worker *w)
{
  /* stdout is line-buffered and every line is complete, so the buffer is
   * empty here; flush anyway: a child inherits unwritten stdio buffers and
   * would print them a second time. */
  fflush (stdout);

  pid_t pid = fork ();
  if (pid < 0)
    {
      say ("worker %u: fork: %s", w->id, strerror (errno));
      schedule_restart (loop, w);          /* try again later */
      return;
    }
  if (pid == 0)
    {
      become_worker (loop, w);
      return;
    }

  w->pid = pid;
  w->born = ev_now (loop);
  forks++;
  say ("worker %u started (pid %ld)", w->id, (long) pid);

  /* Started right after fork(), before control returns to the loop: even a
   * child that dies at once is reported (ev(3), ev_child). */
  ev_child_set (&w->exited, pid, 0);
  ev_child_start (loop, &w->exited);
}

static void
schedule_restart (struct ev_loop *loop, struct worker *w)
{
  /* Backoff: a worker that dies young (a bug that kills it at once, no
   * memory, ...) would otherwise be re-forked in a tight loop.  Double the
   * delay while replacements die young, start over after a long life. */
  bool young = w->born > 0 && ev_now (loop) - w->born < YOUNG;
  if (!young || w->delay == 0)
    w->delay = RESTART_DELAY_MIN;
  else if ((w->delay *= 2) > RESTART_DELAY_MAX)
    w->delay = RESTART_DELAY_MAX;
  ev_timer_set (&w->restart, w->delay, 0.);   /* allowed: a one-shot timer is inactive after it fired */
  ev_timer_start (loop, &w->restart);
}

static void
on_restart (struct ev_loop *loop, ev_timer *t, int revents)
{
  (void) revents;
  restarts++;
  spawn (loop, t->data);
}

static void
finish (struct ev_loop *loop)
{
  /* Nothing left to wait for: stop the last watchers, ev_run returns. */
  ev_signal_stop (loop, &sigint_watcher);
  ev_signal_stop (loop, &sigterm_watcher);
  ev_timer_stop (loop, &grace_timer);
}

static void
on_worker_exit (struct ev_loop *loop, ev_child *c, int revents)
{
  struct worker *w = c->data;
  int status = c->rstatus;     /* as from waitpid() */
  (void) revents;

  /* A watcher for one pid stays active after that process ended (ev(3),
   * ev_child): stop it; spawn() starts it again for the next pid. */
  ev_child_stop (loop, c);

  char how[64];
  if (WIFEXITED (status))
    snprintf (how, sizeof how, "exited with status %d", WEXITSTATUS (status));
  else
    snprintf (how, sizeof how, "killed by signal %d", WTERMSIG (status));
  long pid = (long) w->pid;
  w->pid = 0;

  if (stopping)
    {
      say ("worker %u (pid %ld) %s", w->id, pid, how);
      if (!running ())
        finish (loop);
      return;
    }
  schedule_restart (loop, w);
  say ("worker %u (pid %ld) %s, restarting in %g s", w->id, pid, how, w->delay);
}

static void
on_grace_over (struct ev_loop *loop, ev_timer *t, int revents)
{
  (void) loop;
  (void) t;
  (void) revents;
  say ("%u workers still running after %g s, killing them", running (), GRACE);
  for (unsigned i = 0; i < nworkers; i++)
    if (workers[i].pid)
      kill (workers[i].pid, SIGKILL);
}

static void
on_parent_signal (struct ev_loop *loop, ev_signal *s, int revents)
{
  (void) revents;
  if (stopping)
    return;                    /* already on it (Ctrl-C sends SIGINT to us and the workers) */
  stopping = true;
  say ("caught signal %d, stopping %u workers", s->signum, running ());

  for (unsigned i = 0; i < nworkers; i++)
    {
      struct worker *w = &workers[i];
      ev_timer_stop (loop, &w->restart);    /* no more replacements */
      if (w->pid)
        kill (w->pid, SIGTERM);             /* the worker's on_worker_signal */
    }
  /* Their ev_child watchers report them one by one (on_worker_exit); the
   * grace timer deals with a worker that does not stop. */
  if (running ())
    ev_timer_start (loop, &grace_timer);
  else
    finish (loop);
}

static int
usage (const char *argv0)
{
  fprintf (stderr,
           "usage: %s [-w WORKERS] [PORT]    (port 0 or nothing: any free port)\n"
           "  -w WORKERS  worker processes, 1 to %d (default 4)\n",
           argv0, MAX_WORKERS);
  return 64;
}

int
main (int argc, char **argv)
{
  int opt;
  while ((opt = getopt (argc, argv, "w:")) != -1)
    {
      char *end;
      switch (opt)
        {
        case 'w':
          nworkers = (unsigned) strtoul (optarg, &end, 10);
          if (end == optarg || *end || optarg[0] == '-' || nworkers < 1 || nworkers > MAX_WORKERS)
            return usage (argv[0]);
          break;
        default:
          return usage (argv[0]);
        }
    }
  unsigned port = 0, bound_port;
  if (argc - optind > 1 || (argc - optind == 1 && tcp_parse_port (argv[optind], &port) < 0))
    return usage (argv[0]);

  /* Line-buffered even into a file or pipe: parent and workers write to the
   * same stdout, each line in one write(), and nothing stays buffered
   * across fork(). */
  setvbuf (stdout, NULL, _IOLBF, 0);

  /* Opened once, before any fork: every worker inherits this socket (the
   * same kernel object, with the same queue of waiting connections). */
  listen_fd = tcp_listen_loopback (port, &bound_port);
  if (listen_fd < 0)
    return 1;

  /* The default loop: the only one with ev_child watchers. */
  struct ev_loop *loop = ev_default_loop (0);
  if (!loop)
    {
      fputs ("prefork-server: cannot initialise the event loop\n", stderr);
      return 1;
    }

  ev_signal_init (&sigint_watcher, on_parent_signal, SIGINT);
  ev_signal_start (loop, &sigint_watcher);
  ev_signal_init (&sigterm_watcher, on_parent_signal, SIGTERM);
  ev_signal_start (loop, &sigterm_watcher);
  ev_timer_init (&grace_timer, on_grace_over, GRACE, 0.);

  say ("listening on 127.0.0.1:%u", bound_port);

  for (unsigned i = 0; i < nworkers; i++)
    {
      struct worker *w = &workers[i];
      w->id = i + 1;
      ev_child_init (&w->exited, on_worker_exit, 0, 0);
      ev_timer_init (&w->restart, on_restart, 0., 0.);
      w->exited.data = w->restart.data = w;
    }
  for (unsigned i = 0; i < nworkers && !me; i++)
    spawn (loop, &workers[i]);

  if (!me)
    ev_run (loop, 0);           /* parent: until finish() stopped the last watcher */

  /* A worker gets here in one of two ways: forked by the loop above (before
   * any ev_run), or forked by on_restart inside ev_run, which become_worker
   * then made return. */
  if (me)
    return worker_main (loop);

  say ("all workers stopped; %lu forked, %lu of them replacements", forks, restarts);
  close (listen_fd);
  ev_loop_destroy (loop);
  return 0;
}
