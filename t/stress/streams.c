/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/streams.c - ev(3) "Streams: the loop does the I/O" under random load, on every
 * backend.  Connections (socket pairs: a stream on one end, the program as the peer on the
 * other) get a random series of operations: the peer writes and reads, the stream's callback
 * takes what arrived (all of it, some, none), keeps buffers and releases them later, queues
 * copied and borrowed sends (refused with ENOBUFS or ENOMEM sometimes), stops and starts
 * itself inside the callback, stops from outside; the peer closes; the allocator refuses
 * the pool's buffers for a while.  A model of every connection checks after each operation:
 * the bytes arrive in order and unchanged both ways (a stop that cancels the queue moves the
 * sender on by what reached the kernel, which `queued` tells), every borrowed send completes
 * exactly once, in order, with no more than its length, kept buffers keep their bytes, and
 * ev_verify holds.  At the end every allocation of the library has been given back.
 *
 * Then pool exhaustion at scale: 2,000 connections in the short mode (10,000 in the long
 * one), each sending 20 KiB while the allocator gives the pool 100 buffers and the program
 * keeps every one it gets until a round ends: every byte arrives, in order.
 *
 * Short mode: 3,000 operations per backend (STRESS_MODE=long: 300,000). */
#define _GNU_SOURCE 1
#include "stress.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define KIB 1024
#define CONNS 24
#define PATTERN (1 << 20) /* the bytes of a direction repeat with this period */

static unsigned char pattern_a[PATTERN + 64 * KIB], pattern_b[PATTERN + 64 * KIB];
static uint64_t rng;

/* ---- an allocator that can refuse the pool's buffers ----------------------------------------- */

static long live, large_live, large_limit; /* large_limit 0: no limit */

static void *
stress_alloc (void *ptr, long size) EV_NOEXCEPT
{
  if (!size)
    {
      if (ptr)
        {
          --live;
          if (malloc_usable_size (ptr) > 8 * KIB)
            --large_live;
        }
      free (ptr);
      return NULL;
    }
  if (!ptr && size > 8 * KIB)
    {
      if (large_limit && large_live >= large_limit)
        return NULL;
      ++large_live;
    }
  void *p = realloc (ptr, (size_t)size);
  if (p && !ptr)
    ++live;
  return p;
}

/* ---- the model of a connection ------------------------------------------------------------- */

struct borrowed
{
  const void *data;
  size_t len;
  int done;
};

struct conn
{
  ev_ng_stream w;
  int fd, peer, id, live;
  size_t peer_out;   /* bytes the peer wrote (pattern a) */
  size_t taken;      /* bytes the callback took (pattern a): must match */
  size_t queued_all; /* bytes the stream queued (pattern b), less what stops cancelled */
  size_t peer_in;    /* bytes the peer read (pattern b): must match */
  int ended;         /* the peer's end arrived */
  struct borrowed refs[64];
  int nrefs, next_done;
  struct
  {
    void *buf;
    size_t at, len;
  } kept[8];
  int nkept;
};

static struct conn conns[CONNS];
static struct ev_loop *loop;
static long ops, sends, refused, completions, restarts, stops, closes, keeps, exhaustions;

static void stream_cb (struct ev_loop *l, ev_ng_stream *w, int revents);

