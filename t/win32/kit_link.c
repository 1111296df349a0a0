/* SPDX-License-Identifier: BSD-2-Clause */
/* t/win32/kit_link.c - a C program that compiles the embedding kit in on Windows and links it
 * the way ev.c links, with -lws2_32 alone (t/win32/kit.sh builds it with each thread model of
 * mingw-w64 and runs it under Wine).  It runs what the core does with the system's primitives
 * (base/win32.cc): the clocks against the C runtime's and the performance counter, ev_sleep,
 * a socket's readiness, ev_async and ev_ng_post from threads that then exit (the thread key's
 * exit function and the per-thread record must give back every allocation), loops made and
 * run by four threads at once (the lock and the once), the metrics' clock, and debug mode's
 * report of a second thread in ev_run (the thread's id), in a copy of the program run with
 * the argument "race", which must abort.  Prints "ok N name" per check, exits 1 on a failure. */
#include <winsock2.h>
#include <windows.h>

#include <process.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ev.h"
#include "checks.h"
#include "socket_pair.h"

static double
qpc_seconds (void)
{
  LARGE_INTEGER c, f;
  QueryPerformanceCounter (&c);
  QueryPerformanceFrequency (&f);
  return (double)c.QuadPart / (double)f.QuadPart;
}

/* ---- every allocation of the core, counted from any thread */
static volatile LONG live_blocks;

static void *
counting_realloc (void *ptr, long size)
{
  if (!size)
    {
      if (ptr)
        InterlockedDecrement (&live_blocks);
      free (ptr);
      return 0;
    }
  if (!ptr)
    InterlockedIncrement (&live_blocks);
  return realloc (ptr, (size_t)size);
}

/* ---- the clocks */
static void
clocks (void)
{
  double wall = ev_time (), mono0 = ev_monotonic_time (), q0 = qpc_seconds ();
  time_t crt = time (0);

  check (wall - (double)crt > -2. && wall - (double)crt < 2., "ev_time agrees with the C runtime's time ()");
  ev_sleep (0.05);
  double slept = ev_monotonic_time () - mono0, q = qpc_seconds () - q0;
  check (q >= 0.049, "ev_sleep (0.05) sleeps 50 ms or more, by the performance counter");
  check (slept >= 0.049 && slept < q + 0.01, "ev_monotonic_time counts the sleep as the performance counter does");
  check (ev_time () >= wall, "ev_time does not go back across a sleep");
}

/* ---- a timer and a socket */
static int io_seen, timer_seen;

static void
io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  char c;
  if ((revents & EV_READ) && recv ((SOCKET)_get_osfhandle (w->fd), &c, 1, 0) == 1)
    io_seen = c;
  ev_io_stop (loop, w);
}

static void
timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop;
  (void)w;
  timer_seen = revents;
}

static void
io_and_timer (void)
{
  struct ev_loop *loop = ev_loop_new (0);
  int fds[2];
  ev_io io;
  ev_timer t;

  check (loop && ev_backend (loop) == EVBACKEND_SELECT, "ev_loop_new (0): select");
  if (win32_socket_pair (fds))
    {
      check (0, "a socket pair");
      return;
    }
  ev_io_init (&io, io_cb, fds[0], EV_READ);
  ev_io_start (loop, &io);
  ev_timer_init (&t, timer_cb, 0.02, 0.);
  ev_timer_start (loop, &t);
  send ((SOCKET)_get_osfhandle (fds[1]), "k", 1, 0);
  double before = ev_now (loop);
  ev_run (loop, 0);
  check (io_seen == 'k', "ev_io: the byte sent is read");
  check (timer_seen == EV_TIMER && ev_now (loop) - before >= 0.019, "ev_timer: fires after its 20 ms");
  _close (fds[0]);
  _close (fds[1]);
  ev_loop_destroy (loop);
}

/* ---- ev_async and ev_ng_post from threads that exit */
#define POSTERS 3
#define POSTS 100
static struct ev_loop *post_loop;
static ev_async async_w;
static volatile LONG posts_run, asyncs_seen;

static void
posted_cb (struct ev_loop *loop, void *arg)
{
  (void)loop;
  (void)arg;
  if (InterlockedIncrement (&posts_run) == POSTERS * POSTS && asyncs_seen)
    ev_async_stop (loop, &async_w);
}

static void
async_cb (struct ev_loop *loop, ev_async *w, int revents)
{
  (void)revents;
  InterlockedIncrement (&asyncs_seen);
  if (posts_run == POSTERS * POSTS)
    ev_async_stop (loop, w);
}

static unsigned __stdcall
poster (void *arg)
{
  (void)arg;
  for (int i = 0; i < POSTS; ++i)
    if (ev_ng_post (post_loop, posted_cb, 0))
      return 1;
  ev_async_send (post_loop, &async_w);
  return 0;
}

