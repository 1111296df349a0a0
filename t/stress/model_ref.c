/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/model_ref.c - the reference model: what must be active, pending and due, and the
 * checks of what the library reports against it.
 *
 * The model follows each loop by its iteration counter.  Between two points where this
 * program runs (an operation at the top level, or a callback) the library runs on its own,
 * but nothing it sees changes, so when the model next looks (ref_sync) it can replay what
 * every iteration in between must have done:
 *   - everything pending before a poll was invoked before it (any invocation pass drains all);
 *   - the poll of iteration N queues every active io watcher whose fd is ready for its events,
 *     every due timer and periodic (timers and periodics started at iteration N-1 or earlier
 *     with a due time in the past: collected at iteration N exactly), the idle watchers by
 *     libev's rule (the first priority level from the top with pending watchers blocks, the
 *     first with idle watchers runs), and every check watcher;
 *   - non-repeating timers and absolute periodics are stopped when they are queued.
 * Prepare and fork watchers are queued in their own passes before the poll; the model sees
 * such a pass begin with the first callback that has EV_PREPARE (EV_FORK) in its revents
 * (the generator never feeds those bits) and then knows all of them are pending.
 *
 * Events that reach a loop through its wake-up fd, the inotify fd or an embedded loop's fd
 * (signals, ev_feed_signal, ev_async_send, child exits, stat changes, embedded loops) are
 * queued by internal watchers in the middle of a pass, so the model gives them a window: they
 * may be pending in passes [may_from, may_until] and must have been delivered by the end of
 * pass must_by (the pass after the one in which they happened).
 *
 * Checks: ev_is_active always; ev_is_pending and ev_clear_pending exactly wherever the model
 * knows (always at the top level); ev_pending_count at the top level; ev_async_pending; the
 * return value of ev_run (the reference count); that ev_run makes no poll after ev_break;
 * every callback: that it was due (nothing fires for a stopped watcher, nothing early) and
 * its revents; and at every point where a pass is known to be complete: that everything
 * pending was invoked and nothing due was lost. */
#include "model.h"
#include "stress.h"

#include <stdio.h>
#include <stdlib.h>

#define EPS 1e-4 /* medium timers: ev_now() this close to the due time may go either way */

static struct mw *entering; /* the watcher whose callback is starting (ref_sync from ops_callback) */

void
ref_entering (struct mw *m)
{
  entering = m;
}

static int
natural (const struct mw *m)
{
  switch (m->kind)
    {
    case K_IO: return m->events;
    case K_TIMER: return EV_TIMER;
    case K_PERIODIC: return EV_PERIODIC;
    case K_SIGNAL: return EV_SIGNAL;
    case K_CHILD: return EV_CHILD;
    case K_STAT: return EV_STAT;
    case K_IDLE: return EV_IDLE;
    case K_PREPARE: return EV_PREPARE;
    case K_CHECK: return EV_CHECK;
    case K_FORK: return EV_FORK;
    case K_CLEANUP: return EV_CLEANUP;
    case K_ASYNC: return EV_ASYNC;
    case K_STREAM: case K_ACCEPT: return EV_READ;
    default: return EV_EMBED;
    }
}

int
ref_refs_of (const struct mw *m)
{
  if (!m->active)
    return 0;
  if (m->kind == K_CLEANUP)
    return 0;
  if (m->kind == K_EMBED)
    return 4; /* the embed watcher and its io, prepare and fork watchers (libev 4.33) */
  return 1;
}

int
ref_stable (const struct mw *m)
{
  if (m->kind == K_TIMER)
    return m->rclass != R_NONE || m->tclass == T_FAR;
  if (m->kind == K_PERIODIC)
    return m->pmode != P_ABS_DUE && m->pmode != P_ABS_MEDIUM;
  if (streams_kind (m))
    return 0; /* EV_ERROR stops them */
  return 1;
}

static int
in_window (const struct mw *m, unsigned it)
{
  return m->may_until && it >= m->may_from && it <= m->may_until;
}

/* a stream or accept watcher of loop `l` is active, or was: what its flush step left makes the
 * embedding loop sweep it (model-findings/s01) */
static int
loop_has_streams (int l)
{
  for (int i = 0; i < S.nw; ++i)
    if ((S.w[i].kind == K_STREAM || S.w[i].kind == K_ACCEPT) && S.w[i].loop == l && (S.w[i].calls || S.w[i].active))
      return 1;
  return 0;
}

static void
open_window (struct mw *m, unsigned from, unsigned until, int must)
{
  if (!m->may_until || from < m->may_from)
    m->may_from = from;
  if (until > m->may_until)
    m->may_until = until;
  if (must && (!m->must_by || until < m->must_by))
    m->must_by = until;
}

static int
tainted (const struct mw *m)
{
  if (m->kind != K_SIGNAL)
    return 0;
  for (int i = 0; i < M_SIGS; ++i)
    if (m_signals[i] == m->signum)
      return S.sig_taint[i];
  return 0;
}

/* An embedded loop of L ran in this iteration of L (seen at a sync): its fork or prepare pass
 * may have begun before the model saw it, and prepare watchers started meanwhile may or may
 * not be in it. */
