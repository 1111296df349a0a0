/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/thread-server.c - one loop per thread: an echo server whose main
 * loop only accepts, handing each connection to one of N worker threads that
 * each run their own loop.
 *
 *   usage: thread-server [PORT [WORKERS]]      (defaults: 0 = any free port, 4)
 *
 * The pattern (ev(3), THREADS AND COROUTINES): a loop is used by one thread
 * only.  With libev 4.33 the one call another thread may make on it is
 * ev_async_send(), which carries nothing, so a program adds a mutex and a
 * queue around it.  libev-ng's ev_ng_post() (ev(3), "Posting work to a
 * loop") is that queue: the main thread posts "start serving this
 * descriptor" to a worker's loop, and the worker's loop calls the function
 * in the worker's thread, in the order the main thread posted.  Shutdown is
 * one more post, which therefore runs after every connection handed over
 * before it.  Producers take no lock, and a burst of posts costs at most one
 * wake-up of the worker.
 */
#define _POSIX_C_SOURCE 200809L

#include "echo-conn.h"
#include "tcp.h"

#include <ev.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#if !EV_NG_FEATURE_POST
# error "thread-server needs libev-ng's ev_ng_post (ev.h with EV_NG_FEATURE_POST)"
#endif

#define MAX_WORKERS 64

struct worker
{
  unsigned id;
  pthread_t thread;
  struct ev_loop *loop;             /* this worker's own loop: only its thread runs it */
  struct echo_conns conns;          /* touched by the worker thread only */
};

static struct worker workers[MAX_WORKERS];
static unsigned nworkers = 4, next_worker;
static ev_io listener;
static ev_signal on_sigint, on_sigterm;

/* ---- the worker side (posted functions, run in the worker's thread) ------- */

static void
serve (struct ev_loop *loop, void *arg)
{
  struct worker *wk = ev_userdata (loop);
  echo_conn_start (loop, &wk->conns, (int) (intptr_t) arg);
}

static void
stop (struct ev_loop *loop, void *arg)
{
  struct worker *wk = arg;
  /* With the connections closed and the reference taken in worker_start
   * given back, this loop has nothing active left: ev_run() returns and the
   * thread ends. */
  echo_conns_close_all (loop, &wk->conns);
  ev_unref (loop);
}

static void *
worker_main (void *arg)
{
  struct worker *wk = arg;
  ev_run (wk->loop, 0);
  return NULL;
}

/* Sets up worker i and starts its thread.  Returns 0, or -1 on failure. */
static int
worker_start (unsigned i)
{
  struct worker *wk = &workers[i];
  wk->id = i + 1;

  /* ev_loop_new, not EV_DEFAULT: there is one default loop per process and
   * the main thread runs it.  EVFLAG_AUTO lets libev pick the best backend. */
  wk->loop = ev_loop_new (EVFLAG_AUTO);
  if (!wk->loop)
    {
      fprintf (stderr, "thread-server: cannot create a loop\n");
      return -1;
    }
  ev_set_userdata (wk->loop, wk);

  /* Before the thread exists and before anyone posts: pthread_create()
   * orders these calls before everything the new thread does.  Posting holds
   * no reference, so the loop takes one to wait for posts while it has no
   * connection. */
  if (ev_ng_post_enable (wk->loop) < 0)
    {
      fprintf (stderr, "thread-server: out of memory\n");
      ev_loop_destroy (wk->loop);
      return -1;
    }
  ev_ref (wk->loop);

  int err = pthread_create (&wk->thread, NULL, worker_main, wk);
  if (err)
    {
      fprintf (stderr, "thread-server: pthread_create: %s\n", strerror (err));
      ev_loop_destroy (wk->loop);
      return -1;
    }
  return 0;
}

/* Called by the main thread: asks the worker to close everything and end.
 * Should the allocator have no memory for the post, try again: the worker
 * must hear of it. */
static void
worker_ask_to_stop (struct worker *wk)
{
  struct timespec ms = { 0, 1000000 };
  while (ev_ng_post (wk->loop, stop, wk) == -ENOMEM)
    nanosleep (&ms, NULL);
}

/* Called by the main thread after asking: waits for the thread, frees the loop. */
static void
worker_join (struct worker *wk)
{
  pthread_join (wk->thread, NULL);
  /* The thread has ended, so its loop and statistics are ours to use. */
  printf ("thread-server: worker %u served %lu connections, echoed %llu bytes\n",
          wk->id, wk->conns.accepted, wk->conns.echoed);
  ev_loop_destroy (wk->loop);
}

