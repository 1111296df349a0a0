/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/model_ops.c - the operations of a sequence, and the watcher callbacks.
 *
 * Each op_* performs one API call (or one change of the world: a write to a pipe, a raised
 * signal, an exited child, a changed file), writes what it observed to the trace and tells
 * the reference model.  The generator (model_gen.c) only calls an operation where it is
 * legal; the checks after it are the caller's (ops_after). */
#define _GNU_SOURCE 1
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static struct ev_loop *
LP (int loop)
{
  return S.loops[loop].l;
}

static ev_tstamp
resched_now (ev_periodic *w, ev_tstamp now)
{
  (void)w;
  return now;
}

/* Periodic times are wall-clock times, and libev's ev_now() is not exact to the microsecond
 * (it may even step back a few microseconds when the loop re-reads the clock): no two
 * periodics are due at nearly the same time, each watcher has its own whole second. */
static double
own_second (const ev_periodic *w)
{
  return (double)((const struct mw *)w->data)->id;
}

static ev_tstamp
resched_far (ev_periodic *w, ev_tstamp now)
{
  return now + 1e5 + own_second (w);
}

void
ops_verify_all (int top)
{
  for (int i = 0; i < S.nloops; ++i)
    if (S.loops[i].alive && (top || m_chance (50)))
      {
        ev_verify (LP (i));
        ++S.verifies;
      }
}

/* ---- callbacks -------------------------------------------------------------------------------- */

static void
budget_breaks (void)
{
  /* every callback costs each run(0) on the stack one unit of its budget; a run out of budget
   * is broken (the guard idle makes sure each of its iterations has a callback) */
  for (int l = 0; l < S.nloops; ++l)
    {
      struct mloop *L = &S.loops[l];
      for (int f = L->nframes - 1; f >= 0; --f)
        if (L->fr[f].flags == 0)
          {
            if (--L->fr[f].budget <= 0 && !S.tearing)
              op_break (l, EVBREAK_ONE);
            break;
          }
    }
}

void
ops_callback (struct ev_loop *l, ev_watcher *w, int revents)
{
  struct mw *m = w->data;
  struct mloop *L = world_loop_of (l);
  int via = S.invoking == m->id;
  if (via)
    S.invoking = -1;
  ++S.callbacks;
  tr ("cb w%d L%d rev=%#x it=%u d=%u a=%d p=%d pr=%d%s", m->id, L->idx, revents, tr_iter (L->idx), ev_depth (l),
      ev_is_active (w), ev_is_pending (w), ev_priority (w), via ? " invoke" : "");
  if (m->loop != L->idx)
    m_fail ("w%d belongs to L%d, called by L%d", m->id, m->loop, L->idx);
  if (S.ncbs >= M_CBS)
    {
      m_fail ("callbacks nested too deep");
      abort ();
    }
  S.cbs[S.ncbs++] = (struct cbframe){ L->idx, m, via };
  if (via)
    {
      if (revents != S.invoke_revents)
        m_fail ("w%d: ev_invoke passed %#x, not %#x", m->id, revents, S.invoke_revents);
      ref_sync ();
    }
  else
    {
      ref_entering (m);
      ref_sync ();
      ref_entering (NULL);
      ref_on_callback (m, revents);
    }
  if (m->kind == K_CHILD && (revents & EV_CHILD))
    {
      int ci = -1;
      for (int i = 0; i < S.nchildren; ++i)
        if (S.children[i].pid == m->u.child.rpid)
          ci = i;
      tr ("  child c%d status=%#x", ci, m->u.child.rstatus);
    }
  if (m->kind == K_ASYNC)
    tr ("  async pending=%d", ev_async_pending (&m->u.async));
  if (m->kind == K_STAT && (revents & EV_STAT))
    tr ("  stat size=%ld nlink=%ld prev size=%ld nlink=%ld", (long)m->u.stat.attr.st_size,
        (long)m->u.stat.attr.st_nlink, (long)m->u.stat.prev.st_size, (long)m->u.stat.prev.st_nlink);
  ref_check (0);
  if (streams_kind (m))
    streams_callback (m, revents, via);
  /* settling, an embed watcher with a callback sweeps, as a program that embeds must */
  if (S.settling && m->kind == K_EMBED && (revents & EV_EMBED) && m->active && !world_loop_on_stack (m->inner))
    op_embed_sweep (m);
  if (!S.tearing && !S.settling)
    gen_inner_ops (L->idx, m);
  if (!via)
    budget_breaks ();
  --S.ncbs;
}