static int
embed_unsure (const struct mloop *L)
{
  return L->embed_ran == L->iter + 1;
}

int
ref_pending_known (const struct mw *m)
{
  const struct mloop *L = &S.loops[m->loop];
  if (!world_in_progress (m->loop))
    return 1;
  if (tainted (m))
    return 0;
  /* the embed watcher's own prepare and fork watchers run the embedded loop before ours of
   * the same pass were called: then the model has not seen that pass begin */
  if ((m->kind == K_PREPARE || m->kind == K_FORK) && embed_unsure (L))
    return 0;
  if (in_window (m, L->iter))
    return 0;
  if (m->kind == K_FORK && L->fork_loose)
    return 0;
  return 1;
}

/* ---- passes ------------------------------------------------------------------------------ */

static void close_passes (struct mloop *L, unsigned upto, const char *why, int drained);

/* The loop has invoked everything that was pending (a drain point), and every pass up to
 * `upto` is complete: nothing may still be pending, nothing due by then may be missing. */
static void
close_upto (struct mloop *L, unsigned upto, const char *why)
{
  close_passes (L, upto, why, 1);
}

static void
close_passes (struct mloop *L, unsigned upto, const char *why, int drained)
{
  for (int i = 0; i < S.nall; ++i)
    {
      struct mw *m = &S.w[i];
      if (m->loop != L->idx)
        continue;
      /* the flush step after a pass may queue stream events again: adopted anew after this */
      m->spend = 0;
      if (m->pend && drained)
        {
          m_fail ("w%d (%s, L%d): pending %#x but not invoked (%s, iteration %u)", i, m_kind_name[m->kind],
                  L->idx, m->pend, why, L->iter);
          m->pend = 0;
        }
      if (m->must_by && m->must_by <= upto)
        {
          m_fail ("w%d (%s, L%d): its event was due by the pass of iteration %u and never came (%s, "
                  "iteration %u)", i, m_kind_name[m->kind], L->idx, m->must_by, why, L->iter);
          m->must_by = 0;
        }
      if (m->may_until && m->may_until <= upto)
        {
          m->may_from = m->may_until = 0;
          if (m->kind == K_ASYNC && m->active)
            m->sent = 0;
          if (m->kind == K_CHILD)
            m->prio_unknown = 1; /* queued while active: forced to EV_MAXPRI */
        }
      if (m->kind == K_EMBED && m->active && m->need_since && upto >= m->need_since + 1)
        {
          m_fail ("w%d (embed, L%d): the embedded loop L%d has had a ready fd since iteration %u of "
                  "L%d and was not swept (iteration %u)", i, L->idx, m->inner, m->need_since - 1, L->idx,
                  upto);
          m->need_since = 0;
        }
    }
  for (int i = 0; i < M_ONCES; ++i)
    {
      struct monce *o = &S.onces[i];
      if (o->used && !o->fired && o->loop == L->idx && o->queued && o->due_iter <= upto)
        {
          m_fail ("once%d (L%d): due in iteration %u, not called (%s)", o->id, L->idx, o->due_iter, why);
          o->fired = 1;
        }
    }
  if (L->is_default)
    for (int i = 0; i < S.nchildren; ++i)
      if (S.children[i].state == 1 && S.children[i].at + 1 <= upto)
        S.children[i].state = 2;
}

/* ev_loop_fork: the fork pass comes before the next poll */
static void
fork_done (struct mloop *L)
{
  if (!L->fork_flag)
    return;
  L->fork_flag = 0;
  /* the fork handling makes the wake-up fd anew and queues its watcher, to look at what may
   * have been signalled meanwhile: the idle rule is loose in this iteration */
  if (L->idle_loose_until < L->iter + 1)
    L->idle_loose_until = L->iter + 1;
  for (int i = 0; i < S.nall; ++i)
    {
      struct mw *m = &S.w[i];
      if (m->loop == L->idx && m->kind == K_FORK && m->must_by == ~0u)
        {
          m_fail ("w%d (fork, L%d): not called before the poll after ev_loop_fork", i, L->idx);
          m->must_by = 0;
        }
    }
}

static int
qlevel (int prio)
{
  return prio - EV_MINPRI;
}

static int
medium_queued (struct mw *m, double at, int last)
{
  if (!last)
    return 0;
  double now = ev_now (S.loops[m->loop].l);
  if (!m->loose)
    {
      if (now > at + EPS)
        return 1;
      if (now < at - EPS)
        return 0;
    }
  /* too close to call (or moved by ev_suspend): what the library did decides */
  if (m == entering)
    return 1;
  if (m->rclass == R_NONE && m->kind == K_TIMER)
    return !ev_is_active (&m->u.w);
  if (m->kind == K_PERIODIC)
    return !ev_is_active (&m->u.w);
  return ev_is_pending (&m->u.w) != 0;
}