static void
posts_from_threads (void)
{
  HANDLE th[POSTERS];
  DWORD code;
  int started = 0, ok = 1;

  post_loop = ev_loop_new (0);
  check (ev_ng_post_enable (post_loop) == 0, "ev_ng_post_enable");
  ev_async_init (&async_w, async_cb);
  ev_async_start (post_loop, &async_w);
  for (int i = 0; i < POSTERS; ++i)
    if ((th[i] = (HANDLE)_beginthreadex (0, 0, poster, 0, 0, 0)))
      ++started;
  check (started == POSTERS, "three threads started");
  ev_run (post_loop, 0);
  for (int i = 0; i < started; ++i)
    {
      WaitForSingleObject (th[i], INFINITE);
      ok = ok && GetExitCodeThread (th[i], &code) && code == 0;
      CloseHandle (th[i]);
    }
  check (ok, "every ev_ng_post from the threads succeeded");
  check (posts_run == POSTERS * POSTS && asyncs_seen > 0, "every post ran in the loop's thread, and ev_async woke it");
  /* the threads are gone: their lanes go at the next pass, and their records went at their exit */
  ev_run (post_loop, EVRUN_NOWAIT);
  ev_loop_destroy (post_loop);
  check (live_blocks == 0, "the exited threads gave back every allocation (thread key and per-thread record)");
  if (live_blocks)
    printf ("# %ld allocations left\n", (long)live_blocks);
}

/* ---- loops of four threads at once */
#define LOOPERS 4
static volatile LONG loops_ran;

static unsigned __stdcall
looper (void *arg)
{
  (void)arg;
  for (int i = 0; i < 20; ++i)
    {
      struct ev_loop *loop = ev_loop_new (0);
      ev_timer t;
      if (!loop)
        return 1;
      ev_timer_init (&t, timer_cb, 0.001, 0.);
      ev_timer_start (loop, &t);
      ev_run (loop, 0);
      ev_loop_destroy (loop);
      InterlockedIncrement (&loops_ran);
    }
  return 0;
}

static void
loops_in_threads (void)
{
  HANDLE th[LOOPERS];
  int started = 0;

  for (int i = 0; i < LOOPERS; ++i)
    if ((th[i] = (HANDLE)_beginthreadex (0, 0, looper, 0, 0, 0)))
      ++started;
  for (int i = 0; i < started; ++i)
    {
      WaitForSingleObject (th[i], INFINITE);
      CloseHandle (th[i]);
    }
  check (started == LOOPERS && loops_ran == LOOPERS * 20, "four threads made, ran and destroyed 20 loops each at once");
}

/* ---- the metrics' clock */
static void
metrics (void)
{
  struct ev_loop *loop = ev_loop_new (EVFLAG_NG_METRICS);
  struct ev_metrics m;
  ev_timer t;

  ev_timer_init (&t, timer_cb, 0.1, 0.);
  ev_timer_start (loop, &t);
  ev_run (loop, 0);
  memset (&m, 0, sizeof m);
  m.size = sizeof m;
  check (ev_metrics_get (loop, &m) == 0, "ev_metrics_get");
  check (m.time_blocked >= 0.05 && m.time_blocked <= m.elapsed && m.elapsed < 10.,
         "metrics: the 100 ms wait counted as blocked, in seconds");
  if (!(m.time_blocked >= 0.05 && m.time_blocked <= m.elapsed && m.elapsed < 10.))
    printf ("# blocked %g of %g s\n", m.time_blocked, m.elapsed);
  ev_loop_destroy (loop);
}

/* ---- "race": debug mode reports ev_run of a loop that another thread runs, and aborts */
static struct ev_loop *race_loop;

static unsigned __stdcall
second_runner (void *arg)
{
  (void)arg;
  ev_run (race_loop, 0);
  return 0;
}

static int
race (void)
{
  ev_timer t;
  race_loop = ev_loop_new (EVFLAG_NG_DEBUG);
  ev_timer_init (&t, timer_cb, 2., 0.);
  ev_timer_start (race_loop, &t);
  /* the second thread starts while this one waits in ev_run */
  HANDLE th = (HANDLE)_beginthreadex (0, 0, second_runner, 0, 0, 0);
  ev_run (race_loop, 0);
  WaitForSingleObject (th, INFINITE);
  printf ("race: not reported\n");
  return 0;
}

int
main (int argc, char **argv)
{
  WSADATA wsa;

  setvbuf (stdout, 0, _IONBF, 0);
  if (argc > 1 && !strcmp (argv[1], "race"))
    return race ();
  /* (LIBEV_NG_METRICS_CLOCK: the metrics read base/os_clock.h's clock, not the cycle counter) */
  _putenv ("LIBEV_NG_METRICS_CLOCK=monotonic");
  ev_set_allocator (counting_realloc);
  WSAStartup (MAKEWORD (2, 2), &wsa);
  clocks ();
  io_and_timer ();
  posts_from_threads ();
  loops_in_threads ();
  metrics ();
  /* abort () ends a program with status 3 */
  intptr_t status = _spawnl (_P_WAIT, argv[0], argv[0], "race", (char *)0);
  check (status == 3, "debug mode: a second thread's ev_run of a running loop is reported (the copy aborted)");
  if (status != 3)
    printf ("# the copy's status: %ld\n", (long)status);
  printf ("# %d checks, %d failed\n", checks, failures);
  return failures != 0;
}
