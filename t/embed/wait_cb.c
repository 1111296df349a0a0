/* SPDX-License-Identifier: BSD-2-Clause */
/* t/embed/wait_cb.c - ev_ng_set_wait_cb (embed/ev_ng_embed.h; ev(3) EMBEDDING), the wait's
 * system call run by the program, as Ruby's nio4r runs it without Ruby's global lock: on the
 * backend named by argv[1] (its EVBACKEND_* value), with and without EV_MULTIPLICITY
 * (t/embed/kit.sh compiles it against the kit in both configurations).
 *   lock      a "global lock" that main holds but for the wait, which the callback lets go of:
 *             another thread that needs the lock to write to the pipe is served in the wait
 *   order     the release callback, the wait callback around the system call, then the acquire
 *             callback, in every wait of a run
 *   errno     what the callback leaves in errno after the call (or when it does not run it)
 *             is not the wait's: no error is reported (ev_set_syserr_cb)
 *   refuse    a callback that does not run the call: the iteration returns as if interrupted
 *             (no events, no error), and the next one gets them
 *   longjmp   a callback that leaves by longjmp, before or after the call (Ruby raises
 *             there): the loop runs on, and the event is reported in the next run
 *   null      a null callback: the loop makes the call itself again
 *   thread    the wait blocked in another thread than the loop's earlier runs (nio4r's select
 *             in a Ruby thread), a pipe's writer closed meanwhile: the run reports the reader
 *             (on io_uring the ring, the first thread's, refuses the second)
 * Exit status 0 and "wait_cb: ok" when all hold; 77 when the backend is not available. */
#include <ev.h>
#include "embed/ev_ng_embed.h"
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fds[2];
static char trace[256];
static size_t trace_len;
static int waits, syserrs, io_events, timeouts, eof_events;
#if EV_MULTIPLICITY
static struct ev_loop *thread_loop;
#endif
static jmp_buf escape;
static pthread_mutex_t gvl = PTHREAD_MUTEX_INITIALIZER;

static void
note (char c)
{
  if (trace_len < sizeof trace - 1)
    trace[trace_len++] = c;
}

static void
syserr_cb (const char *msg)
{
  (void)msg;
  ++syserrs;
}

static void
release_cb (EV_P)
{
  note ('r');
}

static void
acquire_cb (EV_P)
{
  note ('a');
}

/* the wait as Ruby runs it: without the lock */
static void
wait_unlocked (EV_P_ void *(*wait) (void *), void *arg)
{
  ++waits;
  note ('(');
  pthread_mutex_unlock (&gvl);
  wait (arg);
  pthread_mutex_lock (&gvl);
  note (')');
  errno = EBADF; /* the program's own errno afterwards */
}

static void
wait_refused (EV_P_ void *(*wait) (void *), void *arg)
{
  (void)wait;
  (void)arg;
  ++waits;
  errno = ENOMEM;
}

static void
wait_then_jump (EV_P_ void *(*wait) (void *), void *arg)
{
  ++waits;
  wait (arg);
  longjmp (escape, 1);
}

static void
jump_before_wait (EV_P_ void *(*wait) (void *), void *arg)
{
  (void)wait;
  (void)arg;
  ++waits;
  longjmp (escape, 2);
}

static void
io_cb (EV_P_ ev_io *w, int revents)
{
  char c;
  if ((revents & EV_READ) && read (w->fd, &c, 1) == 1)
    ++io_events;
}

static void
timeout_cb (EV_P_ ev_timer *w, int revents)
{
  (void)w;
  (void)revents;
  ++timeouts;
  ev_break (EV_A_ EVBREAK_ALL);
}

static void
eof_cb (EV_P_ ev_io *w, int revents)
{
  char c;
  if ((revents & EV_READ) && read (w->fd, &c, 1) == 0)
    ++eof_events;
}

/* a run in another thread, with the lock but for the wait */
static void *
run_once (void *arg)
{
#if EV_MULTIPLICITY
  struct ev_loop *loop = thread_loop;
#endif
  (void)arg;
  pthread_mutex_lock (&gvl);
  ev_run (EV_A_ EVRUN_ONCE);
  pthread_mutex_unlock (&gvl);
  return NULL;
}

/* the other thread: writes once it has the lock */
static void *
writer (void *arg)
{
  (void)arg;
  usleep (20000);
  pthread_mutex_lock (&gvl);
  if (write (fds[1], "x", 1) != 1)
    ++syserrs;
  pthread_mutex_unlock (&gvl);
  return NULL;
}

#define CHECK(cond, what)                                                                                    \
  do                                                                                                         \
    {                                                                                                        \
      if (!(cond))                                                                                           \
        {                                                                                                    \
          printf ("wait_cb: %s (waits %d, io %d, timeouts %d, syserrs %d, trace %s)\n", what, waits,        \
                  io_events, timeouts, syserrs, trace);                                                      \
          return 1;                                                                                          \
        }                                                                                                    \
    }                                                                                                        \
  while (0)

