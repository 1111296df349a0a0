/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/model_gen.c - which operation comes next: the random generator of a sequence.
 *
 * Only legal use of the API, as ev(3) describes it, is generated: parameters are set only on
 * stopped watchers, priorities only on watchers that are neither active nor pending, a signal
 * is watched by one loop at a time, child watchers live in the default loop, an fd is never
 * closed under a watcher, ev_unref only while enough references stay (so the count never
 * drops below zero when a watcher stops), no ev_run from prepare/check callbacks of the same
 * loop, no ev_loop_fork from inside a fork or prepare pass, ev_suspend only at the top level,
 * ev_embed_sweep only from the embed watcher's own callback (or the top level), no loop run
 * while it or a loop it embeds is already running further down the stack (except a nested
 * run of the callback's own loop).  Every ev_run either cannot block (the model predicts
 * something due) or has the loop's guard idle watcher started, whose presence keeps each
 * iteration short and gives each iteration a callback that counts down the run's budget. */
#include "model.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum op
{
  O_START, O_STOP, O_FEED, O_CLEAR, O_INVOKE, O_INVOKE_PENDING, O_REF, O_UNREF, O_RUN, O_BREAK,
  O_NOW_UPDATE, O_SUSPEND, O_WRITE, O_READ, O_RAISE, O_FEED_SIGNAL, O_FEED_SIGNAL_EVENT,
  O_ASYNC_SEND, O_FORK_CHILD, O_STAT_CHANGE, O_STAT_STAT, O_LOOP_FORK, O_TIMER_AGAIN,
  O_REMAINING, O_PERIODIC_AGAIN, O_SWEEP, O_ONCE, O_FEED_FD, O_PRIORITY, O_PENDING_COUNT,
  /* streams (-S only: their weights are 0 otherwise, so that the draws are libev 4.33's) */
  O_S_SEND, O_S_SEND_REF, O_S_RECV, O_S_RELEASE, O_S_SHUTDOWN, O_PEER_WRITE, O_PEER_READ,
  O_PEER_SHUT, O_PEER_CLOSE, O_CONNECT, O_TAKE, O_SETTLE, O_N
};
#define O_STREAMS_FIRST O_S_SEND

static const unsigned weight_top[O_N] = {
  [O_START] = 16, [O_STOP] = 7, [O_FEED] = 6, [O_CLEAR] = 3, [O_INVOKE] = 2, [O_INVOKE_PENDING] = 2,
  [O_REF] = 2, [O_UNREF] = 2, [O_RUN] = 18, [O_BREAK] = 1, [O_NOW_UPDATE] = 2, [O_SUSPEND] = 1,
  [O_WRITE] = 8, [O_READ] = 5, [O_RAISE] = 3, [O_FEED_SIGNAL] = 1, [O_FEED_SIGNAL_EVENT] = 1,
  [O_ASYNC_SEND] = 3, [O_FORK_CHILD] = 1, [O_STAT_CHANGE] = 3, [O_STAT_STAT] = 1, [O_LOOP_FORK] = 2,
  [O_TIMER_AGAIN] = 3, [O_REMAINING] = 2, [O_PERIODIC_AGAIN] = 2, [O_SWEEP] = 2, [O_ONCE] = 2,
  [O_FEED_FD] = 2, [O_PRIORITY] = 2, [O_PENDING_COUNT] = 1,
  [O_S_SEND] = 14, [O_S_SEND_REF] = 8, [O_S_RECV] = 3, [O_S_RELEASE] = 4, [O_S_SHUTDOWN] = 1,
  [O_PEER_WRITE] = 18, [O_PEER_READ] = 10, [O_PEER_SHUT] = 1, [O_PEER_CLOSE] = 1, [O_CONNECT] = 4,
  [O_TAKE] = 1, [O_SETTLE] = 2,
};

static const unsigned weight_inner[O_N] = {
  [O_START] = 10, [O_STOP] = 10, [O_FEED] = 6, [O_CLEAR] = 3, [O_INVOKE] = 1, [O_INVOKE_PENDING] = 1,
  [O_REF] = 1, [O_UNREF] = 1, [O_RUN] = 3, [O_BREAK] = 4, [O_NOW_UPDATE] = 1,
  [O_WRITE] = 4, [O_READ] = 5, [O_RAISE] = 2, [O_FEED_SIGNAL] = 1, [O_FEED_SIGNAL_EVENT] = 1,
  [O_ASYNC_SEND] = 2, [O_STAT_CHANGE] = 2, [O_STAT_STAT] = 1, [O_LOOP_FORK] = 1,
  [O_TIMER_AGAIN] = 3, [O_REMAINING] = 1, [O_PERIODIC_AGAIN] = 1, [O_SWEEP] = 3, [O_ONCE] = 1,
  [O_FEED_FD] = 1, [O_PRIORITY] = 1, [O_PENDING_COUNT] = 1,
  [O_S_SEND] = 8, [O_S_SEND_REF] = 5, [O_S_RECV] = 3, [O_S_RELEASE] = 2, [O_S_SHUTDOWN] = 1,
  [O_PEER_WRITE] = 8, [O_PEER_READ] = 5, [O_PEER_CLOSE] = 1, [O_CONNECT] = 1, [O_TAKE] = 1,
};

