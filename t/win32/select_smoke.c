/* SPDX-License-Identifier: BSD-2-Clause */
/* t/win32/select_smoke.c - libev-4.dll on Windows (run under Wine by t/win32/wine.sh): a
 * backend over C runtime fds of sockets (ev(3) WIN32 PLATFORM LIMITATIONS AND WORKAROUNDS),
 * select, or AFD with the argument "afd" (EVBACKEND_NG_AFD): the backend answers (libev's,
 * whichever runs), timers, a socket pair's data and EOF, 150 socket pairs at once (libev 4.33
 * aborts at the 65th fd), ev_async from another thread (through the loop's wake-up socket
 * pair), a C runtime signal, and EV_ERROR for an ev_io on a regular file and on a socket
 * closed behind the loop's back.  Prints "ok N name" per check, exits 1 on any failure. */
#include <winsock2.h>
#include <windows.h>

#include <fcntl.h>
#include <io.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ev.h"
#include "checks.h"
#include "socket_pair.h"


static SOCKET
sock (int fd)
{
  return (SOCKET)_get_osfhandle (fd);
}

/* ---- timers */
static int timer_fired;
static void
timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop;
  (void)w;
  timer_fired = revents;
}

/* ---- socket I/O */
static char got[64];
static int got_len, got_eof;
static void
read_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)revents;
  int n = recv (sock (w->fd), got + got_len, (int)(sizeof got - 1 - got_len), 0);
  if (n > 0)
    got_len += n;
  else if (n == 0)
    {
      got_eof = 1;
      ev_io_stop (loop, w);
    }
}

/* ---- many sockets */
#define PAIRS 150
static int many_seen;
static void
many_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  char c;
  if ((revents & EV_READ) && recv (sock (w->fd), &c, 1, 0) == 1)
    ++many_seen;
  ev_io_stop (loop, w);
}

/* ---- ev_async from a thread */
static ev_async async_w;
static int async_seen;
static struct ev_loop *async_loop;
static DWORD WINAPI
sender (void *arg)
{
  (void)arg;
  Sleep (50);
  ev_async_send (async_loop, &async_w);
  return 0;
}
static void
async_cb (struct ev_loop *loop, ev_async *w, int revents)
{
  (void)w;
  async_seen = revents;
  ev_break (loop, EVBREAK_ONE);
}

/* ---- signals */
static int signal_seen;
static void
signal_cb (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void)w;
  signal_seen = revents;
  ev_break (loop, EVBREAK_ONE);
}
static void
raise_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop;
  (void)w;
  (void)revents;
  raise (SIGINT);
}

/* ---- a regular file */
static int file_revents;
static void
file_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  file_revents |= revents;
  ev_io_stop (loop, w);
}

