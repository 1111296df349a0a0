/* SPDX-License-Identifier: BSD-2-Clause */
/* t/win32/ev_io_many_sockets.c - ev(3) "ev_io" on Windows at scale (make check-windows,
 * t/win32/check.sh): a loopback TCP listener and 2,000 clients, each of which sends a message
 * the server echoes and checks what comes back, all through one loop, on each backend of
 * the run.  At most 1,000 clients are connected at a time, so 2,001 sockets are watched at
 * once: the C runtime's table holds 2,048 fds (msvcrt's, which mingw-w64 links, on Windows
 * and under Wine alike) and each connection has both its ends in this process.  Far beyond
 * FD_SETSIZE (64), where libev 4.33 aborts. */
#include "harness.h"

#include <stdio.h>
#include <string.h>

enum { kClients = 2000, kAtOnce = 1000, kMsg = 32 };

struct conn
{
  ev_io io;
  int id;               /* a client's number; -1 for the server's end */
  char buf[kMsg];
  int have, sent;
};

static struct
{
  int listen_fd, started, echoed, open_fds, peak, errors;
  struct conn *conns;   /* clients [0, kClients), then the servers' ends */
  int nservers;
  char why[256];
} e;

static void
failed (const char *what, int id)
{
  if (!e.errors++)
    snprintf (e.why, sizeof e.why, "%s (client %d, WSA error %d)", what, id, WSAGetLastError ());
}

static void
message (int id, char out[kMsg])
{
  memset (out, '.', kMsg);
  snprintf (out, kMsg, "client %d says hello", id);
}

static void
drop (struct ev_loop *loop, struct conn *c)
{
  ev_io_stop (loop, &c->io);
  close (c->io.fd);
  --e.open_fds;
}

static void start_client (struct ev_loop *loop);

static void
client_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  struct conn *c = (struct conn *)w;
  char want[kMsg];
  if (revents & EV_ERROR)
    return failed ("EV_ERROR on a client", c->id), drop (loop, c);
  if (revents & EV_WRITE)
    {
      /* connected (or refused: the send says) */
      message (c->id, want);
      if (send (w->fd, want, kMsg, 0) != kMsg)
        return failed ("send", c->id), drop (loop, c);
      ev_io_stop (loop, w);
      ev_io_set (w, w->fd, EV_READ);
      ev_io_start (loop, w);
      return;
    }
  int n = recv (w->fd, c->buf + c->have, kMsg - c->have, 0);
  if (n <= 0)
    return failed (n ? "recv" : "EOF before the echo", c->id), drop (loop, c);
  if ((c->have += n) < kMsg)
    return;
  message (c->id, want);
  if (memcmp (c->buf, want, kMsg))
    failed ("the echo differs", c->id);
  ++e.echoed;
  drop (loop, c);
  if (e.echoed == kClients)
    ev_break (loop, EVBREAK_ALL);
}

static void
server_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  struct conn *c = (struct conn *)w;
  (void)revents;
  int n = recv (w->fd, c->buf + c->have, kMsg - c->have, 0);
  if (n == 0)
    {
      /* the next client starts when a connection is gone at both ends: ev(3) promises no
       * order between the events of different fds, and the client's end may be closed one
       * iteration or more before its server's end sees the EOF (AFD under Wine: up to 44
       * sockets at the peak), so a client started at the echo would need that many fds more */
      drop (loop, c);
      if (e.started < kClients)
        start_client (loop);
      return;
    }
  if (n < 0)
    return failed ("recv on the server", -1), drop (loop, c);
  if ((c->have += n) == kMsg && send (w->fd, c->buf, kMsg, 0) != kMsg)
    failed ("send on the server", -1);
}

static void
accept_cb (struct ev_loop *loop, ev_io *w, int revents)
{
  (void)revents;
  for (;;)
    {
      SOCKET s = accept (win_socket_of (w->fd), NULL, NULL);
      if (s == INVALID_SOCKET)
        return;
      int fd = _open_osfhandle ((intptr_t)s, 0);
      if (fd < 0)
        return closesocket (s), failed ("_open_osfhandle of an accepted socket", -1);
      struct conn *c = &e.conns[kClients + e.nservers++];
      c->id = -1;
      ev_io_init (&c->io, server_cb, fd, EV_READ);
      ev_io_start (loop, &c->io);
      if (++e.open_fds > e.peak)
        e.peak = e.open_fds;
    }
}