/* the poll of iteration `it` and what is queued right after it */
static void
collect (struct mloop *L, unsigned it, int last)
{
  int q[5] = { 0 };
  int idles[5] = { 0 };
  int has_embed = 0; /* or anything else that makes the idle rule loose */
  for (int i = 0; i < S.nall; ++i)
    {
      struct mw *m = &S.w[i];
      if (m->loop != L->idx || !m->active)
        continue;
      int lev = qlevel (m->prio);
      switch (m->kind)
        {
        case K_IO:
          {
            int r = world_ready (m->fdi) & m->events;
            if (r)
              {
                m->pend |= r;
                q[lev]++;
              }
            break;
          }
        case K_TIMER:
          {
            int due;
            if (m->tclass == T_MEDIUM)
              S.timed += due = medium_queued (m, m->due_at, last);
            else
              due = m->due_iter && it >= m->due_iter;
            if (!due)
              break;
            m->pend |= EV_TIMER;
            q[lev]++;
            if (m->rclass == R_NONE)
              m->active = 0;
            else if (m->rclass == R_TINY)
              m->due_iter = it + 1, m->tclass = T_DUE;
            else
              m->due_iter = 0, m->tclass = T_FAR;
            break;
          }
        case K_PERIODIC:
          {
            int due;
            if (m->pmode == P_RESCHED_NOW)
              break; /* a window (ref_started) */
            if (m->pmode == P_ABS_MEDIUM)
              S.timed += due = medium_queued (m, m->due_at, last);
            else
              due = m->due_iter && it >= m->due_iter;
            if (!due)
              break;
            m->pend |= EV_PERIODIC;
            q[lev]++;
            m->active = 0;
            break;
          }
        case K_IDLE:
          idles[lev]++;
          break;
        case K_EMBED:
          has_embed = 1;
          open_window (m, it, it, 0); /* the embedded loop's fd may be ready */
          break;
        case K_STREAM:
        case K_ACCEPT:
          has_embed = 1; /* not predicted: its readiness watcher, and it, may be pending */
          break;
        default:
          break;
        }
      if (m->kind == K_PERIODIC && m->pmode == P_RESCHED_NOW)
        has_embed = 1; /* may be queued: the idle rule is loose */
    }
  for (int i = 0; i < M_ONCES; ++i)
    {
      struct monce *o = &S.onces[i];
      if (!o->used || o->fired || o->loop != L->idx || o->queued)
        continue;
      if (o->timer_due || (o->fdi >= 0 && (world_ready (o->fdi) & o->events)))
        {
          o->due_iter = it;
          o->queued = 1;
          q[qlevel (0)]++;
        }
    }
  /* idle watchers: libev's rule, unless an event the model cannot place may be pending
   * (an internal watcher pending at a level blocks the idle watchers below it) */
  if (L->idle_loose_until >= it || has_embed || L->fork_loose)
    {
      for (int i = 0; i < S.nall; ++i)
        if (S.w[i].loop == L->idx && S.w[i].active && S.w[i].kind == K_IDLE)
          open_window (&S.w[i], it, it, 0);
    }
  else
    for (int lev = 4; lev >= 0; --lev)
      {
        if (q[lev])
          break;
        if (idles[lev])
          {
            for (int i = 0; i < S.nall; ++i)
              if (S.w[i].loop == L->idx && S.w[i].active && S.w[i].kind == K_IDLE
                  && qlevel (S.w[i].prio) == lev)
                S.w[i].pend |= EV_IDLE;
            break;
          }
      }
  for (int i = 0; i < S.nall; ++i)
    if (S.w[i].loop == L->idx && S.w[i].active && S.w[i].kind == K_CHECK)
      S.w[i].pend |= EV_CHECK;
}

void
ref_sync_loop (int li)
{
  struct mloop *L = &S.loops[li];
  if (!L->alive)
    return;
  unsigned cur = ev_iteration (L->l);
  if (cur < L->iter)
    {
      m_fail ("L%d: ev_iteration went back from %u to %u", li, L->iter, cur);
      L->iter = cur;
    }
  if (cur != L->iter)
    {
      close_upto (L, L->iter, "before the next poll");
      fork_done (L);
      if (L->time_hooks && L->releases != L->acquires)
        m_fail ("L%d: %ld release but %ld acquire callbacks", li, L->releases, L->acquires);
      for (unsigned it = L->iter + 1; it != cur + 1; ++it)
        {
          L->iter = it;
          collect (L, it, it == cur);
          if (it != cur)
            close_upto (L, it, "an iteration without callbacks");
        }
      L->pendcnt = 0;
      L->state = ST_PASS;
    }
  int inprog = world_in_progress (li);
  for (int i = 0; i < S.nw; ++i)
    if (S.w[i].kind == K_EMBED && S.w[i].active && S.w[i].loop == li && world_in_progress (S.w[i].inner))
      L->embed_ran = L->iter + 1;
  if (L->was_inprog && !inprog)
    {
      /* no callback of the loop is on the stack any more: the pass that called them is over
       * (this is how the model sees the end of an embedded loop's sweep) */
      close_upto (L, L->iter, "its pass is over");
      L->pendcnt = 0;
    }
  L->was_inprog = inprog;
  if (!inprog && !L->nframes)
    L->state = ST_QUIET;
  streams_adopt (L, entering);
}