void
ops_once_cb (int revents, void *arg)
{
  struct monce *o = arg;
  ++S.callbacks;
  tr ("once%d L%d rev=%#x it=%u", o->id, o->loop, revents, tr_iter (o->loop));
  S.cbs[S.ncbs++] = (struct cbframe){ o->loop, NULL, 0 };
  ref_sync ();
  ref_on_once (o, revents);
  ref_check (0);
  if (!S.tearing && !S.settling)
    gen_inner_ops (o->loop, NULL);
  budget_breaks ();
  --S.ncbs;
}

/* ---- watchers ------------------------------------------------------------------------------ */

static int
signal_allowed (int loop, int sig)
{
  if (S.loops[loop].sigfd)
    /* a signalfd loop blocks its signals; one still pending when it stops watching would be
     * delivered with the default action: only signals that are ignored by default */
    return sig == SIGWINCH || sig == SIGURG;
  return 1;
}

static void
configure (struct mw *m)
{
  struct mloop *L = &S.loops[m->loop];
  switch (m->kind)
    {
    case K_IO:
      {
        m->fdi = (int)m_rand ((unsigned)S.nfds);
        const struct mfd *f = &S.fds[m->fdi];
        static const int ev_r[] = { EV_READ, EV_READ, EV_READ, EV_READ | EV_WRITE, 0 };
        static const int ev_w[] = { EV_WRITE, EV_WRITE, EV_READ | EV_WRITE, EV_READ };
        static const int ev_s[] = { EV_READ, EV_WRITE, EV_READ | EV_WRITE };
        if (f->kind == FD_PIPE_R)
          m->events = ev_r[m_rand (5)];
        else if (f->kind == FD_PIPE_W)
          m->events = ev_w[m_rand (4)];
        else
          m->events = ev_s[m_rand (3)];
        ev_io_set (&m->u.io, f->fd, m->events);
        tr ("  set w%d fd%d events=%d", m->id, m->fdi, m->events);
        break;
      }
    case K_TIMER:
      {
        static const double due[] = { 0., -1., -2. }, far[] = { 1000., 2000. };
        static const double rep[] = { 0., 1e-9, 3000. };
        m->tclass = S.timing && m_chance (30) ? T_MEDIUM : m_chance (60) ? T_DUE : T_FAR;
        m->after = m->tclass == T_DUE ? due[m_rand (3)]
                   : m->tclass == T_FAR ? far[m_rand (2)]
                                        : 0.0005 + 0.0005 * m_rand (6);
        m->rclass = (int)m_rand (3);
        if (m->tclass == T_MEDIUM && m->rclass == R_TINY)
          m->rclass = R_NONE;
        ev_timer_set (&m->u.timer, m->after, rep[m->rclass]);
        if (m->tclass == T_MEDIUM)
          tr ("  set w%d medium repeat=%d", m->id, m->rclass);
        else
          tr ("  set w%d after=%g repeat=%d", m->id, m->after, m->rclass);
        break;
      }
    case K_PERIODIC:
      {
        double now = ev_now (L->l);
        m->set_now = now;
        m->pmode = (int)m_rand (S.timing ? P_NMODES : P_RESCHED_NOW);
        switch (m->pmode)
          {
          case P_ABS_DUE:
            ev_periodic_set (&m->u.periodic, now - 1. - own_second (&m->u.periodic) - 20. * m_rand (3), 0., 0);
            break;
          case P_ABS_FAR: ev_periodic_set (&m->u.periodic, now + 1e5 + own_second (&m->u.periodic), 0., 0); break;
          case P_IVAL_FAR:
            ev_periodic_set (&m->u.periodic, fmod (now + 5000. + own_second (&m->u.periodic), 1e4), 1e4, 0);
            break;
          case P_RESCHED_NOW: ev_periodic_set (&m->u.periodic, 0., 0., resched_now); break;
          case P_RESCHED_FAR: ev_periodic_set (&m->u.periodic, 0., 0., resched_far); break;
          default:
            m->due_at = now + 0.0005 + 0.0005 * m_rand (6);
            ev_periodic_set (&m->u.periodic, m->due_at, 0., 0);
            break;
          }
        tr ("  set w%d mode=%d", m->id, m->pmode);
        break;
      }
    case K_SIGNAL:
      {
        int si;
        do
          si = (int)m_rand (M_SIGS);
        while (!signal_allowed (m->loop, m_signals[si]));
        m->signum = m_signals[si];
        ev_signal_set (&m->u.sig, m->signum);
        tr ("  set w%d sig%d", m->id, si);
        break;
      }
    case K_CHILD:
      m->cidx = S.nchildren && m_chance (70) ? (int)m_rand ((unsigned)S.nchildren) : -1;
      /* The order in which watchers of one child are called depends on the pid: a pid-0
       * watcher ("any") comes before or after the ones for that pid depending on the pid's
       * hash bucket (libev 4.33 and libev-ng alike).  Not comparable from run to run: without
       * -A a sequence watches children by pid, or only with pid 0. */
      if (S.known && S.child_any >= 0)
        m->cidx = S.child_any ? -1 : S.nchildren ? (int)m_rand ((unsigned)S.nchildren) : -2;
      m->ctrace = m_chance (30);
      if (m->cidx == -2)
        {
          m->conf = 0; /* no child yet to watch */
          tr ("  set w%d: no child yet", m->id);
          return;
        }
      ev_child_set (&m->u.child, m->cidx < 0 ? 0 : S.children[m->cidx].pid, m->ctrace);
      tr ("  set w%d child c%d trace=%d", m->id, m->cidx, m->ctrace);
      break;
    case K_STAT:
      m->file = (int)m_rand (M_FILES);
      ev_stat_set (&m->u.stat, m_file_path[m->file], 0.);
      tr ("  set w%d file%d", m->id, m->file);
      break;
    case K_EMBED:
      ev_embed_set (&m->u.embed, S.loops[m->inner].l);
      tr ("  set w%d embed L%d", m->id, m->inner);
      break;
    case K_STREAM:
    case K_ACCEPT:
      streams_configure (m); /* sets conf: 0 when no connection is free */
      return;
    default:
      break;
    }
  m->conf = 1;
}