/* where an operation is generated: the top level (loop -1), or a callback of `loop` (m NULL
 * for an ev_once callback) */
struct ctx
{
  int loop;
  struct mw *m;
};

static int
top (const struct ctx *c)
{
  return c->loop < 0;
}

typedef int (*pred) (const struct mw *m, const struct ctx *c);

static struct mw *
pick (pred p, const struct ctx *c)
{
  struct mw *cand[M_WATCHERS];
  int n = 0;
  for (int i = 0; i < S.nw; ++i)
    if (p (&S.w[i], c))
      cand[n++] = &S.w[i];
  return n ? cand[m_rand ((unsigned)n)] : NULL;
}

static int
alive_loop (int l)
{
  return S.loops[l].alive;
}

static int
pick_loop (void)
{
  return (int)m_rand ((unsigned)S.nloops);
}

/* a loop that has an active embed watcher whose embedded loop is on the stack */
static int
embeds_on_stack (int l)
{
  for (int i = 0; i < S.nw; ++i)
    if (S.w[i].kind == K_EMBED && S.w[i].active && S.w[i].loop == l && world_loop_on_stack (S.w[i].inner))
      return 1;
  return 0;
}

static int
can_run_here (int l, const struct ctx *c)
{
  if (top (c))
    return 1;
  if (S.ncbs >= 4)
    return 0;
  if (l == c->loop)
    {
      int k = c->m ? c->m->kind : -1;
      if (k == K_PREPARE || k == K_CHECK || k == K_FORK || k == K_CLEANUP)
        return 0;
      if (S.loops[l].state == ST_PREP || S.loops[l].state == ST_FORK)
        return 0; /* not from inside the prepare or fork pass either */
      return S.loops[l].nframes < 3;
    }
  return !world_loop_on_stack (l) && !embeds_on_stack (l);
}

/* ---- watcher predicates ---------------------------------------------------------------------- */

/* Known difference 2 (model.c): an embedded loop that is running must not get fd changes
 * (watchers whose start or stop changes the fds the loop watches, its own or internal ones),
 * and a loop that can be embedded gets no ev_once with an fd (the once stops its io watcher
 * when it fires). */
static int
fds_frozen (int l)
{
  return S.known && S.loops[l].embedded_by >= 0 && world_in_progress (l);
}

static int
changes_fds (const struct mw *m)
{
  switch (m->kind)
    {
    case K_TIMER: case K_IDLE: case K_PREPARE: case K_CHECK: case K_FORK: case K_CLEANUP:
      return 0;
    default:
      return fds_frozen (m->loop);
    }
}

static int
embeds (int l)
{
  for (int i = 0; i < S.nw; ++i)
    if (S.w[i].kind == K_EMBED && S.w[i].loop == l)
      return 1;
  return 0;
}

static int
embeddable_loop (int l)
{
  for (int i = 0; i < S.nw; ++i)
    if (S.w[i].kind == K_EMBED && S.w[i].inner == l)
      return 1;
  return 0;
}

/* An embed watcher is not started or stopped while its embedded loop runs (a sweep): the
 * sweep of the fork pass restarts the watcher after the embedded loop ran, so that a stop
 * from inside it does not stick (libev 4.33 and libev-ng alike). */
static int
embed_busy (const struct mw *m)
{
  return m->kind == K_EMBED && world_in_progress (m->inner);
}

static int
p_start (const struct mw *m, const struct ctx *c)
{
  (void)c;
  return !m->active && alive_loop (m->loop) && !embed_busy (m) && !changes_fds (m);
}

static int
p_stop (const struct mw *m, const struct ctx *c)
{
  (void)c;
  return !embed_busy (m) && !changes_fds (m) && (m->active || m->pend || m->spend || m_chance (10));
}

static int
p_has_cb (const struct mw *m, const struct ctx *c)
{
  (void)c;
  return !(m->kind == K_EMBED && !m->ecb);
}

static int
p_any (const struct mw *m, const struct ctx *c)
{
  (void)m, (void)c;
  return 1;
}

