/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/model_stream.c - streams in the model (-S; ev(3) "Streams: the loop does the I/O"):
 * a sequence's connections (socket pairs and loopback TCP connections, the program as the peer
 * on the other end) and its listening socket, the stream and accept operations, their part of
 * the callbacks, the completions of borrowed sends, and the checks of the bytes both ways.
 *
 * What the model knows of a stream is less than of an io watcher: when bytes arrive, and when
 * the loop hands over again what a callback left, depends on the engine and the kernel.  So the
 * library's events to streams are not predicted but judged (streams_plausible: EV_READ only to a
 * receiving stream, EV_WRITE only with EV_WRITE in its events and no more often than it queued
 * bytes, EV_ERROR only where the connection is gone or the descriptor was never one), an event
 * queued unseen is adopted at the next sync (streams_adopt: ev_pending_count counts it), and the
 * guarantees are checked on the bytes themselves:
 *   - what recv hands over is exactly what the peer wrote, in order, none twice (after a stop
 *     that may have dropped received bytes, the next bytes are found again further on);
 *   - what the peer reads is exactly what the sends queued, in order, less what a stop
 *     cancelled (`queued` just before it), and the end of the stream only after a shutdown and
 *     everything before it;
 *   - sends are refused exactly when ev(3) says: ENOTCONN, EPIPE after a shutdown, ENOBUFS over
 *     the limit (from `queued` before the call);
 *   - every borrowed send completes exactly once, in order, with ECANCELED only from its stop
 *     and before that stop returns, never from ev_loop_destroy; its bytes are overwritten and
 *     freed at once after, so a late use shows in what the peer reads (or to ASan);
 *   - a kept buffer keeps its bytes until it is released; ev_loop_destroy frees the rest;
 *   - every connection a client made is taken once, non-blocking and close-on-exec;
 *   - streams_settle: with the callbacks taking everything and the peers reading everything,
 *     a few non-blocking iterations deliver every byte both ways, every completion, the end of
 *     the stream, the drained queue's EV_WRITE, every waiting connection and every EV_ERROR.
 * libev 4.33 has no streams: built against its ev.h (model.sh's reference) this file only has
 * stubs, and -S is refused. */
#define _GNU_SOURCE 1
#include "model.h"
#include "stress.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef EV_NG_FEATURE_STREAM

#define M_CONNS 4
#define M_CLIENTS 6
#define M_REFS 24
#define M_KEPT 8
#define PAT (1 << 20)              /* the bytes of a direction repeat with this period */
#define PAT_SLACK (512 * 1024)     /* the most bytes compared at once */
#define MAX_UNREAD (256 * 1024)    /* the peer writes no more while this many wait */
#define DEFAULT_LIMIT ((size_t)4 << 20)

static unsigned char pat_in[PAT + PAT_SLACK], pat_out[PAT + PAT_SLACK];
static int pat_made;

/* a connection: the stream's end (fd) and the peer's, and the bytes of each direction */
struct mconn
{
  int used, fd, peer, tcp, gen;
  int owner;          /* the active stream on it (watcher id), else -1 */
  long in_w, in_r;    /* bytes the peer wrote, bytes recv handed over */
  int resync;         /* a stop may have dropped received bytes: the next ones are at in_r or after */
  long out_c, out_r;  /* bytes of the stream's sequence (sends less what stops cancelled), the peer read */
  int peer_shut, peer_gone, wr_shut, peer_eof, out_dead;
};

/* a borrowed send, until its completion */
struct mref
{
  int used, wid, loop;
  long seq;
  char *buf;
  size_t len;
};

/* a buffer kept past its callback, with a copy of its bytes */
struct mkept
{
  int used, loop;
  void *h;
  const char *data;
  char *copy;
  size_t len;
};

/* a client of the listener: 1 waits to be taken, 2 a stop of the accept watcher may have
 * closed its connection, 0 none (taken, or never) */
struct mclient
{
  int fd, port, state;
};

/* what the model knows of a stream or accept watcher beyond struct mw */
struct sstate
{
  int conn, cgen;     /* the connection and its generation when configured (-1: a bad fd) */
  int bad;            /* the error its start must end in: ENOTSOCK, ENOTCONN */
  int events;
  int shut_req, eof_taken, owed_write;
  long sends, write_calls, fed_writes, ref_seq;
};

static struct sstate SS[M_WATCHERS + M_LOOPS];
static struct mconn C[M_CONNS];
static struct mref R[M_REFS];
static struct mkept KP[M_KEPT];
static struct mclient CL[M_CLIENTS];
static int listener = -1;
static struct sockaddr_in laddr;
static struct mw *stopping; /* inside ev_ng_stream_stop of it */

/* the figures, shared with the child processes that run sequences with the default loop */
static struct stream_totals
{
  long sends, refused, refs, done, cancelled, failed_sends, bytes_in, bytes_out, keeps, errors, taken, ends,
    settles, settle_rounds;
} *ST;

static struct ev_loop *
LP (int loop)
{
  return S.loops[loop].l;
}

static void
stream_cb (struct ev_loop *l, ev_ng_stream *w, int r)
{
  ops_callback (l, (ev_watcher *)w, r);
}

static void
accept_cb (struct ev_loop *l, ev_ng_accept *w, int r)
{
  ops_callback (l, (ev_watcher *)w, r);
}

void
streams_figures (void)
{
  if (!ST)
    return;
  stress_figure ("streams: %ld sends (%ld borrowed; %ld refused as ev(3) says), %ld completions (%ld cancelled by a "
                 "stop, %ld by an error), %ld bytes received and %ld read by the peers, checked, %ld buffers kept, "
                 "%ld EV_ERROR, %ld ends, %ld connections taken, %ld settles (%ld rounds)",
                 ST->sends, ST->refs, ST->refused, ST->done, ST->cancelled, ST->failed_sends, ST->bytes_in,
                 ST->bytes_out, ST->keeps, ST->errors, ST->ends, ST->taken, ST->settles, ST->settle_rounds);
}

int
streams_kind (const struct mw *m)
{
  return m->kind == K_STREAM || m->kind == K_ACCEPT;
}

void
streams_init_watcher (struct mw *m)
{
  if (m->kind == K_STREAM)
    ev_init (&m->u.stream, stream_cb);
  else
    ev_init (&m->u.acc, accept_cb);
  SS[m->id] = (struct sstate){ .conn = -1 };
}

/* a small build keeps the API but fails every stream with ENOSYS */
int
streams_available (void)
{
  ST = mmap (NULL, sizeof *ST, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (ST == MAP_FAILED)
    return 0;
  int sv[2], ok = 0;
  struct ev_loop *l = ev_loop_new (EVBACKEND_POLL | EVFLAG_NOENV);
  if (!l || socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return 0;
  ev_ng_stream w;
  ev_ng_stream_init (&w, (void (*) (struct ev_loop *, ev_ng_stream *, int))0, sv[0], EV_READ);
  ev_set_cb (&w, stream_cb);
  ev_ng_stream_start (l, &w);
  ok = ev_is_active (&w) && !ev_is_pending (&w);
  ev_ng_stream_stop (l, &w);
  ev_loop_destroy (l);
  close (sv[0]);
  close (sv[1]);
  return ok;
}

/* ---- connections ------------------------------------------------------------------------------ */

static void
no_delay (int fd)
{
  int one = 1;
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* closed with a reset, so that no TIME_WAIT is left for every sequence */
static void
close_tcp (int fd)
{
  struct linger lg = { 1, 0 };
  setsockopt (fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close (fd);
}

static int
tcp_pair (int sv[2])
{
  int l = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof a;
  if (l < 0)
    return -1;
  if (bind (l, (struct sockaddr *)&a, sizeof a) != 0 || listen (l, 1) != 0
      || getsockname (l, (struct sockaddr *)&a, &len) != 0)
    {
      close (l);
      return -1;
    }
  sv[1] = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (sv[1] < 0 || (connect (sv[1], (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS))
    {
      if (sv[1] >= 0)
        close (sv[1]);
      close (l);
      return -1;
    }
  sv[0] = accept4 (l, NULL, NULL, SOCK_CLOEXEC);
  close (l);
  if (sv[0] < 0)
    {
      close (sv[1]);
      return -1;
    }
  no_delay (sv[0]);
  no_delay (sv[1]);
  return 0;
}

static void
conn_close (struct mconn *c)
{
  if (!c->used)
    return;
  if (c->tcp)
    {
      close_tcp (c->fd);
      if (c->peer >= 0)
        close_tcp (c->peer);
    }
  else
    {
      close (c->fd);
      if (c->peer >= 0)
        close (c->peer);
    }
  int gen = c->gen;
  *c = (struct mconn){ .owner = -1, .peer = -1, .fd = -1, .gen = gen + 1 };
}

static void
conn_adopt (struct mconn *c, int fd, int peer, int tcp)
{
  int gen = c->gen;
  *c = (struct mconn){ .used = 1, .fd = fd, .peer = peer, .tcp = tcp, .owner = -1, .gen = gen + 1 };
  fcntl (peer, F_SETFL, O_NONBLOCK);
  if (!tcp && m_chance (30))
    {
      /* small kernel buffers: partial sends and a full socket come sooner (not for TCP, where a
       * window smaller than a loopback segment opens again only by the persist timer's probes,
       * after 200 ms and more) */
      int small = 4096 + 4096 * (int)m_rand (4);
      setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
      setsockopt (peer, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    }
}

static int
conn_open (int ci)
{
  struct mconn *c = &C[ci];
  int sv[2], tcp = m_chance (25);
  conn_close (c);
  if (tcp ? tcp_pair (sv) != 0 : socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    {
      m_fail ("cannot make a connection: %s", strerror (errno));
      return -1;
    }
  conn_adopt (c, sv[0], sv[1], tcp);
  tr ("  conn%d %s", ci, tcp ? "tcp" : "unix");
  return 0;
}

/* a connection the stream side of which may not be started on again */
static int
conn_spent (const struct mconn *c)
{
  return !c->used || c->peer_gone || c->wr_shut;
}

void
streams_setup (void)
{
  if (!pat_made)
    {
      uint64_t r = 0x5eedf00dcafeULL;
      for (size_t i = 0; i < PAT; ++i)
        {
          pat_in[i] = (unsigned char)(stress_rand (&r) >> 24);
          pat_out[i] = (unsigned char)(stress_rand (&r) >> 24);
        }
      memcpy (pat_in + PAT, pat_in, PAT_SLACK);
      memcpy (pat_out + PAT, pat_out, PAT_SLACK);
      pat_made = 1;
    }
  memset (R, 0, sizeof R);
  memset (KP, 0, sizeof KP);
  memset (CL, 0, sizeof CL);
  stopping = NULL;
  for (int i = 0; i < M_CONNS; ++i)
    C[i] = (struct mconn){ .owner = -1, .fd = -1, .peer = -1 };
  int n = 2 + (int)m_rand (2);
  for (int i = 0; i < n; ++i)
    conn_open (i);
  listener = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  laddr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof laddr;
  if (listener < 0 || bind (listener, (struct sockaddr *)&laddr, sizeof laddr) != 0 || listen (listener, 16) != 0
      || getsockname (listener, (struct sockaddr *)&laddr, &len) != 0)
    m_fail ("cannot make the listening socket: %s", strerror (errno));
}

static int
refs_of (int wid)
{
  int n = 0;
  for (int i = 0; i < M_REFS; ++i)
    n += R[i].used && R[i].wid == wid;
  return n;
}

static void
ref_free (struct mref *r)
{
  memset (r->buf, 0xee, r->len);
  free (r->buf);
  r->used = 0;
}

void
streams_loop_destroyed (int loop)
{
  /* the sends of its active streams are dropped without their completions, its kept buffers
   * are freed with it (ev(3) "Streams and ev_loop_destroy") */
  for (int i = 0; i < M_REFS; ++i)
    if (R[i].used && R[i].loop == loop)
      ref_free (&R[i]);
  for (int i = 0; i < M_KEPT; ++i)
    if (KP[i].used && KP[i].loop == loop)
      {
        free (KP[i].copy);
        KP[i].used = 0;
      }
  for (int i = 0; i < S.nw; ++i)
    if (S.w[i].loop == loop && S.w[i].kind == K_STREAM && SS[i].conn >= 0 && C[SS[i].conn].owner == i)
      C[SS[i].conn].owner = -1;
}

void
streams_teardown (void)
{
  for (int i = 0; i < M_CONNS; ++i)
    conn_close (&C[i]);
  for (int i = 0; i < M_CLIENTS; ++i)
    if (CL[i].state)
      {
        close_tcp (CL[i].fd);
        CL[i].state = 0;
      }
  if (listener >= 0)
    close (listener);
  listener = -1;
  for (int i = 0; i < M_REFS; ++i)
    if (R[i].used)
      {
        m_fail ("w%d: a borrowed send of %zu bytes never completed", R[i].wid, R[i].len);
        ref_free (&R[i]);
      }
}

int
streams_leave_active (const struct mw *m)
{
  return streams_kind (m) && m->active && m_chance (40);
}

/* ---- configure, start, stop ------------------------------------------------------------------- */

void
streams_configure (struct mw *m)
{
  struct sstate *ss = &SS[m->id];
  m->conf = 0;
  if (m->kind == K_ACCEPT)
    {
      ss->bad = m_chance (5) ? ENOTSOCK : 0;
      ss->conn = -1;
      ev_ng_accept_set (&m->u.acc, ss->bad ? S.fds[0].fd : listener);
      tr ("  set w%d accept%s", m->id, ss->bad ? " on a pipe" : "");
      m->conf = 1;
      return;
    }
  static const int evs[] = { EV_READ, EV_READ, EV_READ | EV_WRITE, EV_READ | EV_WRITE, EV_WRITE };
  ss->events = evs[m_rand (5)];
  m->u.stream.limit = m_chance (50) ? 0 : 64 + m_rand (64 * 1024);
  if (m_chance (4))
    {
      /* not a connected socket: EV_ERROR from the first iteration */
      ss->bad = m_chance (50) ? ENOTSOCK : ENOTCONN;
      ss->conn = -1;
      ev_ng_stream_set (&m->u.stream, ss->bad == ENOTSOCK ? S.fds[0].fd : listener, ss->events);
      tr ("  set w%d stream on a %s", m->id, ss->bad == ENOTSOCK ? "pipe" : "listening socket");
      m->conf = 1;
      return;
    }
  int cand[M_CONNS], n = 0;
  for (int i = 0; i < M_CONNS; ++i)
    if (C[i].owner < 0)
      cand[n++] = i;
  if (!n)
    {
      tr ("  set w%d: no connection free", m->id);
      return;
    }
  int ci = cand[m_rand ((unsigned)n)];
  if ((conn_spent (&C[ci]) || m_chance (10)) && conn_open (ci) != 0)
    return;
  ss->bad = 0;
  ss->conn = ci;
  ss->cgen = C[ci].gen;
  ev_ng_stream_set (&m->u.stream, C[ci].fd, ss->events);
  tr ("  set w%d stream conn%d events=%d limit=%zu", m->id, ci, ss->events, m->u.stream.limit);
  m->conf = 1;
}

int
streams_can_start (const struct mw *m, int reconfigure)
{
  const struct sstate *ss = &SS[m->id];
  /* stopped by the library with its EV_ERROR still queued: a start now would get that EV_ERROR
   * while active, with err 0 (as an ev_io started again before its EV_ERROR callback would) */
  if (m->spend)
    return 0;
  if (reconfigure)
    return 1;
  if (!m->conf)
    return 0;
  if (m->kind == K_ACCEPT)
    {
      /* one accept watcher at a time takes the listener's connections */
      for (int i = 0; i < S.nw; ++i)
        if (S.w[i].kind == K_ACCEPT && S.w[i].active && &S.w[i] != m)
          return 0;
      return 1;
    }
  if (ss->bad)
    return 1;
  const struct mconn *c = &C[ss->conn];
  return c->gen == ss->cgen && c->owner < 0 && !conn_spent (c);
}

void
streams_start (struct mw *m)
{
  struct sstate *ss = &SS[m->id];
  struct ev_loop *l = LP (m->loop);
  if (m->kind == K_ACCEPT)
    {
      ev_ng_accept_start (l, &m->u.acc);
      return;
    }
  ss->shut_req = ss->eof_taken = ss->owed_write = 0;
  ss->sends = ss->write_calls = 0;
  ss->fed_writes = (m->pend & EV_WRITE) != 0; /* fed before the start */
  if (!ss->bad)
    C[ss->conn].owner = m->id;
  ev_ng_stream_start (l, &m->u.stream);
  if (m->u.stream.queued || m->u.stream.err)
    m_fail ("w%d: queued %zu, err %d after its start", m->id, m->u.stream.queued, m->u.stream.err);
}

/* the library stopped it (EV_ERROR): was there a cause? */
static void
lib_stopped_now (struct mw *m)
{
  struct sstate *ss = &SS[m->id];
  m->active = 0;
  m->lib_stopped = 1;
  int err = m->kind == K_STREAM ? m->u.stream.err : m->u.acc.err;
  tr ("  w%d stopped by the library, err %d", m->id, err);
  if (ss->bad)
    {
      if (err != ss->bad)
        m_fail ("w%d (%s): EV_ERROR with err %d, the descriptor should give %d", m->id, m_kind_name[m->kind], err,
                ss->bad);
      return;
    }
  if (m->kind == K_ACCEPT)
    {
      m_fail ("w%d (accept): stopped by the library (err %d) on a listening socket", m->id, err);
      return;
    }
  struct mconn *c = &C[ss->conn];
  if (!c->peer_gone)
    m_fail ("w%d (stream conn%d): stopped by the library (err %d), but its peer is still there", m->id, ss->conn,
            err);
  else if (err != ECONNRESET && err != EPIPE)
    m_fail ("w%d (stream conn%d): the peer is gone, but err is %d", m->id, ss->conn, err);
  if (refs_of (m->id))
    m_fail ("w%d: %d borrowed sends not completed when the library stopped it", m->id, refs_of (m->id));
  c->owner = -1;
  c->out_dead = 1;
  c->resync = 1;
}

void
streams_stop (struct mw *m)
{
  struct sstate *ss = &SS[m->id];
  struct ev_loop *l = LP (m->loop);
  if (m->kind == K_ACCEPT)
    {
      int was = ev_is_active (&m->u.acc);
      ev_ng_accept_stop (l, &m->u.acc);
      if (was)
        for (int i = 0; i < M_CLIENTS; ++i)
          if (CL[i].state == 1)
            CL[i].state = 2; /* closed by the stop, or still in the kernel's backlog */
      return;
    }
  int was = ev_is_active (&m->u.stream);
  size_t queued = m->u.stream.queued;
  stopping = m;
  ev_ng_stream_stop (l, &m->u.stream);
  stopping = NULL;
  if (refs_of (m->id))
    m_fail ("w%d: %d borrowed sends not completed when ev_ng_stream_stop returned", m->id, refs_of (m->id));
  if (m->u.stream.queued)
    m_fail ("w%d: queued %zu after its stop", m->id, m->u.stream.queued);
  if (!was || ss->bad)
    return;
  struct mconn *c = &C[ss->conn];
  /* on io_uring a send request in flight may still send part of the queue while the stop waits
   * for it (ev(3) "Streams on io_uring": "the bytes a cancelled send had sent count"), which the
   * program cannot count: the connection's outgoing bytes are not checked after that */
  if (queued && ev_backend (l) == EVBACKEND_IOURING)
    c->out_dead = 1;
  /* elsewhere what was queued never goes; what was received and not handed over is dropped */
  c->out_c -= (long)queued;
  if (c->out_c < c->out_r && !c->out_dead)
    m_fail ("w%d: the peer read %ld bytes, but %ld were queued and %zu of them cancelled", m->id, c->out_r,
            c->out_c + (long)queued, queued);
  if (c->in_w > c->in_r)
    c->resync = 1;
  c->owner = -1;
}

void
streams_fed (struct mw *m, int revents)
{
  if (m->kind == K_STREAM && (revents & EV_WRITE))
    SS[m->id].fed_writes++;
}

/* ---- what the library may do unseen ---------------------------------------------------------- */

int
streams_plausible (const struct mw *m)
{
  const struct sstate *ss = &SS[m->id];
  if (m->lib_stopped)
    return EV_ERROR;
  if (!m->active)
    return 0;
  if (m->kind == K_ACCEPT)
    return ss->bad ? 0 : EV_READ;
  if (ss->bad)
    return 0;
  return ss->events & (EV_READ | EV_WRITE);
}

void
streams_adopt (struct mloop *L, const struct mw *skip)
{
  for (int i = 0; i < S.nw; ++i)
    {
      struct mw *m = &S.w[i];
      if (m->loop != L->idx || !streams_kind (m) || m == skip || !L->alive)
        continue;
      const ev_watcher *w = &m->u.w;
      if (m->active && !ev_is_active (w))
        lib_stopped_now (m);
      int p = ev_is_pending (w) != 0;
      if (p && !m->pend && !m->spend)
        {
          if (!m->active && !m->lib_stopped)
            m_fail ("w%d (%s, L%d): pending, but it was stopped", i, m_kind_name[m->kind], L->idx);
          m->spend = 1;
          L->pendcnt++;
        }
      else if (!p && m->spend)
        {
          m_fail ("w%d (%s, L%d): no longer pending, and its callback was not called", i, m_kind_name[m->kind],
                  L->idx);
          m->spend = 0;
        }
    }
}

void
streams_cleared (struct mw *m, int r)
{
  int allowed = m->pend | (m->spend ? streams_plausible (m) : 0);
  if ((r & m->pend) != m->pend || (r & ~allowed) || (r != 0) != (m->pend || m->spend))
    m_fail ("w%d (%s): ev_clear_pending returned %#x, the model expects %#x (%#x possible)", m->id,
            m_kind_name[m->kind], r, m->pend, allowed);
  if (r & EV_ERROR)
    m->lib_stopped = 0; /* that EV_ERROR is dropped */
  if ((r & EV_WRITE) && m->kind == K_STREAM && !m->u.stream.queued)
    SS[m->id].owed_write = 0; /* and so is the drain's EV_WRITE */
  m->pend = 0;
  m->spend = 0;
  m->must_by = 0;
}

/* ---- the bytes -------------------------------------------------------------------------------- */

static void
check_in (struct mw *m, const char *p, int n)
{
  struct mconn *c = &C[SS[m->id].conn];
  if (c->resync)
    {
      /* a stop dropped what it held: these bytes are somewhere at in_r or after, once */
      long found = -1, matches = 0;
      for (long o = c->in_r; o + n <= c->in_w && matches < 2; ++o)
        if (!memcmp (pat_in + o % PAT, p, (size_t)n))
          found = o, ++matches;
      if (!matches)
        m_fail ("w%d (conn%d): recv handed over %d bytes that the peer did not write after offset %ld", m->id,
                SS[m->id].conn, n, c->in_r);
      else if (matches == 1)
        {
          c->in_r = found + n;
          c->resync = 0;
        }
      return;
    }
  if (c->in_r + n > c->in_w)
    m_fail ("w%d (conn%d): recv handed over %d bytes, only %ld more were written", m->id, SS[m->id].conn, n,
            c->in_w - c->in_r);
  else if (memcmp (pat_in + c->in_r % PAT, p, (size_t)n))
    m_fail ("w%d (conn%d): recv handed over %d bytes at offset %ld that differ from what the peer wrote", m->id,
            SS[m->id].conn, n, c->in_r);
  c->in_r += n;
}

static void
check_eof (struct mw *m)
{
  struct sstate *ss = &SS[m->id];
  struct mconn *c = &C[ss->conn];
  if (ss->eof_taken)
    return;
  ss->eof_taken = 1;
  ST->ends++;
  tr ("  w%d end of stream", m->id);
  if (!c->peer_shut && !c->peer_gone)
    m_fail ("w%d (conn%d): recv returned the end of the stream, but the peer did not shut down", m->id, ss->conn);
  else if (!c->resync && !c->peer_gone && c->in_r != c->in_w)
    m_fail ("w%d (conn%d): the end of the stream after %ld of the %ld bytes the peer wrote", m->id, ss->conn,
            c->in_r, c->in_w);
}

static int
nkept (void)
{
  int n = 0;
  for (int i = 0; i < M_KEPT; ++i)
    n += KP[i].used;
  return n;
}

static void
maybe_keep (struct mw *m, const char *p, int n)
{
  if (S.tearing || S.settling || nkept () >= M_KEPT || !m_chance (35))
    return;
  struct ev_loop *l = LP (m->loop);
  void *h = ev_ng_stream_keep (l, &m->u.stream);
  if (!h)
    {
      m_fail ("w%d: ev_ng_stream_keep returned 0 after recv handed over %d bytes", m->id, n);
      return;
    }
  if (ev_ng_stream_keep (l, &m->u.stream))
    m_fail ("w%d: ev_ng_stream_keep kept the same bytes twice", m->id);
  for (int i = 0; i < M_KEPT; ++i)
    if (!KP[i].used)
      {
        KP[i] = (struct mkept){ 1, m->loop, h, p, malloc ((size_t)n), (size_t)n };
        ST->keeps++;
        memcpy (KP[i].copy, p, (size_t)n);
        tr ("  keep k%d %d bytes", i, n);
        return;
      }
}

/* recv up to `how` times (-1: until nothing more), checking what it hands over */
static void
do_recv (struct mw *m, int how)
{
  struct sstate *ss = &SS[m->id];
  ev_ng_stream *w = &m->u.stream;
  struct ev_loop *l = LP (m->loop);
  int pending = ev_is_pending (w) != 0, active = ev_is_active (w);
  for (int i = 0; how < 0 || i < how; ++i)
    {
      const char *p = NULL;
      errno = 0;
      int n = ev_ng_stream_recv (l, w, &p);
      if (n < 0)
        {
          if (errno != EAGAIN)
            m_fail ("w%d: ev_ng_stream_recv failed with errno %d, not EAGAIN", m->id, errno);
          break;
        }
      /* after the end was taken, 0 on every call (ev(3)), also while pending */
      if (!active || (pending && !(n == 0 && ss->eof_taken)) || ss->bad)
        {
          m_fail ("w%d: ev_ng_stream_recv returned %d on a watcher that is %s", m->id, n,
                  !active ? "not active" : pending ? "pending" : "on no connection");
          break;
        }
      tr ("  recv w%d %d", m->id, n);
      if (n == 0)
        {
          check_eof (m);
          break;
        }
      check_in (m, p, n);
      ST->bytes_in += n;
      maybe_keep (m, p, n);
    }
}

static int
client_of_port (int port)
{
  for (int i = 0; i < M_CLIENTS; ++i)
    if ((CL[i].state == 1 || CL[i].state == 2) && CL[i].port == port)
      return i;
  return -1;
}

static void
take_connections (struct mw *m, int how)
{
  ev_ng_accept *w = &m->u.acc;
  struct ev_loop *l = LP (m->loop);
  int pending = ev_is_pending (w) != 0, active = ev_is_active (w);
  for (int i = 0; how < 0 || i < how; ++i)
    {
      errno = 0;
      int fd = ev_ng_accept_take (l, w);
      if (fd < 0)
        {
          if (errno != EAGAIN)
            m_fail ("w%d: ev_ng_accept_take failed with errno %d, not EAGAIN", m->id, errno);
          break;
        }
      if (!active || pending)
        m_fail ("w%d: ev_ng_accept_take gave a connection to a watcher that is %s", m->id,
                !active ? "not active" : "pending");
      int fl = fcntl (fd, F_GETFL), fdfl = fcntl (fd, F_GETFD);
      if (fl < 0 || !(fl & O_NONBLOCK) || fdfl < 0 || !(fdfl & FD_CLOEXEC))
        m_fail ("w%d: a taken connection is not non-blocking and close-on-exec (%#x %#x)", m->id, fl, fdfl);
      struct sockaddr_in a;
      socklen_t len = sizeof a;
      int ci = getpeername (fd, (struct sockaddr *)&a, &len) == 0 ? client_of_port (ntohs (a.sin_port)) : -1;
      if (ci < 0)
        {
          m_fail ("w%d: ev_ng_accept_take gave a connection no client waits for (taken twice?)", m->id);
          close_tcp (fd);
          continue;
        }
      int slot = -1;
      for (int k = 0; k < M_CONNS && slot < 0; ++k)
        if (C[k].owner < 0 && (!C[k].used || conn_spent (&C[k])))
          slot = k;
      tr ("  take w%d client%d%s", m->id, ci, slot >= 0 ? " as a connection" : "");
      if (slot >= 0 && m_chance (70))
        {
          conn_close (&C[slot]);
          no_delay (fd);
          conn_adopt (&C[slot], fd, CL[ci].fd, 1);
        }
      else
        {
          close_tcp (fd);
          close_tcp (CL[ci].fd);
        }
      CL[ci].state = 0;
      ST->taken++;
    }
}

void
streams_callback (struct mw *m, int revents, int via)
{
  struct sstate *ss = &SS[m->id];
  int err = m->kind == K_STREAM ? m->u.stream.err : m->u.acc.err;
  if ((revents & EV_ERROR) && !via)
    {
      m->lib_stopped = 0;
      ST->errors++;
      tr ("  error w%d err=%d", m->id, err);
      if (ev_is_active (&m->u.w))
        m_fail ("w%d: active in its EV_ERROR callback", m->id);
      if (refs_of (m->id))
        m_fail ("w%d: %d borrowed sends not completed in its EV_ERROR callback", m->id, refs_of (m->id));
    }
  if (m->kind == K_ACCEPT)
    {
      if ((revents & EV_READ) || m_chance (20))
        take_connections (m, S.settling || m_chance (60) ? -1 : (int)m_rand (2));
      return;
    }
  if ((revents & EV_WRITE) && !via)
    {
      ss->write_calls++;
      if (ss->write_calls > ss->sends + ss->fed_writes)
        m_fail ("w%d: EV_WRITE %ld times after %ld sends", m->id, ss->write_calls, ss->sends);
      if (!m->u.stream.queued)
        ss->owed_write = 0;
    }
  if (ss->bad)
    {
      const char *p;
      if (ev_ng_stream_recv (LP (m->loop), &m->u.stream, &p) >= 0)
        m_fail ("w%d: recv handed over bytes on a descriptor that is no connected socket", m->id);
      return;
    }
  if ((revents & EV_READ) || m_chance (20))
    {
      unsigned r = m_rand (4);
      do_recv (m, S.settling || S.tearing || r < 2 ? -1 : (int)r - 2);
    }
}

/* ---- the operations --------------------------------------------------------------------------- */

static struct mw *
pick_kind (int kind, int active_only)
{
  struct mw *cand[M_WATCHERS];
  int n = 0;
  for (int i = 0; i < S.nw; ++i)
    if (S.w[i].kind == kind && S.w[i].conf && S.loops[S.w[i].loop].alive && (!active_only || S.w[i].active))
      cand[n++] = &S.w[i];
  return n ? cand[m_rand ((unsigned)n)] : NULL;
}

static size_t
draw_len (void)
{
  unsigned r = m_rand (100);
  if (r < 3)
    return 0;
  if (r < 75)
    return 1 + m_rand (200);
  if (r < 95)
    return 1000 + m_rand (20000);
  return 64 * 1024 + m_rand (240 * 1024);
}

static void send_done (struct ev_loop *l, ev_ng_stream *w, const void *data, size_t sent, int err);

/* one send, its result checked against ev(3); `lib_view`: from a completion, where the model
 * may not have seen a stop of the library yet */
static void
send_on (struct mw *m, int borrowed, size_t len, int lib_view)
{
  struct sstate *ss = &SS[m->id];
  ev_ng_stream *w = &m->u.stream;
  struct ev_loop *l = LP (m->loop);
  struct mconn *c = ss->bad ? NULL : &C[ss->conn];
  int active = lib_view ? ev_is_active (w) != 0 : m->active && stopping != m;
  size_t queued = w->queued, limit = w->limit ? w->limit : DEFAULT_LIMIT;
  int want = !active ? ENOTCONN : ss->shut_req ? EPIPE : queued > limit || len > limit - queued ? ENOBUFS : 0;
  struct mref *slot = NULL;
  if (borrowed)
    {
      for (int i = 0; i < M_REFS && !slot; ++i)
        if (!R[i].used)
          slot = &R[i];
      if (!slot)
        return;
    }
  char *buf = malloc (len ? len : 1);
  long at = c ? c->out_c : 0;
  memcpy (buf, pat_out + at % PAT, len);
  errno = 0;
  int r = borrowed ? ev_ng_stream_send_ref (l, w, buf, len, send_done) : ev_ng_stream_send (l, w, buf, len);
  int got = r == 0 ? 0 : errno;
  tr ("  send%s w%d %zu -> %d", borrowed ? "-ref" : "", m->id, len, got);
  if (r != 0 && r != -1)
    m_fail ("w%d: the send returned %d", m->id, r);
  if (got != want)
    m_fail ("w%d: the send of %zu bytes (queued %zu, limit %zu%s%s) gave %d, ev(3) says %d", m->id, len, queued,
            limit, active ? "" : ", not active", ss->shut_req ? ", shut down" : "", got, want);
  if (r == 0 && borrowed)
    *slot = (struct mref){ 1, m->id, m->loop, ss->ref_seq++, buf, len };
  else
    {
      memset (buf, 0xee, len);
      free (buf);
    }
  ST->sends++;
  ST->refs += borrowed;
  ST->refused += r != 0;
  if (r != 0)
    return;
  if (w->queued != queued + len)
    m_fail ("w%d: queued %zu after a send of %zu with %zu queued", m->id, w->queued, len, queued);
  if (c)
    c->out_c += (long)len;
  if (len)
    {
      ss->sends++;
      if (ss->events & EV_WRITE)
        ss->owed_write = 1;
    }
}

static void
send_done (struct ev_loop *l, ev_ng_stream *w, const void *data, size_t sent, int err)
{
  struct mw *m = w->data;
  struct mref *first = NULL;
  for (int i = 0; i < M_REFS; ++i)
    if (R[i].used && R[i].wid == m->id && (!first || R[i].seq < first->seq))
      first = &R[i];
  tr ("  done w%d %zu err=%d", m->id, sent, err);
  if (l != LP (m->loop))
    m_fail ("w%d: a completion called by another loop", m->id);
  if (S.destroying == m->loop)
    m_fail ("w%d: a completion called by ev_loop_destroy", m->id);
  if (!first)
    {
      m_fail ("w%d: a completion without a borrowed send", m->id);
      return;
    }
  if (first->buf != data)
    m_fail ("w%d: a completion out of order (another send's bytes)", m->id);
  if (sent > first->len || (!err && sent != first->len))
    m_fail ("w%d: a completion with %zu of %zu bytes sent, err %d", m->id, sent, first->len, err);
  if (err == ECANCELED && stopping != m)
    m_fail ("w%d: a completion with ECANCELED outside its ev_ng_stream_stop", m->id);
  if (err && err != ECANCELED && !(SS[m->id].bad || (SS[m->id].conn >= 0 && C[SS[m->id].conn].peer_gone)))
    m_fail ("w%d: a completion with err %d, but the connection is fine", m->id, err);
  ST->done++;
  ST->cancelled += err == ECANCELED;
  ST->failed_sends += err && err != ECANCELED;
  ref_free (first);
  /* a completion may queue more, or stop its watcher (not inside another's stop, whose own
   * completions follow; not while an embedded loop runs: known difference 2 of model.c; not
   * while it is pending: the flush step may have queued it unseen, and the stop would leave a
   * slot in ev_pending_count that the model never counted) */
  if (!err && !S.tearing && S.destroying < 0 && m_chance (15))
    send_on (m, 0, 1 + m_rand (100), 1);
  const struct mloop *L = &S.loops[m->loop];
  if (!err && !S.tearing && !S.settling && S.destroying < 0 && !stopping && m->active && ev_is_active (&m->u.stream)
      && !ev_is_pending (&m->u.stream) && !(S.known && L->embedded_by >= 0 && world_in_progress (m->loop))
      && m_chance (15))
    {
      tr ("  stop w%d from its completion", m->id);
      op_stop (m);
    }
}

int
op_stream_send (int inner, int borrowed)
{
  struct mw *m = pick_kind (K_STREAM, m_chance (90));
  (void)inner;
  if (!m)
    return 0;
  size_t len = draw_len (), limit = m->u.stream.limit, queued = m->u.stream.queued;
  if (limit && queued <= limit && m_chance (10))
    len = limit - queued + m_rand (2); /* just fits, or just not */
  tr ("send%s w%d", borrowed ? "-ref" : "", m->id);
  send_on (m, borrowed, len, 0);
  return 1;
}

int
op_stream_recv (int inner)
{
  struct mw *m = pick_kind (K_STREAM, 0);
  (void)inner;
  if (!m)
    return 0;
  tr ("recv w%d", m->id);
  if (SS[m->id].bad)
    return 1;
  do_recv (m, 1 + (int)m_rand (2));
  return 1;
}

int
op_stream_release (void)
{
  int cand[M_KEPT], n = 0;
  for (int i = 0; i < M_KEPT; ++i)
    if (KP[i].used)
      cand[n++] = i;
  if (!n)
    return 0;
  struct mkept *k = &KP[cand[m_rand ((unsigned)n)]];
  tr ("release k%d", (int)(k - KP));
  if (memcmp (k->data, k->copy, k->len))
    m_fail ("a kept buffer's %zu bytes changed before it was released", k->len);
  ev_ng_buffer_release (LP (k->loop), k->h);
  free (k->copy);
  k->used = 0;
  return 1;
}

int
op_stream_shutdown (void)
{
  struct mw *m = pick_kind (K_STREAM, m_chance (90));
  if (!m)
    return 0;
  struct sstate *ss = &SS[m->id];
  errno = 0;
  int r = ev_ng_stream_shutdown (LP (m->loop), &m->u.stream);
  int want = m->active ? 0 : ENOTCONN;
  tr ("shutdown w%d -> %d", m->id, r ? errno : 0);
  if ((r ? errno : 0) != want)
    m_fail ("w%d: ev_ng_stream_shutdown gave %d, ev(3) says %d", m->id, r ? errno : 0, want);
  if (!r)
    {
      ss->shut_req = 1;
      if (!ss->bad)
        C[ss->conn].wr_shut = 1;
    }
  return 1;
}

static struct mconn *
pick_conn (int need_peer)
{
  int cand[M_CONNS], n = 0;
  for (int i = 0; i < M_CONNS; ++i)
    if (C[i].used && (!need_peer || C[i].peer >= 0))
      cand[n++] = i;
  return n ? &C[cand[m_rand ((unsigned)n)]] : NULL;
}

int
op_peer_write (void)
{
  struct mconn *c = pick_conn (1);
  if (!c || c->peer_shut || c->in_w - c->in_r > MAX_UNREAD)
    return 0;
  size_t len = draw_len ();
  ssize_t n = send (c->peer, pat_in + c->in_w % PAT, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  tr ("peer-write conn%d %zu -> %zd", (int)(c - C), len, n < 0 ? (ssize_t)0 : n);
  if (n < 0 && errno != EAGAIN)
    m_fail ("conn%d: the peer's write failed: %s", (int)(c - C), strerror (errno));
  if (n > 0)
    c->in_w += n;
  return 1;
}

/* the peer reads (up to `max`, or all there is) and checks what it gets */
static int
peer_read (struct mconn *c, size_t max)
{
  static char buf[PAT_SLACK];
  int total = 0;
  for (;;)
    {
      size_t want = max < sizeof buf ? max : sizeof buf;
      ssize_t n = recv (c->peer, buf, want, MSG_DONTWAIT);
      if (n < 0)
        {
          if (errno != EAGAIN)
            m_fail ("conn%d: the peer's read failed: %s", (int)(c - C), strerror (errno));
          break;
        }
      if (n == 0)
        {
          if (!c->peer_eof)
            {
              tr ("  peer conn%d end of stream", (int)(c - C));
              if (!c->wr_shut)
                m_fail ("conn%d: the peer read the end of the stream without a shutdown", (int)(c - C));
              else if (!c->out_dead && c->out_r != c->out_c)
                m_fail ("conn%d: the peer read the end of the stream after %ld of %ld bytes", (int)(c - C), c->out_r,
                        c->out_c);
            }
          c->peer_eof = 1;
          break;
        }
      if (!c->out_dead)
        {
          if (c->out_r + n > c->out_c)
            m_fail ("conn%d: the peer read %zd bytes, only %ld more were sent", (int)(c - C), n, c->out_c - c->out_r);
          else if (memcmp (pat_out + c->out_r % PAT, buf, (size_t)n))
            m_fail ("conn%d: the peer read %zd bytes at offset %ld that differ from what was sent", (int)(c - C), n,
                    c->out_r);
        }
      c->out_r += n;
      ST->bytes_out += n;
      total += (int)n;
      if ((size_t)n < want || (max -= (size_t)n) == 0)
        break;
    }
  return total;
}

int
op_peer_read (void)
{
  struct mconn *c = pick_conn (1);
  if (!c)
    return 0;
  static const size_t sizes[] = { 1, 100, 4096, 64 * 1024, PAT_SLACK * 4 };
  int n = peer_read (c, sizes[m_rand (5)]);
  tr ("peer-read conn%d %d", (int)(c - C), n);
  return 1;
}

int
op_peer_shut (void)
{
  struct mconn *c = pick_conn (1);
  if (!c || c->peer_shut)
    return 0;
  tr ("peer-shutdown conn%d", (int)(c - C));
  shutdown (c->peer, SHUT_WR);
  c->peer_shut = 1;
  return 1;
}

int
op_peer_close (void)
{
  struct mconn *c = pick_conn (1);
  if (!c)
    return 0;
  int reset = c->tcp && m_chance (50);
  tr ("peer-%s conn%d", reset ? "reset" : "close", (int)(c - C));
  if (reset)
    close_tcp (c->peer);
  else
    close (c->peer);
  c->peer = -1;
  c->peer_gone = 1;
  c->out_dead = 1;
  return 1;
}

int
op_client_connect (void)
{
  int slot = -1;
  for (int i = 0; i < M_CLIENTS && slot < 0; ++i)
    if (!CL[i].state)
      slot = i;
  if (slot < 0 || listener < 0)
    return 0;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  if (fd < 0 || (connect (fd, (struct sockaddr *)&laddr, sizeof laddr) != 0 && errno != EINPROGRESS)
      || getsockname (fd, (struct sockaddr *)&a, &len) != 0)
    {
      m_fail ("a client cannot connect: %s", strerror (errno));
      if (fd >= 0)
        close (fd);
      return 1;
    }
  no_delay (fd);
  CL[slot] = (struct mclient){ fd, ntohs (a.sin_port), 1 };
  tr ("connect client%d", slot);
  return 1;
}

int
op_accept_take (void)
{
  struct mw *m = pick_kind (K_ACCEPT, 0);
  if (!m)
    return 0;
  tr ("take w%d", m->id);
  take_connections (m, 1);
  return 1;
}

/* ---- settle: everything flows, and must arrive -------------------------------------------- */

static int
unsettled (int report)
{
  int n = 0;
#define UNSETTLED(...)                                                                                                 \
  do                                                                                                                   \
    {                                                                                                                  \
      ++n;                                                                                                             \
      if (report)                                                                                                      \
        m_fail (__VA_ARGS__);                                                                                          \
    }                                                                                                                  \
  while (0)
  for (int i = 0; i < S.nw; ++i)
    {
      struct mw *m = &S.w[i];
      struct sstate *ss = &SS[i];
      if (!streams_kind (m) || !S.loops[m->loop].alive)
        continue;
      if (m->lib_stopped)
        UNSETTLED ("w%d: its EV_ERROR never came", i);
      if (refs_of (i))
        UNSETTLED ("w%d: %d borrowed sends never completed", i, refs_of (i));
      if (!m->active)
        continue;
      if (ss->bad)
        {
          UNSETTLED ("w%d: no EV_ERROR for a descriptor that is not a connected socket", i);
          continue;
        }
      if (m->kind == K_ACCEPT)
        {
          for (int k = 0; k < M_CLIENTS; ++k)
            if (CL[k].state == 1)
              UNSETTLED ("w%d: client%d's connection was never taken", i, k);
          continue;
        }
      struct mconn *c = &C[ss->conn];
      if (ss->events & EV_READ)
        {
          if (!c->peer_gone && !c->resync && c->in_r != c->in_w)
            UNSETTLED ("w%d (conn%d): received %ld of the %ld bytes the peer wrote", i, ss->conn, c->in_r, c->in_w);
          if ((c->peer_shut || c->peer_gone) && !ss->eof_taken)
            UNSETTLED ("w%d (conn%d): the peer %s, and the stream never got the end", i, ss->conn,
                       c->peer_gone ? "closed" : "shut down");
        }
      if (!c->peer_gone)
        {
          /* after a stop that let part of the queue go (out_dead) the peer may read more */
          if (c->out_dead ? c->out_r < c->out_c : c->out_r != c->out_c)
            UNSETTLED ("w%d (conn%d): the peer read %ld of the %ld bytes sent (queued %zu)", i, ss->conn, c->out_r,
                       c->out_c, m->u.stream.queued);
          if (ss->shut_req && !c->peer_eof)
            UNSETTLED ("w%d (conn%d): shut down, and the peer never read the end", i, ss->conn);
          if (ss->owed_write)
            UNSETTLED ("w%d (conn%d): the queue drained, and no EV_WRITE came", i, ss->conn);
        }
    }
  return n;
#undef UNSETTLED
}

void
streams_settle (void)
{
  if (!S.streams)
    return;
  tr ("settle");
  S.settling = 1;
  for (int i = 0; i < M_KEPT; ++i)
    if (KP[i].used)
      {
        if (memcmp (KP[i].data, KP[i].copy, KP[i].len))
          m_fail ("a kept buffer's %zu bytes changed before it was released", KP[i].len);
        ev_ng_buffer_release (LP (KP[i].loop), KP[i].h);
        free (KP[i].copy);
        KP[i].used = 0;
      }
  /* An embedded loop is run by its embedding loop for the first rounds, as its program would
   * run it, then directly too: what did not arrive through the embedding is a failure of its
   * own (ev(3): "Streams of an embedded loop work as its ev_io watchers do"; model-findings/s01).
   * MODEL_SETTLE_EMBEDDED=0 runs embedded loops directly only. */
  static int embedded_first = -1;
  if (embedded_first < 0)
    embedded_first = !getenv ("MODEL_SETTLE_EMBEDDED") || atoi (getenv ("MODEL_SETTLE_EMBEDDED"));
  int round, through_embedding = 0, settled = 0;
  for (int l = 0; l < S.nloops && embedded_first; ++l)
    through_embedding |= S.loops[l].alive && S.loops[l].embedded_by >= 0;
  /* 80 rounds, and 2 s at least: a loaded machine may hold a loopback TCP segment or a
   * connection's handshake in its softirq thread for a while */
  double give_up = stress_now () + 2.;
  for (round = 0; (round < 80 || stress_now () < give_up) && !S.failed; ++round)
    {
      if (through_embedding && round == 40)
        {
          if (unsettled (0))
            {
              m_fail ("streams of an embedded loop did not settle through the embedding loop in 40 rounds:");
              unsettled (1);
            }
          through_embedding = 0;
        }
      for (int l = 0; l < S.nloops; ++l)
        if (S.loops[l].alive && !(through_embedding && S.loops[l].embedded_by >= 0))
          {
            op_run (l, EVRUN_NOWAIT);
            ref_sync ();
            ref_check (1);
          }
      for (int i = 0; i < M_CONNS; ++i)
        if (C[i].used && C[i].peer >= 0)
          peer_read (&C[i], (size_t)-1);
      ops_verify_all (1);
      if (round >= 2 && !unsettled (0))
        {
          settled = 1;
          break;
        }
      if (through_embedding && round >= 2)
        usleep (100);
      if (round >= 10)
        usleep (round >= 40 ? 2000 : 200);
    }
  if (!settled && !S.failed)
    unsettled (1);
  ST->settles++;
  ST->settle_rounds += round;
  tr ("settled in %d rounds", round);
  S.settling = 0;
}

#else /* libev 4.33's ev.h: no streams, -S is refused (model.c) */

int streams_available (void) { return 0; }
void streams_figures (void) {}
int streams_kind (const struct mw *m) { (void)m; return 0; }
void streams_init_watcher (struct mw *m) { (void)m; }
void streams_setup (void) {}
void streams_teardown (void) {}
void streams_loop_destroyed (int loop) { (void)loop; }
int streams_leave_active (const struct mw *m) { (void)m; return 0; }
void streams_configure (struct mw *m) { (void)m; }
int streams_can_start (const struct mw *m, int reconfigure) { (void)m, (void)reconfigure; return 0; }
void streams_start (struct mw *m) { (void)m; }
void streams_stop (struct mw *m) { (void)m; }
void streams_fed (struct mw *m, int revents) { (void)m, (void)revents; }
void streams_callback (struct mw *m, int revents, int via) { (void)m, (void)revents, (void)via; }
int streams_plausible (const struct mw *m) { (void)m; return 0; }
void streams_adopt (struct mloop *L, const struct mw *skip) { (void)L, (void)skip; }
void streams_cleared (struct mw *m, int revents) { (void)m, (void)revents; }
void streams_settle (void) {}
int op_stream_send (int inner, int borrowed) { (void)inner, (void)borrowed; return 0; }
int op_stream_recv (int inner) { (void)inner; return 0; }
int op_stream_release (void) { return 0; }
int op_stream_shutdown (void) { return 0; }
int op_peer_write (void) { return 0; }
int op_peer_read (void) { return 0; }
int op_peer_shut (void) { return 0; }
int op_peer_close (void) { return 0; }
int op_client_connect (void) { return 0; }
int op_accept_take (void) { return 0; }

#endif