static int
kind_start_ok (const struct mw *m)
{
  switch (m->kind)
    {
    case K_SIGNAL:
      for (int i = 0; i < M_SIGS; ++i)
        if (m_signals[i] == m->signum)
          return S.sig_owner[i] < 0 || S.sig_owner[i] == m->loop;
      return 0;
    case K_STAT:
      return 1;
    case K_EMBED:
      {
        const struct mloop *I = &S.loops[m->inner], *O = &S.loops[m->loop];
        if (I->embedded_by >= 0 || O->embedded_by >= 0 || world_loop_on_stack (m->inner))
          return 0;
        for (int i = 0; i < S.nw; ++i)
          if (S.w[i].kind == K_EMBED && S.w[i].active && S.w[i].loop == m->inner)
            return 0; /* no chains */
        return 1;
      }
    case K_STREAM:
    case K_ACCEPT:
      return streams_can_start (m, 0);
    default:
      return 1;
    }
}

/* can m be started now (with or without new parameters)? */
int
ops_can_start (const struct mw *m, int reconfigure)
{
  if (m->active)
    return 0;
  if (streams_kind (m))
    return streams_can_start (m, reconfigure);
  if (!reconfigure && !m->conf)
    return 0;
  if (m->kind == K_SIGNAL && reconfigure)
    return 1; /* decided after the new signal is chosen */
  return kind_start_ok (m);
}