static int
p_async (const struct mw *m, const struct ctx *c)
{
  (void)c;
  return m->kind == K_ASYNC;
}

static int
p_stat (const struct mw *m, const struct ctx *c)
{
  (void)c;
  return m->kind == K_STAT && m->conf;
}

static int
p_timer (const struct mw *m, const struct ctx *c)
{
  (void)c;
  return m->kind == K_TIMER && m->conf;
}

static int
p_periodic (const struct mw *m, const struct ctx *c)
{
  (void)c;
  return m->kind == K_PERIODIC && m->conf;
}

static int
p_sweep (const struct mw *m, const struct ctx *c)
{
  if (m->kind != K_EMBED || !m->active || world_loop_on_stack (m->inner))
    return 0;
  return top (c) || c->m == m;
}

static int
p_priority (const struct mw *m, const struct ctx *c)
{
  (void)c;
  return !m->active && !m->pend && ref_pending_known (m) && !ev_is_pending (&m->u.w);
}

/* revents for ev_feed_event: never a prepare/fork watcher's own event (the model recognises
 * the prepare and fork passes by it), nor the event of watchers whose callback checks what
 * the library wrote (child, stat) or clears state (async) */
static int
feed_revents (const struct mw *m)
{
  static const int bits[] = { EV_READ, EV_WRITE, EV_TIMER, EV_SIGNAL, EV_CUSTOM, EV_IDLE, EV_CHECK, EV_ASYNC };
  int r = 0;
  while (!r)
    {
      r = bits[m_rand (8)];
      if (m_chance (30))
        r |= bits[m_rand (8)];
      if (m->kind == K_PREPARE || m->kind == K_FORK || m->kind == K_CHILD || m->kind == K_STAT
          || m->kind == K_ASYNC || m->kind == K_CLEANUP)
        {
          static const int nat[] = { [K_PREPARE] = EV_PREPARE, [K_FORK] = EV_FORK, [K_CHILD] = EV_CHILD,
                                     [K_STAT] = EV_STAT, [K_ASYNC] = EV_ASYNC, [K_CLEANUP] = EV_CLEANUP };
          r &= ~nat[m->kind];
        }
    }
  return r;
}

/* ---- one operation ---------------------------------------------------------------------------- */