int
main (int argc, char **argv)
{
  WSADATA wsa;
  WSAStartup (MAKEWORD (2, 2), &wsa);
  setvbuf (stdout, 0, _IONBF, 0);
  /* AFD is had by its bit only; select is the default */
  int afd = argc > 1 && !strcmp (argv[1], "afd");
  unsigned int backend = afd ? EVBACKEND_NG_AFD : EVBACKEND_SELECT;
  printf ("# backend %s\n", afd ? "afd" : "select");

  check (ev_supported_backends () == EVBACKEND_SELECT, "ev_supported_backends () is select alone");
  check (ev_recommended_backends () == EVBACKEND_SELECT, "ev_recommended_backends () is select alone");
  check (ev_embeddable_backends () == 0xa8, "ev_embeddable_backends () is 0xa8, as libev's off Linux");
  struct ev_loop *loop = ev_default_loop (afd ? backend : 0);
  check (loop && ev_backend (loop) == backend, "the default loop runs on the backend asked for");
  if (!loop)
    return 1;

  /* timers on the monotonic clock, counted from ev_now, which the loop's creation set (ev(3)
   * "The special problem of time updates": creating a backend may take milliseconds) */
  ev_now_update (loop);
  ev_timer t;
  ev_timer_init (&t, timer_cb, 0.05, 0.);
  ev_timer_start (loop, &t);
  ev_tstamp start = ev_time ();
  ev_run (loop, 0);
  ev_tstamp took = ev_time () - start;
  check (timer_fired == EV_TIMER && took >= 0.045 && took < 2., "a 50 ms timer fires after about 50 ms");

  /* a socket pair: data, then EOF */
  int p[2];
  check (win32_socket_pair (p) == 0, "a loopback socket pair as C runtime fds");
  ev_io r;
  ev_io_init (&r, read_cb, p[1], EV_READ);
  ev_io_start (loop, &r);
  send (sock (p[0]), "hello", 5, 0);
  ev_run (loop, EVRUN_ONCE);
  check (got_len == 5 && !memcmp (got, "hello", 5), "ev_io reads what the other end sent");
  _close (p[0]);
  for (int i = 0; i < 20 && !got_eof; ++i)
    ev_run (loop, EVRUN_ONCE);
  check (got_eof, "ev_io sees EOF when the other end closes");
  _close (p[1]);

  /* 150 pairs, 300 sockets, watched at once */
  static int pairs[PAIRS][2];
  static ev_io many[PAIRS];
  int made = 0;
  for (int i = 0; i < PAIRS && win32_socket_pair (pairs[i]) == 0; ++i, ++made)
    {
      ev_io_init (&many[i], many_cb, pairs[i][1], EV_READ);
      ev_io_start (loop, &many[i]);
    }
  check (made == PAIRS && pairs[PAIRS - 1][1] > 64, "150 socket pairs, fds beyond 64");
  for (int i = 0; i < made; ++i)
    send (sock (pairs[i][0]), "x", 1, 0);
  for (int i = 0; i < 50 && many_seen < made; ++i)
    ev_run (loop, EVRUN_ONCE);
  printf ("# %d of %d sockets reported readable\n", many_seen, made);
  check (many_seen == made, "every one of the 150 sockets is reported (no FD_SETSIZE limit)");
  for (int i = 0; i < made; ++i)
    {
      _close (pairs[i][0]);
      _close (pairs[i][1]);
    }

  /* ev_async from another thread */
  async_loop = loop;
  ev_async_init (&async_w, async_cb);
  ev_async_start (loop, &async_w);
  ev_timer guard;
  ev_timer_init (&guard, timer_cb, 5., 0.);
  ev_timer_start (loop, &guard);
  HANDLE th = CreateThread (0, 0, sender, 0, 0, 0);
  ev_run (loop, 0);
  WaitForSingleObject (th, INFINITE);
  CloseHandle (th);
  check (async_seen == EV_ASYNC, "ev_async_send from another thread wakes the loop");
  ev_async_stop (loop, &async_w);

  /* a C runtime signal */
  ev_signal s;
  ev_signal_init (&s, signal_cb, SIGINT);
  ev_signal_start (loop, &s);
  ev_timer raiser;
  ev_timer_init (&raiser, raise_cb, 0.01, 0.);
  ev_timer_start (loop, &raiser);
  ev_run (loop, 0);
  check (signal_seen == EV_SIGNAL, "raise (SIGINT) reaches ev_signal");
  ev_signal_stop (loop, &s);
  ev_timer_stop (loop, &guard);

  /* a regular file is no socket: EV_ERROR, no abort, no spin */
  char path[MAX_PATH];
  GetTempPathA (sizeof path, path);
  strcat (path, "ev-ng-select-smoke.tmp");
  int f = _open (path, _O_CREAT | _O_RDWR | _O_TRUNC, 0600);
  check (f >= 0, "a regular file opened");
  ev_io fw;
  ev_io_init (&fw, file_cb, f, EV_READ);
  ev_io_start (loop, &fw);
  ev_run (loop, EVRUN_NOWAIT);
  check ((file_revents & EV_ERROR) && !ev_is_active (&fw), "ev_io on a regular file gets EV_ERROR and stops");
  _close (f);
  _unlink (path);

  /* a socket closed behind the loop's back: EV_ERROR, the loop goes on */
  int q[2];
  file_revents = 0;
  check (win32_socket_pair (q) == 0, "another socket pair");
  ev_io cw;
  ev_io_init (&cw, file_cb, q[1], EV_READ);
  ev_io_start (loop, &cw);
  ev_run (loop, EVRUN_NOWAIT);
  _close (q[1]);
  for (int i = 0; i < 5 && !file_revents; ++i)
    ev_run (loop, EVRUN_NOWAIT);
  check ((file_revents & EV_ERROR) && !ev_is_active (&cw), "ev_io on a socket closed behind the loop gets EV_ERROR");
  _close (q[0]);

  ev_loop_destroy (loop);
  printf ("# %d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