/* the embedded loop has a ready io watcher: the embedding loop must sweep it soon */
static void
embed_needs (void)
{
  for (int i = 0; i < S.nw; ++i)
    {
      struct mw *m = &S.w[i];
      if (m->kind != K_EMBED || !m->active)
        continue;
      struct mloop *I = &S.loops[m->inner];
      int ready = 0;
      for (int j = 0; j < S.nall && !ready; ++j)
        {
          const struct mw *x = &S.w[j];
          if (x->loop == m->inner && x->active && x->kind == K_IO && (world_ready (x->fdi) & x->events))
            ready = 1;
        }
      if (!ready || world_in_progress (m->inner))
        m->need_since = 0;
      else if (!m->need_since || I->iter != m->inner_iter)
        {
          m->need_since = S.loops[m->loop].iter + 1;
          m->inner_iter = I->iter;
        }
    }
}

void
ref_sync (void)
{
  for (int i = 0; i < S.nloops; ++i)
    ref_sync_loop (i);
  embed_needs ();
}

/* a pass that began with a prepare or fork callback: the one before it is complete */
static void
pass_begins (struct mloop *L, int state)
{
  /* with an active embed watcher, its own fork or prepare watcher may have run the embedded
   * loop in this pass already, and its callbacks fed watchers of this loop: those are not
   * left over from before */
  int embeds = 0;
  for (int i = 0; i < S.nw; ++i)
    if (S.w[i].kind == K_EMBED && S.w[i].active && S.w[i].loop == L->idx)
      embeds = 1;
  /* nor when a stream callback may have been the first of this pass (embed_unsure) */
  close_passes (L, L->iter, state == ST_FORK ? "the fork pass began" : "the prepare pass began",
                !embeds && !embed_unsure (L));
  L->pendcnt = 0;
  streams_adopt (L, NULL);
  if (state == ST_PREP && L->fork_flag && L->fork_at <= L->iter)
    {
      /* the fork pass came before */
      for (int i = 0; i < S.nall; ++i)
        if (S.w[i].loop == L->idx && S.w[i].kind == K_FORK && S.w[i].must_by == ~0u)
          {
            m_fail ("w%d (fork, L%d): not called before the prepare pass after ev_loop_fork", i, L->idx);
            S.w[i].must_by = 0;
          }
    }
  L->state = state;
  L->state_depth = ev_depth (L->l);
  L->pass_seq++;
  int kind = state == ST_FORK ? K_FORK : K_PREPARE;
  for (int i = 0; i < S.nall; ++i)
    if (S.w[i].loop == L->idx && S.w[i].active && S.w[i].kind == kind)
      {
        if (embed_unsure (L))
          open_window (&S.w[i], L->iter, L->iter + 1, 0); /* queued, unless started too late
                                                             (a window ends after pass 0) */
        else
          S.w[i].pend |= natural (&S.w[i]);
      }
}