void
op_start (struct mw *m, int reconfigure)
{
  struct mloop *L = &S.loops[m->loop];
  if (reconfigure || !m->conf)
    {
      configure (m);
      if (!m->conf || !kind_start_ok (m))
        {
          tr ("start w%d: not now", m->id);
          return;
        }
    }
  if (m->kind == K_IO)
    {
      L->fds_seen |= 1u << m->fdi;
      if (reconfigure)
        m->renewed = L->iter + 1;
    }
  tr ("start w%d", m->id);
  ev_watcher *w = &m->u.w;
  switch (m->kind)
    {
    case K_IO: ev_io_start (L->l, (ev_io *)w); break;
    case K_TIMER: ev_timer_start (L->l, (ev_timer *)w); break;
    case K_PERIODIC: ev_periodic_start (L->l, (ev_periodic *)w); break;
    case K_SIGNAL: ev_signal_start (L->l, (ev_signal *)w); break;
    case K_CHILD: ev_child_start (L->l, (ev_child *)w); break;
    case K_STAT: ev_stat_start (L->l, (ev_stat *)w); break;
    case K_IDLE: ev_idle_start (L->l, (ev_idle *)w); break;
    case K_PREPARE: ev_prepare_start (L->l, (ev_prepare *)w); break;
    case K_CHECK: ev_check_start (L->l, (ev_check *)w); break;
    case K_FORK: ev_fork_start (L->l, (ev_fork *)w); break;
    case K_CLEANUP: ev_cleanup_start (L->l, (ev_cleanup *)w); break;
    case K_ASYNC: ev_async_start (L->l, (ev_async *)w); break;
    case K_EMBED: ev_embed_start (L->l, (ev_embed *)w); break;
    case K_STREAM: case K_ACCEPT: streams_start (m); break;
    }
  ref_started (m);
}

void
op_ensure_ref_for_stop (struct mw *m)
{
  struct mloop *L = &S.loops[m->loop];
  if (!m->active || !ref_stable (m))
    return;
  int left = world_stable_refs (m->loop) - ref_refs_of (m);
  while (L->unrefs > left)
    {
      ev_ref (L->l);
      --L->unrefs;
      tr ("  ref L%d (before a stop)", L->idx);
    }
}

void
op_stop (struct mw *m)
{
  struct mloop *L = &S.loops[m->loop];
  op_ensure_ref_for_stop (m);
  tr ("stop w%d", m->id);
  ev_watcher *w = &m->u.w;
  switch (m->kind)
    {
    case K_IO: ev_io_stop (L->l, (ev_io *)w); break;
    case K_TIMER: ev_timer_stop (L->l, (ev_timer *)w); break;
    case K_PERIODIC: ev_periodic_stop (L->l, (ev_periodic *)w); break;
    case K_SIGNAL: ev_signal_stop (L->l, (ev_signal *)w); break;
    case K_CHILD: ev_child_stop (L->l, (ev_child *)w); break;
    case K_STAT: ev_stat_stop (L->l, (ev_stat *)w); break;
    case K_IDLE: ev_idle_stop (L->l, (ev_idle *)w); break;
    case K_PREPARE: ev_prepare_stop (L->l, (ev_prepare *)w); break;
    case K_CHECK: ev_check_stop (L->l, (ev_check *)w); break;
    case K_FORK: ev_fork_stop (L->l, (ev_fork *)w); break;
    case K_CLEANUP: ev_cleanup_stop (L->l, (ev_cleanup *)w); break;
    case K_ASYNC: ev_async_stop (L->l, (ev_async *)w); break;
    case K_EMBED: ev_embed_stop (L->l, (ev_embed *)w); break;
    case K_STREAM: case K_ACCEPT: streams_stop (m); break;
    }
  ref_stopped (m);
}

void
op_feed (struct mw *m, int revents)
{
  tr ("feed w%d %#x", m->id, revents);
  ev_feed_event (LP (m->loop), &m->u.w, revents);
  streams_fed (m, revents);
  ref_fed (m, revents);
}

void
op_clear (struct mw *m)
{
  int r = ev_clear_pending (LP (m->loop), &m->u.w);
  tr ("clear w%d -> %#x", m->id, r);
  if (streams_kind (m))
    {
      streams_cleared (m, r); /* what the library queued unseen may be in r */
      return;
    }
  int want = ref_cleared (m);
  if (want >= 0 && r != want)
    m_fail ("w%d: ev_clear_pending returned %#x, the model expects %#x", m->id, r, want);
}

