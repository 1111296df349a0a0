/* SPDX-License-Identifier: BSD-2-Clause */
/* t/win32/ev_io.c - ev(3) "ev_io - is this file descriptor readable or writable?" on Windows
 * (run under Wine by t/win32/wine.sh), on select or, with the argument "afd", on
 * EVBACKEND_NG_AFD: as many sockets as the C runtime gives fds (up to 10,000) with one
 * active, level-triggered re-reports, write readiness, EOF, a failed connect (EV_WRITE, then
 * SO_ERROR), a change of interest while the backend waits on the socket (stop and start, read
 * to write), and ev_io_stop then closesocket with no stale event; then how a loop gets AFD
 * (its bit, LIBEV_FLAGS=256) and that it gets select otherwise.  Prints "ok N name" per
 * check, exits 1 on any failure. */
#include <winsock2.h>
#include <windows.h>

#include <fcntl.h>
#include <io.h>
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

/* a listening loopback socket, and its address */
static SOCKET listener;
static struct sockaddr_in listen_addr;

static int
listen_loopback (void)
{
  int len = sizeof listen_addr;
  listener = socket (AF_INET, SOCK_STREAM, 0);
  memset (&listen_addr, 0, sizeof listen_addr);
  listen_addr.sin_family = AF_INET;
  listen_addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  return listener != INVALID_SOCKET && !bind (listener, (struct sockaddr *)&listen_addr, sizeof listen_addr)
         && !listen (listener, 64) && !getsockname (listener, (struct sockaddr *)&listen_addr, &len)
           ? 0
           : -1;
}

/* a connection to the listener: both ends as C runtime fds, or -1 when the runtime or the
 * system refuses one */
static int
connected_pair (int fds[2])
{
  SOCKET a = socket (AF_INET, SOCK_STREAM, 0), b;
  if (a == INVALID_SOCKET)
    return -1;
  if (connect (a, (struct sockaddr *)&listen_addr, sizeof listen_addr)
      || (b = accept (listener, 0, 0)) == INVALID_SOCKET)
    {
      closesocket (a);
      return -1;
    }
  return win32_fds_of_sockets (a, b, fds);
}

/* counts callbacks and their events per watcher, through w->data */
struct seen
{
  int calls, revents;
};
static void
count_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  struct seen *s = w->data;
  (void)loop;
  ++s->calls;
  s->revents |= revents;
}

static void
run_nowait (struct ev_loop *loop, int times)
{
  while (times--)
    ev_run (loop, EVRUN_NOWAIT);
}

/* runs once with a 2 s guard, so that a missing event fails instead of hanging */
static void
timeout_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop, (void)w, (void)revents;
}
static void
run_once (struct ev_loop *loop)
{
  ev_timer guard;
  ev_timer_init (&guard, timeout_cb, 2., 0.);
  ev_timer_start (loop, &guard);
  ev_run (loop, EVRUN_ONCE);
  ev_timer_stop (loop, &guard);
}

#define MAX_PAIRS 5000 /* 10,000 sockets */
static int pairs[MAX_PAIRS][2];
static ev_io watchers[MAX_PAIRS][2];
static struct seen seen_of[MAX_PAIRS][2];