/* ---- the main side (runs in the main thread, on the default loop) --------- */

static void
hand_off (struct worker *wk, int fd)
{
  /* from the main thread: no lock, and no system call unless the worker's
   * loop sleeps; the descriptor travels as the argument */
  if (ev_ng_post (wk->loop, serve, (void *) (intptr_t) fd) < 0)
    close (fd);                     /* -ENOMEM: nothing was queued */
}

static void
on_connection (struct ev_loop *loop, ev_io *w, int revents)
{
  (void) loop;
  (void) revents;

  for (;;)
    {
      int fd = accept (w->fd, NULL, NULL);
      if (fd < 0)
        {
          if (errno == EINTR || errno == ECONNABORTED)
            continue;
          if (errno != EAGAIN && errno != EWOULDBLOCK)
            perror ("thread-server: accept");  /* e.g. EMFILE: see echo-server.c */
          return;
        }
      /* round robin: simple, and fair enough when connections are alike */
      hand_off (&workers[next_worker], fd);
      next_worker = (next_worker + 1) % nworkers;
    }
}

static void
on_signal (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void) revents;
  printf ("thread-server: caught signal %d, shutting down\n", w->signum);

  ev_io_stop (loop, &listener);
  close (listener.fd);
  ev_signal_stop (loop, &on_sigint);
  ev_signal_stop (loop, &on_sigterm);
  /* the main loop now has no active watcher: ev_run() in main() returns */

  for (unsigned i = 0; i < nworkers; i++)
    worker_ask_to_stop (&workers[i]);
}

/* Parses the number of workers into nworkers.  Returns 0, or -1 if invalid. */
static int
parse_workers (const char *arg)
{
  char *end;
  unsigned long n = strtoul (arg, &end, 10);
  if (end == arg || *end || arg[0] == '-' || n < 1 || n > MAX_WORKERS)
    return -1;
  nworkers = (unsigned) n;
  return 0;
}

int
main (int argc, char **argv)
{
  unsigned port = 0, bound_port;
  if (argc > 3
      || (argc >= 2 && tcp_parse_port (argv[1], &port) < 0)
      || (argc == 3 && parse_workers (argv[2]) < 0))
    {
      fprintf (stderr, "usage: %s [PORT [WORKERS]]    (PORT 0: any free port; 1 <= WORKERS <= %d)\n",
               argv[0], MAX_WORKERS);
      return 64;
    }

  int fd = tcp_listen_loopback (port, &bound_port);
  if (fd < 0)
    return 1;

  /* Block every signal while creating the workers: a thread inherits the
   * creator's mask, so SIGINT/SIGTERM are then delivered to the main thread
   * only, whose loop watches them.  ev(3) (PORTABILITY) calls this the most
   * portable way to combine threads and signals. */
  sigset_t all, old;
  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &old);
  for (unsigned i = 0; i < nworkers; i++)
    if (worker_start (i) < 0)
      {
        for (unsigned j = 0; j < i; j++)
          {
            worker_ask_to_stop (&workers[j]);
            worker_join (&workers[j]);
          }
        return 1;
      }
  pthread_sigmask (SIG_SETMASK, &old, NULL);

  struct ev_loop *loop = EV_DEFAULT;
  ev_io_init (&listener, on_connection, fd, EV_READ);
  ev_io_start (loop, &listener);
  ev_signal_init (&on_sigint, on_signal, SIGINT);
  ev_signal_start (loop, &on_sigint);
  ev_signal_init (&on_sigterm, on_signal, SIGTERM);
  ev_signal_start (loop, &on_sigterm);

  printf ("thread-server: listening on 127.0.0.1:%u with %u workers\n", bound_port, nworkers);
  fflush (stdout);

  ev_run (loop, 0);

  unsigned long accepted = 0;
  unsigned long long echoed = 0;
  for (unsigned i = 0; i < nworkers; i++)
    {
      worker_join (&workers[i]);
      accepted += workers[i].conns.accepted;
      echoed += workers[i].conns.echoed;
    }
  printf ("thread-server: served %lu connections, echoed %llu bytes\n", accepted, echoed);
  ev_loop_destroy (loop);
  return 0;
}