void
ref_on_callback (struct mw *m, int revents)
{
  struct mloop *L = &S.loops[m->loop];
  unsigned it = L->iter;
  /* a run of the loop that is not ours (an embedding loop's prepare, io or fork watcher runs
   * it), or the end of one: the fork and prepare passes seen so far were another run's */
  if (ev_depth (L->l) != L->state_depth)
    L->state = ST_QUIET;
  if (L->nframes && ev_depth (L->l) > (unsigned)L->nframes)
    L->fr[L->nframes - 1].it0 = ~0u; /* a nested run: no count check */
  /* a watcher is called once per prepare (fork) pass: called again, it is in a new one (an
   * embedding loop's prepare watcher may run this loop twice at the same depth) */
  if ((m->kind == K_PREPARE || m->kind == K_FORK) && (revents & (EV_PREPARE | EV_FORK))
      && m->pass_seen == L->pass_seq)
    L->state = ST_QUIET;
  if (m->kind == K_PREPARE && (revents & EV_PREPARE) && !(L->state == ST_PREP))
    pass_begins (L, ST_PREP);
  if (m->kind == K_FORK && (revents & EV_FORK) && !(L->state == ST_FORK))
    {
      if (!L->fork_flag && !L->fork_loose)
        m_fail ("w%d (fork, L%d): called with EV_FORK without ev_loop_fork", m->id, L->idx);
      pass_begins (L, ST_FORK);
    }
  if (ev_is_pending (&m->u.w))
    m_fail ("w%d: still pending (%d) inside its own callback", m->id, ev_is_pending (&m->u.w));

  if (streams_kind (m))
    {
      /* not predicted: judged (model_stream.c); the fed events must be there */
      if (m->active && !ev_is_active (&m->u.w))
        streams_adopt (L, NULL); /* stopped before its EV_ERROR callback */
      int allowed = m->pend | streams_plausible (m);
      if (!revents || (revents & m->pend) != m->pend || (revents & ~allowed))
        m_fail ("w%d (%s, L%d): called with revents %#x, the model expects %#x (%#x possible, %s)", m->id,
                m_kind_name[m->kind], L->idx, revents, m->pend, allowed, m->active ? "active" : "stopped");
      m->pend = 0;
      m->spend = 0;
      m->calls++;
      /* what the flush step queued after a pass comes with the next fork or prepare pass, which
       * the model then has not seen begin (as after an embedded loop ran) */
      L->embed_ran = L->iter + 1;
      return;
    }

  int extra = 0; /* revents the model allows without knowing them */
  if (in_window (m, it))
    extra = natural (m);
  if (m->kind == K_FORK && L->fork_loose)
    extra = EV_FORK;
  if (tainted (m))
    extra = EV_SIGNAL;
  if (m->kind == K_STAT && !L->inotify && stress_now () - S.started > 4.)
    extra = EV_STAT; /* a sequence slow enough for the 5 s polling timer */
  if (m->kind == K_EMBED && loop_has_streams (m->inner))
    extra = EV_EMBED; /* what its streams' flush left is swept for by the prepare pass (s01) */
  if (!m->active)
    extra = 0; /* those events only reach active watchers (a stop clears what was queued) */
  if (!m->pend && !extra)
    m_fail ("w%d (%s, L%d): called with %#x, but %s (iteration %u)", m->id, m_kind_name[m->kind], L->idx,
            revents, m->active ? "nothing was due" : "it is stopped and was not pending", it);
  else if ((revents & m->pend) != m->pend || (revents & ~(m->pend | extra)) || !revents)
    m_fail ("w%d (%s, L%d): called with revents %#x, the model expects %#x (%#x possible)", m->id,
            m_kind_name[m->kind], L->idx, revents, m->pend, extra);
  m->pend = 0;
  m->calls++;
  if ((m->kind == K_PREPARE && (revents & EV_PREPARE)) || (m->kind == K_FORK && (revents & EV_FORK)))
    m->pass_seen = L->pass_seq;
  if (revents & natural (m))
    m->must_by = 0;
  if (m->kind == K_PERIODIC && m->pmode == P_RESCHED_NOW && m->active)
    m->must_by = it + 3;
  if (m->kind == K_ASYNC && (revents & EV_ASYNC))
    m->sent = m->may_until > it ? -1 : 0; /* this may be for an earlier send than the last */
  if (m->kind == K_EMBED && m->need_since)
    m->need_since = S.loops[m->loop].iter + 1;
  if (m->kind == K_CHILD && (revents & EV_CHILD))
    {
      /* forced to EV_MAXPRI when queued, unless it was pending already (fed) */
      int p = ev_priority (&m->u.w);
      if (p != EV_MAXPRI && (m->prio_unknown ? 0 : p != m->prio))
        m_fail ("w%d (child): priority %d in its callback, neither %d nor EV_MAXPRI", m->id, p, m->prio);
      m->prio = p;
      m->prio_unknown = 0;
      /* the status must be one of a child that exited and that this watcher matches */
      int ok = 0;
      for (int i = 0; i < S.nchildren; ++i)
        if (S.children[i].pid == m->u.child.rpid && S.children[i].state >= 1
            && (m->cidx < 0 || m->cidx == i) && m->u.child.rstatus == (S.children[i].code << 8))
          ok = 1;
      if (!ok)
        m_fail ("w%d (child): rpid/rstatus %#x match no exited child it watches", m->id, m->u.child.rstatus);
    }
  if (m->kind == K_STAT && (revents & EV_STAT))
    {
      const ev_statdata *a = &m->u.stat.attr, *p = &m->u.stat.prev;
      if (a->st_nlink < 1 || a->st_size > S.file_size[m->file] || a->st_size == p->st_size)
        m_fail ("w%d (stat): attr size %ld nlink %ld, prev size %ld, file size now %ld", m->id,
                (long)a->st_size, (long)a->st_nlink, (long)p->st_size, S.file_size[m->file]);
    }
  if (ev_is_active (&m->u.w) ? !m->active : m->active)
    m_fail ("w%d (%s): ev_is_active %d in its callback, the model says %d", m->id, m_kind_name[m->kind],
            ev_is_active (&m->u.w), m->active);
}

void
ref_on_once (struct monce *o, int revents)
{
  int allowed = (o->timer_due ? EV_TIMER : 0) | (o->fdi >= 0 ? o->events : 0);
  if (o->fired)
    m_fail ("once%d: called twice", o->id);
  else if (!o->queued)
    m_fail ("once%d: called with %#x before it was due", o->id, revents);
  else if (!revents || (revents & ~allowed))
    m_fail ("once%d: called with %#x, only %#x possible", o->id, revents, allowed);
  o->fired = 1;
}

static void
loose_idles (int loop, unsigned until)
{
  if (S.loops[loop].idle_loose_until < until)
    S.loops[loop].idle_loose_until = until;
}

/* ---- what the operations do to the model -------------------------------------------------- */

/* ev_now() of the loop may be ahead of the time its timers count from (model.h, lead_now) */
static int
now_may_lead (const struct mloop *L)
{
  if (L->lead_now != 0. && ev_now (L->l) == L->lead_now)
    return 1;
  return L->fork_lead && ev_iteration (L->l) <= L->fork_lead_until;
}