static void
conn_open (struct conn *c)
{
  int sv[2];
  memset (c, 0, sizeof *c);
  c->id = (int)(c - conns);
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
    {
      stress_fail ("socketpair: %s", strerror (errno));
      exit (1);
    }
  fcntl (sv[1], F_SETFL, O_NONBLOCK);
  int small = 16 * KIB;
  setsockopt (sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  c->fd = sv[0];
  c->peer = sv[1];
  c->live = 1;
  ev_ng_stream_init (&c->w, stream_cb, c->fd, stress_below (&rng, 2) ? EV_READ | EV_WRITE : EV_READ);
  c->w.limit = (size_t)(64 + stress_below (&rng, 512)) * KIB;
  ev_set_priority (&c->w, (int)stress_below (&rng, 5) - 2);
  ev_ng_stream_start (loop, &c->w);
}

static void
release_kept (struct conn *c)
{
  for (int i = 0; i < c->nkept; ++i)
    {
      /* the kept bytes are where the value points, or a little after it */
      const unsigned char *want = pattern_a + c->kept[i].at % PATTERN;
      int found = 0;
      for (size_t off = 0; off < 128 && !found; ++off)
        found = !memcmp ((const unsigned char *)c->kept[i].buf + off, want, c->kept[i].len);
      if (!found)
        stress_fail ("conn %d: a kept buffer's bytes changed", c->id);
      ev_ng_buffer_release (loop, c->kept[i].buf);
    }
  c->nkept = 0;
}

static void
check_completions (struct conn *c, const char *when)
{
  for (int i = 0; i < c->nrefs; ++i)
    if (c->refs[i].done != 1)
      stress_fail ("conn %d: borrowed send %d completed %d times %s", c->id, i, c->refs[i].done, when);
}

static void
conn_close (struct conn *c)
{
  ev_ng_stream_stop (loop, &c->w);
  check_completions (c, "after the stop");
  release_kept (c);
  close (c->fd);
  close (c->peer);
  c->live = 0;
  ++closes;
}

static void
done_cb (struct ev_loop *l, ev_ng_stream *w, const void *data, size_t sent, int err)
{
  (void)l;
  struct conn *c = (struct conn *)w;
  ++completions;
  if (c->next_done >= c->nrefs || c->refs[c->next_done].data != data)
    {
      stress_fail ("conn %d: a completion out of order", c->id);
      return;
    }
  struct borrowed *b = &c->refs[c->next_done++];
  ++b->done;
  if (sent > b->len || (!err && sent != b->len) || (err && err != ECANCELED && err != EPIPE && err != ECONNRESET))
    stress_fail ("conn %d: completion sent %zu of %zu, err %d", c->id, sent, b->len, err);
}

/* The callback takes chunks and checks them, keeps some, and sometimes stops and starts again
 * once it has taken everything (so that the model knows what the loop held: nothing). */
static void
stream_cb (struct ev_loop *l, ev_ng_stream *w, int revents)
{
  struct conn *c = (struct conn *)w;
  if (revents & EV_ERROR)
    {
      if (!c->ended)
        stress_fail ("conn %d: EV_ERROR %d with a live peer", c->id, w->err);
      return;
    }
  if (!(revents & EV_READ))
    return;
  unsigned want = stress_below (&rng, 4); /* 0: none, 1: one chunk, 2-3: all */
  const char *p;
  int n = -1, chunks = 0;
  while ((want >= 2 || (unsigned)chunks < want) && (n = ev_ng_stream_recv (l, w, &p)) > 0)
    {
      ++chunks;
      if (memcmp (p, pattern_a + c->taken % PATTERN, (size_t)n))
        stress_fail ("conn %d: received bytes out of order at %zu", c->id, c->taken);
      if (c->nkept < 8 && !stress_below (&rng, 8))
        {
          void *k = ev_ng_stream_keep (l, w);
          if (!k)
            stress_fail ("conn %d: nothing to keep after a recv", c->id);
          c->kept[c->nkept].buf = k;
          c->kept[c->nkept].at = c->taken;
          c->kept[c->nkept++].len = (size_t)n;
          ++keeps;
        }
      c->taken += (size_t)n;
    }
  if (n == 0)
    c->ended = 1;
  if (want >= 2 && n < 0 && !stress_below (&rng, 16))
    {
      /* everything taken: a stop drops nothing received; the queue is cancelled, so the sender
       * goes on from what reached the kernel */
      size_t queued = w->queued;
      ev_ng_stream_stop (l, w);
      c->queued_all -= queued;
      check_completions (c, "after a stop in the callback");
      c->nrefs = c->next_done = 0;
      ev_ng_stream_set (w, c->fd, w->events);
      ev_ng_stream_start (l, w);
      ++restarts;
    }
}

static void
stream_send (struct conn *c)
{
  size_t len = 1 + stress_below (&rng, 40 * KIB);
  const unsigned char *data = pattern_b + c->queued_all % PATTERN;
  int borrow = c->nrefs < 64 && stress_below (&rng, 2);
  int r = borrow ? ev_ng_stream_send_ref (loop, &c->w, data, len, done_cb) : ev_ng_stream_send (loop, &c->w, data, len);
  ++sends;
  if (r < 0)
    {
      if (errno != ENOBUFS && errno != ENOMEM && !(errno == ENOTCONN && c->ended))
        stress_fail ("conn %d: send: %s", c->id, strerror (errno));
      ++refused;
      return;
    }
  if (borrow)
    {
      c->refs[c->nrefs].data = data;
      c->refs[c->nrefs].len = len;
      c->refs[c->nrefs++].done = 0;
    }
  c->queued_all += len;
}

static void
peer_read (struct conn *c)
{
  static unsigned char buf[64 * KIB];
  ssize_t n = recv (c->peer, buf, 1 + stress_below (&rng, sizeof buf), MSG_DONTWAIT);
  if (n <= 0)
    return;
  if (c->peer_in + (size_t)n > c->queued_all)
    stress_fail ("conn %d: the peer read %zu bytes more than were sent", c->id, c->peer_in + (size_t)n - c->queued_all);
  else if (memcmp (buf, pattern_b + c->peer_in % PATTERN, (size_t)n))
    stress_fail ("conn %d: the peer read bytes out of order at %zu", c->id, c->peer_in);
  c->peer_in += (size_t)n;
}

static void
peer_write (struct conn *c)
{
  size_t len = 1 + stress_below (&rng, 64 * KIB);
  ssize_t n = send (c->peer, pattern_a + c->peer_out % PATTERN, len, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n > 0)
    c->peer_out += (size_t)n;
}

static void
one_operation (void)
{
  struct conn *c = &conns[stress_below (&rng, CONNS)];
  if (!c->live)
    {
      conn_open (c);
      return;
    }
  if (c->ended && !ev_is_active (&c->w))
    {
      conn_close (c); /* its EV_ERROR came */
      return;
    }
  ++ops;
  unsigned op = stress_below (&rng, 100);
  if (op < 30)
    ev_run (loop, EVRUN_NOWAIT);
  else if (op < 45)
    peer_write (c);
  else if (op < 60)
    peer_read (c);
  else if (op < 78)
    stream_send (c);
  else if (op < 86)
    release_kept (c);
  else if (op < 88)
    {
      /* a stop from outside: what the loop held is gone, so the connection ends */
      ++stops;
      conn_close (c);
    }
  else if (op < 89)
    {
      /* the peer closes: the stream reads the end, or its sends fail */
      c->ended = 1;
      close (c->peer);
      c->peer = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    }
  else if (op < 90)
    {
      /* the pool gets nothing from the allocator for a while, or everything again */
      large_limit = large_limit ? 0 : large_live;
      exhaustions += large_limit != 0;
    }
  else
    ev_run (loop, EVRUN_NOWAIT);
}

static void
random_operations (const struct stress_backend *b, long n)
{
  loop = ev_loop_new (b->flag | EVFLAG_NOENV);
  if (!loop)
    {
      stress_fail ("%s: no loop", b->name);
      return;
    }
  for (int i = 0; i < CONNS; ++i)
    conn_open (&conns[i]);
  for (long i = 0; i < n; ++i)
    {
      one_operation ();
      if (!(i % 97))
        ev_verify (loop);
      if (stress_failures ())
        break;
    }
  large_limit = 0;
  /* the end: every connection drains, then stops */
  for (int i = 0; i < CONNS; ++i)
    {
      struct conn *c = &conns[i];
      if (!c->live)
        continue;
      double give_up = stress_now () + 10.;
      while (!c->ended && c->peer_in < c->queued_all && stress_now () < give_up)
        {
          peer_read (c);
          ev_run (loop, EVRUN_NOWAIT);
        }
      if (!c->ended && c->peer_in != c->queued_all)
        stress_fail ("conn %d: %zu of %zu bytes reached the peer", c->id, c->peer_in, c->queued_all);
      conn_close (c);
    }
  ev_verify (loop);
  ev_loop_destroy (loop);
}

/* ---- pool exhaustion at scale ------------------------------------------------------------------ */

struct many
{
  ev_ng_stream w;
  int peer;
  size_t got;
  void *kept[4];
  int nkept, bad;
};

static void
many_cb (struct ev_loop *l, ev_ng_stream *w, int revents)
{
  struct many *m = (struct many *)w;
  const char *p;
  int n;
  (void)revents;
  while ((n = ev_ng_stream_recv (l, w, &p)) > 0)
    {
      if (memcmp (p, pattern_a + m->got, (size_t)n))
        m->bad = 1;
      m->got += (size_t)n;
      if (m->nkept < 4)
        m->kept[m->nkept++] = ev_ng_stream_keep (l, w);
    }
}

static void
exhausted_pool (const struct stress_backend *b, int n)
{
  struct many *m = calloc ((size_t)n, sizeof *m);
  const size_t each = 20 * KIB;
  loop = ev_loop_new (b->flag | EVFLAG_NOENV);
  for (int i = 0; i < n; ++i)
    {
      int sv[2];
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
        {
          stress_fail ("socketpair %d: %s", i, strerror (errno));
          n = i;
          break;
        }
      m[i].peer = sv[1];
      ev_ng_stream_init (&m[i].w, many_cb, sv[0], EV_READ);
      ev_ng_stream_start (loop, &m[i].w);
    }
  ev_run (loop, EVRUN_NOWAIT);
  large_limit = large_live + 100;
  for (int i = 0; i < n; ++i)
    if (send (m[i].peer, pattern_a, each, MSG_NOSIGNAL) != (ssize_t)each)
      stress_fail ("peer %d: a short write", i);
  size_t got = 0;
  long rounds = 0;
  double t0 = stress_now (), give_up = t0 + 300.;
  while (got < (size_t)n * each && stress_now () < give_up)
    {
      ev_run (loop, EVRUN_NOWAIT);
      got = 0;
      for (int i = 0; i < n; ++i)
        {
          got += m[i].got;
          for (int k = 0; k < m[i].nkept; ++k)
            ev_ng_buffer_release (loop, m[i].kept[k]);
          m[i].nkept = 0;
        }
      ++rounds;
    }
  large_limit = 0;
  int bad = 0;
  for (int i = 0; i < n; ++i)
    {
      bad += m[i].bad || m[i].got != each;
      ev_ng_stream_stop (loop, &m[i].w);
      close (m[i].w.fd);
      close (m[i].peer);
    }
  if (bad)
    stress_fail ("%s: %d of %d connections did not get their 20 KiB in order", b->name, bad, n);
  stress_figure ("%s: %d connections through an exhausted pool (100 buffers): %ld rounds, %.2f s", b->name, n, rounds,
                 stress_now () - t0);
  ev_loop_destroy (loop);
  free (m);
}

int
main (int argc, char **argv)
{
  stress_init (argc, argv);
  stress_watchdog (stress_long () ? 7200. : 600., "streams");
  rng = stress_seed (0x5eb0f5eb0f);
  for (size_t i = 0; i < sizeof pattern_a; ++i)
    {
      pattern_a[i] = (unsigned char)(i * 131u + (i >> 9));
      pattern_b[i] = (unsigned char)(i * 17u + (i >> 11) + 3);
    }
  /* patterns that repeat with PATTERN, so that an offset modulo PATTERN finds the bytes */
  memcpy (pattern_a + PATTERN, pattern_a, 64 * KIB);
  memcpy (pattern_b + PATTERN, pattern_b, 64 * KIB);
  ev_set_allocator (stress_alloc);

  const int many = (int)stress_scale (2000, 10000);
  struct rlimit rl;
  getrlimit (RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < (rlim_t)(2 * many + 256))
    {
      rl.rlim_cur = rl.rlim_max < (rlim_t)(2 * many + 256) ? rl.rlim_max : (rlim_t)(2 * many + 256);
      setrlimit (RLIMIT_NOFILE, &rl);
    }

  struct stress_backend backends[4];
  int nb = stress_backends (backends);
  const long n = stress_scale (3000, 300000);
  for (int i = 0; i < nb; ++i)
    {
      ops = sends = refused = completions = restarts = stops = closes = keeps = exhaustions = 0;
      random_operations (&backends[i], n);
      stress_figure ("%s: %ld operations, %ld sends (%ld refused), %ld completions, %ld restarts in callbacks, %ld "
                     "stops, %ld buffers kept, %ld exhaustions",
                     backends[i].name, ops, sends, refused, completions, restarts, stops, keeps, exhaustions);
      if (live)
        stress_fail ("%s: %ld allocations of the library not given back", backends[i].name, live);
      getrlimit (RLIMIT_NOFILE, &rl);
      exhausted_pool (&backends[i], rl.rlim_cur >= (rlim_t)(2 * many + 64) ? many : (int)(rl.rlim_cur - 64) / 2);
      if (live)
        stress_fail ("%s: %ld allocations of the library not given back", backends[i].name, live);
    }
  return stress_exit_status ();
}