void
op_invoke (struct mw *m, int revents)
{
  tr ("invoke w%d %#x", m->id, revents);
  S.invoking = m->id;
  S.invoke_revents = revents;
  ev_invoke (LP (m->loop), &m->u.w, revents);
  if (S.invoking >= 0)
    m_fail ("ev_invoke did not call w%d", m->id);
  S.invoking = -1;
}

void
op_invoke_pending (int loop)
{
  tr ("invoke-pending L%d", loop);
  ev_invoke_pending (LP (loop));
  ref_drained (loop);
}

void
op_ref (int loop)
{
  tr ("ref L%d", loop);
  ev_ref (LP (loop));
  --S.loops[loop].unrefs;
}

void
op_unref (int loop)
{
  tr ("unref L%d", loop);
  ev_unref (LP (loop));
  ++S.loops[loop].unrefs;
}

void
op_run (int loop, int flags)
{
  struct mloop *L = &S.loops[loop];
  struct mw *g = L->guard;
  /* EVRUN_ONCE may wait in the poll: only without the guard when the model knows something
   * is due and no callback can change that before the poll */
  int guard = flags == 0 || (flags == EVRUN_ONCE && !(ref_will_not_block (loop) && ref_no_callback_before_poll (loop)));
  if (guard && flags == EVRUN_ONCE && ref_medium_pending (loop) && ref_no_callback_before_poll (loop))
    guard = 0; /* timing mode: the poll waits for the timer, a few ms at most */
  int started = 0;
  if (guard && !g->active)
    {
      int p = (int)m_rand (5) + EV_MINPRI;
      ev_set_priority (&g->u.w, p);
      g->prio = p;
      ev_idle_start (L->l, &g->u.idle);
      ref_started (g);
      started = 1;
    }
  int budget = 1 + (int)m_rand (6);
  tr ("run L%d %s%s%d", loop, flags == 0 ? "0" : flags == EVRUN_NOWAIT ? "NOWAIT" : "ONCE",
      started ? " +guard at " : "", started ? g->prio : 0);
  ref_run_enter (loop, flags);
  L->fr[L->nframes - 1].budget = budget;
  L->fr[L->nframes - 1].started_guard = started;
  int ret = ev_run (L->l, flags);
  ref_run_leave (loop, ret);
  tr ("run L%d -> %d it=%u d=%u", loop, ret, tr_iter (loop), ev_depth (L->l));
  if (started && g->active)
    op_stop (g);
}

void
op_break (int loop, int how)
{
  tr ("break L%d %d", loop, how);
  ev_break (LP (loop), how);
  ref_break (loop, how);
}

void
op_now_update (int loop)
{
  tr ("now-update L%d", loop);
  ev_now_update (LP (loop));
}

void
op_suspend_resume (int loop)
{
  tr ("suspend-resume L%d", loop);
  ev_suspend (LP (loop));
  ev_resume (LP (loop));
  ref_suspended (loop);
}

void
op_write (int fdi)
{
  struct mfd *f = &S.fds[fdi];
  tr ("write fd%d", fdi);
  if (write (f->fd, "x", 1) != 1)
    m_fail ("write fd%d: %s", fdi, strerror (errno));
  else
    S.fds[f->peer].bytes++;
}

void
op_read (int fdi)
{
  struct mfd *f = &S.fds[fdi];
  char buf[64];
  size_t want = m_chance (50) ? 1 : sizeof buf;
  ssize_t got = read (f->fd, buf, want);
  int expect = f->bytes < (int)want ? f->bytes : (int)want;
  tr ("read fd%d %d", fdi, (int)(got < 0 ? 0 : got));
  if ((got < 0 ? 0 : (int)got) != expect)
    m_fail ("read fd%d: got %d bytes, %d were written", fdi, (int)got, expect);
  if (got > 0)
    f->bytes -= (int)got;
}

void
op_raise (int si)
{
  tr ("raise sig%d", si);
  raise (m_signals[si]);
  ref_raise (si);
}

void
op_feed_signal (int si)
{
  tr ("feed-signal sig%d", si);
  ev_feed_signal (m_signals[si]);
  ref_raise (si);
}