void
ref_started (struct mw *m)
{
  struct mloop *L = &S.loops[m->loop];
  unsigned it = L->iter;
  m->active = 1;
  m->must_by = 0;
  m->may_from = m->may_until = 0;
  m->spend = 0;
  m->lib_stopped = 0;
  switch (m->kind)
    {
    case K_TIMER:
      {
        /* started again without ev_timer_set, a timer goes on with what was left of its
         * timeout when it stopped (nothing, if it expired) */
        double left = ev_timer_remaining (L->l, &m->u.timer);
        m->tclass = left < (S.timing ? 1e-6 : 1.) ? T_DUE : left < 100. ? T_MEDIUM : T_FAR;
        m->due_iter = m->tclass == T_DUE ? it + 1 : 0;
        m->due_at = ev_now (L->l) + left;
        /* counted from a time before ev_now(): it may fire before due_at by up to the lead */
        m->loose = now_may_lead (L);
        break;
      }
    case K_PERIODIC:
      if (!L->periodics_seen)
        L->lead_now = ev_now (L->l);
      L->periodics_seen = 1;
      m->due_iter = m->pmode == P_ABS_DUE ? it + 1 : 0;
      m->loose = 0;
      if (m->pmode == P_RESCHED_NOW)
        {
          open_window (m, it + 1, ~0u - 8, 0); /* may fire in any pass */
          m->must_by = it + 3;                 /* and must, now and then */
        }
      break;
    case K_SIGNAL:
      if (!L->sigfd)
        L->wakeup_made = 1;
      for (int i = 0; i < M_SIGS; ++i)
        if (m_signals[i] == m->signum)
          S.sig_owner[i] = m->loop;
      /* a raise the loop has not processed yet may reach a watcher started now */
      for (int i = 0; i < S.nall; ++i)
        if (S.w[i].loop == m->loop && S.w[i].kind == K_SIGNAL && S.w[i].signum == m->signum
            && S.w[i].may_until >= it && &S.w[i] != m)
          open_window (m, it, S.w[i].may_until, 0);
      break;
    case K_CHILD:
      for (int i = 0; i < S.nchildren; ++i)
        if (S.children[i].state == 1 && (m->cidx < 0 || m->cidx == i))
          {
            open_window (m, it, S.children[i].at + 1, 0);
            m->prio_unknown = 1;
          }
      break;
    case K_ASYNC:
      m->sent = 0;
      L->wakeup_made = 1;
      break;
    case K_STAT:
      /* adding an inotify watch may queue an event (internal watcher pending next poll) */
      if (L->inotify)
        loose_idles (m->loop, it + 1);
      break;
    case K_EMBED:
      m->need_since = 0;
      if (L->fork_flag)
        S.loops[m->inner].fork_loose = 1; /* its fork watcher forwards the pending fork */
      S.loops[m->inner].embedded_by = m->id;
      S.loops[m->inner].ever_embedded = 1;
      break;
    default:
      break;
    }
}

void
ref_stopped (struct mw *m)
{
  m->active = 0;
  m->pend = 0;
  m->spend = 0;
  m->lib_stopped = 0;
  m->must_by = 0;
  switch (m->kind)
    {
    case K_SIGNAL:
      {
        int others = 0;
        for (int i = 0; i < S.nall; ++i)
          if (S.w[i].active && S.w[i].kind == K_SIGNAL && S.w[i].signum == m->signum)
            others = 1;
        if (!others)
          for (int i = 0; i < M_SIGS; ++i)
            if (m_signals[i] == m->signum)
              {
                if (S.sig_until[i] && S.loops[S.sig_owner[i]].iter <= S.sig_until[i])
                  S.sig_taint[i] = 1; /* raised, maybe not processed yet */
                S.sig_owner[i] = -1;
                S.sig_until[i] = 0;
              }
        break;
      }
    case K_ASYNC:
      if (m->may_until)
        m->sent = -1;
      break;
    case K_STAT:
      /* removing an inotify watch queues IN_IGNORED: the internal watcher is pending next poll */
      if (S.loops[m->loop].inotify)
        loose_idles (m->loop, S.loops[m->loop].iter + 1);
      break;
    case K_EMBED:
      if (S.loops[m->inner].embedded_by == m->id)
        S.loops[m->inner].embedded_by = -1;
      m->need_since = 0;
      break;
    default:
      break;
    }
}

void
ref_fed (struct mw *m, int revents)
{
  struct mloop *L = &S.loops[m->loop];
  if (!m->pend && !m->spend)
    L->pendcnt++;
  m->pend |= revents;
}

int
ref_cleared (struct mw *m)
{
  int known = ref_pending_known (m);
  int r = m->pend;
  m->pend = 0;
  m->must_by = 0;
  return known ? r : -1;
}

void
ref_drained (int loop)
{
  struct mloop *L = &S.loops[loop];
  ref_sync ();
  close_upto (L, L->iter, "after everything pending was invoked");
  L->pendcnt = 0;
  streams_adopt (L, entering);
}

void
ref_run_enter (int loop, int flags)
{
  struct mloop *L = &S.loops[loop];
  if (L->nframes)
    L->fr[L->nframes - 1].it0 = ~0u; /* has a nested run: no count check */
  struct frame *f = &L->fr[L->nframes++];
  f->flags = flags;
  f->it0 = L->iter;
  L->brk = 0;
  L->state = ST_QUIET; /* its fork and prepare passes are new ones */
}