int
main (int argc, char **argv)
{
  unsigned int backend = argc > 1 ? (unsigned int)atoi (argv[1]) : EVBACKEND_EPOLL;
  ev_io io, eof;
  int eof_fds[2];
  ev_timer safety;
  pthread_t thread;
  const char *p;

  if (pipe (fds))
    return 2;
  ev_set_syserr_cb (syserr_cb);
#if EV_MULTIPLICITY
  struct ev_loop *loop = ev_loop_new (backend | EVFLAG_NOENV);
  if (!loop)
    return 77;
#else
  if (!ev_default_loop (backend | EVFLAG_NOENV))
    return 77;
#endif
  if (ev_backend (EV_A) != backend)
    return 77;

  ev_io_init (&io, io_cb, fds[0], EV_READ);
  ev_io_start (EV_A_ &io);
  /* (if the wait kept the lock, the writer would wait for this timer) */
  ev_timer_init (&safety, timeout_cb, 2., 0.);
  ev_timer_start (EV_A_ &safety);

  /* lock, order, errno */
  ev_set_loop_release_cb (EV_A_ release_cb, acquire_cb);
  ev_ng_set_wait_cb (EV_A_ wait_unlocked);
  ev_verify (EV_A);
  pthread_mutex_lock (&gvl);
  if (pthread_create (&thread, NULL, writer, NULL))
    return 2;
  while (!io_events && !timeouts)
    ev_run (EV_A_ EVRUN_ONCE);
  pthread_mutex_unlock (&gvl);
  pthread_join (thread, NULL);
  CHECK (io_events == 1 && !timeouts, "lock: the other thread was not served in the wait");
  CHECK (waits >= 1 && syserrs == 0, "errno: the program's errno after the call was taken for the wait's");
  CHECK (trace_len >= 4, "order: no wait through the callbacks");
  for (p = trace; p + 4 <= trace + trace_len; p += 4)
    CHECK (!strncmp (p, "r()a", 4), "order: not release, wait callback, acquire in every wait");
  ev_set_loop_release_cb (EV_A_ 0, 0);

  /* refuse: as if interrupted, then the event in the next iteration */
  if (write (fds[1], "x", 1) != 1)
    return 2;
  ev_ng_set_wait_cb (EV_A_ wait_refused);
  waits = 0;
  ev_run (EV_A_ EVRUN_ONCE);
  CHECK (waits >= 1 && io_events == 1 && syserrs == 0, "refuse: the iteration reported events or an error");
  ev_ng_set_wait_cb (EV_A_ wait_unlocked);
  pthread_mutex_lock (&gvl);
  ev_run (EV_A_ EVRUN_ONCE);
  pthread_mutex_unlock (&gvl);
  CHECK (io_events == 2 && syserrs == 0, "refuse: the next iteration did not report the event");

  /* longjmp after the call, then before it */
  if (write (fds[1], "xx", 2) != 2)
    return 2;
  ev_ng_set_wait_cb (EV_A_ wait_then_jump);
  if (!setjmp (escape))
    {
      ev_run (EV_A_ 0);
      CHECK (0, "longjmp: ev_run returned");
    }
  ev_ng_set_wait_cb (EV_A_ jump_before_wait);
  if (!setjmp (escape))
    {
      ev_run (EV_A_ 0);
      CHECK (0, "longjmp: ev_run returned");
    }
  CHECK (io_events == 2, "longjmp: an event was reported from an abandoned wait");

  /* null: the loop waits itself again, and reports the event left there */
  ev_ng_set_wait_cb (EV_A_ 0);
  ev_verify (EV_A);
  waits = 0;
  ev_run (EV_A_ EVRUN_ONCE);
  CHECK (io_events == 3 && waits == 0 && syserrs == 0, "longjmp, null: the loop did not run on by itself");
  ev_run (EV_A_ EVRUN_ONCE);
  CHECK (io_events == 4 && !timeouts, "null: the second byte was not reported");

  /* thread: the writer closed while another thread waits */
  if (pipe (eof_fds))
    return 2;
  ev_io_init (&eof, eof_cb, eof_fds[0], EV_READ);
  ev_io_start (EV_A_ &eof);
  ev_ng_set_wait_cb (EV_A_ wait_unlocked);
#if EV_MULTIPLICITY
  thread_loop = loop;
#endif
  if (pthread_create (&thread, NULL, run_once, NULL))
    return 2;
  usleep (50000); /* (the other thread blocks in the wait meanwhile) */
  pthread_mutex_lock (&gvl);
  close (eof_fds[1]);
  pthread_mutex_unlock (&gvl);
  pthread_join (thread, NULL);
  CHECK (eof_events == 1 && !timeouts, "thread: the run in another thread did not report the closed writer");
  ev_io_stop (EV_A_ &eof);
  close (eof_fds[0]);

  ev_io_stop (EV_A_ &io);
  ev_timer_stop (EV_A_ &safety);
#if EV_MULTIPLICITY
  ev_loop_destroy (loop);
#else
  ev_loop_destroy (EV_DEFAULT_UC);
#endif
  printf ("wait_cb: ok\n");
  return 0;
}