void
op_feed_signal_event (int loop, int si)
{
  tr ("feed-signal-event L%d sig%d", loop, si);
  ev_feed_signal_event (LP (loop), m_signals[si]);
  if (S.sig_owner[si] != loop)
    return;
  for (int i = 0; i < S.nall; ++i)
    if (S.w[i].loop == loop && S.w[i].active && S.w[i].kind == K_SIGNAL && S.w[i].signum == m_signals[si])
      ref_fed (&S.w[i], EV_SIGNAL);
}

void
op_async_send (struct mw *m)
{
  tr ("async-send w%d", m->id);
  ev_async_send (LP (m->loop), &m->u.async);
  ref_async_sent (m);
}

void
op_fork_child (void)
{
  int ci = S.nchildren;
  int code = (int)m_rand (4);
  /* vfork: the child only exits, and a fork of a big (sanitized) process costs milliseconds */
  pid_t pid = vfork ();
  if (pid < 0)
    {
      m_fail ("vfork: %s", strerror (errno));
      return;
    }
  if (pid == 0)
    _exit (code);
  /* wait until it is a zombie without reaping it: its SIGCHLD has then been delivered */
  siginfo_t info;
  while (waitid (P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) != 0)
    if (errno != EINTR)
      {
        m_fail ("waitid: %s", strerror (errno));
        break;
      }
  S.children[ci] = (struct mchild){ pid, code, 1, 0 };
  S.nchildren++;
  tr ("fork c%d exit %d", ci, code);
  ref_child_exited (ci);
}

void
op_stat_change (int file)
{
  tr ("append file%d", file);
  int fd = open (m_file_path[file], O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0 || write (fd, "y", 1) != 1)
    m_fail ("append to %s: %s", m_file_path[file], strerror (errno));
  else
    S.file_size[file]++;
  if (fd >= 0)
    close (fd);
  ref_file_changed (file);
}

void
op_stat_stat (struct mw *m)
{
  ev_stat_stat (LP (m->loop), &m->u.stat);
  tr ("stat w%d size=%ld nlink=%ld", m->id, (long)m->u.stat.attr.st_size, (long)m->u.stat.attr.st_nlink);
  if (m->u.stat.attr.st_size != S.file_size[m->file] || m->u.stat.attr.st_nlink != 1)
    m_fail ("w%d: ev_stat_stat says size %ld nlink %ld, the file has %ld bytes", m->id,
            (long)m->u.stat.attr.st_size, (long)m->u.stat.attr.st_nlink, S.file_size[m->file]);
  ref_stat_refreshed (m);
}

void
op_loop_fork (int loop)
{
  tr ("loop-fork L%d", loop);
  ev_loop_fork (LP (loop));
  ref_loop_fork (loop);
}

void
op_timer_again (struct mw *m)
{
  struct mloop *L = &S.loops[m->loop];
  if (m->rclass == R_NONE)
    op_ensure_ref_for_stop (m);
  tr ("again w%d", m->id);
  ev_timer_again (L->l, &m->u.timer);
  m->pend = 0;
  if (m->rclass == R_NONE)
    {
      if (m->active)
        ref_stopped (m);
    }
  else
    {
      m->active = 1;
      m->must_by = 0;
      m->loose = 0;
      m->tclass = m->rclass == R_TINY ? T_DUE : T_FAR;
      m->due_iter = m->rclass == R_TINY ? L->iter + 1 : 0;
    }
}

/* A time left, for the trace, in tens of seconds: the timeouts are whole seconds (0, -1, -2,
 * 1000, 2000, 3000, 1e5 + n ...), the time a sequence takes (seconds at worst, on a busy
 * machine under ASan) and the last bits of the libraries' arithmetic do not show.  The
 * rounding boundaries sit at 10 m + 5.25 s, a quarter second away from every whole second:
 * at 10 m + 5 (lround's), a time 5 s back (1e5 + 5 ahead) came out as either neighbour. */
static long
tens_of_seconds (double t)
{
  return lround (t / 10. - 0.025);
}

void
op_timer_remaining (struct mw *m)
{
  ev_tstamp r = ev_timer_remaining (LP (m->loop), &m->u.timer);
  tr ("remaining w%d %ld", m->id, tens_of_seconds (r));
  if (m->active && m->tclass == T_FAR && r < 500.)
    m_fail ("w%d: ev_timer_remaining %g for a timer that is not due for 1000 s", m->id, r);
  if (m->active && m->tclass == T_DUE && r > 1e-3)
    m_fail ("w%d: ev_timer_remaining %g for a timer that is due", m->id, r);
}