void
ref_run_leave (int loop, int ret)
{
  struct mloop *L = &S.loops[loop];
  struct frame *f = &L->fr[L->nframes - 1];
  ref_sync ();
  close_upto (L, L->iter, "ev_run returned");
  L->pendcnt = 0;
  streams_adopt (L, entering);
  int want = world_refcount (loop);
  if (ret != want)
    m_fail ("L%d: ev_run returned %d, the reference count is %d", loop, ret, want);
  if (L->brk && L->iter != L->brk_it)
    m_fail ("L%d: ev_run polled again after ev_break (iteration %u, break in %u)", loop, L->iter, L->brk_it);
  if (!L->brk && f->flags == 0 && ret != 0)
    m_fail ("L%d: ev_run (0) returned %d without ev_break", loop, ret);
  if (!L->brk && f->flags && f->it0 != ~0u && L->iter != f->it0 + 1)
    m_fail ("L%d: ev_run (%s) made %u iterations", loop, f->flags == EVRUN_NOWAIT ? "NOWAIT" : "ONCE",
            L->iter - f->it0);
  if (L->brk == EVBREAK_ONE)
    L->brk = 0;
  --L->nframes;
  L->state = L->nframes || world_in_progress (loop) ? ST_PASS : ST_QUIET;
}

void
ref_break (int loop, int how)
{
  struct mloop *L = &S.loops[loop];
  L->brk = how == EVBREAK_CANCEL ? 0 : how;
  L->brk_it = L->iter;
}

void
ref_loop_fork (int loop)
{
  struct mloop *L = &S.loops[loop];
  if (!L->fork_flag)
    {
      L->fork_flag = 1;
      L->fork_at = L->iter;
    }
  /* the pass that handles the fork (the next iteration's) ends with libev's timerfd callback
   * reading the wall clock into ev_now(); the iteration after it updates the clock again */
  L->fork_lead = 1;
  L->fork_lead_until = ev_iteration (L->l) + 1;
  for (int i = 0; i < S.nall; ++i)
    {
      struct mw *m = &S.w[i];
      if (m->loop == loop && m->kind == K_FORK && m->active)
        m->must_by = ~0u;
      if (m->loop == loop && m->kind == K_STAT)
        {
          /* the inotify fd is made anew: a change may be lost, or found later by a stat */
          m->must_by = 0;
          if (m->active)
            open_window (m, L->iter, L->iter + 2, 0);
        }
      if (m->loop == loop && m->kind == K_EMBED && m->active)
        S.loops[m->inner].fork_loose = 1;
    }
}

void
ref_raise (int si)
{
  int owner = S.sig_owner[si];
  /* a wake-up may reach any loop's wake-up fd (ev_feed_signal without an owner, or an owner
   * that changed): the idle rule is loose everywhere for a pass */
  for (int l = 0; l < S.nloops; ++l)
    if (S.loops[l].alive)
      loose_idles (l, S.loops[l].iter + 1);
  if (owner < 0)
    return;
  struct mloop *L = &S.loops[owner];
  S.sig_until[si] = L->iter + 1;
  for (int i = 0; i < S.nall; ++i)
    {
      struct mw *m = &S.w[i];
      if (m->loop == owner && m->active && m->kind == K_SIGNAL && m->signum == m_signals[si])
        open_window (m, L->iter, L->iter + 1, 1);
    }
}

void
ref_async_sent (struct mw *m)
{
  struct mloop *L = &S.loops[m->loop];
  loose_idles (m->loop, L->iter + 1);
  if (!m->active)
    {
      m->sent = 1;
      return;
    }
  open_window (m, L->iter, L->iter + 1, 1);
  m->sent = world_in_progress (m->loop) ? -1 : 1;
  if (m->sent == 1 && m->may_from < L->iter + 1 && m->may_until == L->iter + 1)
    m->may_from = L->iter + 1; /* the loop is not in a pass: only the next one sees it */
}

void
ref_child_exited (int ci)
{
  int d = -1;
  for (int l = 0; l < S.nloops; ++l)
    if (S.loops[l].is_default && S.loops[l].alive)
      d = l;
  if (d < 0)
    return;
  struct mloop *D = &S.loops[d];
  S.children[ci].at = D->iter;
  loose_idles (d, D->iter + 1);
  for (int i = 0; i < S.nall; ++i)
    {
      struct mw *m = &S.w[i];
      if (m->loop == d && m->active && m->kind == K_CHILD && (m->cidx < 0 || m->cidx == ci))
        {
          open_window (m, D->iter, D->iter + 1, 1);
          m->prio_unknown = 1; /* forced to EV_MAXPRI when the exit is processed */
        }
    }
}