int
main (int argc, char **argv)
{
  WSADATA wsa;
  WSAStartup (MAKEWORD (2, 2), &wsa);
  setvbuf (stdout, 0, _IONBF, 0);
  int afd = argc > 1 && !strcmp (argv[1], "afd");
  unsigned int backend = afd ? EVBACKEND_NG_AFD : EVBACKEND_SELECT;
  printf ("# backend %s\n", afd ? "afd" : "select");
  struct ev_loop *loop = ev_loop_new (backend | EVFLAG_NOENV);
  check (loop && ev_backend (loop) == backend, "ev_loop_new gives the backend asked for");
  if (!loop || listen_loopback ())
    return 1;

  /* ---- many sockets, one active */
  int made = 0;
  while (made < MAX_PAIRS && connected_pair (pairs[made]) == 0)
    ++made;
  printf ("# %d sockets as C runtime fds (%s)\n", 2 * made,
          made == MAX_PAIRS ? "as many as asked" : "the C runtime or the system refused the next");
  /* msvcrt's table has 2048 fds, less the three of stdio and the loop's wake-up pair */
  check (2 * made >= 2000, "at least 2,000 sockets, fds beyond 2,000");
  for (int i = 0; i < made; ++i)
    for (int j = 0; j < 2; ++j)
      {
        ev_io_init (&watchers[i][j], count_cb, pairs[i][j], EV_READ);
        watchers[i][j].data = &seen_of[i][j];
        ev_io_start (loop, &watchers[i][j]);
      }
  run_nowait (loop, 2);
  int active = made / 2, spurious = 0;
  send (sock (pairs[active][0]), "x", 1, 0);
  run_once (loop);
  for (int i = 0; i < made; ++i)
    for (int j = 0; j < 2; ++j)
      if (seen_of[i][j].calls && !(i == active && j == 1))
        ++spurious;
  check (seen_of[active][1].calls == 1 && seen_of[active][1].revents == EV_READ && !spurious,
         "one socket of all is written to: it alone is reported, EV_READ, once");

  /* ---- level-triggered: reported again each iteration until drained */
  run_nowait (loop, 3);
  check (seen_of[active][1].calls == 4, "an undrained socket is reported again in each iteration");
  char buf[16];
  recv (sock (pairs[active][1]), buf, sizeof buf, 0);
  seen_of[active][1].calls = 0;
  run_nowait (loop, 3);
  check (seen_of[active][1].calls == 0, "once drained it is no longer reported");
  for (int i = 0; i < made; ++i)
    for (int j = 0; j < 2; ++j)
      ev_io_stop (loop, &watchers[i][j]);
  for (int i = 2; i < made; ++i)
    for (int j = 0; j < 2; ++j)
      _close (pairs[i][j]);

  /* ---- write readiness, level-triggered too */
  struct seen ws = { 0, 0 };
  ev_io w;
  ev_io_init (&w, count_cb, pairs[0][0], EV_WRITE);
  w.data = &ws;
  ev_io_start (loop, &w);
  run_once (loop);
  run_nowait (loop, 2);
  check (ws.calls == 3 && ws.revents == EV_WRITE, "a writable socket gets EV_WRITE in each iteration");
  ev_io_stop (loop, &w);

  /* ---- EOF */
  struct seen es = { 0, 0 };
  ev_io_init (&w, count_cb, pairs[0][1], EV_READ);
  w.data = &es;
  ev_io_start (loop, &w);
  run_nowait (loop, 1);
  _close (pairs[0][0]);
  run_once (loop);
  check (es.calls >= 1 && es.revents == EV_READ && recv (sock (pairs[0][1]), buf, sizeof buf, 0) == 0,
         "the other end closes: EV_READ, and recv reads EOF");
  ev_io_stop (loop, &w);
  _close (pairs[0][1]);

  /* ---- a failed connect: EV_WRITE, then SO_ERROR says why */
  SOCKET gone = socket (AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to = listen_addr;
  int len = sizeof to;
  to.sin_port = 0;
  bind (gone, (struct sockaddr *)&to, sizeof to);
  getsockname (gone, (struct sockaddr *)&to, &len);
  closesocket (gone); /* nothing listens on that port now */
  SOCKET c = socket (AF_INET, SOCK_STREAM, 0);
  u_long on = 1;
  ioctlsocket (c, FIONBIO, &on);
  int cr = connect (c, (struct sockaddr *)&to, sizeof to);
  check (cr == SOCKET_ERROR && WSAGetLastError () == WSAEWOULDBLOCK, "a non-blocking connect to a closed port");
  int cfd = _open_osfhandle ((intptr_t)c, 0);
  struct seen cs = { 0, 0 };
  ev_io_init (&w, count_cb, cfd, EV_WRITE);
  w.data = &cs;
  ev_io_start (loop, &w);
  for (int i = 0; i < 3 && !cs.calls; ++i)
    run_once (loop);
  int err = 0, elen = sizeof err;
  getsockopt (c, SOL_SOCKET, SO_ERROR, (char *)&err, &elen);
  printf ("# SO_ERROR %d\n", err);
  check (cs.calls >= 1 && (cs.revents & EV_WRITE) && !(cs.revents & EV_ERROR) && err == WSAECONNREFUSED,
         "the failed connect gets EV_WRITE, and SO_ERROR is WSAECONNREFUSED");
  ev_io_stop (loop, &w);
  _close (cfd);

  /* ---- a change of interest while the backend waits on the socket */
  struct seen is = { 0, 0 };
  ev_io_init (&w, count_cb, pairs[1][1], EV_READ);
  w.data = &is;
  ev_io_start (loop, &w);
  run_nowait (loop, 2); /* the backend now waits on it */
  ev_io_stop (loop, &w);
  send (sock (pairs[1][0]), "y", 1, 0);
  Sleep (20);
  run_nowait (loop, 3);
  check (is.calls == 0, "stopped while the backend waits on it: no event");
  ev_io_start (loop, &w);
  run_once (loop);
  check (is.calls == 1 && is.revents == EV_READ, "started again: the data that came meanwhile is reported");
  recv (sock (pairs[1][1]), buf, sizeof buf, 0);
  run_nowait (loop, 2); /* waiting on it for reading again */
  is.calls = is.revents = 0;
  ev_io_stop (loop, &w);
  ev_io_set (&w, pairs[1][1], EV_WRITE);
  ev_io_start (loop, &w);
  run_once (loop);
  check (is.calls == 1 && is.revents == EV_WRITE, "read changed to write while waiting: EV_WRITE, no EV_READ");
  ev_io_stop (loop, &w);

  /* ---- ev_io_stop, then closesocket: no stale event, also not for the fd's next socket */
  is.calls = is.revents = 0;
  ev_io_set (&w, pairs[1][1], EV_READ);
  ev_io_start (loop, &w);
  run_nowait (loop, 2);
  ev_io_stop (loop, &w);
  int closed = pairs[1][1];
  _close (closed);
  Sleep (20);
  run_nowait (loop, 3);
  check (is.calls == 0, "stopped, then closed: no event");
  int again[2] = { -1, -1 };
  connected_pair (again);
  printf ("# the next socket got fd %d (%d was closed)\n", again[1] == closed ? again[1] : again[0], closed);
  int reused = again[0] == closed ? again[0] : again[1];
  ev_io_set (&w, reused, EV_READ);
  ev_io_start (loop, &w);
  Sleep (20);
  run_nowait (loop, 3);
  check (is.calls == 0, "the fd's next socket, watched: no event before data");
  send (sock (reused == again[0] ? again[1] : again[0]), "z", 1, 0);
  run_once (loop);
  check (is.calls == 1 && is.revents == EV_READ, "the fd's next socket: its data is reported, EV_READ");
  ev_io_stop (loop, &w);

  /* ---- the same with no iteration between the close and the next start (t/ev_io.c's
   * documented switch): the request still pending names the closed socket, whose handle
   * value the next one often gets too; its completion is not the new socket's event */
  char drop[4];
  recv (sock (reused), drop, sizeof drop, 0);
  for (int set = 1; set >= 0; --set)
    {
      int peer = reused == again[0] ? again[1] : again[0];
      ev_io_start (loop, &w);
      run_nowait (loop, 2); /* a request is pending for it */
      ev_io_stop (loop, &w);
      SOCKET old_handle = sock (reused);
      _close (reused);
      _close (peer);
      connected_pair (again);
      check (again[0] == reused || again[1] == reused, "the closed fd's number is given out again");
      reused = again[0] == reused ? again[0] : again[1];
      printf ("# the next socket's handle is %s the closed one's\n", sock (reused) == old_handle ? "the same as" : "other than");
      if (set)
        ev_io_set (&w, reused, EV_READ);
      ev_io_start (loop, &w);
      is.calls = is.revents = 0;
      Sleep (20);
      run_nowait (loop, 3);
      check (is.calls == 0, set ? "stop, close, a new socket on the fd, ev_io_set, start: no event before data"
                                : "stop, close, a new socket on the fd, start (no ev_io_set): no event before data");
      send (sock (reused == again[0] ? again[1] : again[0]), "z", 1, 0);
      run_once (loop);
      check (is.calls == 1 && is.revents == EV_READ, set ? "... then its data is reported, EV_READ"
                                                          : "... then its data is reported, EV_READ (no ev_io_set)");
      ev_io_stop (loop, &w);
      recv (sock (reused), drop, sizeof drop, 0);
    }
  _close (again[0]);
  _close (again[1]);
  _close (pairs[1][0]);

  ev_loop_destroy (loop);
  closesocket (listener);

  /* ---- how AFD is had: by its bit, also beside select's, or through LIBEV_FLAGS */
  struct ev_loop *both = ev_loop_new (EVBACKEND_NG_AFD | EVBACKEND_SELECT | EVFLAG_NOENV);
  check (both && ev_backend (both) == EVBACKEND_NG_AFD, "asked for AFD and select, the loop runs on AFD");
  ev_loop_destroy (both);
  _putenv ("LIBEV_FLAGS=256");
  struct ev_loop *env = ev_loop_new (0);
  check (env && ev_backend (env) == EVBACKEND_NG_AFD, "LIBEV_FLAGS=256 makes a loop of default flags run on AFD");
  ev_loop_destroy (env);
  _putenv ("LIBEV_FLAGS=");
  struct ev_loop *plain = ev_loop_new (0);
  check (plain && ev_backend (plain) == EVBACKEND_SELECT, "without them, a loop runs on select");
  ev_loop_destroy (plain);
  printf ("# %d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