static struct sockaddr_in listen_addr;

static void
start_client (struct ev_loop *loop)
{
  struct conn *c = &e.conns[e.started];
  u_long on = 1;
  c->id = e.started++;
  SOCKET s = socket (AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (s == INVALID_SOCKET || ioctlsocket (s, FIONBIO, &on))
    return failed ("socket", c->id);
  if (connect (s, (struct sockaddr *)&listen_addr, sizeof listen_addr) && WSAGetLastError () != WSAEWOULDBLOCK)
    return closesocket (s), failed ("connect", c->id);
  int fd = _open_osfhandle ((intptr_t)s, 0);
  if (fd < 0)
    return closesocket (s), failed ("_open_osfhandle of a client", c->id);
  ev_io_init (&c->io, client_cb, fd, EV_WRITE);
  ev_io_start (loop, &c->io);
  if (++e.open_fds > e.peak)
    e.peak = e.open_fds;
}

static void
give_up_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w, (void)revents;
  ev_break (loop, EVBREAK_ALL);
}

static void
ev_io__two_thousand_clients_echo_through_one_loop (void **state)
{
  struct ev_loop *loop = *state;
  memset (&e, 0, sizeof e);
  e.conns = calloc (2 * kClients, sizeof *e.conns);
  assert_non_null (e.conns);

  SOCKET l = socket (AF_INET, SOCK_STREAM, IPPROTO_TCP);
  int len = sizeof listen_addr;
  u_long on = 1;
  memset (&listen_addr, 0, sizeof listen_addr);
  listen_addr.sin_family = AF_INET;
  listen_addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  assert_true (l != INVALID_SOCKET);
  assert_int_equal (bind (l, (struct sockaddr *)&listen_addr, sizeof listen_addr), 0);
  assert_int_equal (listen (l, SOMAXCONN), 0);
  assert_int_equal (getsockname (l, (struct sockaddr *)&listen_addr, &len), 0);
  assert_int_equal (ioctlsocket (l, FIONBIO, &on), 0);
  e.listen_fd = _open_osfhandle ((intptr_t)l, 0);
  assert_true (e.listen_fd >= 0);
  ev_io listener;
  ev_io_init (&listener, accept_cb, e.listen_fd, EV_READ);
  ev_io_start (loop, &listener);

  double t0 = harness_monotonic ();
  while (e.started < kAtOnce)
    start_client (loop);
  ev_timer guard;
  ev_timer_init (&guard, give_up_cb, harness_slack (120.), 0.);
  ev_timer_start (loop, &guard);
  ev_run (loop, 0);
  ev_timer_stop (loop, &guard);
  double took = harness_monotonic () - t0;

  /* the servers' ends of the last clients see their EOF */
  while (e.open_fds > 0 && ev_run (loop, EVRUN_NOWAIT | EVRUN_ONCE) && harness_monotonic () - t0 < harness_slack (130.))
    ;
  print_message ("%d of %d clients echoed in %.2f s, %d sockets watched at the peak, %d errors%s%s\n", e.echoed,
                 kClients, took, e.peak + 1, e.errors, e.errors ? ": first " : "", e.why);
  ev_io_stop (loop, &listener);
  close (e.listen_fd);
  for (int i = 0; i < kClients + e.nservers; ++i)
    if (ev_is_active (&e.conns[i].io))
      drop (loop, &e.conns[i]);
  free (e.conns);
  assert_int_equal (e.errors, 0);
  assert_int_equal (e.echoed, kClients);
  assert_true (e.peak + 1 > 2 * kAtOnce);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    loop_test (ev_io__two_thousand_clients_echo_through_one_loop),
  };
  return HARNESS_RUN ("ev_io_many_sockets", tests);
}