void
ref_file_changed (int file)
{
  for (int i = 0; i < S.nall; ++i)
    {
      struct mw *m = &S.w[i];
      if (m->active && m->kind == K_STAT && m->file == file && S.loops[m->loop].inotify)
        {
          /* (a loop without inotify polls every 5 s: never within a sequence) */
          struct mloop *L = &S.loops[m->loop];
          loose_idles (m->loop, L->iter + 1);
          /* after ev_loop_fork the inotify fd is made anew before the next poll: a change
           * queued on the old one may be lost */
          if (L->fork_flag)
            open_window (m, L->iter, L->iter + 2, 0);
          else
            open_window (m, L->iter, L->iter + 1, 1);
          /* an internal watcher may be pending in the iteration after the report (the old
           * watch's IN_IGNORED), which blocks the idle watchers there (model-findings/d01) */
          loose_idles (m->loop, L->iter + 3);
        }
    }
}

void
ref_stat_refreshed (struct mw *m)
{
  m->must_by = 0; /* ev_stat_stat took the new attributes: the change may go unreported */
}

void
ref_suspended (int loop)
{
  for (int i = 0; i < S.nall; ++i)
    if (S.w[i].loop == loop && S.w[i].kind == K_TIMER && S.w[i].tclass == T_MEDIUM)
      S.w[i].loose = 1;
}

int
ref_will_not_block (int loop)
{
  if (world_refcount (loop) <= 0)
    return 1;
  for (int i = 0; i < S.nall; ++i)
    {
      const struct mw *m = &S.w[i];
      if (m->loop != loop || !m->active)
        continue;
      if (m->kind == K_IDLE)
        return 1;
      if ((m->kind == K_TIMER || m->kind == K_PERIODIC) && m->due_iter)
        return 1;
      if (m->kind == K_PERIODIC && m->pmode == P_RESCHED_NOW)
        return 1; /* due at once, or very soon */
      if (m->kind == K_IO && (world_ready (m->fdi) & m->events))
        return 1;
    }
  for (int i = 0; i < M_ONCES; ++i)
    if (S.onces[i].used && !S.onces[i].fired && S.onces[i].loop == loop && S.onces[i].timer_due
        && !S.onces[i].queued)
      return 1;
  return 0;
}

int
ref_medium_pending (int loop)
{
  for (int i = 0; i < S.nall; ++i)
    {
      const struct mw *m = &S.w[i];
      if (m->loop == loop && m->active && !m->loose
          && ((m->kind == K_TIMER && m->tclass == T_MEDIUM) || (m->kind == K_PERIODIC && m->pmode == P_ABS_MEDIUM)))
        return 1;
    }
  return 0;
}

int
ref_no_callback_before_poll (int loop)
{
  const struct mloop *L = &S.loops[loop];
  for (int i = 0; i < S.nall; ++i)
    {
      const struct mw *m = &S.w[i];
      if (m->loop != loop)
        continue;
      if (m->pend || m->spend || (m->active && m->kind == K_PREPARE) || (m->active && m->kind == K_FORK && L->fork_flag))
        return 0;
    }
  for (int i = 0; i < M_ONCES; ++i)
    if (S.onces[i].used && !S.onces[i].fired && S.onces[i].loop == loop && S.onces[i].queued)
      return 0; /* queued: called before the poll */
  return 1;
}

/* ---- the checks after every operation ------------------------------------------------------ */

void
ref_check (int top)
{
  for (int i = 0; i < S.nall; ++i)
    {
      struct mw *m = &S.w[i];
      const ev_watcher *w = &m->u.w;
      if (!S.loops[m->loop].alive)
        continue;
      /* libev's embed watcher restarts itself around the sweep of the fork pass */
      int transient = m->kind == K_EMBED && world_in_progress (m->inner);
      if (!transient && (ev_is_active (w) != 0) != (m->active != 0))
        m_fail ("w%d (%s, L%d): ev_is_active is %d, the model says %s", i, m_kind_name[m->kind], m->loop,
                ev_is_active (w), m->active ? "active" : "stopped");
      if (ref_pending_known (m) && (ev_is_pending (w) != 0) != (m->pend != 0 || m->spend))
        m_fail ("w%d (%s, L%d): ev_is_pending is %d, the model says %#x", i, m_kind_name[m->kind], m->loop,
                ev_is_pending (w), m->pend);
      if (!m->prio_unknown && ev_priority (w) != m->prio)
        m_fail ("w%d: ev_priority is %d, the model says %d", i, ev_priority (w), m->prio);
      if (m->kind == K_ASYNC && m->sent >= 0 && (!world_in_progress (m->loop) || !m->may_until)
          && ev_async_pending (&m->u.async) != m->sent)
        m_fail ("w%d: ev_async_pending is %d, the model says %d", i, ev_async_pending (&m->u.async), m->sent);
    }
  for (int l = 0; l < S.nloops; ++l)
    {
      struct mloop *L = &S.loops[l];
      if (!L->alive)
        continue;
      if (top && ev_pending_count (L->l) != (unsigned)L->pendcnt)
        m_fail ("L%d: ev_pending_count is %u, the model says %d", l, ev_pending_count (L->l), L->pendcnt);
      if (top && ev_depth (L->l) != 0)
        m_fail ("L%d: ev_depth is %u at the top level", l, ev_depth (L->l));
      if (!top && !L->ever_embedded && ev_depth (L->l) != (unsigned)L->nframes)
        m_fail ("L%d: ev_depth is %u, %d ev_run calls are running", l, ev_depth (L->l), L->nframes);
    }
}