void
op_periodic_again (struct mw *m)
{
  struct mloop *L = &S.loops[m->loop];
  tr ("periodic-again w%d", m->id);
  ev_periodic_again (L->l, &m->u.periodic);
  m->pend = 0;
  ref_started (m);
  /* Relative to the loop time the library computed it from, so that the loop time's drift
   * between the set and this call never shows: the time read when the watcher was set for
   * absolute times and intervals, the current one for reschedule callbacks (which are given
   * it).  (Against the current one an absolute time set 5 s back sat exactly on a rounding
   * boundary: the first periodic start reads the wall clock into ev_now(), and a loop time
   * that ran a millisecond ahead of it under load turned -1 into 0.) */
  ev_tstamp base = m->pmode == P_RESCHED_FAR || m->pmode == P_RESCHED_NOW ? ev_now (L->l) : m->set_now;
  tr ("  at %ld", tens_of_seconds (ev_periodic_at (&m->u.periodic) - base));
}

void
op_embed_sweep (struct mw *m)
{
  tr ("sweep w%d", m->id);
  ev_embed_sweep (LP (m->loop), &m->u.embed);
  ref_drained (m->inner);
}

void
op_once (int loop, int no_fd)
{
  int i;
  for (i = 0; i < M_ONCES && S.onces[i].used; ++i)
    ;
  if (i == M_ONCES)
    return;
  struct monce *o = &S.onces[i];
  static const int wfds[] = { 1, 3, 5 };
  int kind = no_fd ? 0 : (int)m_rand (3);
  double timeout;
  o->used = 1;
  o->id = i;
  o->loop = loop;
  o->fired = 0;
  o->due_iter = 0;
  o->queued = 0;
  o->fdi = -1;
  o->events = 0;
  o->has_timer = 1;
  o->timer_due = 1;
  timeout = 0.; /* a negative timeout means no timer at all */
  if (kind == 1)
    {
      o->fdi = 2 * (int)m_rand (M_PIPES); /* a pipe's read end */
      o->events = EV_READ;
    }
  else if (kind == 2)
    {
      o->fdi = wfds[m_rand (3)]; /* a pipe's write end: always writable */
      o->events = EV_WRITE;
      if (m_chance (30))
        {
          o->timer_due = 0;
          timeout = 1000.;
        }
      else if (m_chance (30))
        {
          o->has_timer = o->timer_due = 0;
          timeout = -1.;
        }
    }
  tr ("once%d L%d fd%d events=%d timer=%d due=%d", i, loop, o->fdi, o->events, o->has_timer, o->timer_due);
  ev_once (LP (loop), o->fdi < 0 ? -1 : S.fds[o->fdi].fd, o->events, timeout, ops_once_cb, o);
}

void
op_feed_fd_event (int loop, int fdi, int revents)
{
  tr ("feed-fd L%d fd%d %#x", loop, fdi, revents);
  ev_feed_fd_event (LP (loop), S.fds[fdi].fd, revents);
  for (int i = 0; i < S.nall; ++i)
    {
      struct mw *m = &S.w[i];
      if (m->loop == loop && m->active && m->kind == K_IO && m->fdi == fdi && (m->events & revents))
        ref_fed (m, m->events & revents);
    }
  /* and the io part of an ev_once on that fd */
  for (int i = 0; i < M_ONCES; ++i)
    {
      struct monce *o = &S.onces[i];
      if (o->used && !o->fired && o->loop == loop && o->fdi == fdi && (o->events & revents) && !o->queued)
        {
          o->due_iter = S.loops[loop].iter;
          o->queued = 1;
          S.loops[loop].pendcnt++;
        }
    }
}

void
op_set_priority (struct mw *m, int prio)
{
  tr ("priority w%d %d", m->id, prio);
  ev_set_priority (&m->u.w, prio);
  m->prio = prio;
  m->prio_unknown = 0;
}

void
op_pending_count (int loop)
{
  tr ("pending-count L%d %u", loop, ev_pending_count (LP (loop)));
}