static int
do_op (enum op op, const struct ctx *c)
{
  struct mw *m;
  int l;
  switch (op)
    {
    case O_START:
      {
        m = pick (p_start, c);
        if (!m)
          return 0;
        int reconf = !m->conf || m_chance (50);
        /* A timer started again without ev_timer_set goes on with what was left of its
         * timeout when it stopped: microseconds decide the order of such deadlines, and so the
         * heap indices in the trace.  Only with -A (model checks only). */
        if (S.known && m->kind == K_TIMER)
          reconf = 1;
        if (!ops_can_start (m, reconf))
          return 0;
        if (reconf && !m->pend && ref_pending_known (m) && !ev_is_pending (&m->u.w) && m_chance (30))
          op_set_priority (m, (int)m_rand (5) + EV_MINPRI);
        op_start (m, reconf);
        return 1;
      }
    case O_STOP:
      if (!(m = pick (p_stop, c)))
        return 0;
      op_stop (m);
      return 1;
    case O_FEED:
      if (!(m = pick (p_has_cb, c)))
        return 0;
      /* a child watcher pending when its child's exit is processed: libev 4.33 sets its
       * priority to EV_MAXPRI while it is queued at another and loses the event
       * (model-findings/d19-child-pending-priority.c) */
      if (m->kind == K_CHILD)
        return 0;
      op_feed (m, feed_revents (m));
      return 1;
    case O_CLEAR:
      if (!(m = pick (p_any, c)))
        return 0;
      op_clear (m);
      return 1;
    case O_INVOKE:
      if (!top (c) && S.ncbs >= 4)
        return 0;
      if (!(m = pick (p_has_cb, c)))
        return 0;
      op_invoke (m, feed_revents (m));
      return 1;
    case O_INVOKE_PENDING:
      l = pick_loop ();
      if (!top (c) && (S.ncbs >= 4 || (l != c->loop && world_loop_on_stack (l))))
        return 0;
      if (!top (c) && l == c->loop && c->m && c->m->kind == K_CLEANUP)
        return 0;
      op_invoke_pending (l);
      return 1;
    case O_REF:
      l = pick_loop ();
      if (S.loops[l].unrefs <= 0)
        return 0;
      op_ref (l);
      return 1;
    case O_UNREF:
      l = pick_loop ();
      if (world_stable_refs (l) - S.loops[l].unrefs < 1)
        return 0;
      op_unref (l);
      return 1;
    case O_RUN:
      {
        l = top (c) || m_chance (50) ? pick_loop () : c->loop;
        if (!can_run_here (l, c))
          return 0;
        unsigned r = m_rand (100);
        int flags;
        if (top (c))
          flags = r < 55 ? EVRUN_NOWAIT : r < 80 ? EVRUN_ONCE : 0;
        else
          flags = r < 70 ? EVRUN_NOWAIT : r < 90 ? EVRUN_ONCE : 0;
        op_run (l, flags);
        return 1;
      }
    case O_BREAK:
      {
        l = pick_loop ();
        if (!top (c) && !world_loop_on_stack (l) && m_chance (70))
          l = c->loop;
        unsigned r = m_rand (4);
        op_break (l, r < 2 ? EVBREAK_ONE : r == 2 ? EVBREAK_ALL : EVBREAK_CANCEL);
        return 1;
      }
    case O_NOW_UPDATE:
      op_now_update (pick_loop ());
      return 1;
    case O_SUSPEND:
      if (!top (c))
        return 0;
      op_suspend_resume (pick_loop ());
      return 1;
    case O_WRITE:
      {
        int fdi = (int)m_rand ((unsigned)S.nfds);
        if (S.fds[fdi].kind == FD_PIPE_R || S.fds[S.fds[fdi].peer].bytes > 20)
          return 0;
        op_write (fdi);
        return 1;
      }
    case O_READ:
      {
        int fdi = (int)m_rand ((unsigned)S.nfds);
        if (S.fds[fdi].kind == FD_PIPE_W)
          return 0;
        op_read (fdi);
        return 1;
      }
    case O_RAISE:
      {
        int si = (int)m_rand (M_SIGS);
        if ((m_signals[si] == SIGUSR1 || m_signals[si] == SIGUSR2) && S.sig_owner[si] < 0)
          return 0;
        op_raise (si);
        return 1;
      }
    case O_FEED_SIGNAL:
      {
        /* ev_feed_signal wakes the owning loop through its wake-up pipe: libev 4.33 aborts
         * in the next ev_run of a signalfd loop that has none */
        int si = (int)m_rand (M_SIGS);
        if (S.sig_owner[si] >= 0 && !S.loops[S.sig_owner[si]].wakeup_made)
          return 0;
        op_feed_signal (si);
        return 1;
      }
    case O_FEED_SIGNAL_EVENT:
      op_feed_signal_event (pick_loop (), (int)m_rand (M_SIGS));
      return 1;
    case O_ASYNC_SEND:
      if (!(m = pick (p_async, c)))
        return 0;
      /* a send to a stopped watcher only where the loop's wake-up pipe exists: otherwise
       * libev 4.33 aborts in its next ev_run ("pipe_w not active, but pipe not written")
       * unless an async watcher is started before it (model-findings/a01, d15) */
      if (!m->active && !S.loops[m->loop].wakeup_made)
        return 0;
      op_async_send (m);
      return 1;
    case O_FORK_CHILD:
      {
        int d = -1;
        for (int i = 0; i < S.nloops; ++i)
          if (S.loops[i].is_default && S.loops[i].alive)
            d = i;
        if (!top (c) || d < 0 || S.nchildren >= M_CHILDREN)
          return 0;
        op_fork_child ();
        return 1;
      }
    case O_STAT_CHANGE:
      {
        int f = (int)m_rand (M_FILES);
        if (S.file_size[f] > 40)
          return 0;
        op_stat_change (f);
        return 1;
      }
    case O_STAT_STAT:
      if (!(m = pick (p_stat, c)))
        return 0;
      op_stat_stat (m);
      return 1;
    case O_LOOP_FORK:
      {
        l = pick_loop ();
        struct mloop *L = &S.loops[l];
        if (world_in_progress (l) && (L->state == ST_PREP || L->state == ST_FORK))
          return 0;
        if (S.known && (L->statloop || embeds (l) || embeddable_loop (l)))
          return 0; /* known differences 9 and 10 (model.c), also through an embed watcher */
        op_loop_fork (l);
        return 1;
      }
    case O_TIMER_AGAIN:
      if (!(m = pick (p_timer, c)))
        return 0;
      op_timer_again (m);
      return 1;
    case O_REMAINING:
      if (!(m = pick (p_timer, c)))
        return 0;
      op_timer_remaining (m);
      return 1;
    case O_PERIODIC_AGAIN:
      if (!(m = pick (p_periodic, c)))
        return 0;
      op_periodic_again (m);
      return 1;
    case O_SWEEP:
      if (!top (c) && S.ncbs >= 4)
        return 0;
      if (!(m = pick (p_sweep, c)))
        return 0;
      op_embed_sweep (m);
      return 1;
    case O_ONCE:
      l = pick_loop ();
      if (fds_frozen (l))
        return 0;
      op_once (l, S.known && embeddable_loop (l));
      return 1;
    case O_FEED_FD:
      {
        l = pick_loop ();
        int fdi = (int)m_rand ((unsigned)S.nfds);
        if (!(S.loops[l].fds_seen & (1u << fdi)))
          return 0;
        static const int ev[] = { EV_READ, EV_WRITE, EV_READ | EV_WRITE };
        op_feed_fd_event (l, fdi, ev[m_rand (3)]);
        return 1;
      }
    case O_PRIORITY:
      if (!(m = pick (p_priority, c)))
        return 0;
      op_set_priority (m, (int)m_rand (5) + EV_MINPRI);
      return 1;
    case O_PENDING_COUNT:
      op_pending_count (pick_loop ());
      return 1;
    case O_S_SEND: return op_stream_send (!top (c), 0);
    case O_S_SEND_REF: return op_stream_send (!top (c), 1);
    case O_S_RECV: return op_stream_recv (!top (c));
    case O_S_RELEASE: return op_stream_release ();
    case O_S_SHUTDOWN: return op_stream_shutdown ();
    case O_PEER_WRITE: return op_peer_write ();
    case O_PEER_READ: return op_peer_read ();
    case O_PEER_SHUT: return op_peer_shut ();
    case O_PEER_CLOSE: return op_peer_close ();
    case O_CONNECT: return op_client_connect ();
    case O_TAKE: return op_accept_take ();
    case O_SETTLE:
      if (!top (c))
        return 0;
      streams_settle ();
      return 1;
    default:
      return 0;
    }
}

/* more of what the sequence's setup makes possible but the fixed weights make rare */
static const unsigned *
adjusted (const unsigned *weights, unsigned *buf)
{
  memcpy (buf, weights, sizeof (unsigned) * O_N);
  if (!S.streams)
    for (int i = O_STREAMS_FIRST; i < O_N; ++i)
      buf[i] = 0;
  for (int i = 0; i < S.nw; ++i)
    {
      const struct mw *m = &S.w[i];
      if (m->kind == K_CHILD && m->active && weights == weight_top)
        buf[O_FORK_CHILD] = 5;
      if (m->kind == K_STAT && m->active && S.loops[m->loop].inotify)
        buf[O_STAT_CHANGE] = 15;
      if (m->kind == K_EMBED && m->active)
        buf[O_SWEEP] = 4;
    }
  return buf;
}

static enum op
draw (const unsigned *weights)
{
  unsigned total = 0;
  for (int i = 0; i < O_N; ++i)
    total += weights[i];
  unsigned r = m_rand (total);
  for (int i = 0; i < O_N; ++i)
    {
      if (r < weights[i])
        return (enum op)i;
      r -= weights[i];
    }
  return O_PENDING_COUNT;
}

static void
after (int is_top)
{
  ++S.ops;
  if (S.op_delay_us)
    {
      /* 0..N us, drawn from a generator of its own: the sequence stays the same */
      uint64_t h = (S.seed + S.op_delay_salt) * 0x9e3779b97f4a7c15ULL + (uint64_t)S.ops * 0xbf58476d1ce4e5b9ULL;
      h ^= h >> 31;
      h *= 0x94d049bb133111ebULL;
      h ^= h >> 29;
      usleep ((useconds_t)(h % (uint64_t)(S.op_delay_us + 1)));
    }
  ref_sync ();
  ref_check (is_top);
  if (is_top)
    {
      char where[32];
      snprintf (where, sizeof where, "op%ld", S.ops);
      tr_state (where);
    }
  ops_verify_all (is_top);
}

void
gen_top_op (void)
{
  struct ctx c = { -1, NULL };
  unsigned buf[O_N];
  for (int tries = 0; tries < 10; ++tries)
    if (do_op (draw (adjusted (weight_top, buf)), &c))
      break;
  after (1);
}

void
gen_inner_ops (int loop, struct mw *m)
{
  struct ctx c = { loop, m };
  unsigned buf[O_N];
  if (m_chance (45))
    return;
  int n = 1 + (int)m_rand (3);
  for (int i = 0; i < n && S.ops < S.max_ops && !S.failed; ++i)
    {
      for (int tries = 0; tries < 6; ++tries)
        if (do_op (draw (adjusted (weight_inner, buf)), &c))
          break;
      after (0);
    }
}
